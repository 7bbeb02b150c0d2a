"""The document behind the main window: the data, what is shown, and its fit.

The window, the file menu, sessions and autosave all work on this one object, so adding a
feature means reading or changing the document and reacting to its signals, never reaching
into widgets. The fit itself (settings, start, history, state) lives in the document's
:class:`gmm_studio.model.FitModel`, :attr:`Document.fit`; the document re-emits the model's
notifications as :attr:`Document.fitChanged`.
"""

from __future__ import annotations

import pathlib

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from gmm_studio.core import FitError, FitSettings, Mixture
from gmm_studio.model import FitModel, SavedFit


class Document(QObject):
    """Points, their column names, the two displayed axes, fit settings and the current fit.

    Attributes
    ----------
    undo_stack : QUndoStack
        Every point edit is a command on this stack; its clean state is the saved state.
    fit : FitModel
        The fit of the points: settings, start, history and state. Read it; change it only
        through its methods.
    path : pathlib.Path or None
        File the document was read from or saved to.
    """

    pointsChanged = Signal()
    settingsChanged = Signal()
    #: The fit model changed; the argument is its :class:`gmm_studio.model.Change`.
    fitChanged = Signal(object)
    dirtyChanged = Signal(bool)
    titleChanged = Signal(str)
    axesChanged = Signal()
    replaced = Signal()

    def __init__(
        self,
        points: np.ndarray | None = None,
        columns: list[str] | None = None,
        *,
        name: str = "Untitled",
        path: pathlib.Path | None = None,
        settings: FitSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        pts = np.zeros((0, 2)) if points is None else np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] < 2:
            raise ValueError("points must be a 2-D array with at least two columns")
        self._points = _frozen(pts)
        self.columns = list(columns) if columns else [f"x{i + 1}" for i in range(pts.shape[1])]
        if len(self.columns) != pts.shape[1]:
            raise ValueError("one column name per column of points is needed")
        self.axes: tuple[int, int] = (0, 1)
        self.fit = FitModel(self._points, settings if settings is not None else FitSettings())
        self.fit.subscribe(lambda _model, change: self.fitChanged.emit(change))
        self.path = path
        self.name = name
        self._settings_modified = False
        self._modified = False
        self._saved_iteration = 0
        self._last_dirty = False
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._emit_dirty)
        self.fitChanged.connect(self._check_dirty)

    # -- what the fit model holds --------------------------------------------------------
    @property
    def settings(self) -> FitSettings:
        """The fit settings."""
        return self.fit.settings

    @property
    def mixture(self) -> Mixture | None:
        """The parameters shown, if any."""
        return self.fit.mixture

    @property
    def iteration(self) -> int:
        """The EM iteration of the parameters shown (0 = the start)."""
        return self.fit.iteration

    # -- points ---------------------------------------------------------------------------
    @property
    def points(self) -> np.ndarray:
        """All points, shape (N, D), read-only."""
        return self._points

    @property
    def n_points(self) -> int:
        """Number of points."""
        return self._points.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns EM runs on."""
        return self._points.shape[1]

    def displayed_points(self) -> np.ndarray:
        """The two displayed columns, shape (N, 2)."""
        return self._points[:, list(self.axes)]

    def lift_to_features(self, xy: np.ndarray) -> np.ndarray:
        """Turn points placed on the 2-D view into full rows.

        Columns that are not displayed get the data's mean in that column (0 with no data).
        """
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        rows = np.empty((xy.shape[0], self.n_features))
        fill = self._points.mean(axis=0) if self.n_points else np.zeros(self.n_features)
        rows[:] = fill
        rows[:, self.axes[0]] = xy[:, 0]
        rows[:, self.axes[1]] = xy[:, 1]
        return rows

    def append_rows(self, rows: np.ndarray) -> np.ndarray:
        """Append rows; return their indices. Use undo commands rather than calling this."""
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        start = self.n_points
        self._set_fitted_points(_frozen(np.vstack([self._points, rows])), "points added")
        return np.arange(start, start + rows.shape[0])

    def remove_rows(self, indices: np.ndarray) -> np.ndarray:
        """Remove rows at ``indices``; return the removed rows (in ascending index order)."""
        indices = np.unique(np.asarray(indices, dtype=np.intp))
        removed = self._points[indices].copy()
        keep = np.ones(self.n_points, dtype=bool)
        keep[indices] = False
        self._set_fitted_points(_frozen(self._points[keep]), "points removed")
        return removed

    def insert_rows(self, indices: np.ndarray, rows: np.ndarray) -> None:
        """Put ``rows`` back at ascending positions ``indices`` of the result (undo of remove)."""
        indices = np.asarray(indices, dtype=np.intp)
        total = self.n_points + len(indices)
        at = np.zeros(total, dtype=bool)
        at[indices] = True
        merged = np.empty((total, self.n_features))
        merged[at] = rows
        merged[~at] = self._points
        self._set_fitted_points(_frozen(merged), "points restored")

    def _set_fitted_points(self, points: np.ndarray, description: str) -> None:
        self._points = points
        self.fit.set_data(points, description)
        self.pointsChanged.emit()

    def set_points(self, points: np.ndarray, columns: list[str] | None = None) -> None:
        """Replace all data (a new file); clears the undo history and starts a new fit."""
        pts = np.asarray(points, dtype=np.float64)
        self._points = _frozen(pts)
        self.columns = list(columns) if columns else [f"x{i + 1}" for i in range(pts.shape[1])]
        self.axes = (0, 1)
        self.undo_stack.clear()
        self.fit.load(self._points, self.fit.settings)
        self.pointsChanged.emit()

    def set_axes(self, axes: tuple[int, int]) -> None:
        """Show columns ``axes`` (two different indices) on the view; the fit is unchanged."""
        a, b = (int(axes[0]), int(axes[1]))
        if a == b or not (0 <= a < self.n_features and 0 <= b < self.n_features):
            raise ValueError(f"axes must be two different columns of {self.n_features}")
        if (a, b) == self.axes:
            return
        self.axes = (a, b)
        self.axesChanged.emit()

    def replace_contents(
        self,
        points: np.ndarray,
        columns: list[str],
        *,
        axes: tuple[int, int] = (0, 1),
        settings: FitSettings | None = None,
        fit: SavedFit | None = None,
        name: str = "Untitled",
        path: pathlib.Path | None = None,
        modified: bool = False,
    ) -> None:
        """Make this the document of another file: new data, settings and (optionally) fit.

        Clears the undo history. The document is clean afterwards unless ``modified`` (e.g.
        work restored from a recovery file, which is saved nowhere). Emits :attr:`replaced`
        once everything is in place (not :attr:`pointsChanged`).

        Raises
        ------
        ValueError
            If the points, columns, axes or fit do not fit together; nothing changes then.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, len(columns))
        if pts.shape[1] < 2:
            raise ValueError("points must have at least two columns")
        a, b = (int(axes[0]), int(axes[1]))
        if a == b or not (0 <= a < pts.shape[1] and 0 <= b < pts.shape[1]):
            raise ValueError("axes must be two different column indices")
        points = _frozen(pts)
        settings = settings if settings is not None else self.settings
        if fit is not None:
            try:  # check first: nothing changes if the fit does not belong to these points
                FitModel(points, settings).load(points, settings, fit)
            except FitError as error:
                raise ValueError(str(error)) from None
        self.undo_stack.clear()
        self._points = points
        self.columns = list(columns)
        self.axes = (a, b)
        self.fit.load(points, settings, fit)
        self.path = None if path is None else pathlib.Path(path)
        self.name = name
        self._settings_modified = False
        self._modified = bool(modified)
        self._saved_iteration = self.iteration
        self.undo_stack.setClean()
        self.replaced.emit()
        self._emit_dirty()

    # -- settings and fit -----------------------------------------------------------------
    def set_settings(self, settings: FitSettings) -> None:
        """Change the fit settings (marks the document modified)."""
        if settings == self.settings:
            return
        was = self.dirty
        self.fit.set_settings(settings)
        self._settings_modified = True
        self.settingsChanged.emit()
        if not was:
            self._emit_dirty()

    def restart_fit(self, settings: FitSettings, saved: SavedFit) -> None:
        """Fit with ``settings`` from ``saved`` (a start given by hand, or a fit as it was)."""
        was = self.dirty
        self.fit.load(self._points, settings, saved)
        self._settings_modified = True
        self.settingsChanged.emit()
        if not was:
            self._emit_dirty()

    # -- saved state ----------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """True when there are changes not saved to ``path``."""
        return (
            self._settings_modified
            or self._modified
            or not self.undo_stack.isClean()
            or self.iteration != self._saved_iteration
        )

    def mark_modified(self) -> None:
        """Record a change that no undo command or setting describes (e.g. restored work)."""
        self._modified = True
        self._emit_dirty()

    def mark_saved(self, path: pathlib.Path | None = None) -> None:
        """Record that the document now matches what is on disk."""
        if path is not None:
            self.path = pathlib.Path(path)
            self.name = self.path.name
        self._settings_modified = False
        self._modified = False
        self._saved_iteration = self.iteration
        self.undo_stack.setClean()
        self._emit_dirty()

    def title(self) -> str:
        """Window title: the document name, ``*`` when unsaved, then the application name."""
        return f"{self.name}{'*' if self.dirty else ''} — GMM Studio"

    def _emit_dirty(self, *_args) -> None:
        self._last_dirty = self.dirty
        self.dirtyChanged.emit(self._last_dirty)
        self.titleChanged.emit(self.title())

    def _check_dirty(self, *_args) -> None:
        # A fit that moved away from the saved iteration (Run, Step, Reset) is an unsaved change.
        if self.dirty != self._last_dirty:
            self._emit_dirty()


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.flags.writeable = False
    return array
