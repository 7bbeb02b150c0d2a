"""Reading the first (or a chosen) worksheet of an Excel ``.xlsx`` workbook, via openpyxl.

Cells are turned into the text the sheet shows for them (numbers exactly, through ``repr``)
and read like the rows of a text table: the same preamble, header, index and label rules.
"""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import available_memory, format_size, os_error_problem
from gmm_studio.io.optional import import_optional
from gmm_studio.io.table import LoadSpec, ReadOptions, TableInfo
from gmm_studio.io.text_reader import SNIFF_LINES, numberish, table_from_rows

WORKBOOK_PART = "xl/workbook.xml"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and other Office files)
CELL_BYTES = 120  # memory one cell takes while it is read (measured: about 100 bytes)


def is_workbook(path: Path) -> bool:
    """Whether the zip archive at ``path`` is an Office Open XML workbook."""
    try:
        with zipfile.ZipFile(path) as archive:
            return WORKBOOK_PART in archive.namelist()
    except Exception:  # any zip this cannot open (an unsupported zip version, say) is no
        return False  # workbook; the .npz reader then says what is wrong with it


def read_xlsx(path: Path, options: ReadOptions | None = None) -> TableInfo:
    """Read one worksheet of a workbook into a `TableInfo`.

    Raises
    ------
    DataFileError
        If openpyxl is missing, the workbook is damaged, the sheet does not exist or holds
        nothing, or the sheet is too large for the memory available.
    """
    options = options or ReadOptions()
    openpyxl = import_optional("openpyxl", "xlsx", ".xlsx workbooks", path)
    try:
        stream = open(path, "rb")  # a file object: openpyxl refuses names other than .xlsx
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    with stream:
        try:
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many types for a damaged file
            raise DataFileError(
                path, f"not a readable .xlsx workbook ({type(error).__name__})"
            ) from None
        try:
            sheets = tuple(book.sheetnames)
            sheet = _sheet(path, book, options.sheet)
            rows, numbers = _cells(path, sheet, options.skip_rows or 0)
            skipped = []
            if options.sheet is None:  # the first sheet with numbers: a read-me sheet is passed
                for other in book.worksheets[1:]:
                    if any(map(numberish, (c for row in rows[:SNIFF_LINES] for c in row))):
                        break
                    skipped.append(sheet.title)
                    sheet = other
                    rows, numbers = _cells(path, sheet, options.skip_rows or 0)
            title = sheet.title
        finally:
            book.close()
    if not rows:
        raise DataFileError(path, f"sheet '{title}' holds no data")
    notes = [] if len(sheets) == 1 else [f"read sheet '{title}' of {len(sheets)}"]
    if skipped:
        notes.append(f"passed over sheets without numbers: {', '.join(skipped)}")
    return table_from_rows(
        path, rows, numbers, options=options, notes=notes,
        spec=LoadSpec(kind="xlsx", sheet=title, sheets=sheets), unit="row", pad_short=True,
    )  # fmt: skip


def _sheet(path: Path, book, which):
    names = book.sheetnames
    if which is None:
        return book.worksheets[0]
    if isinstance(which, int):
        if not 0 <= which < len(names):
            raise DataFileError(
                path, f"no sheet {which}: the workbook has {len(names)} (0 to {len(names) - 1})"
            )
        return book.worksheets[which]
    if which not in names:
        raise DataFileError(path, f"no sheet named '{which}' (sheets: {', '.join(names)})")
    return book[which]


def _cells(path: Path, sheet, skip: int) -> tuple[list[list[str]], list[int]]:
    """The sheet's non-empty rows as text (trailing empty cells dropped) and their numbers."""
    available = available_memory()
    budget = None if available is None else available // CELL_BYTES
    rows, numbers, n_cells = [], [], 0
    try:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number <= skip:
                continue
            cells = [_text(value) for value in row]
            while cells and not cells[-1].strip():
                cells.pop()
            if not cells:
                continue
            n_cells += len(cells)
            if budget is not None and n_cells > budget:
                raise DataFileError(
                    path,
                    f"too large to load: sheet '{sheet.title}' needs more than "
                    f"{format_size(available)} of memory",
                )
            rows.append(cells)
            numbers.append(number)
    except DataFileError:
        raise
    except Exception as error:
        raise DataFileError(path, f"damaged .xlsx workbook ({type(error).__name__})") from None
    return rows, numbers


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()
