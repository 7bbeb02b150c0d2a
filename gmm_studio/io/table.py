"""Point tables: what a data file holds (`TableInfo`) and the points chosen from it (`PointTable`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gmm_studio.io.errors import DataFileError

PREVIEW_ROWS = 20
# Longer column names are shortened: a name is shown in menus, tables and summaries.
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class LoadSpec:
    """How a table was read, so that code outside GMM Studio can read it the same way.

    Attributes
    ----------
    kind : {"text", "npy", "npz", "pasted"}
    delimiter : str or None
        Field separator of a text table; ``None`` means runs of whitespace.
    skip_lines : int
        Lines before the first data row (the header and anything above it).
    encoding : str
        Text encoding the file was decoded with.
    npz_keys : tuple of str
        For ``.npz``: the one 2-D array used, or the 1-D arrays stacked as columns.
    record : bool
        For numpy files: the array is a record array whose fields are the columns.
    decimal_comma : bool
        Some text columns write numbers with a decimal comma (``1,5``).
    """

    kind: str
    delimiter: str | None = None
    skip_lines: int = 0
    encoding: str = "utf-8"
    npz_keys: tuple[str, ...] = ()
    record: bool = False
    decimal_comma: bool = False


@dataclass(frozen=True, eq=False)
class TableInfo:
    """A cheap, complete look at a data table, for the import dialog and `read_points`.

    Attributes
    ----------
    source : pathlib.Path or None
        The file (``None`` for pasted text).
    columns : list of str
        Every column's name, numeric or not (made up as ``x``, ``y`` or ``x0``, ``x1``, ...
        when the file has no header row).
    numeric : list of bool
        Whether each column holds numbers.
    values : ndarray, shape (n_rows, n_columns)
        The numbers, NaN where a cell is missing and in whole non-numeric columns.
    preview : list of list of str
        The first rows as they appear in the file (raw strings).
    has_header : bool
    notes : list of str
        Things the user should know (encoding fallback, skipped columns, ...).
    column_problems : dict of int to str
        Numeric columns that also hold stray text, with a description of the first bad cell;
        choosing such a column raises `DataFileError`.
    lines : ndarray of int or None
        The 1-based line number of each data row in a text file, when known.
    spec : LoadSpec
    """

    source: Path | None
    columns: list[str]
    numeric: list[bool]
    values: np.ndarray
    preview: list[list[str]]
    has_header: bool
    notes: list[str]
    spec: LoadSpec
    column_problems: dict[int, str] = field(default_factory=dict)
    lines: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        """Number of data rows in the table."""
        return int(self.values.shape[0])

    @property
    def numeric_columns(self) -> list[int]:
        """Indices of the numeric columns."""
        return [i for i, is_numeric in enumerate(self.numeric) if is_numeric]

    def incomplete_mask(self, columns: Sequence[int] | None = None) -> np.ndarray:
        """Return a boolean mask of the rows with a missing or non-finite value in ``columns``.

        Parameters
        ----------
        columns : sequence of int, optional
            Column indices; by default every numeric column.
        """
        cols = self.numeric_columns if columns is None else list(columns)
        if not cols:
            return np.zeros(self.n_rows, dtype=bool)
        return ~np.isfinite(self.values[:, cols]).all(axis=1)

    def incomplete_count(self, columns: Sequence[int] | None = None) -> int:
        """Number of rows with a missing or non-finite value in ``columns``."""
        return int(self.incomplete_mask(columns).sum())

    def describe_rows(self, mask: np.ndarray, limit: int = 5) -> str:
        """Name the first rows in ``mask`` (by line number for text files), for messages."""
        idx = np.flatnonzero(mask)
        if self.lines is not None:
            shown = [str(int(self.lines[i])) for i in idx[:limit]]
            word = "line" if len(idx) == 1 else "lines"
        else:
            shown = [str(int(i) + 1) for i in idx[:limit]]
            word = "row" if len(idx) == 1 else "rows"
        more = ", ..." if len(idx) > limit else ""
        return f"{word} {', '.join(shown)}{more}"

    def resolve_columns(self, columns: Sequence[int | str] | None) -> list[int]:
        """Turn column names or 0-based indices into validated numeric column indices.

        Raises
        ------
        DataFileError
            For an unknown name, an index out of range, a repeated or non-numeric column,
            a column with stray text, or fewer than two columns.
        """
        if columns is None:
            chosen = self.numeric_columns
        else:
            chosen = []
            for item in columns:
                index = self._column_index(item)
                if index in chosen:
                    raise DataFileError(
                        self.source, f"column '{self.columns[index]}' is chosen twice"
                    )
                if not self.numeric[index]:
                    raise DataFileError(
                        self.source, f"column '{self.columns[index]}' is not numeric"
                    )
                chosen.append(index)
        for index in chosen:
            if index in self.column_problems:
                raise DataFileError(self.source, self.column_problems[index])
        if len(chosen) < 2:
            if columns is None:
                raise DataFileError(self.source, _too_few_numeric(self))
            raise DataFileError(
                self.source, f"choose at least 2 numeric columns to fit (got {len(chosen)})"
            )
        return chosen

    def _column_index(self, item: int | str) -> int:
        if isinstance(item, str):
            name = item.strip()
            if name in self.columns:
                return self.columns.index(name)
            try:
                index = int(name)
            except ValueError:
                raise DataFileError(
                    self.source,
                    f"no column named '{name}' (columns: {', '.join(self.columns)})",
                ) from None
        elif isinstance(item, int | np.integer) and not isinstance(item, bool):
            index = int(item)
        else:
            raise TypeError(f"a column is a name or an index, not {item!r}")
        if not 0 <= index < len(self.columns):
            raise DataFileError(
                self.source,
                f"no column {index}: the table has {len(self.columns)} columns "
                f"(0 to {len(self.columns) - 1})",
            )
        return index

    def select(
        self, columns: Sequence[int | str] | None = None, drop_incomplete: bool = True
    ) -> PointTable:
        """Return the points in ``columns`` (names or indices; default every numeric column).

        Parameters
        ----------
        columns : sequence of int or str, optional
        drop_incomplete : bool
            Drop rows with missing or non-finite values (counted in ``n_dropped``); when
            False such rows raise `DataFileError` instead.
        """
        chosen = self.resolve_columns(columns)
        notes = list(self.notes)
        skipped = [self.columns[i] for i in range(len(self.columns)) if not self.numeric[i]]
        if columns is None and skipped:
            notes.append(f"skipped non-numeric columns: {', '.join(skipped)}")
        if chosen == list(range(self.values.shape[1])):
            data = self.values  # every column in order: no copy (matters for large files)
        else:
            data = self.values[:, chosen]
        if np.isfinite(data).all():  # cheap whole-array test first; the row mask is slower
            bad, n_bad = None, 0
        else:
            bad = ~np.isfinite(data).all(axis=1)
            n_bad = int(bad.sum())
        if n_bad:
            rows = "row" if n_bad == 1 else "rows"
            where = self.describe_rows(bad)
            if not drop_incomplete:
                raise DataFileError(
                    self.source,
                    f"{n_bad} {rows} with missing or non-finite (NaN or infinite) values "
                    f"({where}); drop them to continue",
                )
            if n_bad == len(data):
                raise DataFileError(
                    self.source,
                    "every row has a missing or non-finite (NaN or infinite) value in the "
                    "chosen columns",
                )
            data = data[~bad]
            notes.append(f"dropped {n_bad} {rows} with missing or non-finite values ({where})")
        return PointTable(
            data=np.ascontiguousarray(data, dtype=np.float64),
            columns=[self.columns[i] for i in chosen],
            source=self.source,
            n_dropped=n_bad,
            notes=notes,
            column_indices=chosen,
            spec=self.spec,
        )


@dataclass(frozen=True, eq=False)
class PointTable:
    """Points ready to fit.

    Attributes
    ----------
    data : ndarray, shape (n_samples, n_features)
        Finite float64 values.
    columns : list of str
        The name of each feature.
    source : pathlib.Path or None
        The file they came from (``None`` for pasted text).
    n_dropped : int
        Rows dropped for missing or non-finite values.
    notes : list of str
        Things the user should know about how the file was read.
    column_indices : list of int
        Where each feature sits among the file's columns.
    spec : LoadSpec or None
        How the file was read (used by "Copy as Python").
    """

    data: np.ndarray
    columns: list[str]
    source: Path | None = None
    n_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    column_indices: list[int] = field(default_factory=list)
    spec: LoadSpec | None = None

    @property
    def n_samples(self) -> int:
        """Number of points."""
        return int(self.data.shape[0])

    @property
    def n_features(self) -> int:
        """Number of dimensions."""
        return int(self.data.shape[1])


def default_column_names(n: int) -> list[str]:
    """Names for the columns of a table without a header: ``x, y`` or ``x0, x1, ...``."""
    if n == 2:
        return ["x", "y"]
    return [f"x{i}" for i in range(n)]


def unique_names(names: Sequence[str]) -> list[str]:
    """Make column names unique, non-empty and of a displayable length.

    A blank name becomes ``column 3``, a repeat ``a_2``, and a name longer than
    `MAX_NAME_LENGTH` characters keeps its start and end around an ellipsis. Linear in the
    number of names, so a header of a million columns is quick.
    """
    out: list[str] = []
    used: set[str] = set()
    next_suffix: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = shorten_name(raw.strip()) or f"column {i}"
        if name in used:
            base, n = name, next_suffix.get(name, 2)
            while f"{base}_{n}" in used:
                n += 1
            name = f"{base}_{n}"
            next_suffix[base] = n + 1
        used.add(name)
        out.append(name)
    return out


def shortened_note(names: Sequence[str]) -> list[str]:
    """A note for the names `unique_names` shortens (empty when none is too long)."""
    n = sum(len(name.strip()) > MAX_NAME_LENGTH for name in names)
    if not n:
        return []
    which = "a column name" if n == 1 else f"{n} column names"
    return [f"shortened {which} longer than {MAX_NAME_LENGTH} characters"]


def shorten_name(name: str) -> str:
    """``name``, or its start and end around "…" when longer than `MAX_NAME_LENGTH`."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    tail = (MAX_NAME_LENGTH - 1) // 2
    return f"{name[: MAX_NAME_LENGTH - 1 - tail]}…{name[-tail:]}"


def _too_few_numeric(info: TableInfo) -> str:
    numeric = [info.columns[i] for i in info.numeric_columns]
    text = [info.columns[i] for i in range(len(info.columns)) if not info.numeric[i]]
    if not numeric:
        found = f" (found only text columns: {', '.join(text)})" if text else ""
        return f"no numeric columns{found}"
    extra = f"; the other columns are text: {', '.join(text)}" if text else ""
    return f"needs at least 2 numeric columns but found only 1 ('{numeric[0]}'){extra}"
