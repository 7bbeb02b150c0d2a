"""The starts strip: with ``n_init`` > 1, every start's final log-likelihood, one click each.

When a fit with ``n_init`` > 1 starts running, the canvas animates its first start (the
seed's own, exactly the ``n_init=1`` fit) while a background thread fits all ``n_init``
starts as :func:`gmm_studio.core.restarts.fit_starts` does, one after the other. Each start's
final log-likelihood appears in the strip as it finishes; the one a fit keeps (the highest
without a degenerate component, :func:`gmm_studio.core.restarts.best_start`) is starred.
Clicking a start loads its fitted parameters onto the canvas as one undoable step. Any change
of the data or settings cancels the thread and clears the strip.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QWidget

from gmm_studio.core import FitSettings
from gmm_studio.core.restarts import (
    FitCancelled,
    PreparedData,
    StartOutcome,
    best_start,
    fit_starts,
    start_seeds,
)
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import SetFitCommand
from gmm_studio.gui.stop_on_close import StopOnClose
from gmm_studio.model import FitState


class StartsThread(QThread):
    """Fits the ``n_init`` starts of ``settings`` on ``X`` one by one; cancellable.

    Signals
    -------
    startFinished(StartOutcome)
        One start is done (its ``index`` is its place among the starts).
    """

    startFinished = Signal(object)

    def __init__(self, X: np.ndarray, settings: FitSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.X, self.settings = X, settings
        self.cancel = threading.Event()

    def run(self) -> None:
        """The starts, in order, until done or cancelled."""
        settings = self.settings
        kwargs = settings.fit_kwargs()
        del kwargs["seed"]
        try:
            prepared = PreparedData(self.X, standardize=settings.standardize)
            for index, seed in enumerate(start_seeds(settings.seed, settings.n_init)):
                outcome = fit_starts(
                    self.X, seed=seed, prepared=prepared, cancel=self.cancel, **kwargs
                ).starts[0]
                self.startFinished.emit(dataclasses.replace(outcome, index=index, seed=seed))
        except FitCancelled:
            return

    def stop(self) -> None:
        """Cancel the starts and wait for the thread to end."""
        self.cancel.set()
        self.wait()


class StartsStrip(QWidget):
    """A row of buttons, one per finished start, for ``document``'s fit.

    Attributes
    ----------
    starts : list of StartOutcome
        The finished starts, in order.
    """

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.starts: list[StartOutcome] = []
        self.thread: StartsThread | None = None
        self._settings = None
        self._data = None
        font = QFont(self.font())
        font.setPointSize(max(font.pointSize(), 12))
        self.setFont(font)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        self.title = QLabel("starts:")
        self._layout.addWidget(self.title)
        self._layout.addStretch(1)
        self.buttons: list[QPushButton] = []
        self.setVisible(False)
        document.fitChanged.connect(self._on_fit_changed)
        document.replaced.connect(self.clear)

    @Slot(object)
    def _on_fit_changed(self, _change) -> None:
        fit = self.document.fit
        if self._settings is not None and (
            fit.data is not self._data or fit.settings != self._settings
        ):
            self.clear()
        if (
            fit.state is FitState.RUNNING
            and fit.settings.n_init > 1
            and self.thread is None
            and not self.starts
        ):
            self._begin()

    def _begin(self) -> None:
        fit = self.document.fit
        self._settings, self._data = fit.settings, fit.data
        self.setVisible(True)
        self.title.setText(f"starts (n_init={fit.settings.n_init}):")
        self.thread = StartsThread(fit.data, fit.settings, self)
        self.thread.startFinished.connect(self._on_start_finished)
        self.thread.finished.connect(self._on_thread_finished)
        self.thread.start()

    @Slot(object)
    def _on_start_finished(self, outcome: StartOutcome) -> None:
        if self.thread is None or self.sender() is not self.thread:
            return  # a cancelled thread's last start
        self.starts.append(outcome)
        button = QPushButton()
        button.clicked.connect(lambda _checked=False, i=outcome.index: self.load(i))
        self.buttons.append(button)
        self._layout.insertWidget(self._layout.count() - 1, button)
        self._label_buttons()

    def _label_buttons(self) -> None:
        best = best_start(self.starts)
        for outcome, button in zip(self.starts, self.buttons, strict=True):
            if outcome.result is None:
                text, tip = f"{outcome.index + 1}: failed", outcome.error or ""
            else:
                mark = "★ " if outcome.index == best else ""
                sick = " !" if outcome.degenerate_components else ""
                text = f"{mark}{outcome.index + 1}: {outcome.log_likelihood:.6g}{sick}"
                tip = f"start {outcome.index + 1} (seed {outcome.seed}): click to load its fit"
            button.setText(text)
            button.setToolTip(tip)
            button.setEnabled(outcome.result is not None)

    @property
    def best(self) -> int | None:
        """Index of the start a fit keeps, among the finished ones."""
        return best_start(self.starts)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self.sender() is self.thread:
            self.thread = None

    def load(self, index: int) -> None:
        """Put start ``index``'s fitted parameters on the canvas (one undoable step)."""
        outcome = self.starts[index]
        if outcome.result is None or self._settings != self.document.settings:
            return
        doc = self.document
        mixture = outcome.result.mixture
        doc.undo_stack.push(SetFitCommand(doc, doc.settings, mixture, f"Load start {index + 1}"))

    @Slot()
    def clear(self) -> None:
        """Cancel the starts in progress and empty the strip."""
        self.stop()
        self._settings = self._data = None
        self.starts.clear()
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons.clear()
        self.setVisible(False)

    def stop(self) -> None:
        """Cancel the background starts and wait for their thread (none is left running)."""
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.stop()


def install_starts_strip(window: QMainWindow, home: QWidget) -> StartsStrip:
    """Put a :class:`StartsStrip` of ``window.document`` at the top of ``home``'s layout;
    closing the window stops its thread."""
    strip = StartsStrip(window.document, home)
    home.layout().insertWidget(0, strip)
    StopOnClose(window, strip.stop)
    return strip
