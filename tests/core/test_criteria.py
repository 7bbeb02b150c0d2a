"""BIC, AIC and ICL: scikit-learn's sign, checked against computations by hand."""

import math

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from gmm_studio.core import Mixture, criteria
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.restarts import fit_starts

X_1D = np.array([[-1.0], [0.0], [2.0], [2.5]])
MIXTURE_1D = Mixture([0.4, 0.6], [[-0.5], [2.0]], [[[1.0]], [[0.25]]])


def by_hand():
    """Log-likelihood and classification entropy of MIXTURE_1D on X_1D, written out."""
    log_l = entropy = 0.0
    for (x,) in X_1D:
        parts = [
            w * math.exp(-0.5 * (x - m) ** 2 / v) / math.sqrt(2 * math.pi * v)
            for w, m, v in ((0.4, -0.5, 1.0), (0.6, 2.0, 0.25))
        ]
        total = sum(parts)
        log_l += math.log(total)
        entropy -= sum(p / total * math.log(p / total) for p in parts)
    return log_l, entropy


def test_posterior_summary_by_hand():
    counts, entropy = criteria.posterior_summary(BlockData(X_1D), MIXTURE_1D)
    _, expected_entropy = by_hand()
    assert entropy == pytest.approx(expected_entropy, rel=1e-12)
    np.testing.assert_allclose(counts, MIXTURE_1D.predict_proba(X_1D).sum(axis=0), rtol=1e-12)


def test_bic_aic_icl_by_hand():
    log_l, entropy = by_hand()
    p = 2 * 1 + 2 * 1 + 1  # variances, means, free weights
    assert criteria.n_parameters("full", 2, 1) == p == MIXTURE_1D.n_parameters
    assert MIXTURE_1D.bic(X_1D) == pytest.approx(-2 * log_l + p * math.log(4), rel=1e-12)
    assert MIXTURE_1D.aic(X_1D) == pytest.approx(-2 * log_l + 2 * p, rel=1e-12)
    bic = criteria.bic(log_l, p, 4)
    assert criteria.icl(bic, entropy) == pytest.approx(
        -2 * log_l + p * math.log(4) + 2 * entropy, rel=1e-12
    )


@pytest.mark.parametrize(
    ("covariance_type", "expected"), [("full", 17), ("tied", 11), ("diag", 14), ("spherical", 11)]
)
def test_parameter_counts_as_sklearn(covariance_type, expected):
    # K=3, D=2: 6 mean parameters, 2 free weights, and the covariances.
    X = np.random.default_rng(0).normal(size=(50, 2))
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert gm._n_parameters() == expected == criteria.n_parameters(covariance_type, 3, 2)


def test_restarts_result_criteria(old_faithful):
    outcome = fit_starts(old_faithful, 2, seed=0, n_init=2)
    mixture = outcome.mixture
    assert outcome.bic == pytest.approx(mixture.bic(old_faithful), rel=1e-12)
    assert outcome.aic == pytest.approx(mixture.aic(old_faithful), rel=1e-12)
    r = mixture.predict_proba(old_faithful)
    entropy = -np.sum(r * np.log(np.maximum(r, 1e-300)))
    assert outcome.icl == pytest.approx(outcome.bic + 2 * entropy, rel=1e-9)
    assert outcome.icl > outcome.bic
    assert outcome.criterion("icl") == outcome.icl
