"""The data generator, its presets, the settings type and ellipse geometry."""

import numpy as np
import pytest

from gmm_studio.core import (
    NOTEBOOK_MIXTURE,
    PRESETS,
    FitError,
    FitSettings,
    ellipse_points,
    fit,
    generate_mixture_data,
)


def test_generator_reproduces_its_parameters():
    X, labels = generate_mixture_data(
        30_000,
        NOTEBOOK_MIXTURE.weights,
        NOTEBOOK_MIXTURE.means,
        NOTEBOOK_MIXTURE.covariances,
        seed=0,
    )
    assert X.shape == (30_000, 2)
    for k in range(3):
        members = X[labels == k]
        assert len(members) / 30_000 == pytest.approx(NOTEBOOK_MIXTURE.weights[k], abs=0.01)
        np.testing.assert_allclose(members.mean(axis=0), NOTEBOOK_MIXTURE.means[k], atol=0.03)
        np.testing.assert_allclose(
            np.cov(members, rowvar=False), NOTEBOOK_MIXTURE.covariances[k], atol=0.04
        )


def test_generator_is_seedable():
    args = (50, [0.5, 0.5], [[0, 0], [1, 1]], [np.eye(2), np.eye(2)])
    np.testing.assert_array_equal(
        generate_mixture_data(*args, seed=3)[0], generate_mixture_data(*args, seed=3)[0]
    )


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_generate_data_that_em_can_fit(name):
    X, labels, mixture = PRESETS[name](400, seed=1)
    assert X.shape == (400, 2)
    assert labels.shape == (400,)
    result = fit(X, mixture.n_components, seed=0)
    assert np.isfinite(result.log_likelihood)
    np.testing.assert_array_equal(PRESETS[name](400, seed=1)[0], X)


def test_well_separated_preset_is_recovered():
    X, _labels, truth = PRESETS["well-separated"](2000, seed=0)
    result = fit(X, truth.n_components, init="kmeans", seed=0)
    for mean in truth.means:
        assert np.min(np.linalg.norm(result.means - mean, axis=1)) < 0.2


@pytest.mark.parametrize("radius", [1.0, 2.0, 3.0])
def test_ellipse_points_lie_at_the_mahalanobis_radius(radius):
    mean = np.array([1.0, -2.0])
    covariance = np.array([[2.0, 0.7], [0.7, 0.5]])
    points = ellipse_points(mean, covariance, radius, n=64)
    assert points.shape == (65, 2)
    np.testing.assert_array_equal(points[0], points[-1])
    diff = points - mean
    distances = np.sqrt(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(covariance), diff))
    np.testing.assert_allclose(distances, radius, rtol=1e-12)


def test_ellipse_points_of_a_stack_are_each_pairs_polyline():
    means = np.array([[1.0, -2.0], [0.0, 3.0], [-4.0, 0.5]])
    covariances = np.array([[[2.0, 0.7], [0.7, 0.5]], np.eye(2), [[0.3, -0.1], [-0.1, 4.0]]])
    stacked = ellipse_points(means, covariances, 2.0, n=32)
    assert stacked.shape == (3, 33, 2)
    for mean, covariance, line in zip(means, covariances, stacked, strict=True):
        np.testing.assert_allclose(line, ellipse_points(mean, covariance, 2.0, n=32), atol=1e-14)


def test_settings_round_trip_and_validation():
    settings = FitSettings(n_components=4, covariance_type="diag", tol=1e-4, seed=None)
    assert FitSettings.from_dict(settings.to_dict()) == settings
    assert settings.replace(n_components=2).n_components == 2
    kwargs = settings.fit_kwargs()
    assert kwargs["n_components"] == 4 and kwargs["covariance_type"] == "diag"
    with pytest.raises(FitError, match="n_components"):
        FitSettings(n_components=0)
    with pytest.raises(FitError, match="reg_covar"):
        FitSettings.from_dict({"reg_covar": -1})
    with pytest.raises(FitError, match="covariance_type"):
        FitSettings(covariance_type="round")


def test_n_init_is_a_setting_checked_once_and_not_an_argument_of_one_start():
    settings = FitSettings(n_init=np.int64(5))
    assert settings.n_init == 5 and type(settings.n_init) is int
    assert FitSettings.from_dict(settings.to_dict()) == settings
    assert FitSettings.from_dict({}).n_init == 1  # saved before n_init existed
    assert "n_init" not in settings.fit_kwargs()
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(FitError, match="n_init must be a whole number ≥ 1"):
            FitSettings(n_init=bad)
