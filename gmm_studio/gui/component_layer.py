"""Drawing the mixture components: covariance ellipses and mean markers, warning marks
on degenerate components, the handles on one component's axes and the cue of a merge
target."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from gmm_studio.core import Locks, Mixture, ellipse_points
from gmm_studio.core.component_edits import axis_ends
from gmm_studio.gui.point_layer import PassiveScatter
from gmm_studio.gui.ring_curve import RingBands, RingCurve

#: Number of segments of each ellipse polyline.
ELLIPSE_SEGMENTS = 72
#: Diameter in pixels of an axis handle (times the line scale in presentation mode).
HANDLE_SIZE_PX = 15.0
#: Handles of a locked covariance: grey, so that they read as "cannot be dragged".
LOCKED_HANDLE = (150, 150, 150)

#: A degenerate component's ring and tag: the component table's colour for that health mark,
#: dashed over a white halo so that it reads on dense points and on a dark background.
DEGENERATE_COLOR = (176, 0, 32)
DEGENERATE_RING_PX = 60


def ellipse_polylines(
    mixture: Mixture, axes: tuple[int, int], radii: tuple[float, ...]
) -> list[np.ndarray]:
    """Return, per component, the ellipses at every radius as one NaN-separated polyline.

    Parameters
    ----------
    mixture : Mixture
    axes : (int, int)
        The two displayed features; each ellipse is drawn from the marginal 2x2 block.
    radii : tuple of float
        Mahalanobis radii.

    Returns
    -------
    list of ndarray of shape (M, 2)
    """
    covs = mixture.full_covariances()[:, list(axes)][:, :, list(axes)]
    means = mixture.means[:, list(axes)]
    k, m = len(means), ELLIPSE_SEGMENTS + 1
    if not radii:
        return [np.zeros((0, 2)) for _ in range(k)]
    # Every component's unit ring at once (one snapshot of K=8 draws 24 rings).
    rings = ellipse_points(np.zeros_like(means), covs, 1.0, n=ELLIPSE_SEGMENTS)
    lines = np.full((k, len(radii) * (m + 1) - 1, 2), np.nan)  # rings NaN-separated
    for i, r in enumerate(radii):
        lines[:, i * (m + 1) : i * (m + 1) + m] = means[:, np.newaxis, :] + float(r) * rings
    return list(lines)


def weight_pen(color: np.ndarray, weight: float, n_components: int):
    """Pen of a component's ellipses: heavier components get wider, stronger lines.

    Lighter components are drawn paler by mixing their colour with the white background
    rather than with a translucent pen: Qt strokes translucent wide antialiased paths about
    twice as slowly, and on white the two look the same.
    """
    share = min(max(weight * n_components, 0.0), 2.0)  # 1.0 = an equal share
    width = 1.5 + 2.0 * share
    strength = 0.45 + 0.4 * min(share, 1.0) + 0.15 * max(share - 1.0, 0.0)
    rgb = (round(float(c) * strength + 255.0 * (1.0 - strength)) for c in color)
    return pg.mkPen(*rgb, width=width)


def remove_items(items) -> None:
    """Take graphics items out of their group and scene (curves of a layer being rebuilt)."""
    for item in items:
        item.setParentItem(None)
        if item.scene() is not None:
            item.scene().removeItem(item)


def clear(item: pg.ScatterPlotItem | pg.PlotCurveItem) -> None:
    """Empty a scatter or a curve unless it is empty already: pyqtgraph's ``setData`` of
    nothing still rebuilds the item, about a third of a millisecond, and the layer clears its
    unused marks on every frame."""
    if isinstance(item, pg.ScatterPlotItem):
        drawn = len(item.data)
    else:
        drawn = item.xData is not None and len(item.xData)
    if drawn:
        item.setData([], [])


class ComponentLayer(pg.ItemGroup):
    """One curve per component (all radii, NaN separated) plus one scatter of means.

    A graphics item whose children are those curves and scatters; the canvas adds the layer
    to its view. Curves are created when the number of components changes, and updated with
    ``setData`` on every snapshot. The layer draws in the colors it is given
    (:attr:`colors`, one per component); it never picks colors itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self.curves: list[RingCurve] = []
        self.means = PassiveScatter(
            size=24, symbol="x", pen=pg.mkPen(255, 255, 255, width=2.0), pxMode=True
        )
        self.means.setZValue(20)
        self.mean_halo = PassiveScatter(size=30, symbol="o", pxMode=True)
        self.mean_halo.setZValue(19)
        self.addItem(self.mean_halo)
        self.addItem(self.means)
        #: A square around the mean of a component with a locked mean or weight.
        self.lock_marks = PassiveScatter(
            size=38, symbol="s", pen=pg.mkPen(20, 20, 20, width=3.0), brush=None, pxMode=True
        )
        self.lock_marks.setZValue(18)
        self.addItem(self.lock_marks)
        #: A dashed ring and a "degenerate" tag on each degenerate component's mean.
        self.degenerate_halo = PassiveScatter(symbol="o", brush=None, pxMode=True)
        self.degenerate_halo.setZValue(21)
        self.degenerate_rings = PassiveScatter(symbol="o", brush=None, pxMode=True)
        self.degenerate_rings.setZValue(22)
        self.addItem(self.degenerate_halo)
        self.addItem(self.degenerate_rings)
        self.degenerate_tags: list[pg.TextItem] = []
        self._degenerate: tuple[int, ...] = ()
        self._centers = np.zeros((0, 2))
        self.radii: tuple[float, ...] = (1.0, 2.0, 3.0)
        #: Line widths are multiplied by this, and are at least ``min_width`` (presentation).
        self.line_scale = 1.0
        self.min_width = 0.0
        #: Colour of a wider line drawn under each ellipse, or None for no halo.
        self.halo_color: tuple[int, int, int] | None = None
        self.halos: list[RingCurve] = []
        self._draft = False
        #: The weights of the components drawn (for a legend).
        self.drawn_weights = np.zeros(0)
        self._colors = np.zeros((0, 3), dtype=np.uint8)
        self._brushes: list = []
        self._halo_pen = pg.mkPen(255, 255, 255, width=2.0)
        #: The component whose axis handles are shown (None: no handles).
        self.handle_component: int | None = None
        self.handles = PassiveScatter(symbol="o", pxMode=True)
        self.handles.setZValue(22)
        self.addItem(self.handles)
        #: The component a dragged mean would merge into (None: no merge cue).
        self.merge_target: int | None = None
        self.merge_cue = pg.PlotCurveItem(fillLevel="enclosed", antialias=True)
        self.merge_cue.setZValue(15)  # above the rings, under the means
        self.addItem(self.merge_cue)
        self._drawn: tuple = (None, (0, 1), None)  # (mixture, axes, locks) last drawn

    @property
    def colors(self) -> np.ndarray:
        """The component colors, shape (K, 3) uint8; set them before drawing K components."""
        return self._colors

    @colors.setter
    def colors(self, colors) -> None:
        colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        if np.array_equal(colors, self._colors):
            return  # the window sets them on every frame
        self._colors = colors
        self._brushes = [pg.mkBrush(*c) for c in self._colors]

    @property
    def draft(self) -> bool:
        """Whether the rings are drawn without antialiasing (the window sets it while EM runs
        fast).

        Qt's antialiased fill is most of a ring's paint: with EM running on 100,000 points,
        K=8, a canvas paint took 31 ms with smoothed rings (2.9 ms a component) and 16 ms
        without (1.0 ms), on a 2-core AMD EPYC. Rings that move several times a second show
        no stair steps to the eye; they are smoothed again as soon as EM stops. Exported
        images and recordings are always smoothed.
        """
        return self._draft

    @draft.setter
    def draft(self, draft: bool) -> None:
        if draft == self._draft:
            return
        self._draft = draft
        for curve in self.curves + self.halos:
            curve.opts["antialias"] = not draft
            curve.update()

    def _ensure(self, n_components: int) -> None:
        if len(self.curves) == n_components:
            return
        remove_items(self.curves + self.halos)
        self.curves, self.halos = [], []
        bands = RingBands()  # every ring's bands in one build
        for _ in range(n_components):
            curve = RingCurve(connect="finite", antialias=not self._draft, bands=bands)
            curve.setZValue(10)
            # No QGraphicsItem cache: a device-coordinate cache kept stale pieces of rings
            # that had moved (tests/gui/test_drawn_pixels.py).
            self.addItem(curve)
            self.curves.append(curve)
            halo = RingCurve(connect="finite", antialias=not self._draft, bands=bands)
            halo.setZValue(9)
            self.addItem(halo)
            self.halos.append(halo)

    def draw(
        self, mixture: Mixture | None, axes: tuple[int, int] = (0, 1), locks: Locks | None = None
    ) -> None:
        """Draw ``mixture`` (or hide everything when it is None).

        With ``locks``, a locked covariance is drawn dashed and a locked mean or weight gets
        a square around its mean.
        """
        self._drawn = (mixture, axes, locks)
        if mixture is None:
            self._ensure(0)
            for marks in (self.means, self.mean_halo, self.lock_marks):
                clear(marks)
            self._centers = np.zeros((0, 2))
            self._draw_degenerate()
            self._draw_overlays()
            return
        k = mixture.n_components
        if len(self._colors) != k:
            raise ValueError(f"{len(self._colors)} component colors for {k} components")
        self._ensure(k)
        self.drawn_weights = np.array(mixture.weights, dtype=float)
        lines = ellipse_polylines(mixture, axes, self.radii)
        for curve, line, color, weight in zip(
            self.curves,
            lines,
            self._colors,
            mixture.weights,
            strict=True,
        ):
            pen = weight_pen(color, float(weight), k)
            if self.line_scale != 1.0 or self.min_width:
                pen.setWidthF(max(self.min_width, pen.widthF() * self.line_scale))
            curve.setData(line[:, 0], line[:, 1], pen=pen)
        for halo, line, curve in zip(self.halos, lines, self.curves, strict=True):
            if self.halo_color is None:
                clear(halo)
                continue
            width = curve.opts["pen"].widthF() + 4.0
            halo.setData(line[:, 0], line[:, 1], pen=pg.mkPen(*self.halo_color, width=width))
        if locks is not None and locks.n_components == k:
            for curve, locked in zip(self.curves, locks.covariance, strict=True):
                if locked:
                    pen = curve.opts["pen"]
                    pen.setStyle(Qt.PenStyle.DashLine)
                    curve.setPen(pen)
        centers = mixture.means[:, list(axes)]
        if locks is not None and locks.n_components == k:
            marked = np.array(locks.mean) | np.array(locks.weight)
            self.lock_marks.setData(centers[marked, 0], centers[marked, 1])
        else:
            clear(self.lock_marks)
        self.mean_halo.setData(
            centers[:, 0], centers[:, 1], brush=self._brushes, pen=self._halo_pen
        )
        self.means.setData(centers[:, 0], centers[:, 1])
        self._centers = centers
        self._draw_degenerate()
        self._draw_overlays()

    def mark_degenerate(self, components) -> None:
        """Flag ``components`` (indices) as degenerate from now on, until marked otherwise.

        Each gets a dashed ring around its mean and a "degenerate" tag below it, as long as
        the mixture drawn has that component.
        """
        components = tuple(int(k) for k in components)
        if components != self._degenerate:
            self._degenerate = components
            self._draw_degenerate()

    @property
    def degenerate_drawn(self) -> tuple[int, ...]:
        """The components drawn with a degenerate mark."""
        return tuple(k for k in self._degenerate if k < len(self._centers))

    def _draw_degenerate(self) -> None:
        marked = list(self.degenerate_drawn)
        at = self._centers[marked] if marked else np.zeros((0, 2))
        scale = self.line_scale
        if marked:
            size = DEGENERATE_RING_PX * scale
            dashed = pg.mkPen(*DEGENERATE_COLOR, width=3.5 * scale, style=Qt.PenStyle.DashLine)
            halo = pg.mkPen(255, 255, 255, width=8.0 * scale)
            self.degenerate_halo.setData(at[:, 0], at[:, 1], size=size, pen=halo)
            self.degenerate_rings.setData(at[:, 0], at[:, 1], size=size, pen=dashed)
        else:
            clear(self.degenerate_halo)
            clear(self.degenerate_rings)
        while len(self.degenerate_tags) > len(marked):
            remove_items([self.degenerate_tags.pop()])
        while len(self.degenerate_tags) < len(marked):
            tag = pg.TextItem(
                "degenerate", color=(255, 255, 255), fill=pg.mkBrush(*DEGENERATE_COLOR),
                border=pg.mkPen(255, 255, 255, width=1.5), anchor=(0.5, -1.3),
            )  # fmt: skip
            tag.setZValue(23)
            self.addItem(tag)
            self.degenerate_tags.append(tag)
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(11 * scale)
        for tag, (x, y), k in zip(self.degenerate_tags, at, marked, strict=True):
            tag.setFont(font)
            tag.setPos(float(x), float(y))
            tag.setToolTip(
                f"component {k + 1} is degenerate: its covariance sits on the reg_covar floor "
                "or it is carried by too few distinct points"
            )

    @property
    def handle_radius(self) -> float:
        """The Mahalanobis radius the handles sit on: the outermost ring drawn."""
        return max(self.radii, default=2.0)

    def show_handles(self, k: int | None) -> None:
        """Show the axis handles of component ``k`` (None: of none)."""
        if k != self.handle_component:
            self.handle_component = k
            self._draw_overlays()

    def show_merge_target(self, k: int | None) -> None:
        """Fill component ``k``'s 1σ ellipse: a dragged mean dropped now merges into it."""
        if k != self.merge_target:
            self.merge_target = k
            self._draw_overlays()

    def _draw_overlays(self) -> None:
        mixture, axes, locks = self._drawn
        k_max = 0 if mixture is None else mixture.n_components
        k = self.handle_component
        if k is not None and k < k_max and k < len(self._colors):
            ends = axis_ends(mixture, k, axes, self.handle_radius)
            locked = locks is not None and locks.n_components == k_max and locks.covariance[k]
            color = LOCKED_HANDLE if locked else tuple(int(c) for c in self._colors[k])
            scale = max(self.line_scale, 1.0)
            self.handles.setData(
                ends[:, 0], ends[:, 1], size=HANDLE_SIZE_PX * scale,
                brush=pg.mkBrush(255, 255, 255) if locked else pg.mkBrush(*color),
                pen=pg.mkPen(*(color if locked else (255, 255, 255)), width=2.5 * scale),
            )  # fmt: skip
        else:
            clear(self.handles)
        j = self.merge_target
        if j is not None and j < k_max and j < len(self._colors):
            block = mixture.full_covariances()[j][np.ix_(axes, axes)]
            line = ellipse_points(mixture.means[j, list(axes)], block, 1.0, n=ELLIPSE_SEGMENTS)
            color = tuple(int(c) for c in self._colors[j])
            self.merge_cue.setData(
                line[:, 0], line[:, 1], pen=pg.mkPen(*color, width=4.0 * max(self.line_scale, 1)),
                brush=pg.mkBrush(*color, 110),
            )  # fmt: skip
        else:
            clear(self.merge_cue)

    def drawn_handles(self) -> np.ndarray:
        """Axis handle positions as drawn, shape (4, 2) (or (0, 2) with none shown): the two
        ends of the first axis of :func:`gmm_studio.core.component_edits.ellipse_axes`, then
        those of the second."""
        x, y = self.handles.getData()
        return np.column_stack([x, y])

    def drawn_means(self) -> np.ndarray:
        """Mean positions as drawn, shape (K, 2)."""
        x, y = self.means.getData()
        return np.column_stack([x, y])

    def drawn_ellipses(self) -> list[np.ndarray]:
        """Ellipse polylines as drawn, one (M, 2) array per component."""
        return [np.column_stack(curve.getData()) for curve in self.curves]
