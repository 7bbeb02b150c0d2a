"""In-between mixtures for animating an M-step: means and covariances glide, eased.

A covariance is interpolated through its Cholesky factor, ``L(t) = (1 - t) L₀ + t L₁`` and
``Σ(t) = L(t) L(t)ᵀ``: both factors are lower triangular with a positive diagonal, so every
in-between is positive definite and its ellipse turns and stretches smoothly (interpolating
the matrices themselves can pass through a flatter ellipse than either end). Diagonal and
spherical variances glide through their standard deviations, the same rule in one
dimension. Means and weights are interpolated linearly; the weights still sum to one.
"""

from __future__ import annotations

import numpy as np

from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture


def ease(t: float) -> float:
    """Smooth start and stop: ``3t² − 2t³`` on [0, 1] (clamped outside)."""
    t = min(max(float(t), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def interpolate(start: Mixture, end: Mixture, t: float) -> Mixture:
    """The mixture a fraction ``t`` of the way from ``start`` to ``end``.

    ``t = 0`` gives ``start`` and ``t = 1`` gives ``end``, exactly.

    Raises
    ------
    FitError
        If the two mixtures differ in covariance type, number of components or dimension.
    """
    if start.covariance_type != end.covariance_type or start.means.shape != end.means.shape:
        raise FitError("only mixtures of the same shape and covariance type can be interpolated")
    t = float(t)
    if t <= 0.0:
        return start
    if t >= 1.0:
        return end
    weights = (1.0 - t) * start.weights + t * end.weights
    means = (1.0 - t) * start.means + t * end.means
    if start.covariance_type in ("full", "tied"):
        a = np.linalg.cholesky(start.covariances)
        b = np.linalg.cholesky(end.covariances)
        factor = (1.0 - t) * a + t * b
        covariances = factor @ np.swapaxes(factor, -1, -2)
    else:
        spread = (1.0 - t) * np.sqrt(start.covariances) + t * np.sqrt(end.covariances)
        covariances = spread**2
    return Mixture(weights / weights.sum(), means, covariances, start.covariance_type)
