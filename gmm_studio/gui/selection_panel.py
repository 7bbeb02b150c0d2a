"""The Model selection panel: the K × covariance-type map of BIC, AIC or ICL, filled live.

The grid (:func:`gmm_studio.core.selection.grid_cells`, with the document's ``n_init``,
``init``, ``tol``, ``max_iter``, ``reg_covar``, ``seed`` and sample weights) runs on a background thread
while the canvas stays live; each cell is coloured as soon as its fits finish. Lower is
better for all three criteria (scikit-learn's sign): the darker a cell, the better (shaded
by rank); the chosen cell is starred on orange (never a degenerate one while a healthy one exists), degenerate cells
carry ``!``. Switching the criterion re-colours without refitting; clicking a cell loads its
fit onto the canvas as one undoable step; Cancel stops the fits and waits for the thread.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.core import COVARIANCE_TYPES, FitError
from gmm_studio.core.criteria import CRITERIA
from gmm_studio.core.restarts import RestartsResult
from gmm_studio.core.selection import MCLUST_NAMES, GridSettings, Selection, grid_cells
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import LoadFitCommand, finished_fit
from gmm_studio.gui.results_thread import ResultsThread
from gmm_studio.gui.stop_on_close import StopOnClose

#: Cell colours from the worst (light) to the best (dark) value of the criterion.
LIGHT, DARK = np.array([239, 243, 255]), np.array([8, 48, 107])
#: The chosen cell, and cells whose fit has a degenerate component.
BEST, DEGENERATE = QColor("#e69f00"), QColor("#dcdcdc")


def cell_color(value: float, low: float, high: float) -> QColor:
    """The colour of ``value`` on the map: dark at ``low`` (the best), light at ``high``."""
    t = 0.0 if high <= low else (value - low) / (high - low)
    rgb = DARK + (LIGHT - DARK) * min(max(t, 0.0), 1.0)
    return QColor(*(int(c + 0.5) for c in rgb))


class SelectionPanel(QDialog):
    """The model-selection map for ``document``'s data.

    Attributes
    ----------
    cells : dict of (int, str) to RestartsResult
        The finished cells.
    """

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model selection")
        self.document = document
        self.cells: dict[tuple[int, str], RestartsResult] = {}
        self.thread: ResultsThread | None = None
        self.settings: GridSettings | None = None
        self._data = None
        font = QFont(self.font())
        font.setPointSize(max(font.pointSize(), 13))
        self.setFont(font)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("K from"))
        self.k_from = QSpinBox()
        self.k_from.setRange(1, 50)
        self.k_from.setValue(1)
        controls.addWidget(self.k_from)
        controls.addWidget(QLabel("to"))
        self.k_to = QSpinBox()
        self.k_to.setRange(1, 50)
        self.k_to.setValue(9)
        controls.addWidget(self.k_to)
        self.compute = QPushButton("Compute")
        self.compute.setToolTip("Fit every K and covariance type in the background")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        controls.addWidget(self.compute)
        controls.addWidget(self.cancel)
        controls.addStretch(1)
        controls.addWidget(QLabel("criterion"))
        self.criterion = QComboBox()
        for name in CRITERIA:
            self.criterion.addItem(name.upper(), name)
        self.criterion.setToolTip("Lower is better (mclust shows BIC and ICL negated)")
        controls.addWidget(self.criterion)

        self.table = QTableWidget(0, len(COVARIANCE_TYPES))
        self.table.setHorizontalHeaderLabels([f"{t} ({MCLUST_NAMES[t]})" for t in COVARIANCE_TYPES])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setFont(font)
        self.table.verticalHeader().setFont(font)
        self.table.setToolTip("Click a cell to load its fit onto the canvas")
        self.progress = QProgressBar()
        self.note = QLabel(
            "Lower is better; ★ the chosen model; ! a degenerate fit (never chosen while a "
            "healthy one exists). Click a cell to load its fit."
        )
        self.note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.note)
        self.resize(760, 560)

        self.compute.clicked.connect(self.start)
        self.cancel.clicked.connect(self.stop)
        self.criterion.currentIndexChanged.connect(self._recolor)
        self.table.cellClicked.connect(self._on_cell_clicked)
        document.pointsChanged.connect(self._on_data_changed)
        document.replaced.connect(self._on_data_changed)
        #: Opens the panel (Model ▸ Model selection…, Ctrl+Shift+M).
        self.open_action = QAction("Model selection…", self)
        self.open_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.open_action.triggered.connect(self._open)

    @Slot()
    def _open(self) -> None:
        self.show()
        self.raise_()

    # -- the grid ---------------------------------------------------------------------------
    def grid_settings(self) -> GridSettings:
        """The grid for the K range shown and the document's EM settings."""
        s = self.document.settings
        low, high = sorted((self.k_from.value(), self.k_to.value()))
        return GridSettings(
            n_components=tuple(range(low, high + 1)), n_init=s.n_init, init=s.init,
            tol=s.tol, max_iter=s.max_iter, reg_covar=s.reg_covar, seed=s.seed,
            standardize=s.standardize,
        )  # fmt: skip

    @Slot()
    def start(self) -> None:
        """Fit the grid in the background (what was there is cleared)."""
        self.stop()
        try:
            settings = self.grid_settings()
        except FitError as error:
            self.progress.setFormat(str(error))
            return
        X = self.document.fit.data
        if len(X) < max(settings.n_components):
            self.progress.setFormat(f"K up to {max(settings.n_components)} needs as many points")
            self.progress.setValue(0)
            return
        self.settings, self._data = settings, X
        self.cells = {}
        ks = settings.n_components
        self.table.setRowCount(len(ks))
        self.table.setVerticalHeaderLabels([f"K={k}" for k in ks])
        self.table.clearContents()
        self.progress.setRange(0, len(ks) * len(settings.covariance_types))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m fits")
        weights = self.document.fit.sample_weight
        self.thread = ResultsThread(
            lambda cancel: grid_cells(X, settings, sample_weight=weights, cancel=cancel), self
        )
        self.thread.resultReady.connect(self._on_cell)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_finished)
        self.compute.setEnabled(False)
        self.cancel.setEnabled(True)
        self.thread.start()

    @Slot()
    def stop(self) -> None:
        """Cancel the grid in progress and wait for its thread (none is left running)."""
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.stop()
            self.progress.setFormat("cancelled: %v of %m fits")
        self.compute.setEnabled(True)
        self.cancel.setEnabled(False)

    @Slot(object)
    def _on_cell(self, cell: RestartsResult) -> None:
        if self.sender() is not self.thread:
            return
        self.cells[(cell.n_components, cell.covariance_type)] = cell
        self.progress.setValue(len(self.cells))
        self._recolor()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.progress.setFormat(message)

    @Slot()
    def _on_finished(self) -> None:
        if self.sender() is self.thread:
            self.thread = None
            self.compute.setEnabled(True)
            self.cancel.setEnabled(False)

    @Slot()
    def _on_data_changed(self, *_args) -> None:
        self.stop()
        self.cells = {}
        self.table.setRowCount(0)
        self.progress.setValue(0)
        self.progress.setFormat("the data changed: Compute again")

    # -- showing ----------------------------------------------------------------------------
    @property
    def criterion_name(self) -> str:
        return self.criterion.currentData()

    def best(self) -> RestartsResult | None:
        """The chosen cell among the finished ones, by the criterion shown."""
        if self.settings is None or not self.cells:
            return None
        return Selection(self.settings, tuple(self.cells.values())).best(self.criterion_name)

    @Slot()
    def _recolor(self, *_args) -> None:
        name = self.criterion_name
        best = self.best()
        # Healthy cells are shaded by rank, not value: one poor model (K=1 spherical, say)
        # would otherwise wash every other cell into the same colour.
        healthy = sorted(
            (c for c in self.cells.values() if self._usable(c) and not c.degenerate),
            key=lambda c: c.criterion(name),
        )
        rank = {id(c): i for i, c in enumerate(healthy)}
        ks = self.settings.n_components if self.settings is not None else ()
        for (k, covariance_type), cell in self.cells.items():
            row, column = ks.index(k), COVARIANCE_TYPES.index(covariance_type)
            if not self._usable(cell):
                item = QTableWidgetItem("failed")
                item.setToolTip(cell.error or "")
            else:
                value = cell.criterion(name)
                mark = "★ " if cell is best else ""
                sick = " !" if cell.degenerate else ""
                item = QTableWidgetItem(f"{mark}{value:.1f}{sick}")
                if cell is best:
                    background, text = BEST, QColor("#1e1e1e")
                elif cell.degenerate:
                    background, text = DEGENERATE, QColor("#b00020")
                else:
                    background = cell_color(rank[id(cell)], 0, len(healthy) - 1)
                    text = QColor("white" if background.lightness() < 140 else "#1e1e1e")
                item.setBackground(QBrush(background))
                item.setForeground(QBrush(text))
                tip = f"K={k} {covariance_type}: log-likelihood {cell.log_likelihood:.6g}"
                if cell.degenerate:
                    tip += f"; degenerate components {list(cell.degenerate_components)}"
                item.setToolTip(tip)
            bold = QFont(self.font())
            bold.setBold(cell is best or cell.degenerate)
            item.setFont(bold)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, column, item)

    def _usable(self, cell: RestartsResult) -> bool:
        return not cell.failed and math.isfinite(cell.criterion(self.criterion_name))

    # -- loading ----------------------------------------------------------------------------
    @Slot(int, int)
    def _on_cell_clicked(self, row: int, column: int) -> None:
        if self.settings is None or row >= len(self.settings.n_components):
            return
        key = (self.settings.n_components[row], COVARIANCE_TYPES[column])
        cell = self.cells.get(key)
        if cell is not None:
            self.load(cell)

    def load(self, cell: RestartsResult) -> None:
        """Put ``cell``'s fit onto the canvas, with its K and type, as one undoable step: the
        kept start as a finished fit (its iterations, log-likelihood and state)."""
        doc = self.document
        if cell.failed or doc.fit.data is not self._data:
            return
        settings = doc.settings.replace(
            n_components=cell.n_components, covariance_type=cell.covariance_type
        )
        text = f"Load K={cell.n_components} {cell.covariance_type}"
        weights = doc.sample_weight
        total = float(len(self._data) if weights is None else weights.sum())
        doc.undo_stack.push(LoadFitCommand(doc, settings, finished_fit(cell.best, total), text))


def install_selection_panel(window: QMainWindow) -> tuple[SelectionPanel, QMenu]:
    """A :class:`SelectionPanel` of ``window.document`` and the window's Model menu, whose
    Model selection… (Ctrl+Shift+M) opens it; closing the window stops its thread."""
    panel = SelectionPanel(window.document, window)
    menu = window.menuBar().addMenu("&Model")
    menu.addAction(panel.open_action)
    window.addAction(panel.open_action)
    StopOnClose(window, lambda: (panel.stop(), panel.close()))
    return panel, menu
