"""k-means++ seeding grown across K, and cluster moments: exactly what a fresh start draws."""

import tracemalloc

import numpy as np
import pytest

from gmm_studio.core import initialize
from gmm_studio.core.initialization import (
    _CHUNK_ROWS,
    CentreSeeding,
    _draw,
    clusters_from_labels,
    initial_clusters,
)


@pytest.mark.parametrize("init", ["kmeans++", "kmeans"])
def test_a_grown_seeding_gives_every_k_the_fresh_start(old_faithful, init):
    seeding = CentreSeeding(old_faithful, np.random.default_rng(4))
    for k in range(1, 12):
        grown = initial_clusters(old_faithful, k, init, 4, seeding).mixture("full", 1e-6)
        fresh = initialize(old_faithful, k, covariance_type="full", init=init, seed=4)
        assert grown == fresh
    with pytest.raises(ValueError, match="shrink"):
        seeding.grow(3)


def test_labels_are_the_nearest_centre_lowest_index_on_ties():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    seeding = CentreSeeding(X, np.random.default_rng(0))
    centres, labels = seeding.grow(3)
    d2 = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, np.argmin(d2, axis=1))


def test_cluster_moments_as_masked_sums(seed_example):
    labels = np.random.default_rng(1).integers(0, 4, len(seed_example))
    labels[labels == 2] = 3  # cluster 2 empty
    clusters = clusters_from_labels(seed_example, labels, 4)
    for k in (0, 1, 3):
        members = seed_example[labels == k]
        mean = members.mean(axis=0)
        assert np.array_equal(clusters.means[k], mean)
        assert np.array_equal(
            clusters.full[k], (members - mean).T @ (members - mean) / len(members)
        )
    np.testing.assert_allclose(clusters.full[2], np.cov(seed_example, rowvar=False))
    assert clusters.weights[2] == 1 / (len(seed_example) + 1)


def test_a_grown_weighted_seeding_gives_every_k_the_fresh_weighted_start(old_faithful):
    w = np.random.default_rng(2).integers(0, 4, len(old_faithful)).astype(float)
    seeding = CentreSeeding(old_faithful, np.random.default_rng(4), w)
    for k in range(1, 9):
        grown = initial_clusters(old_faithful, k, "kmeans", 4, seeding, w).mixture("tied", 1e-6)
        fresh = initialize(old_faithful, k, covariance_type="tied", init="kmeans", seed=4,
                           sample_weight=w)  # fmt: skip
        assert grown == fresh


def test_a_draw_read_in_chunks_is_rng_choice_bit_for_bit():
    # The seeding's draws are those of rng.choice(p=D² / ΣD²), over data of several chunks.
    score = np.random.default_rng(0).random(3 * _CHUNK_ROWS + 17) ** 6
    score[: _CHUNK_ROWS + 5] = 0.0
    for seed in range(200):
        expected = np.random.default_rng(seed).choice(len(score), p=score / score.sum())
        assert _draw(np.random.default_rng(seed), score) == expected


def test_starts_read_a_large_table_in_chunks_without_copying_it():
    X = np.random.default_rng(0).normal(size=(600_000, 16))
    tracemalloc.start()
    try:
        initialize(X, 5, init="kmeans", seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 2
