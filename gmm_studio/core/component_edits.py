"""Changing a mixture's components by hand: split one, merge two, stretch and turn an axis.

Each function returns a new :class:`Mixture` of the same covariance type; none changes its
argument. The drawn ellipses are of the 2x2 block of two columns ``axes``; a stretch changes
that block and carries the rest of the covariance along (so the result is still symmetric
positive definite in every dimension).
"""

from __future__ import annotations

import numpy as np

from gmm_studio.core.covariance import from_full
from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture

#: A stretched axis is at least this fraction of the other axis of its ellipse.
MIN_AXIS_RATIO = 0.01


def split(mixture: Mixture, k: int) -> Mixture:
    """``mixture`` with component ``k`` split in two along its major axis (K + 1 components).

    The two halves sit one standard deviation either side of the old mean along that axis,
    each with half the weight and half the spread along it (a quarter of the variance). The
    first half takes ``k``'s place, the second comes last, so every other component keeps
    its place (and so its colour in a palette by place).
    """
    kind = mixture.covariance_type
    full = mixture.full_covariances()[k]
    variances, vectors = np.linalg.eigh(full)
    major, axis = variances[-1], vectors[:, -1]
    if kind in ("diag", "spherical"):  # the axes of these ellipses are the columns
        j = int(np.argmax(np.diag(full)))
        major, axis = full[j, j], np.eye(len(full))[j]
    offset = np.sqrt(major) * axis
    means = np.vstack([mixture.means, mixture.means[k] + offset])
    means[k] = mixture.means[k] - offset
    weights = np.append(mixture.weights, mixture.weights[k] / 2)
    weights[k] /= 2
    if kind == "tied":
        covariances = mixture.covariances
    else:
        if kind == "full":
            half = full - 0.75 * major * np.outer(axis, axis)
        elif kind == "diag":
            half = mixture.covariances[k] * np.where(axis > 0, 0.25, 1.0)
        else:
            half = mixture.covariances[k]  # a circle has no major axis to shrink
        covariances = np.concatenate([mixture.covariances, [half]])
        covariances[k] = half
    return Mixture(weights=weights, means=means, covariances=covariances, covariance_type=kind)


def merged(mixture: Mixture, source: int, target: int) -> Mixture:
    """``mixture`` with component ``source`` merged into ``target`` (K - 1 components).

    Moment matching: the merged component has the two weights' sum w, their weighted mean
    μ = (w_s μ_s + w_t μ_t) / w and the covariance Σ_i (w_i / w) (Σ_i + (μ_i − μ)(μ_i − μ)ᵀ),
    the mixture of the two's own mean and covariance. It takes ``target``'s place in the
    order and the last component takes ``source``'s, so every other component keeps its
    place (and so its colour in a palette by place). A diagonal or spherical type keeps that matrix's diagonal or
    its mean; a tied type keeps the one shared covariance.
    """
    k = mixture.n_components
    if source == target or not (0 <= source < k and 0 <= target < k):
        raise FitError(f"components {source + 1} and {target + 1} cannot be merged")
    pair = [source, target]
    w = mixture.weights[pair]
    total = float(w.sum())
    share = w / total if total > 0 else np.full(2, 0.5)
    mean = share @ mixture.means[pair]
    offsets = mixture.means[pair] - mean
    full = mixture.full_covariances()[pair]
    covariance = np.einsum("i,ijk->jk", share, full + offsets[:, :, None] * offsets[:, None, :])
    covariance = (covariance + covariance.T) / 2
    weights = np.array(mixture.weights, dtype=float)
    means = np.array(mixture.means, dtype=float)
    weights[target], means[target] = total, mean
    order = list(range(k - 1))
    if source < k - 1:
        order[source] = k - 1
    kind = mixture.covariance_type
    if kind == "tied":
        covariances = mixture.covariances
    else:
        covariances = np.array(mixture.covariances, dtype=float)
        covariances[target] = from_full(covariance[None], kind)[0]
        covariances = covariances[order]
    return Mixture(
        weights=weights[order], means=means[order], covariances=covariances,
        covariance_type=kind,
    )  # fmt: skip


def ellipse_axes(mixture: Mixture, k: int, axes: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The two semi-axes of component ``k``'s 1σ ellipse in columns ``axes``.

    Returns
    -------
    lengths : ndarray, shape (2,)
        Standard deviations along the axes, the major first (for a diagonal or spherical
        covariance the axes are the two columns, in order).
    directions : ndarray, shape (2, 2)
        Unit vectors of the axes, one per row, in data coordinates.
    """
    block = _block(mixture, k, axes)
    if mixture.covariance_type in ("diag", "spherical"):
        return np.sqrt(np.clip(np.diag(block), 0.0, None)), np.eye(2)
    values, vectors = np.linalg.eigh(block)
    return np.sqrt(np.clip(values[::-1], 0.0, None)), vectors[:, ::-1].T


def axis_ends(mixture: Mixture, k: int, axes: tuple[int, int], radius: float) -> np.ndarray:
    """Where component ``k``'s ellipse at Mahalanobis ``radius`` meets its axes, shape (4, 2):
    the two ends of the first axis of :func:`ellipse_axes`, then the two of the second."""
    lengths, directions = ellipse_axes(mixture, k, axes)
    reach = radius * lengths[:, None] * directions
    mean = mixture.means[k, list(axes)]
    return np.array([mean + reach[0], mean - reach[0], mean + reach[1], mean - reach[1]])


def stretched(
    mixture: Mixture, k: int, axes: tuple[int, int], axis: int, point, radius: float
) -> Mixture:
    """``mixture`` with an end of axis ``axis`` (0 or 1, as :func:`ellipse_axes` orders them)
    of component ``k``'s ellipse at Mahalanobis ``radius`` dragged to ``point``.

    A full or tied covariance turns that axis towards ``point`` and makes it reach it; the
    other axis keeps its length and stays perpendicular. A diagonal covariance cannot turn:
    its axis takes the length of ``point``'s offset along that column. A spherical one
    becomes the circle through ``point`` (in every dimension). The other columns keep their
    variances and their correlations with the columns shown carried along; a tied
    covariance changes for every component. An axis is kept at least
    :data:`MIN_AXIS_RATIO` of the other.
    """
    lengths, directions = ellipse_axes(mixture, k, axes)
    offset = np.asarray(point, dtype=float) - mixture.means[k, list(axes)]
    kind = mixture.covariance_type
    other = lengths[1 - axis]
    floor = MIN_AXIS_RATIO * other if other > 0 else 1e-12
    if kind == "spherical":
        variance = max(float(np.hypot(*offset)) / radius, floor) ** 2
        covariances = np.array(mixture.covariances, dtype=float)
        covariances[k] = variance
        return _with_covariances(mixture, covariances)
    if kind == "diag":
        covariances = np.array(mixture.covariances, dtype=float)
        covariances[k, axes[axis]] = max(abs(float(offset[axis])) / radius, floor) ** 2
        return _with_covariances(mixture, covariances)
    distance = float(np.hypot(*offset))
    u = offset / distance if distance > 0 else directions[axis]
    w = np.array([-u[1], u[0]])
    new_lengths = np.empty(2)
    new_lengths[axis], new_lengths[1 - axis] = max(distance / radius, floor), other
    block = new_lengths[axis] ** 2 * np.outer(u, u) + new_lengths[1 - axis] ** 2 * np.outer(w, w)
    covariance = _carried(
        mixture.full_covariances()[k] if kind == "full" else mixture.covariances,
        list(axes),
        block,
    )
    if kind == "tied":
        return _with_covariances(mixture, covariance)
    covariances = np.array(mixture.covariances, dtype=float)
    covariances[k] = covariance
    return _with_covariances(mixture, covariances)


def _block(mixture: Mixture, k: int, axes) -> np.ndarray:
    return mixture.full_covariances()[k][np.ix_(list(axes), list(axes))]


def _carried(covariance: np.ndarray, axes: list[int], block: np.ndarray) -> np.ndarray:
    """``covariance`` with its ``axes`` block replaced by ``block``, the rest carried along.

    The columns shown are mapped linearly, x -> M x with M = chol(block) chol(old)^-1, so the
    new covariance J Σ Jᵀ (J the identity with M in the block) is positive definite too.
    """
    covariance = np.array(covariance, dtype=float)
    old = covariance[np.ix_(axes, axes)]
    linear = np.linalg.cholesky(block) @ np.linalg.inv(np.linalg.cholesky(old))
    jacobian = np.eye(len(covariance))
    jacobian[np.ix_(axes, axes)] = linear
    result = jacobian @ covariance @ jacobian.T
    result[np.ix_(axes, axes)] = block
    return (result + result.T) / 2


def _with_covariances(mixture: Mixture, covariances) -> Mixture:
    return Mixture(
        weights=mixture.weights, means=mixture.means, covariances=covariances,
        covariance_type=mixture.covariance_type,
    )  # fmt: skip
