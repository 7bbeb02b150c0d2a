"""True labels in the window: colour the points by the file's class column, and show how
well the fit agrees with it (adjusted Rand index, and the confusion table as a tooltip)."""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from gmm_studio.core.agreement import Contingency, adjusted_rand_index, contingency
from gmm_studio.gui.palette import component_colors


class TrueLabelsView(QObject):
    """The True labels toggle and the agreement shown in the status bar.

    Available while the document has true labels (:attr:`Document.true_labels`). The
    toggle shows and asks for the document's :attr:`Document.color_by_labels` (which a
    session keeps). The agreement compares the labels with each point's most likely
    component.

    Parameters
    ----------
    window : MainWindow
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.action = QAction("True labels", window)
        self.action.setCheckable(True)
        self.action.setToolTip("Colour the points by the file's true labels")
        self.action.toggled.connect(self._on_toggled)
        window.addAction(self.action)
        window.toolbar.addAction(self.action)
        self.agreement = QLabel()
        self.agreement.setObjectName("agreement")
        window.statusBar().addPermanentWidget(self.agreement)
        self.table: Contingency | None = None
        doc = window.document
        doc.fitChanged.connect(self.refresh)
        doc.undo_stack.indexChanged.connect(self.refresh)  # after the edit is on the stack
        doc.replaced.connect(self.refresh)
        doc.labelColoringChanged.connect(self._on_coloring_changed)
        # After the window has drawn a frame's colours (its slot was connected first).
        window.controller.frameReady.connect(self.refresh)
        window.settings_store.changed.connect(self.refresh)
        self.refresh()

    @property
    def showing(self) -> bool:
        """True while the points are coloured by their true labels."""
        doc = self.window.document
        return doc.color_by_labels and doc.true_labels is not None

    def label_colors(self) -> np.ndarray | None:
        """Each point's colour by true label (classes in sorted order)."""
        labels = self.window.document.true_labels
        if labels is None:
            return None
        classes, codes = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        return component_colors(len(classes))[codes]

    @Slot()
    def refresh(self, *_args) -> None:
        """Update the toggle, the colours and the agreement."""
        doc = self.window.document
        labels = doc.true_labels
        self.action.setEnabled(labels is not None)
        self.action.setChecked(doc.color_by_labels)
        if self.showing:
            self.window.canvas.points.set_colors(self.label_colors())
        predicted = self._predicted()
        if labels is None or predicted is None:
            self.table = None
            self.agreement.setText("")
            self.agreement.setToolTip("")
            return
        labels = np.asarray(labels, dtype=str)
        self.table = contingency(labels, predicted)
        ari = adjusted_rand_index(labels, predicted)
        self.agreement.setText(f"ARI {ari:.3f} vs {doc.label_column}")
        self.agreement.setToolTip(confusion_html(self.table, doc.label_column or "labels"))

    def _predicted(self) -> np.ndarray | None:
        colors = self.window.fit_control.point_colors
        doc = self.window.document
        if colors is None or doc.mixture is None or len(colors[1]) != doc.n_points:
            return None
        return np.asarray(colors[1])

    @Slot(bool)
    def _on_toggled(self, on: bool) -> None:
        self.window.document.set_color_by_labels(on)

    @Slot(bool)
    def _on_coloring_changed(self, _on: bool) -> None:
        if self.showing:
            self.refresh()
        else:
            self.action.setChecked(self.window.document.color_by_labels)
            self.window._draw_point_colors(force=True)


def confusion_html(table: Contingency, name: str) -> str:
    """The confusion table as a small HTML table: true classes by row, components by column."""
    order = np.argsort(table.clusters)
    head = "".join(f"<th>{table.clusters[j]}</th>" for j in order)
    rows = "".join(
        f"<tr><th align='left'>{escape(str(c))}</th>"
        + "".join(f"<td align='right'>{table.counts[i, j]}</td>" for j in order)
        + "</tr>"
        for i, c in enumerate(table.classes)
    )
    return (
        f"<b>{escape(name)}</b> (rows) against components (columns)"
        f"<table cellspacing='4'><tr><th></th>{head}</tr>{rows}</table>"
    )
