"""scikit-learn's GaussianMixture, started from the same parameters, is the second oracle."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_studio.core import COVARIANCE_TYPES, fit, generate_mixture_data, initialize

RTOL = 1e-6


def sklearn_run(X, start, n_iter, reg_covar):
    """scikit-learn's EM from ``start`` for exactly ``n_iter`` iterations."""
    gm = GaussianMixture(
        n_components=start.n_components,
        covariance_type=start.covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=start.precisions(),
        max_iter=n_iter,
        tol=0.0,
        reg_covar=reg_covar,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return gm


def _datasets():
    blobs, _ = generate_mixture_data(
        600,
        [0.5, 0.3, 0.2],
        [[0, 0], [4, 1], [1, 5]],
        [[[1, 0.3], [0.3, 0.5]], [[0.4, 0], [0, 1.5]], [[0.8, -0.5], [-0.5, 0.9]]],
        seed=1,
    )
    rng = np.random.default_rng(2)
    three_d = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 3)) + rng.integers(0, 2, (400, 1)) * 3
    return {"blobs": (blobs, 3), "three_d": (three_d, 2)}


DATASETS = _datasets()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dataset", ["old_faithful", "seed_example", "blobs", "three_d"])
def test_same_parameters_and_likelihood_as_sklearn(dataset, covariance_type, request):
    if dataset in DATASETS:
        X, k = DATASETS[dataset]
    else:
        X, k = request.getfixturevalue(dataset), {"old_faithful": 2, "seed_example": 3}[dataset]
    start = initialize(X, k, covariance_type=covariance_type, init="kmeans", seed=7)
    n_iter = 25
    ours = fit(
        X,
        k,
        covariance_type=covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        covariances_init=start.covariances,
        tol=0.0,
        max_iter=n_iter,
    )
    theirs = sklearn_run(X, start, n_iter, reg_covar=1e-6)
    assert ours.n_iter == theirs.n_iter_ == n_iter
    np.testing.assert_allclose(ours.weights, theirs.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means, theirs.means_, rtol=RTOL, atol=1e-9)
    np.testing.assert_allclose(ours.covariances, theirs.covariances_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(ours.log_likelihood, theirs.score(X) * len(X), rtol=RTOL)
    np.testing.assert_allclose(ours.mixture.bic(X), theirs.bic(X), rtol=RTOL)
    np.testing.assert_allclose(ours.mixture.aic(X), theirs.aic(X), rtol=RTOL)
    np.testing.assert_allclose(ours.mixture.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_converged_fit_matches_sklearn_converged_fit(old_faithful, covariance_type):
    start = initialize(old_faithful, 2, covariance_type=covariance_type, init="kmeans", seed=0)
    ours = fit(
        old_faithful,
        2,
        covariance_type=covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        covariances_init=start.covariances,
        tol=1e-10,
    )
    assert ours.converged
    theirs = sklearn_run(old_faithful, start, ours.n_iter, reg_covar=1e-6)
    np.testing.assert_allclose(ours.log_likelihood, theirs.score(old_faithful) * 272, rtol=1e-9)
    np.testing.assert_allclose(ours.means, theirs.means_, rtol=RTOL)
