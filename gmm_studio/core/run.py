"""A resumable EM run: start from any mixture at any iteration, step, half-step, stop anywhere.

:class:`EMRun` is the one EM loop of GMM Studio. The command line's ``fit`` drains it
(:func:`fit`), the window's worker thread steps it, the fit model
(:mod:`gmm_studio.model`) makes a new one whenever the data, the settings or the start change.
Each iteration is one pass of :func:`gmm_studio.core.em.em_pass` over the data.

An iteration is an E-step (responsibilities of the points under the current mixture; its
by-product is the current log-likelihood) followed by an M-step (the parameters those
responsibilities imply). :meth:`EMRun.half_step` does one of the two. The block kernel
gathers the M-step's statistics in the same pass as the E-step, so the E half-step already
holds the next parameters and the M half-step publishes them: two half-steps are exactly one
:meth:`EMRun.step`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gmm_studio.core.blockwise import BlockData, check_sample_weight
from gmm_studio.core.em import COLLAPSE_RATIO, check_not_collapsed, em_pass, log_likelihood_pass
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import check_data, check_fit_size, initialize
from gmm_studio.core.locks import Locks
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.settings import FitSettings
from gmm_studio.core.standardize import Standardization

#: The default ``max_iter`` of :func:`em_steps` and :func:`fit`.
MAX_ITER = 1000

#: ``(X, mixture, reg_covar, data, locks) -> (log_likelihood, next_mixture)``, as
#: :func:`gmm_studio.core.em.em_pass` and :func:`gmm_studio.core.reference.reference_em_pass`.
EMPass = Callable[..., tuple[float, Mixture]]


@dataclass(frozen=True)
class Snapshot:
    """The state of EM at one iteration. Immutable, safe to share between threads.

    Attributes
    ----------
    iteration : int
        0 for the starting parameters, then the number of EM iterations done.
    mixture : Mixture
        The parameters after ``iteration`` iterations.
    log_likelihood : float
        Total log-likelihood of the data under ``mixture``; NaN right after an M half-step,
        before the E-step has evaluated the new parameters.
    mean_log_likelihood : float
        ``log_likelihood / n_samples``.
    change : float
        Change of the mean log-likelihood since the previous snapshot of the same run (NaN
        for a run's first snapshot).
    converged : bool
        True when ``abs(change) < tol``; EM stops after such a snapshot.
    n_samples : int
    """

    iteration: int
    mixture: Mixture
    log_likelihood: float
    mean_log_likelihood: float
    change: float
    converged: bool
    n_samples: int

    @property
    def evaluated(self) -> bool:
        """False for the parameters of an M half-step whose E-step has not run yet."""
        return not math.isnan(self.log_likelihood)


class Phase(enum.Enum):
    """Which half of an iteration a run does next."""

    EXPECTATION = "E-step"
    MAXIMIZATION = "M-step"


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`: the final mixture and how EM got there."""

    mixture: Mixture
    log_likelihood_trace: tuple[float, ...]
    n_iter: int
    converged: bool
    n_samples: int

    @property
    def weights(self) -> np.ndarray:
        return self.mixture.weights

    @property
    def means(self) -> np.ndarray:
        return self.mixture.means

    @property
    def covariances(self) -> np.ndarray:
        return self.mixture.covariances

    @property
    def covariance_type(self) -> str:
        return self.mixture.covariance_type

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the data under the final mixture."""
        return self.log_likelihood_trace[-1]

    @property
    def mean_log_likelihood(self) -> float:
        """Mean per-sample log-likelihood under the final mixture."""
        return self.log_likelihood / self.n_samples


def check_start(start: Mixture, settings: FitSettings, n_features: int) -> None:
    """Raise FitError unless ``start`` has the settings' K and covariance type and D features."""
    if start.n_components != settings.n_components or start.n_features != n_features:
        raise FitError(
            f"the starting parameters describe {start.n_components} components in "
            f"{start.n_features} dimensions, but the fit asks for {settings.n_components} "
            f"components on {n_features}-dimensional data"
        )
    if start.covariance_type != settings.covariance_type:
        raise FitError(
            f"the starting parameters have {start.covariance_type} covariances, but the fit "
            f"asks for {settings.covariance_type}"
        )


class EMRun:
    """EM on fixed data with fixed settings, from a given mixture at a given iteration.

    Parameters
    ----------
    X : array_like, shape (N, D)
        The data; checked once here (:func:`check_data`), unless ``data`` is given.
    settings : FitSettings
        Validated settings. ``n_components``, ``covariance_type``, ``init`` and ``seed``
        describe the start when none is given; ``tol``, ``max_iter`` and ``reg_covar`` steer
        the iterations.
    start : Mixture, optional
        The parameters at ``iteration``. Without one, the first step draws a start from the
        settings (``init``, ``seed``), in the thread that steps the run.
    iteration : int
        The iteration ``start`` belongs to; ``max_iter`` counts from 0, not from here.
    resumed_from : Snapshot, optional
        The already evaluated snapshot of ``start`` on these data: the run then continues as
        if it had never been interrupted (the next change is measured from it, and it is not
        reported again). Its mixture and iteration replace ``start`` and ``iteration``.
    locks : Locks, optional
        Parameters the M-step keeps.
    em_pass : callable, optional
        The pass each iteration runs (default :func:`gmm_studio.core.em.em_pass`; tests and
        benchmarks pass the oracle :func:`gmm_studio.core.reference.reference_em_pass`).
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights: row i counts ``sample_weight[i]`` times in the E-step, the
        M-step and the log-likelihood (an integer weight is the same as repeating the row).
        The mean log-likelihood is then per unit of weight.
    data : BlockData, optional
        The data already checked and prepared for ``em_pass``, with their weights: a
        :class:`~gmm_studio.core.blockwise.BlockData` of ``X``, or
        :class:`gmm_studio.cluster.passes.ChunkedData` with the cluster's pass. ``X`` and
        ``sample_weight`` are then not looked at. A run on a cluster's data needs a start
        (drawing one needs rows in memory: see :func:`gmm_studio.cluster.em.cluster_start`).

    Raises
    ------
    FitError
        For data that cannot be fitted, a start that does not match the settings or the data,
        or locks for another number of components.
    """

    def __init__(
        self,
        X,
        settings: FitSettings,
        start: Mixture | None = None,
        *,
        iteration: int = 0,
        resumed_from: Snapshot | None = None,
        locks: Locks | None = None,
        em_pass: EMPass = em_pass,
        sample_weight=None,
        data=None,
    ) -> None:
        if not isinstance(settings, FitSettings):
            raise FitError("a run needs FitSettings")
        if data is None:
            data = prepared_data(X, settings, sample_weight)
        elif settings.standardize:
            raise FitError("a standardized fit needs its data in memory")
        if resumed_from is not None:
            start, iteration = resumed_from.mixture, resumed_from.iteration
        if start is not None:
            check_start(start, settings, data.X.shape[1])
        elif not isinstance(data.X, np.ndarray):
            raise FitError("a run on prepared data needs a start")
        if not isinstance(iteration, int) or iteration < 0:
            raise FitError(f"a run starts at a whole iteration number ≥ 0, not {iteration!r}")
        #: The data as given (what :attr:`X` and :attr:`block_data` are).
        self._given = data
        #: With ``settings.standardize`` the run works on z-scores: ``_data``, ``_mixture``
        #: and ``_current`` are in them, and what it reports is mapped back (module notes of
        #: :mod:`gmm_studio.core.standardize`).
        self._scaling = None
        if settings.standardize:
            self._scaling = Standardization.of(data.X, data.sample_weight)
            self._scaling.check_covariance_type(settings.covariance_type)
            data = BlockData(self._scaling.transform(data.X), data.sample_weight)
            if resumed_from is not None:
                resumed_from = self._scaling.snapshot_to_z(resumed_from, data.total_weight)
                start = resumed_from.mixture
            elif start is not None:
                start = self._scaling.inverse().to_original(start)
        self._settings = settings
        self._data = data
        self._floor = COLLAPSE_RATIO * float(np.max(self._data.variance))
        self._pass = em_pass
        self._mixture = start
        self._iteration = iteration
        self.set_locks(locks)
        if resumed_from is not None:  # the settings' tol may have changed since
            converged = abs(resumed_from.change) < settings.tol
            resumed_from = dataclasses.replace(resumed_from, converged=bool(converged))
        # The evaluated snapshot of the current mixture, and the M-step's result for it.
        self._current: Snapshot | None = resumed_from
        self._next: Mixture | None = None
        self._previous_mean = math.nan if resumed_from is None else resumed_from.mean_log_likelihood
        self._reported = resumed_from is not None

    # -- state ------------------------------------------------------------------------------
    @property
    def X(self) -> np.ndarray:
        """The data, shape (N, D), as given (not standardized)."""
        return self._given.X

    @property
    def block_data(self) -> BlockData:
        """The data as given, prepared for the block kernel (reusable by other passes over
        them, with the mixtures this run reports)."""
        return self._given

    @property
    def em_pass(self) -> EMPass:
        """The pass each iteration runs (see the class's parameters)."""
        return self._pass

    @property
    def settings(self) -> FitSettings:
        return self._settings

    @property
    def locks(self) -> Locks:
        return self._locks

    @property
    def mixture(self) -> Mixture | None:
        """The current parameters (None until a run without a start has drawn one)."""
        if self._mixture is None or self._scaling is None:
            return self._mixture
        return self._scaling.to_original(self._mixture)

    @property
    def iteration(self) -> int:
        """The iteration the current parameters belong to."""
        return self._iteration

    @property
    def phase(self) -> Phase:
        """The half-step :meth:`half_step` does next."""
        return Phase.MAXIMIZATION if self._reported else Phase.EXPECTATION

    @property
    def converged(self) -> bool:
        """True once a snapshot's change fell below ``tol``."""
        return self._current is not None and self._current.converged

    @property
    def finished(self) -> bool:
        """True when EM stops here: converged, or ``max_iter`` iterations done and evaluated."""
        return self._reported and (self.converged or self._iteration >= self._settings.max_iter)

    def set_locks(self, locks: Locks | None) -> None:
        """Hold other parameters fixed from the next M-step on."""
        k = self._settings.n_components
        locks = Locks.none(k) if locks is None else locks
        if locks.n_components != k:
            raise FitError(f"the locks are for {locks.n_components} components, not {k}")
        self._locks = locks
        self._next = None

    # -- stepping ---------------------------------------------------------------------------
    def expectation(self, em_pass: EMPass | None = None) -> Snapshot:
        """The E-step of the current parameters: their snapshot, with the log-likelihood.

        Returns the known snapshot again when the E-step has already run. ``em_pass``, here
        and in the other steps, runs the pass in place of the run's own (:attr:`em_pass`)
        for this call: the same pass elsewhere, as a window's worker runs it in a process.
        """
        if self._mixture is None:
            s = self._settings
            self._mixture = initialize(
                self._data.X, s.n_components, covariance_type=s.covariance_type, init=s.init,
                reg_covar=s.reg_covar, seed=s.seed, sample_weight=self._data.sample_weight,
            )  # fmt: skip
        if self._current is None:
            total = self._evaluate(em_pass)
            n = self._data.n_samples
            mean = total / self._data.total_weight
            change = mean - self._previous_mean
            converged = abs(change) < self._settings.tol  # never for a first snapshot (NaN)
            self._current = Snapshot(
                self._iteration, self._mixture, total, mean, change, bool(converged), n
            )
        self._reported = True
        return self._reported_snapshot(self._current)

    def maximization(self, em_pass: EMPass | None = None) -> Snapshot:
        """The M-step: the next parameters, not yet evaluated (their log-likelihood is NaN).

        Raises
        ------
        FitError
            If the run has finished (converged or ``max_iter`` reached).
        DegenerateCovarianceError
            If a covariance collapsed (see :func:`gmm_studio.core.em.check_not_collapsed`).
        """
        if self.finished:
            raise FitError("EM has finished: there is no further M-step")
        self.expectation(em_pass)
        if self._next is None:
            self._evaluate(em_pass)
        check_not_collapsed(self._next, self._floor)
        self._previous_mean = self._current.mean_log_likelihood
        self._mixture, self._next, self._current = self._next, None, None
        self._iteration += 1
        self._reported = False
        n = self._data.n_samples
        snapshot = Snapshot(self._iteration, self._mixture, math.nan, math.nan, math.nan, False, n)
        return self._reported_snapshot(snapshot)

    def half_step(self, em_pass: EMPass | None = None) -> Snapshot:
        """The E-step or the M-step, whichever is due (see :attr:`phase`)."""
        if self.phase is Phase.EXPECTATION:
            return self.expectation(em_pass)
        return self.maximization(em_pass)

    def step(self, em_pass: EMPass | None = None) -> Snapshot:
        """Finish the iteration in progress: the evaluated snapshot of the next parameters.

        A run that has not reported its current parameters yet reports them first (its
        first call returns the start's snapshot).
        """
        if self.phase is Phase.EXPECTATION:
            return self.expectation(em_pass)
        self.maximization(em_pass)
        return self.expectation(em_pass)

    def snapshots(self) -> Iterator[Snapshot]:
        """Step until EM converges or reaches ``max_iter``, yielding every evaluated snapshot."""
        while True:
            yield self.step()  # no name for it here: the next step may free its mixture
            if self.finished:
                return

    def _reported_snapshot(self, snapshot: Snapshot) -> Snapshot:
        if self._scaling is None:
            return snapshot
        return self._scaling.snapshot_to_original(snapshot, self._data.total_weight)

    def _evaluate(self, passing: EMPass | None) -> float:
        if passing is None and self._pass is em_pass and self._iteration >= self._settings.max_iter:
            # The run ends here: the M-step would never be taken, so only the E-step runs.
            self._next = None
            return log_likelihood_pass(self._data, self._mixture)
        total, self._next = (passing or self._pass)(
            self._data.X, self._mixture, self._settings.reg_covar, self._data, self._locks
        )
        return total


def starting_mixture(
    X: np.ndarray,
    settings: FitSettings,
    weights_init=None,
    means_init=None,
    covariances_init=None,
    seed=None,
    sample_weight=None,
) -> Mixture:
    """The mixture EM starts from: given parameters override those drawn from ``settings``
    (weighted by ``sample_weight`` when given).

    ``seed`` (an int or a Generator) replaces ``settings.seed`` when given: a fit on a Dask
    cluster passes the generator that drew its sample of rows (see
    :func:`gmm_studio.core.initialization.init_sample`).
    """
    given = (weights_init, means_init, covariances_init)
    base = None
    if any(p is None for p in given):
        base = initialize(
            X, settings.n_components, covariance_type=settings.covariance_type,
            init=settings.init, reg_covar=settings.reg_covar,
            seed=settings.seed if seed is None else seed, sample_weight=sample_weight,
        )  # fmt: skip
    return Mixture(
        weights=base.weights if weights_init is None else weights_init,
        means=base.means if means_init is None else means_init,
        covariances=base.covariances if covariances_init is None else covariances_init,
        covariance_type=settings.covariance_type,
    )


def em_steps(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    init: str = "kmeans++",
    weights_init=None,
    means_init=None,
    covariances_init=None,
    tol: float = 1e-6,
    max_iter: int = MAX_ITER,
    reg_covar: float = 1e-6,
    seed: int | None = None,
    sample_weight=None,
    standardize: bool = False,
    em_pass: EMPass = em_pass,
) -> Iterator[Snapshot]:
    """Run EM, yielding one :class:`Snapshot` per iteration (``EMRun(...).snapshots()``).

    The first snapshot (iteration 0) holds the starting parameters; EM stops after the first
    snapshot whose mean log-likelihood changed by less than ``tol``, or after ``max_iter``
    iterations.

    Parameters
    ----------
    X : array_like or dask.array.Array, shape (N, D)
        A Dask array (with ``sample_weight`` a Dask array or None) is fitted on the Dask
        scheduler in use, each iteration one pass over its chunks (:mod:`gmm_studio.cluster`,
        the ``gmm-studio[dask]`` extra; ``em_pass`` is then the cluster's).
    n_components : int
    covariance_type : {"full", "tied", "diag", "spherical"}
    init : {"random-points", "kmeans++", "kmeans"}
        How to choose starting parameters that are not given (see :func:`initialize`).
    weights_init, means_init, covariances_init : array_like, optional
        Starting parameters, in scikit-learn's shapes; they override ``init``.
    tol : float
        Stop when the mean per-sample log-likelihood changes by less than this.
    max_iter : int
    reg_covar : float
        Added to the diagonal of every covariance, keeping it positive definite.
    seed : int or None
        Seeds every random choice; the same seed gives the same fit.
    sample_weight : array_like, shape (N,), optional
        Non-negative row weights (see :class:`EMRun`).
    standardize : bool
        Fit on z-scored columns: the start is drawn from the z-scores, and the snapshots
        (and ``means_init`` and ``covariances_init``) are in the original units
        (:mod:`gmm_studio.core.standardize`).
    em_pass : callable, optional
        The pass each iteration runs (see :class:`EMRun`).

    Raises
    ------
    FitError
        At call time, for arguments that cannot be fitted, with a readable message: for
        example more components than points.
    DegenerateCovarianceError
        While iterating, if a covariance stops being positive definite or collapses (its
        smallest eigenvalue falls below ``COLLAPSE_RATIO`` times the data's largest variance).
        This only happens with ``reg_covar=0`` (or a ``reg_covar`` far below the data's scale)
        on degenerate data or starts: duplicate points, all points identical, a single point,
        collinear points, a component shrinking onto one point.

    Notes
    -----
    Degenerate cases that end in a valid fit: more components than distinct points, duplicate
    or identical points and single points all fit when ``reg_covar > 0`` (the default), the
    covariances floored at ``reg_covar``. A component whose responsibility collapses to
    nothing is re-seeded at the worst-explained point with the data's covariance.
    """
    settings = FitSettings(
        n_components=n_components, covariance_type=covariance_type, init=init, tol=tol,
        max_iter=max_iter, reg_covar=reg_covar, seed=seed, standardize=standardize,
    )  # fmt: skip
    if is_dask_array(X):
        if standardize:
            raise FitError("a standardized fit needs its data in memory")
        from gmm_studio.cluster.em import snapshots

        return snapshots(X, settings, weights_init, means_init, covariances_init, sample_weight)
    given = (weights_init, means_init, covariances_init)
    if standardize:  # the run z-scores the data itself; the start is drawn from the z-scores
        X = check_data(X)
        check_fit_size(X, n_components, covariance_type)
        scaling = Standardization.of(X, check_sample_weight(sample_weight, len(X)))
        z_start = starting_mixture(
            scaling.transform(X), settings, *scaling.parameters_to_z(covariance_type, *given),
            sample_weight=sample_weight,
        )  # fmt: skip
        start = scaling.to_original(z_start)
        return EMRun(X, settings, start, em_pass=em_pass, sample_weight=sample_weight).snapshots()
    data = prepared_data(X, settings, sample_weight)
    # Drawn now, so that bad arguments fail at call time.
    start = starting_mixture(data.X, settings, *given, sample_weight=sample_weight)
    return EMRun(None, settings, start, em_pass=em_pass, data=data).snapshots()


def prepared_data(X, settings: FitSettings, sample_weight=None) -> BlockData:
    """``X`` checked (:func:`check_data`, :func:`check_fit_size`) and prepared for the passes.

    Raises
    ------
    FitError
        For data or weights that cannot be fitted with these settings.
    """
    X = check_data(X)
    check_fit_size(X, settings.n_components, settings.covariance_type)
    try:
        return BlockData(X, sample_weight)
    except ValueError as exc:
        raise FitError(str(exc)) from None


def fit(X, n_components: int, *, n_init: int = 1, **options) -> FitResult:
    """Fit a Gaussian mixture by EM; ``options`` are the keyword arguments of
    :func:`em_steps` (``covariance_type``, ``init``, ``tol``, ``sample_weight``, ...), plus

    n_init : int
        Number of independent starts, the best kept (:mod:`gmm_studio.core.restarts`).

    Returns
    -------
    FitResult
        With ``weights``, ``means``, ``covariances``, ``covariance_type``, ``log_likelihood``
        (total), ``log_likelihood_trace`` (before the first iteration, then after each),
        ``n_iter`` and ``converged``.
    """
    if n_init != 1:
        from gmm_studio.core.restarts import best_fit  # restarts builds on this module

        return best_fit(X, n_components, n_init=n_init, **options)
    steps = em_steps(X, n_components, **options)
    max_iter = options.get("max_iter", MAX_ITER)
    trace = []
    for snapshot in steps:
        trace.append(snapshot.log_likelihood)
        if snapshot.converged or snapshot.iteration >= max_iter:
            last = snapshot
        # Not held while the next step runs: at large K·D² its mixture (covariances and
        # precision factors) would double the memory of the fit.
        del snapshot
    return FitResult(last.mixture, tuple(trace), last.iteration, last.converged, last.n_samples)


def is_dask_array(X) -> bool:
    """True for a ``dask.array.Array`` (only code that made one has imported Dask)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(X, dask_array.Array)
