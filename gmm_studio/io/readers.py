"""The one import path for point data: text tables, ``.npy``/``.npz``, ``.xlsx``, ``.parquet``
and pasted text."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gmm_studio.io.array_reader import NPY_MAGIC, ZIP_MAGIC, read_npy, read_npz
from gmm_studio.io.column_roles import detect_roles
from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import (
    TEXT_MEMORY_FACTOR,
    check_fits_in_memory,
    check_regular_file,
    read_all,
    read_head,
)
from gmm_studio.io.parquet_reader import PARQUET_MAGIC, read_parquet
from gmm_studio.io.table import PointTable, ReadOptions, TableInfo
from gmm_studio.io.text_reader import HEAD_BYTES, read_text_table, try_fast_text
from gmm_studio.io.xlsx_reader import OLE2_MAGIC, is_workbook, read_xlsx


def inspect_table(path: str | os.PathLike[str], options: ReadOptions | None = None) -> TableInfo:
    """Read a data file and describe it: columns, which are numeric, a preview, incomplete rows.

    The format is recognised from the content, not the name: numpy's magic bytes, a zip
    archive holding ``xl/workbook.xml`` (a workbook) or arrays (``.npz``), Parquet's ``PAR1``;
    anything else is read as CSV, TSV or whitespace-separated text.

    Parameters
    ----------
    path : str or os.PathLike
    options : ReadOptions, optional
        Rows to skip, whether there is a header, which sheet (by default all are found from
        the content).

    Returns
    -------
    TableInfo
        With its index and label columns marked (see `detect_roles`).

    Raises
    ------
    DataFileError
        For every problem the user can fix: a missing file, a folder, no permission, an empty
        or binary file, a header without rows, fewer than two numeric columns, ragged rows, a
        damaged numpy file, pickled objects, a file too large for the memory available, ...
    """
    path = Path(path)
    size = check_regular_file(path)
    head = read_head(path, HEAD_BYTES)
    suffix = path.suffix.lower()
    if head.startswith(NPY_MAGIC):
        info = read_npy(path)
    elif head.startswith(ZIP_MAGIC) and is_workbook(path):
        info = read_xlsx(path, options)
    elif head.startswith(PARQUET_MAGIC):
        info = read_parquet(path)
    elif head.startswith(OLE2_MAGIC):
        raise DataFileError(
            path, "an old-style Excel (.xls) or other Office file: save it as .xlsx or CSV"
        )
    elif suffix == ".xlsx":
        raise DataFileError(path, "not a valid .xlsx workbook (it is not a zip archive)")
    elif suffix == ".parquet":
        raise DataFileError(path, "not a valid .parquet file (it does not start with PAR1)")
    elif head.startswith(ZIP_MAGIC) or suffix == ".npz":
        info = read_npz(path)
    elif suffix == ".npy":
        raise DataFileError(path, "not a valid .npy file (it does not start with numpy's header)")
    else:
        if not head.strip():
            raise DataFileError(path, "the file is empty")
        check_fits_in_memory(path, size * TEXT_MEMORY_FACTOR)
        info = None
        try:
            if options is None or options == ReadOptions():
                info = try_fast_text(path, head, size)
            if info is None:
                info = read_text_table(path, read_all(path), options=options)
        except MemoryError:
            raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    if info.n_rows == 0:
        raise DataFileError(path, "holds no data rows")
    _check_options_apply(info, options)
    return _checked(info)


def _check_options_apply(info: TableInfo, options: ReadOptions | None) -> None:
    """Refuse reading options the file's format has no use for, rather than ignore them."""
    if options is None:
        return
    kind = info.spec.kind
    rows = (options.skip_rows, options.header, options.first_data_row) != (None, None, None)
    if rows and kind not in ("text", "xlsx"):
        raise DataFileError(
            info.source,
            f"rows to skip and the header row apply to text files and workbooks, not to "
            f"{kind} files",
        )
    if options.sheet is not None and kind != "xlsx":
        raise DataFileError(info.source, "not a workbook, so it has no sheets to choose from")


def _checked(info: TableInfo) -> TableInfo:
    if not info.numeric_columns:
        info.resolve_columns(None)  # raises the precise "no numeric columns" message
    return detect_roles(info)


def read_points(
    path: str | os.PathLike[str],
    columns: Sequence[int | str] | None = None,
    drop_incomplete: bool = True,
    *,
    options: ReadOptions | None = None,
    weights: int | str | None = None,
    labels: int | str | None = None,
) -> PointTable:
    """Read the points of a data file.

    Parameters
    ----------
    path : str or os.PathLike
    columns : sequence of int or str, optional
        Columns to keep, by name or 0-based index among all the file's columns; by default
        every numeric column that is neither an index nor true labels (the others are
        skipped with a note).
    drop_incomplete : bool
        Drop rows with missing or non-finite values and count them in ``n_dropped``; when
        False, such rows raise `DataFileError`.
    options : ReadOptions, optional
        Rows to skip, header, sheet.
    weights, labels : int or str, optional
        A column of sample weights, and one of true labels (see `TableInfo.select`).

    Returns
    -------
    PointTable

    Raises
    ------
    DataFileError
        See `inspect_table`; also for unknown, repeated or non-numeric columns and bad weights.
    """
    return inspect_table(path, options).select(
        columns, drop_incomplete=drop_incomplete, weights=weights, labels=labels
    )


def inspect_pasted_text(text: str) -> TableInfo:
    """Describe tabular text pasted from the clipboard (like `inspect_table`)."""
    if not isinstance(text, str):
        raise TypeError("pasted text must be a str")
    return _checked(read_text_table(None, text.encode("utf-8"), kind="pasted"))


def parse_pasted_text(
    text: str, columns: Sequence[int | str] | None = None, drop_incomplete: bool = True
) -> PointTable:
    """Read points from text copied from a spreadsheet or a text editor.

    Tabs, commas, semicolons or spaces separate the fields; a header row is optional.

    Raises
    ------
    DataFileError
        With ``path=None`` (shown as "pasted text") for text that holds no usable points.
    """
    return inspect_pasted_text(text).select(columns, drop_incomplete=drop_incomplete)
