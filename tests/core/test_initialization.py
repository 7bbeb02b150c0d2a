"""Starting parameters: the three methods, seeding and degenerate data."""

import numpy as np
import pytest

from gmm_studio.core import INIT_METHODS, fit, initialize


@pytest.mark.parametrize("init", INIT_METHODS)
def test_same_seed_same_start_and_same_fit(old_faithful, init):
    a = initialize(old_faithful, 3, init=init, seed=11)
    b = initialize(old_faithful, 3, init=init, seed=11)
    assert a == b
    fa = fit(old_faithful, 3, init=init, seed=11)
    fb = fit(old_faithful, 3, init=init, seed=11)
    assert fa.mixture == fb.mixture
    assert fa.log_likelihood_trace == fb.log_likelihood_trace


def test_different_seeds_give_different_starts(old_faithful):
    starts = {
        initialize(old_faithful, 3, init="kmeans++", seed=s).means.tobytes() for s in range(5)
    }
    assert len(starts) > 1


def test_random_points_takes_distinct_rows_and_the_data_covariance(seed_example):
    start = initialize(seed_example, 3, init="random-points", seed=4, reg_covar=0.0)
    rows = [np.flatnonzero((seed_example == m).all(axis=1)) for m in start.means]
    assert all(len(r) == 1 for r in rows)
    assert len({int(r[0]) for r in rows}) == 3
    np.testing.assert_allclose(start.weights, 1 / 3)
    for c in start.covariances:
        np.testing.assert_allclose(c, np.cov(seed_example, rowvar=False))


def test_random_points_prefers_distinct_values_among_duplicates():
    X = np.array([[0.0, 0.0]] * 50 + [[1.0, 1.0], [2.0, 2.0]])
    for seed in range(10):
        start = initialize(X, 3, init="random-points", seed=seed)
        assert len(np.unique(start.means, axis=0)) == 3


def test_kmeans_finds_well_separated_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    X = np.concatenate([rng.normal(size=(100, 2)) * 0.5 + c for c in centres])
    start = initialize(X, 3, init="kmeans", seed=0)
    found = sorted(map(tuple, np.round(start.means)))
    assert found == sorted(map(tuple, centres.astype(float)))
    np.testing.assert_allclose(start.weights, 1 / 3)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_initial_shapes_follow_the_covariance_type(old_faithful, covariance_type):
    start = initialize(old_faithful, 4, covariance_type=covariance_type, seed=0)
    assert start.covariance_type == covariance_type
    expected = {"full": (4, 2, 2), "tied": (2, 2), "diag": (4, 2), "spherical": (4,)}
    assert start.covariances.shape == expected[covariance_type]
