"""Choosing which two columns the view shows, at any time, without refitting."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from gmm_studio.gui.document import Document

#: Column names longer than this many characters are elided in the selectors.
LONGEST_SHOWN = 32


class AxesBar(QToolBar):
    """A toolbar with the horizontal and vertical axis columns of the document.

    EM always runs on every column of the document; this only changes the view (points and
    each covariance's matching 2x2 block). With two columns it swaps them.

    Parameters
    ----------
    document : Document
    """

    def __init__(self, document: Document) -> None:
        super().__init__("Axes")
        self.setObjectName("axes-toolbar")
        self.document = document
        self.x_combo = QComboBox()
        self.x_combo.setObjectName("xAxisChoice")
        self.x_combo.setToolTip("Column shown on the horizontal axis (EM uses every column)")
        self.y_combo = QComboBox()
        self.y_combo.setObjectName("yAxisChoice")
        self.y_combo.setToolTip("Column shown on the vertical axis (EM uses every column)")
        for combo in (self.x_combo, self.y_combo):
            # Wide enough for the longest column name (up to a limit), not for the first
            # document's names only.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
        self.addWidget(QLabel(" horizontal: "))
        self.addWidget(self.x_combo)
        self.addWidget(QLabel("  vertical: "))
        self.addWidget(self.y_combo)
        self.x_combo.currentIndexChanged.connect(lambda _: self._chosen(0))
        self.y_combo.currentIndexChanged.connect(lambda _: self._chosen(1))
        document.replaced.connect(self.refresh)
        document.axesChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the document's columns and current axes."""
        doc = self.document
        longest = max((len(name) for name in doc.columns), default=1)
        for combo, axis in ((self.x_combo, doc.axes[0]), (self.y_combo, doc.axes[1])):
            combo.blockSignals(True)
            if [combo.itemText(i) for i in range(combo.count())] != list(doc.columns):
                combo.clear()
                combo.addItems(doc.columns)
            combo.setMinimumContentsLength(min(max(longest, 3), LONGEST_SHOWN))
            combo.setCurrentIndex(axis)
            combo.blockSignals(False)

    def _chosen(self, which: int) -> None:
        doc = self.document
        axes = [self.x_combo.currentIndex(), self.y_combo.currentIndex()]
        if axes[0] == axes[1]:
            # The same column twice: the other axis takes the column this one showed.
            axes[1 - which] = doc.axes[which]
        doc.set_axes((axes[0], axes[1]))
        self.refresh()
