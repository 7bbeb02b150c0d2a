"""Reading numpy ``.npy`` and ``.npz`` files into a `TableInfo`, never unpickling anything."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import BINARY_MEMORY_FACTOR, check_fits_in_memory, os_error_problem
from gmm_studio.io.table import PREVIEW_ROWS, LoadSpec, TableInfo, default_column_names

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
PREFERRED_NPZ_KEYS = ("X", "x", "data", "points")


def _npy_header(path: Path, f) -> tuple[tuple[int, ...], np.dtype]:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    except (ValueError, EOFError, OSError, SyntaxError, TypeError, KeyError) as error:
        raise DataFileError(path, f"not a valid .npy file ({error})") from None
    return shape, dtype


def _refuse_objects(path: Path, dtype: np.dtype, what: str = "the array") -> None:
    if dtype.hasobject:
        raise DataFileError(
            path,
            f"{what} holds Python objects (pickled data), which GMM Studio never loads "
            "because unpickling can run arbitrary code",
        )


def read_npy(path: Path) -> TableInfo:
    """Read a ``.npy`` file holding a 2-D numeric array or a 1-D record array."""
    try:
        with open(path, "rb") as f:
            shape, dtype = _npy_header(path, f)
            _refuse_objects(path, dtype)
            if len(shape) == 2 and dtype == np.float64:
                # Memory-mapped, read as the fit goes: no copy, and larger than memory is fine.
                f.close()
                array = np.load(path, mmap_mode="r", allow_pickle=False)
                if not array.flags.c_contiguous:  # Fortran order: rows are not contiguous
                    array = np.ascontiguousarray(array)
            else:
                n_bytes = int(np.prod(shape, dtype=np.float64)) * max(dtype.itemsize, 8)
                check_fits_in_memory(path, n_bytes * BINARY_MEMORY_FACTOR)
                f.seek(0)
                array = np.load(f, allow_pickle=False)
    except DataFileError:
        raise
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    except MemoryError:
        raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    except (ValueError, EOFError) as error:
        if "allow_pickle" in str(error):
            _refuse_objects(path, np.dtype(object))
        raise DataFileError(
            path, f"damaged or truncated .npy file (it ends before its data does: {error})"
        ) from None
    columns, values, numeric = _table_from_array(path, array, "the array")
    spec = LoadSpec(kind="npy", record=bool(array.dtype.names))
    return _info(path, columns, values, numeric, spec)


def read_npz(path: Path) -> TableInfo:
    """Read a ``.npz`` archive: one 2-D array, a preferred key (``X``, ``data``, ``points``),
    or several 1-D arrays of equal length stacked as named columns."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise DataFileError(
            path, "damaged or truncated .npz archive (not a readable zip file)"
        ) from None
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    with archive:
        members = [m for m in archive.infolist() if m.filename.endswith(".npy")]
        if not members:
            raise DataFileError(path, "the .npz archive holds no arrays")
        total = sum(m.file_size for m in members)
        check_fits_in_memory(path, total * BINARY_MEMORY_FACTOR)
        arrays: dict[str, np.ndarray] = {}
        for member in members:
            key = member.filename[: -len(".npy")]
            try:
                with archive.open(member) as f:
                    arrays[key] = _load_member(path, key, f)
            except DataFileError:
                raise
            except (zipfile.BadZipFile, EOFError, ValueError, OSError) as error:
                raise DataFileError(
                    path, f"damaged or truncated .npz archive (array '{key}': {error})"
                ) from None
            except MemoryError:
                raise DataFileError(
                    path, "too large to load: ran out of memory reading it"
                ) from None
    keys, columns, values, numeric = _choose_npz_arrays(path, arrays)
    record = len(keys) == 1 and bool(arrays[keys[0]].dtype.names)
    spec = LoadSpec(kind="npz", npz_keys=keys, record=record)
    return _info(path, columns, values, numeric, spec)


def _load_member(path: Path, key: str, f) -> np.ndarray:
    data = f.read()
    buffer = io.BytesIO(data)
    _shape, dtype = _npy_header(path, buffer)
    _refuse_objects(path, dtype, f"array '{key}'")
    buffer.seek(0)
    try:
        return np.load(buffer, allow_pickle=False)
    except ValueError as error:
        if "allow_pickle" in str(error):
            _refuse_objects(path, np.dtype(object), f"array '{key}'")
        raise


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
        columns, values, numeric = _table_from_array(path, array, f"array '{key}'")
        if names is not None and len(names) == len(columns):
            columns = names
        return (key,), columns, values, numeric
    if len(two_d) > 1:
        raise DataFileError(
            path,
            f"the .npz archive holds several 2-D arrays ({', '.join(sorted(two_d))}); "
            f"name the one to use X, data or points",
        )
    one_d = {k: a for k, a in arrays.items() if a.ndim == 1}
    lengths = {len(a) for a in one_d.values()}
    if len(lengths) != 1:
        raise DataFileError(
            path, "the .npz archive's 1-D arrays have different lengths, so they are not columns"
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
