"""EM on a Dask array: the in-memory engine's run, with its data pass on the cluster.

Each iteration is one pass (:func:`gmm_studio.cluster.passes.gather`): every chunk returns its
log-likelihood and its sufficient statistics, merged up a tree (and only when a component
empties, one more pass finds the worst-explained rows it restarts at). The run itself is
:class:`gmm_studio.core.run.EMRun` with :func:`em_pass` as its pass: the M-step, the
re-seeding of empty components, the collapse check and the convergence test run on the client
exactly as in memory, so from the same start the two agree to rounding (measured: 1e-16 to
1e-15 relative in the log-likelihood; the tests ask for 1e-10).

:func:`gmm_studio.core.fit` and :func:`gmm_studio.core.em_steps` hand a Dask array to
:func:`snapshots` and, for ``n_init > 1``, to :func:`fit_starts`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from gmm_studio.cluster import passes
from gmm_studio.cluster.client import compute
from gmm_studio.core.blockwise import kernel_for
from gmm_studio.core.em import finish_pass
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import init_sample_rows
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.restarts import (
    RestartsResult,
    StartOutcome,
    best_start,
    check_n_init,
    each_start,
    run_to_the_end,
)
from gmm_studio.core.run import EMRun, Snapshot, starting_mixture
from gmm_studio.core.settings import FitSettings


def em_pass(X, mixture: Mixture, reg_covar: float, data: passes.ChunkedData, locks=None):
    """One E-step and one M-step over every chunk: ``(log_likelihood, next_mixture)``.

    :func:`gmm_studio.core.em.em_pass` with its passes over the data on the cluster; ``X`` is
    ``data.X`` (the signature is that of every pass of :class:`~gmm_studio.core.run.EMRun`).
    """
    kernel = kernel_for(mixture, data)
    return finish_pass(
        passes.gather(data, kernel), mixture, reg_covar, data.centre, locks,
        lambda about: passes.gather_scatter(data, kernel, about),
        lambda count: passes.worst_rows(data, kernel, count),
    )  # fmt: skip


def cluster_start(
    data: passes.ChunkedData, settings: FitSettings, weights_init=None, means_init=None,
    covariances_init=None,
) -> Mixture:  # fmt: skip
    """The start the same rows give in memory: the initialiser's sample of rows is computed
    from the cluster (:func:`gmm_studio.core.initialization.init_sample`)."""
    rng = np.random.default_rng(settings.seed)
    weights = None
    if all(p is not None for p in (weights_init, means_init, covariances_init)):
        sample = np.zeros((settings.n_components, data.n_features))  # only its shape is used
    else:
        rows = init_sample_rows(data.n_samples, rng)
        pick = (lambda a: a) if rows is None else (lambda a: a[rows])
        sample = compute(pick(data.X))
        if data.sample_weight is not None:  # weighted starts, as in memory
            weights = np.asarray(compute(pick(data.sample_weight)), dtype=float)
    return starting_mixture(
        sample, settings, weights_init, means_init, covariances_init, seed=rng,
        sample_weight=weights,
    )  # fmt: skip


def snapshots(
    X, settings: FitSettings, weights_init=None, means_init=None, covariances_init=None,
    sample_weight=None,
) -> Iterator[Snapshot]:  # fmt: skip
    """:func:`gmm_studio.core.em_steps` on a Dask array: the data and ``sample_weight`` (Dask
    arrays, or anything ``dask.array.asarray`` accepts) stay on the cluster; they are checked
    and described in one pass at call time.

    Raises
    ------
    FitError
        As :func:`gmm_studio.core.em_steps`.
    ClusterError
        If the cluster cannot finish a pass (see :mod:`gmm_studio.cluster.client`).
    """
    data = passes.describe(X, sample_weight, settings.n_components)
    start = cluster_start(data, settings, weights_init, means_init, covariances_init)
    return EMRun(data.X, settings, start, data=data, em_pass=em_pass).snapshots()


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
    sample_weight=None,
    standardize: bool = False,
    on_snapshot=None,
) -> RestartsResult:
    """:func:`gmm_studio.core.restarts.fit_starts` on a Dask array: the same seeds per start.

    The data are described once for all starts. The best start is the one with the highest
    log-likelihood: degenerate components need every distinct row of the data, which stay on
    the cluster, so each start's ``degenerate_components`` is None (not assessed), and so is
    the classification entropy (NaN).

    Parameters
    ----------
    on_snapshot : callable, optional
        Called as ``on_snapshot(start_index, snapshot)`` after every iteration.
    standardize : bool
        Refused when true: a standardized fit needs its data in memory.
    """
    if standardize:
        raise FitError("a standardized fit needs its data in memory")
    n_init = check_n_init(n_init)
    settings = FitSettings(
        n_components=n_components, covariance_type=covariance_type, init=init, tol=tol,
        max_iter=max_iter, reg_covar=reg_covar, seed=seed,
    )  # fmt: skip
    data = passes.describe(X, sample_weight, n_components)

    def run(index, start_settings, start):
        return run_to_the_end(
            EMRun(data.X, start_settings, start, data=data, em_pass=em_pass),
            on_snapshot=None if on_snapshot is None else lambda last: on_snapshot(index, last),
        )

    starts = list(
        each_start(
            settings, n_init, lambda start_settings: cluster_start(data, start_settings), run,
            lambda index, seed, result, start: StartOutcome(
                index, seed, result, degenerate_components=None, start=start
            ),
        )
    )  # fmt: skip
    return RestartsResult(
        n_components, covariance_type, data.total_weight, data.n_features, tuple(starts),
        best_start(starts),
    )  # fmt: skip
