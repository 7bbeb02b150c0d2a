"""Background work that ends when its window closes (no thread outlives the window)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QMainWindow


class StopOnClose(QObject):
    """Calls ``stop`` when ``window`` closes (before the window's own close handling ends).

    Parameters
    ----------
    window : QMainWindow
    stop : callable
        Cancels the work and waits for its thread.
    """

    def __init__(self, window: QMainWindow, stop: Callable[[], None]) -> None:
        super().__init__(window)
        self._stop = stop
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Stop on the window's close event; never consumes the event."""
        if event.type() == QEvent.Type.Close:
            self._stop()
        return False
