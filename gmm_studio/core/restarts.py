"""Restarts: ``n_init`` independent starts of EM, the best one kept.

As in scikit-learn, ``n_init`` starts are run and the one with the highest log-likelihood is
kept, with one difference: a start that ends with a degenerate component
(:func:`gmm_studio.core.degenerate.degenerate_components`) is kept only when every start ends
degenerate, because its likelihood is inflated by a covariance held up by ``reg_covar`` alone.

Seeding: start 0 uses ``seed`` itself, so ``n_init=1`` is the single fit of that seed; start
i ≥ 1 uses child i - 1 of ``numpy.random.SeedSequence(seed)``. The starts are independent
streams, the same seed gives the same starts in any order, and the starts of ``n_init=n``
are the first n of ``n_init=n + 1``: more starts never give a worse fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core import criteria
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.degenerate import DistinctRows, degenerate_components
from gmm_studio.core.em import FitResult, em_steps
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import check_data
from gmm_studio.core.mixture import Mixture


class FitCancelled(Exception):
    """Raised inside a fit when its cancel flag was set; the fit's results are discarded."""


def check_n_init(n_init) -> int:
    """Return ``n_init`` if it is a whole number ≥ 1, else raise FitError."""
    if isinstance(n_init, bool) or not isinstance(n_init, int | np.integer) or n_init < 1:
        raise FitError(f"n_init must be a whole number ≥ 1, not {n_init!r}")
    return int(n_init)


def start_seeds(seed, n_init: int) -> list:
    """The seed of each of ``n_init`` starts (see the module notes).

    Parameters
    ----------
    seed : int, Generator or None
        None draws fresh entropy (a different fit on every call).
    n_init : int
    """
    if isinstance(seed, np.random.Generator):
        return [seed, *seed.spawn(n_init - 1)]
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    return [seed, *np.random.SeedSequence(seed).spawn(n_init - 1)]


class PreparedData:
    """Data checked and prepared once for many fits: the block layout and the distinct rows.

    Parameters
    ----------
    X : array_like, shape (N, D)
    """

    def __init__(self, X):
        self.X = check_data(X, 1)
        self.blocks = BlockData(self.X)
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
    result : FitResult or None
        None when the start failed.
    error : str or None
        Why the start failed (a collapsing covariance with ``reg_covar=0``, say).
    counts : ndarray or None
        Effective count ``N_k = Σ_i r_ik`` of each component under the final mixture.
    entropy : float
        Classification entropy of the final responsibilities (NaN when failed).
    degenerate_components : tuple of int
    """

    index: int
    result: FitResult | None
    error: str | None = None
    counts: np.ndarray | None = None
    entropy: float = math.nan
    degenerate_components: tuple[int, ...] = ()

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
    NaN when every start failed.
    """

    n_components: int
    covariance_type: str
    n_samples: int
    n_features: int
    starts: tuple[StartOutcome, ...]
    best_index: int | None

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
        entropy = math.nan if self.failed else self.best.entropy
        return criteria.icl(self.bic, entropy)

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
    start: Mixture,
    *,
    tol: float,
    max_iter: int,
    reg_covar: float,
    cancel=None,
) -> FitResult:
    """EM from the mixture ``start`` to convergence, checking ``cancel`` between iterations.

    Raises
    ------
    FitCancelled
        If ``cancel.is_set()`` became true.
    FitError
        If EM cannot go on (see :func:`gmm_studio.core.em.em_steps`).
    """
    steps = em_steps(
        prepared.X, start.n_components, covariance_type=start.covariance_type,
        weights_init=start.weights, means_init=start.means, covariances_init=start.covariances,
        tol=tol, max_iter=max_iter, reg_covar=reg_covar,
    )  # fmt: skip
    trace = []
    for last in steps:
        trace.append(last.log_likelihood)
        if cancel is not None and cancel.is_set():
            raise FitCancelled
    return FitResult(last.mixture, tuple(trace), last.iteration, last.converged, last.n_samples)


def assess(prepared: PreparedData, index: int, result: FitResult, reg_covar: float):
    """The :class:`StartOutcome` of a finished start: counts, entropy, degenerate components."""
    counts, entropy = criteria.posterior_summary(prepared.blocks, result.mixture)
    degenerate = degenerate_components(
        prepared.blocks, prepared.distinct, result.mixture, reg_covar, counts
    )
    return StartOutcome(index, result, None, counts, entropy, degenerate)


def failed_start(index: int, error: FitError) -> StartOutcome:
    return StartOutcome(index, None, str(error))


def fit_starts(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    init: str = "kmeans++",
    tol: float = 1e-6,
    max_iter: int = 1000,
    reg_covar: float = 1e-6,
    seed: int | np.random.Generator | None = None,
    n_init: int = 1,
    prepared: PreparedData | None = None,
    cancel=None,
) -> RestartsResult:
    """Run ``n_init`` starts of EM one after the other and keep the best (module notes).

    Parameters are those of :func:`gmm_studio.core.em.em_steps`, plus

    n_init : int
        Number of starts.
    prepared : PreparedData, optional
        ``X`` prepared once for many calls; made here when not given.
    cancel : threading.Event or similar, optional
        Checked between iterations; when set, :class:`FitCancelled` is raised.

    Raises
    ------
    FitError
        For arguments that cannot be fitted (as :func:`gmm_studio.core.em.em_steps`).
        A start that fails while iterating is recorded in the result instead.
    """
    from gmm_studio.core.initialization import initialize

    n_init = check_n_init(n_init)
    X = check_data(X, n_components)
    cov.check_covariance_type(covariance_type)
    prepared = prepared or PreparedData(X)
    starts = []
    for index, start_seed in enumerate(start_seeds(seed, n_init)):
        start = initialize(
            X, n_components, covariance_type=covariance_type, init=init,
            reg_covar=reg_covar, seed=start_seed,
        )  # fmt: skip
        try:
            result = run_start(
                prepared, start, tol=tol, max_iter=max_iter, reg_covar=reg_covar, cancel=cancel
            )
        except FitError as error:
            starts.append(failed_start(index, error))
            continue
        starts.append(assess(prepared, index, result, reg_covar))
    n_samples, n_features = X.shape
    return RestartsResult(
        n_components, covariance_type, n_samples, n_features, tuple(starts), best_start(starts)
    )


def best_fit(
    X,
    n_components: int,
    *,
    n_init: int,
    weights_init=None,
    means_init=None,
    covariances_init=None,
    **settings,
) -> FitResult:
    """:func:`gmm_studio.core.fit` with ``n_init`` starts: the kept start's FitResult.

    Raises
    ------
    FitError
        If starting parameters are given (every start would be the same), or if every start
        failed (the message is the first start's).
    """
    if any(p is not None for p in (weights_init, means_init, covariances_init)):
        raise FitError(
            "n_init > 1 needs starts drawn by init; with weights_init, means_init or "
            "covariances_init given every start would be the same"
        )
    outcome = fit_starts(X, n_components, n_init=n_init, **settings)
    if outcome.failed:
        raise FitError(outcome.error)
    return outcome.result
