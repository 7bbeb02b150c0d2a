"""EM on a Dask array: the in-memory engine's iteration, with its data pass on the cluster.

Each iteration is one pass (:func:`gmm_studio.cluster.passes.gather`): every chunk returns its
log-likelihood, its sufficient statistics and its worst-explained rows, merged up a tree. The
M-step, the re-seeding of empty components, the collapse check and the convergence test run on
the client exactly as in :mod:`gmm_studio.core.em`, so from the same start the two agree to
rounding (measured: 1e-16 to 1e-15 relative in the log-likelihood; the tests ask for 1e-10).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from gmm_studio.cluster import passes
from gmm_studio.cluster.client import compute
from gmm_studio.core import FitResult, Snapshot
from gmm_studio.core import covariance as cov
from gmm_studio.core import em as engine
from gmm_studio.core.blockwise import make_kernel, scatter_request
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import init_sample_rows
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.restarts import (
    RestartsResult,
    StartOutcome,
    best_start,
    check_n_init,
    start_seeds,
)


def em_pass(data: passes.ChunkedData, mixture: Mixture, reg_covar: float):
    """One E-step and one M-step over every chunk: ``(log_likelihood, next_mixture)``.

    :func:`gmm_studio.core.em.em_pass` with its two passes over the data on the cluster.
    """
    kernel = make_kernel(mixture, data.centre, data.radius)
    stats = passes.gather(data, kernel)
    engine._check_finite(stats.log_likelihood)
    redo = scatter_request(stats, mixture.covariance_type, reg_covar)
    if redo:
        stats.scatter = passes.gather_scatter(data, kernel, redo)
    next_mixture = engine.mixture_from_statistics(
        stats, mixture.covariance_type, data.centre, reg_covar
    )
    return stats.log_likelihood, next_mixture


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
    max_iter: int = 1000,
    reg_covar: float = 1e-6,
    seed: int | np.random.Generator | None = None,
    sample_weight=None,
) -> Iterator[Snapshot]:
    """Run EM on a Dask array, yielding one :class:`~gmm_studio.core.Snapshot` per iteration.

    The arguments and the snapshots are those of :func:`gmm_studio.core.em_steps`; the data
    and ``sample_weight`` are Dask arrays (or anything ``dask.array.asarray`` accepts) and stay
    on the cluster. The data are checked and described in one pass at call time.

    Raises
    ------
    FitError
        As :func:`gmm_studio.core.em_steps`.
    ClusterError
        If the cluster cannot finish a pass (see :mod:`gmm_studio.cluster.client`).
    """
    cov.check_covariance_type(covariance_type)
    engine._check_settings(tol, max_iter, reg_covar)
    data = passes.describe(X, sample_weight, n_components)
    start = _starting_mixture(
        data, n_components, covariance_type, init,
        weights_init, means_init, covariances_init, reg_covar, seed,
    )  # fmt: skip
    return _iterate(data, start, tol, max_iter, reg_covar)


def _starting_mixture(data, n_components, covariance_type, init, w0, m0, c0, reg_covar, seed):
    """The start :func:`gmm_studio.core.em.starting_mixture` gives the same rows in memory."""
    rng = np.random.default_rng(seed)
    if all(p is not None for p in (w0, m0, c0)):
        sample = np.zeros((n_components, data.n_features))  # only its shape is looked at
    else:
        rows = init_sample_rows(data.n_samples, rng)
        sample = compute(data.X if rows is None else data.X[rows])
    return engine.starting_mixture(
        sample, n_components, covariance_type, init, w0, m0, c0, reg_covar, rng
    )


def _iterate(data, mixture, tol, max_iter, reg_covar) -> Iterator[Snapshot]:
    floor = engine.COLLAPSE_RATIO * float(np.max(data.variance))
    n_samples = data.n_samples
    previous = math.nan
    for iteration in range(max_iter + 1):
        total, next_mixture = em_pass(data, mixture, reg_covar)
        if iteration < max_iter:
            engine.check_not_collapsed(next_mixture, floor)
        mean = total / data.total_weight
        change = mean - previous
        converged = iteration > 0 and abs(change) < tol
        yield Snapshot(iteration, mixture, total, mean, change, converged, n_samples)
        if converged:
            return
        previous = mean
        mixture = next_mixture


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
    sample_weight=None,
    on_snapshot=None,
) -> RestartsResult:
    """:func:`gmm_studio.core.restarts.fit_starts` on a Dask array: the same seeds per start.

    The data are described once for all starts. The best start is the one with the highest
    log-likelihood: degenerate components need every distinct row of the data, which stay on
    the cluster, so each start's ``degenerate_components`` is None (not assessed).

    Parameters
    ----------
    on_snapshot : callable, optional
        Called as ``on_snapshot(start_index, snapshot)`` after every iteration.
    """
    n_init = check_n_init(n_init)
    cov.check_covariance_type(covariance_type)
    engine._check_settings(tol, max_iter, reg_covar)
    data = passes.describe(X, sample_weight, n_components)
    starts = []
    for index, start_seed in enumerate(start_seeds(seed, n_init)):
        trace = []
        try:
            start = _starting_mixture(
                data, n_components, covariance_type, init, None, None, None, reg_covar, start_seed
            )
            for last in _iterate(data, start, tol, max_iter, reg_covar):
                trace.append(last.log_likelihood)
                if on_snapshot is not None:
                    on_snapshot(index, last)
        except FitError as error:
            starts.append(StartOutcome(index, None, str(error)))
            continue
        starts.append(StartOutcome(index, fit_result(last, trace), degenerate_components=None))
    return RestartsResult(
        n_components, covariance_type, data.n_samples, data.n_features, tuple(starts),
        best_start(starts),
    )  # fmt: skip


def fit_result(last: Snapshot, trace) -> FitResult:
    """The :class:`~gmm_studio.core.FitResult` of a run whose last snapshot is ``last``."""
    return FitResult(last.mixture, tuple(trace), last.iteration, last.converged, last.n_samples)


def fit(X, n_components: int, *, n_init: int = 1, **kwargs) -> FitResult:
    """Fit a Gaussian mixture by EM on a Dask array; the arguments are those of :func:`em_steps`
    and ``n_init`` (see :func:`fit_starts`).

    Returns
    -------
    FitResult
    """
    if n_init == 1:
        trace, last = [], None
        for last in em_steps(X, n_components, **kwargs):
            trace.append(last.log_likelihood)
        return fit_result(last, trace)
    if any(
        kwargs.pop(p, None) is not None for p in ("weights_init", "means_init", "covariances_init")
    ):
        raise FitError(
            "n_init > 1 needs starts drawn by init; with weights_init, means_init or "
            "covariances_init given every start would be the same"
        )
    outcome = fit_starts(X, n_components, n_init=n_init, **kwargs)
    if outcome.failed:
        raise FitError(outcome.error)
    return outcome.result
