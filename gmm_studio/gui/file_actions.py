"""The File menu: opening, saving, exporting, recent files, unsaved changes and autosave.

`FileActions` works on the window's `Document` (never on its widgets) and goes through the
one import path of `gmm_studio.io` for every way data comes in: File ▸ Open, Open Recent,
Open Sample, drag and drop. Every question it asks the user (a file name, what to import,
whether to save) is a method whose default shows the real dialog, so tests can drive those
dialogs like a user would.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import pathlib
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMenu, QMessageBox

from gmm_studio.core import PRESETS, FitError, FitSettings
from gmm_studio.gui.app_settings import open_settings
from gmm_studio.gui.autosave import AutosaveController
from gmm_studio.gui.axes_bar import AxesBar
from gmm_studio.gui.document import Document
from gmm_studio.gui.generate_dialog import PRESET_LABELS, GeneratedData, GenerateDialog
from gmm_studio.gui.import_dialog import ImportDialog, ask_import, import_choice_needed
from gmm_studio.gui.progress import run_with_progress
from gmm_studio.io import (
    SESSION_SUFFIX,
    DataFileError,
    PointTable,
    RecoveryFile,
    Session,
    TableInfo,
    add_recent,
    existing_recent,
    inspect_table,
    list_recovery,
    load_session,
    python_snippet,
    remove_recent,
    remove_recovery,
    save_session,
    write_labels_csv,
    write_model_json,
    write_points_csv,
)

#: Shipped samples: menu text -> (file in gmm_studio.samples, n_components).
SAMPLES = {
    "The notebook's 100 points": ("seed_example.csv", 3),
    "Old Faithful geyser eruptions": ("old_faithful.csv", 2),
}
#: Points in a generated sample from the Open Sample menu.
GENERATED_SAMPLE_POINTS = 300

DATA_FILTER = "Data files (*.csv *.tsv *.txt *.dat *.npy *.npz);;All files (*)"
SESSION_FILTER = f"GMM Studio sessions (*{SESSION_SUFFIX})"
OPEN_FILTER = f"Data and sessions (*.csv *.tsv *.txt *.dat *.npy *.npz *{SESSION_SUFFIX});;" + (
    f"{SESSION_FILTER};;{DATA_FILTER}"
)

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
RESTORE, LATER = "restore", "later"

# QSettings keys.
KEY_LAST_FOLDER = "files/last_folder"
KEY_RECENT = "files/recent"
KEY_EM_DEFAULTS = "em/defaults"
KEY_WINDOW_STATE = "window/state"


def install_file_handling(window: QMainWindow) -> FileActions:
    """Give ``window`` its File and Edit menus, axes bar, drag and drop, paste and autosave.

    Sets ``window.file_actions`` and ``window.drop_paste``.
    """
    from gmm_studio.gui.drop_paste import DropAndPaste

    window.axes_bar = AxesBar(window.document)
    window.addToolBar(window.axes_bar)
    window.file_actions = FileActions(window)
    window.drop_paste = DropAndPaste(window, window.file_actions)
    window.file_actions.restore_window_state()
    return window.file_actions


def prepare_startup_file(path: pathlib.Path) -> tuple[Document | None, Callable | None]:
    """Read the file named on the command line (``gmm-studio PATH``) before the window opens.

    Returns ``(document, setup)``: the document to create the window with (None for the
    start-up sample), and a function to call with the shown window (None if nothing is
    left to do): a session is restored into the window, and a table whose import choice is
    not obvious goes through the import dialog once the window is up.

    Raises
    ------
    DataFileError
        For any problem with the file (the command then exits without a window).
    """
    path = pathlib.Path(path)
    if _looks_like_session(path):
        session = load_session(path)

        def restore(window) -> None:
            window.file_actions.load_session_object(session, name=path.name, path=path)
            window.file_actions._add_recent(path)

        return None, restore
    info = inspect_table(path)
    usable = [i for i in info.numeric_columns if i not in info.column_problems]
    if len(usable) < 2:
        info.resolve_columns(None)
    if info.notes or import_choice_needed(info):
        return None, lambda window: QTimer.singleShot(
            0, lambda: window.file_actions.import_table(path, info)
        )
    table = info.select()
    document = Document(table.data, table.columns, name=path.name, path=path)

    def remember(window) -> None:
        window.file_actions.source_table = table
        window.file_actions._add_recent(path)

    return document, remember


def sample_path(file_name: str) -> contextlib.AbstractContextManager[pathlib.Path]:
    """A real file path for a sample shipped in ``gmm_studio.samples``."""
    return importlib.resources.as_file(importlib.resources.files("gmm_studio.samples") / file_name)


class FileActions(QObject):
    """Builds the File menu and owns open / save / export / recent / autosave for a window.

    Parameters
    ----------
    window : MainWindow
        Needs ``document``, ``canvas`` and ``state``; its status bar shows short messages.

    Attributes
    ----------
    source_table : PointTable or None
        How the current points were read (for "Copy as Python"), while they are unedited.

    Signals
    -------
    documentLoaded(str)
        A file, session, sample or recovered work replaced the document (its name).
    """

    documentLoaded = Signal(str)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document: Document = window.document
        self.store: QSettings = open_settings()
        self.source_table: PointTable | None = None
        self.autosave = AutosaveController(
            lambda: self.document.dirty,
            self.session_from_document,
            parent=self,
            is_busy=lambda: window.controller.running,
        )
        self.autosave.failed.connect(self.show_status)
        self._build_actions()
        self._build_menus()
        doc = self.document
        for signal in (doc.pointsChanged, doc.fitChanged, doc.settingsChanged, doc.replaced):
            signal.connect(self._on_document_changed)
        doc.dirtyChanged.connect(self._on_document_changed)
        doc.settingsChanged.connect(self._remember_em_defaults)
        doc.undo_stack.indexChanged.connect(self._on_points_edited)
        self._on_document_changed()
        window.installEventFilter(self)
        self._closed = False

    # -- building ---------------------------------------------------------------------------
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
        a = self._action
        keys = QKeySequence.StandardKey
        self.new_action = a("&New", self.new_document, keys.New, "Start with an empty canvas")
        self.open_action = a(
            "&Open…",
            self.open,
            keys.Open,
            "Open a data file (CSV, TSV, text, .npy, .npz) or a session",
        )
        self.generate_action = a(
            "&Generate data…", self.generate, "Ctrl+G", "Draw points from a Gaussian mixture"
        )
        self.save_action = a("&Save session", self.save_session, keys.Save, "Save everything")
        self.save_as_action = a(
            "Save session &as…", self.save_session_as, keys.SaveAs, "Save to a new .gmms file"
        )
        self.save_points_action = a(
            "Save &points as CSV…", self.save_points, None, "Write the points to a CSV file"
        )
        self.export_labels_action = a(
            "&Labels and responsibilities (CSV)…",
            self.export_labels,
            None,
            "Each point's most likely component and every responsibility",
        )
        self.export_model_action = a(
            "&Model (JSON)…", self.export_model, None, "Weights, means, covariances, BIC, AIC"
        )
        self.export_png_action = a(
            "Canvas as P&NG…", lambda: self.export_canvas("png"), None, "Save the plot as PNG"
        )
        self.export_svg_action = a(
            "Canvas as &SVG…", lambda: self.export_canvas("svg"), None, "Save the plot as SVG"
        )
        self.copy_python_action = a(
            "Copy as &Python",
            self.copy_as_python,
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
        for text, (file_name, k) in SAMPLES.items():
            action = self.sample_menu.addAction(text)
            action.triggered.connect(
                lambda _c=False, f=file_name, k=k, t=text: self.open_sample(f, k, t)
            )
        self.sample_menu.addSeparator()
        for key in PRESETS:
            action = self.sample_menu.addAction(f"Generated: {PRESET_LABELS.get(key, key)}")
            action.triggered.connect(lambda _c=False, key=key: self.open_generated_sample(key))
        file_menu.addAction(self.generate_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.save_points_action)
        export_menu = file_menu.addMenu("&Export")
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

    # -- questions (each shows the real dialog; tests drive those dialogs) -------------------
    def ask_open_path(self, title: str, file_filter: str) -> pathlib.Path | None:
        """Ask for a file to open (a Qt file dialog in the last folder used)."""
        dialog = QFileDialog(self.window, title, self.last_folder(), file_filter)
        dialog.setObjectName("openFileDialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return pathlib.Path(dialog.selectedFiles()[0])

    def ask_save_path(self, title: str, file_filter: str, suggested: str) -> pathlib.Path | None:
        """Ask where to save (a Qt file dialog; it asks before overwriting)."""
        start = os.path.join(self.last_folder(), suggested)
        dialog = QFileDialog(self.window, title, start, file_filter)
        dialog.setObjectName("saveFileDialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.selectFile(suggested)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return pathlib.Path(dialog.selectedFiles()[0])

    def ask_import(self, info: TableInfo) -> tuple[PointTable, tuple[int, int]] | None:
        """Import ``info`` directly when obvious, else through the import dialog.

        The dialog is also shown when the reader has notes (a file that is not UTF-8, decimal
        commas, ...), so the user sees them before the points replace the document.
        """
        usable = [i for i in info.numeric_columns if i not in info.column_problems]
        if len(usable) < 2:
            info.resolve_columns(None)  # raises the first column's problem, naming the file
        if info.incomplete_count(usable) == info.n_rows:
            info.select(usable)  # raises "every row has a missing or non-finite value"
        if not info.notes or import_choice_needed(info):
            return ask_import(info, self.window)
        dialog = ImportDialog(info, self.window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.points(), dialog.choice().axes
        finally:
            dialog.deleteLater()

    def ask_unsaved(self, question: str) -> str:
        """Save / Discard / Cancel for unsaved changes; returns SAVE, DISCARD or CANCEL."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unsaved changes",
            question,
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("unsavedChanges")
        box.setInformativeText("Points, edits and the fit are kept only if you save them.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: SAVE,
            QMessageBox.StandardButton.Discard: DISCARD,
        }.get(QMessageBox.StandardButton(answer), CANCEL)

    def ask_restore(self, item: RecoveryFile) -> str:
        """Offer work left by a crash; returns RESTORE, DISCARD or LATER."""
        from datetime import datetime

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
        return RESTORE if clicked is restore else DISCARD if clicked is discard else LATER

    def show_error(self, title: str, text: str) -> None:
        """Tell the user what went wrong (a message box; also in the status bar)."""
        self.show_status(text)
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window
        )
        box.setObjectName("fileError")
        box.exec()

    def show_status(self, text: str, timeout_ms: int = 10_000) -> None:
        """A short message in the status bar."""
        self.window.statusBar().showMessage(text, timeout_ms)

    # -- preferences ------------------------------------------------------------------------
    def last_folder(self) -> str:
        """The folder of the last file opened or saved (the home folder at first)."""
        folder = str(self.store.value(KEY_LAST_FOLDER, "") or "")
        return folder if folder and os.path.isdir(folder) else str(pathlib.Path.home())

    def _remember_folder(self, path: pathlib.Path) -> None:
        self.store.setValue(KEY_LAST_FOLDER, str(pathlib.Path(path).resolve().parent))

    def recent_files(self) -> list[str]:
        """Recent files, newest first."""
        value = self.store.value(KEY_RECENT, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v]

    def _set_recent(self, items: list[str]) -> None:
        self.store.setValue(KEY_RECENT, list(items))

    def _add_recent(self, path: pathlib.Path) -> None:
        self._set_recent(add_recent(self.recent_files(), path))
        self._remember_folder(path)

    def em_defaults(self) -> FitSettings:
        """The fit settings a new document starts with (the last ones used)."""
        text = self.store.value(KEY_EM_DEFAULTS, "")
        try:
            return FitSettings.from_dict(json.loads(str(text))) if text else FitSettings()
        except (ValueError, TypeError, FitError):
            return FitSettings()

    def _remember_em_defaults(self) -> None:
        self.store.setValue(KEY_EM_DEFAULTS, json.dumps(self.document.settings.to_dict()))

    def restore_window_state(self) -> None:
        """Put toolbars back where they were (the window restores its own geometry)."""
        state = self.store.value(KEY_WINDOW_STATE)
        if state is not None:
            with contextlib.suppress(TypeError):
                self.window.restoreState(state)

    def save_preferences(self) -> None:
        """Write the window layout and flush the settings file."""
        self.store.setValue(KEY_WINDOW_STATE, self.window.saveState())
        self.store.sync()

    # -- unsaved changes --------------------------------------------------------------------
    def confirm_discard(self, doing: str) -> bool:
        """If there are unsaved changes, ask to save them first; False means do not go on."""
        doc = self.document
        if not doc.dirty:
            return True
        answer = self.ask_unsaved(f"Save the changes to {doc.name} before {doing}?")
        if answer == SAVE:
            return self.save_session()
        return answer == DISCARD

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Closing the window from its title bar asks about unsaved changes first."""
        if watched is self.window and event.type() == QEvent.Type.Close:
            if event.spontaneous() and not self.confirm_discard("closing"):
                event.ignore()
                return True
            self._on_close()
        return False

    def _on_close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.save_preferences()
        self.autosave.stop()  # a clean exit: no recovery file is left behind

    def quit(self) -> None:
        """File ▸ Quit: ask about unsaved changes, then close the window."""
        if self.confirm_discard("quitting"):
            self.window.close()

    # -- loading ----------------------------------------------------------------------------
    def _replace(self, **contents) -> None:
        self.document.replace_contents(**contents)
        self.documentLoaded.emit(self.document.name)

    def new_document(self) -> bool:
        """File ▸ New: an empty canvas with the remembered EM settings."""
        if not self.confirm_discard("starting a new document"):
            return False
        self.source_table = None
        self._replace(points=np.zeros((0, 2)), columns=["x", "y"], settings=self.em_defaults())
        self.show_status("New document: click on the canvas to add points.")
        return True

    def open(self) -> bool:
        """File ▸ Open: choose a data file or a session, then open it."""
        path = self.ask_open_path("Open data or session", OPEN_FILTER)
        return False if path is None else self.open_path(path)

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Open a data file (through the import dialog when the choice is not obvious) or a
        ``.gmms`` session. Any problem is reported naming the file; the document is then left
        exactly as it was. Returns True if the document was replaced."""
        path = pathlib.Path(path)
        if _looks_like_session(path):
            return self._open_session(path)
        try:
            info = run_with_progress(
                self.window, f"Reading {path.name}…", lambda: inspect_table(path)
            )
        except DataFileError as error:
            self._report_open_error(path, error)
            return False
        return self.import_table(path, info)

    def import_table(self, path: pathlib.Path, info: TableInfo) -> bool:
        """Second half of `open_path`: the import choice, then replace the document."""
        try:
            chosen = self.ask_import(info)
        except DataFileError as error:
            self._report_open_error(path, error)
            return False
        if chosen is None:
            return False
        if not self.confirm_discard(f"opening {path.name}"):
            return False
        table, axes = chosen
        self._load_table(table, axes, name=path.name, path=path)
        self._add_recent(path)
        return True

    def _report_open_error(self, path: pathlib.Path, error: DataFileError) -> None:
        if not path.exists():
            self._set_recent(remove_recent(self.recent_files(), path))
        self.show_error(f"Cannot open {error.display_name}", str(error))

    def _load_table(
        self,
        table: PointTable,
        axes: tuple[int, int],
        *,
        name: str,
        path: pathlib.Path | None,
        settings: FitSettings | None = None,
    ) -> None:
        self._replace(
            points=table.data,
            columns=table.columns,
            axes=axes,
            settings=settings,
            name=name,
            path=path,
        )
        self.source_table = table
        text = f"Opened {name}: {table.n_samples} points, {table.n_features} columns"
        if table.notes:
            text += " (" + "; ".join(table.notes) + ")"
        self.show_status(text)

    def _open_session(self, path: pathlib.Path) -> bool:
        try:
            session = run_with_progress(
                self.window, f"Reading {path.name}…", lambda: load_session(path)
            )
        except DataFileError as error:
            self._report_open_error(path, error)
            return False
        if not self.confirm_discard(f"opening {path.name}"):
            return False
        self.load_session_object(session, name=path.name, path=path)
        self._add_recent(path)
        self.show_status(f"Opened session {path.name}: {len(session.points)} points")
        return True

    def load_session_object(
        self,
        session: Session,
        *,
        name: str,
        path: pathlib.Path | None,
        modified: bool = False,
    ) -> None:
        """Show ``session`` in the window (no questions asked)."""
        self.source_table = None
        self._replace(
            points=session.points,
            columns=session.columns,
            axes=session.axes,
            settings=session.settings,
            mixture=session.mixture,
            log_likelihood_history=session.log_likelihood_history,
            name=name,
            path=path,
            modified=modified,
        )

    def open_sample(self, file_name: str, n_components: int, title: str = "") -> bool:
        """File ▸ Open Sample: a data set shipped with GMM Studio (read like any file)."""
        try:
            with sample_path(file_name) as path:
                table = inspect_table(path).select()
        except DataFileError as error:  # pragma: no cover - the samples ship with the package
            self.show_error(f"Cannot open {file_name}", str(error))
            return False
        if not self.confirm_discard(f"opening {title or file_name}"):
            return False
        settings = self.document.settings.replace(n_components=n_components)
        self._load_table(table, (0, 1), name=file_name, path=None, settings=settings)
        return True

    def open_generated_sample(self, preset: str, seed: int = 0) -> bool:
        """File ▸ Open Sample ▸ Generated: points from one of the generator's presets."""
        X, labels, mixture = PRESETS[preset](GENERATED_SAMPLE_POINTS, seed)
        data = GeneratedData(np.asarray(X), np.asarray(labels), mixture, preset, seed)
        return self.load_generated(data)

    def generate(self) -> bool:
        """File ▸ Generate data: the generator dialog, then its points replace the document."""
        dialog = GenerateDialog(self.window)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.generated is None:
                return False
            data = dialog.generated
        finally:
            dialog.deleteLater()
        return self.load_generated(data)

    def load_generated(self, data: GeneratedData) -> bool:
        """Replace the document with generated points (K set to the true mixture's)."""
        if not self.confirm_discard("generating new data"):
            return False
        label = PRESET_LABELS.get(data.preset, data.preset).split(" (")[0].lower()
        self.source_table = None
        settings = self.document.settings.replace(n_components=data.mixture.n_components)
        self._replace(
            points=data.points,
            columns=["x", "y"],
            settings=settings,
            name=f"generated ({label}, seed {data.seed})",
        )
        self.show_status(f"Generated {len(data.points)} points ({label}).")
        return True

    # -- recent files -----------------------------------------------------------------------
    def _fill_recent_menu(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        items = existing_recent(self.recent_files())
        self._set_recent(items)
        for i, item in enumerate(items):
            action = menu.addAction(f"&{i + 1} {pathlib.Path(item).name}")
            action.setToolTip(item)
            action.setStatusTip(item)
            action.triggered.connect(lambda _c=False, p=item: self.open_path(p))
        if not items:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list").triggered.connect(lambda: self._set_recent([]))

    # -- saving and exporting ---------------------------------------------------------------
    def session_path(self) -> pathlib.Path | None:
        """The session file the document was opened from or saved to, if any."""
        path = self.document.path
        return path if path is not None and path.suffix.lower() == SESSION_SUFFIX else None

    def session_from_document(self) -> Session:
        """The document as a `Session`."""
        doc = self.document
        source = None
        if self.source_table is not None and self.source_table.source is not None:
            source = str(self.source_table.source)
        return Session(
            points=doc.points,
            columns=list(doc.columns),
            axes=doc.axes,
            settings=doc.settings,
            mixture=doc.mixture,
            log_likelihood_history=list(doc.log_likelihood_history),
            source=source,
        )

    def save_session(self) -> bool:
        """File ▸ Save session: to its .gmms file, or ask for one."""
        path = self.session_path()
        return self.save_session_as() if path is None else self.save_session_to(path)

    def save_session_as(self) -> bool:
        """File ▸ Save session as: ask for a .gmms file."""
        stem = pathlib.Path(self.document.name).stem or "session"
        path = self.ask_save_path("Save session", SESSION_FILTER, stem + SESSION_SUFFIX)
        if path is None:
            return False
        return self.save_session_to(_with_suffix(path, SESSION_SUFFIX))

    def save_session_to(self, path: pathlib.Path) -> bool:
        """Write the session to ``path`` (atomically) and mark the document saved."""
        session = self.session_from_document()
        try:
            run_with_progress(
                self.window, f"Saving {path.name}…", lambda: save_session(path, session)
            )
        except DataFileError as error:
            self.show_error(f"Cannot save {error.display_name}", str(error))
            return False
        self.document.mark_saved(path)
        self._add_recent(path)
        self.show_status(f"Saved {path}")
        return True

    def _write(self, what: str, suffix: str, file_filter: str, write: Callable) -> bool:
        stem = pathlib.Path(self.document.name).stem or "points"
        path = self.ask_save_path(f"Save {what}", file_filter, f"{stem}{suffix}")
        if path is None:
            return False
        path = _with_suffix(path, suffix)
        try:
            write(path)
        except DataFileError as error:
            self.show_error(f"Cannot save {error.display_name}", str(error))
            return False
        self._remember_folder(path)
        self.show_status(f"Saved {what} to {path}")
        return True

    def save_points(self) -> bool:
        """File ▸ Save points as CSV."""
        doc = self.document
        return self._write(
            "points",
            ".csv",
            "CSV files (*.csv)",
            lambda path: write_points_csv(path, doc.points, doc.columns),
        )

    def export_labels(self) -> bool:
        """File ▸ Export ▸ labels and responsibilities (CSV)."""
        doc = self.document
        if doc.mixture is None:
            return False
        mixture, points, columns = doc.mixture, doc.points, list(doc.columns)
        return self._write(
            "labels and responsibilities",
            "-labels.csv",
            "CSV files (*.csv)",
            lambda path: write_labels_csv(
                path, mixture.predict_proba(points), points=points, columns=columns
            ),
        )

    def export_model(self) -> bool:
        """File ▸ Export ▸ model (JSON)."""
        doc = self.document
        if doc.mixture is None:
            return False
        mixture, points, columns = doc.mixture, doc.points, list(doc.columns)
        settings, n_iter = doc.settings, doc.iteration
        converged = getattr(self.window, "state", "") == "converged"
        return self._write(
            "model",
            "-model.json",
            "JSON files (*.json)",
            lambda path: write_model_json(
                path,
                mixture,
                columns,
                data=points if len(points) else None,
                settings=settings,
                n_iter=n_iter,
                converged=converged,
            ),
        )

    def export_canvas(self, kind: str) -> bool:
        """File ▸ Export ▸ canvas as PNG or SVG."""
        from gmm_studio.gui.canvas_export import export_png, export_svg

        canvas = self.window.canvas
        write = export_svg if kind == "svg" else export_png
        upper = kind.upper()
        return self._write(
            f"canvas as {upper}",
            f".{kind}",
            f"{upper} images (*.{kind})",
            lambda path: write(canvas, path),
        )

    def python_code(self) -> str | None:
        """The "Copy as Python" code for the current fit, or None without a fit."""
        doc = self.document
        start = doc.initial_mixture if doc.initial_mixture is not None else doc.mixture
        if start is None:
            return None
        table = self.source_table
        if table is not None and np.array_equal(table.data, doc.points):
            return python_snippet(start, doc.settings, table)
        return python_snippet(start, doc.settings, points=doc.points, columns=list(doc.columns))

    def copy_as_python(self) -> bool:
        """File ▸ Copy as Python: scikit-learn code rebuilding this fit, to the clipboard."""
        code = self.python_code()
        if code is None:
            return False
        QGuiApplication.clipboard().setText(code)
        self.show_status("Copied Python code (scikit-learn) that rebuilds this fit.")
        return True

    # -- crash recovery ---------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """If an earlier run was killed with unsaved work, offer to restore it.

        Returns True if work was restored.
        """
        items = list_recovery()
        if not items:
            return False
        item = items[0]
        answer = self.ask_restore(item)
        if answer == LATER:
            return False
        if answer == DISCARD:
            remove_recovery(item)
            return False
        try:
            session = item.load()
        except DataFileError as error:
            self.show_error("Cannot restore the autosaved work", str(error))
            return False
        if not self.confirm_discard("restoring autosaved work"):
            return False
        self.load_session_object(session, name="Recovered work", path=None, modified=True)
        self.autosave.adopt(item)  # its file becomes ours: on disk until saved or discarded
        self.show_status("Restored autosaved work: save it to keep it.")
        return True

    def offer_recovery_soon(self) -> None:
        """Offer recovery once the event loop runs (after the window is shown)."""
        QTimer.singleShot(0, self.offer_recovery)

    # -- reactions --------------------------------------------------------------------------
    def _on_document_changed(self, *_args) -> None:
        doc = self.document
        has_fit = doc.mixture is not None
        for action in (
            self.export_labels_action,
            self.export_model_action,
            self.copy_python_action,
        ):
            action.setEnabled(has_fit)
        self.autosave.note_change()

    def _on_points_edited(self, *_args) -> None:
        table = self.source_table
        if table is not None and table.n_samples != self.document.n_points:
            self.source_table = None  # edited: "Copy as Python" writes the points out


def _with_suffix(path: pathlib.Path, suffix: str) -> pathlib.Path:
    """Add the file type's extension when the user typed a name without one."""
    if path.suffix:
        return path
    return path.with_name(path.name + pathlib.Path("x" + suffix).suffix)


def _looks_like_session(path: pathlib.Path) -> bool:
    if path.suffix.lower() == SESSION_SUFFIX:
        return True
    if path.suffix.lower() != ".json":
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(400)
    except OSError:
        return False
    return b"gmm-studio-session" in head
