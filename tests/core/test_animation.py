"""The in-between mixtures of an animated M-step."""

import numpy as np
import pytest

from gmm_studio.core import COVARIANCE_TYPES, FitError, Mixture, initialize
from gmm_studio.core.animation import ease, interpolate
from gmm_studio.core.run import EMRun
from gmm_studio.core.settings import FitSettings


def two_mixtures(covariance_type):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (80, 3)), rng.normal(4, [0.5, 2, 1], (80, 3))])
    start = initialize(X, 2, covariance_type=covariance_type, init="random-points", seed=1)
    run = EMRun(X, FitSettings(n_components=2, covariance_type=covariance_type), start)
    run.step()
    return start, run.step().mixture


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_ends_are_exact_and_in_betweens_are_valid(covariance_type):
    a, b = two_mixtures(covariance_type)
    assert interpolate(a, b, 0.0) is a and interpolate(a, b, 1.0) is b
    previous = a
    for t in np.linspace(0.05, 0.95, 10):
        m = interpolate(a, b, t)
        assert m.weights.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(m.means, (1 - t) * a.means + t * b.means)
        assert np.all(np.linalg.eigvalsh(m.full_covariances()) > 0)
        # Moving steadily: each in-between is further from the start than the last.
        assert np.abs(m.means - a.means).sum() > np.abs(previous.means - a.means).sum()
        previous = m
    assert np.allclose(interpolate(a, b, 1 - 1e-12).covariances, b.covariances)


def test_a_turning_ellipse_grows_less_than_averaged_matrices_would():
    # A long thin ellipse turning by 90 degrees. Half way, the Cholesky factors diag(3, 1)
    # and diag(1, 3) average to diag(2, 2): covariance 4·I, determinant 16 (both ends: 9).
    # Averaging the covariance matrices would pass through 5·I, determinant 25.
    a = Mixture([1.0], [[0.0, 0.0]], [[[9.0, 0.0], [0.0, 1.0]]])
    b = Mixture([1.0], [[0.0, 0.0]], [[[1.0, 0.0], [0.0, 9.0]]])
    mid = interpolate(a, b, 0.5).covariances[0]
    np.testing.assert_allclose(mid, 4.0 * np.eye(2))


def test_ease_starts_and_ends_slowly():
    assert ease(0) == 0 and ease(1) == 1 and ease(0.5) == 0.5
    assert ease(0.1) < 0.1 and ease(0.9) > 0.9
    assert ease(-1) == 0 and ease(2) == 1


def test_mixtures_of_different_shapes_are_refused():
    a = Mixture([1.0], [[0.0, 0.0]], [[[1.0, 0.0], [0.0, 1.0]]])
    b = Mixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))
    with pytest.raises(FitError, match="same shape"):
        interpolate(a, b, 0.5)
