"""Frames of a fit for slides, drawn offscreen with the canvas's own layers.

:class:`FrameRenderer` puts the points on a :class:`~gmm_studio.gui.canvas.Canvas` of the
requested size (never shown on screen), and for each frame recolours them by a mixture's
responsibilities, draws a mixture's ellipses and means (in 1-D: the histogram view's
densities), writes a caption above the plot and grabs the widget as an RGB array. The ``record`` command and File ▸ Export ▸ Animation use it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QImage

from gmm_studio.core import Mixture
from gmm_studio.core.frames import Frame
from gmm_studio.core.point_colors import blended_colors
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.density_layer import component_densities
from gmm_studio.gui.palette import FOREGROUND, component_colors

#: Longest wait for a background raster of many points, per frame.
RASTER_WAIT_S = 10.0


class FrameRenderer:
    """Draws frames of one data set at a fixed size.

    One column is drawn as the window draws it: a histogram with each component's weighted
    density, the mixture density and a rug of points; two or more as points and ellipses on
    the plane of ``axes``.

    Parameters
    ----------
    X : ndarray, shape (N, D)
        The points, in every fitted dimension.
    columns : list of str
        Column names (the shown ones label the axes).
    size : (int, int)
        Width and height of each frame in pixels.
    axes : (int, int)
        The two columns drawn (``(0, 0)`` for one column).
    sample_weight : ndarray of shape (N,), optional
        Point sizes (and the histogram's weights in 1-D), as in the window.
    """

    def __init__(self, X, columns, size=(960, 720), axes=(0, 1), sample_weight=None) -> None:
        self.X = np.asarray(X, dtype=float)
        self.axes = tuple(axes) if self.X.shape[1] > 1 else (0, 0)
        width, height = (int(v) for v in size)
        self.canvas = Canvas()
        self.canvas.setMinimumSize(1, 1)
        self.canvas.resize(width, height)
        self.canvas.set_one_dimensional(self.X.shape[1] == 1)
        x, y = (columns[i] for i in self.axes)
        self.canvas.set_axis_labels(x, y)
        self.canvas.show_points(self.X[:, list(self.axes)], None, sample_weight)
        self.canvas.fit_view()
        self._title_style = {"color": "#{:02x}{:02x}{:02x}".format(*FOREGROUND), "size": "16pt"}

    def render(self, frames: Sequence[Frame]) -> list[np.ndarray]:
        """Every frame of a recording (:func:`gmm_studio.core.frames.run_frames`), in one
        view: in 1-D it is tall enough for the highest density of any frame."""
        if self.canvas.one_dimensional and frames:
            grid = self.canvas.density.grid()
            peaks = [component_densities(f.mixture, grid).sum(axis=0).max() for f in frames]
            tallest = frames[int(np.argmax(peaks))].mixture
            self.canvas.draw_mixture(tallest, self.axes, component_colors(tallest.n_components))
            self.canvas.fit_view()
        return [self.frame(f.mixture, f.colored_by, f.caption) for f in frames]

    def frame(self, mixture: Mixture, colored_by: Mixture | None = None, caption: str = ""):
        """One frame: ``mixture``'s ellipses (or densities) over points coloured by
        ``colored_by``.

        ``colored_by`` defaults to ``mixture``; an M-step frame of a half-step recording
        passes the previous mixture, whose responsibilities the points still show.

        Returns
        -------
        ndarray, shape (height, width, 3), uint8
        """
        palette = component_colors(mixture.n_components)
        colors, labels = blended_colors(self.X, colored_by or mixture, palette)
        self.canvas.points.set_colors(colors, labels, palette)
        self.canvas.draw_mixture(mixture, self.axes, palette)
        self.canvas.getPlotItem().setTitle(caption, **self._title_style)
        self._settle()
        return _rgb(self.canvas.grab().toImage())

    def _settle(self) -> None:
        """Let Qt lay out the widget and, for many points, the raster thread finish."""
        QCoreApplication.processEvents()
        points = self.canvas.points
        if points.uses_raster:
            points.refresh_raster()
            deadline = time.monotonic() + RASTER_WAIT_S
            while not points.raster_is_current() and time.monotonic() < deadline:
                QCoreApplication.processEvents()
                time.sleep(0.002)

    def close(self) -> None:
        """Release the offscreen canvas."""
        self.canvas.close()
        self.canvas.deleteLater()


def _rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return rows.reshape(h, image.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()
