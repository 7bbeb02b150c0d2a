"""Undoable changes of the fit: other parameters by hand, other settings and parameters, a
finished fit (a start, a cell of the model-selection map), locks."""

from __future__ import annotations

import math

from PySide6.QtGui import QUndoCommand

from gmm_studio.core import FitSettings, Locks, Mixture, Snapshot
from gmm_studio.core.restarts import StartOutcome
from gmm_studio.gui.document import Document
from gmm_studio.model import FitModel, FitState, SavedFit


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


class SetLocksCommand(QUndoCommand):
    """Other locks (a parameter held fixed or freed); undo puts the previous ones back."""

    def __init__(self, fit: FitModel, before: Locks, after: Locks, text: str) -> None:
        super().__init__(text)
        self._fit, self._before, self._after = fit, before, after

    def redo(self) -> None:
        self._fit.set_locks(self._after)

    def undo(self) -> None:
        self._fit.set_locks(self._before)


def finished_fit(outcome: StartOutcome, total_weight: float) -> SavedFit:
    """A finished start (of restarts or of a model-selection cell) as a fit to show.

    Its final parameters evaluated at its last iteration, converged (or stopped at
    ``max_iter``); Reset goes back to the parameters it began from (its final ones when
    those are not known). ``total_weight`` is the data's N (the sum of the sample weights).
    """
    result = outcome.result
    trace = result.log_likelihood_trace
    ll = result.log_likelihood
    change = (trace[-1] - trace[-2]) / total_weight if len(trace) > 1 else math.nan
    snapshot = Snapshot(
        result.n_iter, result.mixture, ll, ll / total_weight, change, result.converged,
        result.n_samples,
    )  # fmt: skip
    state = FitState.CONVERGED if result.converged else FitState.STOPPED
    start = outcome.start if outcome.start is not None else result.mixture
    return SavedFit(start, (snapshot,), (), 0, state)


class LoadFitCommand(QUndoCommand):
    """Show a finished fit (:func:`finished_fit`) with ``settings``; undo puts back the
    settings and the fit that were there, history included."""

    def __init__(self, document: Document, settings: FitSettings, saved: SavedFit, text: str):
        super().__init__(text)
        self._document, self._settings, self._saved = document, settings, saved
        self._before = None

    def redo(self) -> None:
        doc = self._document
        self._before = (doc.settings, doc.fit.saved())
        doc.restore_fit(self._settings, self._saved)

    def undo(self) -> None:
        if self._before is not None:
            self._document.restore_fit(*self._before)
