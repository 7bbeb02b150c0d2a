"""The Mixture type: densities, sampling, criteria and its plain-dict form."""

import json

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmm_studio.core import COVARIANCE_TYPES, FitError, Mixture, fit

FULL = Mixture(
    weights=[0.3, 0.7],
    means=[[0.0, 0.0], [3.0, 1.0]],
    covariances=[[[1.0, 0.4], [0.4, 0.8]], [[0.5, 0.0], [0.0, 2.0]]],
)


def test_score_samples_matches_scipy_densities():
    X = np.random.default_rng(0).normal(size=(50, 2)) * 2
    expected = np.log(
        0.3 * multivariate_normal(FULL.means[0], FULL.covariances[0]).pdf(X)
        + 0.7 * multivariate_normal(FULL.means[1], FULL.covariances[1]).pdf(X)
    )
    np.testing.assert_allclose(FULL.score_samples(X), expected, rtol=1e-12)
    assert FULL.log_likelihood(X) == pytest.approx(expected.sum(), rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_dict_round_trip_is_lossless_through_json(old_faithful, covariance_type):
    mixture = fit(old_faithful, 2, covariance_type=covariance_type, seed=0).mixture
    again = Mixture.from_dict(json.loads(json.dumps(mixture.to_dict())))
    assert again == mixture
    assert again.covariance_type == covariance_type


def test_from_dict_rejects_malformed_input():
    with pytest.raises(FitError, match="not a valid mixture"):
        Mixture.from_dict({"weights": [1.0]})
    with pytest.raises(FitError, match="shape"):
        Mixture.from_dict({"weights": [1.0], "means": [[0, 0]], "covariances": [[1, 0]]})
    with pytest.raises(FitError, match="sum to 1"):
        Mixture.from_dict({"weights": [0.2], "means": [[0, 0]], "covariances": [[[1, 0], [0, 1]]]})


def test_sample_follows_the_weights_and_is_seedable():
    X1, labels1 = FULL.sample(20_000, 5)
    X2, labels2 = FULL.sample(20_000, 5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(labels1, labels2)
    assert np.mean(labels1 == 1) == pytest.approx(0.7, abs=0.02)
    np.testing.assert_allclose(X1[labels1 == 1].mean(axis=0), [3.0, 1.0], atol=0.05)
    np.testing.assert_allclose(
        np.cov(X1[labels1 == 0], rowvar=False), FULL.covariances[0], atol=0.06
    )


def test_predict_is_argmax_of_predict_proba():
    X = np.random.default_rng(1).normal(size=(100, 2)) * 3
    np.testing.assert_array_equal(FULL.predict(X), FULL.predict_proba(X).argmax(axis=1))


def test_full_covariances_expands_every_type():
    means = np.zeros((2, 3))
    cases = {
        "tied": np.diag([1.0, 2.0, 3.0]),
        "diag": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        "spherical": np.array([2.0, 5.0]),
    }
    full = {t: Mixture([0.5, 0.5], means, c, t).full_covariances() for t, c in cases.items()}
    np.testing.assert_array_equal(full["tied"][1], np.diag([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(full["diag"][1], np.diag([4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(full["spherical"][1], 5.0 * np.eye(3))


def test_number_of_parameters_matches_the_usual_counts():
    k, d = 3, 4
    means = np.zeros((k, d))
    w = np.full(k, 1 / k)
    assert Mixture(w, means, np.repeat(np.eye(d)[None], k, 0), "full").n_parameters == 44
    assert Mixture(w, means, np.eye(d), "tied").n_parameters == 24
    assert Mixture(w, means, np.ones((k, d)), "diag").n_parameters == 26
    assert Mixture(w, means, np.ones(k), "spherical").n_parameters == 17


def test_arrays_are_copied_and_read_only():
    means = np.array([[0.0, 0.0]])
    mixture = Mixture([1.0], means, [[[1.0, 0.0], [0.0, 1.0]]])
    means[0, 0] = 99.0
    assert mixture.means[0, 0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        mixture.means[0, 0] = 1.0


def test_a_mixture_copies_its_arrays_unless_told_they_are_handed_over():
    covariances = np.stack([np.eye(2), 2 * np.eye(2)])
    means = np.zeros((2, 2))
    copied = Mixture([0.5, 0.5], means, covariances, "full")
    assert not np.shares_memory(copied.covariances, covariances)
    assert covariances.flags.writeable
    taken = Mixture([0.5, 0.5], means, covariances, "full", copy=False)
    assert np.shares_memory(taken.covariances, covariances)
    assert not covariances.flags.writeable  # frozen in place: still immutable
