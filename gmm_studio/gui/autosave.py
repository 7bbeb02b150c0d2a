"""Autosave: while the document has unsaved changes, copy it to a recovery file now and then."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from gmm_studio.io import (
    DataFileError,
    RecoveryFile,
    Session,
    adopt_recovery,
    clean_after_killed_runs,
    remove_recovery,
    write_recovery,
)

#: At most one autosave per this many seconds (longer for documents that are slow to write).
AUTOSAVE_INTERVAL_S = 3.0
#: How often the timer looks for unsaved changes.
CHECK_INTERVAL_MS = 500
#: A write may use at most this share of the time: big documents autosave less often. (JSON
#: encoding holds the GIL, so a million points, about 2 s to write, would otherwise stall the
#: window every few seconds.)
MAX_WRITE_SHARE = 0.05
#: While EM runs, an autosave waits for it to pause or finish, but never longer than this.
#: The writer is one more Python thread wanting the interpreter lock, and the window's
#: thread is slowest to get it back while EM and the raster thread want it too.
MAX_BUSY_DEFER_S = 60.0


class AutosaveController(QObject):
    """Writes this process's recovery file (`gmm_studio.io.write_recovery`) in a worker thread.

    The recovery file's life: written while the document has unsaved changes (a failed write
    is retried, without waiting for another change, every ``interval`` seconds); removed when
    the document is saved or its changes discarded, and on a clean exit. Work restored from a
    killed run's recovery file is adopted (`adopt`): that file becomes this process's, so it
    is never deleted before the restored work is safe in a new one. Starting removes what
    killed runs left besides their recovery files (`gmm_studio.io.clean_after_killed_runs`).

    Parameters
    ----------
    is_dirty : callable
        Returns True while the document has unsaved changes.
    make_session : callable
        Returns a `Session` of the document; called in the GUI thread, so it must only capture
        (the document's arrays are immutable, so capturing them is cheap).
    interval : float
        Minimum seconds between two autosaves.
    is_busy : callable, optional
        Returns True while EM runs; autosaves then wait (at most ``MAX_BUSY_DEFER_S``).
    session_files : callable, optional
        Session files saves may have been killed writing (the recent files): temporaries
        left next to them are removed at start.

    Signals
    -------
    saved(str)
        The recovery file was written (its path).
    failed(str)
        Writing failed (a message for the status bar).
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        is_dirty: Callable[[], bool],
        make_session: Callable[[], Session],
        interval: float = AUTOSAVE_INTERVAL_S,
        parent: QObject | None = None,
        is_busy: Callable[[], bool] = lambda: False,
        session_files: Callable[[], Iterable[str]] = lambda: (),
    ) -> None:
        super().__init__(parent)
        self._is_dirty = is_dirty
        self._is_busy = is_busy
        self._busy_since: float | None = None
        self._make_session = make_session
        self.interval = interval
        self._changed = False
        self._written = False
        self._next_allowed = 0.0
        self._thread: threading.Thread | None = None
        self._result: tuple[bool, str] | None = None  # (written, path or message)
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        clean_after_killed_runs(session_files())

    def note_change(self) -> None:
        """Something in the document changed: autosave it soon if it is unsaved."""
        if self._is_dirty():
            self._changed = True
        else:
            self.discard()

    def discard(self) -> None:
        """The document was saved or its changes thrown away: remove the recovery file."""
        self._changed = False
        if self._thread is None and not self._written:
            return  # nothing on disk (checked on every clean frame, so keep it cheap)
        self._wait()
        remove_recovery()
        self._written = False

    def adopt(self, item: RecoveryFile) -> None:
        """The document now holds work restored from ``item``: make that file this process's
        recovery file (renamed, never copied or deleted), to be rewritten from the document
        at the next autosave."""
        self._wait()  # an autosave of the previous document must not land on it
        try:
            adopt_recovery(item)
        except DataFileError as error:
            self.failed.emit(f"Autosave failed: {error}")
            return
        self._written = True
        self._changed = self._is_dirty()

    def stop(self) -> None:
        """Stop autosaving and remove the recovery file (a clean exit)."""
        self._timer.stop()
        self.discard()

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._report()

    def _tick(self) -> None:
        self._report()
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = None
        now = time.monotonic()
        if not self._changed or now < self._next_allowed:
            return
        if not self._is_dirty():
            self._changed = False
            return
        if self._is_busy():
            self._busy_since = self._busy_since or now
            if now - self._busy_since < MAX_BUSY_DEFER_S:
                return
        self._busy_since = None
        session = self._make_session()
        self._changed = False
        self._written = True  # from now on there may be a file to remove
        self._thread = threading.Thread(
            target=self._write, args=(session,), name="gmm-studio-autosave", daemon=True
        )
        self._thread.start()

    def _write(self, session: Session) -> None:
        started = time.monotonic()
        try:
            path = write_recovery(session)
        except (DataFileError, OSError) as error:
            result = (False, f"Autosave failed: {error}")
        else:
            result = (True, str(path))
        took = time.monotonic() - started
        self._next_allowed = time.monotonic() + max(self.interval, took / MAX_WRITE_SHARE)
        with self._lock:
            self._result = result

    def _report(self) -> None:
        with self._lock:
            result, self._result = self._result, None
        if result is None:
            return
        written, text = result
        if written:
            self.saved.emit(text)
        else:
            self._changed = True  # retried after the interval, even without another change
            self.failed.emit(text)
