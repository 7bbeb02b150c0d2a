"""Reading ``.parquet`` files, via pyarrow: numeric columns as numbers, the others as text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import BINARY_MEMORY_FACTOR, check_fits_in_memory
from gmm_studio.io.optional import import_optional
from gmm_studio.io.table import PREVIEW_ROWS, LoadSpec, TableInfo, shortened_note, unique_names

PARQUET_MAGIC = b"PAR1"


def read_parquet(path: Path) -> TableInfo:
    """Read every column of a Parquet file into a `TableInfo`.

    Integer, floating-point and decimal columns are numbers (nulls are missing values);
    every other column (strings, categories, dates, booleans) is text.

    Raises
    ------
    DataFileError
        If pyarrow is missing, the file is damaged, or it is too large for the memory
        available.
    """
    pa = import_optional("pyarrow", "parquet", ".parquet files", path)
    pq = import_optional("pyarrow.parquet", "parquet", ".parquet files", path)
    try:
        meta = pq.read_metadata(path)
        check_fits_in_memory(path, meta.num_rows * meta.num_columns * 8 * BINARY_MEMORY_FACTOR)
        table = pq.read_table(path)
    except DataFileError:
        raise
    except MemoryError:
        raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged file
        raise DataFileError(
            path, f"not a readable .parquet file ({type(error).__name__})"
        ) from None
    raw_names = [str(name) for name in table.column_names]
    names = unique_names(raw_names)
    n = table.num_rows
    values = np.full((n, len(names)), np.nan)
    numeric, text = [], {}
    for j, column in enumerate(table.columns):
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            values[:, j] = column.cast(pa.float64()).to_numpy()
            numeric.append(True)
        else:
            cells = ["" if v is None else str(v) for v in column.to_pylist()]
            text[j] = np.array(cells, dtype=object)
            numeric.append(False)
    preview = [
        [repr(float(values[i, j])) if numeric[j] else text[j][i] for j in range(len(names))]
        for i in range(min(n, PREVIEW_ROWS))
    ]
    return TableInfo(
        source=path,
        columns=names,
        numeric=numeric,
        values=values,
        preview=preview,
        has_header=True,
        notes=shortened_note(raw_names),
        spec=LoadSpec(kind="parquet"),
        text=text,
    )
