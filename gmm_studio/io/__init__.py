"""Files in and out: point tables, results and sessions. Never Qt."""

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.readers import inspect_pasted_text, inspect_table, parse_pasted_text, read_points
from gmm_studio.io.table import LoadSpec, PointTable, TableInfo

__all__ = [
    "DataFileError",
    "LoadSpec",
    "PointTable",
    "TableInfo",
    "inspect_pasted_text",
    "inspect_table",
    "parse_pasted_text",
    "read_points",
]
