"""Run slow file work off the GUI thread, with a busy indicator if it takes a while."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

T = TypeVar("T")

#: The busy indicator appears only for work that takes longer than this.
SHOW_AFTER_MS = 500


class _Relay(QObject):
    done = Signal()


def run_with_progress(parent: QWidget | None, text: str, work: Callable[[], T]) -> T:
    """Call ``work()`` in a worker thread and return its result (or raise its exception).

    The GUI thread keeps painting meanwhile; after :data:`SHOW_AFTER_MS` a window-modal,
    busy progress dialog saying ``text`` appears, so the user cannot edit the document while
    a file is being read into it.

    Parameters
    ----------
    parent : QWidget or None
        The window the progress dialog belongs to.
    text : str
        What is happening ("Reading big.csv ...").
    work : callable
        Takes no argument; must not touch Qt widgets.
    """
    outcome: dict[str, object] = {}
    finished = threading.Event()
    relay = _Relay()
    loop = QEventLoop()
    relay.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller in the GUI thread
            outcome["error"] = error
        finally:
            finished.set()
            relay.done.emit()

    dialog = QProgressDialog(text, "", 0, 0, parent)
    dialog.setObjectName("loadingProgress")
    dialog.setCancelButton(None)  # a reader cannot be interrupted half-way
    dialog.setWindowTitle("GMM Studio")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    thread = threading.Thread(target=target, name="gmm-studio-load", daemon=True)
    thread.start()
    try:
        if not finished.is_set():
            loop.exec()
    finally:
        thread.join()
        dialog.close()
        dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
