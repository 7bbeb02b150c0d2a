"""What the File menu does: new, open, import, save, export and restore, on one `Document`.

:class:`FileCommands` works on the document (never on widgets) and asks every question
through a :class:`~gmm_studio.gui.file_questions.FileQuestions`, so the same commands run
behind the real dialogs and behind a test's answers. Every way data comes in (File ▸ Open,
Open Recent, Open Sample, drag and drop, the command line) goes through
:func:`gmm_studio.io.open_document`.
"""

from __future__ import annotations

import glob
import os
import pathlib
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from gmm_studio.core import PRESETS, FitSettings
from gmm_studio.core.lessons import Lesson
from gmm_studio.gui.document import Document
from gmm_studio.gui.file_questions import Answer, FileQuestions
from gmm_studio.gui.generate_dialog import PRESET_LABELS, GeneratedData
from gmm_studio.gui.settings_store import EM_DEFAULTS, RECENT_FILES, SettingsStore
from gmm_studio.io import (
    SESSION_SUFFIX,
    DataFileError,
    PointTable,
    Session,
    TableInfo,
    add_recent,
    list_recovery,
    open_document,
    python_snippet,
    remove_recent,
    remove_recovery,
    save_session,
    write_labels_csv,
    write_model_json,
    write_points_csv,
)
from gmm_studio.io.session import TrueLabels
from gmm_studio.model import SavedFit
from gmm_studio.resources import Sample

#: Points in a generated sample from the Open Sample menu.
GENERATED_SAMPLE_POINTS = 300

DATA_PATTERNS = "*.csv *.tsv *.txt *.dat *.npy *.npz *.xlsx *.parquet"
DATA_FILTER = f"Data files ({DATA_PATTERNS});;All files (*)"
SESSION_FILTER = f"GMM Studio sessions (*{SESSION_SUFFIX})"
OPEN_FILTER = f"Data and sessions ({DATA_PATTERNS} *{SESSION_SUFFIX});;" + (
    f"{SESSION_FILTER};;{DATA_FILTER}"
)


class FileCommands(QObject):
    """Open, save, export and restore for one document.

    Parameters
    ----------
    document : Document
    store : SettingsStore
        Recent files, the last folder and the remembered fit settings.
    questions : FileQuestions
        Asks the user (real dialogs in the window).
    export_canvas : callable, optional
        ``export_canvas(path, kind)`` writes the plot as ``"png"`` or ``"svg"``.
    is_converged : callable, optional
        True when the current fit has converged (for the model export).

    Attributes
    ----------
    source_table : PointTable or None
        How the current points were read (for "Copy as Python"), while they are unedited.

    Signals
    -------
    documentLoaded(str)
        A file, session, sample or recovered work replaced the document (its name).
    recoveryRestored(object)
        The document now holds the work of this `RecoveryFile`, which stays on disk for the
        autosave to adopt (`AutosaveController.adopt`).
    """

    documentLoaded = Signal(str)
    recoveryRestored = Signal(object)

    def __init__(
        self,
        document: Document,
        store: SettingsStore,
        questions: FileQuestions,
        *,
        export_canvas: Callable[[pathlib.Path, str], None] | None = None,
        is_converged: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.store = store
        self.questions = questions
        self._export_canvas = export_canvas
        self._is_converged = is_converged
        self.source_table: PointTable | None = None
        document.settingsChanged.connect(self._remember_em_defaults)
        document.undo_stack.indexChanged.connect(self._on_points_edited)

    # -- unsaved changes --------------------------------------------------------------------
    def confirm_discard(self, doing: str) -> bool:
        """If there are unsaved changes, ask to save them first; False means do not go on."""
        doc = self.document
        if not doc.dirty:
            return True
        session = self.session_path()
        if session is not None:
            question = f"Save the changes to the session {session.name} before {doing}?"
            detail = "Points, edits and the fit are kept only if you save them."
        else:
            question = f"Save your work as a session file before {doing}?"
            detail = (
                f"Saving writes a new GMM Studio session ({self._suggested_session_name()}) "
                f"with the points, edits and the fit; {doc.name} itself is not changed."
            )
        answer = self.questions.ask_unsaved(question, detail)
        if answer is Answer.SAVE:
            return self.save_session()
        return answer is Answer.DISCARD

    # -- opening ----------------------------------------------------------------------------
    def new_document(self) -> bool:
        """File ▸ New: an empty canvas with the remembered EM settings."""
        if not self.confirm_discard("starting a new document"):
            return False
        self.source_table = None
        settings = self.store.get(EM_DEFAULTS)
        self._replace(points=np.zeros((0, 2)), columns=["x", "y"], settings=settings)
        self.questions.show_status("New document: click on the canvas to add points.")
        return True

    def open(self) -> bool:
        """File ▸ Open: choose a data file or a session, then open it."""
        path = self.questions.ask_open_path(
            "Open data or session", OPEN_FILTER, self.store.last_folder()
        )
        return False if path is None else self.open_path(path)

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Open a data file (through the import dialog when the choice is not obvious) or a
        ``.gmms`` session. Any problem is reported naming the file; the document is then left
        exactly as it was. Returns True if the document was replaced."""
        path = pathlib.Path(path)
        try:
            opened = self.questions.busy(f"Reading {path.name}…", lambda: open_document(path))
        except Exception as error:  # a reader's failure is a message, never an escape
            self._report_open_error(path, _as_file_error(path, error))
            return False
        return self.show_opened(path, opened)

    def show_opened(self, path: pathlib.Path, opened: Session | TableInfo) -> bool:
        """Second half of `open_path`: the import choice, then replace the document."""
        if isinstance(opened, Session):
            if not self.confirm_discard(f"opening {path.name}"):
                return False
            self.load_session_object(opened, name=path.name, path=path)
            self._add_recent(path)
            text = f"Opened session {path.name}: {len(opened.points)} points"
            ref = opened.data_file
            if ref is None:
                self.questions.show_status(text)
            elif data_file_exists(ref.path):
                self.questions.show_status(
                    f"{text}, a sample of the {ref.n_samples:,} fitted in {ref.path} "
                    "(File ▸ Fit on a cluster… continues the fit on all of them)"
                )
            else:
                self.questions.show_error(
                    f"{ref.path} is missing",
                    f"{path.name}: the data file {ref.path} is missing. The saved fit of its "
                    f"{ref.n_samples:,} points and the sample of {len(opened.points):,} shown "
                    "are open; put the file back to fit it on a cluster again.",
                )
            return True
        try:
            chosen = self.questions.ask_import(opened, self.document.settings.standardize)
        except Exception as error:
            self._report_open_error(path, _as_file_error(path, error))
            return False
        if chosen is None or not self.confirm_discard(f"opening {path.name}"):
            return False
        table, axes, standardize = chosen
        settings = self.document.settings.replace(standardize=standardize)
        self._load_table(table, axes, name=path.name, path=path, settings=settings)
        self._add_recent(path)
        return True

    def load_session_object(
        self,
        session: Session,
        *,
        name: str,
        path: pathlib.Path | None,
        modified: bool = False,
    ) -> None:
        """Show ``session`` (no questions asked)."""
        self.source_table = None
        labels = session.true_labels
        self._replace(
            points=session.points,
            columns=session.columns,
            axes=session.axes,
            settings=session.settings,
            fit=session.fit,
            sample_weight=session.sample_weight,
            labels=None if labels is None else labels.values,
            label_column=None if labels is None else labels.column,
            color_by_labels=labels is not None and labels.shown,
            name=name,
            path=path,
            modified=modified,
            data_file=session.data_file,
        )

    def open_sample(self, sample: Sample) -> bool:
        """File ▸ Open Sample: a data set shipped with GMM Studio (read like any file)."""
        try:
            table = open_document(sample.path()).select()
        except (DataFileError, FileNotFoundError) as error:  # pragma: no cover - shipped files
            self.questions.show_error(f"Cannot open {sample.file_name}", str(error))
            return False
        if not self.confirm_discard(f"opening {sample.title}"):
            return False
        settings = self.document.settings.replace(n_components=sample.n_components)
        self._load_table(table, (0, 1), name=sample.file_name, path=None, settings=settings)
        return True

    def open_lesson(self, lesson: Lesson) -> bool:
        """File ▸ Open Sample ▸ Lessons: a lesson's points, settings and start."""
        if not self.confirm_discard(f"opening the lesson {lesson.name}"):
            return False
        self.source_table = None
        self._replace(
            points=lesson.data,
            columns=list(lesson.columns),
            settings=lesson.settings,
            fit=SavedFit(start=lesson.start),
            name=lesson.name,
        )
        self.questions.show_status(lesson.caption)
        return True

    def open_generated_sample(self, preset: str, seed: int = 0) -> bool:
        """File ▸ Open Sample ▸ Generated: points from one of the generator's presets."""
        X, labels, mixture = PRESETS[preset](GENERATED_SAMPLE_POINTS, seed)
        data = GeneratedData(np.asarray(X), np.asarray(labels), mixture, preset, seed)
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
        self.questions.show_status(f"Generated {len(data.points)} points ({label}).")
        return True

    def offer_recovery(self) -> bool:
        """If an earlier run was killed with unsaved work, offer to restore it.

        Returns True if work was restored.
        """
        items = list_recovery()
        if not items:
            return False
        item = items[0]
        answer = self.questions.ask_restore(item)
        if answer is Answer.LATER:
            return False
        if answer is Answer.DISCARD:
            remove_recovery(item)
            return False
        try:
            session = item.load()
        except DataFileError as error:
            self.questions.show_error("Cannot restore the autosaved work", str(error))
            return False
        if not self.confirm_discard("restoring autosaved work"):
            return False
        self.load_session_object(session, name="Recovered work", path=None, modified=True)
        self.recoveryRestored.emit(item)  # kept on disk until the work is saved or discarded
        self.questions.show_status("Restored autosaved work: save it to keep it.")
        return True

    # -- recent files -----------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Recent files, newest first."""
        return list(self.store.get(RECENT_FILES))

    def set_recent_files(self, items: list[str]) -> None:
        """Replace the recent files list."""
        self.store.set(RECENT_FILES, list(items))

    def _add_recent(self, path: pathlib.Path) -> None:
        self.set_recent_files(add_recent(self.recent_files(), path))
        self.store.remember_folder(path)

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
        labels = doc.true_labels  # None once the points were edited
        return Session(
            points=doc.points,
            columns=list(doc.columns),
            axes=doc.axes,
            settings=doc.settings,
            fit=doc.fit.saved(),
            source=source,
            sample_weight=doc.sample_weight,
            true_labels=(
                None
                if labels is None
                else TrueLabels(labels, doc.label_column, doc.color_by_labels)
            ),
            data_file=doc.data_file,
        )

    def save_session(self) -> bool:
        """File ▸ Save session: to its .gmms file, or ask for one."""
        path = self.session_path()
        return self.save_session_as() if path is None else self.save_session_to(path)

    def save_session_as(self) -> bool:
        """File ▸ Save session as: ask for a .gmms file."""
        path = self.questions.ask_save_path(
            "Save session", SESSION_FILTER, self.store.last_folder(), self._suggested_session_name()
        )
        if path is None:
            return False
        return self.save_session_to(with_suffix(path, SESSION_SUFFIX))

    def save_session_to(self, path: pathlib.Path) -> bool:
        """Write the session to ``path`` (atomically) and mark the document saved."""
        session = self.session_from_document()
        try:
            self.questions.busy(f"Saving {path.name}…", lambda: save_session(path, session))
        except DataFileError as error:
            self.questions.show_error(f"Cannot save {error.display_name}", str(error))
            return False
        self.document.mark_saved(path)
        self._add_recent(path)
        self.questions.show_status(f"Saved {path}")
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
        settings, n_iter, converged = doc.settings, doc.iteration, self._is_converged()
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
        if self._export_canvas is None:
            return False
        export, upper = self._export_canvas, kind.upper()
        return self._write(
            f"canvas as {upper}",
            f".{kind}",
            f"{upper} images (*.{kind})",
            lambda path: export(path, kind),
        )

    def python_code(self) -> str | None:
        """The "Copy as Python" code for the current fit, or None without a fit."""
        doc = self.document
        start = doc.fit.start if doc.fit.start is not None else doc.mixture
        if start is None:
            return None
        table = self.source_table
        weights = doc.sample_weight
        if weights is None and table is not None and np.array_equal(table.data, doc.points):
            return python_snippet(start, doc.settings, table)
        return python_snippet(
            start, doc.settings, points=doc.points, columns=list(doc.columns),
            sample_weight=weights,
        )  # fmt: skip

    def copy_as_python(self) -> bool:
        """File ▸ Copy as Python: scikit-learn code rebuilding this fit, to the clipboard."""
        code = self.python_code()
        if code is None:
            return False
        QGuiApplication.clipboard().setText(code)
        self.questions.show_status("Copied Python code (scikit-learn) that rebuilds this fit.")
        return True

    # -- helpers ----------------------------------------------------------------------------
    def _replace(self, **contents) -> None:
        self.document.replace_contents(**contents)
        self.documentLoaded.emit(self.document.name)

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
            sample_weight=table.sample_weight,
            labels=table.labels,
            label_column=table.label_column,
            name=name,
            path=path,
        )
        self.source_table = table
        text = f"Opened {name}: {table.n_samples} points, {table.n_features} columns"
        if table.notes:
            text += " (" + "; ".join(table.notes) + ")"
        self.questions.show_status(text)

    def _report_open_error(self, path: pathlib.Path, error: DataFileError) -> None:
        if not path.exists():
            self.set_recent_files(remove_recent(self.recent_files(), path))
        self.questions.show_error(f"Cannot open {error.display_name}", str(error))

    def _suggested_session_name(self) -> str:
        return (pathlib.Path(self.document.name).stem or "session") + SESSION_SUFFIX

    def _write(self, what: str, suffix: str, file_filter: str, write: Callable) -> bool:
        stem = pathlib.Path(self.document.name).stem or "points"
        path = self.questions.ask_save_path(
            f"Save {what}", file_filter, self.store.last_folder(), f"{stem}{suffix}"
        )
        if path is None:
            return False
        path = with_suffix(path, suffix)
        try:
            write(path)
        except DataFileError as error:
            self.questions.show_error(f"Cannot save {error.display_name}", str(error))
            return False
        self.store.remember_folder(path)
        self.questions.show_status(f"Saved {what} to {path}")
        return True

    def _remember_em_defaults(self) -> None:
        self.store.set(EM_DEFAULTS, self.document.settings)

    def _on_points_edited(self, *_args) -> None:
        table = self.source_table
        if table is not None and table.n_samples != self.document.n_points:
            self.source_table = None  # edited: "Copy as Python" writes the points out


def data_file_exists(path: str) -> bool:
    """True when a cluster fit's data file (a file, a Parquet folder or a glob) is there."""
    return pathlib.Path(path).exists() or bool(glob.glob(path))


def with_suffix(path: pathlib.Path, suffix: str) -> pathlib.Path:
    """Add the file type's extension when the user typed a name without one."""
    if path.suffix:
        return path
    return path.with_name(path.name + pathlib.Path("x" + suffix).suffix)


def _as_file_error(path: pathlib.Path, error: Exception) -> DataFileError:
    """``error`` as a DataFileError naming the file (readers should raise only those)."""
    if isinstance(error, DataFileError):
        return error
    detail = str(error).strip() or type(error).__name__
    return DataFileError(path, f"could not be read ({detail})")
