"""Opening a file by name: a saved session, or a table of points to import.

:func:`open_document` is the one way a file becomes a document, whether it is named on the
command line (``gmm-studio PATH``), chosen in File ▸ Open or Open Recent, or dropped on the
window.
"""

from __future__ import annotations

import os
import pathlib

from gmm_studio.io.readers import inspect_table
from gmm_studio.io.session import SESSION_SUFFIX, Session, load_session
from gmm_studio.io.table import TableInfo

#: Bytes read from a ``.json`` file to tell a session from other JSON.
_SNIFF_BYTES = 400


def looks_like_session(path: os.PathLike[str] | str) -> bool:
    """True for a ``.gmms`` file, or a ``.json`` file that starts like a session."""
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix == SESSION_SUFFIX:
        return True
    if suffix != ".json":
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return b"gmm-studio-session" in head


def open_document(path: os.PathLike[str] | str) -> Session | TableInfo:
    """Read ``path`` far enough to know what it holds.

    Returns
    -------
    Session or TableInfo
        A session, read completely; or a table whose columns are known, at least two of
        them usable, and not every row incomplete (what to import is then asked, when the
        choice is not obvious, by the import dialog).

    Raises
    ------
    DataFileError
        For any problem with the file, naming it.
    """
    path = pathlib.Path(path)
    if looks_like_session(path):
        return load_session(path)
    info = inspect_table(path)
    usable = [i for i in info.numeric_columns if i not in info.column_problems]
    if len(usable) < 2:
        info.resolve_columns(None)  # raises the first column's problem, naming the file
    if info.incomplete_count(usable) == info.n_rows:
        info.select(usable)  # raises "every row has a missing or non-finite value"
    return info
