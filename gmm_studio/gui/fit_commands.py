"""Undoable changes of the fit: other parameters by hand, or other settings and parameters."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from gmm_studio.core import FitSettings, Mixture
from gmm_studio.gui.document import Document
from gmm_studio.model import FitModel


class SetFitCommand(QUndoCommand):
    """Start afresh from ``mixture`` with ``settings`` (a removed component, a chosen fit).

    With ``marked`` the new history begins with an event named by ``text`` (components merged
    or split by hand: a marker on the curve). Undo puts the settings and the whole fit
    (history included) back as they were.
    """

    def __init__(
        self,
        document: Document,
        settings: FitSettings,
        mixture: Mixture,
        text: str,
        *,
        marked: bool = False,
    ) -> None:
        super().__init__(text)
        self._document = document
        self._settings, self._mixture = settings, mixture
        self._description = text.lower() if marked else ""
        self._before = None

    def redo(self) -> None:
        self._before = self._document.set_fit(self._settings, self._mixture, self._description)

    def undo(self) -> None:
        if self._before is not None:
            self._document.restore_fit(*self._before)


class SetParametersCommand(QUndoCommand):
    """New parameters by hand; undo puts the previous ones back (both are history events)."""

    def __init__(self, fit: FitModel, before: Mixture, after: Mixture, text: str) -> None:
        super().__init__(text)
        self._fit, self._before, self._after = fit, before, after

    def redo(self) -> None:
        self._fit.set_parameters(self._after, self.text().lower())

    def undo(self) -> None:
        self._fit.set_parameters(self._before, f"undo {self.text().lower()}")
