"""The context menu of a component on the canvas: lock its parameters, remove, split, merge,
re-seed.

A right click on a drawn mean opens it (elsewhere a right click still removes a point).
Locking, removing and re-seeding are the component table's (:meth:`ComponentTable.lock`,
:meth:`ComponentTable.remove`, :meth:`ComponentTable.reseed`, all undoable); splitting a
component or merging it with another changes K, so the fit starts afresh from the new
parameters (undoable too, and marked on the curve). Merging is what a mean dropped on
another component does (:func:`push_merge`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QMenu

from gmm_studio.core.component_edits import split
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.component_drag import nearest_component, push_merge
from gmm_studio.gui.component_table import ComponentTable
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import SetFitCommand
from gmm_studio.model import FitState

LOCK_KINDS = (("mean", "Lock mean"), ("covariance", "Lock covariance"), ("weight", "Lock weight"))


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
        merge = menu.addMenu("Merge with")
        merge.menuAction().setObjectName("merge")
        for j in range(fit.mixture.n_components):
            if j != k:
                into = merge.addAction(f"Component {j + 1}", lambda j=j: self.merge(k, j))
                into.setObjectName(f"merge-{j}")
        merge.setEnabled(fit.mixture.n_components > 1)
        reseed = menu.addAction("Re-seed at the worst-fitted point", lambda: self.table.reseed(k))
        reseed.setObjectName("reseed")
        return menu

    def lock(self, k: int, kind: str, locked: bool) -> None:
        """Hold component ``k``'s ``kind`` fixed (or free it) from the next M-step on, as the
        table's lock boxes do (one undoable step)."""
        self.table.lock(k, kind, locked)

    def split(self, k: int) -> None:
        """Split component ``k`` in two along its major axis: K + 1 components."""
        doc = self.document
        start = split(doc.fit.mixture, k)
        settings = doc.settings.replace(n_components=start.n_components)
        text = f"Split component {k + 1}"
        doc.undo_stack.push(SetFitCommand(doc, settings, start, text, marked=True))

    def merge(self, k: int, into: int) -> None:
        """Merge component ``k`` into component ``into``: K − 1 components."""
        push_merge(self.document, k, into)
