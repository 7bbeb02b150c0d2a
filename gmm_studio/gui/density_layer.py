"""The one-dimensional view: a histogram of the points, each component's weighted density,
the mixture density, and where the rug of points goes under them.

With a single column there is no plane to draw ellipses in, so the canvas shows this layer
instead of the component layer; the points themselves stay in the point layer (coloured by
responsibility as in 2-D), placed by :meth:`DensityLayer.rug_positions` in a band just
below zero.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gmm_studio.core import Mixture
from gmm_studio.gui.component_layer import remove_items
from gmm_studio.gui.palette import FOREGROUND

#: Points at which each density curve is evaluated.
CURVE_SAMPLES = 400
#: Most histogram bins (numpy's "auto" rule can ask for many more on spiky data).
MAX_BINS = 200
#: The rug occupies this band below zero, as fractions of the histogram's tallest bar.
RUG_BAND = (0.03, 0.13)
#: The curves reach this far beyond the data on each side, as a fraction of its range.
CURVE_MARGIN = 0.25
#: Golden-ratio stride: each point's place in the rug band depends on its row only, so
#: adding points leaves the others where they were.
_STRIDE = (5**0.5 - 1) / 2


def histogram(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges and densities of ``x`` (numpy's "auto" bins, at most :data:`MAX_BINS`).

    The densities integrate to one, so they compare directly with the mixture density.
    """
    x = np.asarray(x, dtype=np.float64)
    if not len(x):
        return np.zeros(0), np.zeros(0)
    edges = np.histogram_bin_edges(x, bins="auto")
    if len(edges) > MAX_BINS + 1:
        edges = np.histogram_bin_edges(x, bins=MAX_BINS)
    density, edges = np.histogram(x, bins=edges, weights=weights, density=True)
    return edges, density


def component_densities(mixture: Mixture, grid: np.ndarray) -> np.ndarray:
    """Each component's weighted density ``w_k N(x | mu_k, sigma_k^2)`` on ``grid``.

    Returns
    -------
    ndarray of shape (n_components, len(grid))
        Their sum over components is the mixture density.
    """
    means = mixture.means[:, 0]
    variances = mixture.full_covariances()[:, 0, 0]
    z = (grid[np.newaxis, :] - means[:, np.newaxis]) ** 2 / variances[:, np.newaxis]
    norm = mixture.weights / np.sqrt(2.0 * np.pi * variances)
    return norm[:, np.newaxis] * np.exp(-0.5 * z)


class DensityLayer(pg.ItemGroup):
    """Histogram, component density curves and mixture density of one-dimensional data.

    A graphics item whose children are those curves; the canvas adds the layer to its view
    and shows it instead of the ellipses when the data have one column.
    """

    def __init__(self) -> None:
        super().__init__()
        self.bars = pg.PlotCurveItem(
            fillLevel=0.0,
            brush=pg.mkBrush(200, 200, 200, 150),
            pen=pg.mkPen(150, 150, 150, width=1.0),
        )
        self.bars.setZValue(0)
        self.addItem(self.bars)
        self.total = pg.PlotCurveItem(pen=pg.mkPen(*FOREGROUND, width=3.0), antialias=True)
        self.total.setZValue(12)
        self.addItem(self.total)
        self.curves: list[pg.PlotCurveItem] = []
        self._colors = np.zeros((0, 3), dtype=np.uint8)
        self._x = np.zeros(0)
        self._edges = np.zeros(0)
        self._density = np.zeros(0)

    @property
    def colors(self) -> np.ndarray:
        """The component colors drawn, shape (K, 3) uint8: also the points' hard-label colors."""
        return self._colors

    @property
    def bar_height(self) -> float:
        """The histogram's tallest density (1.0 without points, so the rug has a place)."""
        return float(self._density.max()) if len(self._density) and self._density.max() > 0 else 1.0

    def set_points(self, x: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Bin the points ``x`` (shape (N,)) into the histogram."""
        self._x = np.asarray(x, dtype=np.float64).reshape(-1)
        self._edges, self._density = histogram(self._x, weights)
        if len(self._density):
            self.bars.setData(self._edges, self._density, stepMode="center")
        else:
            self.bars.setData([], [], stepMode=None)

    def rug_positions(self, x: np.ndarray) -> np.ndarray:
        """Where the points of ``x`` are drawn: ``(x, y)`` with ``y`` in the band below zero."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        low, high = RUG_BAND
        spread = (np.arange(len(x)) * _STRIDE) % 1.0
        y = -(low + (high - low) * spread) * self.bar_height
        return np.column_stack([x, y])

    def grid(self) -> np.ndarray:
        """Where the curves are evaluated: the data's range and a margin on each side."""
        if not len(self._x):
            return np.zeros(0)
        lo, hi = float(self._x.min()), float(self._x.max())
        margin = (hi - lo) * CURVE_MARGIN if hi > lo else max(abs(lo) * 0.1, 1.0)
        return np.linspace(lo - margin, hi + margin, CURVE_SAMPLES)

    def _ensure(self, colors) -> None:
        colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        if len(self.curves) == len(colors) and np.array_equal(colors, self._colors):
            return
        remove_items(self.curves)
        self._colors = colors
        self.curves = []
        for color in self._colors:
            curve = pg.PlotCurveItem(pen=pg.mkPen(*color, width=2.5), antialias=True)
            curve.setZValue(10)
            self.addItem(curve)
            self.curves.append(curve)

    def draw(self, mixture: Mixture | None, colors=None) -> None:
        """Draw the densities of ``mixture`` in ``colors`` (one per component, the run's
        palette); nothing when it is None or there are no points."""
        grid = self.grid()
        if mixture is None or not len(grid):
            self._ensure(np.zeros((0, 3)))
            self.total.setData([], [])
            return
        if colors is None or len(colors) != mixture.n_components:
            raise ValueError(f"{mixture.n_components} components need as many colors")
        self._ensure(colors)
        densities = component_densities(mixture, grid)
        for curve, density in zip(self.curves, densities, strict=True):
            curve.setData(grid, density)
        self.total.setData(grid, densities.sum(axis=0))

    def drawn_curves(self) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """The curves as drawn: the grid, each component's density, the mixture density."""
        x, total = self.total.getData()
        grid = np.zeros(0) if x is None else np.asarray(x)
        parts = [np.asarray(curve.getData()[1]) for curve in self.curves]
        return grid, parts, np.zeros(0) if total is None else np.asarray(total)

    def top(self) -> float:
        """The highest thing drawn: the tallest bar or the mixture's peak."""
        _, total = self.total.getData()
        peak = float(np.max(total)) if total is not None and len(total) else 0.0
        return max(self.bar_height, peak)

    def x_range(self) -> tuple[float, float] | None:
        """The data's range, or None without points."""
        if not len(self._x):
            return None
        return float(self._x.min()), float(self._x.max())
