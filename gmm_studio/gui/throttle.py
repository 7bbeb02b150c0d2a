"""Redrawing a view at most so often: the newest request is always honoured, a little later."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Call ``callback`` at most once per ``interval_ms``, and always after the last request.

    A request within the interval after the last call is deferred to the interval's end (many
    requests meanwhile become one call); :meth:`now` calls at once and cancels what waits.

    Parameters
    ----------
    callback : callable
        What to run (without arguments), in the GUI thread.
    interval_ms : int
        The least time between two calls.
    parent : QObject, optional
    """

    def __init__(self, callback: Callable[[], None], interval_ms: int, parent=None) -> None:
        super().__init__(parent)
        self._callback = callback
        self._interval_s = interval_ms / 1000
        self._called_at = -float("inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.now)

    @property
    def pending(self) -> bool:
        """True while a deferred call waits."""
        return self._timer.isActive()

    def request(self) -> None:
        """Call now if the interval has passed since the last call, else at its end."""
        if self._timer.isActive():
            return
        wait = self._called_at + self._interval_s - time.monotonic()
        if wait <= 0:
            self.now()
        else:
            self._timer.start(max(1, round(wait * 1000)))

    def now(self) -> None:
        """Call at once (and drop a deferred call)."""
        self._timer.stop()
        self._called_at = time.monotonic()
        self._callback()
