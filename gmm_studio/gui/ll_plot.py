"""The log-likelihood curve, one point per EM iteration, growing live."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gmm_studio.gui.canvas import style_axes
from gmm_studio.gui.palette import BACKGROUND, FOREGROUND

#: The y range shown before the first iteration.
EMPTY_Y_RANGE = (0.0, 1.0)


class LogLikelihoodPlot(pg.PlotWidget):
    """Total log-likelihood against iteration; one curve item updated with ``setData``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent=parent, background=BACKGROUND)
        item = self.getPlotItem()
        style = {"color": "#{:02x}{:02x}{:02x}".format(*FOREGROUND), "font-size": "13pt"}
        item.setLabel("bottom", "iteration", **style)
        item.setLabel("left", "log-likelihood", **style)
        item.showGrid(x=True, y=True, alpha=0.2)
        style_axes(item, point_size=12)
        for name in ("left", "bottom"):
            item.getAxis(name).enableAutoSIPrefix(False)
        self.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.curve = pg.PlotDataItem(
            pen=pg.mkPen(20, 20, 20, width=3),
            symbol="o",
            symbolSize=7,
            symbolBrush=pg.mkBrush(0, 114, 178),
            symbolPen=None,
        )
        self.addItem(self.curve)

    def set_history(self, history: list[float]) -> None:
        """Show the log-likelihood after each iteration (index = iteration)."""
        y = np.asarray(history, dtype=float)
        x = np.arange(len(y))
        item = self.getPlotItem()
        # Markers help with few iterations and only clutter with many.
        self.curve.setSymbol("o" if len(y) <= 60 else None)
        self.curve.setData(x, y)
        if not len(y):
            # Nothing to fit the y axis to: forget the last document's range.
            item.setYRange(*EMPTY_Y_RANGE, padding=0)
            item.enableAutoRange(axis="y")  # the next document's curve sets it again
        # Whole iterations on the x axis, starting at 0, with room to grow.
        item.setXRange(0, max(5, len(y) - 1), padding=0.03)
        axis = item.getAxis("bottom")
        if len(y) <= 12:
            axis.setTickSpacing(1, 1)
        else:
            axis.setTickSpacing()  # automatic
