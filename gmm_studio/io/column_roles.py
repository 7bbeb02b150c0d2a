"""Columns that are not measurements: row numbers (an index) and true classes (labels).

Neither is fitted by default; choosing columns explicitly overrides both.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from gmm_studio.io.table import TableInfo

#: Names that a blank header gets: ours (``column 0``) and pandas' (``Unnamed: 0``).
BLANK_NAME = re.compile(r"^(?:column \d+|unnamed: ?\d+)$", re.IGNORECASE)
#: Words in a column name that say it holds classes.
LABEL_WORDS = frozenset(
    {"class", "classes", "label", "labels", "species", "target", "cluster", "clusters"}
    | {"group", "category", "variety", "cultivar"}
)
MAX_LABEL_CLASSES = 20
#: Fewer rows than this say too little for consecutive integers to mean an index.
MIN_INDEX_ROWS = 10


def detect_roles(info: TableInfo) -> TableInfo:
    """Return ``info`` with its index and label columns marked.

    An index is a numeric column whose header is blank (``column 3``, ``Unnamed: 0``) or whose
    values are the row numbers 0…N−1 or 1…N in any order (``0001`` counts, being read as 1).
    True labels are a text column with few distinct values, or a column of a few whole
    numbers under a name such as class, label, species, target or cluster.
    """
    index, labels = [], []
    for j, name in enumerate(info.columns):
        if info.numeric[j]:
            values = info.values[:, j]
            if (info.has_header and BLANK_NAME.match(name)) or _counts_rows(values):
                index.append(j)
            elif _names_classes(name) and _few_whole_numbers(values):
                labels.append(j)
        elif j in info.text and _few_text_values(info.text[j]):
            labels.append(j)
    return dataclasses.replace(info, index_columns=tuple(index), label_columns=tuple(labels))


def _counts_rows(values: np.ndarray) -> bool:
    n = len(values)
    if n < MIN_INDEX_ROWS or not np.isfinite(values).all():
        return False
    low = values.min()
    if low not in (0.0, 1.0) or values.max() != low + n - 1:
        return False
    ordered = np.sort(values)
    return bool(np.array_equal(ordered, np.arange(low, low + n)))


def _names_classes(name: str) -> bool:
    return any(word in LABEL_WORDS for word in re.split(r"[^a-z]+", name.lower()))


def _few_whole_numbers(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    if len(finite) == 0 or not np.array_equal(finite, np.round(finite)):
        return False
    return len(np.unique(finite)) <= min(MAX_LABEL_CLASSES, max(len(finite) // 2, 1))


def _few_text_values(cells: np.ndarray) -> bool:
    distinct = set(cells.tolist())
    return 1 < len(distinct) <= min(MAX_LABEL_CLASSES, max(len(cells) // 2, 1))
