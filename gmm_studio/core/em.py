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
    BlockData,
    Statistics,
    blas_threads_for,
    gather,
    gather_scatter,
    kernel_for,
    one_pass_scatter,
    scatter_request,
    total_log_likelihood,
    worst_rows,
)
from gmm_studio.core.errors import FitError
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
    total_weight,
    raw_counts,
    means,
    scatter,
    diag,
    covariance_type,
    reg_covar,
    least_explained,
    spread,
    previous: Mixture | None = None,
    locks: Locks | None = None,
) -> Mixture:
    """The M-step's mixture from per-component moments, re-seeding any empty component.

    ``total_weight`` is the number of rows (the sum of their weights), ``raw_counts`` (K,) the
    summed responsibilities, ``means`` (K, D) the component means (locked ones already put
    back), ``scatter`` the summed weighted outer products about those means ((K, D, D) for
    full; summed over components (D, D) for tied; overwritten by the covariances), ``diag``
    the weighted variances ((K, D) for diag; (K, 1), their mean over the features, for
    spherical).
    ``least_explained(count)`` returns the ``count`` rows the previous mixture explains least
    well, worst first (called only when a component is empty), and ``spread`` is the data's
    covariance (ddof=1) in the shape of one covariance of this type ((D, D), (D,) for diag, a
    number for spherical; None will do where no component is empty): the empty components
    restart at those rows, in order, with that covariance and a weight of one row. With
    ``locks``, the locked parameters of ``previous`` are kept bit for bit and the free
    weights share what the locked weights leave.
    """
    nk = raw_counts + _EPS
    diagonal = np.arange(means.shape[1])  # reg_covar is added there: no (D, D) identity
    if covariance_type == "full":  # in place: at large K·D² a copy would dominate the memory
        covariances = np.divide(scatter, nk[:, np.newaxis, np.newaxis], out=scatter)
        covariances[:, diagonal, diagonal] += reg_covar
    elif covariance_type == "tied":
        covariances = np.divide(scatter, nk.sum(), out=scatter)
        covariances[diagonal, diagonal] += reg_covar
    elif covariance_type == "diag":
        covariances = diag + reg_covar
    else:
        covariances = diag.mean(axis=1) + reg_covar
    weights = nk / total_weight

    locked = locks is not None and locks.any
    empty = np.flatnonzero(raw_counts < EMPTY_COMPONENT)
    if locked and len(empty):
        # An empty component with a lock is the user's: EM neither re-seeds nor moves it, it
        # keeps all its parameters (so the likelihood still cannot decrease).
        some = locks.array("mean") | locks.array("covariance") | locks.array("weight")
        hold, empty = empty[some[empty]], empty[~some[empty]]
        if len(hold):
            means = np.array(means)
            means[hold] = previous.means[hold]
            held = {kind: locks.array(kind) for kind in ("mean", "covariance", "weight")}
            for flags in held.values():
                flags[hold] = True
            locks = Locks(**{kind: tuple(flags) for kind, flags in held.items()})
    if len(empty):
        weights, means, covariances = _reseed(
            total_weight, spread, empty, least_explained(len(empty)), weights, means,
            covariances, covariance_type, reg_covar,
        )  # fmt: skip
        if not locked:
            weights = weights / weights.sum()
    if locked:
        weights, covariances = _keep_locked(previous, locks, weights, covariances)
    return Mixture(weights, means, covariances, covariance_type, copy=False)


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


def _reseed(
    total_weight, spread, empty, worst_points, weights, means, covariances, covariance_type, reg
):
    """Restart each empty component at a badly explained row (weights not renormalised)."""
    n_features = means.shape[1]
    for k, point in zip(empty, worst_points, strict=False):
        means[k] = point
        weights[k] = 1.0 / total_weight
        if covariance_type == "full":
            covariances[k] = spread + reg * np.eye(n_features)
        elif covariance_type in ("diag", "spherical"):
            covariances[k] = spread + reg
    return weights, means, covariances


def check_not_collapsed(mixture: Mixture, floor: float) -> None:
    """Raise DegenerateCovarianceError if a covariance's smallest eigenvalue is below ``floor``.

    For full and tied covariances the Cholesky factors of the precisions (which the next
    pass needs anyway, and keeps) bound the smallest eigenvalue from below by 1 / tr(C⁻¹);
    only a covariance that bound does not clear has its eigenvalues computed.
    """
    covariance_type = mixture.covariance_type
    if covariance_type in ("diag", "spherical"):  # the variances are the eigenvalues
        smallest = np.atleast_2d(mixture.covariances.T).min(axis=0)
        collapsed = np.flatnonzero(~(smallest > floor))
    else:
        with blas_threads_for(mixture.n_components, mixture.n_features, covariance_type):
            factors = mixture.precisions_cholesky()
            covariances = mixture.covariances
            if covariance_type == "tied":
                factors, covariances = factors[np.newaxis], covariances[np.newaxis]
            lower_bound = 1.0 / np.einsum("kij,kij->k", factors, factors)
            unsure = np.flatnonzero(~(lower_bound > floor))
            smallest = np.linalg.eigvalsh(covariances[unsure])[:, 0] if len(unsure) else ()
        collapsed = unsure[~(np.asarray(smallest) > floor)]
    if len(collapsed):
        raise cov.degenerate(int(collapsed[0]) if covariance_type != "tied" else -1)


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
        ``X`` prepared once for many passes (``BlockData(X, sample_weight)``, which also
        carries the row weights); made here, unweighted, when not given.
    locks : Locks, optional
        Parameters the M-step keeps from ``mixture``.

    Returns
    -------
    log_likelihood : float
        Total (weighted) log-likelihood of ``X`` under ``mixture``.
    next_mixture : Mixture
        The M-step's update.
    """
    if data is None:
        data = BlockData(X)
    shape = (mixture.n_components, mixture.n_features, mixture.covariance_type)
    # The factorisations of the kernel and the M-step too.
    with blas_threads_for(*shape, n_samples=data.n_samples):
        kernel = kernel_for(mixture, data)
        return finish_pass(
            gather(data, kernel), mixture, reg_covar, data.centre, locks,
            lambda about: gather_scatter(data, kernel, about),
            lambda count: worst_rows(data, kernel, count),
        )  # fmt: skip


def log_likelihood_pass(data: BlockData, mixture: Mixture) -> float:
    """The E-step of :func:`em_pass` alone: its log-likelihood, bit for bit, without the M-step.

    For the last snapshot of a run, whose M-step would never be taken.
    """
    shape = (mixture.n_components, mixture.n_features, mixture.covariance_type)
    with blas_threads_for(*shape, n_samples=data.n_samples):
        total = total_log_likelihood(data, mixture)
    check_finite(total)
    return total


def finish_pass(
    stats: Statistics, mixture: Mixture, reg_covar: float, centre, locks, scatter_pass, worst_pass
) -> tuple[float, Mixture]:
    """The end of an EM pass from its statistics: ``(log_likelihood, next_mixture)``.

    Two more passes over the data may be needed, each a callable: ``scatter_pass(about)``
    returns the scatters that :func:`~gmm_studio.core.blockwise.scatter_request` asks for
    (``about``: component → centred point), ``worst_pass(count)`` the
    :class:`~gmm_studio.core.blockwise.WorstRows` at which empty components restart. In memory
    they are :func:`~gmm_studio.core.blockwise.gather_scatter` and
    :func:`~gmm_studio.core.blockwise.worst_rows`, on a Dask cluster reductions over chunks
    (:mod:`gmm_studio.cluster.em`).
    """
    check_finite(stats.log_likelihood)
    redo = scatter_request(stats, mixture.covariance_type, reg_covar)
    if redo:
        about = _scatter_centres(stats, mixture, centre, locks)
        stats.scatter = scatter_pass({c: about[c] for c in redo})
    return stats.log_likelihood, mixture_from_statistics(
        stats, mixture.covariance_type, centre, reg_covar,
        lambda count: worst_pass(count).points, previous=mixture, locks=locks,
    )  # fmt: skip


def _scatter_centres(stats: Statistics, previous: Mixture | None, centre, locks) -> np.ndarray:
    """Centred points the M-step's scatter is taken about: the new means, or the locked ones."""
    about = stats.offsets + stats.linear / (stats.counts + _EPS)[:, np.newaxis]
    if locks is not None and any(locks.mean):
        lock_mean = locks.array("mean")
        about[lock_mean] = previous.means[lock_mean] - centre
    return about


def mixture_from_statistics(
    stats: Statistics,
    covariance_type: str,
    centre: np.ndarray,
    reg_covar: float,
    least_explained,
    previous: Mixture | None = None,
    locks: Locks | None = None,
) -> Mixture:
    """The M-step from summed statistics (of one pass, or of chunks added together).

    ``centre`` is the point the statistics' rows were centred on (the kernel's centre);
    ``least_explained`` is :func:`mixture_from_moments`'s.
    Scatters in ``stats.scatter`` (from a second pass, see
    :func:`gmm_studio.core.blockwise.scatter_request`) replace the one-pass ones. With
    ``locks``, the locked parameters of ``previous`` are kept bit for bit; the scatter of a
    component whose mean is locked is taken about that mean.

    The statistics are used up: full and tied covariances are computed in the place of their
    sums (at large K·D² a copy would dominate the memory), the second pass's scatters taken
    out. The data's spread, which only a re-seed needs, is computed only when a component is
    empty (at large D it is several (D, D) temporaries).
    """
    raw_counts = stats.counts
    nk = raw_counts + _EPS
    about = _scatter_centres(stats, previous, centre, locks)
    empty = np.any(raw_counts < EMPTY_COMPONENT)
    spread = _spread_of(stats, covariance_type) if empty else None
    scatter, diag = one_pass_scatter(stats, covariance_type, about, overwrite=True)
    if stats.scatter:
        if covariance_type == "tied":
            parts = list(stats.scatter.values())
            stats.scatter.clear()
            scatter = parts[0]
            for part in parts[1:]:
                scatter += part
        while stats.scatter:
            c, value = stats.scatter.popitem()
            if covariance_type == "full":
                scatter[c] = value
            elif covariance_type == "diag":
                diag[c] = value / nk[c]
            elif covariance_type == "spherical":  # the trace: the mean variance is 1/D of it
                diag[c] = value / (nk[c] * stats.linear.shape[1])
    means = about + centre
    if locks is not None and any(locks.mean):
        lock_mean = locks.array("mean")
        means[lock_mean] = previous.means[lock_mean]  # bit for bit, not re-centred
    return mixture_from_moments(
        stats.total_weight, raw_counts, means, scatter, diag, covariance_type, reg_covar,
        least_explained, spread, previous=previous, locks=locks,
    )  # fmt: skip


def _spread_of(stats: Statistics, covariance_type: str) -> np.ndarray | float:
    """The data's covariance (ddof=1, weighted) from the statistics (Σ_k r_k = 1 for each row),
    in the shape of one covariance of this type: (D, D) for full and tied, its diagonal (D,)
    for diag, the mean of that (a number) for spherical (what the statistics hold).
    """
    w = stats.total_weight
    d = stats.linear.shape[1]
    if w <= 1.0:
        return {"diag": np.zeros(d), "spherical": 0.0}.get(covariance_type, np.zeros((d, d)))
    c, n, lin = stats.offsets, stats.counts, stats.linear
    s = (lin + n[:, np.newaxis] * c).sum(axis=0)  # Σ w·z about the centre
    if covariance_type == "tied":
        q = stats.quadratic
    elif covariance_type == "full":
        # Σ_k Q_k + c_k l_kᵀ + l_k c_kᵀ + n_k c_k c_kᵀ, without (K, D, D) temporaries.
        cross = c.T @ lin
        q = stats.quadratic.sum(axis=0) + cross + cross.T + (c * n[:, np.newaxis]).T @ c
    elif covariance_type == "diag":
        q = (stats.quadratic + 2.0 * c * lin + n[:, np.newaxis] * c**2).sum(axis=0)
        return (q - s * s / w) / (w - 1.0)
    else:
        q = float(
            np.sum(stats.quadratic + 2.0 * np.sum(c * lin, axis=1) + n * np.sum(c**2, axis=1))
        )
        return (q - s @ s / w) / (d * (w - 1.0))
    return (q - np.outer(s, s) / w) / (w - 1.0)
