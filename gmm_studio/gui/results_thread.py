"""A QThread that runs a cancellable core computation and hands back its results one by one.

The model-selection map and the strip of starts both stream results from a core iterator
(:func:`gmm_studio.core.selection.grid_cells`, :func:`gmm_studio.core.restarts.starts_on`)
that stops with :class:`~gmm_studio.core.restarts.FitCancelled` when its cancel flag is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QThread, Signal

from gmm_studio.core import FitError
from gmm_studio.core.restarts import FitCancelled


class ResultsThread(QThread):
    """Iterates ``produce(cancel)`` off the GUI thread, emitting each result.

    Parameters
    ----------
    produce : callable
        Given a :class:`threading.Event`, returns an iterable of results that stops with
        FitCancelled once the event is set.

    Signals
    -------
    resultReady(object)
        The next result.
    failed(str)
        ``produce`` raised a FitError (no result could be made: too few points, say).
    """

    resultReady = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        produce: Callable[[threading.Event], Iterable],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._produce = produce
        self.cancel = threading.Event()

    def run(self) -> None:
        """Every result, until done or cancelled."""
        try:
            for result in self._produce(self.cancel):
                self.resultReady.emit(result)
        except FitCancelled:
            return
        except FitError as error:
            self.failed.emit(str(error))

    def stop(self) -> None:
        """Cancel the work and wait for the thread to end."""
        self.cancel.set()
        self.wait()
