"""Starting parameters for EM: random data points, k-means++ seeding, or a few k-means steps.

Every random choice goes through a seedable :class:`numpy.random.Generator`, so the same seed
gives the same start. Data of more than :data:`INIT_SAMPLE_ROWS` rows are initialised from a
seeded uniform sample of that many rows, chosen from N and the seed alone: the start is the
same whether the rows are in memory or in chunks on a Dask cluster (which sends only the
sample to the client).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core.blockwise import check_sample_weight
from gmm_studio.core.errors import FitError
from gmm_studio.core.memory import check_fit_memory
from gmm_studio.core.mixture import Mixture

INIT_METHODS = ("random-points", "kmeans++", "kmeans")

KMEANS_ITERATIONS = 10

#: Initialisers see at most this many rows (a seeded uniform sample of larger data), so data
#: up to a million rows start exactly as if there were no sample. A smaller sample misses rare
#: components: on 1,000,000 rows whose rarest component holds 0.05 % of them, k-means++ starts
#: on a 100,000-row sample led EM to that component in 0 of 6 seeds, starts on all rows in 4
#: (benchmarks/bench_init_sample.py; README, "Fitting on a Dask cluster").
INIT_SAMPLE_ROWS = 1_000_000


def init_sample_rows(n_samples: int, rng: np.random.Generator) -> np.ndarray | None:
    """The sorted rows an initialiser looks at, or None when it takes all ``n_samples``.

    Draws from ``rng`` only when sampling, so data up to :data:`INIT_SAMPLE_ROWS` rows start
    exactly as before sampling existed.
    """
    if n_samples <= INIT_SAMPLE_ROWS:
        return None
    return np.sort(rng.choice(n_samples, INIT_SAMPLE_ROWS, replace=False))


def init_sample(
    X: np.ndarray, seed, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.random.Generator, np.ndarray | None]:
    """The rows of ``X`` an initialiser looks at, the generator it then draws from, and the
    rows' weights.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    seed : int, Generator or None
    sample_weight : ndarray, shape (N,), optional

    Returns
    -------
    rows : ndarray
        ``X`` itself up to :data:`INIT_SAMPLE_ROWS` rows, else the seeded sample
        (:func:`init_sample_rows`).
    rng : Generator
        ``numpy.random.default_rng(seed)``, after drawing the sample.
    weights : ndarray or None
        The weights of those rows.
    """
    rng = np.random.default_rng(seed)
    rows = init_sample_rows(len(X), rng)
    if rows is None:
        return X, rng, sample_weight
    return X[rows], rng, None if sample_weight is None else sample_weight[rows]


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
    # A finite sum proves every value finite without an (N, D) mask; a sum that overflows
    # (values near 1e308) is checked value by value.
    if not np.isfinite(X.sum()) and not np.all(np.isfinite(X)):
        raise FitError("the data contain missing or infinite values")
    return X


def check_fit_size(X: np.ndarray, n_components: int, covariance_type: str | None = None) -> None:
    """Raise FitError when there are fewer points than components, or, given the
    ``covariance_type``, when the fit would need more memory than is available
    (`gmm_studio.core.memory.check_fit_memory`)."""
    n_samples = X.shape[0]
    if n_components > n_samples:
        raise FitError(
            f"n_components={n_components} is more than the {n_samples} point"
            f"{'s' if n_samples != 1 else ''} to fit; add points or use fewer components"
        )
    if covariance_type is not None:
        check_fit_memory(*X.shape, n_components, covariance_type)


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


def _label_array(n_samples: int, n_components: int) -> np.ndarray:
    # Two bytes a row while they suffice: a grid keeps one seeding per start and worker.
    return np.zeros(n_samples, dtype=np.uint16 if n_components <= 65535 else np.intp)


def _assign(X, centre, index: int, closest: np.ndarray, labels: np.ndarray) -> None:
    """Make ``centre`` (number ``index``) each row's nearest centre where it is strictly
    nearer than ``closest[i]`` (any centre when ``index`` is 0), chunk by chunk.

    ``closest`` holds each row's squared distance to its nearest centre, ``labels`` that
    centre's number: the lowest among equally near ones.
    """
    for a, b in _chunks(len(X)):
        diff = X[a:b] - centre
        diff *= diff
        distance = np.sum(diff, axis=1)
        if index == 0:
            closest[a:b] = distance
            labels[a:b] = 0
        else:
            labels[a:b][distance < closest[a:b]] = index
            np.minimum(closest[a:b], distance, out=closest[a:b])


def _draw(rng: np.random.Generator, score: np.ndarray, sample_weight=None) -> int | None:
    """A row drawn with probability ∝ ``score`` (times ``sample_weight``); None if all are 0.

    Without weights this is ``rng.choice(len(score), p=score / score.sum())`` bit for bit
    (the same cumulative sum, normalised by its last value, and one ``rng.random()``), but
    chunk by chunk instead of in N-long copies.
    """
    n_samples = len(score)
    total = score.sum() if sample_weight is None else float(score @ sample_weight)
    if not total > 0:
        return None

    def cumulative():
        carry = None
        for a, b in _chunks(n_samples):
            p = score[a:b] if sample_weight is None else score[a:b] * sample_weight[a:b]
            p = p / total
            if carry is not None:
                p[0] += carry  # the running sum goes on from the previous chunk, in order
            cdf = np.cumsum(p)
            carry = cdf[-1]
            yield a, b, cdf

    for _a, _b, cdf in cumulative():
        last = cdf[-1]
    target = rng.random()
    for a, b, cdf in cumulative():
        cdf /= last
        if cdf[-1] > target or b == n_samples:
            return a + int(np.searchsorted(cdf, target, side="right"))
    return None  # not reached: the last chunk ends the loop


class CentreSeeding:
    """k-means++ seeding that can be extended: each new centre is a data point drawn with
    probability ∝ w·D(x)², its weight times the squared distance to the nearest centre so far
    (the first ∝ w; uniformly without weights).

    The draws for K centres are the first K of the draws for K + 1 from the same generator,
    so one seeding serves every K of a model-selection grid: :meth:`grow` adds centres
    and keeps each point's nearest centre up to date. The data are read in chunks: besides
    the centres, only two N-long vectors are kept (the distance to the nearest centre and its
    number), so a memory-mapped file is never copied.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    rng : Generator
        Used for nothing else while the seeding grows.
    sample_weight : ndarray, shape (N,), optional
        Checked row weights (see :func:`gmm_studio.core.blockwise.check_sample_weight`);
        rows of weight 0 are never drawn.
    """

    def __init__(self, X: np.ndarray, rng: np.random.Generator, sample_weight=None):
        self.X = X
        self.sample_weight = sample_weight
        self._rng = rng
        self._centres: list[np.ndarray] = []
        self._closest = np.empty(X.shape[0])
        self._labels = _label_array(X.shape[0], 1)

    @property
    def n_centres(self) -> int:
        return len(self._centres)

    def grow(self, n_components: int) -> tuple[np.ndarray, np.ndarray]:
        """Extend to ``n_components`` centres; return them (K, D) and each row's nearest
        centre (the lowest index among equally near ones).

        Raises
        ------
        ValueError
            If the seeding already has more centres than asked for.
        """
        if n_components < self.n_centres:
            raise ValueError("a seeding cannot shrink; start a new one")
        X, rng, w = self.X, self._rng, self.sample_weight
        while self.n_centres < n_components:
            index = None if self.n_centres == 0 else _draw(rng, self._closest, w)
            if index is None:  # the first centre, or fewer distinct points than components
                index = rng.integers(len(X)) if w is None else _draw(rng, w)
            if self.n_centres == np.iinfo(self._labels.dtype).max:
                self._labels = self._labels.astype(np.intp)
            _assign(X, X[index].copy(), self.n_centres, self._closest, self._labels)
            self._centres.append(X[index].copy())
        return np.array(self._centres), self._labels


def _nearest(X: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's squared distance to its nearest centre and that centre's number (the
    lowest on a tie), chunk by chunk."""
    closest = np.empty(len(X))
    labels = _label_array(len(X), len(centres))
    for index, centre in enumerate(centres):
        _assign(X, centre, index, closest, labels)
    return closest, labels


def _by_cluster(X, labels, n_components: int, sample_weight):
    """For each chunk of rows: each cluster's rows (in data order) and their weights (None
    without weights), as ``(k, rows, weights)`` for the clusters present in the chunk."""
    small = np.uint8 if n_components <= 256 else np.uint16 if n_components <= 65536 else np.intp
    for a, b in _chunks(len(X)):
        # A stable sort keeps each cluster's rows in data order: the same sums as
        # X[labels == k]. Labels in 8 or 16 bits are sorted by radix sort, in linear time.
        chunk_labels = labels[a:b]
        order = np.argsort(chunk_labels.astype(small), kind="stable")
        ends = np.cumsum(np.bincount(chunk_labels, minlength=n_components))
        rows = X[a:b][order]
        w = None if sample_weight is None else sample_weight[a:b][order]
        for k in np.flatnonzero(np.diff(ends, prepend=0)):
            start = ends[k - 1] if k > 0 else 0
            yield k, rows[start : ends[k]], None if w is None else w[start : ends[k]]


def _cluster_means(X, labels, n_components: int, sample_weight):
    """Each cluster's Σw and weighted mean (zeros where Σw = 0)."""
    counts = np.zeros(n_components)
    sums = np.zeros((n_components, X.shape[1]))
    for k, rows, w in _by_cluster(X, labels, n_components, sample_weight):
        if w is None:
            counts[k] += len(rows)
            sums[k] += np.add.reduce(rows, axis=0)  # rows.mean(axis=0)'s sum
        else:
            counts[k] += w.sum()
            sums[k] += w @ rows
    filled = counts > 0
    sums[filled] /= counts[filled, np.newaxis]
    return counts, sums


def _lloyd(X: np.ndarray, centres: np.ndarray, labels: np.ndarray, sample_weight) -> np.ndarray:
    """Hard labels after a few (weighted) Lloyd iterations from ``centres`` and their
    ``labels``."""
    for _ in range(KMEANS_ITERATIONS):
        counts, means = _cluster_means(X, labels, len(centres), sample_weight)
        filled = counts > 0
        centres[filled] = means[filled]
        _, new_labels = _nearest(X, centres)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels


@dataclass(frozen=True)
class Clusters:
    """The part of a start that does not depend on the covariance type.

    ``weights`` (K,), ``means`` (K, D) and each cluster's full covariance ``full`` (K, D, D),
    before ``reg_covar``. A model-selection grid draws these once per K and seed and makes the
    start of every covariance type from them.
    """

    weights: np.ndarray
    means: np.ndarray
    full: np.ndarray

    def mixture(self, covariance_type: str, reg_covar: float) -> Mixture:
        """The starting mixture for ``covariance_type``, ``reg_covar`` on the diagonal."""
        covariances = cov.from_full(self.full, covariance_type, self.weights)
        return Mixture(
            self.weights,
            self.means,
            _add_reg(covariances, covariance_type, reg_covar),
            covariance_type,
        )


def clusters_from_labels(
    X: np.ndarray, labels: np.ndarray, n_components: int, sample_weight=None
) -> Clusters:
    """The Gaussian that each hard cluster implies; an empty cluster gets the data's spread.

    An empty cluster (no rows, or only rows of weight 0) is placed at the row of positive
    weight farthest from the centres before it, with a weight of one row.
    """
    counts, means = _cluster_means(X, labels, n_components, sample_weight)
    filled = counts > 0
    full = np.zeros((n_components, X.shape[1], X.shape[1]))
    for k, rows, w in _by_cluster(X, labels, n_components, sample_weight):
        if filled[k]:
            diff = rows - means[k]
            full[k] += (diff if w is None else diff * w[:, np.newaxis]).T @ diff
    full[filled] /= counts[filled, np.newaxis, np.newaxis]
    if not filled.all():
        spread = data_covariance(X, sample_weight)
        for k in np.flatnonzero(~filled):
            means[k] = X[_farthest_from(X, means[:k], sample_weight)]
            full[k] = spread
            counts[k] = 1.0
    return Clusters(counts / counts.sum(), means, full)


def _farthest_from(X: np.ndarray, centres: np.ndarray, sample_weight=None) -> int:
    """Index of the row of X (of positive weight) farthest from all ``centres`` (the first such
    row when there are none)."""
    if len(centres) == 0:
        return 0 if sample_weight is None else int(np.argmax(sample_weight > 0))
    closest, _ = _nearest(X, centres)
    if sample_weight is not None:
        closest[sample_weight == 0] = -1.0
    return int(np.argmax(closest))


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
        Above :data:`INIT_SAMPLE_ROWS` rows, only a seeded uniform sample of them is used
        (:func:`init_sample_rows`).
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
    cov.check_covariance_type(covariance_type)
    check_fit_size(X, n_components, covariance_type)
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    clusters = initial_clusters(X, n_components, init, seed, sample_weight=sample_weight)
    return clusters.mixture(covariance_type, reg_covar)


def initial_clusters(
    X: np.ndarray,
    n_components: int,
    init: str,
    seed: int | np.random.Generator | None,
    seeding: CentreSeeding | None = None,
    sample_weight: np.ndarray | None = None,
) -> Clusters:
    """What :func:`initialize` draws before it applies the covariance type.

    ``X`` and ``sample_weight`` must already be checked (:func:`check_data`,
    :func:`gmm_studio.core.blockwise.check_sample_weight`). Above :data:`INIT_SAMPLE_ROWS`
    rows the initialiser looks at a seeded sample of them (:func:`init_sample`). ``seeding``,
    for ``kmeans++`` and ``kmeans``, is a :class:`CentreSeeding` made from the same ``X``,
    ``seed`` and ``sample_weight`` (``CentreSeeding(*init_sample(X, seed, sample_weight))``,
    with at most ``n_components`` centres yet): it is grown instead of seeding afresh.
    """
    if init not in INIT_METHODS:
        raise FitError(f"init must be one of {', '.join(INIT_METHODS)}, not {init!r}")
    if init == "random-points":
        X, rng, sample_weight = init_sample(X, seed, sample_weight)
        means = _random_points(X, n_components, rng, sample_weight)
        full = np.repeat(data_covariance(X, sample_weight)[np.newaxis], n_components, axis=0)
        return Clusters(np.full(n_components, 1.0 / n_components), means, full)
    # A seeding made here is let go once grown: Lloyd's passes need its N-long vectors no more.
    seeding = seeding or CentreSeeding(*init_sample(X, seed, sample_weight))
    X, sample_weight = seeding.X, seeding.sample_weight
    centres, labels = seeding.grow(n_components)
    del seeding
    if init == "kmeans":
        labels = _lloyd(X, centres, labels, sample_weight)
    return clusters_from_labels(X, labels, n_components, sample_weight)
