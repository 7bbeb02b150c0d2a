"""Opening a user's file safely: clear errors for missing, unreadable and oversized files."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from gmm_studio.core.memory import available_memory, format_size
from gmm_studio.io.errors import DataFileError

# Parsing text needs several times the file's size while it runs (the bytes, the decoded
# text, the cells); refuse files that would not fit, instead of thrashing or dying half-way.
TEXT_MEMORY_FACTOR = 6.0
BINARY_MEMORY_FACTOR = 1.5


def check_fits_in_memory(path: Path, needed: float) -> None:
    """Raise `DataFileError` if ``needed`` bytes are more than the memory available now."""
    available = available_memory()
    if available is not None and needed > available:
        raise DataFileError(
            path,
            f"too large to load: reading it needs about {format_size(needed)} of memory "
            f"but only {format_size(available)} is available",
        )


def os_error_problem(error: OSError) -> str:
    """Word an `OSError` from opening or reading a file for the user."""
    code = error.errno
    if isinstance(error, FileNotFoundError) or code == errno.ENOENT:
        return "file not found"
    if isinstance(error, IsADirectoryError) or code == errno.EISDIR:
        return "is a folder, not a file"
    if isinstance(error, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return "no permission to read this file"
    if isinstance(error, NotADirectoryError) or code == errno.ENOTDIR:
        return "file not found (a folder in its path is a file)"
    return f"cannot read the file ({error.strerror or error})"


def check_regular_file(path: Path) -> int:
    """Check ``path`` names a readable regular file and return its size in bytes.

    Raises
    ------
    DataFileError
        If it is missing, a folder, not a regular file (a FIFO or device, which could block
        forever), or cannot be inspected.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataFileError(path, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise DataFileError(path, "is not a regular file (a pipe, socket or device)")
    return info.st_size


def read_head(path: Path, n: int) -> bytes:
    """Return the first ``n`` bytes of ``path``, with `DataFileError` for OS problems."""
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None


def read_all(path: Path) -> bytes:
    """Return all the bytes of ``path``, with `DataFileError` for OS problems."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except MemoryError:
        raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
