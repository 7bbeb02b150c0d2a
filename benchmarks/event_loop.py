"""Waiting inside the Qt event loop, for the benchmark and screenshot scripts."""

from __future__ import annotations

import time

from PySide6.QtCore import QEventLoop, QTimer


def spin(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition, seconds: float = 30.0) -> None:
    """Run the event loop until ``condition()`` is true or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        spin(20)
