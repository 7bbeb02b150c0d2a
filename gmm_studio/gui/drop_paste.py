"""Data dropped on the window or pasted into it (Ctrl+V).

A dropped file goes through the same import path as File ▸ Open. Pasted (or dropped) text,
for example rows copied from a spreadsheet, adds its rows to the document as one undoable
edit.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QMimeData, QObject, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow

from gmm_studio.gui.commands import AddPointsCommand
from gmm_studio.io import DataFileError, TableInfo, inspect_pasted_text


def dropped_paths(mime: QMimeData) -> list[str]:
    """Local files named by a drag's URLs."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def rows_for_document(info: TableInfo, columns: list[str], axes: tuple[int, int]) -> np.ndarray:
    """Match pasted columns to the document's: by header name, else by count.

    Returns full rows, or (N, 2) rows for the displayed axes when two columns were pasted
    into a document with more (see ``Document.lift_to_features``); the caller lifts those.

    Raises
    ------
    DataFileError
        When the pasted columns cannot be matched.
    """
    numeric = [info.columns[i] for i in info.numeric_columns]
    if info.has_header and set(columns) <= set(numeric):
        return info.select(columns).data
    if len(numeric) == len(columns) or len(numeric) == 2:
        return info.select(None).data
    raise DataFileError(
        None,
        f"{len(numeric)} numeric columns ({', '.join(numeric)}) do not match the "
        f"{len(columns)} columns of the points ({', '.join(columns)}); paste "
        f"{len(columns)} columns, or 2 for the axes shown",
    )


class DropAndPaste(QObject):
    """Accepts files and text dropped anywhere on ``window``, and adds a Paste action.

    Parameters
    ----------
    window : MainWindow
    commands : FileCommands
        Opens dropped files; its questions report problems.
    edit_menu : QMenu
        Where the Paste action goes.
    """

    def __init__(self, window: QMainWindow, commands, edit_menu) -> None:
        super().__init__(window)
        self.window = window
        self.commands = commands
        self.paste_action = QAction("&Paste points", window)
        self.paste_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Paste))
        self.paste_action.setStatusTip("Add rows copied from a spreadsheet or a text file")
        self.paste_action.triggered.connect(self.paste)
        window.addAction(self.paste_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.paste_action)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Take drags that carry files or text, wherever on the window they are dropped."""
        kind = event.type()
        if watched is self.window and kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            mime = event.mimeData()
            if dropped_paths(mime) or mime.hasText():
                event.acceptProposedAction()
                return True
        elif watched is self.window and kind == QEvent.Type.Drop:
            mime = event.mimeData()
            paths = dropped_paths(mime)
            text = None if paths else (mime.text() if mime.hasText() else None)
            if paths or text:
                event.acceptProposedAction()
                # Open after the drop has returned: the drag source must not wait on dialogs.
                QTimer.singleShot(0, lambda: self._dropped(paths, text))
                return True
        return False

    def _dropped(self, paths: list[str], text: str | None) -> None:
        if paths:
            if len(paths) > 1:
                self.commands.questions.show_status(
                    f"Opening the first of {len(paths)} files only."
                )
            self.commands.open_path(paths[0])
        elif text:
            self.paste_text(text)

    def paste(self) -> bool:
        """Edit ▸ Paste: add the rows of the clipboard's text."""
        mime = QGuiApplication.clipboard().mimeData()
        paths = dropped_paths(mime) if mime is not None else []
        if paths:  # files copied in a file manager
            return self.commands.open_path(paths[0])
        text = mime.text() if mime is not None and mime.hasText() else ""
        return self.paste_text(text)

    def paste_text(self, text: str) -> bool:
        """Add the rows of ``text`` to the document as one undoable edit.

        Problems are reported to the user and change nothing.
        """
        doc = self.window.document
        try:
            if not text.strip():
                raise DataFileError(None, "the clipboard holds no text")
            info = inspect_pasted_text(text)
            rows = rows_for_document(info, doc.columns, doc.axes)
        except DataFileError as error:
            self.commands.questions.show_error("Cannot paste", str(error))
            return False
        if rows.shape[1] != doc.n_features:
            rows = doc.lift_to_features(rows)
        n = len(rows)
        doc.undo_stack.push(AddPointsCommand(doc, rows, f"Paste {n} point{'s' * (n != 1)}"))
        dropped = info.incomplete_count()
        note = f" ({dropped} incomplete rows skipped)" if dropped else ""
        self.commands.questions.show_status(f"Pasted {n} points{note}.")
        return True
