"""The component table's numbers: each component's figures, its health, and the fixes."""

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from gmm_studio.core import Mixture
from gmm_studio.core.component_health import (
    EMPTY_SHARE,
    Health,
    reseeded,
    summarize,
    without_component,
    worst_explained,
)
from gmm_studio.core.restarts import fit_starts

REG = 1e-6


def three_blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = [[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]]
    return np.vstack([c + rng.normal(size=(80, 2)) @ [[1.0, 0.3], [0.0, 0.6]] for c in centres])


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_figures_are_the_mixtures_and_criteria_are_sklearns(covariance_type):
    X = three_blobs()
    outcome = fit_starts(X, 3, covariance_type=covariance_type, seed=1, tol=1e-8, reg_covar=REG)
    mixture = outcome.mixture
    summary = summarize(X, mixture, REG, mixture.log_likelihood(X))
    full = mixture.full_covariances()
    for k, component in enumerate(summary.components):
        assert component.weight == mixture.weights[k]
        assert component.count == pytest.approx(len(X) * mixture.weights[k], rel=1e-12)
        np.testing.assert_array_equal(component.mean, mixture.means[k])
        np.testing.assert_allclose(component.std**2, np.diag(full[k]), rtol=1e-12)
        r = full[k][0, 1] / np.sqrt(full[k][0, 0] * full[k][1, 1])
        assert component.correlation == pytest.approx(r, rel=1e-12, abs=1e-15)
        assert component.condition == pytest.approx(np.linalg.cond(full[k]), rel=1e-9)
        assert component.health is Health.FINE
    # scikit-learn's bic/aic of the same parameters
    gm = GaussianMixture(3, covariance_type=covariance_type)
    gm.weights_, gm.means_, gm.covariances_ = mixture.weights, mixture.means, mixture.covariances
    gm.precisions_cholesky_ = mixture.precisions_cholesky()
    assert summary.bic == pytest.approx(gm.bic(X), rel=1e-10)
    assert summary.aic == pytest.approx(gm.aic(X), rel=1e-10)


def test_without_a_log_likelihood_the_criteria_are_not_known():
    X = three_blobs()
    mixture = fit_starts(X, 3, seed=1).mixture
    summary = summarize(X, mixture, REG)
    assert np.isnan(summary.bic) and np.isnan(summary.aic)


def test_a_component_on_identical_points_is_degenerate_and_a_tiny_one_nearly_empty():
    blob = np.random.default_rng(2).normal(size=(300, 2))
    X = np.vstack([blob, np.tile([8.0, 8.0], (12, 1))])
    outcome = fit_starts(X, 2, seed=0, tol=1e-10, reg_covar=REG)
    far = int(outcome.mixture.predict(X)[-1])
    marks = [c.health for c in summarize(X, outcome.mixture, REG).components]
    assert marks[far] is Health.DEGENERATE and marks[1 - far] is Health.FINE

    # A broad component with a weight just under 1/(10 K): nearly empty; just over: fine.
    for weight, health in ((0.99 * EMPTY_SHARE / 2, Health.NEARLY_EMPTY), (0.06, Health.FINE)):
        tiny = Mixture([1 - weight, weight], [[0.0, 0.0], [0.5, 0.0]], [1.0, 4.0], "spherical")
        assert summarize(blob, tiny, REG).components[1].health is health
    # N_k below D + 1 = 3 points: nearly empty even with a large share of few points
    few = blob[:20]
    small = Mixture([0.9, 0.1], [[0.0, 0.0], [0.5, 0.0]], [1.0, 4.0], "spherical")
    assert summarize(few, small, REG).components[1].count == pytest.approx(2.0)
    assert summarize(few, small, REG).components[1].health is Health.NEARLY_EMPTY


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_removing_a_component_keeps_the_others(covariance_type):
    X = three_blobs()
    mixture = fit_starts(X, 3, covariance_type=covariance_type, seed=1).mixture
    smaller = without_component(mixture, 1)
    assert smaller.n_components == 2
    np.testing.assert_allclose(
        smaller.weights, mixture.weights[[0, 2]] / mixture.weights[[0, 2]].sum()
    )
    np.testing.assert_array_equal(smaller.means, mixture.means[[0, 2]])
    kept = mixture.full_covariances()[[0, 2]]
    np.testing.assert_array_equal(smaller.full_covariances(), kept)


def test_reseeding_puts_the_component_on_the_worst_explained_point():
    X = np.vstack([three_blobs(), [[20.0, -9.0]]])
    mixture = fit_starts(X[:-1], 3, seed=1).mixture
    worst = int(np.argmin(mixture.score_samples(X)))  # scored all at once
    assert worst == len(X) - 1 == worst_explained(X, mixture)
    moved = reseeded(X, mixture, 2)
    np.testing.assert_array_equal(moved.means[2], X[worst])
    np.testing.assert_array_equal(moved.means[:2], mixture.means[:2])
    assert moved.weights[2] == pytest.approx(1 / 3)
    np.testing.assert_allclose(moved.covariances[2], np.cov(X, rowvar=False) / 3 + 1e-6 * np.eye(2))
