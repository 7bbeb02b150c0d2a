"""The parameters of a Gaussian mixture and what can be computed from them."""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy.special import logsumexp

from gmm_studio.core import covariance as cov
from gmm_studio.core import criteria
from gmm_studio.core.blockwise import BlockData, total_log_likelihood
from gmm_studio.core.errors import FitError


def _frozen(array, copy: bool = True) -> np.ndarray:
    out = np.array(array, dtype=float, copy=True if copy else None)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Mixture:
    """Weights, means and covariances of a Gaussian mixture; immutable.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixing proportions; they must be positive and sum to one.
    means : array_like, shape (K, D)
    covariances : array_like
        In scikit-learn's shape for ``covariance_type``: ``full`` (K, D, D), ``tied`` (D, D),
        ``diag`` (K, D), ``spherical`` (K,).
    covariance_type : {"full", "tied", "diag", "spherical"}
    copy : bool
        False: float64 arrays are made read-only in place instead of copied, for arrays the
        caller has just computed and hands over (the M-step's: at large K·D² a copy of the
        covariances would be a good part of a fit's memory).

    Notes
    -----
    The arrays are copied (unless ``copy=False``) and made read-only, so a Mixture can be
    handed to another thread and held there while the engine computes the next one.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"
    copy: InitVar[bool] = True

    def __post_init__(self, copy: bool):
        cov.check_covariance_type(self.covariance_type)
        weights = _frozen(self.weights, copy)
        means = _frozen(self.means, copy)
        if means.ndim != 2 or weights.shape != (means.shape[0],):
            raise FitError(
                f"means must have shape (n_components, n_features) and weights (n_components,); "
                f"got {means.shape} and {weights.shape}"
            )
        covariances = _frozen(self.covariances, copy)
        expected = cov.covariance_shape(self.covariance_type, *means.shape)
        if covariances.shape != expected:
            raise FitError(
                f"{self.covariance_type} covariances must have shape {expected}, "
                f"got {covariances.shape}"
            )
        if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(means))):
            raise FitError("weights and means must be finite numbers")
        if np.any(weights < 0) or not abs(float(weights.sum()) - 1.0) <= 1e-6:
            raise FitError("weights must be non-negative and sum to 1")
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", covariances)

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self.means.shape[0]

    @property
    def n_features(self) -> int:
        """Number of dimensions D."""
        return self.means.shape[1]

    @cached_property
    def _precisions_cholesky(self) -> np.ndarray:
        out = cov.precisions_cholesky(self.covariances, self.covariance_type)
        out.flags.writeable = False
        return out

    def precisions_cholesky(self) -> np.ndarray:
        """Cholesky factors of the precisions, as scikit-learn's ``precisions_cholesky_``.

        Raises
        ------
        DegenerateCovarianceError
            If a covariance is not positive definite.
        """
        return self._precisions_cholesky

    def precisions(self) -> np.ndarray:
        """Precision matrices in scikit-learn's ``precisions_`` shape for this covariance type."""
        pc = self._precisions_cholesky
        if self.covariance_type == "full":
            return np.einsum("kij,klj->kil", pc, pc)
        if self.covariance_type == "tied":
            return pc @ pc.T
        return pc**2

    def full_covariances(self) -> np.ndarray:
        """Every component's covariance as a full (K, D, D) stack, whatever the type."""
        return cov.expand(self.covariances, self.covariance_type, *self.means.shape)

    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise FitError(f"expected data with {self.n_features} columns, got shape {X.shape}")
        return X

    def weighted_log_prob(self, X) -> np.ndarray:
        """``log w_k + log N(x | mu_k, Sigma_k)`` for each row and component, shape (N, K)."""
        X = self._check_X(X)
        with np.errstate(divide="ignore"):
            log_w = np.log(self.weights)
        return (
            cov.log_gaussian(X, self.means, self._precisions_cholesky, self.covariance_type) + log_w
        )

    def score_samples(self, X) -> np.ndarray:
        """Log-density of the mixture at each row of ``X``, shape (N,)."""
        return logsumexp(self.weighted_log_prob(X), axis=1)

    def log_likelihood(self, X, sample_weight=None) -> float:
        """Total log-likelihood of the rows of ``X`` (each counted ``sample_weight`` times).

        Computed block-wise with EM's own kernel, so it is the very number a fit reports for
        this mixture on the same data, and a million rows need no N×K matrix.
        """
        return total_log_likelihood(BlockData(self._check_X(X), sample_weight), self)

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities: the posterior probability of each component for each row, (N, K)."""
        wlp = self.weighted_log_prob(X)
        return np.exp(wlp - logsumexp(wlp, axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """The most responsible component for each row, shape (N,)."""
        return np.argmax(self.weighted_log_prob(X), axis=1)

    def sample(self, n: int, rng: np.random.Generator | int | None = None):
        """Draw ``n`` points from the mixture.

        Returns
        -------
        X : ndarray, shape (n, D)
        labels : ndarray, shape (n,)
            The component each point was drawn from.
        """
        rng = np.random.default_rng(rng)
        labels = rng.choice(self.n_components, size=n, p=self.weights / self.weights.sum())
        full = self.full_covariances()
        X = np.empty((n, self.n_features))
        for k in range(self.n_components):
            rows = labels == k
            X[rows] = rng.multivariate_normal(self.means[k], full[k], size=int(rows.sum()))
        return X, labels

    @property
    def n_parameters(self) -> int:
        """Number of free parameters, counted as scikit-learn counts them."""
        return criteria.n_parameters(self.covariance_type, *self.means.shape)

    def bic(self, X, sample_weight=None) -> float:
        """Bayesian information criterion on ``X`` (lower is better; see :mod:`criteria`).

        With ``sample_weight`` the log-likelihood is weighted and the number of points in the
        penalty is the sum of the weights: integer weights give the BIC of the repeated rows.
        """
        X = self._check_X(X)
        n = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        return criteria.bic(self.log_likelihood(X, sample_weight), self.n_parameters, n)

    def aic(self, X, sample_weight=None) -> float:
        """Akaike information criterion on ``X`` (lower is better), weighted like :meth:`bic`."""
        return criteria.aic(self.log_likelihood(X, sample_weight), self.n_parameters)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of lists and floats, ready for JSON; :meth:`from_dict` inverts it exactly."""
        return {
            "covariance_type": self.covariance_type,
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mixture:
        """Rebuild a Mixture from :meth:`to_dict` output; raises FitError on a malformed dict."""
        try:
            return cls(
                weights=data["weights"],
                means=data["means"],
                covariances=data["covariances"],
                covariance_type=data.get("covariance_type", "full"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, FitError):
                raise
            raise FitError(f"not a valid mixture description: {exc}") from None

    def __eq__(self, other) -> bool:
        if not isinstance(other, Mixture):
            return NotImplemented
        return (
            self.covariance_type == other.covariance_type
            and np.array_equal(self.weights, other.weights)
            and np.array_equal(self.means, other.means)
            and np.array_equal(self.covariances, other.covariances)
        )

    __hash__ = None
