"""Putting file handling into a window: commands, menus, drag and drop, autosave, closing."""

from __future__ import annotations

import contextlib
import pathlib

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QMainWindow

from gmm_studio.gui.autosave import AutosaveController
from gmm_studio.gui.axes_bar import AxesBar
from gmm_studio.gui.file_commands import FileCommands
from gmm_studio.gui.file_menu import FileMenu
from gmm_studio.gui.file_questions import DialogQuestions
from gmm_studio.gui.import_dialog import import_dialog_needed
from gmm_studio.gui.settings_store import WINDOW_STATE
from gmm_studio.gui.window_layout import ToolbarRows
from gmm_studio.io import Session, TableInfo


class FileHandling(QObject):
    """The window's unsaved-changes protocol on closing, its autosave and toolbar layout.

    Parameters
    ----------
    window : QMainWindow
        Needs ``document``, ``settings_store``, ``canvas``, ``controller`` and
        ``is_converged()``.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        from gmm_studio.gui.canvas_export import export_png, export_svg

        self.window = window
        self.store = window.settings_store
        self.commands = FileCommands(
            window.document,
            self.store,
            DialogQuestions(window),
            export_canvas=lambda path, kind: (export_svg if kind == "svg" else export_png)(
                window.canvas, path
            ),
            is_converged=window.is_converged,
            parent=self,
        )
        self.menu = FileMenu(window, self.commands)
        self.autosave = AutosaveController(
            lambda: window.document.dirty,
            self.commands.session_from_document,
            parent=self,
            is_busy=lambda: window.controller.running,
            session_files=self.commands.recent_files,
        )
        self.autosave.failed.connect(self.commands.questions.show_status)
        self.commands.recoveryRestored.connect(self.autosave.adopt)
        doc = window.document
        for signal in (doc.pointsChanged, doc.fitChanged, doc.settingsChanged, doc.replaced):
            signal.connect(lambda *_args: self.autosave.note_change())
        doc.dirtyChanged.connect(lambda *_args: self.autosave.note_change())
        self.autosave.note_change()
        self._closed = False
        window.installEventFilter(self)

    def restore_window_state(self) -> None:
        """Put toolbars back where they were (the window restores its own geometry)."""
        state = self.store.get(WINDOW_STATE)
        if state is not None:
            with contextlib.suppress(TypeError):
                self.window.restoreState(state)

    def open_at_start(self, path: pathlib.Path, contents: Session | TableInfo) -> None:
        """Show the file named on the command line (as `open_document` read it).

        A table whose import needs the dialog is asked about once the event loop runs, so
        the dialog belongs to a window that is already shown.
        """
        if isinstance(contents, TableInfo) and import_dialog_needed(contents):
            QTimer.singleShot(0, lambda: self.commands.show_opened(path, contents))
        else:
            self.commands.show_opened(path, contents)

    def offer_recovery_soon(self) -> None:
        """Offer to restore crashed work once the event loop runs (the window is shown)."""
        QTimer.singleShot(0, self.commands.offer_recovery)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Closing the window from its title bar asks about unsaved changes first."""
        if watched is self.window and event.type() == QEvent.Type.Close:
            if event.spontaneous() and not self.commands.confirm_discard("closing"):
                event.ignore()
                return True
            self._on_close()
        return False

    def _on_close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.store.set(WINDOW_STATE, self.window.saveState())
        self.store.sync()
        self.autosave.stop()  # a clean exit: no recovery file is left behind


def install_file_handling(window: QMainWindow) -> FileHandling:
    """Give ``window`` its File and Edit menus, axes bar, drag and drop, paste and autosave.

    Sets ``window.axes_bar``, ``window.file_commands``, ``window.file_menu``,
    ``window.file_handling`` and ``window.drop_paste``.
    """
    from gmm_studio.gui.drop_paste import DropAndPaste

    window.axes_bar = AxesBar(window.document)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, window.axes_bar)
    handling = FileHandling(window)
    window.file_handling = handling
    window.file_commands = handling.commands
    window.file_menu = handling.menu
    window.drop_paste = DropAndPaste(window, handling.commands, handling.menu.edit_menu)
    handling.restore_window_state()
    ToolbarRows(window, window.toolbar, (window.half_step_bar, window.axes_bar))
    return handling
