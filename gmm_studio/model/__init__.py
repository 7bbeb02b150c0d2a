"""The fit model: the one owner of a document's fit, without Qt.

:class:`FitModel` holds the data the fit runs on, the settings, the start, every snapshot of
the run (with the events that happened in between) and the fit's :class:`FitState`. Views
subscribe to it and ask it for changes; they never write its fields.
"""

from gmm_studio.model.fit_model import Branch, Change, EventKind, FitModel, FitState, HistoryEvent

__all__ = ["Branch", "Change", "EventKind", "FitModel", "FitState", "HistoryEvent"]
