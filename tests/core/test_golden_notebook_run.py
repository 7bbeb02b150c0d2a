"""The first oracle: the seed notebook's own EM run on its own 100 points."""

import numpy as np

from gmm_studio.core import em_steps, fit


def _notebook_start(X, golden):
    k = len(golden["initial_mean_rows"])
    return dict(
        weights_init=np.full(k, 1.0 / k),
        means_init=X[golden["initial_mean_rows"]],
        covariances_init=np.repeat(np.cov(X, rowvar=False)[np.newaxis], k, axis=0),
        reg_covar=0.0,
        tol=1e-6,
    )


def test_reproduces_iteration_count_and_trace(seed_example, golden):
    result = fit(seed_example, 3, **_notebook_start(seed_example, golden))
    assert result.converged
    assert result.n_iter == golden["n_iter"] == 23
    np.testing.assert_allclose(
        result.log_likelihood_trace, golden["log_likelihood_trace"], rtol=0, atol=1e-8
    )


def test_reproduces_final_parameters(seed_example, golden):
    result = fit(seed_example, 3, **_notebook_start(seed_example, golden))
    final = golden["final"]
    np.testing.assert_allclose(result.weights, final["weights"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(result.means, final["means"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(result.covariances, final["covariances"], rtol=0, atol=1e-8)


def test_generator_yields_the_same_run_snapshot_by_snapshot(seed_example, golden):
    snapshots = list(em_steps(seed_example, 3, **_notebook_start(seed_example, golden)))
    assert [s.iteration for s in snapshots] == list(range(24))
    np.testing.assert_allclose(
        [s.log_likelihood for s in snapshots], golden["log_likelihood_trace"], atol=1e-8
    )
    assert [s.converged for s in snapshots] == [False] * 23 + [True]
    assert np.isnan(snapshots[0].change)
    np.testing.assert_allclose(
        [s.change for s in snapshots[1:]], np.diff(golden["log_likelihood_trace"]) / 100, atol=1e-10
    )
