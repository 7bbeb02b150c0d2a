"""Writing files atomically: a crash or a full disk mid-save never corrupts the old file."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gmm_studio.io.errors import DataFileError
from gmm_studio.io.file_locks import LOCK_ATTEMPTS, lock_fd, remove_if_unlocked


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
    if code == errno.EROFS:
        return "could not save: the disk or folder is read-only"
    if code in (errno.EACCES, errno.EPERM):
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


#: Temporary files are named ``.<target name>.<random>.tmp``, next to their target.
TEMP_SUFFIX = ".tmp"


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see `atomic_write_pieces`)."""
    atomic_write_pieces(path, [data], mode)


def remove_stale_temporaries(folder: Path, target_name: str | None = None) -> int:
    """Delete the temporary files that killed saves left in ``folder`` (of ``target_name``
    only, if given); return how many were deleted.

    A temporary file is locked while its save runs (`gmm_studio.io.file_locks`), so only those
    of saves that can no longer finish are deleted, never one being written right now.
    """
    prefix = "." if target_name is None else f".{glob.escape(target_name)}."
    removed = 0
    with contextlib.suppress(OSError):
        for candidate in folder.glob(f"{prefix}*{TEMP_SUFFIX}"):
            removed += remove_if_unlocked(candidate)
    return removed


def atomic_write_pieces(
    path: str | os.PathLike[str], pieces: Iterable[bytes], mode: int | None = None
) -> None:
    """Write the concatenation of ``pieces`` to ``path`` atomically.

    Pieces are written as they come, so a large file never needs one large string. The bytes
    go to a temporary file in the same folder, locked while it is written (so that a later
    `remove_stale_temporaries` can tell it from one a killed save left), are flushed to disk,
    and the temporary file then replaces ``path`` with `os.replace`, which is atomic: readers
    see the old file or the new one, never a mix. On any failure the temporary file is removed
    and the old file is left as it was. Temporaries that killed saves of ``path`` left behind
    are removed first.

    Parameters
    ----------
    path : str or os.PathLike
    pieces : iterable of bytes
    mode : int, optional
        Permissions of the new file (default: those of the file it replaces, or the user's
        default for new files).

    Raises
    ------
    DataFileError
        If the file cannot be written (no permission, disk full, missing folder, ...).
    """
    path = Path(path)
    if path.is_dir():
        raise DataFileError(path, "could not save: it is a folder")
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_current_umask()
    remove_stale_temporaries(path.parent, path.name)
    fd, tmp_name = _locked_temporary(path)
    try:
        with os.fdopen(fd, "wb", closefd=False) as f:
            for piece in pieces:
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)  # still locked: no sweeper can take it before this
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(error, OSError):
            raise DataFileError(path, write_problem(error)) from None
        raise
    finally:
        os.close(fd)
    _sync_folder(path.parent)


def _locked_temporary(path: Path) -> tuple[int, str]:
    for _ in range(LOCK_ATTEMPTS):
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
            )
        except OSError as error:
            raise DataFileError(path, write_problem(error)) from None
        if lock_fd(fd, Path(tmp_name)):
            return fd, tmp_name
        os.close(fd)  # a sweeper took it for a killed save's between creating and locking
    raise DataFileError(path, "could not save: its temporary file kept disappearing")


def atomic_write_text(path: str | os.PathLike[str], text: str, mode: int | None = None) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see `atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


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
