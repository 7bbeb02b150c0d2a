"""Starting parameters for EM: random data points, k-means++ seeding, or a few k-means steps.

Every random choice goes through a seedable :class:`numpy.random.Generator`, so the same seed
gives the same start.
"""

from __future__ import annotations

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core.blockwise import check_sample_weight
from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture

INIT_METHODS = ("random-points", "kmeans++", "kmeans")

KMEANS_ITERATIONS = 10


def check_data(X) -> np.ndarray:
    """Return ``X`` as a float (N, D) array, or raise FitError saying what is wrong with it."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise FitError("the data must be a table of numbers") from None
    if X.ndim != 2:
        raise FitError(f"data must be a table of points (rows × columns), got shape {X.shape}")
    n_samples, n_features = X.shape
    if n_samples == 0 or n_features == 0:
        raise FitError("there are no points to fit")
    if not np.all(np.isfinite(X)):
        raise FitError("the data contain missing or infinite values")
    return X


def check_fit_size(X: np.ndarray, n_components: int) -> None:
    """Raise FitError when there are fewer points than components."""
    n_samples = X.shape[0]
    if n_components > n_samples:
        raise FitError(
            f"n_components={n_components} is more than the {n_samples} point"
            f"{'s' if n_samples != 1 else ''} to fit; add points or use fewer components"
        )


def data_covariance(X: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """The sample covariance of ``X`` (ddof=1, as ``np.cov``); zeros for a single point.

    With weights: the covariance of the rows repeated by their (integer) weights, i.e. about
    the weighted mean, divided by Σw - 1 (zeros when Σw ≤ 1).
    """
    if sample_weight is None:
        if X.shape[0] < 2:
            return np.zeros((X.shape[1], X.shape[1]))
        return np.atleast_2d(np.cov(X, rowvar=False))
    total = float(sample_weight.sum())
    if total <= 1.0:
        return np.zeros((X.shape[1], X.shape[1]))
    diff = X - sample_weight @ X / total
    return (diff * sample_weight[:, np.newaxis]).T @ diff / (total - 1.0)


def _random_points(
    X: np.ndarray, n_components: int, rng: np.random.Generator, sample_weight=None
) -> np.ndarray:
    """K rows of X as means, distinct in value whenever the data have K distinct rows.

    With weights, rows are drawn with probability ∝ weight (rows of weight 0 never).
    """
    if sample_weight is None:
        chosen = rng.choice(X.shape[0], n_components, replace=False)
        means = X[chosen]
    else:
        X = X[sample_weight > 0]
        p = sample_weight[sample_weight > 0]
        p = p / p.sum()
        chosen = rng.choice(len(X), min(n_components, len(X)), replace=False, p=p)
        means = X[np.resize(chosen, n_components)]
    if len(np.unique(means, axis=0)) < n_components:
        distinct = np.unique(X, axis=0)
        if len(distinct) >= n_components:
            means = distinct[rng.choice(len(distinct), n_components, replace=False)]
    return means


#: The initialisers read the data in chunks of this many rows: their temporaries stay small
#: next to a memory-mapped file of any size (only N-long vectors are kept).
_CHUNK_ROWS = 1 << 16


def _chunks(n: int):
    return ((a, min(a + _CHUNK_ROWS, n)) for a in range(0, n, _CHUNK_ROWS))


def _squared_distances(X, centre, out, keep_smaller: bool = False) -> None:
    """``out[i] = |X[i] - centre|²`` (or the smaller of that and ``out[i]``), chunk by chunk;
    the same numbers as one whole-array sum."""
    for a, b in _chunks(len(X)):
        diff = X[a:b] - centre
        diff *= diff
        if keep_smaller:
            np.minimum(out[a:b], np.sum(diff, axis=1), out=out[a:b])
        else:
            np.sum(diff, axis=1, out=out[a:b])


def _draw(rng: np.random.Generator, score: np.ndarray, sample_weight=None) -> int | None:
    """A row drawn with probability ∝ ``score`` (times ``sample_weight``), or None if all are 0.

    As ``rng.choice(n, p=p)``: one uniform number from ``rng``, found in the cumulative sum,
    but chunk by chunk instead of in N-long copies.
    """

    def chunk_score(a, b):
        return score[a:b] if sample_weight is None else score[a:b] * sample_weight[a:b]

    total = sum(float(chunk_score(a, b).sum()) for a, b in _chunks(len(score)))
    if not total > 0:
        return None
    target = rng.random() * total
    below = 0.0
    last = None
    for a, b in _chunks(len(score)):
        cumulative = np.cumsum(chunk_score(a, b))
        cumulative += below
        if cumulative[-1] > target:
            return a + int(np.searchsorted(cumulative, target, side="right"))
        below = cumulative[-1]
        positive = np.flatnonzero(chunk_score(a, b) > 0)
        last = a + int(positive[-1]) if len(positive) else last
    return last  # rounding left the target at the very end


def kmeans_plus_plus(
    X: np.ndarray, n_components: int, rng: np.random.Generator, sample_weight=None
) -> np.ndarray:
    """k-means++ seeding: each new centre is a data point drawn with probability ∝ w·D(x)².

    The first centre is drawn with probability ∝ w (uniformly without weights).
    """
    n_samples = X.shape[0]
    centres = np.empty((n_components, X.shape[1]))
    if sample_weight is None:
        centres[0] = X[rng.integers(n_samples)]
    else:
        centres[0] = X[_draw(rng, sample_weight)]
    closest = np.empty(n_samples)
    _squared_distances(X, centres[0], closest)
    for k in range(1, n_components):
        index = _draw(rng, closest, sample_weight)
        if index is None:  # fewer distinct points than components: any will do
            index = rng.integers(n_samples) if sample_weight is None else _draw(rng, sample_weight)
        centres[k] = X[index]
        _squared_distances(X, centres[k], closest, keep_smaller=True)
    return centres


def _nearest(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The nearest centre of each row (the lowest index on a tie), chunk by chunk."""
    labels = np.empty(len(X), dtype=np.min_scalar_type(max(len(centres) - 1, 0)))
    for a, b in _chunks(len(X)):
        d2 = np.stack([np.sum((X[a:b] - c) ** 2, axis=1) for c in centres], axis=1)
        labels[a:b] = np.argmin(d2, axis=1)
    return labels


def _cluster_sums(X, labels, n_components, sample_weight):
    """Per cluster Σw and Σw·x, chunk by chunk."""
    counts = np.zeros(n_components)
    sums = np.zeros((n_components, X.shape[1]))
    for a, b in _chunks(len(X)):
        lab = labels[a:b]
        w = None if sample_weight is None else sample_weight[a:b]
        counts += np.bincount(lab, weights=w, minlength=n_components)
        for j in range(X.shape[1]):
            column = X[a:b, j] if w is None else X[a:b, j] * w
            sums[:, j] += np.bincount(lab, weights=column, minlength=n_components)
    return counts, sums


def kmeans(
    X: np.ndarray, n_components: int, rng: np.random.Generator, sample_weight=None
) -> np.ndarray:
    """Hard labels after k-means++ seeding and a few (weighted) Lloyd iterations."""
    centres = kmeans_plus_plus(X, n_components, rng, sample_weight)
    labels = _nearest(X, centres)
    for _ in range(KMEANS_ITERATIONS):
        counts, sums = _cluster_sums(X, labels, n_components, sample_weight)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, np.newaxis]
        new_labels = _nearest(X, centres)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels


def mixture_from_labels(
    X: np.ndarray,
    labels: np.ndarray,
    n_components: int,
    covariance_type: str,
    reg_covar: float,
    sample_weight=None,
) -> Mixture:
    """The Gaussian that each hard cluster implies; an empty cluster gets the data's spread.

    An empty cluster (no rows, or only rows of weight 0) is placed at the row of positive
    weight farthest from the centres before it, with a weight of one row.
    """
    _n_samples, n_features = X.shape
    counts, sums = _cluster_sums(X, labels, n_components, sample_weight)
    filled = counts > 0
    means = np.zeros((n_components, n_features))
    means[filled] = sums[filled] / counts[filled, np.newaxis]
    full = np.zeros((n_components, n_features, n_features))
    for a, b in _chunks(len(X)):
        lab = labels[a:b]
        for k in np.flatnonzero(filled):
            members = lab == k
            diff = X[a:b][members] - means[k]
            weighted = diff if sample_weight is None else diff * sample_weight[a:b][members, None]
            full[k] += weighted.T @ diff
    full[filled] /= counts[filled, np.newaxis, np.newaxis]
    if not filled.all():
        spread = data_covariance(X, sample_weight)
        candidates = X if sample_weight is None else X[sample_weight > 0]
        for k in np.flatnonzero(~filled):
            means[k] = candidates[_farthest_from(candidates, means[:k])]
            full[k] = spread
            counts[k] = 1.0
    weights = counts / counts.sum()
    covariances = cov.from_full(full, covariance_type, weights)
    return Mixture(
        weights, means, _add_reg(covariances, covariance_type, reg_covar), covariance_type
    )


def _farthest_from(X: np.ndarray, centres: np.ndarray) -> int:
    """Index of the row of X farthest from all ``centres`` (row 0 when there are none)."""
    if len(centres) == 0:
        return 0
    d2 = np.min(np.stack([np.sum((X - c) ** 2, axis=1) for c in centres], axis=1), axis=1)
    return int(np.argmax(d2))


def _add_reg(covariances: np.ndarray, covariance_type: str, reg_covar: float) -> np.ndarray:
    covariances = np.array(covariances, dtype=float)
    if covariance_type == "full":
        covariances += reg_covar * np.eye(covariances.shape[-1])
    elif covariance_type == "tied":
        covariances += reg_covar * np.eye(covariances.shape[0])
    else:
        covariances += reg_covar
    return covariances


def initialize(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    init: str = "kmeans++",
    reg_covar: float = 1e-6,
    seed: int | np.random.Generator | None = None,
    sample_weight=None,
) -> Mixture:
    """Starting parameters for EM.

    Parameters
    ----------
    X : array_like, shape (N, D)
    n_components : int
    covariance_type : {"full", "tied", "diag", "spherical"}
    init : {"random-points", "kmeans++", "kmeans"}
        ``random-points`` takes K distinct data rows as means, the data covariance for every
        component and equal weights (the method of the notebook GMM Studio grew from).
        ``kmeans++`` seeds centres by k-means++ and ``kmeans`` adds a few Lloyd iterations;
        both then take each hard cluster's weight, mean and covariance.
    reg_covar : float
        Added to the diagonal of every starting covariance.
    seed : int, Generator or None
    sample_weight : array_like, shape (N,), optional
        Non-negative row weights. Integer weights act as repeated rows: every deterministic
        step is exactly that of the repeated data (the weighted data covariance, Lloyd's
        weighted means, each cluster's weighted weight, mean and covariance), and every random
        draw has the same distribution (a row is drawn with probability ∝ its weight, k-means++
        ∝ w·D²), though not the same draws from the same seed. Rows of weight 0 are never
        drawn; ``random-points`` draws K distinct rows, where repeated data may draw one
        point twice.

    Returns
    -------
    Mixture
    """
    X = check_data(X)
    check_fit_size(X, n_components)
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    cov.check_covariance_type(covariance_type)
    rng = np.random.default_rng(seed)
    if init == "random-points":
        means = _random_points(X, n_components, rng, sample_weight)
        full = np.repeat(data_covariance(X, sample_weight)[np.newaxis], n_components, axis=0)
        weights = np.full(n_components, 1.0 / n_components)
        covariances = _add_reg(cov.from_full(full, covariance_type), covariance_type, reg_covar)
        return Mixture(weights, means, covariances, covariance_type)
    if init == "kmeans++":
        labels = _nearest(X, kmeans_plus_plus(X, n_components, rng, sample_weight))
    elif init == "kmeans":
        labels = kmeans(X, n_components, rng, sample_weight)
    else:
        raise FitError(f"init must be one of {', '.join(INIT_METHODS)}, not {init!r}")
    return mixture_from_labels(X, labels, n_components, covariance_type, reg_covar, sample_weight)
