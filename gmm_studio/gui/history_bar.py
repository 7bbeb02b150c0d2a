"""The history scrubber under the log-likelihood curve: go back to any iteration of the fit.

The slider's position is the fit model's current entry; moving it asks for a rewind (the
window passes it to :meth:`FitControl.rewind`). The curve gets a ring where the fit stands.
Running or stepping from an earlier entry branches (in :class:`FitControl`, undoably).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from gmm_studio.gui.ll_plot import LogLikelihoodPlot
from gmm_studio.model import FitModel, FitState

#: The ring on the curve where the fit stands (Okabe–Ito vermillion, drawn above the curve).
POSITION_PEN = pg.mkPen(213, 94, 0, width=3)


class HistoryBar(QWidget):
    """A slider over the fit's history, and the ring on ``plot`` at the current entry.

    Signals
    -------
    rewindRequested(int)
        The user moved to entry ``index`` of the history.
    """

    rewindRequested = Signal(int)

    def __init__(self, plot: LogLikelihoodPlot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setPageStep(1)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # [ and ] work from anywhere
        self.slider.setToolTip("Go back to any iteration ([ and ]); Run or Step from it branches")
        self.label = QLabel()
        self.label.setMinimumWidth(
            self.label.fontMetrics().horizontalAdvance("iteration 0000 / 0000")
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 2)
        layout.addWidget(QLabel("history"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.position_ring = pg.ScatterPlotItem(size=18, pen=POSITION_PEN, brush=None)
        self.position_ring.setZValue(10)
        plot.addItem(self.position_ring)
        self.slider.valueChanged.connect(self._on_moved)

    def show_fit(self, fit: FitModel) -> None:
        """Show where ``fit`` stands in its history."""
        history = fit.history
        n = len(history)
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(0, n - 1))
            self.slider.setValue(max(0, fit.position))
        self.slider.setEnabled(n > 1 and fit.state is not FitState.RUNNING)
        entry = fit.evaluated
        if entry is None:
            self.label.setText("iteration – / –")
            self.position_ring.setData([], [])
            return
        self.label.setText(f"iteration {entry.iteration} / {history[-1].iteration}")
        if math.isfinite(entry.log_likelihood):
            self.position_ring.setData([entry.iteration], [entry.log_likelihood])
        else:
            self.position_ring.setData([], [])

    def back(self) -> None:
        """One entry back ([)."""
        self._move(-1)

    def forward(self) -> None:
        """One entry forward (])."""
        self._move(+1)

    def _move(self, delta: int) -> None:
        if self.slider.isEnabled():
            self.slider.setValue(self.slider.value() + delta)

    @Slot(int)
    def _on_moved(self, index: int) -> None:
        self.rewindRequested.emit(index)
