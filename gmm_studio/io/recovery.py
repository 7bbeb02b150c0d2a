"""Recovery files: autosaved copies of unsaved work, private to the user, in their data folder.

Each running GMM Studio writes its own ``autosave-<pid>-<token>.gmms`` (the token is random,
so a later process that gets the same id never overwrites it) and holds a lock on
``autosave-<pid>-<token>.lock`` for as long as it runs (`gmm_studio.io.file_locks`). A clean
exit removes both. At start-up, a recovery file whose lock nobody holds was left by a crash, a
kill or a power cut, and is offered for restoring, whatever process now has its id. Restoring
one renames it to the restoring process's own recovery file, so the work is on disk, as this
process's, from the first moment until the document is saved or discarded.

The folder is readable by the user only (0700) and so are the files (0600). Temporary files of
killed writes, and lock files of processes that are gone, are removed by
`clean_after_killed_runs`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gmm_studio.io.atomic import atomic_write_pieces, remove_stale_temporaries, write_problem
from gmm_studio.io.errors import DataFileError
from gmm_studio.io.file_locks import LOCKS_WORK, hold_lock, is_locked, remove_if_unlocked
from gmm_studio.io.session import SESSION_SUFFIX, Session, load_session, session_json_pieces

DATA_DIR_ENV = "GMM_STUDIO_DATA_DIR"
APP_FOLDER = "gmm-studio"
RECOVERY_PREFIX = "autosave-"
LOCK_SUFFIX = ".lock"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
_NAME = re.compile(rf"{RECOVERY_PREFIX}(\d+)-([0-9a-f]+){re.escape(SESSION_SUFFIX)}")


def user_data_dir() -> Path:
    """The folder for GMM Studio's own files (recovery files, ...); not created here.

    ``$GMM_STUDIO_DATA_DIR`` if set, else the platform's per-user data folder:
    ``$XDG_DATA_HOME/gmm-studio`` (default ``~/.local/share/gmm-studio``) on Linux,
    ``~/Library/Application Support/GMM Studio`` on macOS, ``%LOCALAPPDATA%\\GMM Studio``
    on Windows.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":  # pragma: no cover - Windows only
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "GMM Studio"
    if sys.platform == "darwin":  # pragma: no cover - macOS only
        return Path.home() / "Library" / "Application Support" / "GMM Studio"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_FOLDER


def recovery_dir() -> Path:
    """The folder holding recovery files."""
    return user_data_dir() / "recovery"


class _Instance:
    """This process's name among recovery files, and the lock that says it is running."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.stem = f"{RECOVERY_PREFIX}{self.pid}-{secrets.token_hex(4)}"
        self.lock_fd: int | None = None

    def hold_lock(self, folder: Path) -> None:
        if self.lock_fd is None:
            self.lock_fd = hold_lock(folder / f"{self.stem}{LOCK_SUFFIX}", PRIVATE_FILE)


_instance: _Instance | None = None


def _this_instance() -> _Instance:
    global _instance
    if _instance is None or _instance.pid != os.getpid():  # new, or a forked child
        _instance = _Instance()
    return _instance


def recovery_path() -> Path:
    """This process's recovery file."""
    return recovery_dir() / f"{_this_instance().stem}{SESSION_SUFFIX}"


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running (always False on Windows except for us)."""
    if pid == os.getpid():
        return True
    if pid <= 0 or os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class RecoveryFile:
    """A recovery file on disk.

    Attributes
    ----------
    path : pathlib.Path
    pid : int
        The process that wrote it.
    saved_at : float
        Modification time (seconds since the epoch).
    """

    path: Path
    pid: int
    saved_at: float

    @property
    def lock_path(self) -> Path:
        """The lock its writer holds while running."""
        return self.path.with_suffix(LOCK_SUFFIX)

    @property
    def owner_alive(self) -> bool:
        """Whether the process that wrote it is still running (it holds the lock)."""
        if self.path == recovery_path():
            return True
        if LOCKS_WORK:
            return is_locked(self.lock_path)
        return process_alive(self.pid)  # pragma: no cover - Windows: ids are all there is

    def load(self) -> Session:
        """Read the session it holds (`DataFileError` if it is damaged)."""
        return load_session(self.path)


def _private_folder() -> Path:
    """The recovery folder, created if needed, readable by the user only."""
    folder = recovery_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        if folder.stat().st_mode & 0o777 != PRIVATE_FOLDER:
            os.chmod(folder, PRIVATE_FOLDER)
    except OSError as error:
        raise DataFileError(folder, write_problem(error)) from None
    return folder


def write_recovery(session: Session) -> Path:
    """Autosave ``session`` to this process's recovery file, atomically; return its path.

    Raises
    ------
    DataFileError
        If it cannot be written (the data folder is read-only, the disk is full, ...).
    """
    instance = _this_instance()
    folder = _private_folder()
    # Without the lock (a file system without locks) the work is still saved; other
    # processes then take this file for a crashed run's and may offer it.
    with contextlib.suppress(OSError):
        instance.hold_lock(folder)
    path = recovery_path()
    pieces = (piece.encode("utf-8") for piece in session_json_pieces(session))
    atomic_write_pieces(path, pieces, mode=PRIVATE_FILE)
    return path


def list_recovery(include_running: bool = False) -> list[RecoveryFile]:
    """Recovery files, newest first; by default only those left by processes that are gone."""
    found = []
    with contextlib.suppress(OSError):
        for path in recovery_dir().glob(f"{RECOVERY_PREFIX}*{SESSION_SUFFIX}"):
            match = _NAME.fullmatch(path.name)
            if match is None:
                continue
            try:
                saved_at = path.stat().st_mtime
            except OSError:
                continue
            item = RecoveryFile(path, int(match[1]), saved_at)
            if include_running or not item.owner_alive:
                found.append(item)
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def adopt_recovery(item: RecoveryFile) -> Path:
    """Make ``item`` (left by a process that is gone) this process's recovery file.

    The rename is atomic, so the restored work is on disk throughout: if this process is
    killed too, the file is offered again at the next start.

    Raises
    ------
    DataFileError
        If it cannot be renamed (it was removed meanwhile, the folder is read-only, ...).
    """
    instance = _this_instance()
    folder = _private_folder()
    path = recovery_path()
    try:
        instance.hold_lock(folder)
        os.replace(item.path, path)
    except OSError as error:
        raise DataFileError(item.path, f"could not restore it ({error.strerror})") from None
    remove_if_unlocked(item.lock_path)
    return path


def remove_recovery(item: RecoveryFile | None = None) -> bool:
    """Delete a recovery file (default: this process's); return whether one was removed."""
    if item is None:
        path = recovery_path()
    else:
        path = item.path
        remove_if_unlocked(item.lock_path)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def clean_after_killed_runs(session_files: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Remove what killed processes left besides their recovery files: temporary files of
    interrupted autosaves, lock files of processes that are gone, temporary files of
    interrupted saves of ``session_files`` (next to each). Make older recovery files private to
    the user. Never touches a running process's files."""
    for session in session_files:
        path = Path(session)
        if path.suffix.lower() == SESSION_SUFFIX:
            remove_stale_temporaries(path.parent, path.name)
    folder = recovery_dir()
    if not folder.is_dir():
        return
    remove_stale_temporaries(folder)
    with contextlib.suppress(OSError):
        for lock in folder.glob(f"{RECOVERY_PREFIX}*{LOCK_SUFFIX}"):
            if not lock.with_suffix(SESSION_SUFFIX).exists():
                remove_if_unlocked(lock)
        if folder.stat().st_mode & 0o777 != PRIVATE_FOLDER:
            os.chmod(folder, PRIVATE_FOLDER)
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mode & 0o077:
                    os.chmod(path, PRIVATE_FILE)
