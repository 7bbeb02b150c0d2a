"""The adjusted Rand index and the contingency table, against a hand computation and sklearn."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from gmm_studio.core.agreement import adjusted_rand_index, contingency


def test_contingency_counts_pairs_of_labels():
    table = contingency(["a", "a", "b", "b", "b"], [1, 1, 1, 0, 0])
    assert table.classes == ["a", "b"] and table.clusters == [1, 0]
    assert table.counts.tolist() == [[2, 0], [1, 2]]


def test_adjusted_rand_index_by_hand():
    # Counts [[2, 0], [1, 2]]: pairs together in both = C(2,2) + C(2,2) = 2; rows
    # C(2,2) + C(3,2) = 4; columns C(3,2) + C(2,2) = 4; all pairs C(5,2) = 10.
    # expected = 4 * 4 / 10 = 1.6, best = (4 + 4) / 2 = 4, ARI = (2 - 1.6) / (4 - 1.6) = 1/6.
    assert adjusted_rand_index(["a", "a", "b", "b", "b"], [1, 1, 1, 0, 0]) == pytest.approx(1 / 6)


def test_the_same_partition_under_other_names_scores_one():
    assert adjusted_rand_index(["x", "x", "y", "z"], [2, 2, 0, 1]) == 1.0
    assert adjusted_rand_index([0, 0, 0], [5, 5, 5]) == 1.0
    assert adjusted_rand_index([0, 1, 2], [0, 1, 2]) == 1.0


@pytest.mark.parametrize("seed", range(6))
def test_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    a = rng.integers(0, rng.integers(1, 6), size=n)
    b = np.where(rng.random(n) < 0.7, a, rng.integers(0, 4, size=n))
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    names = np.array(["setosa", "versicolor", "virginica", "other", "x", "y"])[a]
    assert adjusted_rand_index(names, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        adjusted_rand_index([0, 1], [0])
