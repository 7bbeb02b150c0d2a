"""The context menu of a component on the canvas: lock its parameters, remove, split, re-seed.

A right click on a drawn mean opens it (elsewhere a right click still removes a point).
Locking, removing and re-seeding are the component table's (:meth:`ComponentTable.lock`,
:meth:`ComponentTable.remove`, :meth:`ComponentTable.reseed`, all undoable); splitting a component changes K, so the fit starts afresh from the new parameters
(undoable too).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QMenu

from gmm_studio.core import Mixture
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.component_table import ComponentTable
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import SetFitCommand
from gmm_studio.gui.mean_drag import GRAB_RADIUS_PX
from gmm_studio.model import FitState

LOCK_KINDS = (("mean", "Lock mean"), ("covariance", "Lock covariance"), ("weight", "Lock weight"))


def nearest_component(canvas: Canvas, pos, pixel_x: float, pixel_y: float) -> int | None:
    """The component whose drawn mean is within :data:`GRAB_RADIUS_PX` of ``pos``, if any."""
    means = canvas.components.drawn_means()
    if not len(means):
        return None
    scale = np.array([pixel_x or 1.0, pixel_y or 1.0])
    distance = np.hypot(*((means - [pos.x(), pos.y()]) / scale).T)
    k = int(np.argmin(distance))
    return k if distance[k] <= GRAB_RADIUS_PX else None


def split(mixture: Mixture, k: int) -> Mixture:
    """``mixture`` with component ``k`` split in two along its major axis.

    The two halves sit one standard deviation either side of the old mean along that axis,
    each with half the weight and half the spread along it (a quarter of the variance).
    """
    kind = mixture.covariance_type
    full = mixture.full_covariances()[k]
    variances, vectors = np.linalg.eigh(full)
    major, axis = variances[-1], vectors[:, -1]
    if kind in ("diag", "spherical"):  # the axes of these ellipses are the columns
        j = int(np.argmax(np.diag(full)))
        major, axis = full[j, j], np.eye(len(full))[j]
    offset = np.sqrt(major) * axis
    means = np.vstack([np.delete(mixture.means, k, axis=0), mixture.means[k] - offset])
    means = np.vstack([means, mixture.means[k] + offset])
    weights = np.concatenate([np.delete(mixture.weights, k), [mixture.weights[k] / 2] * 2])
    if kind == "tied":
        covariances = mixture.covariances
    else:
        if kind == "full":
            half = full - 0.75 * major * np.outer(axis, axis)
        elif kind == "diag":
            half = mixture.covariances[k] * np.where(axis > 0, 0.25, 1.0)
        else:
            half = mixture.covariances[k]  # a circle has no major axis to shrink
        others = np.delete(mixture.covariances, k, axis=0)
        covariances = np.concatenate([others, [half, half]])
    return Mixture(weights=weights, means=means, covariances=covariances, covariance_type=kind)


class ComponentMenu(QObject):
    """Opens a component's menu on a right click on its mean (the view box's ``context``)."""

    def __init__(self, canvas: Canvas, document: Document, table: ComponentTable) -> None:
        super().__init__(canvas)
        self.canvas, self.document = canvas, document
        #: Removes and re-seeds a component (the menu asks it, as the table's own menu does).
        self.table = table
        #: The menu last opened (kept so that it can be read and driven).
        self.menu: QMenu | None = None
        canvas.view_box.context = self

    def open(self, pos, pixel_x: float, pixel_y: float, screen: QPoint) -> bool:
        """A right click at data position ``pos``: open the menu if it is on a mean."""
        fit = self.document.fit
        if fit.mixture is None or fit.state in (FitState.INITIALISING, FitState.EMPTY):
            return False
        k = nearest_component(self.canvas, pos, pixel_x, pixel_y)
        if k is None or k >= fit.mixture.n_components:
            return False
        self.menu = self._build(k)
        self.menu.popup(screen)
        return True

    def _build(self, k: int) -> QMenu:
        fit = self.document.fit
        menu = QMenu(self.canvas)
        menu.setTitle(f"Component {k + 1}")
        menu.addSection(f"Component {k + 1}")
        for kind, text in LOCK_KINDS:
            action = menu.addAction(text)
            action.setObjectName(f"lock-{kind}")
            action.setCheckable(True)
            action.setChecked(getattr(fit.locks, kind)[k])
            action.toggled.connect(lambda on, kind=kind: self.lock(k, kind, on))
        menu.addSeparator()
        remove = menu.addAction("Remove component", lambda: self.table.remove(k))
        remove.setObjectName("remove")
        remove.setEnabled(fit.mixture.n_components > 1)
        split_action = menu.addAction("Split along the major axis", lambda: self.split(k))
        split_action.setObjectName("split")
        split_action.setEnabled(self.document.n_points > fit.mixture.n_components)
        reseed = menu.addAction("Re-seed at the worst-fitted point", lambda: self.table.reseed(k))
        reseed.setObjectName("reseed")
        return menu

    def lock(self, k: int, kind: str, locked: bool) -> None:
        """Hold component ``k``'s ``kind`` fixed (or free it) from the next M-step on, as the
        table's lock boxes do (one undoable step)."""
        self.table.lock(k, kind, locked)

    def split(self, k: int) -> None:
        """Split component ``k`` in two along its major axis: K + 1 components."""
        self._restart(split(self.document.fit.mixture, k), f"Split component {k + 1}")

    def _restart(self, start: Mixture, text: str) -> None:
        doc = self.document
        settings = doc.settings.replace(n_components=start.n_components)
        doc.undo_stack.push(SetFitCommand(doc, settings, start, text))
