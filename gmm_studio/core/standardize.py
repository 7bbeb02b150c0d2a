"""Fitting on z-scored columns and reporting the mixture in the original units, exactly.

With ``x = mean + scale * z`` a Gaussian N(m, S) in z is N(mean + scale*m, D S D) in x, where
D = diag(scale); each point's log-density in x is its log-density in z minus
Σ log(scale). Full, tied and diagonal covariances keep their type; spherical ones do not
(a sphere in z is an axis-aligned ellipsoid in x), so they are refused unless D = 1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.run import FitResult, fit


@dataclass(frozen=True, eq=False)
class Standardization:
    """Per-column centre and scale of a data set.

    Attributes
    ----------
    mean : ndarray, shape (D,)
    scale : ndarray, shape (D,)
        The (weighted) standard deviation; 1 for a constant column.
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, X, sample_weight=None) -> Standardization:
        """The mean and standard deviation of each column of ``X`` (weighted when given)."""
        X = np.asarray(X, dtype=float)
        mean = np.average(X, axis=0, weights=sample_weight)
        var = np.average((X - mean) ** 2, axis=0, weights=sample_weight)
        scale = np.sqrt(var)
        scale[~(scale > 0)] = 1.0
        return cls(mean, scale)

    def transform(self, X) -> np.ndarray:
        """``(X - mean) / scale``."""
        return (np.asarray(X, dtype=float) - self.mean) / self.scale

    def transform_means(self, means) -> np.ndarray:
        """``mean + means * scale``: means (or points) in z-scores, in the original units."""
        return self.mean + np.asarray(means, dtype=float) * self.scale

    @property
    def log_density_shift(self) -> float:
        """What to add to a point's log-density in z to get it in the original units."""
        return -float(np.log(self.scale).sum())

    def check_covariance_type(self, covariance_type: str) -> None:
        """Refuse a type the transform cannot keep (spherical, in more than one dimension)."""
        if covariance_type == "spherical" and len(self.scale) > 1:
            raise FitError(
                "spherical covariances on standardized columns are not spherical in the "
                "original units; use diag covariances, or do not standardize"
            )

    def to_original(self, mixture: Mixture) -> Mixture:
        """The mixture fitted in z-scores, expressed in the original units."""
        self.check_covariance_type(mixture.covariance_type)
        return Mixture(
            weights=mixture.weights,
            means=self.transform_means(mixture.means),
            covariances=_scaled(mixture.covariances, mixture.covariance_type, self.scale),
            covariance_type=mixture.covariance_type,
        )

    def result_to_original(self, result: FitResult, total_weight: float) -> FitResult:
        """A fit on z-scored data, in the original units: the mixture mapped back and every
        log-likelihood shifted by ``total_weight`` (N, or the sum of the weights) times
        :attr:`log_density_shift`."""
        shift = total_weight * self.log_density_shift
        return dataclasses.replace(
            result,
            mixture=self.to_original(result.mixture),
            log_likelihood_trace=tuple(ll + shift for ll in result.log_likelihood_trace),
        )

    def inverse(self) -> Standardization:
        """The map from the original units to z-scores, as a `Standardization`."""
        return Standardization(-self.mean / self.scale, 1.0 / self.scale)


def _scaled(covariances, covariance_type: str, s: np.ndarray) -> np.ndarray:
    c = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        return c * s[np.newaxis, :, np.newaxis] * s[np.newaxis, np.newaxis, :]
    if covariance_type == "tied":
        return c * s[:, np.newaxis] * s[np.newaxis, :]
    if covariance_type == "diag":
        return c * s**2
    return c * s[0] ** 2


def fit_standardized(X, n_components: int, *, sample_weight=None, **kwargs) -> FitResult:
    """Fit on z-scored columns; return the result in the original units.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_components : int
    sample_weight : array_like, optional
        Also weights the column means and standard deviations.
    **kwargs
        As for `gmm_studio.core.fit`; ``means_init`` and ``covariances_init`` are in the
        original units.

    Returns
    -------
    FitResult
        Mixture and log-likelihoods in the original units (the log-likelihood trace differs
        from the z-score one by the same constant at every iteration).
    """
    X = np.asarray(X, dtype=float)
    scaling = Standardization.of(X, sample_weight)
    covariance_type = kwargs.get("covariance_type", "full")
    scaling.check_covariance_type(covariance_type)
    inverse = scaling.inverse()
    if kwargs.get("means_init") is not None:
        kwargs["means_init"] = inverse.transform_means(kwargs["means_init"])
    if kwargs.get("covariances_init") is not None:
        kwargs["covariances_init"] = _scaled(
            kwargs["covariances_init"], covariance_type, inverse.scale
        )
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    result = fit(scaling.transform(X), n_components, **kwargs)
    total = len(X) if sample_weight is None else float(np.sum(sample_weight))
    return scaling.result_to_original(result, total)
