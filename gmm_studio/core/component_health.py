"""Each component of a fit in numbers, its health, and the fixes a sick one can be given.

What the window's component table shows (no Qt): weight, effective count, mean, spread,
condition number and a health mark per component, and the fit's log-likelihood, BIC and AIC;
plus the two parameter fixes that need computing (remove a component, re-seed one).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from gmm_studio.core import covariance as cov
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.criteria import aic, bic, n_parameters
from gmm_studio.core.degenerate import DistinctRows, degenerate_components
from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.standardize import Standardization

#: A component is nearly empty below this share of an even split of the weight (1/(10 K)).
EMPTY_SHARE = 0.1

#: Rows scored at a time when looking for the worst-explained points.
_SCORE_ROWS = 65_536


class Health(enum.Enum):
    """How a component is doing. The values are what the table shows."""

    FINE = "fine"
    NEARLY_EMPTY = "nearly empty"
    DEGENERATE = "degenerate"


@dataclass(frozen=True)
class ComponentSummary:
    """One component of a mixture on its data.

    Attributes
    ----------
    weight : float
    count : float
        Effective count N_k = N · w_k (the count its mean and covariance were estimated from).
    mean : ndarray, shape (D,)
    std : ndarray, shape (D,)
        Standard deviation along each column (square roots of the covariance's diagonal).
    covariance : ndarray, shape (D, D)
        The full covariance (the shared one for ``tied``).
    correlation : float
        The correlation of the first two columns (NaN for D = 1).
    condition : float
        Largest over smallest eigenvalue of the covariance (inf when the smallest is 0).
    health : Health
    """

    weight: float
    count: float
    mean: np.ndarray
    std: np.ndarray
    covariance: np.ndarray
    correlation: float
    condition: float
    health: Health


@dataclass(frozen=True)
class FitSummary:
    """A mixture on its data: its components and the fit's criteria (lower BIC/AIC is better).

    Attributes
    ----------
    components : tuple of ComponentSummary
    log_likelihood, bic, aic : float
        NaN when the log-likelihood is not known. BIC's N is the data's total weight (the
        number of rows without sample weights), as in :mod:`gmm_studio.core.restarts`.
    """

    components: tuple[ComponentSummary, ...]
    log_likelihood: float
    bic: float
    aic: float


def health_marks(
    data: BlockData, distinct: DistinctRows, mixture: Mixture, reg_covar: float
) -> tuple[Health, ...]:
    """Each component's health on the data.

    **degenerate** is :func:`gmm_studio.core.degenerate.degenerate_components` (covariance on
    the ``reg_covar`` floor, or carried by at most D distinct points). Otherwise a component is
    **nearly empty** when its effective count ``N_k = N · w_k`` is below D + 1 (too few
    points to estimate a D-dimensional Gaussian) or its weight is below ``1 / (10 K)``
    (``EMPTY_SHARE`` of an even split): EM is about to lose it. Otherwise it is **fine**.
    """
    k, d = mixture.n_components, mixture.n_features
    degenerate = set(degenerate_components(data, distinct, mixture, reg_covar))
    counts = data.total_weight * mixture.weights
    marks = []
    for j in range(k):
        if j in degenerate:
            marks.append(Health.DEGENERATE)
        elif counts[j] < d + 1 or mixture.weights[j] < EMPTY_SHARE / k:
            marks.append(Health.NEARLY_EMPTY)
        else:
            marks.append(Health.FINE)
    return tuple(marks)


def z_scores_of(data: BlockData) -> BlockData:
    """The z-scores a standardized fit of ``data`` runs on (as :class:`EMRun` makes them)."""
    scaling = Standardization.of(data.X, data.sample_weight)
    return BlockData(scaling.transform(data.X), data.sample_weight)


def summarize(
    X: np.ndarray,
    mixture: Mixture,
    reg_covar: float,
    log_likelihood: float = math.nan,
    *,
    data: BlockData | None = None,
    distinct: DistinctRows | None = None,
    n_fitted: int | None = None,
    z_data: BlockData | None = None,
) -> FitSummary:
    """The components of ``mixture`` on ``X`` and the fit's log-likelihood, BIC and AIC.

    With ``n_fitted``, ``X`` is a uniform sample of the ``n_fitted`` rows the mixture was
    fitted to (and ``log_likelihood`` theirs): BIC counts those rows, and each component's
    count is scaled from the sample's weight to them. BIC's N is the sum of the weights
    (the number of rows when unweighted).

    Parameters
    ----------
    X : ndarray, shape (N, D)
    mixture : Mixture
    reg_covar : float
        The ``reg_covar`` of the fit (for the degenerate test).
    log_likelihood : float
        The fit's total log-likelihood on ``X`` (NaN: not known; the criteria are NaN too).
    data, distinct : optional
        ``BlockData(X, sample_weight)`` and ``DistinctRows(X)``, prepared once for many
        summaries; with sample weights, ``data`` carries them (N_k and BIC's N are weighted).
    z_data : BlockData, optional
        For a fit on standardized columns (``FitSettings.standardize``): the z-scores of
        ``X`` it ran on (:func:`z_scores_of`). The health marks then judge the covariances
        there, where ``reg_covar`` applied; every figure stays in the units of ``X``.
    """
    data = BlockData(X) if data is None else data
    distinct = DistinctRows(data.X) if distinct is None else distinct
    if mixture.n_features != data.n_features:
        raise FitError(f"the mixture has {mixture.n_features} columns, the data {data.n_features}")
    if z_data is None:
        marks = health_marks(data, distinct, mixture, reg_covar)
    else:  # the z-scores are an affine map of each column: the same rows are equal
        to_z = Standardization.of(data.X, data.sample_weight).inverse()
        marks = health_marks(z_data, distinct, to_z.to_original(mixture), reg_covar)
    full = mixture.full_covariances()
    n_samples = data.n_samples if n_fitted is None else n_fitted
    total_weight = data.total_weight * n_samples / data.n_samples
    components = []
    for j, covariance in enumerate(full):
        std = np.sqrt(np.diagonal(covariance))
        correlation = covariance[0, 1] / (std[0] * std[1]) if len(std) > 1 else math.nan
        eigenvalues = np.linalg.eigvalsh(covariance)
        condition = eigenvalues[-1] / eigenvalues[0] if eigenvalues[0] > 0 else math.inf
        components.append(
            ComponentSummary(
                weight=float(mixture.weights[j]),
                count=float(total_weight * mixture.weights[j]),
                mean=mixture.means[j].copy(),
                std=std,
                covariance=covariance,
                correlation=float(correlation),
                condition=float(condition),
                health=marks[j],
            )
        )
    p = n_parameters(mixture.covariance_type, mixture.n_components, mixture.n_features)
    known = math.isfinite(log_likelihood)
    return FitSummary(
        tuple(components),
        float(log_likelihood),
        bic(log_likelihood, p, total_weight) if known else math.nan,
        aic(log_likelihood, p) if known else math.nan,
    )


def without_component(mixture: Mixture, k: int) -> Mixture:
    """``mixture`` without component ``k``, the other weights scaled to sum to one."""
    n = mixture.n_components
    if n < 2 or not 0 <= k < n:
        raise FitError(f"component {k + 1} of {n} cannot be removed")
    keep = np.arange(n) != k
    weights = mixture.weights[keep]
    total = weights.sum()
    weights = weights / total if total > 0 else np.full(n - 1, 1.0 / (n - 1))
    covariances = mixture.covariances
    if mixture.covariance_type != "tied":
        covariances = covariances[keep]
    return Mixture(weights, mixture.means[keep], covariances, mixture.covariance_type)


def worst_explained(X: np.ndarray, mixture: Mixture) -> int:
    """The row of ``X`` with the lowest density under ``mixture`` (the worst explained)."""
    X = np.asarray(X, dtype=float)
    best_row, best_score = 0, math.inf
    for start in range(0, len(X), _SCORE_ROWS):
        scores = mixture.score_samples(X[start : start + _SCORE_ROWS])
        row = int(np.argmin(scores))
        if scores[row] < best_score:
            best_row, best_score = start + row, float(scores[row])
    return best_row


def reseeded(X: np.ndarray, mixture: Mixture, k: int) -> Mixture:
    """``mixture`` with component ``k`` moved onto the worst-explained point of ``X``.

    Its mean becomes that point, its weight an even share 1/K (the others scaled to make
    room) and its covariance the data's covariance divided by K (in the mixture's covariance
    type; a ``tied`` covariance is shared and stays). EM then continues from there.
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    kk = mixture.n_components
    if not 0 <= k < kk:
        raise FitError(f"there is no component {k + 1} of {kk}")
    if n < 2:
        raise FitError("re-seeding a component needs at least two points")
    means = mixture.means.copy()
    means[k] = X[worst_explained(X, mixture)]
    weights = mixture.weights.copy()
    weights[k] = 0.0
    rest = weights.sum()
    weights = weights * ((1 - 1 / kk) / rest) if rest > 0 else np.zeros(kk)
    weights[k] = 1 - weights.sum()
    covariances = mixture.covariances.copy()
    if mixture.covariance_type != "tied":
        spread = np.atleast_2d(np.cov(X, rowvar=False)) / kk + 1e-6 * np.eye(d)
        covariances[k] = cov.from_full(spread[np.newaxis], mixture.covariance_type)[0]
    return Mixture(weights, means, covariances, mixture.covariance_type)
