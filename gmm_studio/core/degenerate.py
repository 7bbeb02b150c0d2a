"""Degenerate components: covariances sitting on the ``reg_covar`` floor, or too few points.

A likelihood-based criterion rewards a component that shrinks onto a few points: its density
there grows without bound, held back only by ``reg_covar``. Such a fit can beat every honest
model on BIC (Old Faithful, diag, K=5: a component on the 14 eruptions whose waiting time is
exactly 83 minutes has variance 1e-6 in that direction). mclust reports such fits as missing;
GMM Studio flags them and never prefers them (see :mod:`gmm_studio.core.restarts`).
"""

from __future__ import annotations

import numpy as np

from gmm_studio.core.blockwise import BlockData, for_each_block, make_kernel
from gmm_studio.core.em import COLLAPSE_RATIO

#: A covariance is on the floor in a direction when its variance there exceeds ``reg_covar``
#: by at most this fraction of ``reg_covar``: the component's own spread adds almost nothing.
FLOOR_SLACK = 0.01

#: The share of a component's effective count N_k that its supporting points must carry.
SUPPORT_SHARE = 0.99

#: Sorted rows compared at a time when looking for equal rows.
_COMPARED_ROWS = 1 << 16


class DistinctRows:
    """Which rows of the data are equal (in every column), found once per data set.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    """

    def __init__(self, X: np.ndarray):
        n = len(X)
        self.n_samples, self.n_features = X.shape
        #: For each row, the index of its distinct value (None when all rows differ).
        self.inverse = None
        #: Number of distinct rows.
        self.n_distinct = n
        #: How often the most repeated row occurs.
        self.max_multiplicity = min(n, 1)
        # Measured data rarely repeat a value of their first column; when none repeats, every
        # row differs, found by one sort of that column (8 bytes a row; sorting the rows would
        # take 4 s and 50 bytes a row on 10,000,000 rows).
        first = np.sort(X[:, 0])
        if not np.any(first[1:] == first[:-1]):
            return
        del first
        order = np.lexsort(X.T[::-1])
        starts = np.ones(n, dtype=bool)
        for a in range(1, n, _COMPARED_ROWS):  # a few rows at a time: no sorted copy of X
            b = min(a + _COMPARED_ROWS, n)
            ordered = X[order[a - 1 : b]]
            np.any(ordered[1:] != ordered[:-1], axis=1, out=starts[a:b])
        firsts = np.flatnonzero(starts)
        self.n_distinct = len(firsts)
        self.max_multiplicity = int(np.diff(firsts, append=n).max())
        if self.n_distinct < n:
            group = np.cumsum(starts, dtype=np.intp)
            group -= 1
            self.inverse = np.empty(n, dtype=np.intp)
            self.inverse[order] = group

    def masses(self, responsibilities: np.ndarray) -> np.ndarray:
        """Responsibilities (N,) summed over equal rows: one mass per distinct row."""
        if self.inverse is None:
            return responsibilities
        return np.bincount(self.inverse, weights=responsibilities, minlength=self.n_distinct)


def floor_threshold(reg_covar: float, largest_variance: float) -> float:
    """The variance at or below which a direction of a covariance counts as on the floor."""
    return (1.0 + FLOOR_SLACK) * reg_covar + COLLAPSE_RATIO * largest_variance


def smallest_variances(mixture) -> np.ndarray:
    """Each component's variance in its narrowest direction (smallest eigenvalue), shape (K,)."""
    covariance_type = mixture.covariance_type
    if covariance_type == "diag":
        return mixture.covariances.min(axis=1)
    if covariance_type == "spherical":
        return np.array(mixture.covariances)
    if covariance_type == "tied":
        return np.full(mixture.n_components, np.linalg.eigvalsh(mixture.covariances)[0])
    return np.linalg.eigvalsh(mixture.covariances)[:, 0]


def degenerate_components(
    data: BlockData,
    distinct: DistinctRows,
    mixture,
    reg_covar: float,
) -> tuple[int, ...]:
    """The components of ``mixture`` that are degenerate on the data, in increasing order.

    Component k is **degenerate** when either

    1. **its covariance is on the reg_covar floor**: its smallest eigenvalue is at most
       ``(1 + FLOOR_SLACK) · reg_covar + COLLAPSE_RATIO · v`` (``FLOOR_SLACK = 0.01``,
       ``COLLAPSE_RATIO = 1e-12``, ``v`` the data's largest per-column variance). The fitted
       covariance is the component's own scatter plus ``reg_covar``; at the floor its own
       scatter in some direction is less than 1% of ``reg_covar``: the component lies flat on a
       point, a line or a plane. With ``tied`` covariances the floor is shared, so all
       components are degenerate together. The second term matters only when
       ``reg_covar`` is 0.
    2. **it is carried by fewer than D + 1 distinct points**: at most D distinct data rows
       (rows equal in every column count once, their responsibilities added) carry at least
       ``SUPPORT_SHARE = 99%`` of its effective count ``N_k = N · w_k``, with ``r_ik`` the
       responsibilities under ``mixture`` (with sample weights, N is their total and each
       row's responsibility counts times its weight). (``N · w_k`` is the count the component's mean and
       covariance were estimated from; at convergence it equals ``Σ_i r_ik``.) D + 1 points in general
       position are the fewest that determine a D-dimensional Gaussian; with fewer, what the
       component claims to know about its spread comes from ``reg_covar`` or from a
       coincidence (two points on a diagonal give a diag component two honest-looking
       variances). Counting responsibility mass rather than points above a cut (such as
       r > 1/2) keeps a broad component that shares its points with others from counting as
       degenerate: it needs many rows to reach 99% of its N_k.

    Parameters
    ----------
    data : BlockData
        The data the mixture was fitted to.
    distinct : DistinctRows
        The same data's distinct rows.
    mixture : Mixture
    reg_covar : float
        The ``reg_covar`` of the fit.
    """
    d = data.n_features
    floor = floor_threshold(reg_covar, float(np.max(data.variance)))
    flagged = set(np.flatnonzero(~(smallest_variances(mixture) > floor)).tolist())

    # At most D distinct rows can carry at most D · (largest multiplicity) of responsibility,
    # so only components with a small N_k need their responsibilities looked at.
    reach = d * distinct.max_multiplicity
    if data.sample_weight is not None:  # the heaviest row stands for that many points
        reach *= float(data.sample_weight.max())
    counts = data.total_weight * mixture.weights
    suspects = [
        k
        for k in range(mixture.n_components)
        if k not in flagged and SUPPORT_SHARE * counts[k] <= reach
    ]
    if suspects:
        columns = np.empty((len(suspects), data.n_samples))
        kernel = make_kernel(mixture, data.centre, data.radius)

        def keep(start, stop, R):
            columns[:, start:stop] = R[suspects]

        for_each_block(data, kernel, keep)
        if data.sample_weight is not None:
            columns *= data.sample_weight
        for k, column in zip(suspects, columns, strict=True):
            masses = distinct.masses(column)
            top = masses if len(masses) <= d else np.partition(masses, len(masses) - d)[-d:]
            if top.sum() >= SUPPORT_SHARE * counts[k]:
                flagged.add(k)
    return tuple(sorted(int(k) for k in flagged))
