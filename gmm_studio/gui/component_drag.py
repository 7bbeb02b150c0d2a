"""Dragging a component on the canvas: its mean, the handles on its axes, or onto another.

The component under the pointer (its mean within :data:`GRAB_RADIUS_PX`, or the pointer
inside its outermost ring) shows four handles where that ring meets its axes; they stay
while the pointer is on one of them (a mean under the pointer comes first). Only that one
component shows handles, so the canvas stays uncluttered with many components, and a
lecturer's pointer reveals them where it is (as shape editors show the handles of the shape
under the cursor).

A left drag that starts on a handle stretches and turns that axis (the other keeps its
length); one that starts on a mean moves the mean in the two columns shown. While the
pointer moves only the drawing follows. On release the fit model gets the new parameters
(:meth:`FitModel.set_parameters`, an event in its history and a marker on the curve): a fit
that was running runs on from them, a paused one waits. A mean dropped on another
component's mean or inside its 1σ ring merges the two (that ring is filled while the drop
would merge): K − 1 components by moment matching, the fit starting afresh from them
(undoable, marked on the curve). A locked covariance keeps its handles grey and cannot be
stretched (the status bar says so).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QStatusBar

from gmm_studio.core import Mixture
from gmm_studio.core.component_edits import merged, stretched
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import SetFitCommand, SetParametersCommand
from gmm_studio.gui.fit_control import BranchCommand, FitControl
from gmm_studio.model import FitState

#: A drag grabs a mean or a handle that is at most this many screen pixels from where it starts.
GRAB_RADIUS_PX = 14.0
#: How long the status bar keeps a message of a drag (milliseconds).
MESSAGE_MS = 6000


def moved_mean(mixture: Mixture, k: int, axes: tuple[int, int], xy) -> Mixture:
    """``mixture`` with component ``k``'s mean at ``xy`` in columns ``axes``."""
    means = np.array(mixture.means, dtype=float)
    means[k, list(axes)] = xy
    return dataclasses.replace(mixture, means=means)


def nearest(points: np.ndarray, pos, pixel_x: float, pixel_y: float) -> int | None:
    """Index of the point of ``points`` (data coordinates) within :data:`GRAB_RADIUS_PX`
    screen pixels of ``pos`` and nearest to it, or None."""
    if not len(points):
        return None
    scale = np.array([pixel_x or 1.0, pixel_y or 1.0])
    distance = np.hypot(*((points - [pos.x(), pos.y()]) / scale).T)
    k = int(np.argmin(distance))
    return k if distance[k] <= GRAB_RADIUS_PX else None


def nearest_component(canvas: Canvas, pos, pixel_x: float, pixel_y: float) -> int | None:
    """The component whose drawn mean is within :data:`GRAB_RADIUS_PX` of ``pos``, if any."""
    return nearest(canvas.components.drawn_means(), pos, pixel_x, pixel_y)


def mahalanobis(mixture: Mixture, axes: tuple[int, int], xy) -> np.ndarray:
    """Each component's Mahalanobis distance to ``xy`` in the 2x2 blocks of columns ``axes``."""
    blocks = mixture.full_covariances()[:, list(axes)][:, :, list(axes)]
    offsets = np.asarray(xy, dtype=float) - mixture.means[:, list(axes)]
    solved = np.linalg.solve(blocks, offsets[:, :, None])[:, :, 0]
    return np.sqrt(np.clip(np.einsum("ki,ki->k", offsets, solved), 0.0, None))


def push_merge(document: Document, source: int, target: int) -> None:
    """Merge component ``source`` into ``target`` as one undoable step (K − 1, a new start)."""
    mixture = document.fit.mixture
    smaller = merged(mixture, source, target)
    settings = document.settings.replace(n_components=smaller.n_components)
    text = f"Merge component {source + 1} into {target + 1}"
    document.undo_stack.push(SetFitCommand(document, settings, smaller, text, marked=True))


@dataclasses.dataclass(frozen=True)
class _Grip:
    """What a drag holds: component ``k``'s mean (``axis`` None) or an end of one axis."""

    k: int
    axis: int | None
    mixture: Mixture  # the parameters when the drag began
    running: bool
    locked: bool = False  # a locked covariance's handle: the drag changes nothing


class ComponentDrag(QObject):
    """Takes the canvas's left drags that start on a mean or a handle (the view box's
    ``grabber``) and shows the handles of the component under the pointer."""

    def __init__(
        self, canvas: Canvas, document: Document, fit_control: FitControl, status: QStatusBar
    ) -> None:
        super().__init__(canvas)
        self.canvas, self.document, self.fit_control = canvas, document, fit_control
        self.status = status
        self._grip: _Grip | None = None
        self._target: int | None = None
        canvas.view_box.grabber = self
        canvas.viewport().installEventFilter(self)  # every move (the scene drops some)
        document.fitChanged.connect(self._on_fit_changed)

    @property
    def layer(self):
        return self.canvas.components

    def _usable(self) -> Mixture | None:
        fit = self.document.fit
        if self.canvas.one_dimensional or fit.state in (FitState.INITIALISING, FitState.EMPTY):
            return None
        return fit.mixture

    # -- handles of the component under the pointer -----------------------------------------
    def eventFilter(self, watched, event) -> bool:
        """Follow the pointer over the canvas while no button is held; no handles once it
        leaves the canvas."""
        kind = event.type()
        if kind == QEvent.Type.MouseMove and self._grip is None and not event.buttons():
            view_box = self.canvas.view_box
            scene = self.canvas.mapToScene(event.position().toPoint())
            self.hover(view_box.mapSceneToView(scene), *view_box.viewPixelSize())
        elif kind == QEvent.Type.Leave and self._grip is None:
            self.layer.show_handles(None)
        return False

    def _on_fit_changed(self, _change) -> None:
        mixture = self._usable()
        shown = self.layer.handle_component
        if shown is not None and (mixture is None or shown >= mixture.n_components):
            self.layer.show_handles(None)

    def hover(self, pos, pixel_x: float, pixel_y: float) -> None:
        """Show the handles of the component under data position ``pos`` (or none)."""
        mixture = self._usable()
        if mixture is None or len(self.layer.drawn_means()) != mixture.n_components:
            self.layer.show_handles(None)
            return
        k = nearest_component(self.canvas, pos, pixel_x, pixel_y)
        if k is None and nearest(self.layer.drawn_handles(), pos, pixel_x, pixel_y) is not None:
            return  # on a handle shown: keep it
        if k is None:
            distance = mahalanobis(mixture, self.document.axes, (pos.x(), pos.y()))
            inside = distance <= self.layer.handle_radius
            k = int(np.argmin(np.where(inside, distance, np.inf))) if inside.any() else None
        self.layer.show_handles(k)

    # -- the drag ---------------------------------------------------------------------------
    def grab(self, pos, pixel_x: float, pixel_y: float) -> bool:
        """A drag starts at data position ``pos``: take it if it is on a handle or a mean."""
        mixture = self._usable()
        if mixture is None or len(self.layer.drawn_means()) != mixture.n_components:
            return False
        self.hover(pos, pixel_x, pixel_y)
        fit = self.document.fit
        handle = nearest(self.layer.drawn_handles(), pos, pixel_x, pixel_y)
        if handle is not None:
            k, axis = self.layer.handle_component, handle // 2
        else:
            k, axis = nearest_component(self.canvas, pos, pixel_x, pixel_y), None
            if k is None:
                return False
        locks = fit.locks
        locked = axis is not None and (
            locks.covariance[k] or (mixture.covariance_type == "tied" and any(locks.covariance))
        )
        if locked:
            self.status.showMessage(f"Covariance {k + 1} is locked", MESSAGE_MS)
        if axis is None:
            self.layer.show_handles(None)  # a moving mean: its rings are enough
        running = fit.state is FitState.RUNNING
        if running and not locked:
            self.fit_control.pause()
        self._grip = _Grip(k, axis, mixture, running and not locked, locked)
        return True

    def _changed(self, grip: _Grip, xy) -> Mixture:
        axes = self.document.axes
        if grip.axis is None:
            return moved_mean(grip.mixture, grip.k, axes, xy)
        return stretched(grip.mixture, grip.k, axes, grip.axis, xy, self.layer.handle_radius)

    def _merge_target(self, grip: _Grip, pos) -> int | None:
        """The component a mean dropped at ``pos`` merges into: the one whose mean is within
        reach, or whose 1σ ring holds ``pos``; None for a handle or open ground."""
        if grip.axis is not None or grip.mixture.n_components < 2:
            return None
        means = np.array(grip.mixture.means[:, list(self.document.axes)])
        means[grip.k] = np.inf
        j = nearest(means, pos, *self.canvas.view_box.viewPixelSize())
        if j is None:
            distance = mahalanobis(grip.mixture, self.document.axes, (pos.x(), pos.y()))
            distance[grip.k] = np.inf
            j = int(np.argmin(distance))
            j = j if distance[j] <= 1.0 else None
        return j

    def move(self, pos) -> None:
        """Draw the component as the pointer shapes it (the fit is not changed yet)."""
        grip = self._grip
        if grip is None or grip.locked:
            return
        xy = (pos.x(), pos.y())
        preview = self._changed(grip, xy)
        self.layer.draw(preview, self.document.axes, self.document.fit.locks)
        target = self._merge_target(grip, pos)
        if target != self._target:
            self._target = target
            self.layer.show_merge_target(target)
            if target is None:
                self.status.clearMessage()
            else:
                self.status.showMessage(f"Drop to merge {grip.k + 1} into {target + 1}", MESSAGE_MS)

    def release(self, pos) -> None:
        """Put the change in place (undoably); EM runs on if it was running."""
        grip, target = self._grip, self._target
        self._grip, self._target = None, None
        self.layer.show_merge_target(None)
        if grip is None or grip.locked:
            return
        fit = self.document.fit
        if fit.mixture is None or fit.mixture.n_components != grip.mixture.n_components:
            return  # the fit changed under the drag (a new file, say): nothing to change
        if target is not None:
            self.status.clearMessage()
            push_merge(self.document, grip.k, target)
        else:
            before = fit.mixture
            after = self._changed(dataclasses.replace(grip, mixture=before), (pos.x(), pos.y()))
            what = "Move mean" if grip.axis is None else "Stretch ellipse"
            text = f"{what} {grip.k + 1}"
            stack = self.document.undo_stack
            stack.beginMacro(text)
            if not fit.at_end:
                stack.push(BranchCommand(fit))
            stack.push(SetParametersCommand(fit, before, after, text))
            stack.endMacro()
        if grip.running:
            self.fit_control.run()
