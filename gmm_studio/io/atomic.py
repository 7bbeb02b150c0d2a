"""Writing files atomically: a crash or a full disk mid-save never corrupts the old file."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gmm_studio.io.errors import DataFileError


def _current_umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def write_problem(error: OSError) -> str:
    """Word an `OSError` from writing a file for the user."""
    code = error.errno
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "could not save: no permission to write there"
    if code == errno.ENOSPC:
        return "could not save: the disk is full"
    if code == errno.ENOENT:
        return "could not save: the folder does not exist"
    if code == errno.ENOTDIR:
        return "could not save: a folder in its path is a file"
    if code == errno.EISDIR:
        return "could not save: it is a folder"
    return f"could not save ({error.strerror or error})"


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see `atomic_write_pieces`)."""
    atomic_write_pieces(path, [data])


def atomic_write_pieces(path: str | os.PathLike[str], pieces: Iterable[bytes]) -> None:
    """Write the concatenation of ``pieces`` to ``path`` atomically.

    Pieces are written as they come, so a large file never needs one large string. The bytes go to a temporary file in the same folder, are flushed to disk, and the
    temporary file then replaces ``path`` with `os.replace`, which is atomic: readers see the
    old file or the new one, never a mix. On any failure the temporary file is removed and the
    old file is left as it was.

    Raises
    ------
    DataFileError
        If the file cannot be written (no permission, disk full, missing folder, ...).
    """
    path = Path(path)
    if path.is_dir():
        raise DataFileError(path, "could not save: it is a folder")
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_current_umask()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise DataFileError(path, write_problem(error)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            for piece in pieces:
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(error, OSError):
            raise DataFileError(path, write_problem(error)) from None
        raise
    _sync_folder(path.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see `atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _sync_folder(folder: Path) -> None:
    # Make the rename itself durable; not possible (nor needed) on every platform.
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
