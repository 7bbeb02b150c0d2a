"""Files in and out: point tables, results and sessions. Never Qt.

Every reader and writer reports a problem the user can fix with `DataFileError`, whose
message names the file and the problem.
"""

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.export import (
    ModelFile,
    model_document,
    read_model_json,
    write_labels_csv,
    write_model_json,
    write_points_csv,
)
from gmm_studio.io.opening import looks_like_session, open_document
from gmm_studio.io.readers import inspect_pasted_text, inspect_table, parse_pasted_text, read_points
from gmm_studio.io.recent import add_recent, existing_recent, remove_recent
from gmm_studio.io.recovery import (
    RecoveryFile,
    adopt_recovery,
    clean_after_killed_runs,
    list_recovery,
    recovery_dir,
    remove_recovery,
    user_data_dir,
    write_recovery,
)
from gmm_studio.io.session import (
    SESSION_SUFFIX,
    DataFileRef,
    Session,
    load_session,
    save_session,
)
from gmm_studio.io.snippet import python_snippet
from gmm_studio.io.table import LoadSpec, PointTable, ReadOptions, TableInfo

__all__ = [
    "SESSION_SUFFIX",
    "DataFileError",
    "DataFileRef",
    "LoadSpec",
    "ModelFile",
    "PointTable",
    "ReadOptions",
    "RecoveryFile",
    "Session",
    "TableInfo",
    "add_recent",
    "adopt_recovery",
    "clean_after_killed_runs",
    "existing_recent",
    "inspect_pasted_text",
    "inspect_table",
    "list_recovery",
    "load_session",
    "looks_like_session",
    "model_document",
    "open_document",
    "parse_pasted_text",
    "python_snippet",
    "read_model_json",
    "read_points",
    "recovery_dir",
    "remove_recent",
    "remove_recovery",
    "save_session",
    "user_data_dir",
    "write_labels_csv",
    "write_model_json",
    "write_points_csv",
    "write_recovery",
]
