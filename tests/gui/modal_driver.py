"""Answering the real modal dialogs the window opens, the way a user would."""

from __future__ import annotations

import pathlib
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
)


class ModalDriver:
    """Acts on the next modal dialogs in order: ``actions[i]`` gets the i-th one to appear.

    Polls from a timer, so it runs inside the dialogs' own event loops. Each action receives
    the dialog and must close it (accept, reject or a button click). After ``timeout_s``
    without the next dialog the driver gives up (the test then fails on `done`).
    """

    def __init__(self, *actions, timeout_s: float = 20.0) -> None:
        self.actions = list(actions)
        self.seen: list = []
        self.texts: list[str] = []
        self.stuck: str | None = None
        self._deadline = time.monotonic() + timeout_s
        QTimer.singleShot(0, self._poll)

    @property
    def done(self) -> bool:
        """Every action has been applied (and closed its dialog)."""
        return len(self.seen) == len(self.actions) and self.stuck is None

    def _poll(self) -> None:
        widget = QApplication.activeModalWidget()
        if time.monotonic() > self._deadline:
            if widget is not None:  # stuck: close it so the test fails instead of hanging
                self.stuck = widget.windowTitle()
                widget.close()
            return
        if self.done and (not self.seen or not _visible(self.seen[-1])):
            return
        if (
            widget is not None
            and widget.isVisible()
            and not isinstance(widget, QProgressDialog)
            and all(widget is not w for w in self.seen)
            and len(self.seen) < len(self.actions)
        ):
            self.seen.append(widget)
            if isinstance(widget, QMessageBox):
                self.texts.append(f"{widget.text()}\n{widget.informativeText()}".strip())
            else:
                self.texts.append(widget.windowTitle())
            action = self.actions[len(self.seen) - 1]
            QTimer.singleShot(0, lambda: action(widget))
        QTimer.singleShot(10, self._poll)


def _visible(widget) -> bool:
    try:
        return widget.isVisible()
    except RuntimeError:  # already deleted by Qt
        return False


def button_with_text(box, text: str) -> QAbstractButton:
    """The button of a message box labelled ``text`` (ignoring ``&`` accelerators)."""
    for button in box.findChildren(QAbstractButton):
        if button.text().replace("&", "") == text and button.isVisible():
            return button
    raise AssertionError(f"no button {text!r} in {[b.text() for b in box.buttons()]}")


def click(text: str):
    """Action: click the message box button labelled ``text``."""

    def act(box) -> None:
        QTest.mouseClick(button_with_text(box, text), Qt.MouseButton.LeftButton)

    return act


def choose_file(path):
    """Action: pick ``path`` in a QFileDialog and accept it."""

    def act(dialog) -> None:
        assert isinstance(dialog, QFileDialog), type(dialog)
        # Type the full name into the dialog's file name box, as a user would.
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        edit.setText(str(pathlib.Path(path)))
        dialog.accept()

    return act


def cancel(dialog) -> None:
    """Action: close a dialog with Cancel / Escape."""
    dialog.reject()


def accept(dialog) -> None:
    """Action: press the dialog's OK / Import / Generate button."""
    dialog.accept()


def drive(qtbot, *actions, timeout_s: float = 20.0) -> ModalDriver:
    """Start a `ModalDriver`; call before triggering what opens the dialogs."""
    return ModalDriver(*actions, timeout_s=timeout_s)
