"""Classification uncertainty, 1 − the largest responsibility, and its colours."""

import numpy as np
import pytest

from gmm_studio.core import fit
from gmm_studio.core.uncertainty import CERTAIN_STRENGTH, uncertainty, uncertainty_colors


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_uncertainty_is_one_minus_the_largest_responsibility(covariance_type):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(3000, 3)), rng.normal(size=(2000, 3)) + 1.5])
    mixture = fit(X, 3, covariance_type=covariance_type, seed=0).mixture
    u = uncertainty(X, mixture)  # several blocks
    np.testing.assert_allclose(u, 1 - mixture.predict_proba(X).max(axis=1), atol=1e-12)
    assert u.min() >= 0 and u.max() <= 1 - 1 / 3 + 1e-12


def test_certain_points_fade_and_evenly_shared_ones_keep_their_colour():
    palette = np.array([[0, 114, 178], [213, 94, 0]])
    colors = uncertainty_colors(np.array([0, 1, 1]), palette, np.array([0.0, 0.5, 0.125]))
    white = np.array([255, 255, 255])
    expected_first = white + (palette[0] - white) * CERTAIN_STRENGTH
    np.testing.assert_array_equal(colors[0], np.floor(expected_first + 0.5))
    np.testing.assert_array_equal(colors[1], palette[1])  # u = 1 - 1/K: full strength
    half = CERTAIN_STRENGTH + (1 - CERTAIN_STRENGTH) * 0.5  # √(0.125 / 0.5)
    np.testing.assert_array_equal(colors[2], np.floor(white + (palette[1] - white) * half + 0.5))
