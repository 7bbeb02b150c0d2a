"""Advisory file locks that tell a live writer's files from those a killed process left.

A process holds a lock on a file while it uses it (`hold_lock`); the operating system drops the
lock the moment the process ends, however it ends (crash, kill, power loss and reboot). So a
file nobody holds a lock on belongs to no running process, whatever its name or process id
says: process ids are reused, locks are not. Uses ``flock`` on POSIX systems; elsewhere
`LOCKS_WORK` is False and callers fall back to other evidence.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: Whether locks can be taken and tested on this platform.
LOCKS_WORK = fcntl is not None
#: Attempts at locking a file a sweeper may remove at the same moment.
LOCK_ATTEMPTS = 5


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except OSError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def lock_fd(fd: int, path: Path) -> bool:
    """Lock the open file ``fd`` (waiting if a sweeper holds it for a moment); return whether
    ``path`` still names it, that is, whether no sweeper removed it before the lock was taken."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return _same_file(fd, path)


def hold_lock(path: Path, mode: int = 0o600) -> int:
    """Create ``path`` if needed, lock it and return the open descriptor, which keeps the lock
    until it is closed or the process ends.

    Raises
    ------
    OSError
        If the file cannot be created or opened.
    """
    for _ in range(LOCK_ATTEMPTS):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
        if lock_fd(fd, path):
            return fd
        os.close(fd)  # removed as stale between opening and locking: make it again
    raise OSError(f"could not lock {path}")


@contextlib.contextmanager
def _unless_locked(path: Path) -> Iterator[int | None]:
    """Open ``path`` and lock it if nobody holds a lock on it: yields the descriptor, or None
    if it is locked or cannot be opened. The lock is released on leaving."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another process (or the file system has no locks)
            yield None
            return
        yield fd
    finally:
        os.close(fd)  # also releases the lock


def is_locked(path: Path) -> bool:
    """Whether a running process holds a lock on ``path`` (False if it does not exist, or if
    locks do not work here)."""
    if fcntl is None:  # pragma: no cover - Windows
        return False
    with _unless_locked(path) as fd:
        return fd is None and path.exists()


def remove_if_unlocked(path: Path) -> bool:
    """Delete ``path`` if no running process holds a lock on it; return whether it was deleted.

    The lock is held while deleting, so a writer that opened the file but has not locked it
    yet sees it gone (`lock_fd` returns False) and starts again with a new file.
    """
    if fcntl is None:  # pragma: no cover - Windows: nothing tells a live writer's file apart
        return False
    with _unless_locked(path) as fd:
        if fd is None or not _same_file(fd, path):
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            return True
        return False
