"""Numerical corners end in a valid fit or a clear FitError, never NaN or a crash."""

import numpy as np
import pytest

from gmm_studio.core import (
    COVARIANCE_TYPES,
    DegenerateCovarianceError,
    FitError,
    em_steps,
    fit,
)
from gmm_studio.core.reference import m_step


def assert_valid(result, X):
    assert np.all(np.isfinite(result.weights))
    assert np.all(np.isfinite(result.means))
    assert np.all(np.isfinite(result.covariances))
    assert np.isfinite(result.log_likelihood)
    assert np.isclose(result.weights.sum(), 1.0)
    assert np.all(np.linalg.eigvalsh(result.mixture.full_covariances()) > 0)
    np.testing.assert_allclose(result.mixture.predict_proba(X).sum(axis=1), 1.0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["random-points", "kmeans++", "kmeans"])
def test_more_components_than_distinct_points(covariance_type, init):
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    result = fit(X, 4, covariance_type=covariance_type, init=init, seed=0)
    assert_valid(result, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_all_points_identical(covariance_type):
    X = np.full((20, 2), 3.5)
    result = fit(X, 2, covariance_type=covariance_type, seed=0)
    assert_valid(result, X)
    np.testing.assert_allclose(result.means, 3.5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_single_point(covariance_type):
    X = np.array([[1.0, -2.0]])
    result = fit(X, 1, covariance_type=covariance_type)
    assert_valid(result, X)
    np.testing.assert_allclose(result.means, [[1.0, -2.0]])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_collinear_points(covariance_type):
    t = np.linspace(0, 1, 50)
    X = np.stack([t, 2 * t + 1], axis=1)
    result = fit(X, 2, covariance_type=covariance_type, seed=1)
    assert_valid(result, X)


def test_duplicate_points_with_reg_covar_zero_is_a_clear_error():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    with pytest.raises(DegenerateCovarianceError, match="reg_covar"):
        fit(X, 2, init="kmeans", reg_covar=0.0, seed=0)


def test_single_point_with_reg_covar_zero_is_a_clear_error():
    with pytest.raises(DegenerateCovarianceError, match="positive definite"):
        list(em_steps(np.array([[1.0, 2.0]]), 1, reg_covar=0.0))


def test_more_components_than_points_is_a_clear_error():
    with pytest.raises(FitError, match="n_components=4 is more than the 3 points"):
        em_steps(np.zeros((3, 2)), 4)


@pytest.mark.parametrize(
    ("X", "kwargs", "message"),
    [
        (np.zeros((0, 2)), {}, "no points"),
        (np.array([[np.nan, 1.0], [1.0, 2.0]]), {}, "missing or infinite"),
        (np.zeros(5), {}, "table of points"),
        (np.zeros((5, 2)), {"covariance_type": "banana"}, "covariance_type"),
        (np.zeros((5, 2)), {"init": "banana"}, "init must be"),
        (np.zeros((5, 2)), {"tol": -1}, "tol"),
        (np.zeros((5, 2)), {"reg_covar": float("nan")}, "reg_covar"),
        (np.zeros((5, 2)), {"max_iter": -2}, "max_iter"),
        (np.zeros((5, 2)), {"means_init": np.zeros((3, 2))}, "shape"),
    ],
)
def test_bad_arguments_raise_at_call_time(X, kwargs, message):
    with pytest.raises(FitError, match=message):
        em_steps(X, 2, **kwargs)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_collapsed_component_is_reseeded_at_the_worst_explained_point(covariance_type):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(50, 2)), [[40.0, 40.0]]])
    resp = np.zeros((51, 2))
    resp[:, 0] = 1.0  # component 2 owns nothing: it has collapsed
    worst = np.array([50, 3])
    mixture = m_step(X, resp, covariance_type, 1e-6, worst)
    np.testing.assert_array_equal(mixture.means[1], [40.0, 40.0])
    # one point's worth of weight, then all weights renormalised
    assert mixture.weights[1] == pytest.approx((1 / 51) / (1 + 1 / 51), rel=1e-6)
    assert np.isclose(mixture.weights.sum(), 1.0)
    assert np.all(np.linalg.eigvalsh(mixture.full_covariances()) > 0)


def test_component_starting_far_from_all_data_recovers():
    rng = np.random.default_rng(3)
    X = np.concatenate(
        [rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + np.array([6.0, 0.0])]
    )
    result = fit(
        X,
        2,
        weights_init=[0.5, 0.5],
        means_init=[[0.0, 0.0], [1e4, 1e4]],  # nothing is near this mean
        covariances_init=np.repeat(np.eye(2)[np.newaxis], 2, axis=0),
    )
    assert_valid(result, X)
    assert sorted(np.round(result.means[:, 0])) == [0.0, 6.0]


def test_component_shrinking_onto_one_point_without_regularisation_stops_with_a_clear_error():
    X = np.array([3.82, 2.96, 3.08, 4.28, 3.45, 3.47, 3.45, 3.69, 2.92, 3.24, 3.34, 3.13, 2.77,
                  3.08, 2.99, 3.60, 3.95, 3.66, 0.53, 3.85, 3.16, 2.87, 3.46, 3.13, 3.24, 4.94,
                  3.23, 4.49, 4.51, 2.24])[:, np.newaxis]  # fmt: skip
    start = dict(weights_init=[0.3, 0.4, 0.3], means_init=[[0.53], [3.2], [4.5]])
    start["covariances_init"] = np.full((3, 1, 1), 0.5)
    with pytest.raises(DegenerateCovarianceError, match="component 1") as raised:
        fit(X, 3, reg_covar=0.0, **start)
    assert raised.value.component == 0
    # The default reg_covar keeps the same fit finite and valid.
    assert_valid(fit(X, 3, **start), X)
