"""The block-wise EM pass against the plain reference pass, and on badly scaled data."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_studio.core import COVARIANCE_TYPES, Mixture, blockwise, fit, initialize
from gmm_studio.core.em import em_pass, finish_pass
from gmm_studio.core.reference import reference_em_pass
from gmm_studio.core.restarts import PreparedData
from gmm_studio.core.run import EMRun, FitSettings

RTOL = 1e-6


def assert_close(a, b, rtol, scale, atol=0.0):
    """``|a - b| <= rtol * (|b| + scale) + atol``; ``scale`` broadcasts against ``b``."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    excess = np.abs(a - b) - rtol * (np.abs(b) + scale) - atol
    assert np.all(excess <= 0), f"largest excess {excess.max():.3g}\n{a}\n{b}"


def assert_same_mixture(a: Mixture, b: Mixture, rtol=RTOL, data_scale=0.0):
    """Equal to ``rtol`` relative; entries near zero compare against their row's scale.

    A covariance of points ``data_scale`` away from the origin carries rounding noise of
    about (eps·data_scale/weight)² in the reference pass itself; below that nothing compares.
    """
    assert a.covariance_type == b.covariance_type
    assert_close(a.weights, b.weights, rtol, 1e-12)
    assert_close(a.means, b.means, rtol, np.max(np.abs(b.means), axis=1, keepdims=True))
    full_a, full_b = a.full_covariances(), b.full_covariances()
    noise = (1e5 * np.finfo(float).eps * data_scale) ** 2
    scale = np.max(np.abs(full_b), axis=(1, 2), keepdims=True)
    assert_close(full_a, full_b, rtol, scale, atol=noise)


def random_covariances(rng, covariance_type, k, d, scale):
    if covariance_type == "full":
        out = []
        for _ in range(k):
            a = rng.normal(size=(d, d))
            out.append((a @ a.T / d + 0.05 * np.eye(d)) * scale**2)
        return np.array(out)
    if covariance_type == "tied":
        a = rng.normal(size=(d, d))
        return (a @ a.T / d + 0.05 * np.eye(d)) * scale**2
    if covariance_type == "diag":
        return rng.uniform(0.05, 2.0, size=(k, d)) * scale**2
    return rng.uniform(0.05, 2.0, size=k) * scale**2


def random_case(seed):
    """Random data and a random mixture: any type, D 1-10, K 1-8, N 1-3000, some degenerate."""
    rng = np.random.default_rng(seed)
    covariance_type = COVARIANCE_TYPES[seed % 4]
    d = int(rng.integers(1, 11))
    k = int(rng.integers(1, 9))
    n = int(rng.choice([1, 2, 5, 37, 300, 1000, 3000]))
    kind = seed % 7
    offset = rng.uniform(-50, 50, size=d)
    scale = float(10.0 ** rng.uniform(-2, 2))
    if kind == 0:  # duplicates
        X = np.repeat(rng.normal(size=(max(1, n // 10), d)), 10, axis=0)[:n]
    elif kind == 1:  # all points identical
        X = np.tile(rng.normal(size=d), (n, 1))
    elif kind == 2 and d > 1:  # on a line
        X = np.outer(rng.normal(size=n), rng.normal(size=d))
    else:
        centres = rng.normal(size=(k, d)) * 4
        X = centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    X = X * scale + offset
    n = len(X)
    means = X[rng.integers(0, n, k)] + rng.normal(size=(k, d)) * scale * 0.3
    if kind == 3:  # one component far from every point: it empties and is re-seeded
        means[-1] = offset + 1e3 * scale
    weights = rng.dirichlet(np.ones(k))
    covariances = random_covariances(rng, covariance_type, k, d, scale)
    reg_covar = float(rng.choice([0.0, 1e-6 * scale**2, 1e-6]))
    if kind in (0, 1, 2):
        reg_covar = max(reg_covar, 1e-6 * scale**2)
    return X, Mixture(weights, means, covariances, covariance_type), reg_covar


@pytest.mark.parametrize("seed", range(160))
def test_fast_pass_matches_the_reference_pass(seed):
    X, mixture, reg_covar = random_case(seed)
    total_ref, next_ref = reference_em_pass(X, mixture, reg_covar)
    total, next_fast = em_pass(X, mixture, reg_covar)
    assert total == pytest.approx(total_ref, rel=RTOL, abs=1e-9)
    assert_same_mixture(next_fast, next_ref, data_scale=np.max(np.abs(X)))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("d", [1, 2, 3, 10])
def test_fast_fit_matches_the_reference_fit_over_iterations(covariance_type, d):
    rng = np.random.default_rng(d)
    X = np.concatenate([rng.normal(size=(400, d)) + 3 * c for c in range(4)])
    start = initialize(X, 4, covariance_type=covariance_type, init="random-points", seed=2)
    args = dict(
        covariance_type=covariance_type, weights_init=start.weights, means_init=start.means,
        covariances_init=start.covariances, tol=0.0, max_iter=20,
    )  # fmt: skip
    fast = fit(X, 4, **args)
    reference = fit(X, 4, **args, em_pass=reference_em_pass)
    np.testing.assert_allclose(fast.log_likelihood_trace, reference.log_likelihood_trace, rtol=RTOL)
    assert_same_mixture(fast.mixture, reference.mixture)


def test_threads_split_the_rows_and_give_the_same_pass():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(70_000, 2)) * [1.0, 3.0] + rng.integers(0, 3, (70_000, 1)) * 4
    mixture = initialize(X[:2000], 3, seed=0)
    before = blockwise.thread_count()
    try:
        blockwise.set_thread_count(1)
        one = em_pass(X, mixture, 1e-6)
        blockwise.set_thread_count(2)
        data = blockwise.BlockData(X)
        assert data.n_workers(1000) == 2
        two = em_pass(X, mixture, 1e-6, data)
        # A caller running passes on several threads of its own (the model-selection grid)
        # keeps each pass on its thread.
        assert blockwise.BlockData(X, max_threads=1).n_workers(1000) == 1
        assert PreparedData(X, max_threads=1).blocks.n_workers(1000) == 1
    finally:
        blockwise.set_thread_count(before)
    assert two[0] == pytest.approx(one[0], rel=1e-12)
    assert_same_mixture(two[1], one[1], rtol=1e-10)


def test_worst_explained_rows_are_found_across_blocks():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30_000, 2))
    far = [2_000, 17_345, 29_999, 9_000]
    X[far] = [[30.0, 0.0], [0.0, -40.0], [25.0, 25.0], [-20.0, 0.0]]
    mixture = Mixture([0.5, 0.3, 0.2], [[0, 0], [1, 0], [0, 1]], np.ones(3), "spherical")
    data = blockwise.BlockData(X)
    kernel = blockwise.make_kernel(mixture, data.centre, data.radius)
    assert kernel.block_rows(len(X)) < 10_000
    worst = blockwise.worst_rows(data, kernel, 3)
    log_density = mixture.score_samples(X)
    np.testing.assert_array_equal(worst.rows, np.argsort(log_density, kind="stable")[:3])
    np.testing.assert_array_equal(worst.rows, [17_345, 29_999, 2_000])
    np.testing.assert_allclose(worst.log_densities, log_density[worst.rows], rtol=1e-12)
    np.testing.assert_array_equal(worst.points, X[worst.rows])
    # One block holding more of the worst rows than are kept.
    X[25_000:25_010] = np.linspace(50.0, 60.0, 10)[:, np.newaxis]
    data = blockwise.BlockData(X)
    worst = blockwise.worst_rows(data, blockwise.make_kernel(mixture, data.centre, data.radius), 3)
    np.testing.assert_array_equal(worst.rows, [25_009, 25_008, 25_007])


def test_empty_component_is_reseeded_like_the_reference():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(500, 2)), [[40.0, 40.0]]])
    start = Mixture([0.5, 0.5], [[0.0, 0.0], [1e4, 1e4]], np.ones(2), "spherical")
    _, fast = em_pass(X, start, 1e-6)
    _, reference = reference_em_pass(X, start, 1e-6)
    np.testing.assert_array_equal(fast.means[1], [40.0, 40.0])
    assert_same_mixture(fast, reference)


# Badly scaled data: means around 1e6, spreads around 1e-3. The expanded quadratic form would
# cancel catastrophically on the raw numbers; the fast pass centres the data first.
def _badly_scaled(d=2, n=3000, seed=3):
    rng = np.random.default_rng(seed)
    centres = 1e6 + rng.normal(size=(3, d)) * 5e-3
    spreads = [1e-3, 2e-3, 0.7e-3]
    X = np.concatenate(
        [c + rng.normal(size=(n // 3, d)) * s for c, s in zip(centres, spreads, strict=True)]
    )
    return X


def _sklearn_on_centred(X, start, n_iter, reg_covar):
    """scikit-learn on X - c from means - c; the same fit, shifted back by c."""
    c = X.mean(axis=0)
    gm = GaussianMixture(
        n_components=start.n_components,
        covariance_type=start.covariance_type,
        weights_init=start.weights,
        means_init=start.means - c,
        precisions_init=start.precisions(),
        max_iter=n_iter,
        tol=0.0,
        reg_covar=reg_covar,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X - c)
    return gm, c


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_badly_scaled_data_matches_sklearn_on_centred_data(covariance_type):
    X = _badly_scaled()
    reg_covar = 1e-12
    start = initialize(
        X, 3, covariance_type=covariance_type, init="kmeans", seed=4, reg_covar=reg_covar
    )
    n_iter = 15
    ours = fit(
        X, 3, covariance_type=covariance_type, weights_init=start.weights,
        means_init=start.means, covariances_init=start.covariances, tol=0.0,
        max_iter=n_iter, reg_covar=reg_covar,
    )  # fmt: skip
    theirs, c = _sklearn_on_centred(X, start, n_iter, reg_covar)
    np.testing.assert_allclose(ours.weights, theirs.weights_, rtol=RTOL)
    # The means, relative to the spread of the data: 1e-6 relative of 1e6 would be meaningless.
    np.testing.assert_allclose(ours.means - c, theirs.means_, rtol=0, atol=RTOL * 1e-3)
    np.testing.assert_allclose(ours.covariances, theirs.covariances_, rtol=RTOL, atol=1e-18)
    centred_ll = theirs.score(X - c) * len(X)
    assert ours.log_likelihood == pytest.approx(centred_ll, rel=RTOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_components_far_apart_in_units_of_their_spread_use_the_direct_form(covariance_type):
    # Two clusters 1e6 apart with spreads of 1e-3: no single centre saves the expanded form.
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(size=(300, 2)) * 1e-3, 1e6 + rng.normal(size=(300, 2)) * 2e-3])
    start = initialize(
        X, 2, covariance_type=covariance_type, init="kmeans", seed=0, reg_covar=1e-12
    )
    data = blockwise.BlockData(X)
    assert len(blockwise.make_kernel(start, data.centre, data.radius).direct) > 0
    mixture = start
    for _ in range(3):
        total_ref, next_ref = reference_em_pass(X, mixture, 1e-12)
        total, next_fast = em_pass(X, mixture, 1e-12, data)
        assert total == pytest.approx(total_ref, rel=RTOL)
        assert_same_mixture(next_fast, next_ref)
        mixture = next_ref


@pytest.mark.parametrize("engine", [em_pass, reference_em_pass])
def test_both_passes_reproduce_the_notebook_run(seed_example, golden, engine):
    X = seed_example
    result = fit(
        X, 3, weights_init=np.full(3, 1 / 3), means_init=X[golden["initial_mean_rows"]],
        covariances_init=np.repeat(np.cov(X, rowvar=False)[np.newaxis], 3, axis=0),
        reg_covar=0.0, tol=1e-6, em_pass=engine,
    )  # fmt: skip
    assert result.n_iter == golden["n_iter"]
    np.testing.assert_allclose(
        result.log_likelihood_trace, golden["log_likelihood_trace"], rtol=0, atol=1e-8
    )
    np.testing.assert_allclose(result.covariances, golden["final"]["covariances"], atol=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reference_pass_still_matches_sklearn(old_faithful, covariance_type):
    start = initialize(old_faithful, 2, covariance_type=covariance_type, init="kmeans", seed=7)
    ours = fit(
        old_faithful, 2, covariance_type=covariance_type, weights_init=start.weights,
        means_init=start.means, covariances_init=start.covariances, tol=0.0, max_iter=20,
        em_pass=reference_em_pass,
    )  # fmt: skip
    gm = GaussianMixture(
        n_components=2, covariance_type=covariance_type, weights_init=start.weights,
        means_init=start.means, precisions_init=start.precisions(), max_iter=20, tol=0.0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(old_faithful)
    np.testing.assert_allclose(ours.means, gm.means_, rtol=RTOL)
    np.testing.assert_allclose(ours.covariances, gm.covariances_, rtol=RTOL)
    assert ours.log_likelihood == pytest.approx(gm.score(old_faithful) * 272, rel=RTOL)


def test_thread_count_must_be_a_positive_whole_number():
    with pytest.raises(ValueError, match="thread count"):
        blockwise.set_thread_count(0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_mixture_log_likelihood_is_the_number_the_fit_reports(old_faithful, covariance_type):
    result = fit(old_faithful, 2, covariance_type=covariance_type, seed=0)
    assert result.mixture.log_likelihood(old_faithful) == result.log_likelihood
    reference = float(np.sum(result.mixture.score_samples(old_faithful)))
    assert result.log_likelihood == pytest.approx(reference, rel=1e-12)


def test_the_last_snapshot_runs_the_e_step_alone_with_the_same_log_likelihood():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 3)) + rng.integers(0, 3, (600, 1)) * 3.0
    start = initialize(X, 3, seed=0)
    run = EMRun(X, FitSettings(n_components=3, max_iter=2, tol=0.0), start)
    snapshots = list(run.snapshots())
    assert run.finished
    total, _ = em_pass(X, snapshots[-1].mixture, 1e-6)
    assert snapshots[-1].log_likelihood == total  # bit for bit the full pass's E-step


def test_wide_rows_shared_by_two_threads_take_big_blocks_of_bounded_size():
    import tracemalloc

    X = np.random.default_rng(1).normal(size=(1000, 500))
    mixture = initialize(X, 16, covariance_type="diag", seed=0)
    data = blockwise.BlockData(X)
    before = blockwise.thread_count()
    try:
        blockwise.set_thread_count(1)
        one_thread_rows = blockwise.kernel_for(mixture, data).block_rows(data.n_samples)
        blockwise.set_thread_count(2)
        kernel = blockwise.kernel_for(mixture, data)
        assert kernel.n_workers(data) == 2
        rows = kernel.block_rows(data.n_samples)
        assert one_thread_rows < rows <= blockwise._MAX_BLOCK_VALUES // 500
        blockwise.gather(data, kernel)
        tracemalloc.start()
        try:
            blockwise.gather(data, kernel)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        blockwise.set_thread_count(before)
    # Each thread holds one block's centred rows and their squares, the pass a (K, P) sum per
    # block: never arrays of the whole data's size.
    blocks = 2 * 2 * rows * 500 * 8
    sums = -(-1000 // rows) * 16 * 1001 * 8
    assert peak < 1.25 * (blocks + sums) < 2 * X.nbytes


@pytest.mark.parametrize(("n", "k", "d"), [(1_000_000, 8, 2), (200_000, 5, 10), (1_000_000, 8, 3)])
def test_passes_over_many_rows_take_larger_blocks_within_their_budget(n, k, d):
    width = blockwise.n_quadratic(d, "full") + d + 1
    small = blockwise._block_rows(width, k, None)  # a block's rows whatever the pass's length
    rows = blockwise._block_rows(width, k, n)
    assert small < rows <= n // 16
    assert rows * (width + k) <= 1.01 * blockwise._LARGE_BLOCK_VALUES  # rounded to even blocks
    # A shorter pass keeps the small blocks: 16 large ones would be most of its rows.
    assert blockwise._block_rows(width, k, 16 * small) == small


@pytest.mark.parametrize(("covariance_type", "d"), [("full", 300), ("tied", 300), ("tied", 60)])
def test_a_direct_pass_over_few_rows_holds_about_one_copy_of_the_data(covariance_type, d):
    import tracemalloc

    X = np.random.default_rng(0).normal(size=(1000, d)) + 5.0  # centred copies of blocks
    mixture = initialize(X, 2, covariance_type=covariance_type, seed=0)
    data = blockwise.BlockData(X)
    kernel = blockwise.kernel_for(mixture, data)
    assert kernel.form == "direct"
    assert kernel.block_rows(data.n_samples) == 250  # four blocks, even at N=1,000
    em_pass(X, mixture, 1e-6, data)
    tracemalloc.start()
    try:
        em_pass(X, mixture, 1e-6, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The precision factors, the sums (the next covariances are computed in their place, the
    # second pass's scatters added in place, the data's spread not computed when no component
    # is empty) and a block's rows: about X's own size (the (D, D) temporaries of the M-step
    # and two blocks of 500 rows took 1.5-3.3 times it).
    assert peak < 1.2 * X.nbytes


def _pass_with(data, kernel, mixture, reg_covar):
    """:func:`em_pass` with the given kernel (its form forced)."""
    return finish_pass(
        blockwise.gather(data, kernel), mixture, reg_covar, data.centre, None,
        lambda about: blockwise.gather_scatter(data, kernel, about),
        lambda count: blockwise.worst_rows(data, kernel, count),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("covariance_type", "d"), [("full", 2), ("tied", 40), ("diag", 200), ("spherical", 200)]
)
def test_rows_near_the_origin_are_used_as_they_are_and_give_the_reference_pass(covariance_type, d):
    rng = np.random.default_rng(d)
    near = rng.normal(size=(900, d)) * 5.0 + 1.0  # mean within the rows' spread of the origin
    far = near + 40.0  # the mean farther from the origin than the rows are from it
    for X, at_origin in ((near, True), (far, False)):
        data = blockwise.BlockData(X)
        assert (not data.centre.any()) is at_origin
        np.testing.assert_allclose(data.variance, np.var(X, axis=0), rtol=1e-10)
        mixture = initialize(X, 3, covariance_type=covariance_type, seed=1)
        for form in ("expanded", "direct"):
            kernel = blockwise.make_kernel(mixture, data.centre, data.radius, form=form)
            total_ref, next_ref = reference_em_pass(X, mixture, 1e-6)
            total, next_fast = _pass_with(data, kernel, mixture, 1e-6)
            assert total == pytest.approx(total_ref, rel=1e-12)
            assert_same_mixture(next_fast, next_ref, data_scale=np.max(np.abs(X)))
