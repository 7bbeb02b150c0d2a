"""Lessons: ready-made scenes that show what EM does and how it fails.

Each lesson is data, settings and a start, chosen so that pressing Run shows its point, with
a one-line caption that says what to watch. The window lists them under File ▸ Open Sample;
:func:`teaching_start` gives the start-up demo its deliberately slow start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gmm_studio.core.covariance import from_full
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.settings import FitSettings
from gmm_studio.core.synthetic import generate_mixture_data


@dataclass(frozen=True)
class Lesson:
    """One scene: points, the fit settings and the start EM runs from.

    Attributes
    ----------
    name : str
        Menu text.
    caption : str
        What the lesson shows, in one line (shown on the canvas and in the status bar).
    data : ndarray, shape (N, 2)
    settings : FitSettings
    start : Mixture
    columns : tuple of str
    """

    name: str
    caption: str
    data: np.ndarray
    settings: FitSettings
    start: Mixture
    columns: tuple[str, ...] = field(default=("x", "y"))


def teaching_start(X, n_components: int, covariance_type: str = "full") -> Mixture:
    """A poor but sensible start: every mean close to the middle of the data.

    The means are the ``n_components`` data points nearest the data's mean (so all of them
    sit in the middle, a little apart), every covariance is the whole data's covariance and
    the weights are equal. EM then visibly pulls the components apart over a dozen or more
    iterations, instead of converging in two or three from k-means++.
    """
    X = np.asarray(X, dtype=float)
    centre = X.mean(axis=0)
    nearest = np.argsort(np.sum((X - centre) ** 2, axis=1), kind="stable")
    means, seen = [], set()
    for row in nearest:
        key = tuple(X[row])
        if key not in seen:
            seen.add(key)
            means.append(X[row])
        if len(means) == n_components:
            break
    spread = np.cov(X, rowvar=False).reshape(X.shape[1], X.shape[1])
    full = np.repeat(spread[np.newaxis], n_components, axis=0)
    covariances = from_full(full, covariance_type)
    return Mixture(np.full(n_components, 1.0 / n_components), means, covariances, covariance_type)


def _blobs(n, means, covariances, weights=None, seed=0) -> np.ndarray:
    k = len(means)
    weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, float)
    X, _ = generate_mixture_data(n, weights, np.asarray(means, float), covariances, seed=seed)
    return X


def _overlapping() -> Lesson:
    X = _blobs(400, [[0.0, 0.0], [1.6, 0.6]], [np.eye(2), [[1.2, 0.5], [0.5, 0.8]]], seed=11)
    settings = FitSettings(n_components=2, tol=1e-7)
    return Lesson(
        "Overlapping components",
        "Two clusters that overlap: EM crawls, dozens of small steps before it settles",
        X, settings, teaching_start(X, 2),
    )  # fmt: skip


def _three_clusters() -> np.ndarray:
    cov = [np.eye(2) * 0.5] * 3
    return _blobs(300, [[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]], cov, seed=5)


def _local_optimum(good: bool) -> Lesson:
    X = _three_clusters()
    if good:
        means = [[0.5, 0.0], [5.5, 0.5], [3.0, 4.0]]
        name, caption = "Local optima: a good start", "One mean in each cluster: EM finds all three"
    else:
        means = [[5.5, -0.5], [6.5, 0.5], [1.5, 2.5]]
        name = "Local optima: a poor start"
        caption = (
            "Two means start in one cluster: EM settles in a worse local optimum "
            "(compare its log-likelihood with the good start's)"
        )
    start = Mixture(np.full(3, 1 / 3), means, np.stack([np.eye(2)] * 3))
    return Lesson(name, caption, X, FitSettings(n_components=3), start)


def _collapse() -> Lesson:
    X = np.vstack(
        [_blobs(120, [[0.0, 0.0], [5.0, 3.0]], [np.eye(2)] * 2, seed=3), [[9.0, -2.0]] * 4]
    )
    start = Mixture(
        np.full(3, 1 / 3), [[0.0, 0.0], [5.0, 3.0], [9.0, -2.0]], np.stack([np.eye(2)] * 3)
    )
    return Lesson(
        "A collapsing component (reg_covar = 0)",
        "With reg_covar = 0 one component shrinks onto four identical points until EM must "
        "stop: reg_covar is what prevents it",
        X, FitSettings(n_components=3, reg_covar=0.0), start,
    )  # fmt: skip


def _wrong_k() -> Lesson:
    X = _three_clusters()
    return Lesson(
        "The wrong K",
        "Three clusters, two components: one component must stretch over two clusters",
        X, FitSettings(n_components=2), teaching_start(X, 2),
    )  # fmt: skip


def _anisotropic(covariance_type: str) -> Lesson:
    stretch = [[3.0, 2.7], [2.7, 3.0]]
    X = _blobs(400, [[0.0, 0.0], [2.0, -2.0]], [stretch, stretch], seed=8)
    caption = {
        "spherical": "Long, tilted clusters with spherical covariances: circles cannot follow "
        "them (switch covariance_type to full)",
        "full": "The same clusters with full covariances: each ellipse follows its cluster",
    }[covariance_type]
    return Lesson(
        f"Anisotropic clusters, {covariance_type} covariances",
        caption,
        X,
        FitSettings(n_components=2, covariance_type=covariance_type),
        teaching_start(X, 2, covariance_type),
    )


#: Menu order; each entry builds its lesson when chosen.
LESSONS: dict[str, Callable[[], Lesson]] = {
    "overlapping": _overlapping,
    "good-start": lambda: _local_optimum(good=True),
    "poor-start": lambda: _local_optimum(good=False),
    "collapse": _collapse,
    "wrong-k": _wrong_k,
    "anisotropic-spherical": lambda: _anisotropic("spherical"),
    "anisotropic-full": lambda: _anisotropic("full"),
}
