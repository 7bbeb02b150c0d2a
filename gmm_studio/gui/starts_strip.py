"""The starts strip: with ``n_init`` > 1, the starts run, the best so far is drawn.

When a fit with ``n_init`` > 1 starts running, the canvas animates its first start (the
seed's own, exactly the ``n_init=1`` fit) while a background thread fits all ``n_init``
starts as :func:`gmm_studio.core.restarts.fit_starts` does (the same seeds and weights), one
after the other. Each start's final log-likelihood appears in the strip as it finishes; the
one a fit keeps (the highest without a degenerate component,
:func:`gmm_studio.core.restarts.best_start`) is starred, and the start on the canvas is the
pressed button.

The best so far is drawn: when a finished start becomes the best, its fit replaces the one
on the canvas (as a finished fit: its iterations, log-likelihood and state; Reset goes back
to that start's first parameters). The first start is not drawn again while the canvas's
own run is that very start. At the end the best start is on the canvas: the fit that
``gmm-studio fit --n-init`` gives. Choosing the best is part of Run, not an undo step; once
you step in (pause, stop, drag, edit, undo, load a start) the strip leaves the canvas alone.
Clicking a start loads its fit as one undoable step. Any change of the data or settings
cancels the thread and clears the strip.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QWidget

from gmm_studio.core import FitSettings
from gmm_studio.core.restarts import (
    PreparedData,
    StartOutcome,
    best_start,
    in_original_units,
    starts_on,
)
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import LoadFitCommand, finished_fit
from gmm_studio.gui.results_thread import ResultsThread
from gmm_studio.gui.stop_on_close import StopOnClose
from gmm_studio.model import FitState, SavedFit


def each_start_of(X, settings: FitSettings, sample_weight, cancel) -> Iterator[StartOutcome]:
    """The ``n_init`` starts of ``settings`` on ``X``, one by one, in the data's own units."""
    prepared = PreparedData(X, sample_weight, settings.standardize)
    for outcome in starts_on(prepared, settings, cancel=cancel):
        yield in_original_units(prepared, outcome)


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
        self.thread: ResultsThread | None = None
        self._settings = None
        self._data = None
        self._fits: dict[int, SavedFit] = {}  # each start's fit as put on the canvas
        self._live_start = None  # the start of the run on the canvas when the starts began
        self._live_is_first = False  # that run is the first start's own
        self._auto = False  # the strip draws the best so far (until the user steps in)
        self._drawn: int | None = None  # the start the strip last drew
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
        document.undo_stack.indexChanged.connect(self._on_user_step)

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
        elif self._auto and fit.state in (FitState.PAUSED, FitState.STOPPED, FitState.ERROR):
            if self._drawn is None or self.shown != self._drawn:  # paused or stopped by hand
                self._auto = False
        if self.starts:
            self._label_buttons()

    @Slot()
    def _on_user_step(self, *_args) -> None:
        self._auto = False

    def _begin(self) -> None:
        fit = self.document.fit
        self._settings, self._data = fit.settings, fit.data
        self._live_start, self._auto, self._drawn = fit.start, True, None
        self.setVisible(True)
        self.title.setText(f"starts (n_init={fit.settings.n_init}):")
        X, settings, weights = fit.data, fit.settings, fit.sample_weight
        self.thread = ResultsThread(
            lambda cancel: each_start_of(X, settings, weights, cancel), self
        )
        self.thread.resultReady.connect(self._on_start_finished)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_thread_finished)
        self.thread.start()

    @Slot(object)
    def _on_start_finished(self, outcome: StartOutcome) -> None:
        if self.thread is None or self.sender() is not self.thread:
            return  # a cancelled thread's last start
        if outcome.index == 0:
            live = self._live_start
            self._live_is_first = live is not None and live == outcome.start
        self.starts.append(outcome)
        button = QPushButton()
        button.setCheckable(True)
        button.clicked.connect(lambda _checked=False, i=outcome.index: self.load(i))
        self.buttons.append(button)
        self._layout.insertWidget(self._layout.count() - 1, button)
        self._draw_best()
        self._label_buttons()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.sender() is self.thread:
            self.title.setText(f"starts: {message}")

    def _draw_best(self) -> None:
        """Put the best start so far on the canvas, unless it is there or the user stepped in."""
        best = best_start(self.starts)
        if not self._auto or best is None or best == self._drawn:
            return
        if best == 0 and self._live_is_first and self._drawn is None:
            return  # the canvas's own run is this start: it gets there by itself
        self._drawn = best
        self.document.restore_fit(self._settings, self._fit_of(best))

    def _fit_of(self, index: int) -> SavedFit:
        if index not in self._fits:
            weights = self.document.sample_weight
            total = float(len(self._data) if weights is None else weights.sum())
            self._fits[index] = finished_fit(self.starts[index], total)
        return self._fits[index]

    @property
    def shown(self) -> int | None:
        """The start whose fit is on the canvas (None: another fit)."""
        fit = self.document.fit
        for index, saved in self._fits.items():
            if saved.history[0] is fit.evaluated:
                return index
        if self._live_is_first and fit.start is self._live_start and self._drawn is None:
            return 0
        return None

    def _label_buttons(self) -> None:
        best, shown = best_start(self.starts), self.shown
        for outcome, button in zip(self.starts, self.buttons, strict=True):
            if outcome.result is None:
                text, tip = f"{outcome.index + 1}: failed", outcome.error or ""
            else:
                mark = "★ " if outcome.index == best else ""
                sick = " !" if outcome.degenerate_components else ""
                text = f"{mark}{outcome.index + 1}: {outcome.log_likelihood:.6g}{sick}"
                where = "on the canvas" if outcome.index == shown else "click to load its fit"
                tip = f"start {outcome.index + 1} (seed {outcome.seed}): {where}"
                if sick:
                    tip += f"; degenerate components {list(outcome.degenerate_components)}"
            if button.text() != text:  # the fit changes on every frame of a run
                button.setText(text)
            if button.toolTip() != tip:
                button.setToolTip(tip)
            button.setEnabled(outcome.result is not None)
            button.setChecked(outcome.index == shown)

    @property
    def best(self) -> int | None:
        """Index of the start a fit keeps, among the finished ones."""
        return best_start(self.starts)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self.sender() is self.thread:
            self.thread = None

    def load(self, index: int) -> None:
        """Put start ``index``'s fit on the canvas (one undoable step)."""
        outcome = self.starts[index]
        if outcome.result is None or self._settings != self.document.settings:
            self._label_buttons()
            return
        doc = self.document
        saved = self._fit_of(index)
        doc.undo_stack.push(LoadFitCommand(doc, self._settings, saved, f"Load start {index + 1}"))

    @Slot()
    def clear(self) -> None:
        """Cancel the starts in progress and empty the strip."""
        self.stop()
        self._settings = self._data = self._live_start = None
        self._auto, self._live_is_first, self._drawn = False, False, None
        self.starts.clear()
        self._fits.clear()
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
