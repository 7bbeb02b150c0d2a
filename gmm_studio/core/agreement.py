"""How well a clustering agrees with known classes: contingency table and adjusted Rand index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Contingency:
    """Counts of points per (true class, cluster) pair.

    Attributes
    ----------
    classes : list
        The true labels, in order of first appearance.
    clusters : list
        The predicted labels, in order of first appearance.
    counts : ndarray of int, shape (len(classes), len(clusters))
    """

    classes: list
    clusters: list
    counts: np.ndarray


def _codes(labels) -> tuple[list, np.ndarray]:
    seen: dict = {}
    codes = np.fromiter(
        (seen.setdefault(label, len(seen)) for label in labels), dtype=np.int64, count=len(labels)
    )
    return list(seen), codes


def contingency(labels_true, labels_pred) -> Contingency:
    """Cross-tabulate two labellings of the same points (any hashable labels).

    Raises
    ------
    ValueError
        If the two labellings have different lengths.
    """
    labels_true, labels_pred = list(labels_true), list(labels_pred)
    if len(labels_true) != len(labels_pred):
        raise ValueError(
            f"the labellings have different lengths ({len(labels_true)} and {len(labels_pred)})"
        )
    classes, a = _codes(labels_true)
    clusters, b = _codes(labels_pred)
    counts = np.zeros((len(classes), len(clusters)), dtype=np.int64)
    np.add.at(counts, (a, b), 1)
    return Contingency(classes, clusters, counts)


def adjusted_rand_index(labels_true, labels_pred) -> float:
    """The adjusted Rand index of two labellings: 1 for the same partition (whatever the
    names), about 0 for unrelated ones, as scikit-learn's ``adjusted_rand_score``.

    Pairs of points are counted in exact integer arithmetic; when both labellings put every
    point in one group, or each point in its own, the index is 1.
    """
    counts = contingency(labels_true, labels_pred).counts

    def pairs(n):
        n = np.asarray(n, dtype=object)  # Python integers: no overflow for large N
        return int(sum(n * (n - 1) // 2)) if n.size else 0

    together = pairs(counts.ravel())
    rows, cols = pairs(counts.sum(axis=1)), pairs(counts.sum(axis=0))
    total = pairs([counts.sum()])
    if total == 0:
        return 1.0
    expected = rows * cols / total
    best = (rows + cols) / 2
    if best == expected:
        return 1.0
    return float((together - expected) / (best - expected))
