"""The File and Edit menus: their actions, submenus and which of them are enabled."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu

from gmm_studio.core import PRESETS
from gmm_studio.gui.file_commands import FileCommands
from gmm_studio.gui.generate_dialog import PRESET_LABELS, GenerateDialog
from gmm_studio.io import existing_recent
from gmm_studio.resources import SAMPLES


class FileMenu(QObject):
    """Builds the window's File and Edit menus on top of its :class:`FileCommands`.

    Parameters
    ----------
    window : QMainWindow
        The window the menus and their shortcuts belong to; its ``undo_action`` and
        ``redo_action`` (if any) go into the Edit menu.
    commands : FileCommands
    """

    def __init__(self, window: QMainWindow, commands: FileCommands) -> None:
        super().__init__(window)
        self.window = window
        self.commands = commands
        self._build_actions()
        self._build_menus()
        doc = commands.document
        for signal in (doc.pointsChanged, doc.fitChanged, doc.settingsChanged, doc.replaced):
            signal.connect(self.update_enabled)
        self.update_enabled()

    def _action(self, text: str, slot: Callable, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def _build_actions(self) -> None:
        a, c = self._action, self.commands
        keys = QKeySequence.StandardKey
        self.new_action = a("&New", c.new_document, keys.New, "Start with an empty canvas")
        self.open_action = a(
            "&Open…",
            c.open,
            keys.Open,
            "Open a data file (CSV, TSV, text, .npy, .npz, .xlsx, .parquet) or a session",
        )
        self.generate_action = a(
            "&Generate data…", self.generate, "Ctrl+G", "Draw points from a Gaussian mixture"
        )
        self.save_action = a("&Save session", c.save_session, keys.Save, "Save everything")
        self.save_as_action = a(
            "Save session &as…", c.save_session_as, keys.SaveAs, "Save to a new .gmms file"
        )
        self.save_points_action = a(
            "Save &points as CSV…", c.save_points, None, "Write the points to a CSV file"
        )
        self.export_labels_action = a(
            "&Labels and responsibilities (CSV)…",
            c.export_labels,
            None,
            "Each point's most likely component and every responsibility",
        )
        self.export_model_action = a(
            "&Model (JSON)…", c.export_model, None, "Weights, means, covariances, BIC, AIC"
        )
        self.export_png_action = a(
            "Canvas as P&NG…", lambda: c.export_canvas("png"), None, "Save the plot as PNG"
        )
        self.export_svg_action = a(
            "Canvas as &SVG…", lambda: c.export_canvas("svg"), None, "Save the plot as SVG"
        )
        self.copy_python_action = a(
            "Copy as &Python",
            c.copy_as_python,
            "Ctrl+Shift+C",
            "Copy scikit-learn code that rebuilds this fit",
        )
        self.quit_action = a("&Quit", self.quit, "Ctrl+Q", "Close GMM Studio")

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        self.file_menu = file_menu = bar.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.sample_menu = file_menu.addMenu("Open Sa&mple")
        for sample in SAMPLES:
            action = self.sample_menu.addAction(sample.title)
            action.triggered.connect(lambda _c=False, s=sample: self.commands.open_sample(s))
        self.sample_menu.addSeparator()
        for key in PRESETS:
            action = self.sample_menu.addAction(f"Generated: {PRESET_LABELS.get(key, key)}")
            action.triggered.connect(
                lambda _c=False, key=key: self.commands.open_generated_sample(key)
            )
        file_menu.addAction(self.generate_action)
        file_menu.addSeparator()
        for action in (self.save_action, self.save_as_action, self.save_points_action):
            file_menu.addAction(action)
        self.export_menu = export_menu = file_menu.addMenu("&Export")
        for action in (
            self.export_labels_action,
            self.export_model_action,
            self.export_png_action,
            self.export_svg_action,
        ):
            export_menu.addAction(action)
        file_menu.addAction(self.copy_python_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.setObjectName("editMenu")
        for name in ("undo_action", "redo_action"):
            action = getattr(self.window, name, None)
            if action is not None:
                self.edit_menu.addAction(action)

    def _fill_recent_menu(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        items = existing_recent(self.commands.recent_files())
        self.commands.set_recent_files(items)
        for i, item in enumerate(items):
            action = menu.addAction(f"&{i + 1} {pathlib.Path(item).name}")
            action.setToolTip(item)
            action.setStatusTip(item)
            action.triggered.connect(lambda _c=False, p=item: self.commands.open_path(p))
        if not items:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            clear = menu.addAction("Clear list")
            clear.triggered.connect(lambda: self.commands.set_recent_files([]))

    def update_enabled(self, *_args) -> None:
        """Exports of the fit need a fit."""
        has_fit = self.commands.document.mixture is not None
        for action in (self.export_labels_action, self.export_model_action):
            action.setEnabled(has_fit)
        self.copy_python_action.setEnabled(has_fit)

    def generate(self) -> bool:
        """File ▸ Generate data: the generator dialog, then its points replace the document."""
        dialog = GenerateDialog(self.window)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.generated is None:
                return False
            data = dialog.generated
        finally:
            dialog.deleteLater()
        return self.commands.load_generated(data)

    def quit(self) -> None:
        """File ▸ Quit: ask about unsaved changes, then close the window."""
        if self.commands.confirm_discard("quitting"):
            self.window.close()
