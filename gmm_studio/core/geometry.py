"""Shapes to draw: covariance ellipses as polylines."""

from __future__ import annotations

import functools

import numpy as np


def ellipse_points(mean, covariance, radius: float, n: int = 96) -> np.ndarray:
    """The closed polyline of points at Mahalanobis distance ``radius`` from ``mean``.

    Parameters
    ----------
    mean : array_like, shape (2,) or (K, 2)
    covariance : array_like, shape (2, 2) or (K, 2, 2)
        Symmetric positive semi-definite; a stack gives one polyline per (mean, covariance).
    radius : float
        In standard deviations: 1, 2 and 3 are the usual rings.
    n : int
        Number of segments; the first point is repeated at the end.

    Returns
    -------
    ndarray, shape (n + 1, 2) or (K, n + 1, 2)
    """
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=float))
    axes = vectors * np.sqrt(np.clip(values, 0.0, None))[..., np.newaxis, :]
    circle = unit_circle(n) @ np.swapaxes(axes, -1, -2)
    return np.asarray(mean, dtype=float)[..., np.newaxis, :] + radius * circle


@functools.cache
def unit_circle(n: int) -> np.ndarray:
    """``n + 1`` points (cos, sin) around the unit circle, the first repeated at the end;
    shape (n + 1, 2), read-only."""
    angle = np.linspace(0.0, 2.0 * np.pi, n + 1)
    angle[-1] = 0.0
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    circle.flags.writeable = False
    return circle
