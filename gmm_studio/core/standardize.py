"""Fitting on z-scored columns and reporting the mixture in the original units, exactly.

With ``x = mean + scale * z`` a Gaussian N(m, S) in z is N(mean + scale*m, D S D) in x, where
D = diag(scale); each point's log-density in x is its log-density in z minus
Σ log(scale). Full, tied and diagonal covariances keep their type; spherical ones do not
(a sphere in z is an axis-aligned ellipsoid in x), so they are refused unless D = 1.

A standardized fit (``FitSettings(standardize=True)``) runs EM on the z-scores, and every
log-likelihood it reports is that of the original data under the mixture in the original
units: the z-score log-likelihood plus the Jacobian term N·(−Σ log scale) (the sum of the
weights in place of N for weighted points). The change per iteration, the convergence test,
the responsibilities and the iterates are the same either way; ``reg_covar`` is added to the
covariances of the z-scores. :class:`gmm_studio.core.run.EMRun` (the window, ``fit``) and
:func:`gmm_studio.core.restarts.fit_starts` (``gmm-studio fit --standardize``) both map
through this module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture

if TYPE_CHECKING:
    from gmm_studio.core.run import FitResult, Snapshot


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

    def snapshot_to_original(self, snapshot: Snapshot, total_weight: float) -> Snapshot:
        """A snapshot of EM on the z-scores, in the original units (NaN log-likelihoods of
        an M half-step stay NaN; the change is the same in both)."""
        shift = self.log_density_shift
        return dataclasses.replace(
            snapshot,
            mixture=self.to_original(snapshot.mixture),
            log_likelihood=snapshot.log_likelihood + total_weight * shift,
            mean_log_likelihood=snapshot.mean_log_likelihood + shift,
        )

    def snapshot_to_z(self, snapshot: Snapshot, total_weight: float) -> Snapshot:
        """The inverse of :meth:`snapshot_to_original`."""
        shift = self.log_density_shift
        return dataclasses.replace(
            snapshot,
            mixture=self.inverse().to_original(snapshot.mixture),
            log_likelihood=snapshot.log_likelihood - total_weight * shift,
            mean_log_likelihood=snapshot.mean_log_likelihood - shift,
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

    def parameters_to_z(self, covariance_type: str, weights, means, covariances):
        """Starting parameters given in the original units (any of them None), in z-scores."""
        self.check_covariance_type(covariance_type)
        inverse = self.inverse()
        if means is not None:
            means = inverse.transform_means(means)
        if covariances is not None:
            covariances = _scaled(covariances, covariance_type, inverse.scale)
        return weights, means, covariances


def _scaled(covariances, covariance_type: str, s: np.ndarray) -> np.ndarray:
    c = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        return c * s[np.newaxis, :, np.newaxis] * s[np.newaxis, np.newaxis, :]
    if covariance_type == "tied":
        return c * s[:, np.newaxis] * s[np.newaxis, :]
    if covariance_type == "diag":
        return c * s**2
    return c * s[0] ** 2
