"""Restarts: ``n_init`` independent starts of EM, the best one kept.

As in scikit-learn, ``n_init`` starts are run and the one with the highest log-likelihood is
kept, with one difference: a start that ends with a degenerate component
(:func:`gmm_studio.core.degenerate.degenerate_components`) is kept only when every start ends
degenerate, because its likelihood is inflated by a covariance held up by ``reg_covar`` alone.

Seeding: start 0 uses ``seed`` itself, so ``n_init=1`` is the single fit of that seed; start
i ≥ 1 uses a seed drawn from child i - 1 of ``numpy.random.SeedSequence(seed)`` (a whole
number below 2**63, so ``fit(..., seed=that)`` alone gives that start's fit). The starts are
independent streams, the same seed gives the same starts in any order, and the starts of
``n_init=n`` are the first n of ``n_init=n + 1``: more starts never give a worse fit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gmm_studio.core import criteria
from gmm_studio.core.blockwise import BlockData, check_sample_weight
from gmm_studio.core.degenerate import DistinctRows, degenerate_components
from gmm_studio.core.em import em_pass
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import check_data, check_fit_size, initialize
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.run import EMPass, EMRun, FitResult, is_dask_array
from gmm_studio.core.settings import FitSettings, check_n_init
from gmm_studio.core.standardize import Standardization


class FitCancelled(Exception):
    """Raised inside a fit when its cancel flag was set; the fit's results are discarded."""


def start_seeds(seed: int | None, n_init: int) -> list[int]:
    """The seed of each of ``n_init`` starts (see the module notes).

    Parameters
    ----------
    seed : int or None
        None draws fresh entropy (a different fit on every call).
    n_init : int
    """
    if seed is None:
        seed = _whole_seed(np.random.SeedSequence())
    return [seed, *(_whole_seed(c) for c in np.random.SeedSequence(seed).spawn(n_init - 1))]


def _whole_seed(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


class PreparedData:
    """Data checked and prepared once for many fits: the block layout and the distinct rows.

    Parameters
    ----------
    X : array_like, shape (N, D)
    sample_weight : array_like, shape (N,), optional
        Row weights for every fit on these data (see :class:`gmm_studio.core.run.EMRun`).
    standardize : bool
        Prepare the z-scores of the columns (for fits with ``standardize=True``): ``X`` is
        then the z-scores and ``scaling`` maps them back.
    max_threads : int, optional
        Threads one pass may use (see :class:`~gmm_studio.core.blockwise.BlockData`).
    """

    def __init__(
        self, X, sample_weight=None, standardize: bool = False, max_threads: int | None = None
    ):
        self.X = check_data(X)
        self.scaling: Standardization | None = None
        if standardize:
            weights = check_sample_weight(sample_weight, len(self.X))
            self.scaling = Standardization.of(self.X, weights)
            self.X = self.scaling.transform(self.X)
        try:
            self.blocks = BlockData(self.X, sample_weight, max_threads)
        except ValueError as exc:
            raise FitError(str(exc)) from None
        self.sample_weight = self.blocks.sample_weight
        self.distinct = DistinctRows(self.X)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]


@dataclass(frozen=True)
class StartOutcome:
    """One start: its fit, or why it failed, and how healthy the fit is.

    Attributes
    ----------
    index : int
        Which start (0-based).
    seed : int
        The seed it was drawn from.
    result : FitResult or None
        None when the start failed.
    error : str or None
        Why the start failed (a collapsing covariance with ``reg_covar=0``, say).
    degenerate_components : tuple of int
    start : Mixture or None
        The parameters EM began from (None when not kept).
    """

    index: int
    seed: int
    result: FitResult | None
    error: str | None = None
    degenerate_components: tuple[int, ...] = ()
    start: Mixture | None = None

    @property
    def log_likelihood(self) -> float:
        """Final log-likelihood; NaN for a failed start."""
        return math.nan if self.result is None else self.result.log_likelihood


def best_start(starts) -> int | None:
    """Index of the start to keep: the highest log-likelihood among starts without a
    degenerate component, or among all successful starts when each is degenerate; the lowest
    index among equals. None when every start failed."""
    done = [s for s in starts if s.result is not None]
    healthy = [s for s in done if not s.degenerate_components]
    pool = healthy or done
    if not pool:
        return None
    return max(pool, key=lambda s: (s.log_likelihood, -s.index)).index


@dataclass(frozen=True)
class RestartsResult:
    """All starts of one ``(n_components, covariance_type)`` fit, and the one kept.

    The criteria (scikit-learn's sign: lower is better) are those of the kept start; they are
    NaN when every start failed. ``entropy`` is the kept start's classification entropy
    (:func:`gmm_studio.core.criteria.classification_entropy`), for ICL.
    """

    n_components: int
    covariance_type: str
    n_samples: float
    n_features: int
    starts: tuple[StartOutcome, ...]
    best_index: int | None
    entropy: float = math.nan

    @property
    def best(self) -> StartOutcome | None:
        return None if self.best_index is None else self.starts[self.best_index]

    @property
    def failed(self) -> bool:
        """True when no start produced a fit."""
        return self.best_index is None

    @property
    def error(self) -> str | None:
        """Why the first start failed, when every start failed."""
        return self.starts[0].error if self.failed else None

    @property
    def result(self) -> FitResult | None:
        return None if self.failed else self.best.result

    @property
    def mixture(self) -> Mixture | None:
        return None if self.failed else self.best.result.mixture

    @property
    def log_likelihood(self) -> float:
        return math.nan if self.failed else self.best.log_likelihood

    @property
    def degenerate_components(self) -> tuple[int, ...]:
        return () if self.failed else self.best.degenerate_components

    @property
    def degenerate(self) -> bool:
        """True when the kept fit has a degenerate component."""
        return bool(self.degenerate_components)

    @property
    def n_parameters(self) -> int:
        """Free parameters, counted as scikit-learn counts them."""
        return criteria.n_parameters(self.covariance_type, self.n_components, self.n_features)

    @property
    def bic(self) -> float:
        return criteria.bic(self.log_likelihood, self.n_parameters, self.n_samples)

    @property
    def aic(self) -> float:
        return criteria.aic(self.log_likelihood, self.n_parameters)

    @property
    def icl(self) -> float:
        return criteria.icl(self.bic, self.entropy)

    def criterion(self, name: str) -> float:
        """The value of criterion ``name`` ("bic", "aic" or "icl")."""
        if name not in criteria.CRITERIA:
            raise FitError(f"criterion must be one of {', '.join(criteria.CRITERIA)}, not {name!r}")
        return getattr(self, name)

    @property
    def start_log_likelihoods(self) -> tuple[float, ...]:
        """Each start's final log-likelihood, NaN for failed starts."""
        return tuple(s.log_likelihood for s in self.starts)


def run_start(
    prepared: PreparedData,
    settings: FitSettings,
    start: Mixture,
    *,
    cancel=None,
    em_pass: EMPass = em_pass,
) -> FitResult:
    """EM from the mixture ``start`` to convergence, checking ``cancel`` between iterations.

    Raises
    ------
    FitCancelled
        If ``cancel.is_set()`` became true.
    FitError
        If EM cannot go on (see :func:`gmm_studio.core.run.em_steps`).
    """
    run = EMRun(prepared.X, settings, start, em_pass=em_pass, data=prepared.blocks)
    return run_to_the_end(run, cancel=cancel)


def run_to_the_end(run: EMRun, *, cancel=None, on_snapshot=None) -> FitResult:
    """Drain ``run`` into a :class:`FitResult`, checking ``cancel`` between iterations and
    calling ``on_snapshot(snapshot)`` after each.

    Raises
    ------
    FitCancelled
        If ``cancel.is_set()`` became true.
    """
    trace = []
    for last in run.snapshots():
        trace.append(last.log_likelihood)
        if on_snapshot is not None:
            on_snapshot(last)
        if cancel is not None and cancel.is_set():
            raise FitCancelled
    return FitResult(last.mixture, tuple(trace), last.iteration, last.converged, last.n_samples)


def assess(
    prepared: PreparedData,
    index: int,
    seed: int,
    result: FitResult,
    reg_covar: float,
    start: Mixture | None = None,
):
    """The :class:`StartOutcome` of a finished start, with its degenerate components."""
    degenerate = degenerate_components(
        prepared.blocks, prepared.distinct, result.mixture, reg_covar
    )
    return StartOutcome(index, seed, result, None, degenerate, start)


def restarts_result(prepared: PreparedData, n_components, covariance_type, starts):
    """The :class:`RestartsResult` of finished starts: the kept one and its entropy."""
    best = best_start(starts)
    entropy = (
        math.nan
        if best is None
        else criteria.classification_entropy(prepared.blocks, starts[best].result.mixture)
    )
    n_features = prepared.X.shape[1]
    return RestartsResult(
        n_components, covariance_type, prepared.blocks.total_weight, n_features, tuple(starts),
        best, entropy,
    )  # fmt: skip


def failed_start(
    index: int, seed: int, error: FitError, start: Mixture | None = None
) -> StartOutcome:
    return StartOutcome(index, seed, None, str(error), start=start)


def fit_starts(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    init: str = "kmeans++",
    tol: float = 1e-6,
    max_iter: int = 1000,
    reg_covar: float = 1e-6,
    seed: int | None = None,
    n_init: int = 1,
    em_pass: EMPass = em_pass,
    sample_weight=None,
    standardize: bool = False,
    prepared: PreparedData | None = None,
    cancel=None,
) -> RestartsResult:
    """Run ``n_init`` starts of EM one after the other and keep the best (module notes).

    Parameters are those of :func:`gmm_studio.core.run.em_steps`, plus

    n_init : int
        Number of starts.
    sample_weight : array_like, shape (N,), optional
        Row weights (ignored when ``prepared`` is given: it carries its own).
    standardize : bool
        Fit on z-scored columns (as ``gmm-studio fit --standardize``): every start runs on
        the z-scores, and the results are in the original units
        (:mod:`gmm_studio.core.standardize`).
    prepared : PreparedData, optional
        ``X`` prepared once for many calls (standardized if ``standardize``); made here when
        not given.
    cancel : threading.Event or similar, optional
        Checked between iterations; when set, :class:`FitCancelled` is raised.

    Raises
    ------
    FitError
        For arguments that cannot be fitted (as :func:`gmm_studio.core.run.em_steps`).
        A start that fails while iterating is recorded in the result instead.
    """
    settings = FitSettings(
        n_components=n_components, covariance_type=covariance_type, init=init, tol=tol,
        max_iter=max_iter, reg_covar=reg_covar, seed=seed, n_init=check_n_init(n_init),
        standardize=bool(standardize),
    )  # fmt: skip
    prepared = prepared or PreparedData(X, sample_weight, standardize)
    starts = list(starts_on(prepared, settings, cancel=cancel, em_pass=em_pass))
    return restarts_in_original_units(
        prepared, restarts_result(prepared, n_components, covariance_type, starts)
    )


def restarts_in_original_units(prepared: PreparedData, result: RestartsResult) -> RestartsResult:
    """The starts of ``result`` (fitted on ``prepared``) in the data's own units; the
    classification entropy, computed on ``prepared``, is the same in both."""
    mapped = tuple(in_original_units(prepared, s) for s in result.starts)
    return dataclasses.replace(result, starts=mapped)


def in_original_units(prepared: PreparedData, outcome: StartOutcome) -> StartOutcome:
    """``outcome`` of a start on ``prepared`` in the data's own units (itself when the data
    were not standardized)."""
    scaling = prepared.scaling
    if scaling is None:
        return outcome
    total = prepared.blocks.total_weight
    result = None if outcome.result is None else scaling.result_to_original(outcome.result, total)
    start = None if outcome.start is None else scaling.to_original(outcome.start)
    return dataclasses.replace(outcome, result=result, start=start)


def starts_on(
    prepared: PreparedData, settings: FitSettings, *, cancel=None, em_pass: EMPass = em_pass
) -> Iterator[StartOutcome]:
    """The ``settings.n_init`` starts of :func:`fit_starts` on data in memory, as they end.

    Yields each start's :class:`StartOutcome` (with the parameters it began from), in the
    units of ``prepared.X`` (z-scores when ``prepared`` is standardized).

    Raises
    ------
    FitError
        Before the first start, for a fit that cannot be made (too few points).
    FitCancelled
        When ``cancel`` was set.
    """
    scaling = prepared.scaling
    if (scaling is not None) != settings.standardize:
        raise FitError("the prepared data must be standardized exactly when the fit is")
    if scaling is not None:
        scaling.check_covariance_type(settings.covariance_type)
    # Each run sees prepared.X, which are already the z-scores of a standardized fit.
    settings = dataclasses.replace(settings, standardize=False)
    check_fit_size(prepared.X, settings.n_components, settings.covariance_type)

    def draw(s):
        return initialize(
            prepared.X, s.n_components, covariance_type=s.covariance_type, init=s.init,
            reg_covar=s.reg_covar, seed=s.seed, sample_weight=prepared.sample_weight,
        )  # fmt: skip

    def run(_index, s, start):
        return run_start(prepared, s, start, cancel=cancel, em_pass=em_pass)

    def judge(index, seed, result, start):
        return assess(prepared, index, seed, result, settings.reg_covar, start)

    yield from each_start(settings, settings.n_init, draw, run, judge)


def each_start(settings: FitSettings, n_init: int, draw, run, assess) -> Iterator[StartOutcome]:
    """The restarts loop: each of ``n_init`` starts drawn, run and assessed, in order.

    Start i has the settings ``settings`` with the seed :func:`start_seeds` gives it. For
    each, ``draw(start_settings)`` gives the starting mixture, ``run(i, start_settings,
    start)`` the :class:`FitResult` (a :class:`FitError` it raises is yielded as a failed
    start) and ``assess(i, seed, result, start)`` the :class:`StartOutcome` yielded.
    """
    for index, start_seed in enumerate(start_seeds(settings.seed, n_init)):
        start_settings = settings.replace(seed=start_seed)
        start = draw(start_settings)
        try:
            result = run(index, start_settings, start)
        except FitError as error:
            yield failed_start(index, start_seed, error, start)
            continue
        yield assess(index, start_seed, result, start)


def best_fit(
    X,
    n_components: int,
    *,
    n_init: int,
    weights_init=None,
    means_init=None,
    covariances_init=None,
    sample_weight=None,
    **settings,
) -> FitResult:
    """:func:`gmm_studio.core.fit` with ``n_init`` starts: the kept start's FitResult.

    Raises
    ------
    FitError
        If starting parameters are given (every start would be the same), or if every
        start failed (the message is the first start's).
    """
    if any(p is not None for p in (weights_init, means_init, covariances_init)):
        raise FitError(
            "n_init > 1 needs starts drawn by init; with weights_init, means_init or "
            "covariances_init given every start would be the same"
        )
    if is_dask_array(X):
        from gmm_studio.cluster.em import fit_starts as fit_starts_on_dask

        settings.pop("em_pass", None)  # the cluster's pass is its own
        outcome = fit_starts_on_dask(
            X, n_components, n_init=n_init, sample_weight=sample_weight, **settings
        )
    else:
        outcome = fit_starts(
            X, n_components, n_init=n_init, sample_weight=sample_weight, **settings
        )
    if outcome.failed:
        raise FitError(outcome.error)
    return outcome.result
