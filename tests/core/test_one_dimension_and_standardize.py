"""One-column data, and fitting on z-scores reported in the original units."""

import numpy as np
import pytest

from gmm_studio.core import COVARIANCE_TYPES, EMRun, FitError, FitSettings, fit, initialize
from gmm_studio.core.restarts import fit_starts
from gmm_studio.core.standardize import Standardization
from tests.core.test_sklearn_oracle import sklearn_run


def one_column(seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, 300), rng.normal(5, 0.5, 200)])[:, np.newaxis]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_column_fits_as_scikit_learn_does_from_the_same_start(covariance_type):
    X = one_column()
    start = initialize(X, 2, covariance_type=covariance_type, init="kmeans", seed=3)
    ours = fit(
        X, 2, covariance_type=covariance_type, weights_init=start.weights,
        means_init=start.means, covariances_init=start.covariances, tol=0.0, max_iter=30,
    )  # fmt: skip
    theirs = sklearn_run(X, start, 30, reg_covar=1e-6)
    np.testing.assert_allclose(ours.weights, theirs.weights_, rtol=1e-6)
    np.testing.assert_allclose(ours.means, theirs.means_, rtol=1e-6)
    np.testing.assert_allclose(ours.covariances, theirs.covariances_, rtol=1e-6)
    np.testing.assert_allclose(ours.log_likelihood, theirs.score(X) * len(X), rtol=1e-9)


def test_the_four_covariance_types_coincide_in_one_dimension():
    X = one_column(1)
    start = initialize(X, 3, covariance_type="full", init="kmeans", seed=0)
    variances = start.full_covariances()[:, 0, 0]
    fits = {
        "full": fit(X, 3, means_init=start.means, weights_init=start.weights,
                    covariances_init=variances[:, None, None], covariance_type="full"),
        "diag": fit(X, 3, means_init=start.means, weights_init=start.weights,
                    covariances_init=variances[:, None], covariance_type="diag"),
        "spherical": fit(X, 3, means_init=start.means, weights_init=start.weights,
                         covariances_init=variances, covariance_type="spherical"),
    }  # fmt: skip
    lls = {name: result.log_likelihood for name, result in fits.items()}
    assert lls["full"] == pytest.approx(lls["diag"], rel=1e-12)
    assert lls["full"] == pytest.approx(lls["spherical"], rel=1e-12)
    np.testing.assert_allclose(
        fits["full"].mixture.full_covariances(), fits["spherical"].mixture.full_covariances()
    )


def scaled_data():
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(size=(200, 3)), rng.normal(size=(150, 3)) + np.array([3, -2, 1])])
    return X * [0.01, 100.0, 7.0] + [5.0, -3000.0, 2.0]


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_standardized_fit_is_the_same_fit_in_the_original_units(covariance_type):
    X = scaled_data()
    result = fit(
        X,
        2,
        standardize=True,
        covariance_type=covariance_type,
        init="kmeans",
        seed=0,
        reg_covar=0.0,
        tol=1e-9,
    )
    # EM commutes with scaling the columns (reg_covar=0): fitting X from the back-transformed
    # start reaches the back-transformed fit, and the log-likelihoods agree.
    scaling = Standardization.of(X)
    start = scaling.to_original(
        initialize(scaling.transform(X), 2, covariance_type=covariance_type, init="kmeans", seed=0)
    )
    direct = fit(
        X, 2, covariance_type=covariance_type, weights_init=start.weights,
        means_init=start.means, covariances_init=start.covariances, reg_covar=0.0,
        tol=0.0, max_iter=result.n_iter,
    )  # fmt: skip
    np.testing.assert_allclose(result.means, direct.means, rtol=1e-7)
    np.testing.assert_allclose(result.covariances, direct.covariances, rtol=1e-6)
    np.testing.assert_allclose(result.weights, direct.weights, rtol=1e-7)
    assert result.log_likelihood == pytest.approx(direct.log_likelihood, rel=1e-9)
    assert result.log_likelihood == pytest.approx(result.mixture.log_likelihood(X), rel=1e-12)


def test_standardization_round_trips_a_mixture_exactly():
    X = scaled_data()
    scaling = Standardization.of(X)
    mixture = initialize(scaling.transform(X), 3, covariance_type="full", seed=1)
    back = scaling.inverse().to_original(scaling.to_original(mixture))
    np.testing.assert_allclose(back.means, mixture.means, atol=1e-12)
    np.testing.assert_allclose(back.covariances, mixture.covariances, rtol=1e-12)
    z_ll = mixture.log_likelihood(scaling.transform(X))
    x_ll = scaling.to_original(mixture).log_likelihood(X)
    assert x_ll == pytest.approx(z_ll + len(X) * scaling.log_density_shift, rel=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_starting_parameters_are_given_in_the_original_units(covariance_type):
    X = scaled_data()
    start = initialize(X, 2, covariance_type=covariance_type, init="kmeans", seed=2)
    result = fit(
        X, 2, standardize=True, covariance_type=covariance_type, weights_init=start.weights,
        means_init=start.means, covariances_init=start.covariances, max_iter=0,
    )  # fmt: skip
    assert result.n_iter == 0
    np.testing.assert_allclose(result.means, start.means, rtol=1e-12)
    np.testing.assert_allclose(result.covariances, start.covariances, rtol=1e-12)
    assert result.log_likelihood == pytest.approx(start.log_likelihood(X), rel=1e-12)


def test_spherical_standardized_fits_are_refused_in_several_dimensions_only():
    with pytest.raises(FitError, match="use diag covariances"):
        fit(scaled_data(), 2, covariance_type="spherical", seed=0, standardize=True)
    result = fit(one_column() * 40 + 7, 2, covariance_type="spherical", seed=0, standardize=True)
    assert result.mixture.covariance_type == "spherical"
    assert result.means.min() < 40 < result.means.max()


def test_a_constant_column_keeps_its_scale():
    X = scaled_data()
    X[:, 2] = 4.0
    scaling = Standardization.of(X)
    assert scaling.scale[2] == 1.0 and np.isfinite(scaling.transform(X)).all()


def test_a_standardized_run_reports_the_original_units_and_resumes_exactly():
    X = scaled_data()
    w = np.random.default_rng(8).integers(1, 4, len(X)).astype(float)
    settings = FitSettings(n_components=2, seed=1, tol=1e-8, standardize=True)
    whole = list(EMRun(X, settings, sample_weight=w).snapshots())
    expected = fit_starts(X, sample_weight=w, **settings.fit_kwargs()).result
    assert whole[-1].mixture.means == pytest.approx(expected.means, rel=1e-12)
    assert [s.log_likelihood for s in whole] == pytest.approx(expected.log_likelihood_trace)
    for snapshot in whole[:3]:  # each the original data's log-likelihood, in their units
        assert snapshot.log_likelihood == pytest.approx(
            snapshot.mixture.log_likelihood(X, w), rel=1e-12
        )
        assert snapshot.mean_log_likelihood == pytest.approx(snapshot.log_likelihood / w.sum())
    # Interrupted and resumed from a snapshot in the original units: the same run.
    run = EMRun(X, settings, resumed_from=whole[2], sample_weight=w)
    assert run.X is not None and np.array_equal(run.X, X)
    rest = list(run.snapshots())
    assert rest[-1].iteration == whole[-1].iteration
    np.testing.assert_allclose(rest[-1].mixture.means, whole[-1].mixture.means, rtol=1e-9)
    # A start given in the original units (a dragged mean) is used as it is.
    start = whole[1].mixture
    first = EMRun(X, settings, start, sample_weight=w).step()
    np.testing.assert_allclose(first.mixture.means, start.means, rtol=1e-12)
    assert first.log_likelihood == pytest.approx(start.log_likelihood(X, w), rel=1e-12)


def test_standardize_is_a_checked_fit_setting():
    assert FitSettings.from_dict({"standardize": True}).standardize is True
    assert FitSettings.from_dict({}).standardize is False  # sessions from before
    with pytest.raises(FitError, match="standardize must be true or false"):
        FitSettings(standardize="yes")
    with pytest.raises(FitError, match="use diag covariances"):
        EMRun(scaled_data(), FitSettings(covariance_type="spherical", standardize=True))
