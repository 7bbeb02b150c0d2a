"""Covariance shapes, Cholesky factors and Gaussian log-densities for the four covariance types.

Shapes follow scikit-learn: ``full`` (K, D, D), ``tied`` (D, D), ``diag`` (K, D) and
``spherical`` (K,). Densities are evaluated through the Cholesky factor of each precision
matrix, never through explicit inverses or determinants.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from gmm_studio.core.errors import DegenerateCovarianceError, FitError

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

_LOG_2PI = np.log(2.0 * np.pi)

#: From this D on, one triangular inverse per matrix beats numpy's batched general solve.
_TRIANGULAR_INVERSE_MIN_D = 24


def check_covariance_type(covariance_type: str) -> str:
    """Return ``covariance_type`` if it is one of :data:`COVARIANCE_TYPES`, else raise FitError."""
    if covariance_type not in COVARIANCE_TYPES:
        raise FitError(
            f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, not {covariance_type!r}"
        )
    return covariance_type


def covariance_shape(covariance_type: str, n_components: int, n_features: int) -> tuple:
    """The array shape scikit-learn uses for this covariance type."""
    return {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[check_covariance_type(covariance_type)]


def degenerate(component: int) -> DegenerateCovarianceError:
    """The error for a covariance that is no longer positive definite (-1: the tied one)."""
    where = "the shared covariance" if component < 0 else f"component {component + 1}'s covariance"
    return DegenerateCovarianceError(
        component,
        f"{where} is no longer positive definite (the component collapsed onto too few "
        "distinct points); increase reg_covar or use fewer components",
    )


def _cholesky_lower(matrix: np.ndarray, component: int) -> np.ndarray:
    if not np.all(np.isfinite(matrix)):
        raise degenerate(component)
    try:
        return linalg.cholesky(matrix, lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise degenerate(component) from None


def precisions_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Cholesky factors of the precision matrices, in scikit-learn's ``precisions_cholesky_`` form.

    Raises
    ------
    DegenerateCovarianceError
        If a covariance is not positive definite.
    """
    if covariance_type in ("full", "tied"):
        tied = covariance_type == "tied"
        stack = covariances[np.newaxis] if tied else covariances
        # numpy's batched LAPACK: one call for all K; scipy's per-matrix calls cost more than
        # the whole E-step on small data.
        try:
            if not np.all(np.isfinite(stack)):
                raise np.linalg.LinAlgError
            chol = np.linalg.cholesky(stack)
        except np.linalg.LinAlgError:
            for k, matrix in enumerate(stack):
                _cholesky_lower(matrix, -1 if tied else k)
            raise degenerate(-1 if tied else 0) from None  # pragma: no cover
        d = stack.shape[-1]
        if d < _TRIANGULAR_INVERSE_MIN_D:
            out = np.swapaxes(np.linalg.solve(chol, np.eye(d)), 1, 2)
        else:  # a triangular inverse: an eighth of the general solve's work at large D
            out = chol  # each factor replaced by its inverse's transpose, no second (K, D, D)
            for k, factor in enumerate(chol):
                inverse, _ = lapack.dtrtri(factor, lower=1)
                out[k] = np.tril(inverse).T
        return out[0] if tied else out
    bad = ~(covariances > 0) | ~np.isfinite(covariances)
    if np.any(bad):
        raise degenerate(int(np.argwhere(bad)[0][0]))
    return 1.0 / np.sqrt(covariances)


def log_det_cholesky(prec_chol: np.ndarray, covariance_type: str, n_features: int) -> np.ndarray:
    """Log-determinant of each precision matrix from its Cholesky factor (scalar for ``tied``)."""
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(prec_chol)))
    if covariance_type == "diag":
        return np.sum(np.log(prec_chol), axis=1)
    return n_features * np.log(prec_chol)


def log_gaussian(
    X: np.ndarray, means: np.ndarray, prec_chol: np.ndarray, covariance_type: str
) -> np.ndarray:
    """Log-density of each row of ``X`` under each Gaussian component, shape (N, K).

    Works on ``X - mean`` rather than expanding the square, so data far from the origin
    (means around 1e6, spreads around 1e-3) keeps its precision.
    """
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    log_det = log_det_cholesky(prec_chol, covariance_type, n_features)
    maha = np.empty((n_samples, n_components))
    for k in range(n_components):
        diff = X - means[k]
        if covariance_type == "full":
            y = diff @ prec_chol[k]
        elif covariance_type == "tied":
            y = diff @ prec_chol
        else:
            y = diff * prec_chol[k]
        maha[:, k] = np.einsum("ij,ij->i", y, y)
    return -0.5 * (n_features * _LOG_2PI + maha) + log_det


def expand(
    covariances: np.ndarray, covariance_type: str, n_components: int, n_features: int
) -> np.ndarray:
    """Expand covariances of any type to a (K, D, D) stack of full matrices."""
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        return covariances.copy()
    if covariance_type == "tied":
        return np.repeat(covariances[np.newaxis], n_components, axis=0)
    if covariance_type == "diag":
        return covariances[:, :, np.newaxis] * np.eye(n_features)
    return covariances[:, np.newaxis, np.newaxis] * np.eye(n_features)


def from_full(full: np.ndarray, covariance_type: str, weights: np.ndarray | None = None):
    """Reduce a (K, D, D) stack of full covariances to the given covariance type.

    ``tied`` averages the matrices with ``weights`` (equal weights when None); ``diag`` keeps the
    diagonals; ``spherical`` keeps the mean of each diagonal.
    """
    full = np.asarray(full, dtype=float)
    if covariance_type == "full":
        return full.copy()
    if covariance_type == "tied":
        w = np.full(len(full), 1.0 / len(full)) if weights is None else np.asarray(weights, float)
        return np.einsum("k,kij->ij", w / w.sum(), full)
    diag = np.diagonal(full, axis1=1, axis2=2).copy()
    if covariance_type == "diag":
        return diag
    return diag.mean(axis=1)
