"""Data files read lazily into chunked Dask arrays: ``.npy``, CSV (or a glob of them), Parquet.

Nothing is loaded on the client. A ``.npy`` file is memory-mapped by each chunk's task, which
copies its rows out and lets the map go (so a worker's memory holds one chunk, however large the
file); text and Parquet files go through Dask's own ``read_csv`` and ``read_parquet``. Columns
are chosen by name or index as for in-memory files, rows with a missing or non-finite value are
dropped and counted, and a weights column becomes ``sample_weight``.

Reading takes one pass over the data (it counts the rows each chunk keeps, so the arrays have
known chunk sizes and every row has an index, as the initialisation's sample needs).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np

from gmm_studio.cluster.client import ClusterError, compute
from gmm_studio.io.array_reader import NPY_MAGIC, _info, _table_from_array
from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import os_error_problem
from gmm_studio.io.table import LoadSpec, TableInfo
from gmm_studio.io.text_reader import HEAD_BYTES, read_text_table

#: Bytes of float64 data per chunk (dask's own default is 128 MiB): a quarter of that leaves room
#: for the copy a chunk's task makes while it reads, and spreads 10M rows of 2 columns over 5
#: chunks, enough to keep two workers busy.
CHUNK_BYTES = 32 << 20

PARQUET_MAGIC = b"PAR1"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, eq=False)
class LazyTable:
    """Points on the cluster, ready to fit.

    Attributes
    ----------
    source : str
        The path, folder or glob pattern as given.
    columns : list of str
        The fitted columns' names.
    data : dask.array.Array, shape (N, D)
        float64, finite, known chunk sizes.
    sample_weight : dask.array.Array or None, shape (N,)
    weights_column : str or None
    n_dropped : int
        Rows dropped for a missing or non-finite value.
    notes : list of str
    """

    source: str
    columns: list[str]
    data: da.Array
    sample_weight: da.Array | None
    weights_column: str | None
    n_dropped: int
    notes: list[str]

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.data.shape[1])


def read_lazy(
    path: str | os.PathLike[str],
    columns=None,
    weights: str | int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> LazyTable:
    """Read a data file (or a glob of CSV files, or a Parquet folder) as Dask arrays.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy`` file, a CSV/TSV/text file, a glob pattern of such files, a Parquet file, a
        folder of Parquet files or a glob of them.
    columns : sequence of int or str, optional
        Columns to fit, by name or 0-based index (default: every numeric column but the
        weights).
    weights : int or str, optional
        The column of per-row weights (finite numbers ≥ 0).
    chunk_bytes : int
        About how many bytes of float64 data each chunk holds.

    Raises
    ------
    DataFileError
        For every problem with the files, naming the file and the problem.
    ClusterError
        If the cluster cannot finish the pass that reads them.
    """
    source = os.fspath(path)
    files = _expand(source)
    first = files[0]
    try:
        if first.is_file():
            with open(first, "rb") as f:
                head = f.read(HEAD_BYTES)
        else:
            head = b""
    except OSError as error:
        raise DataFileError(first, os_error_problem(error)) from None
    if head.startswith(NPY_MAGIC):
        if len(files) > 1:
            raise DataFileError(first, "a glob of .npy files is not supported; give one file")
        info, make_parts = _npy_source(first, chunk_bytes)
    elif first.is_dir() or head.startswith(PARQUET_MAGIC) or first.suffix.lower() in (
        ".parquet", ".pq",
    ):  # fmt: skip
        info, make_parts = _parquet_source(source, files, chunk_bytes)
    else:
        info, make_parts = _text_source(files, head, chunk_bytes)
    chosen, weight_index = _resolve(info, columns, weights)
    names = [info.columns[i] for i in chosen]
    weights_name = None if weight_index is None else info.columns[weight_index]
    parts = make_parts(chosen + ([] if weight_index is None else [weight_index]))
    has_weights = weight_index is not None
    try:
        counts = compute([dask.delayed(_count)(p, has_weights) for p in parts])
    except (DataFileError, ClusterError):
        raise
    except Exception as error:  # a parse error inside a chunk, raised on a worker
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DataFileError(first, f"cannot read it in chunks: {first_line}") from None
    n_rows = sum(c[0] for c in counts)
    kept = [c[1] for c in counts]
    negative = sum(c[2] for c in counts)
    if negative:
        raise DataFileError(
            first, f"column '{weights_name}' holds {negative} negative weights; weights must be ≥ 0"
        )
    if n_rows == 0:
        raise DataFileError(first, "holds no data rows")
    if sum(kept) == 0:
        raise DataFileError(
            first,
            "every row has a missing or non-finite (NaN or infinite) value in the chosen columns",
        )
    width = len(chosen) + has_weights
    blocks = [
        da.from_delayed(dask.delayed(_clean)(p), shape=(n, width), dtype=np.float64)
        for p, n in zip(parts, kept, strict=True)
    ]
    table = da.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    notes = list(info.notes)
    skipped = [c for c, numeric in zip(info.columns, info.numeric, strict=True) if not numeric]
    if columns is None and skipped:
        notes.append(f"skipped non-numeric columns: {', '.join(skipped)}")
    n_dropped = n_rows - sum(kept)
    if n_dropped:
        rows = "row" if n_dropped == 1 else "rows"
        notes.append(f"dropped {n_dropped} {rows} with missing or non-finite values")
    return LazyTable(
        source=source,
        columns=names,
        data=table[:, : len(chosen)],
        sample_weight=table[:, len(chosen)] if has_weights else None,
        weights_column=weights_name,
        n_dropped=n_dropped,
        notes=notes,
    )


def _expand(source: str) -> list[Path]:
    if _GLOB_CHARS & set(source):
        found = sorted(glob.glob(source))
        if not found:
            raise DataFileError(source, "no file matches this pattern")
        return [Path(f) for f in found]
    path = Path(source)
    if not path.exists():
        raise DataFileError(path, "no such file or folder")
    return [path]


def _resolve(info: TableInfo, columns, weights) -> tuple[list[int], int | None]:
    weight_index = None if weights is None else info._column_index(weights)
    if weight_index is not None and not info.numeric[weight_index]:
        raise DataFileError(info.source, f"column '{info.columns[weight_index]}' is not numeric")
    if columns is None and weight_index is not None:
        columns = [i for i in info.numeric_columns if i != weight_index]
    chosen = info.resolve_columns(columns)
    if weight_index in chosen:
        raise DataFileError(
            info.source, f"column '{info.columns[weight_index]}' cannot be both data and weights"
        )
    return chosen, weight_index


def _count(rows: np.ndarray, has_weights: bool) -> tuple[int, int, int]:
    finite = np.isfinite(rows).all(axis=1)
    negative = int(np.count_nonzero(finite & (rows[:, -1] < 0))) if has_weights else 0
    return len(rows), int(np.count_nonzero(finite)), negative


def _clean(rows: np.ndarray) -> np.ndarray:
    finite = np.isfinite(rows).all(axis=1)
    return rows if finite.all() else rows[finite]


# --- .npy -------------------------------------------------------------------------------------


def _npy_source(path: Path, chunk_bytes: int):
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        problem = os_error_problem(error) if isinstance(error, OSError) else str(error)
        raise DataFileError(path, f"not a readable .npy file ({problem})") from None
    if mapped.dtype.hasobject:
        raise DataFileError(path, "the array holds Python objects, which GMM Studio never loads")
    columns, values, numeric = _table_from_array(path, np.array(mapped[:20]), "the array")
    info = _info(
        path, columns, values, numeric, LoadSpec(kind="npy", record=bool(mapped.dtype.names))
    )
    n_rows = int(mapped.shape[0])
    fields = mapped.dtype.names
    del mapped

    def make_parts(chosen):
        width = max(1, len(chosen))
        step = max(1, chunk_bytes // (8 * width))
        keys = [fields[i] for i in chosen] if fields else list(chosen)
        return [
            dask.delayed(_npy_rows, pure=True)(str(path), a, min(a + step, n_rows), keys)
            for a in range(0, n_rows, step)
        ]

    return info, make_parts


def _npy_rows(path: str, start: int, stop: int, keys: list) -> np.ndarray:
    mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    block = mapped[start:stop]
    if block.dtype.names:
        out = np.column_stack([np.asarray(block[k], dtype=np.float64) for k in keys])
    elif keys == list(range(block.shape[1])):
        out = np.array(block, dtype=np.float64, order="C")  # one copy, no gather of columns
    else:
        out = np.array(block[:, keys], dtype=np.float64, order="C")
    del block, mapped  # unmap: the pages read leave this worker's memory with the map
    return out


# --- text ---------------------------------------------------------------------------------------


def _text_source(files: list[Path], head: bytes, chunk_bytes: int):
    first = files[0]
    if not first.is_file():
        raise DataFileError(first, "not a file")
    if len(head) == HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only
    info = read_text_table(first, head)
    spec = info.spec

    def make_parts(chosen):
        names = [info.columns[i] for i in chosen]
        try:
            frame = dd.read_csv(
                [str(f) for f in files],
                sep=spec.delimiter if spec.delimiter is not None else r"\s+",
                header=None,
                names=info.columns,
                usecols=names,
                skiprows=spec.skip_lines,
                comment="#",
                encoding=spec.encoding,
                decimal="," if spec.decimal_comma else ".",
                dtype=dict.fromkeys(names, np.float64),
                blocksize=chunk_bytes,
                sample=min(chunk_bytes, 256_000),
            )
        except (ValueError, OSError) as error:
            raise DataFileError(first, f"cannot read it in chunks: {error}") from None
        return [dask.delayed(_frame_rows)(part, names) for part in frame.to_delayed()]

    return info, make_parts


def _frame_rows(frame, names) -> np.ndarray:
    return frame[names].to_numpy(dtype=np.float64, na_value=np.nan)


# --- Parquet ------------------------------------------------------------------------------------


def _parquet_source(source: str, files: list[Path], chunk_bytes: int):
    target = source if len(files) == 1 else [str(f) for f in files]
    try:
        frame = dd.read_parquet(target, blocksize=chunk_bytes)
    except ImportError as error:
        raise DataFileError(
            files[0], f'reading Parquet needs pyarrow ({error}): pip install "gmm-studio[dask]"'
        ) from None
    except (ValueError, OSError, TypeError) as error:
        raise DataFileError(files[0], f"not a readable Parquet file or folder ({error})") from None
    names = [str(c) for c in frame.columns]
    numeric = [frame.dtypes[c].kind in "biuf" for c in frame.columns]
    info = TableInfo(
        source=files[0],
        columns=names,
        numeric=numeric,
        values=np.empty((0, len(names))),
        preview=[],
        has_header=True,
        notes=[],
        spec=LoadSpec(kind="parquet"),
    )

    def make_parts(chosen):
        wanted = [frame.columns[i] for i in chosen]
        return [dask.delayed(_frame_rows)(part, wanted) for part in frame[wanted].to_delayed()]

    return info, make_parts
