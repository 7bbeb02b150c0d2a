"""Recovery files: autosaved copies of unsaved work in the user's data folder.

Each running GMM Studio writes its own ``autosave-<pid>.gmms``; a clean exit removes it. At
start-up, recovery files whose process is gone were left by a crash or a kill, and can be
offered for restoring.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gmm_studio.io.session import SESSION_SUFFIX, Session, load_session, save_session

DATA_DIR_ENV = "GMM_STUDIO_DATA_DIR"
APP_FOLDER = "gmm-studio"
RECOVERY_PREFIX = "autosave-"


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


def recovery_path(pid: int | None = None) -> Path:
    """The recovery file of process ``pid`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    return recovery_dir() / f"{RECOVERY_PREFIX}{pid}{SESSION_SUFFIX}"


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
    def owner_alive(self) -> bool:
        """Whether the process that wrote it is still running."""
        return process_alive(self.pid)

    def load(self) -> Session:
        """Read the session it holds (`DataFileError` if it is damaged)."""
        return load_session(self.path)


def write_recovery(session: Session, pid: int | None = None) -> Path:
    """Autosave ``session`` to this process's recovery file, atomically; return its path."""
    path = recovery_path(pid)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_session(path, session)
    return path


def list_recovery(include_running: bool = False) -> list[RecoveryFile]:
    """Recovery files, newest first; by default only those left by processes that are gone."""
    folder = recovery_dir()
    found = []
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{RECOVERY_PREFIX}*{SESSION_SUFFIX}"):
            pid_text = path.name[len(RECOVERY_PREFIX) : -len(SESSION_SUFFIX)]
            if not pid_text.isdigit():
                continue
            try:
                saved_at = path.stat().st_mtime
            except OSError:
                continue
            item = RecoveryFile(path, int(pid_text), saved_at)
            if include_running or not item.owner_alive:
                found.append(item)
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def remove_recovery(item: RecoveryFile | Path | None = None) -> bool:
    """Delete a recovery file (default: this process's); return whether one was removed."""
    if item is None:
        path = recovery_path()
    elif isinstance(item, RecoveryFile):
        path = item.path
    else:
        path = Path(item)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class Autosaver:
    """Decides when to write the recovery file: only with unsaved changes, at most every
    ``interval`` seconds.

    The GUI calls `mark_dirty` on every change, `maybe_save` from a timer, and `mark_clean`
    after saving or on a clean exit (which removes the recovery file).

    Parameters
    ----------
    interval : float
        Minimum seconds between two autosaves.
    clock : callable
        Returns the current time in seconds (monotonic).
    """

    def __init__(self, interval: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._dirty = False
        self._last_save: float | None = None

    @property
    def dirty(self) -> bool:
        """Whether there are changes not yet autosaved or saved."""
        return self._dirty

    def mark_dirty(self) -> None:
        """Record an unsaved change."""
        self._dirty = True

    def mark_clean(self) -> None:
        """Record that the document was saved (or discarded): remove the recovery file."""
        self._dirty = False
        remove_recovery()

    def maybe_save(self, make_session: Callable[[], Session]) -> Path | None:
        """Write the recovery file if there are changes and ``interval`` has passed.

        Returns the recovery file's path when written, else None.
        """
        now = self._clock()
        if not self._dirty:
            return None
        if self._last_save is not None and now - self._last_save < self.interval:
            return None
        path = write_recovery(make_session())
        self._last_save = now
        self._dirty = False
        return path
