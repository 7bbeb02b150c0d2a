"""One EM iteration on a block of data: the E-step's statistics and the M-step's parameters.

:func:`em_pass` is the pass the application runs: one block-wise sweep over the data gathers
the log-likelihood and the sufficient statistics (Σr, Σr·x, Σr·x xᵀ), and the M-step turns
them into the next mixture, holding locked parameters fixed. :class:`gmm_studio.core.run.EMRun`
steps it. Numerics follow scikit-learn's ``GaussianMixture``: a log-space E-step, Cholesky
factors of the precisions and ``reg_covar`` on the diagonal.
"""

from __future__ import annotations

import math

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core.blockwise import (
    EXPANDED_FORM_ERROR,
    ROUNDING_SLACK,
    BlockData,
    gather,
    make_kernel,
    upper_pairs,
)
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import data_covariance
from gmm_studio.core.locks import Locks
from gmm_studio.core.mixture import Mixture

#: A component whose total responsibility falls below this many points is empty: its mean
#: would be a ratio of two vanishing numbers, so it is re-seeded instead.
EMPTY_COMPONENT = 1e-8

_EPS = 10 * np.finfo(float).eps

#: A covariance whose smallest eigenvalue is below this fraction of the data's largest variance
#: has collapsed onto a point or a line: its density is rounding noise, so EM stops there.
COLLAPSE_RATIO = 1e-12


def mixture_from_moments(
    X,
    raw_counts,
    means,
    scatter,
    diag,
    covariance_type,
    reg_covar,
    worst_rows,
    previous: Mixture | None = None,
    locks: Locks | None = None,
) -> Mixture:
    """The M-step's mixture from per-component moments, re-seeding any empty component.

    ``raw_counts`` (K,) are the summed responsibilities, ``means`` (K, D) the component means
    (locked ones already put back), ``scatter`` (K, D, D) the summed weighted outer products
    about those means (full and tied), ``diag`` (K, D) the weighted variances (diag and
    spherical). With ``locks``, the locked parameters of ``previous`` are kept bit for bit and
    the free weights share what the locked weights leave.
    """
    n_samples, n_features = X.shape
    nk = raw_counts + _EPS
    if covariance_type == "full":
        covariances = scatter / nk[:, np.newaxis, np.newaxis] + reg_covar * np.eye(n_features)
    elif covariance_type == "tied":
        covariances = scatter.sum(axis=0) / nk.sum() + reg_covar * np.eye(n_features)
    elif covariance_type == "diag":
        covariances = diag + reg_covar
    else:
        covariances = diag.mean(axis=1) + reg_covar
    weights = nk / n_samples

    locked = locks is not None and locks.any
    empty = np.flatnonzero(raw_counts < EMPTY_COMPONENT)
    if len(empty):
        weights, means, covariances = _reseed(
            X, empty, worst_rows, weights, means, covariances, covariance_type, reg_covar
        )
        if not locked:
            weights = weights / weights.sum()
    if locked:
        weights, covariances = _keep_locked(previous, locks, weights, covariances)
    return Mixture(weights, means, covariances, covariance_type)


def _keep_locked(previous: Mixture, locks: Locks, weights, covariances):
    """Put the locked covariances and weights of ``previous`` back; renormalise the free weights."""
    lock_cov = locks.array("covariance")
    if previous.covariance_type == "tied":
        if lock_cov.any():
            covariances = previous.covariances
    elif lock_cov.any():
        covariances = np.array(covariances)
        covariances[lock_cov] = previous.covariances[lock_cov]
    lock_w = locks.array("weight")
    if lock_w.all():
        return previous.weights, covariances
    free = ~lock_w
    out = np.array(previous.weights)
    left = 1.0 - float(previous.weights[lock_w].sum())
    out[free] = max(left, 0.0) * weights[free] / weights[free].sum()
    return out, covariances


def _reseed(X, empty, worst_rows, weights, means, covariances, covariance_type, reg_covar):
    """Restart each empty component at a badly explained row (weights not renormalised)."""
    n_samples, n_features = X.shape
    spread = cov.from_full(data_covariance(X)[np.newaxis], covariance_type)
    for k, row in zip(empty, worst_rows, strict=False):
        means[k] = X[row]
        weights[k] = 1.0 / n_samples
        if covariance_type == "full":
            covariances[k] = spread[0] + reg_covar * np.eye(n_features)
        elif covariance_type in ("diag", "spherical"):
            covariances[k] = spread[0] + reg_covar
    return weights, means, covariances


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


def check_finite(total: float) -> None:
    """Raise FitError when the log-likelihood is not a finite number."""
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
    locks: Locks | None = None,
) -> tuple[float, Mixture]:
    """One E-step and one M-step in a single block-wise pass over the data.

    Same results as the plain N×K pass :func:`gmm_studio.core.reference.reference_em_pass` up
    to rounding, without any N×K matrix: see :mod:`gmm_studio.core.blockwise`.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    mixture : Mixture
    reg_covar : float
    data : BlockData, optional
        ``X`` prepared once for many passes (``BlockData(X)``); made here when not given.
    locks : Locks, optional
        Parameters the M-step keeps from ``mixture``.

    Returns
    -------
    log_likelihood : float
        Total log-likelihood of ``X`` under ``mixture``.
    next_mixture : Mixture
        The M-step's update.
    """
    if data is None:
        data = BlockData(X)
    kernel = make_kernel(mixture, data.centre, data.radius)
    stats = gather(data, kernel)
    check_finite(stats.total)

    covariance_type = mixture.covariance_type
    k, d = mixture.means.shape
    nq = kernel.n_quadratic
    sums = stats.sums
    raw_counts = sums[:, -1].copy()
    linear = sums[:, nq : nq + d]
    nk = raw_counts + _EPS
    # The scatter is taken about each component's new mean, or its kept one when locked.
    about = linear / nk[:, np.newaxis]
    lock_mean = None if locks is None or not any(locks.mean) else locks.array("mean")
    if lock_mean is not None:
        about[lock_mean] = mixture.means[lock_mean] - data.centre
    quad = sums[:, :nq]
    full_form = covariance_type in ("full", "tied")
    if full_form:
        rows, cols = upper_pairs(d)
        scatter = np.empty((k, d, d))
        scatter[:, rows, cols] = quad
        scatter[:, cols, rows] = quad
        cross = about[:, :, np.newaxis] * linear[:, np.newaxis, :]
        scatter -= cross + np.swapaxes(cross, 1, 2)
        scatter += raw_counts[:, np.newaxis, np.newaxis] * (
            about[:, :, np.newaxis] * about[:, np.newaxis, :]
        )
        diag = None
    else:
        scatter = None
        diag = (quad - 2.0 * about * linear + raw_counts[:, np.newaxis] * about**2) / nk[
            :, np.newaxis
        ]

    redo = _cancelled_components(covariance_type, raw_counts, nk, about, scatter, diag, reg_covar)
    if len(redo):
        again = gather(data, kernel, scatter_about={int(c): about[c] for c in redo})
        for c, value in again.scatter.items():
            if full_form:
                scatter[c] = value
            else:
                diag[c] = value / nk[c]

    means = about + data.centre
    if lock_mean is not None:
        means[lock_mean] = mixture.means[lock_mean]  # bit for bit, not re-centred
    next_mixture = mixture_from_moments(
        data.X, raw_counts, means, scatter, diag, covariance_type, reg_covar, stats.worst_rows,
        previous=mixture, locks=locks,
    )  # fmt: skip
    return stats.total, next_mixture


def _cancelled_components(covariance_type, raw_counts, nk, shifted, scatter, diag, reg):
    """Components whose one-pass scatter may carry more than EXPANDED_FORM_ERROR of rounding.

    The one-pass scatter subtracts n·m mᵀ from Σr·z zᵀ; the relative error of the result grows
    with (|m|² + tr C) / λ_min(C), m the component's mean about the data centre.
    """
    live = raw_counts >= EMPTY_COMPONENT
    slack = ROUNDING_SLACK * np.finfo(float).eps
    if scatter is not None:
        covariances = scatter / nk[:, np.newaxis, np.newaxis]
        if covariance_type == "tied":
            tied = scatter.sum(axis=0) / nk.sum()
            smallest = np.full(len(nk), np.linalg.eigvalsh(tied)[0] + reg)
        else:
            smallest = np.linalg.eigvalsh(covariances)[:, 0] + reg
        size = np.sum(shifted**2, axis=1) + np.abs(np.trace(covariances, axis1=1, axis2=2))
    else:
        smallest = np.min(diag, axis=1) + reg
        size = np.max(shifted**2 + np.abs(diag), axis=1)
    positive = smallest > 0
    error = slack * size / np.where(positive, smallest, 1.0)
    return np.flatnonzero(live & ~((error <= EXPANDED_FORM_ERROR) & positive))
