"""Synthetic mixture data: the notebook's generator, vectorised, and ready-made presets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gmm_studio.core.mixture import Mixture

#: The parameters the notebook GMM Studio grew from generates its 100 points with.
NOTEBOOK_MIXTURE = Mixture(
    weights=[0.25, 0.5, 0.25],
    means=[[5.0, 0.0], [1.0, 1.0], [0.0, 5.0]],
    covariances=[[[0.5, 0.0], [0.0, 0.5]], [[0.92, 0.38], [0.38, 0.91]], [[0.5, 0.0], [0.0, 0.5]]],
)


def generate_mixture_data(n: int, weights, means, covariances, seed=None):
    """Draw ``n`` points from a Gaussian mixture with full covariances.

    Parameters
    ----------
    n : int
    weights : array_like, shape (K,)
    means : array_like, shape (K, D)
    covariances : array_like, shape (K, D, D)
    seed : int, Generator or None

    Returns
    -------
    X : ndarray, shape (n, D)
    labels : ndarray, shape (n,)
    """
    weights = np.asarray(weights, dtype=float)
    mixture = Mixture(weights / weights.sum(), means, covariances, "full")
    return mixture.sample(n, np.random.default_rng(seed))


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _random_mixture(rng, k, spacing, scale_range, aspect_range, weights=None) -> Mixture:
    angles = rng.uniform(0, 2 * np.pi)
    # Means on a jittered circle keep clusters apart in a predictable way.
    ring = np.linspace(0, 2 * np.pi, k, endpoint=False) + angles
    means = spacing * np.stack([np.cos(ring), np.sin(ring)], axis=1)
    means += rng.normal(scale=0.15 * spacing, size=means.shape)
    covariances = []
    for _ in range(k):
        scale = rng.uniform(*scale_range)
        aspect = rng.uniform(*aspect_range)
        rot = _rotation(rng.uniform(0, np.pi))
        covariances.append(rot @ np.diag([scale * aspect, scale / aspect]) @ rot.T)
    if weights is None:
        weights = np.full(k, 1.0 / k)
    return Mixture(weights, means, np.array(covariances), "full")


def _preset(make_mixture: Callable[[np.random.Generator], Mixture]):
    def generate(n: int, seed=None):
        rng = np.random.default_rng(seed)
        mixture = make_mixture(rng)
        X, labels = mixture.sample(n, rng)
        return X, labels, mixture

    return generate


def _unequal_weights(rng):
    k = 3
    weights = np.array([0.7, 0.2, 0.1])
    return _random_mixture(rng, k, 4.0, (0.3, 0.8), (1.0, 2.0), weights)


#: Ready-made data sets: name -> ``generate(n, seed) -> (X, labels, Mixture)``.
PRESETS: dict[str, Callable] = {
    "notebook": _preset(lambda rng: NOTEBOOK_MIXTURE),
    "well-separated": _preset(lambda rng: _random_mixture(rng, 4, 6.0, (0.3, 0.7), (1.0, 1.5))),
    "overlapping": _preset(lambda rng: _random_mixture(rng, 3, 1.6, (0.6, 1.2), (1.0, 1.6))),
    "anisotropic": _preset(lambda rng: _random_mixture(rng, 3, 5.0, (0.4, 1.0), (3.0, 5.0))),
    "unequal-sizes": _preset(_unequal_weights),
}
