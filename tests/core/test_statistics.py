"""Per-chunk statistics: they add up in any order, and the M-step from them is EM's."""

import contextlib
import itertools

import numpy as np
import pytest

from gmm_studio.core import COVARIANCE_TYPES, Mixture, blockwise, initialize
from gmm_studio.core.em import em_pass, mixture_from_statistics
from gmm_studio.core.reference import reference_em_pass

from .test_fast_em_pass import assert_same_mixture, random_case


def _data(n=5000, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) + rng.integers(0, 3, (n, 1)) * 3.0


def _tree_sum(parts, order=None):
    order = range(len(parts)) if order is None else order
    parts = [parts[i] for i in order]
    while len(parts) > 1:  # a tree reduction, pairs at a time
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]  # fmt: skip
    return parts[0]


def _chunked_statistics(X, kernel, bounds, order=None):
    chunks = [blockwise.chunk_statistics(X[a:b], kernel) for a, b in itertools.pairwise(bounds)]
    return _tree_sum(chunks, order)


def _assert_same_statistics(a, b, rtol=1e-12):
    for name in ("counts", "linear", "quadratic"):
        x, y = getattr(a, name), getattr(b, name)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * np.max(np.abs(y)))
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=rtol)
    assert a.total_weight == pytest.approx(b.total_weight, rel=rtol)
    assert a.n_rows == b.n_rows


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("form", ["expanded", "direct"])
def test_chunks_in_any_tree_order_sum_to_the_whole_pass(covariance_type, form):
    X = _data()
    mixture = initialize(X, 4, covariance_type=covariance_type, seed=3)
    data = blockwise.BlockData(X)
    kernel = blockwise.make_kernel(mixture, data.centre, data.radius, form=form)
    whole = blockwise.gather(data, kernel)
    bounds = [0, 1, 777, 778, 3001, 5000]  # uneven, one single row
    rng = np.random.default_rng(1)
    pieces = _chunked_statistics(X, kernel, bounds, order=rng.permutation(len(bounds) - 1))
    _assert_same_statistics(pieces, whole)
    next_from_chunks = mixture_from_statistics(
        pieces, covariance_type, data.centre, 1e-6, lambda count: X[:count]
    )
    _, next_in_memory = em_pass(X, mixture, 1e-6, data)
    assert_same_mixture(next_from_chunks, next_in_memory, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("form", ["expanded", "direct"])
def test_integer_weights_give_the_statistics_of_repeated_rows(covariance_type, form):
    X = _data(n=600, d=2, seed=4)
    counts = np.random.default_rng(5).integers(0, 4, len(X))
    repeated = np.repeat(X, counts, axis=0)
    mixture = initialize(X, 3, covariance_type=covariance_type, seed=0)
    data = blockwise.BlockData(X)
    kernel = blockwise.make_kernel(mixture, data.centre, data.radius, form=form)
    weighted = blockwise.chunk_statistics(X, kernel, counts.astype(float))
    plain = blockwise.chunk_statistics(repeated, kernel)
    for name in ("counts", "linear", "quadratic"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(plain, name), rtol=1e-12)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    assert weighted.total_weight == plain.total_weight == counts.sum()
    # The same worst points, duplicates included (rows of weight zero are absent from both).
    worst = blockwise.worst_rows(blockwise.BlockData(X, counts.astype(float)), kernel, 3)
    worst_repeated = blockwise.worst_rows(blockwise.BlockData(repeated), kernel, 3)
    np.testing.assert_array_equal(worst.points, worst_repeated.points)
    np.testing.assert_array_equal(worst.log_densities, worst_repeated.log_densities)
    assert np.all(counts[worst.rows] > 0)


@pytest.mark.parametrize("form", ["expanded", "direct"])
def test_worst_rows_of_chunks_in_any_tree_order_are_those_of_the_whole(form):
    X = _data()
    mixture = initialize(X, 4, covariance_type="full", seed=3)
    X[[40, 4000]] = 60.0  # the same far point twice: the tie goes to the lower row
    X[2999] = -45.0
    data = blockwise.BlockData(X)
    kernel = blockwise.make_kernel(mixture, data.centre, data.radius, form=form)
    whole = blockwise.worst_rows(data, kernel, 4)
    np.testing.assert_array_equal(whole.rows[:3], [40, 4000, 2999])
    np.testing.assert_array_equal(whole.points, X[whole.rows])
    bounds = [0, 1, 777, 778, 3001, 5000]
    chunks = [
        blockwise.worst_rows(blockwise.BlockData(X[a:b]), kernel, 4, first_row=a)
        for a, b in itertools.pairwise(bounds)
    ]
    pieces = _tree_sum(chunks, np.random.default_rng(2).permutation(len(chunks)))
    np.testing.assert_array_equal(pieces.rows, whole.rows)
    np.testing.assert_array_equal(pieces.points, whole.points)
    np.testing.assert_array_equal(pieces.log_densities, whole.log_densities)


@pytest.mark.parametrize("seed", [s for s in range(60) if s % 4 in (0, 1)])  # full and tied
def test_direct_form_matches_the_reference_pass(seed, monkeypatch):
    monkeypatch.setattr(blockwise, "choose_form", lambda k, d, covariance_type: "direct")
    X, mixture, reg_covar = random_case(seed)
    total_ref, next_ref = reference_em_pass(X, mixture, reg_covar)
    total, next_fast = em_pass(X, mixture, reg_covar)
    assert total == pytest.approx(total_ref, rel=1e-6, abs=1e-9)
    assert_same_mixture(next_fast, next_ref, data_scale=np.max(np.abs(X)))


def test_the_cost_model_picks_expanded_at_small_d_and_direct_at_large_d():
    for covariance_type in COVARIANCE_TYPES:
        for k in (1, 8, 64):
            assert blockwise.choose_form(k, 2, covariance_type) == "expanded"
    for covariance_type in ("full", "tied"):
        for k in (1, 8, 64):
            assert blockwise.choose_form(k, 500, covariance_type) == "direct"
        assert blockwise.choose_form(1, 64, covariance_type) == "direct"
    # diag and spherical features grow linearly in D: expanded everywhere.
    assert blockwise.choose_form(4, 500, "diag") == "expanded"
    # At D=500 the direct form's block holds (rows, D) arrays, never D²-sized features.
    X = np.zeros((3, 500))
    m = Mixture([1.0], np.zeros((1, 500)), np.eye(500)[np.newaxis], "full")
    kernel = blockwise.make_kernel(m, X[0], 1.0)
    assert kernel.form == "direct" and kernel.weights_t is None
    assert kernel.block_rows(10**6) * 500 <= 1 << 19


def _blas_threads_inside(context) -> set:
    from threadpoolctl import threadpool_info

    with context:
        return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def test_the_cost_model_decides_the_blas_threads_and_the_pass_threads():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        # Small products stay below BLAS's own threading: nothing is changed.
        assert _blas_threads_inside(blockwise.blas_threads_for(3, 2, "full")) == {2}
        assert _blas_threads_inside(blockwise.blas_threads_for(8, 10, "diag", n_samples=1000)) == {
            2
        }
        # Whole blocks of these rows make products BLAS would split.
        assert _blas_threads_inside(blockwise.blas_threads_for(8, 10, "diag")) == {1}
        assert _blas_threads_inside(blockwise.blas_threads_for(8, 2, "full")) == {1}
        # The direct form, and the expanded form's products at large K·D: one BLAS thread.
        assert _blas_threads_inside(blockwise.blas_threads_for(16, 500, "full")) == {1}
        assert _blas_threads_inside(blockwise.blas_threads_for(16, 500, "diag")) == {1}
        assert _blas_threads_inside(blockwise.blas_threads_for(16, 100, "spherical")) == {1}
    before = blockwise.thread_count()
    try:
        blockwise.set_thread_count(2)
        big, tiny = (
            blockwise.BlockData(np.zeros((40_000, 2))),
            blockwise.BlockData(np.zeros((1000, 2))),
        )
        wide = blockwise.BlockData(np.zeros((40_000, 100)))
        mixture = Mixture([1.0], np.zeros((1, 2)), np.eye(2)[np.newaxis], "full")
        assert blockwise.kernel_for(mixture, big).n_workers(big) == 2
        assert blockwise.kernel_for(mixture, tiny).n_workers(tiny) == 1  # no pool at tiny N
        m100 = Mixture([1.0], np.zeros((1, 100)), np.eye(100)[np.newaxis], "full")
        kernel = blockwise.kernel_for(m100, wide)
        assert kernel.form == "direct" and kernel.n_workers(wide) == 1
        diag = Mixture([1.0], np.zeros((1, 100)), np.ones((1, 100)), "diag")
        assert blockwise.kernel_for(diag, wide).n_workers(wide) == 2  # one BLAS thread each
        # A caller that asks for more work per thread (a window: a frame's) gets one thread
        # for passes shorter than that, and threads again for passes long enough.
        cost = blockwise.form_costs(1, 2, "full")["expanded"] * 1e-9  # seconds per row
        blockwise.set_least_thread_work(15_000 * cost)
        assert blockwise.kernel_for(mixture, big).n_workers(big) == 2
        blockwise.set_least_thread_work(30_000 * cost)
        assert blockwise.kernel_for(mixture, big).n_workers(big) == 1
        with pytest.raises(ValueError, match="least work per thread"):
            blockwise.set_least_thread_work(-1.0)
    finally:
        blockwise.set_thread_count(before)
        blockwise.set_least_thread_work(0.0)


def test_responsibilities_below_e_minus_40_of_the_largest_are_skipped_where_that_pays(
    monkeypatch,
):
    rng = np.random.default_rng(2)
    L = rng.uniform(-300, 0, size=(16, 500))
    exact = np.log(np.exp(L).sum(axis=0))
    computed = L.copy()
    log_norm = blockwise.normalise(computed)  # whichever way this CPU's numpy pays
    monkeypatch.setattr(blockwise, "_SKIP_EXP_BELOW", 1.0)  # always skip
    skipped = L.copy()
    log_norm_skipped = blockwise.normalise(skipped)
    relative = L - L.max(axis=0)
    assert np.all(skipped[relative < -40] == 0.0) and np.all(skipped[relative >= -40] > 0)
    np.testing.assert_allclose(skipped, computed, rtol=1e-15, atol=1e-17)
    np.testing.assert_allclose(log_norm_skipped, exact, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(log_norm, exact, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_large_d_matches_the_reference_pass(covariance_type):
    # D=40: the direct form with triangular products, and triangular precision inverses.
    rng = np.random.default_rng(9)
    d = 40
    X = rng.normal(size=(900, d)) @ rng.normal(size=(d, d)) / 4 + rng.integers(0, 3, (900, 1))
    mixture = initialize(X, 3, covariance_type=covariance_type, seed=1)
    assert blockwise.kernel_for(mixture, blockwise.BlockData(X)).form == (
        "direct" if covariance_type in ("full", "tied") else "expanded"
    )
    for _ in range(3):
        total_ref, next_ref = reference_em_pass(X, mixture, 1e-6)
        total, next_fast = em_pass(X, mixture, 1e-6)
        assert total == pytest.approx(total_ref, rel=1e-10)
        assert_same_mixture(next_fast, next_ref, rtol=1e-9)
        mixture = next_ref


@pytest.mark.parametrize("d", [3, 40])
def test_precision_factors_invert_the_covariances(d):
    from gmm_studio.core.covariance import precisions_cholesky

    rng = np.random.default_rng(d)
    a = rng.normal(size=(2, d, d))
    covariances = a @ np.swapaxes(a, 1, 2) / d + np.eye(d)
    factors = precisions_cholesky(covariances, "full")
    assert np.allclose(np.tril(factors, -1), 0.0)  # upper triangular, as scikit-learn's
    np.testing.assert_allclose(
        factors @ np.swapaxes(factors, 1, 2) @ covariances, np.broadcast_to(np.eye(d), (2, d, d)),
        atol=1e-10,
    )  # fmt: skip


def test_spherical_statistics_hold_one_quadratic_feature():
    # The spherical M-step averages the variances: Σ r·|y|² per component is all it needs.
    X = _data(n=700, d=6, seed=2)
    mixture = initialize(X, 3, covariance_type="spherical", seed=1)
    data = blockwise.BlockData(X)
    kernel = blockwise.kernel_for(mixture, data)
    assert kernel.n_columns == 6 + 2
    stats = blockwise.gather(data, kernel)
    r = mixture.predict_proba(X)
    z = X - data.centre
    assert stats.quadratic.shape == (3,)
    np.testing.assert_allclose(stats.quadratic, r.T @ np.sum(z**2, axis=1), rtol=1e-12)
    direct = blockwise.make_kernel(mixture, data.centre, data.radius, form="direct")
    y_sq = np.sum((z[:, np.newaxis, :] - direct.shifted_means) ** 2, axis=2)
    np.testing.assert_allclose(blockwise.gather(data, direct).quadratic, np.sum(r * y_sq, axis=0))


def test_wide_rows_are_prepared_row_by_row_with_the_same_spread_and_their_farthest_row(monkeypatch):
    X = _data(n=1500, d=40, seed=3)
    w = np.random.default_rng(0).uniform(0, 2, len(X))
    for weights in (None, w):
        wide = blockwise.BlockData(X, weights)
        monkeypatch.setattr(blockwise, "_WIDE_ROWS_MIN_D", 10**6)
        narrow = blockwise.BlockData(X, weights)
        monkeypatch.undo()
        np.testing.assert_allclose(wide.variance, narrow.variance, rtol=1e-13)
        # The farthest row itself: a tighter bound than the narrow rows' per-feature reach.
        z = X - wide.centre
        assert wide.radius == pytest.approx(np.sqrt(np.max(np.sum(z**2, axis=1))), rel=1e-14)
        assert wide.radius <= narrow.radius


def test_wide_rows_share_a_small_pass_between_threads_when_the_work_pays():
    before = blockwise.thread_count()
    try:
        blockwise.set_thread_count(2)
        wide = blockwise.BlockData(np.zeros((1000, 500)))
        diag = Mixture(np.full(16, 1 / 16), np.zeros((16, 500)), np.ones((16, 500)), "diag")
        assert blockwise.kernel_for(diag, wide).n_workers(wide) == 2  # milliseconds of work
        narrow = blockwise.BlockData(np.zeros((1000, 100)))
        two = Mixture([0.5, 0.5], np.zeros((2, 100)), np.ones((2, 100)), "diag")
        assert blockwise.kernel_for(two, narrow).n_workers(narrow) == 1  # well under one
    finally:
        blockwise.set_thread_count(before)


def test_one_blas_thread_holds_while_any_pass_is_inside_and_is_restored_after():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        outer = blockwise.blas_threads_for(16, 500, "full")
        inner = blockwise.blas_threads_for(16, 500, "diag")
        with outer:
            assert _blas_threads_inside(inner) == {1}
            assert _blas_threads_inside(contextlib.nullcontext()) == {1}  # still held
        assert _blas_threads_inside(contextlib.nullcontext()) == {2}


def test_components_are_recomputed_directly_only_where_the_row_bound_could_exceed_the_error():
    # Wide, well-scaled data (D=200, centres ±8): no row's rounding bound reaches
    # EXPANDED_FORM_ERROR, so no component pays for the bounds or the direct recomputation.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(600, 200)) + rng.uniform(-8, 8, (3, 200))[rng.integers(0, 3, 600)]
    data = blockwise.BlockData(X)
    for covariance_type in ("diag", "spherical"):
        mixture = initialize(X, 3, covariance_type=covariance_type, seed=0)
        kernel = blockwise.kernel_for(mixture, data)
        assert len(kernel.direct) == 0
        a, b, c = kernel.term_sizes
        z = np.sqrt(np.max(np.sum((X - data.centre) ** 2, axis=1)))
        bound = blockwise.ROUNDING_SLACK * np.finfo(float).eps * (a * z**2 + 2 * b * z + c)
        assert np.all(bound <= blockwise.EXPANDED_FORM_ERROR)
        total_ref, next_ref = reference_em_pass(X, mixture, 1e-6)
        total, next_fast = em_pass(X, mixture, 1e-6, data)
        assert total == pytest.approx(total_ref, rel=1e-12)
        assert_same_mixture(next_fast, next_ref, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_wide_rows_keep_their_features_as_rows_with_the_same_statistics(
    covariance_type, monkeypatch
):
    X = _data(n=700, d=130, seed=5)
    w = np.random.default_rng(1).uniform(0, 2, len(X))
    mixture = initialize(X, 3, covariance_type=covariance_type, seed=2)
    data = blockwise.BlockData(X, w)
    kernel = blockwise.kernel_for(mixture, data)
    assert blockwise._row_features(kernel)
    by_rows = blockwise.gather(data, kernel)
    scatter_by_rows = blockwise.gather_scatter(data, kernel, {1: kernel.shifted_means[1]})
    monkeypatch.setattr(blockwise, "_ROW_FEATURES_MIN_D", 10**6)
    assert not blockwise._row_features(kernel)
    _assert_same_statistics(by_rows, blockwise.gather(data, kernel), rtol=1e-13)
    scatter = blockwise.gather_scatter(data, kernel, {1: kernel.shifted_means[1]})
    np.testing.assert_allclose(scatter_by_rows[1], scatter[1], rtol=1e-13)
