"""Expectation-Maximization for Gaussian mixtures, written once as a generator of snapshots.

The command line drains the generator; the window's worker thread steps it and draws each
snapshot. Numerics follow scikit-learn's ``GaussianMixture``: a log-space E-step, Cholesky
factors of the precisions, ``reg_covar`` on the diagonal, and stopping when the mean
per-sample log-likelihood changes by less than ``tol``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from gmm_studio.core import covariance as cov
from gmm_studio.core.blockwise import (
    BlockData,
    Statistics,
    check_sample_weight,
    gather,
    gather_scatter,
    kernel_for,
    one_pass_scatter,
    scatter_request,
)
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import check_data, data_covariance, initialize
from gmm_studio.core.mixture import Mixture

#: A component whose total responsibility falls below this many points is empty: its mean
#: would be a ratio of two vanishing numbers, so it is re-seeded instead.
EMPTY_COMPONENT = 1e-8

_EPS = 10 * np.finfo(float).eps

#: A covariance whose smallest eigenvalue is below this fraction of the data's largest variance
#: has collapsed onto a point or a line: its density is rounding noise, so EM stops there.
COLLAPSE_RATIO = 1e-12

#: Which EM pass :func:`em_steps` uses: "fast" (:func:`em_pass`) or "reference"
#: (:func:`reference_em_pass`, for benchmarks and comparisons).
ENGINE_PASS = "fast"


@dataclass(frozen=True)
class Snapshot:
    """The state of EM after one iteration. Immutable, safe to share between threads.

    Attributes
    ----------
    iteration : int
        0 for the starting parameters, then the number of EM iterations done.
    mixture : Mixture
        The parameters after ``iteration`` iterations.
    log_likelihood : float
        Total log-likelihood of the data under ``mixture``.
    mean_log_likelihood : float
        ``log_likelihood / n_samples``.
    change : float
        Change of the mean log-likelihood since the previous snapshot (NaN at iteration 0).
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


def m_step(
    X: np.ndarray,
    resp: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    worst_rows: np.ndarray,
) -> Mixture:
    """New parameters from responsibilities, re-seeding any empty component.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    resp : ndarray, shape (N, K)
    covariance_type : str
    reg_covar : float
    worst_rows : ndarray of int
        Rows of ``X`` ordered from the least well explained; an empty component restarts at
        the first of them not yet taken, with the data's covariance and a weight of one point.
    """
    n_features = X.shape[1]
    n_components = resp.shape[1]
    raw_counts = resp.sum(axis=0)
    nk = raw_counts + _EPS
    means = resp.T @ X / nk[:, np.newaxis]
    scatter = np.empty((n_components, n_features, n_features))
    diag = np.empty((n_components, n_features))
    for k in range(n_components):
        diff = X - means[k]
        weighted = resp[:, k, np.newaxis] * diff
        if covariance_type in ("full", "tied"):
            scatter[k] = weighted.T @ diff
        else:
            diag[k] = np.einsum("ij,ij->j", weighted, diff) / nk[k]
    if covariance_type == "tied":
        scatter = scatter.sum(axis=0)
    return mixture_from_moments(
        float(X.shape[0]), raw_counts, means, scatter, diag, covariance_type, reg_covar,
        X[worst_rows], lambda: data_covariance(X),
    )  # fmt: skip


def mixture_from_moments(
    total_weight, raw_counts, means, scatter, diag, covariance_type, reg_covar, worst_points, spread
) -> Mixture:
    """The M-step's mixture from per-component moments, re-seeding any empty component.

    ``total_weight`` is the number of rows (the sum of their weights), ``raw_counts`` (K,) the
    summed responsibilities, ``means`` (K, D) the weighted means, ``scatter`` the summed
    weighted outer products about the means ((K, D, D) for full, summed over components
    (D, D) for tied), ``diag`` (K, D) the weighted variances (diag and spherical).
    ``worst_points`` are the least well explained rows, worst first, and ``spread()`` returns
    the data's covariance (ddof=1): an empty component restarts at the first of those rows not
    yet taken, with that covariance and a weight of one row.
    """
    n_features = means.shape[1]
    nk = raw_counts + _EPS
    if covariance_type == "full":
        covariances = scatter / nk[:, np.newaxis, np.newaxis] + reg_covar * np.eye(n_features)
    elif covariance_type == "tied":
        covariances = scatter / nk.sum() + reg_covar * np.eye(n_features)
    elif covariance_type == "diag":
        covariances = diag + reg_covar
    else:
        covariances = diag.mean(axis=1) + reg_covar
    weights = nk / total_weight

    empty = np.flatnonzero(raw_counts < EMPTY_COMPONENT)
    if len(empty):
        weights, means, covariances = _reseed(
            total_weight, spread, empty, worst_points, weights, means, covariances,
            covariance_type, reg_covar,
        )  # fmt: skip
    return Mixture(weights, means, covariances, covariance_type)


def _reseed(
    total_weight, spread, empty, worst_points, weights, means, covariances, covariance_type, reg
):
    n_features = means.shape[1]
    spread = cov.from_full(spread()[np.newaxis], covariance_type)
    for k, point in zip(empty, worst_points, strict=False):
        means[k] = point
        weights[k] = 1.0 / total_weight
        if covariance_type == "full":
            covariances[k] = spread[0] + reg * np.eye(n_features)
        elif covariance_type in ("diag", "spherical"):
            covariances[k] = spread[0] + reg
    return weights / weights.sum(), means, covariances


def check_not_collapsed(mixture: Mixture, floor: float) -> None:
    """Raise DegenerateCovarianceError if a covariance's smallest eigenvalue is below ``floor``."""
    if mixture.covariance_type in ("diag", "spherical"):  # the variances are the eigenvalues
        smallest = np.atleast_2d(mixture.covariances.T).min(axis=0)
    else:
        smallest = np.linalg.eigvalsh(mixture.full_covariances())[:, 0]
    collapsed = np.flatnonzero(~(smallest > floor))
    if len(collapsed):
        raise cov.degenerate(int(collapsed[0]) if mixture.covariance_type != "tied" else -1)


def collapse_floor(X: np.ndarray) -> float:
    """The smallest eigenvalue a covariance of ``X``'s components may have (see COLLAPSE_RATIO)."""
    return COLLAPSE_RATIO * float(np.max(np.var(X, axis=0)))


def reference_em_pass(X: np.ndarray, mixture: Mixture, reg_covar: float) -> tuple[float, Mixture]:
    """One E-step and one M-step, written plainly over the whole (N, K) matrix.

    The reference the fast :func:`em_pass` is tested against; it holds several N×K and N×D
    arrays at once.

    Returns
    -------
    log_likelihood : float
        Total log-likelihood of ``X`` under ``mixture`` (the E-step's by-product).
    next_mixture : Mixture
        The M-step's update.
    """
    wlp = mixture.weighted_log_prob(X)
    log_norm = logsumexp(wlp, axis=1)
    total = float(np.sum(log_norm))
    _check_finite(total)
    resp = np.exp(wlp - log_norm[:, np.newaxis])
    n_empty_possible = mixture.n_components
    worst = np.argsort(log_norm, kind="stable")[:n_empty_possible]
    return total, m_step(X, resp, mixture.covariance_type, reg_covar, worst)


def _check_finite(total: float) -> None:
    if not math.isfinite(total):
        raise FitError(
            "the log-likelihood is no longer a finite number; the data may be too badly scaled "
            "for these parameters, or reg_covar too small"
        )


def em_pass(
    X: np.ndarray,
    mixture: Mixture,
    reg_covar: float,
    data: BlockData | None = None,
    sample_weight=None,
) -> tuple[float, Mixture]:
    """One E-step and one M-step in a single block-wise pass over the data.

    Same results as :func:`reference_em_pass` up to rounding, without any N×K matrix: see
    :mod:`gmm_studio.core.blockwise`.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    mixture : Mixture
    reg_covar : float
    data : BlockData, optional
        ``X`` prepared once for many passes (``BlockData(X, sample_weight)``); made here when
        not given.
    sample_weight : array_like, shape (N,), optional
        Non-negative row weights (used only when ``data`` is not given): the E-step and the
        M-step count row i ``sample_weight[i]`` times.

    Returns
    -------
    log_likelihood : float
        Total (weighted) log-likelihood of ``X`` under ``mixture``.
    next_mixture : Mixture
        The M-step's update.
    """
    if data is None:
        data = BlockData(X, sample_weight)
    kernel = kernel_for(mixture, data)
    stats = gather(data, kernel)
    _check_finite(stats.log_likelihood)
    redo = scatter_request(stats, mixture.covariance_type, reg_covar)
    if redo:
        stats.scatter = gather_scatter(data, kernel, redo)
    return stats.log_likelihood, mixture_from_statistics(
        stats, mixture.covariance_type, data.centre, reg_covar
    )


def mixture_from_statistics(
    stats: Statistics, covariance_type: str, centre: np.ndarray, reg_covar: float
) -> Mixture:
    """The M-step from summed statistics (of one pass, or of chunks added together).

    ``centre`` is the point the statistics' rows were centred on (the kernel's centre).
    Scatters in ``stats.scatter`` (from a second pass, see
    :func:`gmm_studio.core.blockwise.scatter_request`) replace the one-pass ones.
    """
    raw_counts = stats.counts
    nk = raw_counts + _EPS
    scatter, diag = one_pass_scatter(stats, covariance_type)
    if stats.scatter:
        if covariance_type == "tied":
            scatter = sum(stats.scatter.values())
        for c, value in stats.scatter.items():
            if covariance_type == "full":
                scatter[c] = value
            elif covariance_type != "tied":
                diag[c] = value / nk[c]
    means = stats.offsets + stats.linear / nk[:, np.newaxis] + centre
    return mixture_from_moments(
        stats.total_weight, raw_counts, means, scatter, diag, covariance_type, reg_covar,
        stats.worst_points, lambda: _spread_of(stats, covariance_type),
    )  # fmt: skip


def _spread_of(stats: Statistics, covariance_type: str) -> np.ndarray:
    """The data's covariance (ddof=1, weighted) from the statistics: Σ_k r_k = 1 for each row.

    Diag and spherical statistics hold only squares: the off-diagonal entries are zero there
    (the re-seed uses only the diagonal for those types).
    """
    w = stats.total_weight
    d = stats.linear.shape[1]
    if w <= 1.0:
        return np.zeros((d, d))
    c, n, lin = stats.offsets, stats.counts, stats.linear
    s = (lin + n[:, np.newaxis] * c).sum(axis=0)  # Σ w·z about the centre
    if covariance_type == "tied":
        q = stats.quadratic
    elif covariance_type == "full":
        cross = c[:, :, np.newaxis] * lin[:, np.newaxis, :]
        q = stats.quadratic + cross + np.swapaxes(cross, 1, 2)
        q = (q + n[:, np.newaxis, np.newaxis] * c[:, :, np.newaxis] * c[:, np.newaxis, :]).sum(0)
    else:
        q = (stats.quadratic + 2.0 * c * lin + n[:, np.newaxis] * c**2).sum(axis=0)
        return np.diag((q - s * s / w) / (w - 1.0))
    return (q - np.outer(s, s) / w) / (w - 1.0)


def _check_settings(tol, max_iter, reg_covar):
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0):
        raise FitError(f"tol must be a number ≥ 0, not {tol!r}")
    if not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise FitError(f"max_iter must be a whole number ≥ 0, not {max_iter!r}")
    if not (isinstance(reg_covar, int | float) and math.isfinite(reg_covar) and reg_covar >= 0):
        raise FitError(f"reg_covar must be a number ≥ 0, not {reg_covar!r}")


def starting_mixture(
    X: np.ndarray,
    n_components: int,
    covariance_type: str,
    init: str,
    weights_init,
    means_init,
    covariances_init,
    reg_covar: float,
    seed,
    sample_weight=None,
) -> Mixture:
    """The mixture EM starts from: user-given parameters override those from ``init``."""
    given = (weights_init, means_init, covariances_init)
    if all(p is not None for p in given):
        base = None
    else:
        base = initialize(
            X, n_components, covariance_type=covariance_type, init=init,
            reg_covar=reg_covar, seed=seed, sample_weight=sample_weight,
        )  # fmt: skip
    start = Mixture(
        weights=base.weights if weights_init is None else weights_init,
        means=base.means if means_init is None else means_init,
        covariances=base.covariances if covariances_init is None else covariances_init,
        covariance_type=covariance_type,
    )
    if start.n_components != n_components or start.n_features != X.shape[1]:
        raise FitError(
            f"the starting parameters describe {start.n_components} components in "
            f"{start.n_features} dimensions, but the fit asks for {n_components} components "
            f"on {X.shape[1]}-dimensional data"
        )
    return start


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
    """Run EM, yielding one :class:`Snapshot` per iteration.

    The first snapshot (iteration 0) holds the starting parameters; EM stops after the first
    snapshot whose mean log-likelihood changed by less than ``tol``, or after ``max_iter``
    iterations.

    Parameters
    ----------
    X : array_like, shape (N, D)
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
    seed : int, Generator or None
        Seeds every random choice; the same seed gives the same fit.
    sample_weight : array_like, shape (N,), optional
        Non-negative weight of each row: EM counts row i ``sample_weight[i]`` times, so integer
        weights give the fit of the data with each row repeated that many times (from the same
        start; see :func:`initialize` for the starts). The log-likelihood is Σ w·log p and
        ``n_samples`` of the snapshots is Σ w.

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
    X = check_data(X, n_components)
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    cov.check_covariance_type(covariance_type)
    _check_settings(tol, max_iter, reg_covar)
    start = starting_mixture(
        X, n_components, covariance_type, init,
        weights_init, means_init, covariances_init, reg_covar, seed, sample_weight,
    )  # fmt: skip
    return _iterate(X, start, tol, max_iter, reg_covar, sample_weight)


def _iterate(X, mixture, tol, max_iter, reg_covar, sample_weight=None) -> Iterator[Snapshot]:
    if ENGINE_PASS == "reference" and sample_weight is None:
        n_samples = X.shape[0]
        floor = collapse_floor(X)

        def one_pass(m):
            return reference_em_pass(X, m, reg_covar)
    else:
        data = BlockData(X, sample_weight)
        n_samples = X.shape[0] if sample_weight is None else data.total_weight
        floor = COLLAPSE_RATIO * float(np.max(data.variance))

        def one_pass(m):
            return em_pass(X, m, reg_covar, data)

    previous = math.nan
    for iteration in range(max_iter + 1):
        total, next_mixture = one_pass(mixture)
        if iteration < max_iter:
            check_not_collapsed(next_mixture, floor)
        mean = total / n_samples
        change = mean - previous
        converged = iteration > 0 and abs(change) < tol
        yield Snapshot(iteration, mixture, total, mean, change, converged, n_samples)
        if converged:
            return
        previous = mean
        mixture = next_mixture


def fit(
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
) -> FitResult:
    """Fit a Gaussian mixture by EM; the arguments are those of :func:`em_steps`.

    Returns
    -------
    FitResult
        With ``weights``, ``means``, ``covariances``, ``covariance_type``, ``log_likelihood``
        (total), ``log_likelihood_trace`` (before the first iteration, then after each),
        ``n_iter`` and ``converged``.
    """
    steps = em_steps(
        X, n_components, covariance_type=covariance_type, init=init,
        weights_init=weights_init, means_init=means_init, covariances_init=covariances_init,
        tol=tol, max_iter=max_iter, reg_covar=reg_covar, seed=seed, sample_weight=sample_weight,
    )  # fmt: skip
    trace = []
    for last in steps:
        trace.append(last.log_likelihood)
    return FitResult(last.mixture, tuple(trace), last.iteration, last.converged, last.n_samples)
