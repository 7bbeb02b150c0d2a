"""Drawing the data points, coloured by responsibility.

All point drawing lives in :class:`PointLayer`. Small data sets are drawn as a scatter of
anti-aliased discs; above :data:`SCATTER_LIMIT` points the layer rasterises in numpy instead,
because recolouring a pyqtgraph scatter goes through Python once per point. The raster is an
RGBA image at screen resolution, shown by one ``ImageItem`` that covers exactly the visible
data rectangle: every point stamps a small disc of about the scatter's marker size, and each
pixel shows the mean colour of the points covering it, more opaque where more points stack up
(the rule of :func:`gmm_studio.core.point_colours.rasterize`).

The work is split by what changes. Where each point lands (its pixels, the occupied pixels,
their counts) depends only on the positions and the view, so it is computed once per view and
kept; a new snapshot only re-averages the colours into the occupied pixels, three
``np.bincount`` calls. View changes (pan, zoom, resize) are coalesced: while the user drags,
the last image moves and scales with the data, and is re-rasterised when the view rests for
:data:`VIEW_IDLE_MS` or at least every :data:`VIEW_MAX_WAIT_MS`.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer

from gmm_studio.gui.palette import UNFITTED_POINT

#: Above this many points the layer draws a raster image instead of a scatter.
SCATTER_LIMIT = 5_000
#: Marker diameter in screen pixels for small data sets (big enough to see from the back of a
#: room); it shrinks with the number of points, see :func:`point_diameter`.
POINT_SIZE = 11
#: Raster: most (point, pixel) stamps per view; bigger data sets get smaller discs.
RASTER_STAMP_BUDGET = 1_200_000
#: Raster: opacity of one point; ``c`` stacked points get ``1 - (1 - p)**c``.
RASTER_POINT_OPACITY = 0.9
#: Re-rasterise after the view has rested this long, or at least this often while it moves.
VIEW_IDLE_MS = 40
VIEW_MAX_WAIT_MS = 200


def point_diameter(n_points: int) -> float:
    """Marker diameter in screen pixels for ``n_points`` points (scatter and raster alike).

    :data:`POINT_SIZE` up to a thousand points, then 4 px smaller for each tenfold more, and
    never below one pixel: 8 px at the scatter/raster switch, 3 px at 100,000 points.
    """
    if n_points <= 1000:
        return float(POINT_SIZE)
    return max(1.0, POINT_SIZE - 4.0 * math.log10(n_points / 1000))


def disc_offsets(diameter: int) -> np.ndarray:
    """Pixel offsets, shape (S, 2) as (dx, dy), of a disc ``diameter`` pixels across.

    Offsets are relative to the pixel the point's position rounds into (see
    :meth:`PointLayer._build_geometry`): for an odd diameter the disc is centred on that pixel's
    centre, for an even one on its lower-left corner, so the disc's centre is never more than
    half a pixel from the point.
    """
    d = max(1, int(diameter))
    o = np.arange(-(d // 2), (d - 1) // 2 + 1)
    centre = 0.0 if d % 2 else -0.5  # pixel centre relative to the disc's centre, at offset 0
    dx, dy = np.meshgrid(o, o)
    inside = (dx + centre) ** 2 + (dy + centre) ** 2 <= (d / 2) ** 2 + 1e-9
    return np.column_stack([dx[inside], dy[inside]])


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that never takes mouse clicks: clicks on points belong to the view (edit)."""

    def mouseClickEvent(self, ev) -> None:
        """Leave the click to the ViewBox underneath."""
        ev.ignore()


class _RasterGeometry:
    """Where the points land in one view: everything the colours do not change."""

    __slots__ = ("height", "image", "inverse_counts", "key", "occupied", "rect", "slot", "width")

    def __init__(self, key, width, height, rect, slot, occupied, inverse_counts, image):
        self.key = key
        self.width = width
        self.height = height
        self.rect = rect  # QRectF in data coordinates covered by the image
        self.slot = slot  # (S*N,) index into `occupied` of every stamp; len(occupied) = off view
        self.occupied = occupied  # flat pixel indices with at least one stamp
        self.inverse_counts = inverse_counts  # 1 / number of stamps, per occupied pixel
        self.image = image  # (height, width, 4) uint8, alpha already set


class PointLayer:
    """The points of the canvas: positions and colours, scatter or raster.

    Colours come either alone (one RGB per point) or with hard labels and the component
    palette; :meth:`set_hard_labels` switches between the blended colours and the label
    colours in both drawing modes.

    Parameters
    ----------
    viewbox : pyqtgraph.ViewBox
        The view to draw into.
    scatter_limit : int
        Largest number of points drawn as a scatter.
    """

    def __init__(self, viewbox: pg.ViewBox, scatter_limit: int = SCATTER_LIMIT) -> None:
        self._viewbox = viewbox
        self.scatter_limit = scatter_limit
        self.scatter = PassiveScatter(
            size=POINT_SIZE, pen=pg.mkPen(255, 255, 255, 220, width=1.2), pxMode=True
        )
        self.scatter.setZValue(5)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(4)
        self.image.setVisible(False)
        for item in (self.scatter, self.image):
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks belong to the view
        viewbox.addItem(self.scatter)
        viewbox.addItem(self.image, ignoreBounds=True)
        self._xy = np.zeros((0, 2))
        self._blended = np.zeros((0, 3), dtype=np.uint8)
        self._labels: np.ndarray | None = None
        self._palette: np.ndarray | None = None
        self._hard_labels = False
        self._brush_cache: dict[int, object] = {}
        self._geometry: _RasterGeometry | None = None
        self._weights = np.zeros(0)  # reused per frame: one float per stamp
        self.rasters_drawn = 0
        self._view_timer = QTimer()
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(VIEW_IDLE_MS)
        self._view_timer.timeout.connect(self.refresh_raster)
        self._view_pending_since: float | None = None
        viewbox.sigRangeChanged.connect(self._on_view_changed)
        viewbox.sigResized.connect(self._on_view_changed)

    # -- state ------------------------------------------------------------------------------
    @property
    def uses_raster(self) -> bool:
        """True when points are drawn as a raster image."""
        return len(self._xy) > self.scatter_limit

    @property
    def positions(self) -> np.ndarray:
        """Drawn positions, shape (N, 2)."""
        return self._xy

    @property
    def colors(self) -> np.ndarray:
        """Drawn colours, shape (N, 3) uint8: label colours when hard labels are on."""
        if self._hard_labels and self._labels is not None and self._palette is not None:
            return np.take(self._palette, self._labels, axis=0)
        return self._blended

    @property
    def blended_colors(self) -> np.ndarray:
        """The responsibility-blended colours, shape (N, 3) uint8, whatever is shown."""
        return self._blended

    @property
    def hard_labels(self) -> bool:
        """True when points show their most responsible component's colour."""
        return self._hard_labels

    @property
    def diameter(self) -> float:
        """Marker diameter in screen pixels for the current number of points."""
        return point_diameter(len(self._xy))

    # -- input ------------------------------------------------------------------------------
    def set_points(self, xy: np.ndarray, colors: np.ndarray | None = None) -> None:
        """Show new point positions (and optionally their blended colours)."""
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if colors is None:
            colors = np.broadcast_to(np.array(UNFITTED_POINT, dtype=np.uint8), (len(self._xy), 3))
        self._blended = np.asarray(colors, dtype=np.uint8)
        self._labels = None
        self._geometry = None
        self._redraw(positions_changed=True)

    def set_colors(
        self,
        colors: np.ndarray,
        labels: np.ndarray | None = None,
        palette: np.ndarray | None = None,
    ) -> None:
        """Recolour the current points.

        Parameters
        ----------
        colors : ndarray of shape (N, 3), uint8
            Responsibility-blended colours.
        labels : ndarray of shape (N,), optional
            Most responsible component of each point (shown when hard labels are on).
        palette : ndarray of shape (K, 3), optional
            Component colours, indexed by ``labels``.
        """
        colors = np.asarray(colors, dtype=np.uint8)
        if colors.shape != (len(self._xy), 3):
            return  # a frame computed for other data; the next one will match
        if labels is not None and (palette is None or np.shape(labels) != (len(self._xy),)):
            labels = None
        self._blended = colors
        self._labels = labels
        self._palette = None if palette is None else np.asarray(palette, dtype=np.uint8)
        self._redraw(positions_changed=False)

    def set_hard_labels(self, on: bool, redraw: bool = True) -> None:
        """Show each point in its most responsible component's colour (or the blend).

        With ``redraw=False`` only the choice is recorded (a :meth:`set_colors` follows).
        """
        on = bool(on)
        if on != self._hard_labels:
            self._hard_labels = on
            if redraw:
                self._redraw(positions_changed=False)

    # -- drawing ----------------------------------------------------------------------------
    def _redraw(self, positions_changed: bool) -> None:
        if self.uses_raster:
            if len(self.scatter.data):
                self.scatter.setData([], [])
            self._draw_raster()
            return
        self.image.setVisible(False)
        self._geometry = None
        brushes = self._brushes(self.colors)
        if positions_changed or len(self.scatter.data) != len(self._xy):
            self.scatter.setData(
                x=self._xy[:, 0], y=self._xy[:, 1], brush=brushes, size=self.diameter
            )
        else:
            self.scatter.setBrush(brushes)

    def _brushes(self, colors: np.ndarray) -> np.ndarray:
        # Quantise to 5 bits a channel and reuse one QBrush per colour, so the scatter's
        # symbol atlas stays small and no brush is created per point per frame.
        q = (colors >> 3).astype(np.int32)
        keys = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
        uniq, inverse = np.unique(keys, return_inverse=True)
        table = np.empty(len(uniq), dtype=object)
        for i, key in enumerate(uniq.tolist()):
            brush = self._brush_cache.get(key)
            if brush is None:
                rgb = ((key >> 10) & 31, (key >> 5) & 31, key & 31)
                brush = pg.mkBrush(*(c * 8 + 4 for c in rgb))
                self._brush_cache[key] = brush
            table[i] = brush
        return table[inverse]

    def _on_view_changed(self, *_args) -> None:
        if not self.uses_raster or self._geometry is None:
            return
        # Coalesce: the image moves with the data meanwhile (its rect is in data coordinates).
        now = time.monotonic()
        if self._view_pending_since is None:
            self._view_pending_since = now
        if (now - self._view_pending_since) * 1000 >= VIEW_MAX_WAIT_MS:
            self.refresh_raster()
        else:
            self._view_timer.start()

    def refresh_raster(self) -> None:
        """Re-rasterise for the current view now (normally done shortly after it changes)."""
        self._view_timer.stop()
        self._view_pending_since = None
        if self.uses_raster:
            if self._geometry is not None and self._geometry.key != self._view_key():
                self._geometry = None
            self._draw_raster()

    def raster_is_current(self) -> bool:
        """True when the raster shows the current view (no re-raster pending)."""
        return self._geometry is not None and self._geometry.key == self._view_key()

    def _view_key(self):
        vb = self._viewbox
        (x0, x1), (y0, y1) = vb.viewRange()
        scale = _device_pixel_ratio(vb)
        width = max(1, round(vb.width() * scale))
        height = max(1, round(vb.height() * scale))
        diameter = round(self.diameter * scale)
        return (x0, x1, y0, y1, width, height, diameter)

    def _build_geometry(self) -> _RasterGeometry:
        key = self._view_key()
        x0, x1, y0, y1, width, height, diameter = key
        n = len(self._xy)
        offsets = disc_offsets(diameter)
        while len(offsets) > 1 and len(offsets) * n > RASTER_STAMP_BUDGET:
            diameter -= 1
            offsets = disc_offsets(diameter)
        # Pixel of each point: column from x0, row from y0 (row 0 is the bottom of the plot,
        # which is how an ImageItem with axisOrder="row-major" and this rect shows row 0).
        shift = 0.0 if diameter % 2 else 0.5  # even discs centre on a pixel corner
        margin = diameter + 1.0
        col = self._xy[:, 0] - x0
        col *= width / (x1 - x0) if x1 > x0 else 0.0
        col += shift
        row = self._xy[:, 1] - y0
        row *= height / (y1 - y0) if y1 > y0 else 0.0
        row += shift
        # Clip far-away (and non-finite) points to just outside the image before the integer
        # cast, so huge zooms cannot overflow it; NaN becomes off the image too.
        np.clip(col, -margin, width + margin, out=col)
        np.clip(row, -margin, height + margin, out=row)
        col[np.isnan(col)] = -margin
        ix = np.floor(col).astype(np.int64)
        iy = np.floor(row).astype(np.int64)
        size = width * height
        stamps = np.empty((len(offsets), n), dtype=np.int64)
        for (dx, dy), out in zip(offsets.tolist(), stamps, strict=True):
            cx = ix + dx
            cy = iy + dy
            np.multiply(cy, width, out=out)
            out += cx
            outside = (cx < 0) | (cx >= width) | (cy < 0) | (cy >= height)
            out[outside] = size  # one extra bin for stamps off the image
        stamps = stamps.reshape(-1)
        counts = np.bincount(stamps, minlength=size + 1)[:size]
        occupied = np.flatnonzero(counts)
        slot_of_pixel = np.full(size + 1, len(occupied), dtype=np.int32)
        slot_of_pixel[occupied] = np.arange(len(occupied), dtype=np.int32)
        slot = slot_of_pixel[stamps]
        stacked = counts[occupied]
        inverse_counts = 1.0 / stacked
        image = np.zeros((height, width, 4), dtype=np.uint8)
        opacity = 1.0 - (1.0 - RASTER_POINT_OPACITY) ** np.arange(257)
        table = (255.0 * opacity + 0.5).astype(np.uint8)
        image.reshape(size, 4)[occupied, 3] = np.take(table, stacked, mode="clip")
        if len(self._weights) != len(slot):
            self._weights = np.empty(len(slot))
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        return _RasterGeometry(key, width, height, rect, slot, occupied, inverse_counts, image)

    def _draw_raster(self) -> None:
        if not len(self._xy):
            self.image.setVisible(False)
            return
        geometry = self._geometry
        if geometry is None:
            geometry = self._geometry = self._build_geometry()
        colors = self.colors
        n = len(self._xy)
        m = len(geometry.occupied)
        flat = geometry.image.reshape(-1, 4)
        weights = self._weights.reshape(-1, n)
        for channel in range(3):
            weights[:] = colors[:, channel]  # the same colour for each of a point's stamps
            total = np.bincount(geometry.slot, weights=self._weights, minlength=m + 1)[:m]
            total *= geometry.inverse_counts
            total += 0.5
            flat[geometry.occupied, channel] = total  # truncation after +0.5: rounding
        self.image.setImage(geometry.image, autoLevels=False)
        self.image.setRect(geometry.rect)
        self.image.setVisible(True)
        self.rasters_drawn += 1


def _device_pixel_ratio(viewbox: pg.ViewBox) -> float:
    widget = viewbox.getViewWidget()
    return float(widget.devicePixelRatioF()) if widget is not None else 1.0
