"""Integer sample weights are repeated rows: the same fit, start, likelihood and criteria."""

import numpy as np
import pytest

from gmm_studio.core import COVARIANCE_TYPES, FitError, fit, initialize
from gmm_studio.core.initialization import CentreSeeding, clusters_from_labels, data_covariance


def _weighted_data(seed=0, n=400, d=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.integers(0, 3, (n, 1)) * np.resize([3.0, -2.0], d)
    counts = rng.integers(0, 5, n)  # zeros included: those rows are absent from the repeat
    return X, counts, np.repeat(X, counts, axis=0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("d", [1, 2, 5])
def test_integer_weights_fit_exactly_like_repeated_rows(covariance_type, d):
    X, counts, repeated = _weighted_data(seed=d, d=d)
    start = initialize(repeated, 3, covariance_type=covariance_type, init="kmeans", seed=1)
    args = dict(
        covariance_type=covariance_type, weights_init=start.weights, means_init=start.means,
        covariances_init=start.covariances, tol=1e-8, max_iter=40,
    )  # fmt: skip
    weighted = fit(X, 3, sample_weight=counts, **args)
    plain = fit(repeated, 3, **args)
    assert weighted.n_iter == plain.n_iter
    np.testing.assert_allclose(
        weighted.log_likelihood_trace, plain.log_likelihood_trace, rtol=1e-11
    )
    np.testing.assert_allclose(weighted.weights, plain.weights, rtol=1e-9)
    np.testing.assert_allclose(weighted.means, plain.means, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.covariances, plain.covariances, rtol=1e-9, atol=1e-12)
    mixture = weighted.mixture
    assert mixture.bic(X, counts) == pytest.approx(mixture.bic(repeated), rel=1e-12)
    assert mixture.aic(X, counts) == pytest.approx(mixture.aic(repeated), rel=1e-12)
    assert mixture.log_likelihood(X, counts) == pytest.approx(
        mixture.log_likelihood(repeated), rel=1e-12
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_an_emptied_component_is_reseeded_as_with_repeated_rows(covariance_type):
    X, counts, repeated = _weighted_data(seed=7)
    far = np.full((1, 2), 1e4)
    start = initialize(repeated, 3, covariance_type=covariance_type, init="kmeans", seed=1)
    means = np.concatenate([start.means[:2], far])
    args = dict(
        covariance_type=covariance_type, weights_init=start.weights, means_init=means,
        covariances_init=start.covariances, tol=0.0, max_iter=3,
    )  # fmt: skip
    weighted = fit(X, 3, sample_weight=counts, **args)
    plain = fit(repeated, 3, **args)
    np.testing.assert_allclose(weighted.means, plain.means, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.covariances, plain.covariances, rtol=1e-9, atol=1e-12)


def test_the_initialisers_deterministic_steps_are_those_of_repeated_rows():
    X, counts, repeated = _weighted_data(seed=3)
    w = counts.astype(float)
    np.testing.assert_allclose(data_covariance(X, w), data_covariance(repeated), rtol=1e-12)
    labels = np.random.default_rng(0).integers(0, 3, len(X))
    for covariance_type in COVARIANCE_TYPES:
        a = clusters_from_labels(X, labels, 3, w).mixture(covariance_type, 1e-6)
        b = clusters_from_labels(repeated, np.repeat(labels, counts), 3).mixture(
            covariance_type, 1e-6
        )
        np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12)
        np.testing.assert_allclose(a.means, b.means, rtol=1e-12)
        np.testing.assert_allclose(a.covariances, b.covariances, rtol=1e-10)


def test_rows_of_weight_zero_are_never_drawn():
    X, counts, _ = _weighted_data(seed=4)
    w = counts.astype(float)
    zero_rows = {tuple(row) for row in X[counts == 0]}
    for seed in range(20):
        rng = np.random.default_rng(seed)
        for centre in CentreSeeding(X, rng, w).grow(6)[0]:
            assert tuple(centre) not in zero_rows
        start = initialize(X, 4, init="random-points", seed=seed, sample_weight=w)
        assert not {tuple(m) for m in start.means} & zero_rows


def test_kmeans_plus_plus_draws_rows_in_proportion_to_their_weight():
    X = np.array([[0.0], [1.0], [2.0]])
    w = np.array([1.0, 2.0, 7.0])
    rng = np.random.default_rng(0)
    firsts = [CentreSeeding(X, rng, w).grow(1)[0][0, 0] for _ in range(4000)]
    shares = np.bincount(np.array(firsts, dtype=int), minlength=3) / 4000
    np.testing.assert_allclose(shares, w / w.sum(), atol=0.03)


@pytest.mark.parametrize(
    "weights, message",
    [([1.0, 2.0], "one number per row"), ([1, -1, 1], "≥ 0"), ([0, 0, 0], "zero for every"),
     ([1, np.nan, 1], "≥ 0")],
)  # fmt: skip
def test_unusable_weights_are_refused_with_a_clear_message(weights, message):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    with pytest.raises(FitError, match=message):
        fit(X, 1, sample_weight=weights)
