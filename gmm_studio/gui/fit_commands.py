"""Undoable changes of the whole fit: other settings and parameters as one step."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from gmm_studio.core import FitSettings, Mixture
from gmm_studio.gui.document import Document


class SetFitCommand(QUndoCommand):
    """Start afresh from ``mixture`` with ``settings`` (a removed component, a chosen fit).

    Undo puts the settings and the whole fit (history included) back as they were.
    """

    def __init__(
        self, document: Document, settings: FitSettings, mixture: Mixture, text: str
    ) -> None:
        super().__init__(text)
        self._document = document
        self._settings, self._mixture = settings, mixture
        self._before = None

    def redo(self) -> None:
        self._before = self._document.set_fit(self._settings, self._mixture)

    def undo(self) -> None:
        if self._before is not None:
            self._document.restore_fit(*self._before)
