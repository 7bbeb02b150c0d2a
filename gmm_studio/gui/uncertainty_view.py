"""The uncertainty view: points coloured by their most likely component, faded the more
certain they are, so the regions where components overlap stand out (mclust's uncertainty
plot). Toggled by Model ▸ Uncertainty view (U); the figures come from
:mod:`gmm_studio.core.uncertainty`, computed in the window's thread once per drawn frame."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.uncertainty import uncertainty, uncertainty_colors


class UncertaintyView(QObject):
    """Whether the window shows uncertainty, and the colours it shows then.

    Signals
    -------
    toggled(bool)
    """

    toggled = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.action = QAction("Uncertainty view", self)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("U"))
        self.action.setToolTip("Fade each point by how certain its component is (U)")
        self.action.toggled.connect(self.toggled)
        self._prepared = (None, None)

    @property
    def on(self) -> bool:
        return self.action.isChecked()

    def colors(self, X: np.ndarray, mixture, labels: np.ndarray, palette) -> np.ndarray:
        """The colours of the points ``X`` (labels from the same ``mixture``) in this view."""
        known, data = self._prepared
        if known is not X:
            data = BlockData(X)
            self._prepared = (X, data)
        return uncertainty_colors(labels, palette, uncertainty(X, mixture, data=data))


def install_uncertainty_view(window: QMainWindow, menu) -> UncertaintyView:
    """An :class:`UncertaintyView` whose action is in ``menu`` and on ``window`` (its key)."""
    view = UncertaintyView(window)
    menu.addAction(view.action)
    window.addAction(view.action)
    return view
