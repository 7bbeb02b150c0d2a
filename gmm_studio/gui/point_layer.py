"""Drawing the data points, coloured by responsibility.

All point drawing lives in :class:`PointLayer`. Small data sets are drawn as a scatter of
anti-aliased discs; above :data:`SCATTER_LIMIT` points the layer shows a raster instead,
because recoloring a pyqtgraph scatter goes through Python once per point. The raster is an
RGBA image at screen resolution from :mod:`gmm_studio.core.point_raster`, computed in a
background thread and shown by one ``ImageItem``. The image covers the visible data rectangle
plus :data:`RASTER_PAD` of its size on every side, so a pan that stays within that border
needs no new raster at all: the image moves with the data. Where the points land is kept per
raster, so a new snapshot only re-averages colors. Other view changes (zoom, resize, a pan
past the border) are coalesced: while the user drags, the last image moves and scales with
the data, and is re-rasterised when the view rests for :data:`VIEW_IDLE_MS` or at least every
:data:`VIEW_MAX_WAIT_MS`. Weighted points (a size factor per point) are drawn with larger or
smaller discs in both modes.
"""

from __future__ import annotations

import contextlib
import functools
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QTimer, Signal, Slot

from gmm_studio.core.point_raster import (
    POINT_SIZE,
    RasterGeometry,
    build_raster_geometry,
    paint_raster,
    point_diameter,
)
from gmm_studio.gui.palette import UNFITTED_POINT
from gmm_studio.gui.thread_priority import lower_this_thread_priority

#: Above this many points the layer draws a raster image instead of a scatter.
SCATTER_LIMIT = 5_000
#: Scatter markers get a white outline up to this many points.
OUTLINE_LIMIT = 1_000
#: Re-rasterise after the view has rested this long, or at least this often while it moves.
VIEW_IDLE_MS = 40
VIEW_MAX_WAIT_MS = 200
#: The raster reaches this fraction of the view's width (height) beyond each side of it.
RASTER_PAD = 0.125


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that never takes mouse clicks: clicks on points belong to the view (edit).

    This is the canvas's one click-through rule: pyqtgraph offers a click to every item under
    the cursor, and only scatters would take it (curves and images are not clickable).
    """

    def mouseClickEvent(self, ev) -> None:
        """Leave the click to the ViewBox underneath."""
        ev.ignore()

    def paint(self, p, *args) -> None:
        # An empty scatter draws nothing, but pyqtgraph's paint still maps its view and
        # styles first: a few tenths of a millisecond per paint for each of the canvas's
        # usually empty marks (locks, degenerate rings, handles).
        if len(self.data):
            super().paint(p, *args)


class _RasterRequest:
    """Everything the raster thread needs for one image (arrays are never written later)."""

    __slots__ = ("colors", "generation", "key", "labels", "palette", "scale", "version", "xy")

    def __init__(self, **kwargs):
        for name, value in kwargs.items():
            setattr(self, name, value)


class _RasterCache:
    """The last geometry, owned by the raster thread (jobs of one layer run one at a time)."""

    def __init__(self) -> None:
        self.geometry: RasterGeometry | None = None
        self.generation = -1


def _raster_job(cache: _RasterCache, request: _RasterRequest):
    geometry = cache.geometry
    if geometry is None or geometry.key != request.key or cache.generation != request.generation:
        cache.geometry = None  # let the old one go before the new one is built
        geometry = build_raster_geometry(request.xy, request.key, scale=request.scale)
        cache.geometry = geometry
        cache.generation = request.generation
    image = paint_raster(geometry, request.colors, request.labels, request.palette)
    return request, image


_executor: ThreadPoolExecutor | None = None


def _raster_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="gmm-studio-raster",
            initializer=lower_this_thread_priority,
        )
    return _executor


class _RasterRelay(QObject):
    """Brings finished raster jobs back to the GUI thread (a queued signal to itself).

    One relay serves every layer and lives as long as the process: the raster thread only
    ever emits on it, so no QObject is ever destroyed from that thread (a relay per layer
    could lose its last reference there, racing the queued event Qt still had for it).
    """

    finished = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._deliver)

    def send(self, layer_ref: weakref.ref, future) -> None:
        """Called in the raster thread when a job is done."""
        self.finished.emit(layer_ref, future)

    @Slot(object, object)
    def _deliver(self, layer_ref: weakref.ref, future) -> None:
        layer = layer_ref()
        if layer is not None:
            with contextlib.suppress(RuntimeError):  # its items were deleted with the window
                layer._on_raster_done(future)


_relay: _RasterRelay | None = None


def _raster_relay() -> _RasterRelay:
    """The process-wide relay, created in the GUI thread on first use."""
    global _relay
    if _relay is None:
        _relay = _RasterRelay()
    return _relay


class PointLayer(pg.ItemGroup):
    """The points of the canvas: positions and colors, scatter or raster.

    A graphics item whose children are the scatter and the raster image; the canvas adds the
    layer to its view.

    Colours come either alone (one RGB per point) or with hard labels and the component
    palette; :meth:`set_hard_labels` switches between the blended colours and the label
    colours in both drawing modes. Raster images are computed in a background thread (at
    most one job at a time per layer, always for the newest state) and shown when ready, so
    the GUI thread never waits for a million points to be binned.

    Parameters
    ----------
    viewbox : pyqtgraph.ViewBox
        The view the layer draws in (its range and size set the raster).
    scatter_limit : int
        Largest number of points drawn as a scatter.
    """

    def __init__(self, viewbox: pg.ViewBox, scatter_limit: int = SCATTER_LIMIT) -> None:
        super().__init__()
        self._viewbox = viewbox
        self.scatter_limit = scatter_limit
        self._outline = pg.mkPen(255, 255, 255, 220, width=1.2)
        self._no_outline = pg.mkPen(None)
        self.scatter = PassiveScatter(size=POINT_SIZE, pen=self._outline, pxMode=True)
        self.scatter.setZValue(5)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(4)
        self.image.setVisible(False)
        self.addItem(self.image)
        self.addItem(self.scatter)
        self._xy = np.zeros((0, 2))
        self._scale: np.ndarray | None = None
        self._blended = np.zeros((0, 3), dtype=np.uint8)
        self._labels: np.ndarray | None = None
        self._palette: np.ndarray | None = None
        self._hard_labels = False
        self._brush_cache: dict[int, object] = {}
        # Raster state: positions generation, colour version, what is shown, the job in flight.
        self._generation = 0
        self._version = 0
        self._shown: tuple | None = None  # (generation, version, view key) of the image
        self._raster_busy = False
        self._raster_dirty = False
        self._raster_cache = _RasterCache()
        self._relay = _raster_relay()
        #: Raster images shown so far (for tests and benchmarks).
        self.rasters_drawn = 0
        self._view_timer = QTimer(self)
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
        if self._showing_labels():
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
        """Scatter marker diameter in screen pixels (the raster sizes by the points in view)."""
        return point_diameter(len(self._xy))

    def _showing_labels(self) -> bool:
        return self._hard_labels and self._labels is not None and self._palette is not None

    # -- input ------------------------------------------------------------------------------
    def set_points(
        self, xy: np.ndarray, colors: np.ndarray | None = None, scale: np.ndarray | None = None
    ) -> None:
        """Show new point positions (and optionally their blended colours, and a size factor
        per point for the scatter: weighted points)."""
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self._scale = None if scale is None else np.asarray(scale, dtype=np.float64)
        if colors is None:
            colors = np.broadcast_to(np.array(UNFITTED_POINT, dtype=np.uint8), (len(self._xy), 3))
        self._blended = np.asarray(colors, dtype=np.uint8)
        self._labels = None
        self._generation += 1
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
        self._version += 1
        if self.uses_raster:
            if len(self.scatter.data):
                self.scatter.setData([], [])
            self._request_raster()
            return
        self.image.setVisible(False)
        self._shown = None
        brushes = self._brushes(self.colors)
        if positions_changed or len(self.scatter.data) != len(self._xy):
            # A white outline sets single points apart; with many it would grey them out, and
            # the raster (above the scatter limit) has none, so the switch stays invisible.
            outlined = len(self._xy) <= OUTLINE_LIMIT
            self.scatter.setData(
                x=self._xy[:, 0],
                y=self._xy[:, 1],
                brush=brushes,
                size=self.diameter if self._scale is None else self.diameter * self._scale,
                pen=self._outline if outlined else self._no_outline,
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
        if not self.uses_raster:
            return
        # Coalesce: the image moves with the data meanwhile (its rect is in data coordinates).
        if self._shown is not None and self._covers_view(self._shown[2]):
            self._view_timer.stop()
            self._view_pending_since = None
            return  # the raster shown reaches beyond the view: it moves with the data
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
        if self.uses_raster and self._shown is not None and not self._covers_view(self._shown[2]):
            self._request_raster()

    def raster_is_current(self) -> bool:
        """True when the raster shows the current points and colours and covers the view at
        its resolution (nothing pending)."""
        return (
            self.uses_raster
            and not self._raster_busy
            and self._shown is not None
            and self._shown[:2] == (self._generation, self._version)
            and self._covers_view(self._shown[2])
        )

    def _view_key(self) -> tuple:
        vb = self._viewbox
        (x0, x1), (y0, y1) = vb.viewRange()
        scale = _device_pixel_ratio(vb)
        width = max(1, round(vb.width() * scale))
        height = max(1, round(vb.height() * scale))
        return (x0, x1, y0, y1, width, height, scale)

    def _raster_key(self) -> tuple:
        """The view's key grown by :data:`RASTER_PAD` on every side, in whole pixels."""
        x0, x1, y0, y1, width, height, scale = self._view_key()
        pad_x, pad_y = round(RASTER_PAD * width), round(RASTER_PAD * height)
        dx, dy = pad_x * (x1 - x0) / width, pad_y * (y1 - y0) / height
        return (x0 - dx, x1 + dx, y0 - dy, y1 + dy, width + 2 * pad_x, height + 2 * pad_y, scale)

    def _covers_view(self, key: tuple) -> bool:
        """True when a raster made for ``key`` shows the whole view at its pixel size."""
        x0, x1, y0, y1, width, height, scale = self._view_key()
        k0, k1, l0, l1, k_width, k_height, k_scale = key
        if k_scale != scale or not (k0 <= x0 and x1 <= k1 and l0 <= y0 and y1 <= l1):
            return False
        # The same data size of a pixel (to a thousandth of a pixel across the raster).
        return (
            abs((x1 - x0) / width * k_width - (k1 - k0)) <= 1e-3 * (k1 - k0) / k_width
            and abs((y1 - y0) / height * k_height - (l1 - l0)) <= 1e-3 * (l1 - l0) / k_height
        )

    def _request_raster(self) -> None:
        if not len(self._xy):
            self.image.setVisible(False)
            return
        if self._raster_busy:
            self._raster_dirty = True  # the job in flight is followed by one for the newest state
            return
        labels = self._showing_labels()
        shown = self._shown
        key = (
            shown[2]
            if shown is not None and shown[0] == self._generation and self._covers_view(shown[2])
            else self._raster_key()
        )
        request = _RasterRequest(
            xy=self._xy,
            scale=self._scale,
            colors=self._blended,
            labels=self._labels if labels else None,
            palette=self._palette if labels else None,
            key=key,
            generation=self._generation,
            version=self._version,
        )
        self._raster_busy = True
        self._raster_dirty = False
        future = _raster_executor().submit(_raster_job, self._raster_cache, request)
        future.add_done_callback(functools.partial(self._relay.send, weakref.ref(self)))

    def _on_raster_done(self, future) -> None:
        self._raster_busy = False
        request, image = future.result()
        if request.generation == self._generation and self.uses_raster:
            (x0, x1, y0, y1, *_rest) = request.key
            self.image.setImage(image, autoLevels=False)
            self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self.image.setVisible(True)
            self._shown = (request.generation, request.version, request.key)
            self.rasters_drawn += 1
        if self._raster_dirty:
            self._request_raster()
        elif (
            self._shown is not None
            and not self._covers_view(self._shown[2])
            and not self._view_timer.isActive()
        ):
            self._request_raster()  # the view moved while the job ran and nothing is queued


def _device_pixel_ratio(viewbox: pg.ViewBox) -> float:
    widget = viewbox.getViewWidget()
    return float(widget.devicePixelRatioF()) if widget is not None else 1.0
