"""The data canvas: points, ellipses and means (or, for one column, a histogram and
densities), with click, remove and spray editing."""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsItem

from gmm_studio.core import Mixture
from gmm_studio.gui.component_layer import ComponentLayer
from gmm_studio.gui.density_layer import DensityLayer
from gmm_studio.gui.palette import BACKGROUND, FOREGROUND
from gmm_studio.gui.point_layer import PointLayer
from gmm_studio.gui.settled_view import SettledViewBox

#: A right click removes the nearest point only if it is within this many screen pixels.
REMOVE_RADIUS_PX = 10.0
#: Spray brush: standard deviation in screen pixels, and points added per mouse move.
SPRAY_SIGMA_PX = 14.0
SPRAY_POINTS_PER_MOVE = 3
#: Smallest and largest marker diameter factor of a weighted point.
WEIGHT_SCALE = (0.4, 3.0)


class EditViewBox(SettledViewBox):
    """A ViewBox whose mouse gestures edit points; wheel zooms, plain drag pans (or, from a
    mean, moves it: see :attr:`grabber`).

    Signals
    -------
    addRequested(QPointF)
        Left click at a data position.
    removeRequested(QPointF, float, float)
        Right click or Ctrl+click at a data position, with the data size of one pixel in x, y.
    sprayRequested(ndarray, int)
        Shift+drag produced new points (M, 2) in data coordinates; the int identifies the stroke.
    """

    addRequested = Signal(QPointF)
    removeRequested = Signal(QPointF, float, float)
    sprayRequested = Signal(object, int)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.setMenuEnabled(False)
        self.spray_rng = np.random.default_rng()
        self._strokes = itertools.count(1)
        self._stroke: int | None = None
        #: Takes left drags that start on a component (a ``ComponentDrag``), or None.
        self.grabber = None
        #: Opens a component's menu on a right click on it (a ``ComponentMenu``), or None.
        self.context = None
        self._grabbed = False

    def mouseClickEvent(self, ev) -> None:
        """Left click adds; right click or Ctrl+click removes (a right click on a component
        opens its menu instead: see :attr:`context`)."""
        pos = self.mapSceneToView(ev.scenePos())
        ctrl = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        right = ev.button() == Qt.MouseButton.RightButton
        if right and self.context is not None:
            px, py = self.viewPixelSize()
            if self.context.open(pos, float(px), float(py), ev.screenPos().toPoint()):
                ev.accept()
                return
        if right or (ev.button() == Qt.MouseButton.LeftButton and ctrl):
            ev.accept()
            px, py = self.viewPixelSize()
            self.removeRequested.emit(pos, float(px), float(py))
        elif ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.addRequested.emit(pos)
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        """Shift+left drag sprays points; other drags pan (left or middle)."""
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        left = ev.button() == Qt.MouseButton.LeftButton
        if left and ev.isStart() and not shift and self.grabber is not None:
            start = self.mapSceneToView(ev.buttonDownScenePos())
            self._grabbed = self.grabber.grab(start, *self.viewPixelSize())
        if left and self._grabbed:
            ev.accept()
            pos = self.mapSceneToView(ev.scenePos())
            if ev.isFinish():
                self._grabbed = False
                self.grabber.release(pos)
            else:
                self.grabber.move(pos)
            return
        if left and (shift or self._stroke is not None):
            ev.accept()
            if ev.isStart():
                self._stroke = next(self._strokes)
            center = self.mapSceneToView(ev.scenePos())
            px, py = self.viewPixelSize()
            offsets = self.spray_rng.standard_normal((SPRAY_POINTS_PER_MOVE, 2)) * SPRAY_SIGMA_PX
            pts = np.column_stack(
                [center.x() + offsets[:, 0] * px, center.y() + offsets[:, 1] * py]
            )
            self.sprayRequested.emit(pts, self._stroke)
            if ev.isFinish():
                self._stroke = None
            return
        if ev.button() == Qt.MouseButton.RightButton:
            ev.ignore()  # right drag does nothing: right click is "remove"
            return
        super().mouseDragEvent(ev, axis=axis)


class Canvas(pg.PlotWidget):
    """The main plot: one :class:`PointLayer` and one :class:`ComponentLayer` in an editable view.

    For one-dimensional data (:meth:`set_one_dimensional`) a :class:`DensityLayer` takes the
    component layer's place and the points are drawn as a rug under the histogram.

    Parameters
    ----------
    parent : QWidget, optional
    """

    def __init__(self, parent=None) -> None:
        self.view_box = EditViewBox()
        super().__init__(parent=parent, viewBox=self.view_box, background=BACKGROUND)
        item = self.getPlotItem()
        style_axes(item, point_size=13)
        item.hideButtons()  # no auto-range "A" in the corner: Fit view (F) frames the data
        self.points = PointLayer(self.view_box)
        self.components = ComponentLayer()
        self.components.setZValue(1)  # ellipses and means above the points
        self.density = DensityLayer()
        self.density.setVisible(False)
        self.one_dimensional = False
        for layer in (self.density, self.points, self.components):
            self.view_box.addItem(layer, ignoreBounds=True)
        self.setMinimumSize(400, 300)
        # Clicking the canvas takes the keyboard focus from the side panel, so Space, N and R
        # drive EM again right after a setting was typed in.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    @property
    def component_colors(self) -> np.ndarray:
        """The colors the components are drawn in, shape (K, 3): the points' label colors."""
        return self.density.colors if self.one_dimensional else self.components.colors

    def set_one_dimensional(self, on: bool) -> None:
        """Show the histogram view (one column) or the plane (two or more)."""
        on = bool(on)
        if on == self.one_dimensional:
            return
        self.one_dimensional = on
        self.density.setVisible(on)
        self.components.setVisible(not on)
        self.components.draw(None)
        self.density.draw(None)

    def show_points(
        self,
        xy: np.ndarray,
        colors: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        """Draw the displayed columns ``xy`` (N, 2); in 1-D, bin the first and draw a rug.

        Weighted points are drawn with areas in proportion to their weights (relative to
        the mean weight, within :data:`WEIGHT_SCALE`); the histogram is weighted too.
        """
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if self.one_dimensional:
            self.density.set_points(xy[:, 0], sample_weight)
            xy = self.density.rug_positions(xy[:, 0])
        self.points.set_points(xy, colors, weight_scale(sample_weight))

    def draw_mixture(self, mixture: Mixture | None, axes: tuple[int, int], colors) -> None:
        """Draw the mixture in ``colors`` (the run's palette): ellipses on columns ``axes``, or
        its densities in 1-D."""
        if self.one_dimensional:
            self.density.draw(mixture, colors)
        else:
            self.components.colors = colors
            self.components.draw(mixture, axes)

    def set_axis_labels(self, x: str, y: str) -> None:
        """Label the axes with the displayed column names (in 1-D the vertical is density)."""
        if self.one_dimensional:
            y = "density"
        item = self.getPlotItem()
        style = {"color": _hex(FOREGROUND), "font-size": "15pt"}
        item.setLabel("bottom", x, **style)
        item.setLabel("left", y, **style)

    def fit_view(self) -> None:
        """Frame all the points (and the ellipses) with a small margin."""
        if self.one_dimensional:
            self._fit_density_view()
            return
        xy = self.points.positions
        if not len(xy):
            self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0.05)
            return
        lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
        # Each axis is padded in its own units (columns may differ in scale by 1000s); a
        # column with one value gets a window around it of a tenth of its size, at least 1.
        span = hi - lo
        pad = np.where(span > 0, span * 0.08, np.maximum(np.abs(lo) * 0.1, 1.0))
        self.view_box.setRange(
            xRange=(lo[0] - pad[0], hi[0] + pad[0]),
            yRange=(lo[1] - pad[1], hi[1] + pad[1]),
            padding=0,
        )

    def _fit_density_view(self) -> None:
        x_range = self.density.x_range()
        if x_range is None:
            self.view_box.setRange(xRange=(-1, 1), yRange=(-0.15, 1), padding=0.05)
            return
        lo, hi = x_range
        pad = (hi - lo) * 0.08 if hi > lo else max(abs(lo) * 0.1, 1.0)
        top = self.density.top()
        bottom = float(np.min(self.points.positions[:, 1], initial=0.0))
        self.view_box.setRange(
            xRange=(lo - pad, hi + pad),
            yRange=(bottom - 0.04 * top, top * 1.08),
            padding=0,
        )

    def data_to_widget(self, x: float, y: float):
        """Map a data coordinate to a viewport pixel position (a QPoint), e.g. for tests."""
        scene = self.view_box.mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    def widget_to_data(self, point) -> tuple[float, float]:
        """Map a viewport pixel position to data coordinates."""
        view = self.view_box.mapSceneToView(self.mapToScene(point))
        return view.x(), view.y()


def weight_scale(sample_weight: np.ndarray | None) -> np.ndarray | None:
    """Marker diameter factors for weighted points: area in proportion to weight / mean."""
    if sample_weight is None or not len(sample_weight):
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    mean = float(weights.mean())
    relative = weights / mean if mean > 0 else np.ones_like(weights)
    return np.clip(np.sqrt(relative), *WEIGHT_SCALE)


def style_axes(item: pg.PlotItem, point_size: int) -> None:
    """Projector-readable axes: ``point_size`` tick labels and firm dark lines.

    Each axis keeps its drawing as a pixmap until its range or size changes: replaying the
    tick labels took several milliseconds per axis and paint, and the window repaints the
    axes with every snapshot drawn next to them (benchmarks/bench_gui.py). Two levels of
    ticks, labelled majors and minors: pyqtgraph's third, at half the minors' spacing,
    crowded the axis and was half of its drawing time on every pan.
    """
    font = QFont()
    font.setPointSize(point_size)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        axis.setTickFont(font)
        axis.setStyle(maxTickLevel=1)
        axis.setPen(pg.mkPen(*FOREGROUND, width=1.5))
        axis.setTextPen(pg.mkPen(*FOREGROUND))


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
