"""The questions the file commands ask the user, and the real dialogs that ask them.

:class:`FileQuestions` is the whole conversation of opening, saving, exporting and restoring:
which file, how to import a table, whether to save unsaved changes, whether to restore work
left by a crash, plus the error and status messages. The commands in
:mod:`gmm_studio.gui.file_commands` only talk to this interface, so a test can answer for
the user; :class:`DialogQuestions` shows the real Qt dialogs.
"""

from __future__ import annotations

import enum
import os
import pathlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMessageBox

from gmm_studio.gui.import_dialog import ask_import
from gmm_studio.gui.progress import run_with_progress
from gmm_studio.io import PointTable, RecoveryFile, TableInfo

T = TypeVar("T")


class Answer(enum.Enum):
    """What the user chose in a Save / Discard / Cancel or Restore / Discard / Later box."""

    SAVE = enum.auto()
    DISCARD = enum.auto()
    CANCEL = enum.auto()
    RESTORE = enum.auto()
    LATER = enum.auto()


class FileQuestions:
    """What the file commands ask and tell the user (every method must be provided)."""

    def ask_open_path(self, title: str, file_filter: str, folder: str) -> pathlib.Path | None:
        """A file to open, or None if the user cancelled."""
        raise NotImplementedError

    def ask_save_path(
        self, title: str, file_filter: str, folder: str, suggested: str
    ) -> pathlib.Path | None:
        """Where to save (``suggested`` is the proposed file name), or None."""
        raise NotImplementedError

    def ask_import(self, info: TableInfo) -> tuple[PointTable, tuple[int, int]] | None:
        """The table read from ``info`` and the two shown columns, or None if cancelled."""
        raise NotImplementedError

    def ask_unsaved(self, question: str, detail: str) -> Answer:
        """SAVE, DISCARD or CANCEL for unsaved changes."""
        raise NotImplementedError

    def ask_restore(self, item: RecoveryFile) -> Answer:
        """RESTORE, DISCARD or LATER for work autosaved before a crash."""
        raise NotImplementedError

    def show_error(self, title: str, text: str) -> None:
        """Tell the user something went wrong."""
        raise NotImplementedError

    def show_status(self, text: str) -> None:
        """A short note that needs no answer."""
        raise NotImplementedError

    def busy(self, text: str, work: Callable[[], T]) -> T:
        """Run slow file ``work`` (reading, writing) and return its result."""
        raise NotImplementedError


class DialogQuestions(FileQuestions):
    """Asks with Qt dialogs owned by ``window`` and reports in its status bar.

    Parameters
    ----------
    window : QMainWindow
    """

    def __init__(self, window: QMainWindow) -> None:
        self.window = window

    def ask_open_path(self, title: str, file_filter: str, folder: str) -> pathlib.Path | None:
        """A Qt file dialog in ``folder``."""
        dialog = QFileDialog(self.window, title, folder, file_filter)
        dialog.setObjectName("openFileDialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        return _chosen_file(dialog)

    def ask_save_path(
        self, title: str, file_filter: str, folder: str, suggested: str
    ) -> pathlib.Path | None:
        """A Qt file dialog (it asks before overwriting)."""
        dialog = QFileDialog(self.window, title, os.path.join(folder, suggested), file_filter)
        dialog.setObjectName("saveFileDialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.selectFile(suggested)
        return _chosen_file(dialog)

    def ask_import(
        self, info: TableInfo, standardize: bool
    ) -> tuple[PointTable, tuple[int, int], bool] | None:
        """Directly when the choice is obvious, else the import dialog (offering weights and
        standardized columns, ``standardize`` ticked or not)."""
        return ask_import(info, self.window, offer_weights=True, standardize=standardize)

    def ask_unsaved(self, question: str, detail: str) -> Answer:
        """A warning box with Save, Discard and Cancel (Save is the default)."""
        buttons = QMessageBox.StandardButton
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unsaved changes",
            question,
            buttons.Save | buttons.Discard | buttons.Cancel,
            self.window,
        )
        box.setObjectName("unsavedChanges")
        box.setInformativeText(detail)
        box.setDefaultButton(buttons.Save)
        answer = buttons(box.exec())
        return {buttons.Save: Answer.SAVE, buttons.Discard: Answer.DISCARD}.get(
            answer, Answer.CANCEL
        )

    def ask_restore(self, item: RecoveryFile) -> Answer:
        """A question box with Restore, Discard and Not now."""
        when = datetime.fromtimestamp(item.saved_at).strftime("%Y-%m-%d %H:%M:%S")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Restore unsaved work?",
            f"GMM Studio did not close properly last time. Unsaved work was autosaved at {when}.",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setObjectName("restoreOffer")
        box.setInformativeText("Restore it now? Discarding deletes the autosaved copy.")
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        clicked = box.clickedButton()
        if clicked is restore:
            return Answer.RESTORE
        return Answer.DISCARD if clicked is discard else Answer.LATER

    def show_error(self, title: str, text: str) -> None:
        """A message box (the text also goes to the status bar)."""
        self.show_status(text)
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window
        )
        box.setObjectName("fileError")
        box.exec()

    def show_status(self, text: str) -> None:
        """The window's status bar, for ten seconds."""
        self.window.statusBar().showMessage(text, 10_000)

    def busy(self, text: str, work: Callable[[], T]) -> T:
        """Off the GUI thread, with a progress dialog if it takes a while."""
        return run_with_progress(self.window, text, work)


def _chosen_file(dialog: QFileDialog) -> pathlib.Path | None:
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return pathlib.Path(dialog.selectedFiles()[0])
