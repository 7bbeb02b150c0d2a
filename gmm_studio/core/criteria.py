"""Information criteria for choosing a mixture: BIC, AIC and ICL, all with scikit-learn's sign.

Lower is better for all three, as in scikit-learn's ``GaussianMixture.bic``/``aic``. R's mclust
reports BIC and ICL with the opposite sign (``2 log L - p log N``, higher is better): the same
numbers negated.
"""

from __future__ import annotations

import math

import numpy as np

from gmm_studio.core.blockwise import BlockData, for_each_block, make_kernel

CRITERIA = ("bic", "aic", "icl")


def n_parameters(covariance_type: str, n_components: int, n_features: int) -> int:
    """Free parameters of a mixture, counted as scikit-learn counts them."""
    k, d = n_components, n_features
    covariance = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d}
    return covariance.get(covariance_type, k) + k * d + k - 1


def bic(log_likelihood: float, n_parameters: int, n_samples: int) -> float:
    """Bayesian information criterion ``-2 log L + p log N`` (lower is better)."""
    return -2.0 * log_likelihood + n_parameters * math.log(n_samples)


def aic(log_likelihood: float, n_parameters: int) -> float:
    """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
    return -2.0 * log_likelihood + 2.0 * n_parameters


def icl(bic_value: float, entropy: float) -> float:
    """Integrated completed likelihood: ``BIC + 2 EN`` (lower is better).

    ``EN = -Σ_i Σ_k r_ik log r_ik`` is the classification entropy of the responsibilities
    (:func:`classification_entropy`). ICL is Biernacki, Celeux & Govaert's criterion
    ("Assessing a mixture model for clustering with the integrated completed likelihood",
    IEEE TPAMI 22(7), 719-725, 2000) in the entropy form McLachlan & Peel call ICL-BIC
    (*Finite Mixture Models*, 2000, §6.10.3): BIC penalised by how unclear the clustering is,
    so it prefers well separated components.

    Notes
    -----
    mclust's ``icl()`` uses the hard labels instead, ``-2 Σ_i log max_k r_ik`` in place of
    ``2 EN`` (and its opposite sign). The two agree when every point is clearly classified;
    otherwise the entropy is larger, since ``Σ_k r_ik log r_ik ≤ log max_k r_ik``.
    """
    return bic_value + 2.0 * entropy


def classification_entropy(data: BlockData, mixture) -> float:
    """``EN = -Σ_i Σ_k r_ik log r_ik`` for the responsibilities of ``mixture`` on the data
    (each row's term times its sample weight, when the data carry weights).

    One block-wise pass with the EM kernel (no N×K matrix is kept). 0 when every point belongs
    to one component with certainty, ``N log K`` at most.
    """
    kernel = make_kernel(mixture, data.centre, data.radius)
    block = kernel.block_rows(data.n_samples)
    parts = np.zeros(-(-data.n_samples // block))

    def visit(start, stop, R):
        log_r = np.zeros_like(R)
        np.log(R, out=log_r, where=R > 0)  # 0 log 0 = 0
        rows = np.einsum("ij,ij->j", R, log_r)
        weights = data.weights_of(start, stop)
        parts[start // block] = -(rows.sum() if weights is None else rows @ weights)

    for_each_block(data, kernel, visit)
    return float(parts.sum())
