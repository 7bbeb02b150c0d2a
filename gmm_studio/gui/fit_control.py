"""The window's fit commands: the document's fit model, driven by the EM worker thread.

:class:`FitControl` turns Run, Pause, Step, Stop, Reset and New initialisation into requests
to the fit model (which owns the state) and instructions to the worker
(:class:`gmm_studio.gui.em_worker.EMController`), hands the worker a new run whenever the
model says the old one is obsolete (:attr:`gmm_studio.model.Change.RUN`), and records what
the worker computes into the model. It derives the component colors once per run
(:attr:`FitControl.colors`): the worker blends the point colors from them, and the window
draws the ellipses and the hard labels in them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QUndoCommand

from gmm_studio.core import EMRun, FitError, Phase
from gmm_studio.gui.document import Document
from gmm_studio.gui.em_worker import EMController, Frame, Halt
from gmm_studio.gui.palette import component_colors
from gmm_studio.model import Branch, Change, FitModel, FitState


class BranchCommand(QUndoCommand):
    """Continuing from an earlier iteration drops the later ones; undo brings them back."""

    def __init__(self, fit: FitModel) -> None:
        super().__init__(f"Continue from iteration {fit.iteration}")
        self._fit = fit
        self._position = fit.position
        self._branch: Branch | None = None  # the entries the branch dropped
        self._continued: Branch | None = None  # the entries computed after it, once undone

    def redo(self) -> None:
        fit = self._fit
        if fit.position != self._position:
            fit.rewind(self._position)
        self._branch = fit.branch()
        if self._continued is not None:
            fit.restore(self._continued)

    def undo(self) -> None:
        if self._branch is None:
            return
        fit = self._fit
        if fit.position != self._position:
            fit.rewind(self._position)
        self._continued = fit.branch()
        fit.restore(self._branch)


class FitControl(QObject):
    """Runs the document's fit: commands from the window in, the worker's snapshots back.

    The window passes the worker's frames (``controller.frameReady``) to :meth:`take`.
    """

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = EMController(self)
        #: (colors, labels) of every point under the latest drawn parameters, or None.
        self.point_colors: tuple[np.ndarray, np.ndarray] | None = None
        #: The components' colors, (K, 3) uint8, for the fit's K: the one palette of the
        #: window (ellipses, blended points, hard labels), set with each run.
        self.colors = np.zeros((0, 3), dtype=np.uint8)
        document.fitChanged.connect(self._on_fit_changed)
        self.controller.failed.connect(self._on_failed)
        self.controller.halted.connect(self._on_halted)
        self._drive()

    @property
    def fit(self) -> FitModel:
        """The fit model of the document."""
        return self.document.fit

    # -- commands ---------------------------------------------------------------------------
    def run_or_pause(self) -> None:
        """Run EM, or pause it when it is running."""
        if self.fit.state is FitState.RUNNING:
            self.pause()
        else:
            self.run()

    def run(self) -> None:
        """Iterate until converged (also when pressed while the start is being drawn)."""
        fit = self.fit
        if not (fit.can_continue or fit.state is FitState.INITIALISING):
            return
        self._branch_if_rewound()
        self._resume_full_data()
        fit.run()

    def pause(self) -> None:
        """Pause after the iteration in progress."""
        self.fit.pause()

    def step(self, half: bool = False) -> None:
        """One iteration (with ``half``: its E-step or its M-step), then pause."""
        fit = self.fit
        if not fit.can_continue:
            return
        self._branch_if_rewound()
        self._resume_full_data()
        fit.pause()
        self.controller.step(half)

    def stop(self) -> None:
        """Stop; the parameters stay and Run continues from them.

        A fit on a cluster's data also cancels the pass in progress there (its tasks).
        """
        self.fit.stop()
        if self.fit.full_data is not None:
            self.fit.full_data.cancel()

    def _resume_full_data(self) -> None:
        full = self.fit.full_data
        if full is not None and full.cancelled:  # stopped: the worker dropped its run
            full.resume()
            self._drive()

    def reset(self) -> None:
        """Back to the start of this initialisation."""
        self.fit.reset()

    def new_initialisation(self) -> None:
        """A new start: the next seed."""
        self.document.set_settings(self.fit.next_start_settings())

    def rewind(self, index: int) -> None:
        """Show entry ``index`` of the history (Run or Step then continue from it)."""
        self.fit.rewind(index)

    def _branch_if_rewound(self) -> None:
        if not self.fit.at_end:
            self.document.undo_stack.push(BranchCommand(self.fit))

    # -- the model and the worker -----------------------------------------------------------
    @Slot(object)
    def _on_fit_changed(self, change: Change) -> None:
        if Change.RUN in change:
            if Change.DATA in change or Change.SETTINGS in change:
                self.point_colors = None
            self._drive()
        if Change.STATE in change or Change.RUN in change:
            running = self.fit.state is FitState.RUNNING
            if running != self.controller.running:
                (self.controller.run if running else self.controller.pause)()

    def _drive(self) -> None:
        fit = self.fit
        self.colors = component_colors(fit.settings.n_components)
        if fit.enough_points and not fit.at_end and fit.next_phase is Phase.MAXIMIZATION:
            # An earlier entry, evaluated on these data: the worker only colours the points
            # by it (continuing from it branches first, which drives a new run).
            entry = fit.evaluated
            run = EMRun(fit.data, fit.settings, resumed_from=entry)
            self.controller.drive(run, self.colors)
            return
        if not fit.enough_points or not fit.at_end:
            self.controller.drive(None)
            return
        try:
            run = fit.continuation()
        except FitError as error:
            self.controller.drive(None)
            fit.fail(str(error))
            return
        self.controller.drive(run, self.colors)

    def take(self, frame: Frame) -> bool:
        """Record a frame of the worker (from its ``frameReady``) into the fit model.

        Returns True when the frame brought new point colors (:attr:`point_colors`).
        """
        if frame.generation != self.controller.generation:
            return False
        colored = frame.colors is not None and len(frame.colors) == self.document.n_points
        if colored:
            self.point_colors = (frame.colors, frame.labels)
        self.fit.record(*frame.snapshots)
        return colored

    @Slot(object)
    def _on_halted(self, halt: Halt) -> None:
        if halt is not Halt.PAUSED:
            self.fit.halt(converged=halt is Halt.CONVERGED)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.fit.fail(message)

    def shutdown(self) -> bool:
        """Stop the worker thread (bounded wait; a cluster's pass in progress is cancelled)."""
        if self.fit.full_data is not None:
            self.fit.full_data.cancel()
        return self.controller.shutdown()
