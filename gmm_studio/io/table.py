"""Point tables: what a data file holds (`TableInfo`) and the points chosen from it (`PointTable`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gmm_studio.io.errors import DataFileError

PREVIEW_ROWS = 20
# Cells that mean "no value", in text and in a spreadsheet's error values (#N/A, #DIV/0!, ...).
MISSING_MARKERS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "missing", "?", "-", "--"}
    | {"#n/a", "#n/a n/a", "#na", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!"}
    | {"#spill!", "#calc!", "#getting_data"}
)
# Longer column names are shortened: a name is shown in menus, tables and summaries.
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class LoadSpec:
    """How a table was read, so that code outside GMM Studio can read it the same way.

    Attributes
    ----------
    kind : {"text", "npy", "npz", "pasted", "xlsx", "parquet"}
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
    sheet : str or None
        For ``.xlsx``: the worksheet read.
    sheets : tuple of str
        For ``.xlsx``: every worksheet of the workbook, in order.
    """

    kind: str
    delimiter: str | None = None
    skip_lines: int = 0
    encoding: str = "utf-8"
    npz_keys: tuple[str, ...] = ()
    record: bool = False
    decimal_comma: bool = False
    sheet: str | None = None
    sheets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadOptions:
    """How to read a table, where GMM Studio's guesses are not what the user wants.

    Attributes
    ----------
    skip_rows : int or None
        Lines of a text file (rows of a sheet) above the table, skipped unread; ``None``
        recognises a title, notes or scikit-learn's count line and skips them with a note.
    header : bool or None
        Whether the first row read names the columns; ``None`` decides from the content.
    first_data_row : int or None
        The 1-based line (sheet row) of the first data row; rows between the header and it
        are skipped.
    sheet : str or int or None
        The worksheet of a workbook, by name or 0-based position; ``None`` is the first.
    """

    skip_rows: int | None = None
    header: bool | None = None
    first_data_row: int | None = None
    sheet: str | int | None = None


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
    text : dict of int to ndarray
        The cells of each non-numeric column (object arrays of str), for true labels.
    index_columns : tuple of int
        Columns that number the rows (not fitted by default).
    label_columns : tuple of int
        Columns that look like true classes (not fitted by default; offered as labels).
    line_word : str
        What ``lines`` counts, in messages: "line" in a text file, "row" in a sheet.
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
    text: dict[int, np.ndarray] = field(default_factory=dict)
    index_columns: tuple[int, ...] = ()
    label_columns: tuple[int, ...] = ()
    line_word: str = "line"

    @property
    def n_rows(self) -> int:
        """Number of data rows in the table."""
        return int(self.values.shape[0])

    @property
    def numeric_columns(self) -> list[int]:
        """Indices of the numeric columns."""
        return [i for i, is_numeric in enumerate(self.numeric) if is_numeric]

    @property
    def feature_columns(self) -> list[int]:
        """The numeric columns fitted by default: neither an index nor true labels."""
        roles = set(self.index_columns) | set(self.label_columns)
        return [i for i in self.numeric_columns if i not in roles]

    def usable_columns(self, minimum: int = 1) -> list[int]:
        """The numeric columns without stray text, at least ``minimum`` of them.

        Raises
        ------
        DataFileError
            With the first column's problem, or saying how many numeric columns there are.
        """
        usable = [i for i in self.numeric_columns if i not in self.column_problems]
        if len(usable) >= minimum:
            return usable
        if self.column_problems:
            raise DataFileError(self.source, next(iter(self.column_problems.values())))
        if not usable:
            raise DataFileError(self.source, _too_few_numeric(self))
        raise DataFileError(
            self.source,
            f"needs at least {minimum} numeric columns but found only {len(usable)} "
            f"({_quoted(self.columns[i] for i in usable)}); fit fewer with 'gmm-studio fit'",
        )

    def renamed(self, names: Sequence[str]) -> TableInfo:
        """The same table with its columns called ``names`` (one unique, non-blank name each).

        Raises
        ------
        ValueError
            For a wrong number of names, a blank one or a repeat.
        """
        names = [str(name).strip() for name in names]
        if len(names) != len(self.columns):
            raise ValueError(f"{len(self.columns)} names are needed, not {len(names)}")
        if not all(names):
            raise ValueError("a column name is blank")
        if len(set(names)) != len(names):
            raise ValueError("two columns have the same name")
        return dataclasses.replace(self, columns=names)

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
            word = self.line_word if len(idx) == 1 else f"{self.line_word}s"
        else:
            shown = [str(int(i) + 1) for i in idx[:limit]]
            word = "row" if len(idx) == 1 else "rows"
        more = ", ..." if len(idx) > limit else ""
        return f"{word} {', '.join(shown)}{more}"

    def resolve_columns(
        self, columns: Sequence[int | str] | None, exclude: Sequence[int] = ()
    ) -> list[int]:
        """Turn column names or 0-based indices into validated numeric column indices.

        Parameters
        ----------
        columns : sequence of int or str, or None
            None means `feature_columns` less ``exclude``.
        exclude : sequence of int
            Columns used otherwise (weights, labels), never fitted.

        Raises
        ------
        DataFileError
            For an unknown name, an index out of range, a repeated or non-numeric column,
            a column with stray text, a column used otherwise, or no column at all.
        """
        if columns is None:
            chosen = [i for i in self.feature_columns if i not in exclude]
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
                if index in exclude:
                    raise DataFileError(
                        self.source,
                        f"column '{self.columns[index]}' holds weights or labels; "
                        "it cannot also be fitted",
                    )
                chosen.append(index)
        for index in chosen:
            if index in self.column_problems:
                raise DataFileError(self.source, self.column_problems[index])
        if not chosen:
            raise DataFileError(self.source, _too_few_numeric(self, exclude))
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
        self,
        columns: Sequence[int | str] | None = None,
        drop_incomplete: bool = True,
        *,
        weights: int | str | None = None,
        labels: int | str | None = None,
    ) -> PointTable:
        """Return the points in ``columns`` (names or indices; default `feature_columns`).

        Parameters
        ----------
        columns : sequence of int or str, optional
        drop_incomplete : bool
            Drop rows with missing or non-finite values (counted in ``n_dropped``); when
            False such rows raise `DataFileError` instead.
        weights : int or str, optional
            A numeric column of sample weights (finite, at least 0, not all 0); rows with a
            missing weight are incomplete.
        labels : int or str, optional
            A column of true labels (text or numbers) kept with the points; a missing label
            is kept as ``None``.
        """
        weight_index = None if weights is None else self._column_index(weights)
        label_index = None if labels is None else self._column_index(labels)
        if weight_index is not None and weight_index == label_index:
            raise DataFileError(
                self.source, f"column '{self.columns[weight_index]}' cannot be weights and labels"
            )
        if weight_index is not None and not self.numeric[weight_index]:
            raise DataFileError(
                self.source, f"weights column '{self.columns[weight_index]}' is not numeric"
            )
        exclude = [i for i in (weight_index, label_index) if i is not None]
        chosen = self.resolve_columns(columns, exclude)
        notes = list(self.notes)
        if columns is None:
            notes.extend(self._not_fitted_notes(exclude))
        if chosen == list(range(self.values.shape[1])):
            data = self.values  # every column in order: no copy (matters for large files)
        else:
            data = self.values[:, chosen]
        used = chosen if weight_index is None else [*chosen, weight_index]
        if np.isfinite(data).all() and (
            weight_index is None or np.isfinite(self.values[:, weight_index]).all()
        ):  # cheap whole-array test first; the row mask is slower
            bad, n_bad = None, 0
        else:
            bad = ~np.isfinite(self.values[:, used]).all(axis=1)
            n_bad = int(bad.sum())
        rows = None
        if n_bad:
            plural = "row" if n_bad == 1 else "rows"
            where = self.describe_rows(bad)
            if not drop_incomplete:
                raise DataFileError(
                    self.source,
                    f"{n_bad} {plural} with missing or non-finite (NaN or infinite) values "
                    f"({where}); drop them to continue",
                )
            if n_bad == len(data):
                raise DataFileError(
                    self.source,
                    "every row has a missing or non-finite (NaN or infinite) value in the "
                    "chosen columns",
                )
            rows = np.flatnonzero(~bad)
            data = data[rows]
            notes.append(f"dropped {n_bad} {plural} with missing or non-finite values ({where})")
        sample_weight = None
        if weight_index is not None:
            column = self.values[:, weight_index]
            sample_weight = np.ascontiguousarray(column if rows is None else column[rows])
            self._check_weights(sample_weight, weight_index, rows)
        true_labels = None
        if label_index is not None:
            true_labels = self.label_values(label_index)
            if rows is not None:
                true_labels = true_labels[rows]
        return PointTable(
            data=np.ascontiguousarray(data, dtype=np.float64),
            columns=[self.columns[i] for i in chosen],
            source=self.source,
            n_dropped=n_bad,
            notes=notes,
            column_indices=chosen,
            spec=self.spec,
            rows=rows,
            sample_weight=sample_weight,
            weight_column=None if weight_index is None else self.columns[weight_index],
            labels=true_labels,
            label_column=None if label_index is None else self.columns[label_index],
        )

    def label_values(self, column: int | str) -> np.ndarray:
        """Every row's label in ``column`` (an object array; ``None`` where it is missing)."""
        index = self._column_index(column)
        if index in self.text:
            cells = self.text[index]
            missing = np.array([cell.strip().lower() in MISSING_MARKERS for cell in cells])
            out = cells.copy()
        else:
            values = self.values[:, index]
            missing = ~np.isfinite(values)
            out = np.empty(len(values), dtype=object)
            out[:] = [int(v) if v.is_integer() else v for v in np.nan_to_num(values).tolist()]
        out[missing] = None
        return out

    def _check_weights(self, weights: np.ndarray, index: int, rows: np.ndarray | None) -> None:
        name = self.columns[index]
        negative = np.flatnonzero(weights < 0)
        if len(negative):
            where = negative if rows is None else rows[negative]
            mask = np.zeros(self.n_rows, dtype=bool)
            mask[where] = True
            raise DataFileError(
                self.source,
                f"weights column '{name}' holds negative weights ({self.describe_rows(mask)}); "
                "weights must be finite and at least 0",
            )
        if not weights.any():
            raise DataFileError(self.source, f"weights column '{name}' holds only zeros")

    def role_notes(self, exclude: Sequence[int] = ()) -> list[str]:
        """Say which numeric columns are not fitted by default, and why (index, labels)."""
        notes = []
        index = [self.columns[i] for i in self.index_columns if i not in exclude]
        labels = [self.columns[i] for i in self.label_columns if i not in exclude]
        if index:
            notes.append(f"not fitted: {_quoted(index)} numbers the rows (an index)")
        if labels:
            notes.append(f"not fitted: {_quoted(labels)} looks like true labels")
        return notes

    def _not_fitted_notes(self, exclude: list[int]) -> list[str]:
        notes = self.role_notes(exclude)
        skipped = [
            name
            for i, name in enumerate(self.columns)
            if not self.numeric[i] and i not in self.label_columns and i not in exclude
        ]
        if skipped:
            notes.append(f"skipped non-numeric columns: {', '.join(skipped)}")
        return notes


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
    rows : ndarray of int or None
        The position of each point among the table's rows (0-based, before dropping); None
        when no row was dropped (the position is then the point's index).
    sample_weight : ndarray, shape (n_samples,), or None
        Each point's weight, from ``weight_column``.
    weight_column : str or None
    labels : ndarray of object, shape (n_samples,), or None
        Each point's true label from ``label_column`` (``None`` where it is missing).
    label_column : str or None
    """

    data: np.ndarray
    columns: list[str]
    source: Path | None = None
    n_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    column_indices: list[int] = field(default_factory=list)
    spec: LoadSpec | None = None
    rows: np.ndarray | None = None
    sample_weight: np.ndarray | None = None
    weight_column: str | None = None
    labels: np.ndarray | None = None
    label_column: str | None = None

    @property
    def n_samples(self) -> int:
        """Number of points."""
        return int(self.data.shape[0])

    def row_positions(self) -> np.ndarray:
        """The position of each point among the table's rows (``rows``, or 0, 1, 2, ...)."""
        return np.arange(self.n_samples) if self.rows is None else self.rows

    @property
    def n_features(self) -> int:
        """Number of dimensions."""
        return int(self.data.shape[1])


def default_column_names(n: int) -> list[str]:
    """Names for the columns of a table without a header: ``x``, ``x, y`` or ``x0, x1, ...``."""
    if n == 1:
        return ["x"]
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


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _too_few_numeric(info: TableInfo, exclude: Sequence[int] = ()) -> str:
    numeric = [info.columns[i] for i in info.numeric_columns]
    text = [info.columns[i] for i in range(len(info.columns)) if not info.numeric[i]]
    if not numeric:
        found = f" (found only text columns: {', '.join(text)})" if text else ""
        return f"no numeric columns{found}"
    return (
        f"no numeric column to fit: {_quoted(numeric)} "
        + ("is" if len(numeric) == 1 else "are")
        + " an index, labels or weights; choose the columns to fit"
    )
