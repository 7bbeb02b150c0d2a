"""Dragging a component's mean on the canvas, an undoable change of the fit's parameters.

A left drag that starts on a drawn mean moves that mean in the two columns shown (the other
dimensions keep their values); while it moves only the drawing follows. On release the fit
model gets the new parameters (:meth:`FitModel.set_parameters`, an event in its history and
a marker on the curve): a fit that was running runs on from them, a paused one waits.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QObject

from gmm_studio.core import Mixture
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import SetParametersCommand
from gmm_studio.gui.fit_control import BranchCommand, FitControl
from gmm_studio.model import FitState

#: A drag grabs a mean that is at most this many screen pixels from where it starts.
GRAB_RADIUS_PX = 14.0


def moved_mean(mixture: Mixture, k: int, axes: tuple[int, int], xy) -> Mixture:
    """``mixture`` with component ``k``'s mean at ``xy`` in columns ``axes``."""
    means = np.array(mixture.means, dtype=float)
    means[k, list(axes)] = xy
    return dataclasses.replace(mixture, means=means)


class MeanDrag(QObject):
    """Takes the canvas's left drags that start on a mean (the view box's ``grabber``)."""

    def __init__(self, canvas: Canvas, document: Document, fit_control: FitControl) -> None:
        super().__init__(canvas)
        self.canvas, self.document, self.fit_control = canvas, document, fit_control
        self._grabbed: tuple[int, Mixture, bool] | None = None
        canvas.view_box.grabber = self

    def grab(self, pos, pixel_x: float, pixel_y: float) -> bool:
        """A drag starts at data position ``pos``: take it if it is on a mean."""
        fit = self.document.fit
        mixture = fit.mixture
        if mixture is None or fit.state in (FitState.INITIALISING, FitState.EMPTY):
            return False
        means = self.canvas.components.drawn_means()
        if len(means) != mixture.n_components:
            return False
        scale = np.array([pixel_x or 1.0, pixel_y or 1.0])
        distance = np.hypot(*((means - [pos.x(), pos.y()]) / scale).T)
        k = int(np.argmin(distance))
        if distance[k] > GRAB_RADIUS_PX:
            return False
        running = fit.state is FitState.RUNNING
        if running:
            self.fit_control.pause()
        self._grabbed = (k, mixture, running)
        return True

    def move(self, pos) -> None:
        """Draw the mean where the pointer is (the fit is not changed yet)."""
        if self._grabbed is not None:
            k, mixture, _running = self._grabbed
            preview = moved_mean(mixture, k, self.document.axes, (pos.x(), pos.y()))
            self.canvas.components.draw(preview, self.document.axes, self.document.fit.locks)

    def release(self, pos) -> None:
        """Put the mean at ``pos`` (undoably); EM runs on if it was running."""
        if self._grabbed is None:
            return
        k, mixture, running = self._grabbed
        self._grabbed = None
        fit = self.document.fit
        if fit.mixture is None or fit.mixture.n_components != mixture.n_components:
            return  # the fit changed under the drag (a new file, say): nothing to move
        before = fit.mixture
        after = moved_mean(before, k, self.document.axes, (pos.x(), pos.y()))
        stack = self.document.undo_stack
        stack.beginMacro(f"Move mean {k + 1}")
        if not fit.at_end:
            stack.push(BranchCommand(fit))
        stack.push(SetParametersCommand(fit, before, after, f"Move mean {k + 1}"))
        stack.endMacro()
        if running:
            self.fit_control.run()
