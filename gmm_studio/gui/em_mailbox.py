"""What the GUI thread and the EM worker thread share: instructions one way, frames the other.

:class:`Control` holds the worker's instructions (the run to step and its component colors,
running or paused, steps asked for, the speed, quit) behind one condition variable; the
worker reads them between steps, since a busy loop never sees queued signals.
:class:`Mailbox` is the one-slot box of the latest :class:`Frame` plus every snapshot since
the GUI last looked. No Qt here.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import time

import numpy as np

from gmm_studio.core import EMRun, Phase, Snapshot


class Halt(enum.Enum):
    """Why the worker waits."""

    PAUSED = "paused"  # nothing asked of it: paused, stopped, a step done, or no run
    CONVERGED = "converged"
    MAX_ITER = "max_iter reached"


class Work(enum.Enum):
    """What the worker does next."""

    EVALUATE = enum.auto()  # a new run's first E-step, done even while paused
    SHOW = enum.auto()  # a new run that continues an evaluated snapshot: only its colors
    STEP = enum.auto()
    HALF_STEP = enum.auto()
    PARK = enum.auto()


@dataclasses.dataclass(frozen=True)
class Frame:
    """What the GUI draws: the newest snapshot plus what was derived from it off the GUI thread.

    Attributes
    ----------
    generation : int
        The run it belongs to (see :meth:`EMController.drive`).
    snapshot : Snapshot
        The newest snapshot published.
    snapshots : tuple of Snapshot
        Every snapshot since the previous frame, in order: the fit's history loses none.
    colors : ndarray of shape (N, 3), uint8, or None
        Each point's color blended from the component colors by its responsibilities under
        ``snapshot``. None on intermediate frames of big data sets (the previous ones stay).
    labels : ndarray of shape (N,), uint8 (int16 above 255 components), or None
        Each point's most responsible component; None exactly when ``colors`` is None.
    """

    generation: int
    snapshot: Snapshot
    colors: np.ndarray | None
    labels: np.ndarray | None
    snapshots: tuple[Snapshot, ...] = ()


@dataclasses.dataclass(frozen=True)
class Task:
    """One thing for the worker to do, with the instruction ticket it answers.

    ``colors`` (K, 3) uint8 are the component colors of ``run``, which the worker blends
    the point colors from.
    """

    work: Work
    run: EMRun | None
    generation: int
    ticket: int
    halt: Halt = Halt.PAUSED
    colors: np.ndarray | None = None


class Control:
    """The worker's instructions, set from the GUI thread, read by the worker between steps."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._run: EMRun | None = None
        self._colors: np.ndarray | None = None
        self._generation = 0
        self._fresh = False
        self._running = False
        self._steps: list[Work] = []
        self._split = False
        self._delay = 0.0
        self._released_at = 0.0
        self._ticket = 0  # counts instructions; the worker reports each idle ticket once
        self._parked_ticket = -1
        self._waiting = False
        self._quit = False

    @property
    def running(self) -> bool:
        """True while the worker is told to iterate on its own."""
        return self._running

    @property
    def ticket(self) -> int:
        return self._ticket

    @property
    def waiting(self) -> bool:
        """True while the worker sits idle with nothing asked of it."""
        with self._cond:
            return self._waiting

    def _changed(self) -> None:
        self._ticket += 1
        self._cond.notify_all()

    def drive(self, run: EMRun | None, generation: int, colors: np.ndarray | None) -> None:
        """Step ``run`` from now on (None: nothing), its points blended from ``colors``;
        pending steps are dropped."""
        with self._cond:
            self._run, self._generation, self._fresh = run, generation, run is not None
            self._colors = colors
            self._steps = []
            self._changed()

    def set_running(self, running: bool) -> None:
        """Iterate on its own, or wait after the iteration in progress."""
        with self._cond:
            self._running = bool(running)
            self._steps = []
            self._changed()

    def add_step(self, half: bool = False) -> None:
        """One more iteration (or half of one), then wait."""
        with self._cond:
            self._running = False
            self._steps.append(Work.HALF_STEP if half else Work.STEP)
            self._changed()

    def set_split(self, split: bool) -> None:
        """While running, do the E-step and the M-step as two steps (two frames)."""
        with self._cond:
            self._split = bool(split)
            self._cond.notify_all()

    def set_delay(self, delay: float) -> None:
        """Least time between iterations while running (0 = as fast as possible)."""
        with self._cond:
            self._delay = max(0.0, float(delay))
            self._cond.notify_all()

    def drop(self, generation: int) -> None:
        """Forget the run of ``generation`` (it failed)."""
        with self._cond:
            if generation == self._generation:
                self._run, self._running, self._steps = None, False, []
                self._colors = None
                self._changed()

    def quit(self) -> None:
        """End the worker's loop."""
        with self._cond:
            self._quit = True
            self._cond.notify_all()

    def next_task(self, before_wait) -> Task | None:
        """Block until there is something to do; None once told to quit.

        ``before_wait`` runs (without the lock) just before the worker would block or report
        that it waits, so whatever it computed last is in the mailbox by then.
        """
        with self._cond:
            while True:
                if self._quit:
                    self._waiting = False
                    return None
                run, generation, colors = self._run, self._generation, self._colors
                if run is not None and self._fresh:
                    self._fresh = False
                    evaluate = run.phase is Phase.EXPECTATION
                    work = Work.EVALUATE if evaluate else Work.SHOW
                    return Task(work, run, generation, self._ticket, colors=colors)
                busy = run is not None and not run.finished
                if busy and self._steps:
                    self._waiting = False
                    self._released_at = time.monotonic()
                    return Task(self._steps.pop(0), run, generation, self._ticket, colors=colors)
                if busy and self._running:
                    remaining = self._released_at + self._delay - time.monotonic()
                    if remaining <= 0:
                        self._waiting = False
                        self._released_at = time.monotonic()
                        work = Work.HALF_STEP if self._split else Work.STEP
                        return Task(work, run, generation, self._ticket, colors=colors)
                    self._unlocked(before_wait)
                    self._cond.wait(remaining)
                    continue
                if self._parked_ticket != self._ticket:
                    self._parked_ticket = self._ticket
                    self._unlocked(before_wait)
                    halt = Halt.PAUSED
                    if run is not None and run.finished:
                        halt = Halt.CONVERGED if run.converged else Halt.MAX_ITER
                    return Task(Work.PARK, run, generation, self._parked_ticket, halt)
                self._waiting = True
                self._cond.wait()

    def _unlocked(self, callback) -> None:
        self._cond.release()
        try:
            callback()
        finally:
            self._cond.acquire()


class Mailbox:
    """One slot for the latest frame plus every snapshot recorded since the last read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = -1
        self._frame: Frame | None = None
        self._snapshots: list[Snapshot] = []

    def open(self, generation: int) -> None:
        """Accept only frames of ``generation`` from now on (drops anything older)."""
        with self._lock:
            self._generation = generation
            self._frame = None
            self._snapshots = []

    def record(self, generation: int, snapshot: Snapshot) -> None:
        """Keep one snapshot for the next read."""
        with self._lock:
            if generation == self._generation:
                self._snapshots.append(snapshot)

    def put(self, frame: Frame) -> None:
        """Replace the slot's frame with a newer one."""
        with self._lock:
            if frame.generation == self._generation:
                self._frame = frame

    def take(self) -> Frame | None:
        """Return the newest frame (with the snapshots since the last take), or None."""
        with self._lock:
            frame, self._frame = self._frame, None
            if frame is None:
                return None
            snapshots, self._snapshots = tuple(self._snapshots), []
            return dataclasses.replace(frame, snapshots=snapshots)
