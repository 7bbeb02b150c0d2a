"""Reading numpy ``.npy`` and ``.npz`` files into a `TableInfo`, never unpickling anything.

Whatever is wrong with a file (damaged, truncated, encrypted, hostile), reading it raises
`DataFileError`: each array's header is checked before its data is read, and no more is ever
inflated from an ``.npz`` archive than its headers declare, which is checked first against the
memory available and against the archive's own size (a zip bomb is refused before inflating).
"""

from __future__ import annotations

import ast
import io
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import (
    BINARY_MEMORY_FACTOR,
    check_fits_in_memory,
    format_size,
    os_error_problem,
)
from gmm_studio.io.table import PREVIEW_ROWS, LoadSpec, TableInfo, default_column_names

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
PREFERRED_NPZ_KEYS = ("X", "x", "data", "points")
#: Longest ``.npy`` header read (numpy writes a few hundred bytes; a record array with
#: thousands of named fields needs more than numpy's own 10,000-character default).
MAX_HEADER_BYTES = 1 << 20
#: Longest header numpy may parse as written by Python 2.
PY2_HEADER_BYTES = 4096
#: An ``.npz`` archive may hold at most this many times its own size once inflated, plus
#: `INFLATE_ALLOWANCE` bytes. Numeric data deflate by a few times; a larger ratio means a zip
#: bomb (highly repetitive data made to exhaust memory).
MAX_INFLATE_RATIO = 200
INFLATE_ALLOWANCE = 64 << 20
#: Compression methods numpy's savez / savez_compressed and common zip tools use.
READABLE_COMPRESSION = (
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
)
#: At most this many array names in a message.
NAMES_SHOWN = 5


def _npy_header(path: Path, f, what: str | None = None) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Read a ``.npy`` header from ``f``, never more than `MAX_HEADER_BYTES` of it.

    ``what`` names the array inside an archive (``None`` for a ``.npy`` file itself).
    """

    def invalid(detail: str) -> DataFileError:
        subject = "not a valid .npy file" if what is None else f"{what} is not a valid .npy array"
        return DataFileError(path, f"{subject} ({detail})")

    start = f.read(len(NPY_MAGIC) + 2)
    if len(start) < len(NPY_MAGIC) + 2 or not start.startswith(NPY_MAGIC):
        raise invalid("it does not start with numpy's header")
    major = start[-2]
    length_bytes = 2 if major == 1 else 4
    length_field = f.read(length_bytes)
    if major not in (1, 2, 3) or len(length_field) < length_bytes:
        raise invalid("unknown or truncated header")
    (length,) = struct.unpack("<H" if length_bytes == 2 else "<I", length_field)
    if length > MAX_HEADER_BYTES:
        raise invalid(f"its header claims {format_size(length)}, too large to be a real one")
    header = f.read(length)
    if len(header) < length:
        raise invalid("it ends inside its header")
    if length > PY2_HEADER_BYTES:
        # numpy retries a header Python cannot parse with a Python 2 tokenizer, which needs
        # hundreds of times the header's size: only for headers as short as Python 2 wrote.
        try:
            ast.literal_eval(header.decode("utf-8" if major == 3 else "latin-1"))
        except Exception as error:  # SyntaxError, ValueError, RecursionError, MemoryError...
            raise invalid(f"bad header: {_describe(error)}") from None
    buffer = io.BytesIO(start + length_field + header)
    try:
        version = np.lib.format.read_magic(buffer)
        reader = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = reader(buffer, max_header_size=MAX_HEADER_BYTES)
    except Exception as error:  # numpy raises many kinds for a hostile header
        raise invalid(f"bad header: {_describe(error)}") from None
    if any(n < 0 for n in shape):
        raise invalid(f"negative shape {shape}")
    subject = "the array" if what is None else what
    if dtype.hasobject:
        raise DataFileError(
            path,
            f"{subject} holds Python objects (pickled data), which GMM Studio never loads "
            "because unpickling can run arbitrary code",
        )
    if dtype.itemsize == 0:
        raise invalid(f"its values have size zero ({dtype})")
    return shape, fortran, dtype


def _data_bytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return math.prod(shape) * dtype.itemsize


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def read_npy(path: Path) -> TableInfo:
    """Read a ``.npy`` file holding a 2-D numeric array or a 1-D record array.

    Raises
    ------
    DataFileError
        For every problem reading it.
    """
    try:
        array = _read_npy_array(path)
    except DataFileError:
        raise
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    except MemoryError:
        raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    except Exception as error:  # a file can make numpy fail in ways not listed anywhere
        raise DataFileError(path, f"damaged .npy file ({_describe(error)})") from None
    columns, values, numeric = _table_from_array(path, array, "the array")
    spec = LoadSpec(kind="npy", record=bool(array.dtype.names))
    return _info(path, columns, values, numeric, spec)


def _read_npy_array(path: Path) -> np.ndarray:
    with open(path, "rb") as f:
        shape, fortran, dtype = _npy_header(path, f)
        n_bytes = _data_bytes(shape, dtype)
        # A valid header of a plain float64 table: memory-mapped, read as the fit goes (no
        # copy, and larger than memory is fine). Everything else is read into memory.
        mapped = len(shape) == 2 and dtype == np.float64 and not fortran and n_bytes > 0
        if not mapped:
            factor = max(8 / dtype.itemsize, 1.0) * BINARY_MEMORY_FACTOR
            check_fits_in_memory(path, n_bytes * factor)
        if n_bytes > os.fstat(f.fileno()).st_size - f.tell():
            raise DataFileError(
                path, "damaged or truncated .npy file (it ends before its data does)"
            )
        if mapped:
            return np.memmap(f, dtype=dtype, mode="r", offset=f.tell(), shape=shape)
        array = np.fromfile(f, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran else "C")


def read_npz(path: Path) -> TableInfo:
    """Read a ``.npz`` archive: one 2-D array, a preferred key (``X``, ``data``, ``points``),
    or several 1-D arrays of equal length stacked as named columns.

    Raises
    ------
    DataFileError
        For every problem reading it, including a zip bomb (refused before inflating).
    """
    try:
        arrays = _read_npz_arrays(path)
    except DataFileError:
        raise
    except MemoryError:
        raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DataFileError(
            path, f"damaged or truncated .npz archive ({_describe(error)})"
        ) from None
    except NotImplementedError as error:  # zipfile: a zip version or feature it lacks
        raise DataFileError(
            path, f"the .npz archive uses a zip feature GMM Studio cannot read ({error})"
        ) from None
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    except Exception as error:  # a file can make zipfile fail in ways not listed anywhere
        raise DataFileError(path, f"damaged .npz archive ({_describe(error)})") from None
    keys, columns, values, numeric = _choose_npz_arrays(path, arrays)
    record = len(keys) == 1 and bool(arrays[keys[0]].dtype.names)
    spec = LoadSpec(kind="npz", npz_keys=keys, record=record)
    return _info(path, columns, values, numeric, spec)


def _read_npz_arrays(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as raw:
        archive_size = os.fstat(raw.fileno()).st_size
        try:
            archive = zipfile.ZipFile(raw)
        except zipfile.BadZipFile:
            raise DataFileError(
                path, "damaged or truncated .npz archive (not a readable zip file)"
            ) from None
        with archive:
            members = [m for m in archive.infolist() if m.filename.endswith(".npy")]
            if not members:
                raise DataFileError(path, "the .npz archive holds no arrays")
            for member in members:
                _check_member_readable(path, member)
            headers = [_member_header(path, archive, m) for m in members]
            inflated = sum(_data_bytes(shape, dtype) for shape, _, dtype in headers)
            as_float = sum(
                _data_bytes(shape, dtype) * max(8 / dtype.itemsize, 1.0)
                for shape, _, dtype in headers
            )
            limit = MAX_INFLATE_RATIO * archive_size + INFLATE_ALLOWANCE
            if inflated > limit:
                raise DataFileError(
                    path,
                    f"refused: the .npz archive would expand to {format_size(inflated)}, more "
                    f"than {MAX_INFLATE_RATIO} times its own {format_size(archive_size)} "
                    "(a zip bomb, or not numpy data)",
                )
            check_fits_in_memory(path, as_float * BINARY_MEMORY_FACTOR)
            return {
                _member_key(m): _read_member(path, archive, m, header)
                for m, header in zip(members, headers, strict=True)
            }


def _member_key(member: zipfile.ZipInfo) -> str:
    return member.filename[: -len(".npy")]


def _check_member_readable(path: Path, member: zipfile.ZipInfo) -> None:
    if member.flag_bits & 0x1:
        raise DataFileError(
            path,
            f"the .npz archive is encrypted ({_array_label(member)}); GMM Studio cannot read it",
        )
    if member.compress_type not in READABLE_COMPRESSION:
        raise DataFileError(
            path,
            f"{_array_label(member)} uses a compression method GMM Studio cannot read "
            f"(zip method {member.compress_type}; numpy writes stored or deflated arrays)",
        )


def _member_header(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo):
    with archive.open(member) as f:
        return _npy_header(path, f, _array_label(member))


def _read_member(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, header):
    shape, fortran, dtype = header
    what = _array_label(member)
    with archive.open(member) as f:
        _npy_header(path, f, what)  # skip it: the stream cannot seek cheaply
        array = np.empty(math.prod(shape), dtype=dtype)
        view = memoryview(array.view(np.uint8))
        filled = 0
        while filled < len(view):  # inflate exactly the declared bytes, never more
            n = f.readinto(view[filled:])
            if not n:
                raise DataFileError(path, f"damaged or truncated .npz archive ({what} ends early)")
            filled += n
    return array.reshape(shape, order="F" if fortran else "C")


def _short(name: str) -> str:
    return repr(name if len(name) <= 40 else name[:40] + "…")


def _array_label(member: zipfile.ZipInfo) -> str:
    return f"array {_short(_member_key(member))}"


def _name_list(names) -> str:
    """``'a', 'b', 'c', 'd', 'e' and 2,995 more``: a short list however many names there are."""
    names = sorted(names)
    shown = ", ".join(_short(n) for n in names[:NAMES_SHOWN])
    rest = len(names) - NAMES_SHOWN
    return f"{shown} and {rest:,} more" if rest > 0 else shown


def _choose_npz_arrays(path, arrays):
    names = None
    if "columns" in arrays and arrays["columns"].dtype.kind == "U":
        names = [str(s) for s in arrays.pop("columns").ravel()]
    two_d = {k: a for k, a in arrays.items() if a.ndim == 2 or a.dtype.names}
    for key in PREFERRED_NPZ_KEYS:
        if key in two_d:
            two_d = {key: two_d[key]}
            break
    if len(two_d) == 1:
        key, array = next(iter(two_d.items()))
        columns, values, numeric = _table_from_array(path, array, f"array {_short(key)}")
        if names is not None and len(names) == len(columns):
            columns = names
        return (key,), columns, values, numeric
    if len(two_d) > 1:
        raise DataFileError(
            path,
            f"the .npz archive holds several 2-D arrays ({len(two_d):,}: {_name_list(two_d)}); "
            f"name the one to use X, data or points",
        )
    one_d = {k: a for k, a in arrays.items() if a.ndim == 1}
    if not one_d:
        dims = sorted({a.ndim for a in arrays.values()})
        shapes = " and ".join(f"{d}-D" for d in dims)
        raise DataFileError(
            path,
            f"the .npz archive holds no table: its arrays ({_name_list(arrays)}) are "
            f"{shapes}, not 2-D tables or 1-D columns",
        )
    lengths = {len(a) for a in one_d.values()}
    if len(lengths) != 1:
        raise DataFileError(
            path,
            f"the .npz archive's 1-D arrays ({_name_list(one_d)}) have different lengths "
            f"({', '.join(f'{n:,}' for n in sorted(lengths)[:NAMES_SHOWN])}"
            f"{', ...' if len(lengths) > NAMES_SHOWN else ''}), so they are not columns",
        )
    keys = tuple(one_d)
    columns = list(keys)
    numeric = [_numeric_dtype(a.dtype) for a in one_d.values()]
    n = lengths.pop()
    values = np.full((n, len(keys)), np.nan)
    for j, a in enumerate(one_d.values()):
        if numeric[j]:
            values[:, j] = a
    return keys, columns, values, numeric


def _numeric_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "biuf"


def _table_from_array(path, array, what):
    if array.dtype.names:  # a record array: one column per field
        if array.ndim != 1:
            array = array.reshape(-1)
        columns = list(array.dtype.names)
        numeric = [_numeric_dtype(array.dtype[name]) for name in columns]
        values = np.full((array.shape[0], len(columns)), np.nan)
        for j, name in enumerate(columns):
            if numeric[j] and array.dtype[name].shape == ():
                values[:, j] = array[name]
            else:
                numeric[j] = False
        return columns, values, numeric
    if array.ndim == 1:
        if not _numeric_dtype(array.dtype):
            raise DataFileError(path, f"no numeric columns ({what} holds {array.dtype} values)")
        raise DataFileError(
            path,
            f"needs at least 2 numeric columns but {what} is 1-D ({array.shape[0]} values, "
            "one column)",
        )
    if array.ndim != 2:
        raise DataFileError(
            path, f"{what} has {array.ndim} dimensions; expected a table (2-D array)"
        )
    if not _numeric_dtype(array.dtype):
        raise DataFileError(path, f"no numeric columns ({what} holds {array.dtype} values)")
    values = np.asarray(array, dtype=np.float64)  # a float64 array (or memory map) as it is
    return default_column_names(array.shape[1]), values, [True] * array.shape[1]


def _info(path, columns, values, numeric, spec) -> TableInfo:
    preview = [[_fmt(v) for v in row] for row in values[:PREVIEW_ROWS]]
    return TableInfo(
        source=path,
        columns=[str(c) for c in columns],
        numeric=numeric,
        values=values,
        preview=preview,
        has_header=False,
        notes=[],
        spec=spec,
    )


def _fmt(value: float) -> str:
    return repr(float(value)) if np.isfinite(value) else str(value)
