"""Driving an EM run off the GUI thread.

:class:`EMController` (GUI thread) owns one ``QThread`` with one :class:`EMWorker` in it. The
worker steps whatever :class:`gmm_studio.core.EMRun` it was last given, as the thread-safe
:class:`Control` allows: running (at most the speed setting's rate), paused, a step or a
half-step, a new run, quit. A busy loop never sees queued signals, so these flags are the
only way in. Snapshots go into a one-slot :class:`Mailbox` that the controller reads on a
~60 Hz timer, so however fast EM runs the GUI draws at most once a frame; every snapshot
reaches the GUI (the mailbox keeps the ones between frames), and the last one arrives
before the worker says it has stopped. A running fit's point colours come from the pass that
evaluates each step (:class:`gmm_studio.core.point_colors.ColorBlend`), not from a pass of
their own. The passes of big runs (:data:`gmm_studio.core.pass_process.PROCESS_MIN_TERMS`)
run in a child process, :class:`gmm_studio.core.pass_process.PassProcess`, so that they
never hold this process's interpreter lock; the worker waits for them.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import sys
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from gmm_studio.core import EMRun, Snapshot
from gmm_studio.core.em import em_pass
from gmm_studio.core.pass_process import PROCESS_MIN_TERMS, PassProcess, PassProcessLost
from gmm_studio.core.point_colors import ColorBlend, blended_colors
from gmm_studio.core.restarts import FitCancelled
from gmm_studio.gui.em_mailbox import Control, Frame, Halt, Mailbox, Task, Work
from gmm_studio.gui.thread_priority import WORKER_NICENESS, lower_this_thread_priority

#: How often the GUI reads the mailbox (a 60 Hz display's frame, rounded down to whole ms).
FRAME_INTERVAL_MS = 16
#: The shortest interval between published frames: shorter than the GUI's, so that a fresh
#: frame waits at each of its reads although EM's steps do not keep time with them.
PUBLISH_INTERVAL_S = 1 / 120
#: How long closing waits for the worker thread before giving up.
SHUTDOWN_TIMEOUT_MS = 5000

#: Controllers not yet shut down. Holding them here keeps their QThread alive even if the
#: owning window is deleted without being closed, so Qt never destroys a running thread;
#: :func:`shutdown_all` (connected to the application's aboutToQuit) stops what is left.
_LIVE_CONTROLLERS: set[EMController] = set()

#: Recolour a running fit only after this many times the cost of the last recolouring.
COLOUR_COST_RATIO = 2.0
#: The interpreter's thread switch interval once a window drives EM (Python's default is 5 ms).
#: The worker gives up the interpreter lock in every numpy call and must get it back for the
#: Python between them; while the GUI thread runs Python (painting, panning) each time back
#: waited up to the interval, which slowed EM several times over and, the other way round,
#: stretched the GUI's stalls (benchmarks/bench_gui.py, README).
SWITCH_INTERVAL_S = 0.0005

__all__ = ["EMController", "EMWorker", "Frame", "Halt", "shutdown_all"]


class EMWorker(QObject):
    """Steps EM runs in the worker thread. Create it in the GUI thread, then move it.

    Signals
    -------
    parked(int, int, object)
        Generation, instruction ticket and :class:`Halt`: the worker waits for instructions.
    failed(int, str)
        EM raised in that generation's run; the string is a readable message.
    """

    parked = Signal(int, int, object)
    failed = Signal(int, str)

    def __init__(self, control: Control, mailbox: Mailbox) -> None:
        super().__init__()
        self._control = control
        self._mailbox = mailbox
        self._colored_at = -np.inf
        self._color_cost = 0.0
        self._pending: tuple[Task, Snapshot] | None = None
        self._published_at = -np.inf
        self._step_seconds = 0.0
        self._pass_colors: tuple[int, bool] | None = None  # (generation, its pass colours)
        self._process: PassProcess | None = None  # started by the first run big enough

    @property
    def process(self) -> PassProcess | None:
        """The child process for big runs' passes, once the first such run started it."""
        return self._process

    @Slot()
    def loop(self) -> None:
        """Work until told to quit (runs in the worker thread)."""
        lower_this_thread_priority()
        try:
            with _single_blas_thread():
                self._work()
        finally:
            if self._process is not None:
                self._process.close()

    def _work(self) -> None:
        while (task := self._control.next_task(self._publish_pending)) is not None:
            if task.work is Work.PARK:
                self.parked.emit(task.generation, task.ticket, task.halt)
                continue
            blend = self._blend_for(task)
            try:
                started = time.monotonic()
                snapshot = self._do(task, blend)
                self._step_seconds = time.monotonic() - started
            except FitCancelled:  # stopped mid-pass (a cluster's): the run is dropped
                self._pending = None
                self._control.drop(task.generation)
                continue
            except Exception as exc:  # EM failed: report it, the application carries on
                self._pending = None
                self._control.drop(task.generation)
                self.failed.emit(task.generation, _readable(exc))
                continue
            if task.work is not Work.SHOW:  # SHOW repeats a snapshot the GUI has
                self._mailbox.record(task.generation, snapshot)
            if blend is not None:  # does this run's pass colour points? (see _do)
                self._pass_colors = (task.generation, blend.complete)
            self._pending = (task, snapshot, blend if blend and blend.complete else None)
            final = snapshot.converged or task.work is not Work.STEP or task.run.finished
            if final or time.monotonic() - self._published_at >= PUBLISH_INTERVAL_S:
                self._publish_pending(final)

    def _blend_for(self, task: Task) -> ColorBlend | None:
        """Colours to fill from the responsibilities of the step's own pass, if its snapshot
        is likely to be shown (frames go out at most every :data:`PUBLISH_INTERVAL_S`)."""
        if task.work is not Work.STEP or task.colors is None:
            return None
        if time.monotonic() - self._published_at + self._step_seconds < PUBLISH_INTERVAL_S:
            return None
        data = task.run.block_data
        return ColorBlend(data.n_samples, task.colors)

    def _do(self, task: Task, blend: ColorBlend | None) -> Snapshot:
        return self._in_process_or_here(
            self._process_for(task.run), lambda passes: self._step(task, blend, passes)
        )

    @staticmethod
    def _in_process_or_here(passes: PassProcess | None, work):
        """``work(passes)``, or ``work(None)`` here when there is no process or it is lost
        meanwhile (then runs go on here, a step from where it stopped)."""
        if passes is not None:
            try:
                return work(passes)
            except PassProcessLost:
                passes.close()
        return work(None)

    @staticmethod
    def _step(task: Task, blend: ColorBlend | None, passes: PassProcess | None) -> Snapshot:
        run = task.run
        remote = None
        if passes is not None:
            data = run.block_data

            def remote(X, mixture, reg_covar, pass_data, locks):
                # Colours only from a pass over the data as given (not standardized).
                colored = blend if pass_data is data else None
                return passes.em_pass(pass_data, mixture, reg_covar, locks, colored)

        if task.work is Work.HALF_STEP:
            return run.half_step(remote)
        if task.work in (Work.EVALUATE, Work.SHOW):
            return run.expectation(remote)
        if blend is None or remote is not None:
            return run.step(remote)
        # The pass that evaluates the step's new parameters colours the points on the way
        # (a run on standardized data or on a cluster passes over other data: no colours).
        data = run.block_data
        data.observer = blend.add
        try:
            return run.step()
        finally:
            data.observer = None

    def _process_for(self, run: EMRun) -> PassProcess | None:
        """The child process that takes this run's passes, once it is ready: runs of the
        engine's own pass over at least :data:`PROCESS_MIN_TERMS` terms (it starts with the
        first such run; until it is ready, and for other runs, passes run here)."""
        data = run.block_data
        if run.em_pass is not em_pass or data.n_samples * run.settings.n_components < (
            PROCESS_MIN_TERMS
        ):
            return None
        if self._process is None:  # one per worker; once it is lost, passes stay here
            self._process = PassProcess(WORKER_NICENESS, FRAME_INTERVAL_MS / 1000)
        return self._process if self._process.ready() else None

    def _colors_due(self) -> bool:
        # A separate colour pass costs about half an EM iteration; while running on big data,
        # recolor that way only often enough that it takes at most a third of the worker's
        # time. Ellipses, means and the curve still update with every frame.
        return time.monotonic() - self._colored_at >= COLOUR_COST_RATIO * self._color_cost

    def _colors_of(self, run: EMRun, mixture, palette) -> tuple[np.ndarray, np.ndarray]:
        def colors(passes: PassProcess | None):
            if passes is None:
                return blended_colors(run.X, mixture, palette, data=run.block_data)
            return passes.colors(run.block_data, mixture, palette)

        # The child holds a standardized run's z-scores, not the rows coloured here.
        passes = None if run.settings.standardize else self._process_for(run)
        return self._in_process_or_here(passes, colors)

    def _publish_pending(self, final: bool = True) -> None:
        if self._pending is None:
            return
        task, snapshot, blend = self._pending
        self._pending = None
        point_colors = labels = None
        # After an M-step the points keep their colors. The last frame's colors come from
        # their own pass, as every other consumer of colors computes them.
        if task.colors is not None and snapshot.evaluated:
            if blend is not None and not final:
                point_colors, labels = blend.colors, blend.labels
            elif final or (self._pass_colors == (task.generation, False) and self._colors_due()):
                started = time.monotonic()
                point_colors, labels = self._colors_of(task.run, snapshot.mixture, task.colors)
                self._colored_at = time.monotonic()
                self._color_cost = self._colored_at - started
        self._mailbox.put(Frame(task.generation, snapshot, point_colors, labels))
        self._published_at = time.monotonic()


class EMController(QObject):
    """Owns the worker thread and tells it what to do, from the GUI thread.

    Signals
    -------
    frameReady(Frame)
        A new frame to draw (at most about 60 per second).
    halted(Halt)
        The worker waits: after the latest instruction (pause, stop, a step), or because the
        run converged or reached ``max_iter``. Every frame before it has been delivered.
    failed(str)
        The run raised; the message is meant for the user. The worker drops that run.
    """

    frameReady = Signal(object)
    halted = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generations = itertools.count(1)
        self._generation = 0
        self._control = Control()
        self._mailbox = Mailbox()
        self._thread = QThread()
        self._thread.setObjectName("gmm-studio-em")
        self._worker = EMWorker(self._control, self._mailbox)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.loop)
        self._worker.parked.connect(self._on_parked)
        self._worker.failed.connect(self._on_failed)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self._poll)
        self._shut_down = False
        _LIVE_CONTROLLERS.add(self)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

    # -- state ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the worker is told to iterate on its own."""
        return self._control.running

    @property
    def generation(self) -> int:
        """Which run the worker drives (frames of older runs are dropped)."""
        return self._generation

    def is_idle_waiting(self) -> bool:
        """True when the worker sits idle with nothing asked of it."""
        return self._control.waiting

    @property
    def pass_process_id(self) -> int | None:
        """The id of the child process that runs this controller's EM passes, while one does
        (big runs only: see :mod:`gmm_studio.core.pass_process`), else None."""
        process = self._worker.process
        return process.pid if process is not None and process.answering else None

    @property
    def thread(self) -> QThread:
        """The worker thread (for tests and diagnostics)."""
        return self._thread

    # -- commands ---------------------------------------------------------------------------
    def drive(self, run: EMRun | None, colors: np.ndarray | None = None) -> int:
        """Step ``run`` from now on, in the current mode; return its generation.

        The worker evaluates a new run's parameters at once, even when paused, so edited
        data or a new start show their log-likelihood and colors. ``colors`` (K, 3) uint8
        are the run's component colors, which the points are blended from (none: frames
        carry no point colors).
        """
        if self._shut_down:
            raise RuntimeError("the EM controller has been shut down")
        self._generation = next(self._generations)
        self._mailbox.open(self._generation)
        self._control.drive(run, self._generation, colors)
        self._timer.start()
        return self._generation

    def run(self) -> None:
        """Iterate on its own (at most at the speed setting's rate)."""
        self._control.set_running(True)
        self._timer.start()

    def pause(self) -> None:
        """Wait after the iteration in progress."""
        self._control.set_running(False)

    def step(self, half: bool = False) -> None:
        """One more iteration (or, with ``half``, its E-step or its M-step), then wait."""
        self._control.add_step(half)
        self._timer.start()

    def set_split(self, split: bool) -> None:
        """While running, do each iteration as its E-step and its M-step (two frames)."""
        self._control.set_split(split)

    def set_speed(self, iterations_per_second: float | None) -> None:
        """Limit the iteration rate; None means as fast as possible."""
        self._control.set_delay(0.0 if not iterations_per_second else 1.0 / iterations_per_second)

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Stop the worker and its thread and wait for them (bounded). Safe to call twice."""
        if self._shut_down:
            return True
        self._shut_down = True
        _LIVE_CONTROLLERS.discard(self)
        with contextlib.suppress(RuntimeError):  # the timer dies with a deleted window
            self._timer.stop()
        self._mailbox.open(-1)
        self._control.quit()
        self._thread.quit()
        finished = self._thread.wait(timeout_ms)
        if not finished:
            print("gmm-studio: the EM thread did not stop in time", file=sys.stderr)
        return finished

    # -- plumbing ---------------------------------------------------------------------------
    @Slot()
    def _poll(self) -> None:
        frame = self._mailbox.take()
        if frame is not None:
            self.frameReady.emit(frame)

    @Slot(int, int, object)
    def _on_parked(self, generation: int, ticket: int, halt: Halt) -> None:
        if generation != self._generation:
            return
        self._poll()  # the last snapshot is always shown first
        if halt is not Halt.PAUSED or ticket == self._control.ticket:
            self._timer.stop()
            self.halted.emit(halt)

    @Slot(int, str)
    def _on_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._poll()
        self._timer.stop()
        self.failed.emit(message)


def shutdown_all() -> None:
    """Shut down every EM controller still running (called when the application quits)."""
    for controller in list(_LIVE_CONTROLLERS):
        controller.shutdown()


# A script that builds windows without running the event loop never emits aboutToQuit; stop
# the threads before the interpreter tears the controllers down.
atexit.register(shutdown_all)


@contextlib.contextmanager
def _single_blas_thread():
    """Keep EM's BLAS to one thread so the GUI thread keeps a core (if threadpoolctl exists)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _readable(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, ValueError):
        return text
    return f"{type(exc).__name__}: {text}"
