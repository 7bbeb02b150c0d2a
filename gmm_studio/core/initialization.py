"""Starting parameters for EM: random data points, k-means++ seeding, or a few k-means steps.

Every random choice goes through a seedable :class:`numpy.random.Generator`, so the same seed
gives the same start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core.errors import FitError
from gmm_studio.core.memory import check_fit_memory
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


def data_covariance(X: np.ndarray) -> np.ndarray:
    """The sample covariance of ``X`` (ddof=1, as ``np.cov``); zeros for a single point."""
    if X.shape[0] < 2:
        return np.zeros((X.shape[1], X.shape[1]))
    return np.atleast_2d(np.cov(X, rowvar=False))


def _random_points(X: np.ndarray, n_components: int, rng: np.random.Generator) -> np.ndarray:
    """K rows of X as means, distinct in value whenever the data have K distinct rows."""
    chosen = rng.choice(X.shape[0], n_components, replace=False)
    means = X[chosen]
    if len(np.unique(means, axis=0)) < n_components:
        distinct = np.unique(X, axis=0)
        if len(distinct) >= n_components:
            means = distinct[rng.choice(len(distinct), n_components, replace=False)]
    return means


class CentreSeeding:
    """k-means++ seeding that can be extended: each new centre is a data point drawn with
    probability ∝ D(x)², the squared distance to the nearest centre so far.

    The draws for K centres are the first K of the draws for K + 1 from the same generator,
    so one seeding serves every K of a model-selection grid: :meth:`grow` adds centres
    and keeps each point's nearest centre up to date.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    rng : Generator
        Used for nothing else while the seeding grows.
    """

    def __init__(self, X: np.ndarray, rng: np.random.Generator):
        self.X = X
        self._rng = rng
        self._centres: list[np.ndarray] = []
        self._closest: np.ndarray | None = None
        self._labels: np.ndarray | None = None

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
        X, rng = self.X, self._rng
        n_samples = X.shape[0]
        while self.n_centres < n_components:
            if self._closest is None:
                index = rng.integers(n_samples)
            else:
                total = self._closest.sum()
                if total > 0:
                    index = rng.choice(n_samples, p=self._closest / total)
                else:  # fewer distinct points than components: any point will do
                    index = rng.integers(n_samples)
            centre = X[index].copy()
            distance = np.sum((X - centre) ** 2, axis=1)
            if self._closest is None:
                self._closest = distance
                # Two bytes a row: a grid keeps one seeding per start and worker.
                self._labels = np.zeros(n_samples, dtype=np.uint16)
            else:
                if self.n_centres == np.iinfo(np.uint16).max:
                    self._labels = self._labels.astype(np.intp)
                self._labels = np.where(distance < self._closest, self.n_centres, self._labels)
                np.minimum(self._closest, distance, out=self._closest)
            self._centres.append(centre)
        return np.array(self._centres), self._labels


def _nearest(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d2 = np.stack([np.sum((X - c) ** 2, axis=1) for c in centres], axis=1)
    return np.argmin(d2, axis=1)


def _lloyd(X: np.ndarray, centres: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Hard labels after a few Lloyd iterations from ``centres`` and their ``labels``."""
    for _ in range(KMEANS_ITERATIONS):
        for k in range(len(centres)):
            members = labels == k
            if members.any():
                centres[k] = X[members].mean(axis=0)
        new_labels = _nearest(X, centres)
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


def clusters_from_labels(X: np.ndarray, labels: np.ndarray, n_components: int) -> Clusters:
    """The Gaussian that each hard cluster implies; an empty cluster gets the data's spread.

    An empty cluster is placed at the point farthest from its assigned centre, so every
    component starts somewhere useful.
    """
    _n_samples, n_features = X.shape
    counts = np.bincount(labels, minlength=n_components).astype(float)
    means = np.empty((n_components, n_features))
    full = np.empty((n_components, n_features, n_features))
    # A stable sort keeps each cluster's rows in data order: the same sums as X[labels == k].
    # Labels in 8 or 16 bits are sorted by radix sort, in linear time.
    small = np.uint8 if n_components <= 256 else np.uint16 if n_components <= 65536 else np.intp
    order = np.argsort(labels.astype(small), kind="stable")
    ends = np.cumsum(counts.astype(np.intp))
    by_label = X[order]
    for k in range(n_components):
        members = by_label[ends[k] - int(counts[k]) : ends[k]]
        if len(members) == 0:
            means[k] = X[_farthest_from(X, means[:k])]
            full[k] = data_covariance(X)
            counts[k] = 1.0
            continue
        means[k] = members.mean(axis=0)
        diff = members - means[k]
        full[k] = diff.T @ diff / len(members)
    return Clusters(counts / counts.sum(), means, full)


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

    Returns
    -------
    Mixture
    """
    X = check_data(X)
    cov.check_covariance_type(covariance_type)
    check_fit_size(X, n_components, covariance_type)
    return initial_clusters(X, n_components, init, seed).mixture(covariance_type, reg_covar)


def initial_clusters(
    X: np.ndarray,
    n_components: int,
    init: str,
    seed: int | np.random.Generator | None,
    seeding: CentreSeeding | None = None,
) -> Clusters:
    """What :func:`initialize` draws before it applies the covariance type.

    ``X`` must already be checked (:func:`check_data`). ``seeding``, for ``kmeans++`` and
    ``kmeans``, is a :class:`CentreSeeding` of the same ``X`` made from the same ``seed``
    (with at most ``n_components`` centres yet): it is grown instead of seeding afresh.
    """
    if init not in INIT_METHODS:
        raise FitError(f"init must be one of {', '.join(INIT_METHODS)}, not {init!r}")
    if init == "random-points":
        means = _random_points(X, n_components, np.random.default_rng(seed))
        full = np.repeat(data_covariance(X)[np.newaxis], n_components, axis=0)
        return Clusters(np.full(n_components, 1.0 / n_components), means, full)
    if seeding is None:
        seeding = CentreSeeding(X, np.random.default_rng(seed))
    centres, labels = seeding.grow(n_components)
    if init == "kmeans":
        labels = _lloyd(X, centres, labels)
    return clusters_from_labels(X, labels, n_components)
