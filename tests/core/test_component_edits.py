"""Merging, splitting and stretching components, against hand computations."""

import numpy as np
import pytest

from gmm_studio.core import FitError, Mixture
from gmm_studio.core.component_edits import axis_ends, ellipse_axes, merged, split, stretched


def three(kind="full"):
    full = np.array(
        [[[2.0, 0.5], [0.5, 1.0]], [[1.0, -0.3], [-0.3, 0.5]], [[0.4, 0.0], [0.0, 0.9]]]
    )
    covariances = {
        "full": full,
        "diag": np.array([[2.0, 1.0], [1.0, 0.5], [0.4, 0.9]]),
        "spherical": np.array([1.5, 0.75, 0.65]),
        "tied": full[0],
    }[kind]
    means = np.array([[0.0, 0.0], [4.0, 2.0], [-3.0, 1.0]])
    return Mixture([0.2, 0.3, 0.5], means, covariances, kind)


def test_merging_two_components_matches_their_moments_by_hand():
    mixture = three()
    result = merged(mixture, 2, 1)  # component 3 onto component 2: the first stays first
    assert result.n_components == 2
    np.testing.assert_array_equal(result.means[0], mixture.means[0])
    np.testing.assert_array_equal(result.covariances[0], mixture.covariances[0])
    result = merged(mixture, 0, 1)  # component 1 onto component 2: the last takes its place
    assert result.n_components == 2
    # By hand: w = 0.2 + 0.3; mu = (0.2 (0, 0) + 0.3 (4, 2)) / 0.5 = (2.4, 1.2).
    np.testing.assert_allclose(result.weights, [0.5, 0.5])
    np.testing.assert_allclose(result.means[1], [2.4, 1.2])
    # Offsets from mu: (-2.4, -1.2) and (1.6, 0.8).
    d0, d1 = np.array([-2.4, -1.2]), np.array([1.6, 0.8])
    s0 = np.array([[2.0, 0.5], [0.5, 1.0]]) + np.outer(d0, d0)
    s1 = np.array([[1.0, -0.3], [-0.3, 0.5]]) + np.outer(d1, d1)
    expected = 0.4 * s0 + 0.6 * s1  # = [[5.24, 1.94], [1.94, 1.66]]
    np.testing.assert_allclose(expected, [[5.24, 1.94], [1.94, 1.66]])
    np.testing.assert_allclose(result.covariances[1], expected)
    # The third component is untouched, in the first one's place.
    np.testing.assert_array_equal(result.means[0], mixture.means[2])
    np.testing.assert_array_equal(result.covariances[0], mixture.covariances[2])
    assert result.weights[0] == mixture.weights[2]


def test_merging_keeps_the_target_place_and_the_types_own_shape():
    for kind in ("diag", "spherical", "tied"):
        mixture = three(kind)
        result = merged(mixture, 2, 0)
        assert result.covariance_type == kind and result.n_components == 2
        np.testing.assert_allclose(
            result.means[0], (0.2 * mixture.means[0] + 0.5 * mixture.means[2]) / 0.7
        )
        full = merged(Mixture(mixture.weights, mixture.means, mixture.full_covariances()), 2, 0)
        if kind == "diag":
            np.testing.assert_allclose(result.covariances[0], np.diag(full.covariances[0]))
        elif kind == "spherical":
            np.testing.assert_allclose(result.covariances[0], np.diag(full.covariances[0]).mean())
        else:
            np.testing.assert_array_equal(result.covariances, mixture.covariances)
    with pytest.raises(FitError):
        merged(three(), 1, 1)


def test_stretching_the_major_axis_turns_and_lengthens_it():
    mixture = three()
    radius = 2.0
    ends = axis_ends(mixture, 0, (0, 1), radius)
    lengths, directions = ellipse_axes(mixture, 0, (0, 1))
    np.testing.assert_allclose(ends[0], radius * lengths[0] * directions[0])
    drop = np.array([3.0, 4.0])  # 5 from the mean: a semi-axis of 5 / 2 = 2.5 standard deviations
    result = stretched(mixture, 0, (0, 1), 0, drop, radius)
    u, w = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    expected = 2.5**2 * np.outer(u, u) + lengths[1] ** 2 * np.outer(w, w)
    np.testing.assert_allclose(result.covariances[0], expected, rtol=1e-12)
    np.testing.assert_allclose(axis_ends(result, 0, (0, 1), radius)[0], drop)
    np.testing.assert_array_equal(result.covariances[1:], mixture.covariances[1:])


def test_stretching_in_three_dimensions_carries_the_hidden_column_along():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + np.eye(3)
    mixture = Mixture([1.0], [[1.0, 2.0, 3.0]], [cov])
    result = stretched(mixture, 0, (2, 0), 1, [4.0, 1.5], 1.0)  # columns z and x shown
    new = result.covariances[0]
    np.linalg.cholesky(new)  # still positive definite
    assert new[1, 1] == cov[1, 1]  # the hidden column keeps its variance
    ends = axis_ends(result, 0, (2, 0), 1.0)  # the stretched axis is now the major one
    assert np.min(np.hypot(*(ends - [4.0, 1.5]).T)) < 1e-9


def test_diag_and_spherical_stretch_without_turning():
    diag = stretched(three("diag"), 1, (0, 1), 1, [7.0, 3.5], 3.0)  # the y axis to 1.5 above
    np.testing.assert_allclose(diag.covariances[1], [1.0, 0.25])
    round_ = stretched(three("spherical"), 2, (0, 1), 0, [0.0, 5.0], 1.0)  # (3, 4) from the mean
    assert round_.covariances[2] == pytest.approx(25.0)


def test_an_axis_dragged_onto_the_mean_keeps_a_sliver():
    result = stretched(three(), 0, (0, 1), 1, [0.0, 0.0], 2.0)
    lengths, _ = ellipse_axes(result, 0, (0, 1))
    assert lengths[1] == pytest.approx(0.01 * lengths[0])
    np.linalg.cholesky(result.covariances[0])


def test_a_split_keeps_the_other_components_in_their_places():
    for kind in ("full", "diag", "spherical", "tied"):
        mixture = three(kind)
        result = split(mixture, 1)
        assert result.n_components == 4 and result.covariance_type == kind
        np.testing.assert_array_equal(result.means[[0, 2]], mixture.means[[0, 2]])
        np.testing.assert_allclose(result.weights, [0.2, 0.15, 0.5, 0.15])
        np.testing.assert_allclose((result.means[1] + result.means[3]) / 2, mixture.means[1])
    full = split(three(), 1)
    values, vectors = np.linalg.eigh(three().covariances[1])
    offset = np.sqrt(values[-1]) * vectors[:, -1]
    np.testing.assert_allclose(np.abs(full.means[3] - full.means[1]) / 2, np.abs(offset))
    half = three().covariances[1] - 0.75 * values[-1] * np.outer(vectors[:, -1], vectors[:, -1])
    np.testing.assert_allclose(full.covariances[[1, 3]], [half, half])
