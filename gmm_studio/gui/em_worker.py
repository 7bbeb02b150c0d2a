"""Running EM off the GUI thread.

:class:`EMController` (GUI thread) owns one ``QThread`` and one :class:`EMWorker` moved to it.
A *job* is one pass over the core ``em_steps`` generator. The worker checks a job's
thread-safe :class:`JobControl` between iterations for pause, single steps, the speed limit and
cancellation (a busy loop never sees queued signals, so flags are the only way in). Snapshots go
into a one-slot :class:`Mailbox` that the controller reads on a ~60 Hz timer, so however fast
EM runs the GUI draws at most once a frame; the final snapshot of a job is always delivered
before the job's end is announced.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import itertools
import os
import sys
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from gmm_studio.core import FitSettings, Mixture, Snapshot, em_steps
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.point_colors import blended_colors
from gmm_studio.gui.palette import component_colors

#: How often the GUI reads the mailbox, and the shortest interval between published frames.
FRAME_INTERVAL_S = 1 / 60
#: How long closing waits for the worker thread before giving up.
SHUTDOWN_TIMEOUT_MS = 5000

#: Controllers not yet shut down. Holding them here keeps their QThread alive even if the
#: owning window is deleted without being closed, so Qt never destroys a running thread;
#: :func:`shutdown_all` (connected to the application's aboutToQuit) stops what is left.
_LIVE_CONTROLLERS: set[EMController] = set()

#: Recolour a running fit only after this many times the cost of the last recolouring.
COLOUR_COST_RATIO = 2.0

CONVERGED = "converged"
MAX_ITER = "max_iter"
STOPPED = "stopped"

# What a job does with the generator's first snapshot (iteration 0 = its start parameters).
FIRST_INITIAL = "initial"  # a new start: publish it and begin the log-likelihood history
FIRST_REFRESH = "refresh"  # same parameters, new data: publish it, history untouched
FIRST_SKIP = "skip"  # continuing after a stop: it repeats what is shown, skip it


@dataclasses.dataclass(frozen=True)
class Frame:
    """What the GUI draws: one snapshot plus everything derived from it off the GUI thread.

    Attributes
    ----------
    job_id : int
    snapshot : Snapshot
    iteration : int
        Iteration as shown to the user (continued runs keep counting).
    colours : ndarray of shape (N, 3), uint8, or None
        Each point's colour blended from the component colours by its responsibilities,
        computed in the worker thread. None on intermediate frames of big data sets (the
        previous colours stay).
    labels : ndarray of shape (N,), uint8 (int16 above 255 components), or None
        Each point's most responsible component; None exactly when ``colours`` is None.
    initial : bool
        True for the start parameters of a new initialisation or reset.
    refresh : bool
        True when the same parameters are re-evaluated on edited data.
    history : list of (int, float)
        (iteration, total log-likelihood) of every iteration since the previous frame.
    """

    job_id: int
    snapshot: Snapshot
    iteration: int
    colours: np.ndarray | None
    labels: np.ndarray | None
    initial: bool = False
    refresh: bool = False
    history: tuple = ()


@dataclasses.dataclass
class EMJob:
    """One run of the EM generator on fixed data."""

    id: int
    X: np.ndarray
    settings: FitSettings
    start: Mixture | None
    offset: int
    first: str
    control: JobControl


class JobControl:
    """Thread-safe pause / step / speed / cancel flags of one job."""

    def __init__(self, paused: bool, steps: int, delay: float) -> None:
        self._cond = threading.Condition()
        self._cancelled = False
        self._paused = paused
        self._steps = steps
        self._delay = delay
        self._released_at = 0.0
        self._waiting = False

    @property
    def cancelled(self) -> bool:
        """True once the job has been told to stop."""
        return self._cancelled

    @property
    def paused(self) -> bool:
        """True while paused (single steps may still be pending)."""
        return self._paused

    @property
    def waiting(self) -> bool:
        """True while the worker sits paused with no step pending."""
        with self._cond:
            return self._waiting

    def cancel(self) -> None:
        """Stop the job at the next check (between iterations)."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume."""
        with self._cond:
            self._paused = paused
            if not paused:
                self._steps = 0
            self._cond.notify_all()

    def add_step(self) -> None:
        """Allow exactly one more iteration while paused."""
        with self._cond:
            self._steps += 1
            self._cond.notify_all()

    def set_delay(self, delay: float) -> None:
        """Least time between iterations while running (0 = as fast as possible)."""
        with self._cond:
            self._delay = max(0.0, float(delay))
            self._cond.notify_all()

    def gate(self, before_wait=None) -> bool:
        """Block until the next iteration may run; False if the job was cancelled.

        ``before_wait`` (called at most once, without the lock held) runs just before the
        worker would block, so whatever it computed last can be shown while it waits.
        """
        with self._cond:
            while True:
                if self._cancelled:
                    self._waiting = False
                    return False
                if self._paused and self._steps > 0:
                    self._steps -= 1
                    self._waiting = False
                    self._released_at = time.monotonic()
                    return True
                remaining = self._released_at + self._delay - time.monotonic()
                if self._paused or remaining > 0:
                    if before_wait is not None:
                        callback, before_wait = before_wait, None
                        self._cond.release()
                        try:
                            callback()
                        finally:
                            self._cond.acquire()
                        continue
                    self._waiting = self._paused
                    self._cond.wait(None if self._paused else remaining)
                    continue
                self._waiting = False
                self._released_at = time.monotonic()
                return True


class Mailbox:
    """One slot for the latest frame plus the log-likelihoods computed since the last read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job_id = -1
        self._frame: Frame | None = None
        self._history: list[tuple[int, float]] = []

    def open(self, job_id: int) -> None:
        """Accept only frames of ``job_id`` from now on (drops anything older)."""
        with self._lock:
            self._job_id = job_id
            self._frame = None
            self._history = []

    def record(self, job_id: int, iteration: int, log_likelihood: float) -> None:
        """Add one (iteration, log-likelihood) to the history."""
        with self._lock:
            if job_id == self._job_id:
                self._history.append((iteration, log_likelihood))

    def put(self, frame: Frame) -> None:
        """Replace the slot's frame with a newer one."""
        with self._lock:
            if frame.job_id == self._job_id:
                self._frame = frame

    def take(self) -> Frame | None:
        """Return the newest frame (with the history since the last take), or None."""
        with self._lock:
            frame, self._frame = self._frame, None
            if frame is None:
                return None
            history, self._history = tuple(self._history), []
            return dataclasses.replace(frame, history=history)


class EMWorker(QObject):
    """Runs EM jobs in the worker thread. Create it in the GUI thread, then move it.

    Signals
    -------
    jobEnded(int, str)
        The job ended: ``"converged"``, ``"max_iter"`` or ``"stopped"``.
    jobFailed(int, str)
        EM raised; the string is a readable message.
    """

    jobEnded = Signal(int, str)
    jobFailed = Signal(int, str)

    def __init__(self, mailbox: Mailbox) -> None:
        super().__init__()
        self._mailbox = mailbox
        self._coloured_at = -np.inf
        self._colour_cost = 0.0
        self._block_data: tuple[int, BlockData] | None = None

    @Slot(object)
    def run(self, job: EMJob) -> None:
        """Drain ``em_steps`` for one job, honouring its control flags between iterations."""
        control = job.control
        if control.cancelled:
            self.jobEnded.emit(job.id, STOPPED)
            return
        _lower_this_thread_priority()
        try:
            with _single_blas_thread():
                reason = self._iterate(job)
        except Exception as exc:  # EM failed: report it, the application carries on
            self.jobFailed.emit(job.id, _readable(exc))
            return
        finally:
            self._block_data = None  # the job's data may be large; let it go
        self.jobEnded.emit(job.id, reason)

    def _iterate(self, job: EMJob) -> str:
        control, mailbox = job.control, self._mailbox
        kwargs = job.settings.fit_kwargs()
        if job.start is not None:
            kwargs.update(
                n_components=job.start.n_components,
                covariance_type=job.start.covariance_type,
                weights_init=job.start.weights,
                means_init=job.start.means,
                covariances_init=job.start.covariances,
            )
        max_iter = kwargs.get("max_iter", job.settings.max_iter)
        last_published = -np.inf
        pending: Snapshot | None = None

        def publish_pending(colours: bool = True) -> None:
            nonlocal pending, last_published
            if pending is not None:
                self._publish(job, pending, colours)
                pending, last_published = None, time.monotonic()

        for snapshot in em_steps(job.X, **kwargs):
            if control.cancelled:
                publish_pending()
                return STOPPED
            first = snapshot.iteration == 0
            if not (first and job.first == FIRST_SKIP):
                if not (first and job.first == FIRST_REFRESH):
                    mailbox.record(job.id, job.offset + snapshot.iteration, snapshot.log_likelihood)
                pending = snapshot
                if snapshot.converged:
                    publish_pending()
                elif time.monotonic() - last_published >= FRAME_INTERVAL_S:
                    publish_pending(colours=self._colours_due())
            if snapshot.converged:
                return CONVERGED
            if snapshot.iteration >= max_iter:
                break
            if not control.gate(before_wait=publish_pending):
                publish_pending()  # the state it stopped in is what the user sees
                return STOPPED
        publish_pending()
        return MAX_ITER

    def _colours_due(self) -> bool:
        # Point colours cost about half an EM iteration; while running on big data, recolour
        # only often enough that it takes at most a third of the worker's time. Ellipses,
        # means and the curve still update with every frame.
        return time.monotonic() - self._coloured_at >= COLOUR_COST_RATIO * self._colour_cost

    def _publish(self, job: EMJob, snapshot: Snapshot, colours: bool = True) -> None:
        first = snapshot.iteration == 0
        point_colours = labels = None
        if colours or first:
            started = time.monotonic()
            point_colours, labels = self._point_colours(job, snapshot.mixture)
            self._coloured_at = time.monotonic()
            self._colour_cost = self._coloured_at - started
        self._mailbox.put(
            Frame(
                job_id=job.id,
                snapshot=snapshot,
                iteration=job.offset + snapshot.iteration,
                colours=point_colours,
                labels=labels,
                initial=first and job.first == FIRST_INITIAL,
                refresh=first and job.first == FIRST_REFRESH,
            )
        )

    def _point_colours(self, job: EMJob, mixture: Mixture) -> tuple[np.ndarray, np.ndarray]:
        """Blended colours and hard labels of every point, from the core block kernel.

        Only these compact uint8 arrays cross to the GUI thread, never an N×K matrix.
        """
        if self._block_data is None or self._block_data[0] != job.id:
            self._block_data = (job.id, BlockData(job.X))
        palette = component_colors(mixture.n_components)
        return blended_colors(job.X, mixture, palette, data=self._block_data[1])


class EMController(QObject):
    """Owns the worker thread; starts, pauses, steps and stops EM jobs from the GUI thread.

    Signals
    -------
    frameReady(Frame)
        A new frame to draw (at most about 60 per second).
    jobFinished(str)
        The current job ended (``"converged"``, ``"max_iter"``, ``"stopped"``); its last frame
        has already been delivered.
    jobFailed(str)
        The current job raised; the message is meant for the user.
    """

    frameReady = Signal(object)
    jobFinished = Signal(str)
    jobFailed = Signal(str)
    _submit = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._mailbox = Mailbox()
        self._job: EMJob | None = None
        self._delay = 0.0
        self._thread = QThread()
        self._thread.setObjectName("gmm-studio-em")
        self._worker = EMWorker(self._mailbox)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.jobEnded.connect(self._on_job_ended)
        self._worker.jobFailed.connect(self._on_job_failed)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()
        self._timer = QTimer(self)
        self._timer.setInterval(round(FRAME_INTERVAL_S * 1000))
        self._timer.timeout.connect(self._poll)
        self._shut_down = False
        _LIVE_CONTROLLERS.add(self)

    # -- state ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """True while a job exists (running or paused)."""
        return self._job is not None

    @property
    def running(self) -> bool:
        """True while a job is iterating (not paused)."""
        return self._job is not None and not self._job.control.paused

    @property
    def paused(self) -> bool:
        """True while a job exists and is paused."""
        return self._job is not None and self._job.control.paused

    def is_idle_waiting(self) -> bool:
        """True when the current job is paused and the worker is blocked waiting."""
        return self._job is not None and self._job.control.waiting

    @property
    def thread(self) -> QThread:
        """The worker thread (for tests and diagnostics)."""
        return self._thread

    # -- commands ---------------------------------------------------------------------------
    def start(
        self,
        X: np.ndarray,
        settings: FitSettings,
        *,
        start: Mixture | None = None,
        offset: int = 0,
        first: str = FIRST_INITIAL,
        paused: bool = False,
        steps: int = 0,
    ) -> int:
        """Cancel any current job and start a new one; return its id.

        Parameters
        ----------
        X : ndarray of shape (N, D)
        settings : FitSettings
        start : Mixture, optional
            Start from these parameters instead of initialising.
        offset : int
            Added to the generator's iteration numbers.
        first : {"initial", "refresh", "skip"}
            What to do with the generator's iteration 0.
        paused : bool
            Start paused (the first snapshot is still published unless skipped).
        steps : int
            Iterations allowed while paused.
        """
        if self._shut_down:
            raise RuntimeError("the EM controller has been shut down")
        self._cancel_current()
        job = EMJob(
            id=next(self._ids),
            X=np.array(X, dtype=np.float64),
            settings=settings,
            start=start,
            offset=offset,
            first=first,
            control=JobControl(paused, steps, self._delay),
        )
        self._job = job
        self._mailbox.open(job.id)
        self._submit.emit(job)
        self._timer.start()
        return job.id

    def pause(self) -> None:
        """Pause the current job after the iteration in progress."""
        if self._job is not None:
            self._job.control.set_paused(True)

    def resume(self) -> None:
        """Resume a paused job."""
        if self._job is not None:
            self._job.control.set_paused(False)

    def step(self) -> None:
        """Let a paused job run exactly one more iteration."""
        if self._job is not None:
            self._job.control.add_step()

    def stop(self) -> None:
        """Cancel the current job; :attr:`jobFinished` follows with ``"stopped"``."""
        if self._job is not None:
            self._job.control.cancel()

    def set_speed(self, iterations_per_second: float | None) -> None:
        """Limit the iteration rate; None means as fast as possible."""
        self._delay = 0.0 if not iterations_per_second else 1.0 / iterations_per_second
        if self._job is not None:
            self._job.control.set_delay(self._delay)

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Cancel, stop the thread and wait for it (bounded). Safe to call twice."""
        if self._shut_down:
            return True
        self._shut_down = True
        _LIVE_CONTROLLERS.discard(self)
        with contextlib.suppress(RuntimeError):  # the timer dies with a deleted window
            self._timer.stop()
        self._cancel_current()
        self._job = None
        self._thread.quit()
        finished = self._thread.wait(timeout_ms)
        if not finished:
            print("gmm-studio: the EM thread did not stop in time", file=sys.stderr)
        return finished

    # -- plumbing ---------------------------------------------------------------------------
    def discard(self) -> None:
        """Cancel the current job without announcing it (a new start follows)."""
        self._cancel_current()
        self._timer.stop()

    def _cancel_current(self) -> None:
        if self._job is not None:
            self._job.control.cancel()
            self._job = None
            self._mailbox.open(-1)

    @Slot()
    def _poll(self) -> None:
        frame = self._mailbox.take()
        if frame is not None:
            self.frameReady.emit(frame)

    @Slot(int, str)
    def _on_job_ended(self, job_id: int, reason: str) -> None:
        if self._job is None or job_id != self._job.id:
            return
        self._poll()  # the final snapshot is always shown
        self._job = None
        self._timer.stop()
        self.jobFinished.emit(reason)

    @Slot(int, str)
    def _on_job_failed(self, job_id: int, message: str) -> None:
        if self._job is None or job_id != self._job.id:
            return
        self._poll()
        self._job = None
        self._timer.stop()
        self.jobFailed.emit(message)


def shutdown_all() -> None:
    """Shut down every EM controller still running (called when the application quits)."""
    for controller in list(_LIVE_CONTROLLERS):
        controller.shutdown()


# A script that builds windows without running the event loop never emits aboutToQuit; stop
# the threads before the interpreter tears the controllers down.
atexit.register(shutdown_all)


_LOWERED_THREADS: set[int] = set()
#: Niceness added to the EM thread, so that on a busy machine the GUI thread gets the CPU first.
WORKER_NICENESS = 5


def _lower_this_thread_priority() -> None:
    """Make the calling (worker) thread a little nicer than the GUI thread (Linux only)."""
    tid = threading.get_native_id()
    if tid in _LOWERED_THREADS or not hasattr(os, "setpriority"):
        return
    _LOWERED_THREADS.add(tid)
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + WORKER_NICENESS))


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
