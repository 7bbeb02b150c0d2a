"""Drawing the data points, coloured by responsibility.

All point drawing lives in :class:`PointLayer`. Small data sets are drawn as a scatter of
anti-aliased discs; above :data:`SCATTER_LIMIT` points the layer rasterises in numpy instead
(each point's colour written into an RGBA image the size of the view, shown by one
``ImageItem``), because recolouring a pyqtgraph scatter goes through Python once per point.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt

from gmm_studio.gui.palette import UNFITTED_POINT

#: Above this many points the layer draws a raster image instead of a scatter.
SCATTER_LIMIT = 5_000
#: Scatter disc diameter in screen pixels (big enough to see from the back of a room).
POINT_SIZE = 11
#: Raster: each point is a square of this many screen pixels.
RASTER_DOT = 2


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that never takes mouse clicks: clicks on points belong to the view (edit)."""

    def mouseClickEvent(self, ev) -> None:
        """Leave the click to the ViewBox underneath."""
        ev.ignore()


class PointLayer:
    """The points of the canvas: positions and colours, scatter or raster.

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
        for item in (self.scatter, self.image):
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks belong to the view
        viewbox.addItem(self.scatter)
        viewbox.addItem(self.image, ignoreBounds=True)
        self._xy = np.zeros((0, 2))
        self._colors = np.zeros((0, 3), dtype=np.uint8)
        self._brush_cache: dict[int, object] = {}
        self._raster_key = None
        self._raster_cells: tuple[np.ndarray, np.ndarray, int, int] | None = None
        viewbox.sigRangeChanged.connect(self._on_view_changed)
        viewbox.sigResized.connect(self._on_view_changed)

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
        """Drawn colours, shape (N, 3) uint8."""
        return self._colors

    def set_points(self, xy: np.ndarray, colors: np.ndarray | None = None) -> None:
        """Show new point positions (and optionally their colours)."""
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if colors is None:
            colors = np.tile(np.array(UNFITTED_POINT, dtype=np.uint8), (len(self._xy), 1))
        self._colors = np.asarray(colors, dtype=np.uint8)
        self._raster_cells = None
        self._redraw(positions_changed=True)

    def set_colors(self, colors: np.ndarray) -> None:
        """Recolour the current points; ``colors`` has shape (N, 3) uint8."""
        colors = np.asarray(colors, dtype=np.uint8)
        if colors.shape != (len(self._xy), 3):
            return  # a frame computed for other data; the next one will match
        self._colors = colors
        self._redraw(positions_changed=False)

    # -- drawing ----------------------------------------------------------------------------
    def _redraw(self, positions_changed: bool) -> None:
        if self.uses_raster:
            self.scatter.setData([], [])
            self.image.setVisible(True)
            self._draw_raster()
            return
        self.image.setVisible(False)
        brushes = self._brushes(self._colors)
        if positions_changed or len(self.scatter.data) != len(self._xy):
            self.scatter.setData(x=self._xy[:, 0], y=self._xy[:, 1], brush=brushes)
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
        if self.uses_raster:
            self._raster_cells = None
            self._draw_raster()

    def _cells(self):
        """Pixel index of every point in the current view (cached until the view changes)."""
        vb = self._viewbox
        (x0, x1), (y0, y1) = vb.viewRange()
        width = max(1, int(vb.width() // RASTER_DOT))
        height = max(1, int(vb.height() // RASTER_DOT))
        key = (x0, x1, y0, y1, width, height, len(self._xy))
        if self._raster_cells is not None and self._raster_key == key:
            return self._raster_cells
        ix = np.floor((self._xy[:, 0] - x0) / (x1 - x0) * width)
        iy = np.floor((self._xy[:, 1] - y0) / (y1 - y0) * height)
        inside = (ix >= 0) & (ix < width) & (iy >= 0) & (iy < height)
        flat = (iy[inside] * width + ix[inside]).astype(np.intp)
        self._raster_key = key
        self._raster_cells = (flat, inside, width, height)
        return self._raster_cells

    def _draw_raster(self) -> None:
        if not len(self._xy):
            self.image.setVisible(False)
            return
        flat, inside, width, height = self._cells()
        # One colour per screen cell; where points share a cell the last one wins. Averaging
        # with np.bincount looks the same at this density and costs three times as much.
        rgba = np.zeros((width * height, 4), dtype=np.uint8)
        rgba[flat, :3] = self._colors[inside]
        rgba[flat, 3] = 255
        (x0, x1), (y0, y1) = self._viewbox.viewRange()
        self.image.setImage(rgba.reshape(height, width, 4), autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
