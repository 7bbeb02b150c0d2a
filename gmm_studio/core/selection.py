"""Model selection: a grid of fits over K × covariance type, on both cores, cells streamed back.

Every cell ``(n_components, covariance_type)`` is :func:`gmm_studio.core.restarts.fit_starts`
with the same ``n_init`` and ``seed``, so a cell is exactly what ``gmm_studio.core.fit`` (or
``gmm-studio fit``) gives for those settings. The work is shared where it can be: the data are
checked and prepared once, and the starting clusters of one K and one start are
drawn once and reused by all four covariance types. Results never depend on which worker ran
what, or in which order the cells finish.

The tasks run on worker threads, one per core. Worker processes (a forkserver pool running the
same tasks, ``benchmarks/bench_select.py --backends``) were never faster on the 2-core
development machine and cost a second to start; threads also need no ``__main__`` guard.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core.criteria import CRITERIA
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import (
    CentreSeeding,
    check_data,
    check_fit_size,
    init_sample,
    initial_clusters,
)
from gmm_studio.core.restarts import (
    FitCancelled,
    PreparedData,
    RestartsResult,
    assess,
    check_n_init,
    failed_start,
    restarts_in_original_units,
    restarts_result,
    run_start,
    start_seeds,
)
from gmm_studio.core.settings import FitSettings

#: mclust's names for the models GMM Studio's covariance types fit.
MCLUST_NAMES = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}

#: The K a grid covers unless told otherwise (mclust's default, too).
DEFAULT_N_COMPONENTS = tuple(range(1, 10))


@dataclass(frozen=True)
class GridSettings:
    """What a model-selection grid fits: the K values, the covariance types, the EM settings.

    Parameters mean what they mean in :func:`gmm_studio.core.fit`; ``seed`` None draws fresh
    entropy, fixed once when the settings are made. Invalid values raise FitError.
    """

    n_components: tuple[int, ...] = DEFAULT_N_COMPONENTS
    covariance_types: tuple[str, ...] = cov.COVARIANCE_TYPES
    n_init: int = 1
    init: str = "kmeans++"
    tol: float = 1e-3
    max_iter: int = 1000
    reg_covar: float = 1e-6
    seed: int | None = 0
    #: Fit every cell on z-scored columns, reported in the original units (as
    #: :attr:`FitSettings.standardize`); spherical cells then fail on two or more columns.
    standardize: bool = False

    def __post_init__(self):
        ks = tuple(self.n_components)
        if not ks or any(
            isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1 for k in ks
        ):
            raise FitError("n_components must be whole numbers ≥ 1")
        types = tuple(self.covariance_types)
        if not types:
            raise FitError("at least one covariance type is needed")
        for covariance_type in types:
            cov.check_covariance_type(covariance_type)
        check_n_init(self.n_init)
        object.__setattr__(self, "n_components", tuple(sorted({int(k) for k in ks})))
        object.__setattr__(self, "covariance_types", tuple(dict.fromkeys(types)))
        if self.seed is None:
            object.__setattr__(self, "seed", start_seeds(None, 1)[0])
        self.fit_settings(1, types[0])  # checks init, tol, max_iter, reg_covar and seed

    def fit_settings(self, n_components: int, covariance_type: str) -> FitSettings:
        """The settings of the fit in one cell (and of its first start)."""
        return FitSettings(
            n_components=n_components, covariance_type=covariance_type, init=self.init,
            tol=self.tol, max_iter=self.max_iter, reg_covar=self.reg_covar, seed=self.seed,
        )  # fmt: skip

    def cells(self) -> list[tuple[int, str]]:
        """Every ``(n_components, covariance_type)`` of the grid, in table order."""
        return [(k, t) for k in self.n_components for t in self.covariance_types]


class _Worker:
    """Runs the starts of one K for every covariance type, on data prepared once.

    One per thread: it keeps the k-means++ seeding of each start it has run, to grow it.
    """

    def __init__(self, prepared: PreparedData, settings: GridSettings, cancel):
        self.prepared = prepared
        self.settings = settings
        self.cancel = cancel
        self._seedings: dict[int, CentreSeeding] = {}

    def run(self, n_components: int, index: int, seed: int) -> list:
        """Start ``index`` of K = ``n_components`` for every covariance type of the grid."""
        s = self.settings
        X, w = self.prepared.X, self.prepared.sample_weight
        seeding = self._seedings.get(index)
        if seeding is None or seeding.n_centres > n_components:
            seeding = CentreSeeding(*init_sample(X, seed, w))
            self._seedings[index] = seeding
        clusters = initial_clusters(X, n_components, s.init, seed, seeding, w)
        outcomes = []
        scaling = self.prepared.scaling
        for covariance_type in s.covariance_types:
            if scaling is not None:
                try:
                    scaling.check_covariance_type(covariance_type)
                except FitError as error:
                    outcomes.append(failed_start(index, seed, error))
                    continue
            start = clusters.mixture(covariance_type, s.reg_covar)
            fit_settings = s.fit_settings(n_components, covariance_type)
            try:
                result = run_start(self.prepared, fit_settings, start, cancel=self.cancel)
            except FitError as error:
                outcomes.append(failed_start(index, seed, error, start))
                continue
            outcomes.append(assess(self.prepared, index, seed, result, s.reg_covar, start))
        return outcomes


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def grid_cells(
    X,
    settings: GridSettings,
    *,
    sample_weight=None,
    cancel: threading.Event | None = None,
    workers: int | None = None,
) -> Iterator[RestartsResult]:
    """Fit every cell of the grid, yielding each :class:`RestartsResult` as it completes.

    Parameters
    ----------
    X : array_like, shape (N, D)
    settings : GridSettings
    sample_weight : array_like, shape (N,), optional
        Row weights for every fit (see :class:`gmm_studio.core.run.EMRun`).
    cancel : threading.Event, optional
        Set it (from any thread) to stop: the fits stop between iterations, the worker
        threads end, and the iterator raises :class:`FitCancelled`. Closing the iterator
        (or leaving a loop over it early) stops the work the same way.
    workers : int, optional
        Worker threads (default: one per core this process may use).

    Raises
    ------
    FitError
        Before any work, for data or settings that cannot be fitted (a K above the number of
        points, say).
    FitCancelled
        When ``cancel`` was set.
    """
    X = check_data(X)
    for covariance_type in settings.covariance_types:  # the largest K of each type decides
        check_fit_size(X, max(settings.n_components), covariance_type)
    workers = workers or default_workers()
    n_init = settings.n_init
    seeds = start_seeds(settings.seed, n_init)
    pending = {cell: [None] * n_init for cell in settings.cells()}
    missing = {cell: n_init for cell in pending}
    # Smaller K first: a worker grows the k-means++ seeding of each start it has seen by the
    # centres the next K needs, instead of seeding afresh (see CentreSeeding).
    tasks = [(k, i) for k in settings.n_components for i in range(n_init)]

    # The workers share the cores: each pass runs on its worker's thread (measured with
    # benchmarks/bench_select.py: 2.6 s against 3.1 s with every pass on two threads too).
    prepared = PreparedData(
        X, sample_weight, settings.standardize, max_threads=1 if workers > 1 else None
    )
    stop = threading.Event()
    halt = _AnyOf(stop, cancel)
    local = threading.local()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="gmm-studio-grid")

    def task(k, i, seed):
        if not hasattr(local, "worker"):
            local.worker = _Worker(prepared, settings, halt)
        try:
            return local.worker.run(k, i, seed)
        except FitCancelled:
            return []

    try:
        futures = {pool.submit(task, k, i, seeds[i]): (k, i) for k, i in tasks}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED, timeout=0.1)
            if halt.is_set():
                raise FitCancelled
            for future in done:
                k, i = futures.pop(future)
                outcomes = future.result()
                if not outcomes:  # the worker saw the cancel flag
                    raise FitCancelled
                for covariance_type, outcome in zip(
                    settings.covariance_types, outcomes, strict=True
                ):
                    cell = (k, covariance_type)
                    pending[cell][i] = outcome
                    missing[cell] -= 1
                    if missing[cell] == 0:
                        result = restarts_result(prepared, k, covariance_type, pending.pop(cell))
                        yield restarts_in_original_units(prepared, result)
                        if halt.is_set():
                            raise FitCancelled
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


class _AnyOf:
    """A flag that is set when any of some events (None: never set) is set."""

    def __init__(self, *events):
        self._events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self._events)


@dataclass(frozen=True)
class Selection:
    """A finished grid: every cell, and the best cell for any criterion.

    Attributes
    ----------
    settings : GridSettings
    cells : tuple of RestartsResult
        In table order (K, then covariance type as in the settings).
    """

    settings: GridSettings
    cells: tuple[RestartsResult, ...]

    def cell(self, n_components: int, covariance_type: str) -> RestartsResult:
        for c in self.cells:
            if (c.n_components, c.covariance_type) == (n_components, covariance_type):
                return c
        raise KeyError((n_components, covariance_type))

    def best(self, criterion: str = "bic") -> RestartsResult | None:
        """The cell with the lowest ``criterion`` (scikit-learn's sign: lower is better).

        Cells whose fit has a degenerate component are chosen only when every cell has one,
        as mclust reports such fits as missing; failed cells never. Among equal values the
        first cell in table order wins. None when every cell failed.
        """
        if criterion not in CRITERIA:
            raise FitError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}")
        done = [c for c in self.cells if not c.failed and math.isfinite(c.criterion(criterion))]
        pool = [c for c in done if not c.degenerate] or done
        return min(pool, key=lambda c: c.criterion(criterion), default=None)


def select_model(
    X,
    settings: GridSettings,
    *,
    sample_weight=None,
    on_cell: Callable[[RestartsResult], None] | None = None,
    cancel: threading.Event | None = None,
    workers: int | None = None,
) -> Selection:
    """Fit the whole grid (see :func:`grid_cells`) and return the :class:`Selection`.

    ``on_cell`` is called with each cell as it completes (in completion order).
    """
    done = {}
    cells = grid_cells(X, settings, sample_weight=sample_weight, cancel=cancel, workers=workers)
    for cell in cells:
        done[(cell.n_components, cell.covariance_type)] = cell
        if on_cell is not None:
            on_cell(cell)
    return Selection(settings, tuple(done[c] for c in settings.cells()))


def parse_n_components(text: str) -> tuple[int, ...]:
    """K values from ``"1-9"``, ``"2,3,5"`` or a mix such as ``"1-3,6"``.

    Raises
    ------
    FitError
        For anything else, saying what was wrong.
    """
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        try:
            if dash:
                a, b = int(low), int(high)
                if a > b:
                    raise ValueError
                values.extend(range(a, b + 1))
            else:
                values.append(int(part))
        except ValueError:
            raise FitError(
                f"not a list of K values: {text!r} (use a range such as 1-9 or a list such as "
                "2,3,5)"
            ) from None
    if any(v < 1 for v in values):
        raise FitError(f"K values must be at least 1: {text!r}")
    return tuple(sorted(set(values)))
