"""EM on a Dask array, on a real LocalCluster, against the in-memory engine."""

import os
import pathlib
import signal
import subprocess
import sys
import threading

import dask
import dask.array as da
import numpy as np
import pytest

from gmm_studio import cluster
from gmm_studio.cluster.client import ClusterError
from gmm_studio.core import COVARIANCE_TYPES, FitError, fit, initialization, initialize
from gmm_studio.core.restarts import fit_starts


def blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n // 2, 2)) @ np.array([[1.0, 0.3], [0.0, 0.6]])
    b = rng.normal(size=(n - n // 2, 2)) * 0.5 + [4.0, 1.0]
    return rng.permutation(np.concatenate([a, b]))


def start_of(X, k, covariance_type, seed=1):
    start = initialize(X, k, covariance_type=covariance_type, init="random-points", seed=seed)
    return dict(
        covariance_type=covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        covariances_init=start.covariances,
    )


def assert_same_fit(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.log_likelihood_trace, b.log_likelihood_trace, rtol=rtol, atol=0)
    assert a.n_iter == b.n_iter and a.converged == b.converged
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.covariances, b.covariances, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_fit_as_in_memory_from_the_same_start(client, covariance_type):
    X = blobs(5003)
    kwargs = start_of(X, 3, covariance_type) | dict(tol=1e-9, max_iter=40)
    expected = fit(X, 3, **kwargs)
    chunks = da.from_array(X, chunks=(777, 2))  # 777 does not divide 5003
    assert chunks.numblocks[0] == 7
    got = cluster.fit(chunks, 3, **kwargs)
    assert len(got.log_likelihood_trace) > 10
    assert_same_fit(expected, got)


@pytest.mark.parametrize("init", ["kmeans++", "random-points"])
def test_the_seed_gives_the_same_start_on_a_sample_of_rows(client, init, monkeypatch):
    monkeypatch.setattr(initialization, "INIT_SAMPLE_ROWS", 2000)  # read when a fit starts
    X = blobs(7001, seed=3)
    expected = fit(X, 3, init=init, seed=8, max_iter=3, tol=0)
    got = cluster.fit(da.from_array(X, chunks=(1009, 2)), 3, init=init, seed=8, max_iter=3, tol=0)
    assert_same_fit(expected, got)
    # The sample is what the start was drawn from: another sample gives another start.
    monkeypatch.setattr(initialization, "INIT_SAMPLE_ROWS", 2001)
    other = fit(X, 3, init=init, seed=8, max_iter=0)
    assert not np.allclose(other.means, expected.means)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_integer_weights_give_the_fit_of_repeated_rows(client, covariance_type):
    X = blobs(1201, seed=5)
    counts = np.random.default_rng(6).integers(0, 4, len(X))
    kwargs = start_of(X, 2, covariance_type) | dict(tol=1e-8, max_iter=60)
    expected = fit(np.repeat(X, counts, axis=0), 2, **kwargs)
    got = cluster.fit(
        da.from_array(X, chunks=(250, 2)),
        2,
        sample_weight=da.from_array(counts.astype(float), chunks=100),  # rechunked to match
        **kwargs,
    )
    np.testing.assert_allclose(expected.log_likelihood_trace, got.log_likelihood_trace, rtol=1e-10)
    np.testing.assert_allclose(expected.means, got.means, rtol=1e-8)


def test_an_empty_component_is_reseeded_as_in_memory(client):
    X = blobs(2000, seed=7)
    kwargs = dict(
        covariance_type="full",
        weights_init=[0.5, 0.5 - 1e-12, 1e-12],
        means_init=[[0.0, 0.0], [4.0, 1.0], [500.0, 500.0]],
        covariances_init=np.array([np.eye(2)] * 3) * [[[1.0]], [[1.0]], [[1e-4]]],
        max_iter=20,
        tol=0,
    )
    expected = fit(X, 3, **kwargs)
    got = cluster.fit(da.from_array(X, chunks=(333, 2)), 3, **kwargs)
    assert np.all(np.abs(got.means) < 50)  # the far component restarted on a data point
    assert_same_fit(expected, got)


def test_bad_data_is_refused_with_the_in_memory_messages(client):
    X = blobs(100)
    X[17, 1] = np.nan
    with pytest.raises(FitError, match="missing or infinite values"):
        cluster.fit(da.from_array(X, chunks=30), 2)
    with pytest.raises(FitError, match="more than the 3 points"):
        cluster.fit(da.from_array(blobs(3)), 4)
    with pytest.raises(FitError, match="sample_weight must be finite numbers ≥ 0"):
        cluster.fit(da.from_array(blobs(100)), 2, sample_weight=-np.ones(100))


def test_restarts_use_the_same_seeds_as_in_memory(client):
    X = blobs(2500, seed=12)
    expected = fit_starts(X, 3, n_init=3, seed=5, tol=0, max_iter=8)
    got = cluster.fit_starts(
        da.from_array(X, chunks=(600, 2)), 3, n_init=3, seed=5, tol=0, max_iter=8
    )
    assert expected.degenerate_components == () and got.degenerate_components is None
    np.testing.assert_allclose(
        got.start_log_likelihoods, expected.start_log_likelihoods, rtol=1e-10
    )
    assert got.best_index == expected.best_index
    assert_same_fit(
        expected.result,
        cluster.fit(da.from_array(X, chunks=600), 3, n_init=3, seed=5, tol=0, max_iter=8),
    )


def test_the_core_fit_takes_a_dask_array_and_the_core_never_imports_dask(client):
    X = blobs(3001, seed=11)
    expected = fit(X, 2, seed=2)
    got = fit(da.from_array(X, chunks=(1000, 2)), 2, seed=2)
    np.testing.assert_allclose(got.log_likelihood_trace, expected.log_likelihood_trace, rtol=1e-10)
    probe = "import sys, gmm_studio.core, gmm_studio.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'pyarrow'}))"
    root = str(pathlib.Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=root),
    )  # fmt: skip
    assert done.stdout.strip() == "[]"


def _worker_pids(client):
    return client.run(os.getpid)


def test_a_worker_killed_mid_fit_is_replaced_and_the_fit_completes(client):
    X = blobs(40_000, seed=9)
    kwargs = start_of(X, 4, "full") | dict(tol=0, max_iter=12)
    expected = fit(X, 4, **kwargs)
    steps = cluster.em_steps(da.from_array(X, chunks=(1000, 2)), 4, **kwargs)
    trace = []
    for snapshot in steps:
        trace.append(snapshot.log_likelihood)
        if snapshot.iteration in (2, 5):  # once between passes, once during one
            pid = next(iter(_worker_pids(client).values()))
            delay = 0.0 if snapshot.iteration == 2 else 0.05
            threading.Timer(delay, os.kill, (pid, signal.SIGKILL)).start()
    np.testing.assert_allclose(trace, expected.log_likelihood_trace, rtol=1e-10)


def _die():
    os._exit(3)


def test_a_task_that_kills_every_worker_ends_in_one_clear_error(client):
    deadly = da.from_delayed(dask.delayed(_die)(), shape=(50, 2), dtype=float)
    scheduler = client.cluster.scheduler
    retries, scheduler.allowed_failures = scheduler.allowed_failures, 0  # fail at the first death
    try:
        with pytest.raises(ClusterError, match="a Dask worker died") as caught:
            cluster.fit(deadly, 2)
    finally:
        scheduler.allowed_failures = retries
    assert "\n" not in str(caught.value)
