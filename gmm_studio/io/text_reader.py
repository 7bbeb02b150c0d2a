"""Reading CSV, TSV and whitespace-separated text into a `TableInfo`.

The reader sniffs the delimiter and the header row from the first lines, skips ``#``
comments and blank lines, understands quoted fields and a UTF-8 BOM, and falls back to
Windows-1252/Latin-1 (with a note) for text that is not UTF-8. Large plain numeric files
take a fast path through numpy's C parser; anything it cannot read exactly goes through the
careful path, which gives precise messages (line numbers, columns, cells).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import re
import unicodedata
from pathlib import Path

import numpy as np

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.table import (
    MISSING_MARKERS,
    PREVIEW_ROWS,
    LoadSpec,
    ReadOptions,
    TableInfo,
    default_column_names,
    shortened_note,
    unique_names,
)

HEAD_BYTES = 1 << 16
FAST_SNIFF_BYTES = 4096  # enough lines to sniff a plain numeric table
SNIFF_LINES = 200
MAX_PREAMBLE_LINES = 10  # leading lines that may be skipped as a title or notes
SNIFF_CELLS = 10_000  # enough cells to judge a delimiter or a header, even for wide files
DELIMITERS = ("\t", ",", ";", "|", None)  # None = runs of whitespace; ties go to the first
# Spreadsheets write a formula's error as one of these; each is a missing value, not a
# comment, though it starts with '#'.
SPREADSHEET_ERRORS = re.compile(
    r"#(?:N/A(?: N/A)?|NAME\?|NA|DIV/0!|VALUE!|REF!|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)",
    re.IGNORECASE,
)
SPREADSHEET_ERROR_END = frozenset(',;\t|" \r\n')
# "1,5" written by a spreadsheet in a locale with a decimal comma (no thousands separators).
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar", None: "whitespace"}


def decode_text(path: Path | None, raw: bytes) -> tuple[str, str, list[str]]:
    """Decode a text table: UTF-8 (BOM allowed), UTF-16 with a BOM, else Windows-1252/Latin-1.

    Returns
    -------
    text, encoding, notes

    Raises
    ------
    DataFileError
        If the bytes look like binary data rather than text.
    """
    notes: list[str] = []
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", notes
        except UnicodeDecodeError:
            raise DataFileError(path, "not a text table: broken UTF-16 text") from None
    if b"\x00" in raw[:HEAD_BYTES]:
        raise DataFileError(path, "not a text table: it holds binary data")
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError as error:
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
        line = raw.count(b"\n", 0, error.start) + 1
        notes.append(
            f"not UTF-8 (first odd byte on line {line}); read as "
            f"{'Windows-1252' if encoding == 'cp1252' else 'Latin-1'} text"
        )
    if _looks_binary(text[:HEAD_BYTES]):
        raise DataFileError(path, "not a text table: it holds binary data")
    return text, encoding, notes


def _looks_binary(sample: str) -> bool:
    if not sample:
        return False
    controls = sum(
        1
        for ch in sample
        if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
    )
    return controls > max(2, len(sample) // 100)


def _strip_comment(line: str) -> str:
    """``line`` without its ``#`` comment; a spreadsheet error such as ``#N/A`` is a cell."""
    if "#" not in line:
        return line
    in_quotes = False  # a '#' inside a quoted field is data
    for i, ch in enumerate(line):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "#" and not in_quotes and not _spreadsheet_error_at(line, i):
            return line[:i]
    return line


def _spreadsheet_error_at(line: str, i: int) -> bool:
    match = SPREADSHEET_ERRORS.match(line, i)
    if match is None:
        return False
    end = match.end()
    return end == len(line) or line[end] in SPREADSHEET_ERROR_END or line[end].isspace()


def _data_lines(text: str) -> list[tuple[int, str]]:
    """Return (1-based line number, content) of the lines that are neither blank nor comment."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = _strip_comment(line)
        if content.strip():
            out.append((number, content))
    return out


def _split(lines: list[str], delimiter: str | None) -> list[list[str]]:
    return _split_rows(lines, delimiter)[0]


def _split_rows(lines: list[str], delimiter: str | None) -> tuple[list[list[str]], list[int]]:
    """Split ``lines`` into rows of fields, and say which line each row starts on.

    A quoted cell may span lines (``"1\n2"``): it keeps its line break, so it is text, never
    the number 12.
    """
    if delimiter is None:  # quotes around a whole field are dropped, as R writes them
        rows = [[_unquoted(cell) for cell in line.split()] for line in lines]
        return rows, list(range(len(lines)))
    reader = csv.reader(
        (line + "\n" for line in lines), delimiter=delimiter, quotechar='"', skipinitialspace=True
    )
    rows, starts, start = [], [], 0
    for row in reader:
        rows.append([cell.strip() for cell in row])
        starts.append(start)
        start = reader.line_num
    return rows, starts


def _unquoted(cell: str) -> str:
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        return cell[1:-1]
    return cell


def _is_number(cell: str) -> bool:
    return _parse_number(cell) is not None


def _parse_number(cell: str) -> float | None:
    """The number written in ``cell``, or None; Python's ``1_000`` is not a number in a table."""
    if "_" in cell:
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_MARKERS


def numberish(cell: str) -> bool:
    """A number, possibly written with a decimal comma."""
    return _is_number(cell) or DECIMAL_COMMA.match(cell.strip()) is not None


def sniff_delimiter(lines: list[str]) -> str | None:
    """Pick the field separator that splits ``lines`` most consistently into numbers."""
    best, best_score = None, None
    for delimiter in DELIMITERS:
        if delimiter is not None and not any(delimiter in line for line in lines):
            continue
        try:
            rows = _split(lines, delimiter)
        except csv.Error:
            continue
        counts = [len(r) for r in rows]
        if not counts:
            continue
        modal = max(set(counts), key=lambda c: (counts.count(c), c))
        consistent = counts.count(modal) / len(counts)
        cells = _sample_cells(rows[1:]) or _sample_cells(rows)
        numeric = sum(numberish(c) or _is_missing(c) for c in cells) / max(len(cells), 1)
        score = (modal > 1, consistent, numeric, modal)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _sample_cells(rows: list[list[str]]) -> list[str]:
    cells: list[str] = []
    for row in rows:
        cells.extend(row[: SNIFF_CELLS - len(cells)])
        if len(cells) >= SNIFF_CELLS:
            break
    return cells


def detect_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns rather than holding data (judged on its first
    `SNIFF_CELLS` cells)."""
    first = rows[0][:SNIFF_CELLS]
    if any(numberish(c) for c in first if not _is_missing(c)) and all(
        numberish(c) or _is_missing(c) for c in first
    ):
        return False
    if not any(numberish(c) for c in first):
        return True  # no number at all in the first row: names
    # Mixed first row: a header if one of its text cells sits above numbers.
    for j, cell in enumerate(first):
        if numberish(cell) or _is_missing(cell):
            continue
        below = [r[j] for r in rows[1:] if j < len(r) and not _is_missing(r[j])]
        if below and sum(map(numberish, below)) > len(below) / 2:
            return True
    return False


def read_text_table(
    path: Path | None, raw: bytes, kind: str = "text", options: ReadOptions | None = None
) -> TableInfo:
    """Parse the whole of ``raw`` (the bytes of a text table) into a `TableInfo`.

    Parameters
    ----------
    path : pathlib.Path or None
    raw : bytes
    kind : {"text", "pasted"}
    options : ReadOptions, optional
        Lines to skip and whether there is a header; by default both are found from the text.
    """
    options = options or ReadOptions()
    if not raw.strip():
        raise DataFileError(path, "the file is empty" if kind == "text" else "nothing to paste")
    text, encoding, notes = decode_text(path, raw)
    numbered = _data_lines(text)
    if options.skip_rows:
        numbered = [(n, c) for n, c in numbered if n > options.skip_rows]
    if not numbered:
        raise DataFileError(path, "holds only comments or blank lines, no data")
    line_numbers = [n for n, _ in numbered]
    contents = [c for _, c in numbered]
    delimiter = sniff_delimiter(contents[:SNIFF_LINES])
    try:
        rows, starts = _split_rows(contents, delimiter)
    except csv.Error as error:
        raise DataFileError(path, f"cannot split the text into fields ({error})") from None
    if len(starts) != len(line_numbers):
        line_numbers = [line_numbers[i] for i in starts]
    spec = LoadSpec(kind=kind, delimiter=delimiter, encoding=encoding)
    return table_from_rows(
        path, rows, line_numbers, options=options, notes=notes, spec=spec,
        decimal_comma=delimiter != ",",
    )  # fmt: skip


def table_from_rows(
    path: Path | None,
    rows: list[list[str]],
    line_numbers: list[int],
    *,
    options: ReadOptions,
    notes: list[str],
    spec: LoadSpec,
    decimal_comma: bool = False,
    unit: str = "line",
    pad_short: bool = False,
) -> TableInfo:
    """Build a `TableInfo` from rows of cells as text: skip a preamble, find the header,
    convert the columns.

    Parameters
    ----------
    path : pathlib.Path or None
    rows : list of list of str
    line_numbers : list of int
        Where each row is in the file (1-based), for messages.
    options : ReadOptions
    notes : list of str
        Notes so far (this function adds its own).
    spec : LoadSpec
        How the cells were read; ``skip_lines`` and ``decimal_comma`` are filled in here.
    decimal_comma : bool
        Whether ``1,5`` may be a number (not when the comma separates fields).
    unit : {"line", "row"}
        What a position in ``line_numbers`` is called in messages.
    pad_short : bool
        Fill short rows with empty cells (a sheet's trailing empty cells), instead of
        refusing them as ragged.
    """
    names_hint = None
    if options.skip_rows is None:
        rows, line_numbers, names_hint, preamble_notes = _skip_preamble(rows, line_numbers, unit)
        notes.extend(preamble_notes)
    if names_hint is not None:
        has_header = False
    elif options.header is None:
        has_header = detect_header(rows[: SNIFF_LINES + 1])
    else:
        has_header = options.header
    if has_header:
        header, header_line = rows[0], line_numbers[0]
        rows, line_numbers = rows[1:], line_numbers[1:]
        if rows and len(header) == len(rows[0]) - 1:
            header = ["", *header]  # R's write.table: no name above the row names
    else:
        header, header_line = None, line_numbers[0] - 1
    if options.first_data_row is not None:
        keep = [i for i, n in enumerate(line_numbers) if n >= options.first_data_row]
        rows, line_numbers = [rows[i] for i in keep], [line_numbers[i] for i in keep]
    if not rows:
        if header is not None:
            raise DataFileError(path, "has a header row but no data rows")
        raise DataFileError(path, "holds no data rows")
    width = len(header) if header is not None else len(rows[0])
    rows = _check_ragged(
        path, rows, line_numbers, width, header is not None, header_line, unit, pad_short
    )
    if header is not None:
        names = unique_names(header)
        notes.extend(shortened_note(header))
    else:
        names = names_hint or default_column_names(width)
    values, numeric, problems, comma_columns = _convert_columns(
        names, rows, line_numbers, decimal_comma=decimal_comma, unit=unit
    )
    if comma_columns:
        notes.append(f"read decimal commas in {', '.join(names[j] for j in comma_columns)}")
    spec = dataclasses.replace(
        spec,
        skip_lines=header_line if header is not None else line_numbers[0] - 1,
        decimal_comma=bool(comma_columns),
    )
    text_cells = {
        j: np.array([r[j] for r in rows], dtype=object) for j in range(width) if not numeric[j]
    }
    return TableInfo(
        source=path,
        columns=names,
        numeric=numeric,
        values=values,
        preview=[list(r) for r in rows[:PREVIEW_ROWS]],
        has_header=header is not None,
        notes=notes,
        spec=spec,
        column_problems=problems,
        lines=np.asarray(line_numbers, dtype=np.int64),
        text=text_cells,
        line_word=unit,
    )


def _skip_preamble(rows, line_numbers, unit="line"):
    """Drop leading lines that are not part of the table: scikit-learn's count line
    (``178,13,class_0,class_1,class_2``), a title, notes with a different number of fields.

    Returns
    -------
    rows, line_numbers, names or None, notes
        ``names`` when scikit-learn's count line says the file has no header (its last
        column is then called ``target``).
    """
    sample = [len(r) for r in rows[:SNIFF_LINES]]
    width = max(set(sample), key=lambda c: (sample.count(c), c))
    first = rows[0]
    shown = _shown_line(first)
    if (
        len(rows) > 1
        and len(first) > 2
        and first[0].isdigit()
        and first[1].isdigit()
        and int(first[0]) == len(rows) - 1
        and int(first[1]) in (width, width - 1)
        and not any(numberish(c) or _is_missing(c) for c in first[2:])
        and all(len(r) == width for r in rows[1:SNIFF_LINES])
    ):
        names = default_column_names(width)
        if int(first[1]) == width - 1:
            names[-1] = "target"
        note = (
            f"skipped {unit} {line_numbers[0]} ('{shown}'): scikit-learn's count of "
            f"{first[0]} rows and {first[1]} features"
        )
        return rows[1:], line_numbers[1:], names, [note]
    n = 0
    while n < min(MAX_PREAMBLE_LINES, len(rows) - 1) and len(rows[n]) != width:
        n += 1
    if n == 0 or len(rows[n]) != width:
        return rows, line_numbers, None, []
    if (
        len(rows[n - 1]) == width - 1
        and not any(numberish(c) for c in rows[n - 1])
        and any(numberish(c) for c in rows[n])
    ):
        n -= 1  # a header with no name above the row names, as R writes it
        if n == 0:
            return rows, line_numbers, None, []
    which = (
        f"{unit} {line_numbers[0]}"
        if n == 1
        else f"{unit}s {line_numbers[0]}–{line_numbers[n - 1]}"
    )
    note = (
        f"skipped {which} above the table ('{shown}'"
        + (", ..." if n > 1 else "")
        + f"): fewer or more fields than the {width} columns below"
    )
    return rows[n:], line_numbers[n:], None, [note]


def _shown_line(row: list[str], limit: int = 60) -> str:
    text = ",".join(row[:limit])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_ragged(path, rows, line_numbers, width, from_header, header_line, unit, pad_short):
    out = rows
    for i, row in enumerate(rows):
        if len(row) == width:
            continue
        if len(row) > width and not any(row[width:]):
            row = row[:width]  # trailing separators only
        elif len(row) < width and pad_short:
            row = row + [""] * (width - len(row))
        else:
            if from_header:
                expected = f"the header ({unit} {header_line}) has {width}"
            else:
                expected = f"{unit} {line_numbers[0]} has {width}"
            fields = "field" if len(row) == 1 else "fields"
            raise DataFileError(
                path,
                f"ragged rows: {unit} {line_numbers[i]} has {len(row)} {fields} but {expected}",
            )
        if out is rows:
            out = list(rows)
        out[i] = row
    return out


def _decimal_comma_column(cells: list[str]) -> np.ndarray | None:
    """The column's numbers if every cell is missing, a number or a decimal-comma number."""
    out = np.full(len(cells), np.nan)
    seen_comma = False
    for i, cell in enumerate(cells):
        text = cell.strip()
        if _is_missing(text):
            continue
        if DECIMAL_COMMA.match(text):
            text, seen_comma = text.replace(",", "."), True
        number = _parse_number(text)
        if number is None:
            return None
        out[i] = number
    return out if seen_comma else None


def _convert_columns(names, rows, line_numbers, decimal_comma=False, unit="line"):
    n, width = len(rows), len(names)
    values = np.full((n, width), np.nan)
    numeric = [False] * width
    problems: dict[int, str] = {}
    comma_columns: list[int] = []
    for j in range(width):
        cells = [r[j] for r in rows]
        try:
            column = np.array(cells, dtype=np.float64)
        except ValueError:
            column = None
        if column is not None and any("_" in cell for cell in cells):
            column = None  # numpy, like float(), reads 1_000 as 1000
        if column is not None:
            values[:, j] = column
            numeric[j] = True
            continue
        if decimal_comma:
            column = _decimal_comma_column(cells)
            if column is not None:
                values[:, j] = column
                numeric[j] = True
                comma_columns.append(j)
                continue
        numbers = np.full(n, np.nan)
        n_numbers, first_text = 0, None
        n_text = 0
        for i, cell in enumerate(cells):
            if _is_missing(cell):
                continue
            number = _parse_number(cell)
            if number is not None:
                numbers[i] = number
                n_numbers += 1
            else:
                n_text += 1
                if first_text is None:
                    first_text = i
        if n_numbers and n_numbers >= n_text:
            values[:, j] = numbers
            numeric[j] = True
            if first_text is not None:
                cell = cells[first_text]
                cell = cell.replace("\n", "\\n")
                shown = cell if len(cell) <= 40 else cell[:37] + "..."
                extra = f" (and {n_text - 1} more)" if n_text > 1 else ""
                problems[j] = (
                    f"text in numeric column '{names[j]}': {unit} {line_numbers[first_text]} "
                    f"holds '{shown}', not a number{extra}"
                )
    return values, numeric, problems, comma_columns


def try_fast_text(path: Path, head: bytes, size: int) -> TableInfo | None:
    """Read a large plain numeric table with numpy's C parser, or return None to fall back.

    Only used when the first ``FAST_SNIFF_BYTES`` decode as UTF-8 and hold nothing but a
    header (quoted or not), comments and complete numeric rows without quotes; any surprise
    further down makes ``np.loadtxt`` fail and the careful path takes over.
    """
    if size <= len(head) or b"\x00" in head:
        return None
    head = head[:FAST_SNIFF_BYTES]
    cut = head.rfind(b"\n")
    if cut <= 0:
        return None
    try:
        text = head[:cut].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    numbered = _data_lines(text)
    if len(numbered) < 2:
        return None
    contents = [c for _, c in numbered]
    delimiter = sniff_delimiter(contents[:SNIFF_LINES])
    rows = _split(contents, delimiter)
    has_header = detect_header(rows[: SNIFF_LINES + 1])
    body = rows[1:] if has_header else rows
    width = len(rows[0])
    if not body:
        return None
    if has_header and all(cell.isdigit() for cell in rows[0][:2]):
        return None  # perhaps scikit-learn's count line: the careful path decides
    # Quotes are fine in a header (skipped by loadtxt), not in the numbers: loadtxt is run
    # without quote handling, so quoted data goes through the careful path.
    quoted_lines = contents[1:] if has_header and delimiter is not None else contents
    if any('"' in line for line in quoted_lines):
        return None
    for row in body:
        if len(row) != width or not all(_is_number(c) for c in row):
            return None
    # Lines above the first row are skipped; further down, a '#' makes loadtxt fail and the
    # careful path decide, since "#N/A" at the start of a row is a missing value.
    skip = numbered[0][0] if has_header else numbered[0][0] - 1
    try:
        values = np.loadtxt(
            path,
            delimiter=delimiter,
            skiprows=skip,
            comments=None,
            encoding="utf-8-sig",
            ndmin=2,
            dtype=np.float64,
        )
    except (ValueError, MemoryError):
        return None
    if values.shape[1] != width:
        return None
    names = unique_names(rows[0]) if has_header else default_column_names(width)
    if has_header and shortened_note(rows[0]):
        return None  # the careful path says so
    return TableInfo(
        source=path,
        columns=names,
        numeric=[True] * width,
        values=values,
        preview=[list(r) for r in body[:PREVIEW_ROWS]],
        has_header=has_header,
        notes=[],
        spec=LoadSpec(
            kind="text",
            delimiter=delimiter,
            skip_lines=skip,
            encoding="utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8",
        ),
    )
