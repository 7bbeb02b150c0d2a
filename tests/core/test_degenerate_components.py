"""Degenerate components: on the reg_covar floor, or carried by fewer than D + 1 points."""

import tracemalloc

import numpy as np
import pytest

from gmm_studio.core import Mixture, degenerate
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.degenerate import (
    DistinctRows,
    degenerate_components,
    floor_threshold,
    smallest_variances,
)
from gmm_studio.core.restarts import fit_starts

REG = 1e-6


def flagged(X, mixture, reg_covar=REG):
    return degenerate_components(BlockData(X), DistinctRows(X), mixture, reg_covar)


def blob_and(extra, n_blob=300, seed=0):
    """A round blob at the origin and the rows ``extra`` far away from it."""
    blob = np.random.default_rng(seed).normal(size=(n_blob, np.shape(extra)[1]))
    return np.vstack([blob, extra])


def far_fit(X, covariance_type, n_extra):
    """The EM fit with one component on the blob and one on the last ``n_extra`` rows."""
    labels = np.r_[np.zeros(len(X) - n_extra, int), np.ones(n_extra, int)]
    outcome = fit_starts(
        X, 2, covariance_type=covariance_type, seed=0, tol=1e-10, max_iter=200,
        reg_covar=REG,
    )  # fmt: skip
    mixture = outcome.mixture
    assert np.array_equal(mixture.predict(X) == mixture.predict(X)[-1], labels == 1)
    far = int(mixture.predict(X)[-1])
    return outcome, far


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_component_on_identical_points_is_on_the_floor(covariance_type):
    X = blob_and(np.tile([8.0, 8.0], (12, 1)))
    outcome, far = far_fit(X, covariance_type, 12)
    assert outcome.degenerate_components == (far,)
    assert smallest_variances(outcome.mixture)[far] == pytest.approx(REG, rel=1e-6)


def test_component_on_a_line_in_2d():
    t = np.linspace(-1, 1, 20)[:, np.newaxis]
    X = blob_and(np.hstack([10 + t, 10 + 2 * t]))
    full, far = far_fit(X, "full", 20)
    assert full.degenerate_components == (far,)
    # diag: the line has honest variances along both axes and 20 distinct points.
    diag, _ = far_fit(X, "diag", 20)
    assert diag.degenerate_components == ()


def test_d_points_in_d_dimensions_flagged_by_their_support():
    # Two distinct points in 2-D, each repeated: a diag component on them has two honest-looking
    # variances (0.25), far above the floor, and is degenerate only by its support.
    X = blob_and(np.repeat([[10.0, 10.0], [11.0, 11.0]], 5, axis=0))
    outcome, far = far_fit(X, "diag", 10)
    threshold = floor_threshold(REG, float(np.max(np.var(X, axis=0))))
    assert smallest_variances(outcome.mixture)[far] > 1000 * threshold
    assert outcome.degenerate_components == (far,)


def test_three_points_in_three_dimensions_spherical():
    X = blob_and(np.repeat(np.eye(3) * 3 + 12, 4, axis=0))
    outcome, far = far_fit(X, "spherical", 12)
    assert outcome.mixture.covariances[far] > 1
    assert outcome.degenerate_components == (far,)


def test_d_plus_one_points_are_enough():
    X = blob_and(np.repeat([[10.0, 10.0], [11.0, 11.0], [10.0, 11.5]], 5, axis=0))
    outcome, _ = far_fit(X, "diag", 15)
    assert outcome.degenerate_components == ()


def test_tied_floor_flags_every_component():
    # All the data on a line: the shared covariance is flat across it.
    t = np.r_[np.linspace(0, 1, 50), np.linspace(5, 6, 50)]
    X = np.column_stack([t, 3 * t])
    outcome = fit_starts(X, 2, covariance_type="tied", seed=0)
    assert outcome.degenerate_components == (0, 1)


def test_broad_component_sharing_points_is_not_degenerate():
    # One broad and one narrow component over the same centre: the broad one claims few
    # points with r > 1/2, but carries its N_k over many rows.
    mixture = Mixture([0.5, 0.5], [[0, 0], [0, 0]], [[[9, 0], [0, 9]], [[1, 0], [0, 1]]])
    X, _ = mixture.sample(400, 0)
    assert flagged(X, mixture) == ()


def test_nearly_empty_component_with_many_points_is_not_degenerate():
    mixture = Mixture([0.999, 0.001], [[0, 0], [0.5, 0]], [[[1, 0], [0, 1]], [[2, 0], [0, 2]]])
    X, _ = mixture.sample(500, 1)
    assert flagged(X, mixture) == ()


def test_old_faithful_diag_k5_spike_on_waiting_83(old_faithful):
    """The spike's BIC beats every honest model; restarts keep a healthy start instead."""
    spiked = fit_starts(old_faithful, 5, covariance_type="diag", seed=2)
    (k,) = spiked.degenerate_components
    assert spiked.mixture.means[k][1] == pytest.approx(83.0)
    assert spiked.mixture.covariances[k][1] == pytest.approx(REG, rel=1e-6)
    assert spiked.mixture.weights[k] * len(old_faithful) == pytest.approx(14.0, abs=0.1)
    honest = [
        fit_starts(old_faithful, k, covariance_type=t, seed=0, n_init=3).bic
        for k in (1, 2, 3, 4) for t in ("full", "tied", "diag")
    ]  # fmt: skip
    assert spiked.bic < min(honest)
    # Start 0 of seed 2 is that spiked fit; the other starts are healthy and one is kept.
    several = fit_starts(old_faithful, 5, covariance_type="diag", seed=2, n_init=4)
    assert several.starts[0].degenerate_components == (k,)
    assert several.best_index != 0 and not several.degenerate
    assert several.starts[0].log_likelihood > several.log_likelihood


def test_distinct_rows():
    X = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0], [-0.0, 5.0], [1.0, 3.0], [1.0, 2.0]])
    distinct = DistinctRows(X)
    assert distinct.n_distinct == 3 and distinct.max_multiplicity == 3
    inv = distinct.inverse
    assert inv[0] == inv[2] == inv[5] and inv[1] == inv[3] and len({inv[0], inv[1], inv[4]}) == 3
    np.testing.assert_array_equal(
        distinct.masses(np.arange(6.0))[[inv[0], inv[1], inv[4]]], [0 + 2 + 5, 1 + 3, 4]
    )
    assert DistinctRows(np.eye(3)).inverse is None


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 16])
def test_distinct_rows_agree_with_unique_across_comparison_chunks(monkeypatch, chunk):
    rng = np.random.default_rng(3)
    # Few values per column: the first column repeats, and so do whole rows (and 0.0 == -0.0).
    X = rng.integers(-1, 2, size=(40, 3)).astype(float)
    X[rng.random(X.shape) < 0.2] *= -1
    monkeypatch.setattr(degenerate, "_COMPARED_ROWS", chunk)
    distinct = DistinctRows(X)
    _, inverse, counts = np.unique(X + 0.0, axis=0, return_inverse=True, return_counts=True)
    assert distinct.n_distinct == len(counts)
    assert distinct.max_multiplicity == counts.max()
    # The same partition of the rows, whatever numbers the groups get.
    pairs = set(zip(distinct.inverse.tolist(), inverse.ravel().tolist(), strict=True))
    assert len(pairs) == len(counts)


def test_distinct_rows_with_a_repeated_first_column_but_no_repeated_row():
    X = np.array([[1.0, 2.0], [1.0, 3.0], [2.0, 2.0]])
    distinct = DistinctRows(X)
    assert (distinct.n_distinct, distinct.max_multiplicity, distinct.inverse) == (3, 1, None)


def test_distinct_rows_of_many_distinct_rows_need_no_copy_of_the_data():
    X = np.random.default_rng(0).normal(size=(200_000, 4))
    tracemalloc.start()
    try:
        distinct = DistinctRows(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (distinct.n_distinct, distinct.inverse) == (len(X), None)
    # One sorted column (8 bytes a row) and a comparison (1 byte a row); sorting the rows and
    # comparing a sorted copy of them took 8 + 32 + 4 + 8 bytes a row.
    assert peak < 10 * len(X)


def test_integer_weights_are_repeated_rows():
    X = blob_and(np.repeat([[10.0, 10.0], [11.0, 11.0]], 5, axis=0), n_blob=40)
    unique_rows = np.vstack([X[:40], [[10.0, 10.0], [11.0, 11.0]]])
    weights = np.r_[np.ones(40), 5.0, 5.0]
    mixture = fit_starts(X, 2, covariance_type="diag", seed=0, tol=1e-10).mixture
    weighted_data = BlockData(unique_rows, weights)
    assert degenerate_components(weighted_data, DistinctRows(unique_rows), mixture, REG) == (
        flagged(X, mixture)
    )
    assert len(flagged(X, mixture)) == 1
