"""n_init restarts: reproducible from the seed, the best start kept, failures recorded."""

import threading

import numpy as np
import pytest
from sklearn.datasets import load_iris

from gmm_studio.core import FitError, fit
from gmm_studio.core.restarts import FitCancelled, fit_starts, start_seeds

IRIS = load_iris().data


def test_iris_needs_restarts():
    single = fit(IRIS, 3, seed=0)
    assert single.log_likelihood == pytest.approx(-194.497, abs=1e-3)
    best = fit(IRIS, 3, seed=0, n_init=5)
    assert best.log_likelihood == pytest.approx(-180.1855, abs=1e-3)


def test_start_zero_is_the_single_fit_and_starts_are_a_prefix():
    five = fit_starts(IRIS, 3, seed=3, n_init=5)
    three = fit_starts(IRIS, 3, seed=3, n_init=3)
    assert five.start_log_likelihoods[:3] == three.start_log_likelihoods
    assert five.starts[0].result.mixture == fit(IRIS, 3, seed=3).mixture
    child = np.random.SeedSequence(3).spawn(4)[3]
    assert five.starts[4].result.mixture == fit(IRIS, 3, seed=child).mixture
    assert five.log_likelihood >= three.log_likelihood >= five.starts[0].log_likelihood


def test_reproducible_and_independent_of_seed_type():
    a = fit(IRIS, 4, covariance_type="diag", seed=11, n_init=4)
    b = fit(IRIS, 4, covariance_type="diag", seed=11, n_init=4)
    assert a.mixture == b.mixture and a.log_likelihood_trace == b.log_likelihood_trace
    seeds = start_seeds(11, 4)
    assert seeds[0] == 11 and len({str(s.spawn_key) for s in seeds[1:]}) == 3


def test_best_is_the_highest_likelihood_among_starts():
    outcome = fit_starts(IRIS, 3, seed=0, n_init=6)
    lls = outcome.start_log_likelihoods
    assert outcome.log_likelihood == max(lls)
    assert outcome.best_index == lls.index(max(lls))


def test_failed_starts_are_recorded_and_all_failed_raises():
    # Three distinct points and reg_covar=0: every full start collapses.
    X = np.repeat([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], 4, axis=0)
    outcome = fit_starts(X, 3, seed=0, n_init=2, reg_covar=0.0)
    assert outcome.failed and outcome.best is None
    assert all("positive definite" in s.error for s in outcome.starts)
    assert np.isnan(outcome.bic)
    with pytest.raises(FitError, match="positive definite"):
        fit(X, 3, seed=0, n_init=2, reg_covar=0.0)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_n_init_must_be_a_whole_number(bad):
    with pytest.raises(FitError, match="n_init"):
        fit(IRIS, 2, seed=0, n_init=bad)


def test_starting_parameters_and_restarts_do_not_mix():
    with pytest.raises(FitError, match="n_init"):
        fit(IRIS, 2, n_init=2, means_init=IRIS[:2])


def test_cancel_between_iterations():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(FitCancelled):
        fit_starts(IRIS, 3, seed=0, n_init=3, cancel=cancel)
