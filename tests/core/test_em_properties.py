"""EM's own guarantees, checked on random well-conditioned data with hypothesis."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_studio.core import (
    COVARIANCE_TYPES,
    DegenerateCovarianceError,
    em_steps,
    generate_mixture_data,
)


@st.composite
def mixture_data(draw):
    k_true = draw(st.integers(1, 4))
    dim = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    means = rng.uniform(-6, 6, size=(k_true, dim))
    covariances = []
    for _ in range(k_true):
        a = rng.normal(size=(dim, dim))
        covariances.append(a @ a.T + 0.3 * np.eye(dim))
    n = draw(st.integers(30, 250))
    X, _ = generate_mixture_data(n, np.full(k_true, 1.0 / k_true), means, covariances, seed=rng)
    k = draw(st.integers(1, 4))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    init = draw(st.sampled_from(["random-points", "kmeans++", "kmeans"]))
    return X, k, covariance_type, init, seed


@settings(max_examples=60, deadline=None)
@given(mixture_data())
def test_log_likelihood_never_decreases_without_regularisation(case):
    X, k, covariance_type, init, seed = case
    trace = []
    try:
        for s in em_steps(
            X, k, covariance_type=covariance_type, init=init, reg_covar=0.0, seed=seed,
            max_iter=60, tol=0.0,
        ):  # fmt: skip
            trace.append(s.log_likelihood)
    except DegenerateCovarianceError:
        pass  # a component collapsed onto a point: the likelihood is unbounded there
    steps = np.diff(trace)
    assert np.all(steps >= -1e-9 * np.abs(np.array(trace[1:]))), steps.min()


@settings(max_examples=40, deadline=None)
@given(mixture_data())
def test_every_snapshot_is_a_valid_mixture(case):
    X, k, covariance_type, init, seed = case
    for snapshot in em_steps(
        X, k, covariance_type=covariance_type, init=init, seed=seed, max_iter=15
    ):
        m = snapshot.mixture
        assert np.isclose(m.weights.sum(), 1.0, atol=1e-12)
        assert np.all(m.weights > 0)
        resp = m.predict_proba(X)
        np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-12)
        full = m.full_covariances()
        np.testing.assert_allclose(full, np.swapaxes(full, 1, 2), atol=0)
        assert np.all(np.linalg.eigvalsh(full) > 0)
        assert np.isfinite(snapshot.log_likelihood)


def test_snapshots_are_immutable(seed_example):
    snapshots = list(em_steps(seed_example, 3, seed=0, max_iter=3))
    before = [s.mixture.means.copy() for s in snapshots]
    for s in snapshots:
        assert not s.mixture.means.flags.writeable
        assert not s.mixture.covariances.flags.writeable
        assert not s.mixture.weights.flags.writeable
    for s, means in zip(snapshots, before, strict=True):
        np.testing.assert_array_equal(s.mixture.means, means)
    # Each iteration's arrays are fresh, never shared with the next snapshot.
    assert not np.shares_memory(snapshots[0].mixture.means, snapshots[1].mixture.means)
