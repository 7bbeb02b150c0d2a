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
from gmm_studio.io.session import axes_problem
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
    #: The points are now coloured by their true labels, or by the fit again.
    labelColoringChanged = Signal(bool)
    replaced = Signal()

    def __init__(
        self,
        points: np.ndarray | None = None,
        columns: list[str] | None = None,
        *,
        name: str = "Untitled",
        path: pathlib.Path | None = None,
        settings: FitSettings | None = None,
        sample_weight: np.ndarray | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        pts = np.zeros((0, 2)) if points is None else np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] < 1:
            raise ValueError("points must be a 2-D array with at least one column")
        self._points = _frozen(pts)
        self.columns = list(columns) if columns else [f"x{i + 1}" for i in range(pts.shape[1])]
        if len(self.columns) != pts.shape[1]:
            raise ValueError("one column name per column of points is needed")
        self.axes: tuple[int, int] = default_axes(pts.shape[1])
        self.fit = FitModel(
            self._points,
            settings if settings is not None else FitSettings(),
            sample_weight=sample_weight,
        )
        self.fit.subscribe(lambda _model, change: self.fitChanged.emit(change))
        self.path = path
        self.name = name
        #: The file the points are a sample of (a :class:`gmm_studio.io.DataFileRef`), or None.
        self.data_file = None
        self._labels: np.ndarray | None = None
        self.label_column: str | None = None
        self._color_by_labels = False
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
    def sample_weight(self) -> np.ndarray | None:
        """The weight of each point, shape (N,), or None (each point counts once)."""
        return self.fit.sample_weight

    def row_weights(self, indices) -> np.ndarray | None:
        """The weights of rows ``indices`` (None when the points are unweighted)."""
        weights = self.fit.sample_weight
        return None if weights is None else weights[np.asarray(indices, dtype=np.intp)].copy()

    @property
    def true_labels(self) -> np.ndarray | None:
        """The file's true labels of the points, shape (N,), while the points are the file's
        rows (no edit since it was opened); None otherwise or without a label column."""
        if self._labels is None or self.undo_stack.index() != 0:
            return None
        if len(self._labels) != self.n_points:  # edited, and the undo stack cleared (closing)
            return None
        return self._labels

    @property
    def color_by_labels(self) -> bool:
        """True while the points are to be coloured by their true labels (when there are
        any: see :attr:`true_labels`) rather than by the fit."""
        return self._color_by_labels

    def set_color_by_labels(self, on: bool) -> None:
        """Colour the points by their true labels, or by the fit (a view choice: sessions
        keep it, but it is not an unsaved change)."""
        on = bool(on)
        if on != self._color_by_labels:
            self._color_by_labels = on
            self.labelColoringChanged.emit(on)

    @property
    def n_points(self) -> int:
        """Number of points."""
        return self._points.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns EM runs on."""
        return self._points.shape[1]

    @property
    def one_dimensional(self) -> bool:
        """True for one column: the canvas shows a histogram and densities."""
        return self.n_features == 1

    def displayed_points(self) -> np.ndarray:
        """The two displayed columns, shape (N, 2) (the one column twice in 1-D)."""
        if list(self.axes) == [0, 1] and self.n_features == 2:
            return self._points  # no copy: a memory-mapped file stays mapped
        return self._points[:, list(self.axes)]

    def lift_to_features(self, xy: np.ndarray) -> np.ndarray:
        """Turn points placed on the 2-D view into full rows.

        Columns that are not displayed get the data's mean in that column (0 with no data).
        """
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        rows = np.empty((xy.shape[0], self.n_features))
        fill = self._points.mean(axis=0) if self.n_points else np.zeros(self.n_features)
        rows[:] = fill
        rows[:, self.axes[1]] = xy[:, 1]
        rows[:, self.axes[0]] = xy[:, 0]  # last: in 1-D both axes are column 0
        return rows

    def append_rows(self, rows: np.ndarray) -> np.ndarray:
        """Append rows; return their indices. Use undo commands rather than calling this.

        With weighted points, the new rows weigh 1.
        """
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        start = self.n_points
        weights = self.sample_weight
        if weights is not None:
            weights = np.concatenate([weights, np.ones(len(rows))])
        self._set_fitted_points(_frozen(np.vstack([self._points, rows])), "points added", weights)
        return np.arange(start, start + rows.shape[0])

    def remove_rows(self, indices: np.ndarray) -> np.ndarray:
        """Remove rows at ``indices``; return the removed rows (in ascending index order)."""
        indices = np.unique(np.asarray(indices, dtype=np.intp))
        removed = self._points[indices].copy()
        keep = np.ones(self.n_points, dtype=bool)
        keep[indices] = False
        weights = self.sample_weight
        self._set_fitted_points(
            _frozen(self._points[keep]),
            "points removed",
            None if weights is None else weights[keep],
        )
        return removed

    def insert_rows(
        self, indices: np.ndarray, rows: np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        """Put ``rows`` back at ascending positions ``indices`` of the result (undo of remove),
        with their ``weights`` when the points are weighted (1 if not given)."""
        indices = np.asarray(indices, dtype=np.intp)
        total = self.n_points + len(indices)
        at = np.zeros(total, dtype=bool)
        at[indices] = True
        merged = np.empty((total, self.n_features))
        merged[at] = rows
        merged[~at] = self._points
        merged_weights = None
        if self.sample_weight is not None:
            merged_weights = np.empty(total)
            merged_weights[at] = 1.0 if weights is None else weights
            merged_weights[~at] = self.sample_weight
        self._set_fitted_points(_frozen(merged), "points restored", merged_weights)

    def _set_fitted_points(
        self, points: np.ndarray, description: str, weights: np.ndarray | None = None
    ) -> None:
        self._points = points
        self.data_file = None  # edited points are no longer a sample of the file
        self.fit.set_data(points, description, sample_weight=weights)
        self.pointsChanged.emit()

    def set_points(self, points: np.ndarray, columns: list[str] | None = None) -> None:
        """Replace all data (a new file); clears the undo history and starts a new fit."""
        pts = np.asarray(points, dtype=np.float64)
        self._points = _frozen(pts)
        self.columns = list(columns) if columns else [f"x{i + 1}" for i in range(pts.shape[1])]
        self.axes = default_axes(pts.shape[1])
        self._labels = self.label_column = None
        self._color_by_labels = False
        self.data_file = None
        self.undo_stack.clear()
        self.fit.load(self._points, self.fit.settings)
        self.pointsChanged.emit()

    def set_axes(self, axes: tuple[int, int]) -> None:
        """Show columns ``axes`` (two different indices) on the view; the fit is unchanged."""
        a, b = (int(axes[0]), int(axes[1]))
        problem = axes_problem((a, b), self.n_features)
        if problem:
            raise ValueError(problem)
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
        sample_weight: np.ndarray | None = None,
        labels: np.ndarray | None = None,
        label_column: str | None = None,
        color_by_labels: bool = False,
        name: str = "Untitled",
        path: pathlib.Path | None = None,
        modified: bool = False,
        full_data=None,
        data_file=None,
    ) -> None:
        """Make this the document of another file: new data, settings and (optionally) fit.

        ``full_data`` runs the fit when the points are a sample of a larger file
        (:attr:`gmm_studio.model.FitModel.full_data`); ``data_file`` (a
        :class:`gmm_studio.io.DataFileRef`) says where that file is.

        Clears the undo history. The document is clean afterwards unless ``modified`` (e.g.
        work restored from a recovery file, which is saved nowhere). Emits :attr:`replaced`
        once everything is in place (not :attr:`pointsChanged`).

        Raises
        ------
        ValueError
            If the points, columns, axes or fit do not fit together; nothing changes then.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, len(columns))
        if pts.shape[1] < 1:
            raise ValueError("points must have at least one column")
        a, b = (int(axes[0]), int(axes[1]))
        problem = axes_problem((a, b), pts.shape[1])
        if problem:
            raise ValueError(problem)
        points = _frozen(pts)
        settings = settings if settings is not None else self.settings
        try:  # check first: nothing changes if the fit does not belong to these points
            FitModel(points, settings).load(points, settings, fit, sample_weight=sample_weight)
        except FitError as error:
            raise ValueError(str(error)) from None
        self.undo_stack.clear()
        self._points = points
        self.columns = list(columns)
        self.axes = (a, b)
        self.fit.load(points, settings, fit, sample_weight=sample_weight, full_data=full_data)
        self.data_file = data_file
        self._labels = None if labels is None or len(labels) != len(points) else labels
        self.label_column = None if self._labels is None else label_column
        self._color_by_labels = self._labels is not None and bool(color_by_labels)
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

    def set_fit(self, settings: FitSettings, mixture: Mixture, description: str = ""):
        """Start afresh from ``mixture`` with ``settings`` (see :meth:`FitModel.set_fit`);
        returns what :meth:`restore_fit` needs to undo it."""
        before = self.fit.set_fit(settings, mixture, description)
        self._settings_modified = True
        self.settingsChanged.emit()
        self._emit_dirty()
        return before

    def restore_fit(self, settings: FitSettings, saved: SavedFit) -> None:
        """Put back the settings and fit that :meth:`set_fit` returned (or any saved fit of
        these points: the weights stay)."""
        self.fit.load(self.fit.data, settings, saved, sample_weight=self.fit.sample_weight)
        self.settingsChanged.emit()
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


def default_axes(n_columns: int) -> tuple[int, int]:
    """The axes a new document shows: the first two columns, or ``(0, 0)`` for one column."""
    return (0, 0) if n_columns == 1 else (0, 1)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.flags.writeable = False
    return array
