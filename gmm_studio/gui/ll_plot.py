"""The log-likelihood curve, one point per EM iteration, growing live.

Where the data or the parameters were changed by hand the curve breaks and a dashed line
marks the iteration: the likelihood after the change is of other data, not a step of EM.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics

from gmm_studio.gui.canvas import style_axes
from gmm_studio.gui.palette import BACKGROUND, FOREGROUND
from gmm_studio.gui.settled_view import SettledViewBox

DASH = Qt.PenStyle.DashLine

#: The y range shown before the first iteration.
EMPTY_Y_RANGE = (0.0, 1.0)
#: Where the x axis may end: these times a power of ten, so that it grows by at most a
#: quarter at a time, and only now and then (a new x range repaints the axis, its ticks and
#: the grid: 6 of a 12 ms paint of the plot, measured at 100,000 points with EM running).
X_ENDS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
#: The x axis always reaches at least this iteration.
MIN_X_END = 5.0
#: The y range holds the curve with this fraction of its span to spare above and below, and
#: moves only when the curve leaves it or fills less than :data:`Y_FILL` of it (a new y
#: range repaints the axis and the grid too, and an automatic one was worked out again from
#: the curve on every frame).
Y_MARGIN = 0.08
Y_FILL = 0.6
#: ...and at least this many pixels, for the ring where the fit stands (18 px across).
Y_MARGIN_PX = 12
#: While the range holds, the curve keeps at least this many pixels from its top and bottom
#: (the ring's radius and one): a curve creeping up must not slide the ring off the plot.
Y_HOLD_PX = 10


def x_end(last: float) -> float:
    """Where the x axis ends for a curve whose last iteration is ``last``: the first of
    :data:`X_ENDS` times a power of ten at or after it (at least :data:`MIN_X_END`)."""
    last = max(float(last), MIN_X_END)
    power = 10.0 ** np.floor(np.log10(last))
    return float(next(f * power for f in (*X_ENDS, 10.0) if f * power >= last))


def y_range(
    low: float,
    high: float,
    shown: tuple[float, float] | None,
    margin: float = Y_MARGIN,
    room: float = 0.0,
) -> tuple[float, float]:
    """The y range for a curve from ``low`` to ``high``: ``shown`` (the range now) while it
    holds the curve with more than ``room`` to spare at both ends and the curve fills
    :data:`Y_FILL` of it, else the curve with ``margin`` times its span to spare (a flat
    curve: a thousandth of its value, at least 1)."""
    span = high - low
    if shown is not None:
        bottom, top = shown
        held = bottom + room < low and high + room < top
        if held and span >= Y_FILL * (top - bottom):
            return shown
    pad = margin * span if span > 0 else max(1.0, 1e-3 * abs(high))
    return (low - pad, high + pad)


class SpacedAxis(pg.AxisItem):
    """A y axis that labels as many round values as fit, however short the plot is.

    pyqtgraph asks for at least two intervals and drops every label of a level whose text
    would fill most of the axis, so a plot a few lines tall showed overlapping labels or
    none. Here the labelled values are multiples of a round step (1, 2 or 5 × 10ⁿ), at
    least 1.6 text lines apart and half a line inside the plot, and one value at least is
    labelled whenever the plot is over a line tall.
    """

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.setStyle(maxTextLevel=0, textFillLimits=[(0, 1.0)])

    def tickValues(self, minVal, maxVal, size):
        low, high = sorted((float(minVal), float(maxVal)))
        if not (high > low and np.isfinite(high - low) and size > 0):
            return super().tickValues(minVal, maxVal, size)
        line = max(QFontMetrics(self.style["tickFont"] or QFont()).height(), 1)
        # pyqtgraph drops a label that would stick out of the plot: keep half a line clear.
        per_pixel = (high - low) / size
        low, high = low + 0.5 * line * per_pixel, high - 0.5 * line * per_pixel
        span = high - low
        if span <= 0:
            return [(high - low, [])]
        e = int(np.floor(np.log10(span)))
        steps = [f * 10.0**p for p in range(e - 1, e + 2) for f in (1, 2, 5)]  # up to 50×span
        step = next((s for s in steps if s >= 1.6 * line * per_pixel), steps[-1])
        values = np.arange(np.ceil(low / step), np.floor(high / step) + 1) * step
        if len(values) == 0:  # the range lies between two multiples: label a value in it
            step = next(s for s in reversed(steps) if s <= span)
            values = np.arange(np.ceil(low / step), np.floor(high / step) + 1) * step
            values = values[len(values) // 2 : len(values) // 2 + 1]
        return [(step, list(values))]


class LogLikelihoodPlot(pg.PlotWidget):
    """Total log-likelihood against iteration; one curve item updated with ``setData``.

    Signals
    -------
    iterationClicked(float)
        The user clicked the plot at this iteration (to go back to it).
    """

    iterationClicked = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(
            parent=parent,
            background=BACKGROUND,
            axisItems={"left": SpacedAxis("left")},
            viewBox=SettledViewBox(),
        )
        item = self.getPlotItem()
        color = "#{:02x}{:02x}{:02x}".format(*FOREGROUND)
        item.setLabel("bottom", "iteration", color=color, **{"font-size": "13pt"})
        # The plot is short on a projector's 1024x768 screen, too short for a rotated
        # "log-likelihood" beside the axis and for a title above it, so the name sits in
        # the plot's bottom right corner (the climbing curve rises from the bottom left and
        # runs along the top) and the y axis labels only as many ticks as fit.
        item.showGrid(x=True, y=True, alpha=0.2)
        style_axes(item, point_size=12)
        for name in ("left", "bottom"):
            item.getAxis(name).enableAutoSIPrefix(False)
        # Room for the name and two labelled ticks, whatever the window's other panels take.
        self.setMinimumHeight(6 * QFontMetrics(self.font()).height())
        self.name_label = pg.TextItem("log-likelihood", anchor=(1, 1))
        self.name_label.setParentItem(item.vb)
        # Above the curve, on the plot's background, where a curve still passes there.
        self.name_label.setZValue(item.vb.childGroup.zValue() + 1)
        item.vb.sigResized.connect(self._place_name)
        self.set_name_style(FOREGROUND, 12, BACKGROUND)
        self.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.curve = pg.PlotDataItem(
            pen=pg.mkPen(20, 20, 20, width=3),
            symbol="o",
            symbolSize=7,
            symbolBrush=pg.mkBrush(0, 114, 178),
            symbolPen=None,
            # No clipping of far-off values to the view (the curve is always all in view):
            # with it, every new y range rebuilt the curve a second time.
            dynamicRangeLimit=None,
        )
        self.addItem(self.curve)

        self.markers: list[pg.InfiniteLine] = []
        self._whole_steps: bool | None = None  # ticks at every iteration (short curves)
        self._y_range: tuple[float, float] | None = None  # set by the curve (None: empty)
        item.setYRange(*EMPTY_Y_RANGE, padding=0)

    def _place_name(self) -> None:
        box = self.getPlotItem().vb.boundingRect()
        self.name_label.setPos(box.right(), box.bottom())

    def set_name_style(self, color, point_size: float, background) -> None:
        """Draw the curve's name in ``color`` at ``point_size`` on a mostly opaque box of
        ``background`` (RGB triples)."""
        font = QFont()
        font.setPointSizeF(point_size)
        self.name_label.setFont(font)
        self.name_label.setColor(color)
        self.name_label.fill = pg.mkBrush(*background, 220)
        self.name_label.update()

    def mouseReleaseEvent(self, event) -> None:
        """A left click inside the plot area says which iteration it points at."""
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        scene = self.mapToScene(event.position().toPoint())
        box = self.getPlotItem().vb
        if box.sceneBoundingRect().contains(scene):
            self.iterationClicked.emit(float(box.mapSceneToView(scene).x()))

    def set_history(self, history) -> None:
        """Show one stretch of log-likelihoods, one per iteration from 0."""
        y = np.asarray(history, dtype=float)
        self.set_segments([(np.arange(len(y), dtype=float), y)])

    def set_segments(self, segments, marks=()) -> None:
        """Show pieces of (iterations, log-likelihoods), with a marker line at each of ``marks``.

        The pieces are drawn as one curve broken between them (no line joins two pieces).
        """
        xs, ys = [], []
        for x, y in segments:
            if xs:
                xs.append([np.nan])
                ys.append([np.nan])
            xs.append(np.asarray(x, dtype=float))
            ys.append(np.asarray(y, dtype=float))
        x = np.concatenate(xs) if xs else np.zeros(0)
        y = np.concatenate(ys) if ys else np.zeros(0)
        n = int(np.count_nonzero(np.isfinite(y)))
        # Markers help with few iterations and only clutter with many.
        self.curve.setSymbol("o" if n <= 60 else None)
        self.curve.setData(x, y, connect="finite")
        self._show_marks(marks)
        item = self.getPlotItem()
        shown = None
        if n:
            finite = y[np.isfinite(y)]
            height = item.vb.height()  # pixels, where the view has been laid out
            margin, room = Y_MARGIN, 0.0
            if height > 3 * Y_MARGIN_PX:
                margin = max(margin, Y_MARGIN_PX / (height - 2 * Y_MARGIN_PX))
                if self._y_range is not None:
                    room = Y_HOLD_PX * (self._y_range[1] - self._y_range[0]) / height
            low, high = float(finite.min()), float(finite.max())
            shown = y_range(low, high, self._y_range, margin, room)
        if shown != self._y_range:  # nothing to show: forget the last document's range
            self._y_range = shown
            item.setYRange(*(EMPTY_Y_RANGE if shown is None else shown), padding=0)
        # Whole iterations on the x axis, starting at 0, with room to grow.
        last = float(np.nanmax(x)) if n else 0.0
        item.setXRange(0, x_end(last), padding=0.03)
        whole_steps = last <= 12
        if whole_steps != self._whole_steps:  # a new spacing repaints the axis: only if it is
            self._whole_steps = whole_steps
            axis = item.getAxis("bottom")
            if whole_steps:
                axis.setTickSpacing(1, 1)
            else:
                axis.setTickSpacing()  # automatic

    def settle(self) -> None:
        """Fit the range to what changed now, not while the plot is painted (which would paint
        it twice: :class:`gmm_studio.gui.settled_view.SettledViewBox`)."""
        self.getPlotItem().vb.settle()

    def _show_marks(self, marks) -> None:
        marks = list(marks)
        while len(self.markers) > len(marks):
            self.removeItem(self.markers.pop())
        while len(self.markers) < len(marks):
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(178, 90, 0, width=2, style=DASH))
            self.addItem(line)
            self.markers.append(line)
        for line, (iteration, text) in zip(self.markers, marks, strict=True):
            line.setValue(iteration)
            line.setToolTip(text)
