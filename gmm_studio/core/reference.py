"""The oracle EM pass: one E-step and one M-step written plainly over the whole N×K matrix.

Never used by the application. Tests and ``benchmarks/bench_em.py --engine reference`` hand
:func:`reference_em_pass` to :class:`gmm_studio.core.run.EMRun` (its ``em_pass`` argument) to
check the block-wise :func:`gmm_studio.core.em.em_pass` against it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from gmm_studio.core import covariance as cov
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.em import check_finite, mixture_from_moments
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import data_covariance
from gmm_studio.core.locks import Locks
from gmm_studio.core.mixture import Mixture


def m_step(
    X: np.ndarray,
    resp: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    worst_rows: np.ndarray,
    previous: Mixture | None = None,
    locks: Locks | None = None,
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
    previous, locks : Mixture and Locks, optional
        Parameters locked in ``locks`` are kept from ``previous``.
    """
    n_features = X.shape[1]
    n_components = resp.shape[1]
    raw_counts = resp.sum(axis=0)
    nk = raw_counts + 10 * np.finfo(float).eps
    means = resp.T @ X / nk[:, np.newaxis]
    if locks is not None and any(locks.mean):
        means[locks.array("mean")] = previous.means[locks.array("mean")]
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
        lambda count: X[worst_rows[:count]],
        cov.from_full(data_covariance(X)[np.newaxis], covariance_type)[0],
        previous=previous, locks=locks,
    )  # fmt: skip


def reference_em_pass(
    X: np.ndarray,
    mixture: Mixture,
    reg_covar: float,
    data: BlockData | None = None,
    locks: Locks | None = None,
) -> tuple[float, Mixture]:
    """One E-step and one M-step over the whole (N, K) matrix; same signature as ``em_pass``.

    ``data`` is accepted so both passes can be handed to a run alike, and ignored: this pass
    holds several N×K and N×D arrays at once.

    Returns
    -------
    log_likelihood : float
        Total log-likelihood of ``X`` under ``mixture`` (the E-step's by-product).
    next_mixture : Mixture
        The M-step's update.
    """
    if data is not None and data.sample_weight is not None:
        raise FitError("the reference pass does not take sample weights")
    wlp = mixture.weighted_log_prob(X)
    log_norm = logsumexp(wlp, axis=1)
    total = float(np.sum(log_norm))
    check_finite(total)
    resp = np.exp(wlp - log_norm[:, np.newaxis])
    worst = np.argsort(log_norm, kind="stable")[: mixture.n_components]
    return total, m_step(X, resp, mixture.covariance_type, reg_covar, worst, mixture, locks)
