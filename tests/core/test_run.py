"""The resumable EM run: resuming, half-steps, locks, and the one place settings are checked."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_studio.core import (
    COVARIANCE_TYPES,
    DegenerateCovarianceError,
    EMRun,
    FitError,
    FitSettings,
    Locks,
    Phase,
    fit,
    generate_mixture_data,
    initialize,
)
from gmm_studio.core.reference import reference_em_pass

from .test_fast_em_pass import assert_same_mixture


def three_blobs(n=300, d=2, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(3, d))
    return np.concatenate([c + rng.normal(size=(n // 3, d)) for c in centres])


def same_snapshot(a, b):
    assert a.iteration == b.iteration
    assert a.mixture == b.mixture  # bit for bit
    assert a.log_likelihood == b.log_likelihood or (
        math.isnan(a.log_likelihood) and math.isnan(b.log_likelihood)
    )
    assert a.converged == b.converged


def test_a_run_without_start_draws_the_same_start_and_fit_as_fit():
    X = three_blobs()
    s = FitSettings(n_components=3, covariance_type="diag", init="kmeans", seed=3, tol=1e-8)
    snapshots = list(EMRun(X, s).snapshots())
    expected = fit(X, **s.fit_kwargs())
    assert snapshots[0].mixture == initialize(
        X, 3, covariance_type="diag", init="kmeans", reg_covar=s.reg_covar, seed=3
    )
    assert snapshots[-1].mixture == expected.mixture
    assert tuple(x.log_likelihood for x in snapshots) == expected.log_likelihood_trace
    assert snapshots[-1].converged and snapshots[-1].iteration == expected.n_iter


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_resumed_run_continues_exactly_as_if_never_interrupted(covariance_type):
    X = three_blobs(seed=1)
    s = FitSettings(n_components=3, covariance_type=covariance_type, seed=0, tol=1e-9)
    whole = list(EMRun(X, s).snapshots())
    assert len(whole) > 8
    resumed = EMRun(X, s, resumed_from=whole[5])
    assert resumed.iteration == 5 and resumed.phase is Phase.MAXIMIZATION
    rest = list(resumed.snapshots())
    assert len(rest) == len(whole) - 6  # snapshot 5 is not reported again
    for a, b in zip(rest, whole[6:], strict=True):
        same_snapshot(a, b)


def test_a_run_from_a_mixture_at_an_iteration_counts_on_and_stops_at_max_iter():
    X = three_blobs(seed=2)
    start = initialize(X, 3, seed=1)
    run = EMRun(X, FitSettings(n_components=3, tol=0.0, max_iter=7), start, iteration=4)
    first = run.step()
    assert first.iteration == 4 and first.mixture == start and math.isnan(first.change)
    assert [x.iteration for x in run.snapshots()] == [5, 6, 7]
    assert run.finished and not run.converged
    with pytest.raises(FitError, match="finished"):
        run.step()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_two_half_steps_are_one_step_and_match_the_reference_halves(covariance_type):
    X = three_blobs(seed=4, d=3)
    s = FitSettings(n_components=3, covariance_type=covariance_type, seed=2, tol=0.0)
    whole, halves = EMRun(X, s), EMRun(X, s)
    whole.step()
    e0 = halves.half_step()
    assert e0.evaluated and halves.phase is Phase.MAXIMIZATION
    for _ in range(6):
        previous = halves.mixture
        m = halves.half_step()  # the M-step: new parameters, not evaluated yet
        assert not m.evaluated and halves.phase is Phase.EXPECTATION
        e = halves.half_step()  # the E-step of the new parameters
        assert e.mixture is m.mixture and e.iteration == m.iteration
        same_snapshot(e, whole.step())
        # Each half against the plain N×K pass: the E-step's log-likelihood of the previous
        # parameters and the M-step's parameters from its responsibilities.
        total, expected = reference_em_pass(X, previous, s.reg_covar)
        assert total == pytest.approx(halves_total(previous, X, s), rel=1e-9)
        assert_same_mixture(m.mixture, expected)


def halves_total(mixture, X, s):
    return EMRun(X, s, mixture).expectation().log_likelihood


def test_the_start_must_match_the_settings_and_the_data():
    X = three_blobs()
    start = initialize(X, 3, covariance_type="diag", seed=0)
    with pytest.raises(FitError, match="3 components"):
        EMRun(X, FitSettings(n_components=2, covariance_type="diag"), start)
    with pytest.raises(FitError, match="diag covariances"):
        EMRun(X, FitSettings(n_components=3), start)
    with pytest.raises(FitError, match="1-dimensional"):
        EMRun(X[:, :1], FitSettings(n_components=3, covariance_type="diag"), start)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda X: fit(X, True), "n_components"),
        (lambda X: fit(X, 2, seed=-1), "seed"),
        (lambda X: fit(X, 2, max_iter=2.5), "max_iter"),
        (lambda X: fit([["a", "b"], ["c", "d"]], 1), "numbers"),
        (lambda X: fit(np.array([[1, 2], [3, "x"]], dtype=object), 1), "numbers"),
        (lambda X: EMRun(X, {"n_components": 2}), "FitSettings"),
        (lambda X: EMRun(X, FitSettings(n_components=2), sample_weight=np.ones(len(X))), "weight"),
    ],
)
def test_bad_arguments_are_fit_errors(call, message):
    with pytest.raises(FitError, match=message):
        call(three_blobs())


def test_settings_accept_numpy_integers():
    s = FitSettings(n_components=np.int64(3), max_iter=np.int32(5), seed=np.int64(2))
    assert s == FitSettings(n_components=3, max_iter=5, seed=2)
    assert type(s.n_components) is int


# -- locks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("em_pass", ["fast", "reference"])
def test_locked_parameters_stay_bit_for_bit_and_free_weights_share_the_rest(
    covariance_type, em_pass
):
    X = three_blobs(seed=5)
    start = initialize(X, 3, covariance_type=covariance_type, init="random-points", seed=1)
    locks = Locks.none(3).with_lock(0, "mean").with_lock(1, "covariance").with_lock(2, "weight")
    kwargs = {} if em_pass == "fast" else {"em_pass": reference_em_pass}
    s = FitSettings(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=10)
    run = EMRun(X, s, start, locks=locks, **kwargs)
    snapshots = list(run.snapshots())
    free = EMRun(X, s, start, **kwargs)
    free.step(), free.step()
    for snap in snapshots:
        m = snap.mixture
        assert np.array_equal(m.means[0], start.means[0])
        assert not np.array_equal(m.means[1], start.means[1]) or snap.iteration == 0
        if covariance_type == "tied":  # one shared covariance: locked by component 1's lock
            assert np.array_equal(m.covariances, start.covariances)
        else:
            assert np.array_equal(m.covariances[1], start.covariances[1])
        assert m.weights[2] == start.weights[2]
        assert m.weights.sum() == pytest.approx(1.0, abs=1e-12)
    # The locks changed the fit (a free run moves every parameter).
    assert not np.array_equal(free.mixture.means[0], start.means[0])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_locked_fast_pass_matches_the_locked_reference_pass(covariance_type):
    X = three_blobs(seed=6, d=3)
    start = initialize(X, 3, covariance_type=covariance_type, init="random-points", seed=4)
    locks = Locks.none(3).with_lock(1, "mean").with_lock(0, "weight").with_lock(2, "covariance")
    s = FitSettings(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=8)
    fast = list(EMRun(X, s, start, locks=locks).snapshots())
    reference = list(EMRun(X, s, start, locks=locks, em_pass=reference_em_pass).snapshots())
    for a, b in zip(fast, reference, strict=True):
        assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-9)
        assert_same_mixture(a.mixture, b.mixture)


def test_all_weights_locked_keeps_them_and_locks_can_change_mid_run():
    X = three_blobs(seed=7)
    start = initialize(X, 3, seed=2)
    everything = Locks((False,) * 3, (False,) * 3, (True,) * 3)
    run = EMRun(X, FitSettings(n_components=3, tol=0.0), start, locks=everything)
    run.step()
    assert run.step().mixture.weights.tolist() == start.weights.tolist()
    # The E-step is done and its M-step was computed with the weights locked; freeing them
    # before the M half-step recomputes it.
    assert run.phase is Phase.MAXIMIZATION
    run.set_locks(Locks.none(3))
    assert run.half_step().mixture.weights.tolist() != start.weights.tolist()
    with pytest.raises(FitError, match="2 components"):
        run.set_locks(Locks.none(2))


@st.composite
def locked_cases(draw):
    k_true = draw(st.integers(1, 3))
    dim = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    means = rng.uniform(-6, 6, size=(k_true, dim))
    covariances = [np.eye(dim) * rng.uniform(0.3, 2.0) for _ in range(k_true)]
    n = draw(st.integers(40, 200))
    X, _ = generate_mixture_data(n, np.full(k_true, 1.0 / k_true), means, covariances, seed=rng)
    k = draw(st.integers(1, 4))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    flags = st.lists(st.booleans(), min_size=k, max_size=k)
    locks = Locks(draw(flags), draw(flags), draw(flags))
    return X, k, covariance_type, locks, seed


@settings(max_examples=80, deadline=None)
@given(locked_cases())
def test_log_likelihood_never_decreases_with_locks_and_no_regularisation(case):
    X, k, covariance_type, locks, seed = case
    start = initialize(X, k, covariance_type=covariance_type, init="random-points", seed=seed)
    s = FitSettings(
        n_components=k, covariance_type=covariance_type, reg_covar=0.0, tol=0.0, max_iter=40
    )
    trace = []
    try:
        for snap in EMRun(X, s, start, locks=locks).snapshots():
            if snap.mixture.predict_proba(X).sum(axis=0).min() < 1e-6:
                break  # the next M-step may re-seed an empty component: a deliberate jump
            trace.append(snap.log_likelihood)
            for kind, kept in (("mean", snap.mixture.means), ("weight", snap.mixture.weights)):
                lock = locks.array(kind)
                original = start.means if kind == "mean" else start.weights
                assert np.array_equal(kept[lock], original[lock])
    except DegenerateCovarianceError:
        pass  # a component collapsed onto a point: the likelihood is unbounded there
    steps = np.diff(trace)
    assert np.all(steps >= -1e-9 * np.abs(np.array(trace[1:]))), steps.min()


def test_locks_are_checked_and_round_trip():
    locks = Locks.none(2).with_lock(1, "weight")
    assert Locks.from_dict(locks.to_dict(), 2) == locks
    with pytest.raises(FitError, match="2 true/false"):
        Locks.from_dict({"mean": [True]}, 2)
    with pytest.raises(FitError, match="no component 3"):
        locks.with_lock(2, "mean")
    with pytest.raises(FitError, match="mean, a covariance or a weight"):
        locks.with_lock(0, "colour")
    with pytest.raises(FitError, match="one mean"):
        Locks((True,), (False, False), (False,))
