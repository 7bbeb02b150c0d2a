"""The fit of one document: data, settings, start, the run's full history, the state.

Everything a view shows about the fit is read from :class:`FitModel`; every change is asked
of it through its methods, and it tells its observers what changed (:class:`Change`). The
EM iterations themselves are done by a :class:`gmm_studio.core.EMRun` that the model hands
out (:meth:`FitModel.continuation`): the window's worker thread steps it and gives the
snapshots back (:meth:`FitModel.record`); scripts and tests step the model directly
(:meth:`FitModel.step`, :meth:`FitModel.half_step`, :meth:`FitModel.run_to_convergence`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from gmm_studio.core import EMRun, FitError, FitSettings, Locks, Mixture, Phase, Snapshot
from gmm_studio.core.run import check_start

#: Settings whose change needs a new start (the others only steer the iterations).
START_SETTINGS = ("n_components", "covariance_type", "init", "seed", "standardize")


class FitState(enum.Enum):
    """Where the fit stands. The values are what the status bar shows."""

    EMPTY = "waiting for points"
    INITIALISING = "initialising"
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    CONVERGED = "converged"
    ERROR = "error"


class EventKind(enum.Enum):
    """Something that happened between two entries of the history."""

    DATA_EDITED = "data edited"
    PARAMETERS_DRAGGED = "parameters dragged"
    SETTINGS_CHANGED = "settings changed"

    @property
    def new_segment(self) -> bool:
        """True when the log-likelihoods after the event are of other data or parameters."""
        return self is not EventKind.SETTINGS_CHANGED


@dataclass(frozen=True)
class HistoryEvent:
    """An event in the history: it happened just before entry ``index``.

    Attributes
    ----------
    kind : EventKind
    index : int
        Position in :attr:`FitModel.history` of the first entry after the event (equal to the
        history's length while that entry is still being computed).
    iteration : int
        The iteration the fit was at.
    description : str
        What happened, in words (for a marker's tooltip).
    """

    kind: EventKind
    index: int
    iteration: int
    description: str = ""


class Change(enum.Flag):
    """What a notification is about."""

    DATA = enum.auto()
    SETTINGS = enum.auto()
    HISTORY = enum.auto()  # entries added or dropped, the current entry moved
    STATE = enum.auto()
    #: The run handed out by :meth:`FitModel.continuation` no longer describes the fit (the
    #: data, settings, locks, start or current entry changed): drive a new one.
    RUN = enum.auto()


@dataclass(frozen=True)
class Branch:
    """History dropped by :meth:`FitModel.branch`, kept so that the branch can be undone."""

    position: int
    entries: tuple[Snapshot, ...]
    events: tuple[HistoryEvent, ...]


@dataclass(frozen=True)
class SavedFit:
    """A fit as a session keeps it: enough to reopen it exactly as it was.

    Attributes
    ----------
    start : Mixture or None
    history : tuple of Snapshot
    events : tuple of HistoryEvent
    position : int
        Index of the current entry (-1 without history).
    state : FitState
    locks : Locks or None
    """

    start: Mixture | None
    history: tuple[Snapshot, ...] = ()
    events: tuple[HistoryEvent, ...] = ()
    position: int = -1
    state: FitState = FitState.PAUSED
    locks: Locks | None = None

    @property
    def mixture(self) -> Mixture | None:
        """The current parameters (the start if nothing was evaluated)."""
        return self.history[self.position].mixture if self.history else self.start


Observer = Callable[["FitModel", Change], None]


def _weights_of(sample_weight, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as a read-only float64 array of ``n_samples``, or None."""
    if sample_weight is None:
        return None
    weights = np.array(sample_weight, dtype=np.float64).reshape(-1)
    if len(weights) != n_samples:
        raise FitError(f"{len(weights)} sample weights for {n_samples} points")
    weights.flags.writeable = False
    return weights


def _frozen(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise FitError(f"the data must be a table of points, not an array of shape {X.shape}")
    if X.flags.writeable:
        X = X.copy()
        X.flags.writeable = False
    return X


class FitModel:
    """The fit of a data set: one owner for the data it runs on, settings, start and history.

    Parameters
    ----------
    X : array_like, shape (N, D)
        The data (kept read-only; a read-only array is used without copying).
    settings : FitSettings, optional

    Notes
    -----
    The history keeps every evaluated snapshot (parameters and log-likelihood: K·D² numbers
    per iteration for full covariances). The *current* entry is the last one, or an earlier
    one after :meth:`rewind`; continuing from an earlier one :meth:`branch`\\ es, dropping
    the later ones (undoably, with :meth:`restore`).
    """

    def __init__(self, X, settings: FitSettings | None = None, *, sample_weight=None) -> None:
        self._X = _frozen(X)
        self._weights = _weights_of(sample_weight, len(self._X))
        self._settings = settings if settings is not None else FitSettings()
        if not isinstance(self._settings, FitSettings):
            raise FitError("a fit needs FitSettings")
        self._observers: list[Observer] = []
        self._message = ""
        self._note = ""
        self._run: EMRun | None = None
        self._full = None
        self._trace_cache = (None, np.zeros(0), np.zeros(0))
        self._clear()

    # -- reading ----------------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The data the fit runs on, shape (N, D), read-only."""
        return self._X

    @property
    def sample_weight(self) -> np.ndarray | None:
        """The weight of each point, shape (N,), or None (every point counts once)."""
        return self._weights

    @property
    def full_data(self):
        """Where the fit runs when its points are a sample of larger data, or None.

        An object with ``run(settings, start, iteration=, resumed_from=, locks=)`` giving
        each :class:`EMRun`, and ``cancel()``, ``resume()`` and ``cancelled`` for the pass in
        progress (see :class:`gmm_studio.cluster.full_data.ClusterData`); the history's
        log-likelihoods are those of the full data.
        """
        return self._full

    @property
    def settings(self) -> FitSettings:
        return self._settings

    @property
    def locks(self) -> Locks:
        """Parameters the M-step keeps."""
        return self._locks

    @property
    def start(self) -> Mixture | None:
        """The parameters EM started from (what :meth:`reset` returns to)."""
        return self._start

    @property
    def history(self) -> tuple[Snapshot, ...]:
        """Every evaluated snapshot of the fit, in order."""
        return tuple(self._history)

    @property
    def events(self) -> tuple[HistoryEvent, ...]:
        """What happened between entries of the history."""
        return tuple(self._events)

    @property
    def position(self) -> int:
        """Index of the current entry in :attr:`history` (-1 with no history)."""
        return self._position

    @property
    def current(self) -> Snapshot | None:
        """The parameters shown: the current entry, or an M half-step not yet evaluated."""
        if self._pending is not None:
            return self._pending
        return self._history[self._position] if self._history else None

    @property
    def evaluated(self) -> Snapshot | None:
        """The current entry of the history (the last evaluated snapshot at or before it)."""
        return self._history[self._position] if self._history else None

    @property
    def mixture(self) -> Mixture | None:
        """The parameters shown, if any."""
        current = self.current
        return None if current is None else current.mixture

    @property
    def iteration(self) -> int:
        """The iteration of the parameters shown (0 without a fit)."""
        current = self.current
        return 0 if current is None else current.iteration

    @property
    def state(self) -> FitState:
        return self._state

    @property
    def message(self) -> str:
        """Why the fit is in ERROR, or a note on why it stopped ("max_iter reached")."""
        return self._message if self._state is FitState.ERROR else self._note

    @property
    def at_end(self) -> bool:
        """True when the current entry is the last one (nothing to branch away)."""
        return self._position == len(self._history) - 1

    @property
    def next_phase(self) -> Phase | None:
        """The half of an iteration a step does next (None without parameters).

        After an evaluated entry the M-step is next (new parameters, the colours stay); after
        an M-step, or once the data or parameters changed by hand, the E-step (new colours
        and log-likelihood, the parameters stay).
        """
        current = self.current
        if current is None:
            return None
        if self._needs_evaluation or not current.evaluated:
            return Phase.EXPECTATION
        return Phase.MAXIMIZATION

    @property
    def can_continue(self) -> bool:
        """True when Run or Step would do an iteration."""
        return self._state in (
            FitState.READY, FitState.RUNNING, FitState.PAUSED, FitState.STOPPED
        ) and self.current is not None  # fmt: skip

    @property
    def enough_points(self) -> bool:
        """True when there are at least as many points as components."""
        return self._X.shape[0] >= max(1, self._settings.n_components)

    def segments(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(iterations, total log-likelihoods) of the history, split where data or parameters
        were changed by hand: each piece is one stretch of EM on unchanged data."""
        iterations, totals = self._trace()
        cuts = sorted({e.index for e in self._events if e.kind.new_segment})
        pieces, begin = [], 0
        for cut in [*cuts, len(self._history)]:
            if cut > begin:
                pieces.append((iterations[begin:cut], totals[begin:cut]))
            begin = max(begin, cut)
        return pieces

    def _trace(self) -> tuple[np.ndarray, np.ndarray]:
        """Iterations and log-likelihoods of the history (kept and extended between calls:
        a live curve asks for them on every frame)."""
        history, (known, iterations, totals) = self._history, self._trace_cache
        if known is not history or len(iterations) > len(history):
            known, iterations, totals = history, np.zeros(0), np.zeros(0)
        if len(iterations) < len(history):
            new = history[len(iterations) :]
            iterations = np.concatenate([iterations, [s.iteration for s in new]])
            totals = np.concatenate([totals, [s.log_likelihood for s in new]])
        self._trace_cache = (known, iterations, totals)
        return iterations, totals

    # -- observers --------------------------------------------------------------------------
    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(model, change)`` after every change; returns the unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _notify(self, change: Change) -> None:
        if Change.RUN in change:
            self._run = None
        for observer in list(self._observers):
            observer(self, change)

    # -- changes ----------------------------------------------------------------------------
    def set_data(self, X, description: str = "points edited", *, sample_weight=None) -> None:
        """Fit other data: EM continues from the current parameters on it.

        The history gets a :attr:`EventKind.DATA_EDITED` event; the next entry is the current
        parameters evaluated on the new data (a new segment of the curve). A converged fit
        runs again; a paused or stopped one waits. Too few points forget the fit; another
        number of columns starts a new one. ``sample_weight`` weighs the new points (None:
        each counts once).
        """
        X = _frozen(X)
        self._weights = _weights_of(sample_weight, len(X))
        self._full = None  # edited points are a data set of their own
        same_columns = X.shape[1] == self._X.shape[1]
        self._X = X
        if not same_columns or self.current is None or not self.enough_points:
            self._clear()
            self._notify(Change.DATA | Change.HISTORY | Change.STATE | Change.RUN)
            return
        self._add_event(EventKind.DATA_EDITED, description)
        self._needs_evaluation = True
        if self._state in (FitState.CONVERGED, FitState.ERROR):
            self._state = FitState.RUNNING if self._state is FitState.CONVERGED else FitState.PAUSED
        self._note = ""
        self._notify(Change.DATA | Change.HISTORY | Change.STATE | Change.RUN)

    def set_settings(self, settings: FitSettings) -> None:
        """Change the settings; a change of K, covariance type, init or seed starts afresh."""
        if not isinstance(settings, FitSettings):
            raise FitError("a fit needs FitSettings")
        if settings == self._settings:
            return
        old, self._settings = self._settings, settings
        if self.current is None or any(
            getattr(old, name) != getattr(settings, name) for name in START_SETTINGS
        ):
            self._clear()
        else:
            self._add_event(EventKind.SETTINGS_CHANGED, "settings changed")
            if self._state is FitState.CONVERGED:
                still = abs(self.evaluated.change) < settings.tol
                self._state = FitState.CONVERGED if still else FitState.STOPPED
            self._note = ""
        self._notify(Change.SETTINGS | Change.HISTORY | Change.STATE | Change.RUN)

    def set_fit(
        self, settings: FitSettings, mixture: Mixture, description: str = ""
    ) -> tuple[FitSettings, SavedFit]:
        """Start afresh from ``mixture`` with ``settings`` (another K, a chosen fit): one change.

        With a ``description`` (components merged or split by hand) the new history begins
        with a :attr:`EventKind.PARAMETERS_DRAGGED` event saying so. Returns the settings and
        the fit as they were, for :meth:`load` to put them back.
        """
        if not isinstance(settings, FitSettings):
            raise FitError("a fit needs FitSettings")
        check_start(mixture, settings, self._X.shape[1])
        if self._X.shape[0] < mixture.n_components:
            raise FitError(f"{mixture.n_components} components need at least as many points")
        before = (self._settings, self.saved())
        self._settings = settings
        self._clear()
        self._start = mixture
        if description:
            self._events.append(HistoryEvent(EventKind.PARAMETERS_DRAGGED, 0, 0, description))
        n = self._X.shape[0]
        self._pending = Snapshot(0, mixture, math.nan, math.nan, math.nan, False, n)
        self._needs_evaluation = True
        self._notify(Change.SETTINGS | Change.HISTORY | Change.STATE | Change.RUN)
        return before

    def next_start_settings(self) -> FitSettings:
        """The settings of a new start: the next seed (give them to :meth:`set_settings`)."""
        seed = 0 if self._settings.seed is None else (self._settings.seed + 1) % (2**31 - 1)
        return self._settings.replace(seed=seed)

    def set_locks(self, locks: Locks) -> None:
        """Hold other parameters fixed from the next M-step on."""
        if locks.n_components != self._settings.n_components:
            raise FitError(f"the locks are for {locks.n_components} components")
        self._locks = locks
        self._notify(Change.RUN)

    def set_parameters(self, mixture: Mixture, description: str = "parameters dragged") -> None:
        """Put other parameters in place by hand (a dragged mean); EM continues from them."""
        if self.current is None:
            raise FitError("there is no fit whose parameters could change")
        check_start(mixture, self._settings, self._X.shape[1])
        self._add_event(EventKind.PARAMETERS_DRAGGED, description)
        nan = math.nan
        n = self._X.shape[0]
        self._pending = Snapshot(self.iteration, mixture, nan, nan, nan, False, n)
        self._needs_evaluation = True
        if self._state in (FitState.CONVERGED, FitState.ERROR):
            self._state = FitState.PAUSED
        self._notify(Change.HISTORY | Change.STATE | Change.RUN)

    def reset(self) -> None:
        """Back to the start: the history begins again with the start on the current data."""
        if self._start is None:
            return
        n = self._X.shape[0]
        self._history, self._events, self._position = [], [], -1
        self._pending = Snapshot(0, self._start, math.nan, math.nan, math.nan, False, n)
        self._needs_evaluation = True
        self._state = FitState.INITIALISING
        self._note = self._message = ""
        self._notify(Change.HISTORY | Change.STATE | Change.RUN)

    def rewind(self, index: int) -> None:
        """Show entry ``index`` of the history; the later ones stay until :meth:`branch`."""
        if not 0 <= index < len(self._history):
            raise FitError(f"there is no entry {index} in a history of {len(self._history)}")
        self._position = index
        self._pending = None
        # The entry was evaluated on other data if the data were edited after it.
        self._needs_evaluation = any(
            e.kind is EventKind.DATA_EDITED and e.index > index for e in self._events
        )
        last = index == len(self._history) - 1
        converged = last and self._history[index].converged and not self._needs_evaluation
        self._state = FitState.CONVERGED if converged else FitState.PAUSED
        self._note = ""
        self._notify(Change.HISTORY | Change.STATE | Change.RUN)

    def branch(self) -> Branch | None:
        """Drop the entries after the current one (to continue from it); None if none are."""
        dropped = self._cut()
        if dropped is not None:
            self._notify(Change.HISTORY | Change.RUN)
        return dropped

    def _cut(self) -> Branch | None:
        if self.at_end:
            return None
        position = self._position
        dropped = Branch(
            position,
            tuple(self._history[position + 1 :]),
            tuple(e for e in self._events if e.index > position),
        )
        self._history = self._history[: position + 1]  # a new list: see _trace
        self._events = [e for e in self._events if e.index <= position]
        return dropped

    def restore(self, branch: Branch) -> None:
        """Undo :meth:`branch`: the dropped entries come back (anything computed since goes)."""
        position = branch.position
        if position >= len(self._history):
            raise FitError("this branch does not belong to the current history")
        self._history = self._history[: position + 1] + list(branch.entries)
        self._events = [e for e in self._events if e.index <= position] + list(branch.events)
        self._pending = None
        self._rewound_to(len(self._history) - 1)

    def _rewound_to(self, index: int) -> None:
        self._position = -1
        self.rewind(index)

    # -- running ----------------------------------------------------------------------------
    def run(self) -> None:
        """Mark the fit running (the driver then steps :meth:`continuation`)."""
        if self._state is FitState.INITIALISING or self.can_continue:
            self._set_state(FitState.RUNNING)

    def pause(self) -> None:
        """Mark the fit paused (a driver finishes the iteration in progress, then waits)."""
        if self._state in (FitState.RUNNING, FitState.READY, FitState.STOPPED):
            self._set_state(FitState.PAUSED)

    def stop(self) -> None:
        """Mark the fit stopped; Run continues from the current parameters."""
        if self._state in (FitState.RUNNING, FitState.PAUSED):
            self._set_state(FitState.STOPPED)

    def halt(self, converged: bool) -> None:
        """The driver found nothing left to do: EM converged, or reached ``max_iter``."""
        if self._state is FitState.RUNNING:
            if not converged:
                self._note = "max_iter reached"
            self._set_state(FitState.CONVERGED if converged else FitState.STOPPED)

    def fail(self, message: str) -> None:
        """EM raised: show ``message``; the data and the history stay as they are."""
        self._message = message
        self._set_state(FitState.ERROR)

    def continuation(self) -> EMRun:
        """A run that continues the fit from the current parameters on the current data.

        Raises
        ------
        FitError
            With too few points (:class:`EMRun` checks them), or when the current entry is
            not the last (:meth:`branch` first).
        """
        if not self.at_end:
            raise FitError("continuing from an earlier iteration needs a branch first")
        X, settings, locks, weights = self._X, self._settings, self._locks, self._weights
        current = self.current
        if self._full is not None:
            if current is None:
                return self._full.run(settings, locks=locks)
            if self._needs_evaluation or not current.evaluated:
                return self._full.run(
                    settings, current.mixture, iteration=current.iteration, locks=locks
                )
            return self._full.run(settings, resumed_from=current, locks=locks)
        if current is None:
            return EMRun(X, settings, sample_weight=weights)
        if self._needs_evaluation or not current.evaluated:
            return EMRun(
                X, settings, current.mixture, iteration=current.iteration, locks=locks,
                sample_weight=weights,
            )  # fmt: skip
        return EMRun(X, settings, resumed_from=current, locks=locks, sample_weight=weights)

    def record(self, *snapshots: Snapshot) -> None:
        """Take snapshots of the run from :meth:`continuation` into the history, in order."""
        if not snapshots:
            return
        for snapshot in snapshots:
            self._take(snapshot)
        self._notify(Change.HISTORY | Change.STATE)

    def _take(self, snapshot: Snapshot) -> None:
        if not snapshot.evaluated:
            self._pending = snapshot
            return
        if self._start is None:
            self._start = snapshot.mixture
        self._history.append(snapshot)
        self._position = len(self._history) - 1
        self._pending = None
        self._needs_evaluation = False
        state = self._state
        if state is FitState.INITIALISING:
            self._state = FitState.READY
        if snapshot.converged:
            self._state = FitState.CONVERGED
        elif state is FitState.RUNNING and snapshot.iteration >= self._settings.max_iter:
            self._state, self._note = FitState.STOPPED, "max_iter reached"

    # -- stepping here (scripts, tests, teaching) --------------------------------------------
    def step(self) -> Snapshot:
        """One EM iteration in the calling thread (see :meth:`EMRun.step`)."""
        return self._drive(EMRun.step)

    def half_step(self) -> Snapshot:
        """The E-step or the M-step, whichever is due (see :meth:`EMRun.half_step`)."""
        return self._drive(EMRun.half_step)

    def run_to_convergence(self) -> Snapshot:
        """Iterate in the calling thread until EM converges or reaches ``max_iter``."""
        self.run()
        snapshot = self.current
        while self._state is FitState.RUNNING:
            snapshot = self._drive(EMRun.step, keep_state=True)
        return snapshot

    def _drive(self, how, keep_state: bool = False) -> Snapshot:
        self.branch()
        if self._run is None:
            self._run = self.continuation()
        run = self._run
        if run.finished:
            raise FitError("EM has finished: change the data or settings, or reset")
        try:
            snapshot = how(run)
        except FitError as error:
            self.fail(str(error))
            raise
        self.record(snapshot)
        if run.finished and self._state is FitState.RUNNING:
            self._state, self._note = FitState.STOPPED, "max_iter reached"
        stepped = snapshot.iteration > 0 or not snapshot.evaluated
        if not keep_state and stepped and self._state in (FitState.READY, FitState.RUNNING):
            self._set_state(FitState.PAUSED)
        return snapshot

    # -- saving and restoring ---------------------------------------------------------------
    def saved(self) -> SavedFit:
        """What a session keeps of this fit (a half-step not yet evaluated is not kept)."""
        return SavedFit(
            self._start, tuple(self._history), tuple(self._events), self._position,
            self._state, self._locks if self._locks.any else None,
        )  # fmt: skip

    def load(
        self,
        X,
        settings: FitSettings,
        saved: SavedFit | None = None,
        *,
        sample_weight=None,
        full_data=None,
    ) -> None:
        """Become the fit of other data (a file, a session): one notification of everything.

        With ``full_data`` (see :attr:`full_data`), ``X`` is a sample of the data fitted.

        Raises
        ------
        FitError
            When ``saved`` does not fit the data and settings; nothing changes then.
        """
        if saved is None:
            other = FitModel(X, settings, sample_weight=sample_weight)
        else:
            other = FitModel.restore_saved(
                X, settings, start=saved.start, history=saved.history, events=saved.events,
                position=saved.position, state=saved.state, locks=saved.locks,
                sample_weight=sample_weight,
            )  # fmt: skip
        observers = self._observers
        self.__dict__.update(other.__dict__)
        self._observers = observers
        self._full = full_data
        self._notify(Change.DATA | Change.SETTINGS | Change.HISTORY | Change.STATE | Change.RUN)

    @classmethod
    def restore_saved(
        cls,
        X,
        settings: FitSettings,
        *,
        start: Mixture | None,
        history: Iterable[Snapshot],
        events: Iterable[HistoryEvent] = (),
        position: int | None = None,
        state: FitState = FitState.PAUSED,
        locks: Locks | None = None,
        sample_weight=None,
    ) -> FitModel:
        """A model as it was saved; raises FitError when the parts do not fit together."""
        model = cls(X, settings, sample_weight=sample_weight)
        if position is not None and position < 0:
            position = None
        history = list(history)
        d = model._X.shape[1]
        for mixture in [*([start] if start is not None else []), *(s.mixture for s in history)]:
            check_start(mixture, settings, d)
        if history and start is None:
            raise FitError("a fit with a history needs its start")
        if any(not s.evaluated for s in history):
            raise FitError("every saved iteration needs its log-likelihood")
        position = len(history) - 1 if position is None else position
        if history and not 0 <= position < len(history):
            raise FitError(f"the current iteration {position} is not in the history")
        events = list(events)
        if any(not 0 <= e.index <= len(history) for e in events):
            raise FitError("an event lies outside the history")
        if not model.enough_points and (history or start is not None):
            raise FitError(f"a fit of {settings.n_components} components needs as many points")
        model._locks = locks if locks is not None else Locks.none(settings.n_components)
        if model._locks.n_components != settings.n_components:
            raise FitError("the locks are for another number of components")
        model._start = start
        model._history, model._events = history, events
        model._position = position if history else -1
        if history:
            model._needs_evaluation = any(
                e.kind is EventKind.DATA_EDITED and e.index > position for e in events
            )
            running = state in (FitState.RUNNING, FitState.INITIALISING)
            model._state = FitState.PAUSED if running else state
            if state is FitState.STOPPED and history[position].iteration >= settings.max_iter:
                model._note = "max_iter reached"
        elif start is not None:
            model._pending = Snapshot(0, start, math.nan, math.nan, math.nan, False, len(model._X))
            model._state = FitState.INITIALISING
        return model

    # -- internals --------------------------------------------------------------------------
    def _clear(self) -> None:
        self._start = None
        self._history: list[Snapshot] = []
        self._events: list[HistoryEvent] = []
        self._position = -1
        self._pending: Snapshot | None = None
        self._needs_evaluation = False
        self._locks = Locks.none(self._settings.n_components)
        self._message = self._note = ""
        self._state = FitState.INITIALISING if self.enough_points else FitState.EMPTY

    def _add_event(self, kind: EventKind, description: str) -> None:
        self._cut()
        self._events.append(HistoryEvent(kind, len(self._history), self.iteration, description))

    def _set_state(self, state: FitState) -> None:
        if state is not self._state:
            self._state = state
            if state is not FitState.ERROR:
                self._note = "" if state is not FitState.STOPPED else self._note
            self._notify(Change.STATE)
