"""At slow speeds the M-step glides and the E-step's recolouring fades (about 300 ms, eased).

The in-between ellipses are :func:`gmm_studio.core.animation.interpolate`'s (means linearly,
covariances through their Cholesky factors); the in-between point colours are a linear blend
of the old and the new. At full speed, or for anything but a step of EM (an edit, a rewind,
a new start), the new parameters and colours are drawn at once.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer

from gmm_studio.core import Mixture
from gmm_studio.core.animation import ease, interpolate
from gmm_studio.gui.canvas import Canvas

#: How long a glide or a fade takes.
GLIDE_S = 0.3
#: Time between two in-between frames.
TICK_MS = 16


def _same_shape(a: Mixture | None, b: Mixture | None) -> bool:
    return (
        a is not None
        and b is not None
        and a.covariance_type == b.covariance_type
        and a.means.shape == b.means.shape
    )


class Glide(QObject):
    """Draws the canvas's components and point colours, gliding between steps when asked."""

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self._shown: Mixture | None = None
        self._ellipses: tuple | None = None  # (start, end, axes, locks, started)
        self._colors: tuple | None = None  # (old, new, labels, palette, started)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def animating(self) -> bool:
        """True while a glide or a fade is under way."""
        return self._timer.isActive()

    def draw(self, mixture: Mixture | None, axes, locks, animate: bool = False) -> None:
        """Draw ``mixture``, gliding to it from what is drawn when ``animate``."""
        glide = self._ellipses
        if glide is not None and glide[1] is mixture:
            self._ellipses = (*glide[:2], axes, locks, glide[4])  # the same glide goes on
            return
        start = self._shown
        if animate and _same_shape(start, mixture) and start is not mixture:
            self._ellipses = (start, mixture, axes, locks, time.monotonic())
            self._timer.start()
            return
        self._ellipses = None
        self._show(mixture, axes, locks)

    def color(self, colors: np.ndarray, labels, palette, animate: bool = False) -> None:
        """Recolour the points, fading from the colours shown when ``animate``."""
        points = self.canvas.points
        old = points.colors
        if animate and old.shape == colors.shape and not points.hard_labels:
            self._colors = (old.astype(float), colors, labels, palette, time.monotonic())
            self._timer.start()
            return
        self._colors = None
        points.set_colors(colors, labels, palette)

    def _show(self, mixture, axes, locks) -> None:
        self.canvas.components.draw(mixture, axes, locks)
        self._shown = mixture

    def _tick(self) -> None:
        now = time.monotonic()
        if self._ellipses is not None:
            start, end, axes, locks, started = self._ellipses
            t = (now - started) / GLIDE_S
            if t >= 1.0:
                self._ellipses = None
                self._show(end, axes, locks)
            else:
                self.canvas.components.draw(interpolate(start, end, ease(t)), axes, locks)
        if self._colors is not None:
            old, new, labels, palette, started = self._colors
            t = (now - started) / GLIDE_S
            if t >= 1.0 or len(old) != len(self.canvas.points.colors):
                self._colors = None
                self.canvas.points.set_colors(new, labels, palette)
            else:
                s = ease(t)
                blend = np.rint((1.0 - s) * old + s * new).astype(np.uint8)
                self.canvas.points.set_colors(blend, labels, palette)
        if self._ellipses is None and self._colors is None:
            self._timer.stop()
