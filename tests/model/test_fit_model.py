"""The fit model without Qt: states, history, events, rewind and branch, restoring."""

import math

import numpy as np
import pytest

from gmm_studio.core import FitError, FitSettings, Locks, fit
from gmm_studio.model import Change, EventKind, FitModel, FitState


def blobs(n_per=40, seed=1):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])
    return np.vstack([c + rng.standard_normal((n_per, 2)) for c in centres])


SETTINGS = FitSettings(n_components=3, init="random-points", seed=4, tol=1e-8)


def converged_model():
    model = FitModel(blobs(), SETTINGS)
    model.run_to_convergence()
    return model


def test_stepping_draws_the_start_then_iterates_and_converges_to_the_engines_fit():
    model = FitModel(blobs(), SETTINGS)
    assert model.state is FitState.INITIALISING and model.current is None
    first = model.step()
    assert first.iteration == 0 and model.start is first.mixture
    assert model.state is FitState.READY
    assert model.step().iteration == 1 and model.state is FitState.PAUSED
    last = model.run_to_convergence()
    assert model.state is FitState.CONVERGED and last.converged
    expected = fit(blobs(), **SETTINGS.fit_kwargs())
    assert [s.log_likelihood for s in model.history] == list(expected.log_likelihood_trace)
    assert model.mixture == expected.mixture and model.iteration == expected.n_iter
    assert [s.iteration for s in model.history] == list(range(expected.n_iter + 1))
    with pytest.raises(FitError, match="finished"):
        model.step()


def test_too_few_points_wait_and_observers_hear_what_changed():
    model = FitModel(blobs()[:2], SETTINGS)
    assert model.state is FitState.EMPTY and not model.enough_points
    with pytest.raises(FitError, match="at least"):
        model.continuation()
    heard = []
    unsubscribe = model.subscribe(lambda m, change: heard.append(change))
    model.set_data(blobs()[:5])
    assert model.state is FitState.INITIALISING
    assert Change.DATA in heard[-1] and Change.RUN in heard[-1]
    unsubscribe()
    model.step()
    assert len(heard) == 1


def test_editing_data_after_convergence_continues_on_a_new_segment():
    model = converged_model()
    converged_at = model.iteration
    n_before = len(model.history)
    model.set_data(np.vstack([blobs(), [[3.0, 2.0], [3.2, 2.1]]]))
    assert model.state is FitState.RUNNING  # a converged fit runs again on edited data
    (event,) = model.events
    assert event.kind is EventKind.DATA_EDITED
    assert event.index == n_before and event.iteration == converged_at
    model.run_to_convergence()
    refreshed = model.history[n_before]
    # The same parameters, evaluated on the new data: same iteration, no EM step between.
    assert refreshed.iteration == converged_at and math.isnan(refreshed.change)
    assert refreshed.mixture == model.history[n_before - 1].mixture
    assert model.state is FitState.CONVERGED and model.iteration > converged_at
    # The curve has two segments: EM never looks as if it lowered the likelihood.
    (_x0, y0), (x1, y1) = model.segments()
    assert len(y0) == n_before and x1[0] == converged_at
    assert np.all(np.diff(y0) > -1e-9) and np.all(np.diff(y1) > -1e-9)
    assert y1[-1] == model.current.log_likelihood


def test_a_paused_fit_waits_after_an_edit_and_settings_events_keep_the_history():
    model = FitModel(blobs(), SETTINGS)
    model.step(), model.step(), model.step()
    model.pause()
    model.set_data(blobs()[:-3])
    assert model.state is FitState.PAUSED
    model.set_settings(SETTINGS.replace(tol=1e-3))
    assert [e.kind for e in model.events] == [EventKind.DATA_EDITED, EventKind.SETTINGS_CHANGED]
    assert len(model.history) == 3 and [len(y) for _x, y in model.segments()] == [3]
    model.set_settings(SETTINGS.replace(n_components=2))
    assert model.history == () and model.events == () and model.start is None
    assert model.state is FitState.INITIALISING


def test_rewind_then_branch_drops_the_later_entries_undoably():
    model = converged_model()
    full = model.history
    model.rewind(3)
    assert model.current is full[3] and model.iteration == 3 and model.history == full
    assert model.state is FitState.PAUSED
    branch = model.branch()
    assert model.history == full[:4] and branch.entries == full[4:]
    model.step()
    assert len(model.history) == 5
    model.restore(branch)
    assert model.history == full and model.state is FitState.CONVERGED
    # Stepping from an earlier entry branches on its own and repeats the same iteration.
    model.rewind(2)
    again = model.step()
    assert again.mixture == full[3].mixture and len(model.history) == 4


def test_rewinding_across_a_data_edit_reevaluates_on_the_current_data():
    model = FitModel(blobs(), SETTINGS)
    for _ in range(4):
        model.step()
    model.set_data(blobs()[:-10])
    model.step()  # the refreshed entry
    model.rewind(1)
    run = model.branch() and model.continuation()
    first = run.step()
    assert first.iteration == 1 and first.n_samples == 110  # evaluated on today's data


def test_half_steps_record_the_same_history_as_steps():
    stepped, halved = FitModel(blobs(), SETTINGS), FitModel(blobs(), SETTINGS)
    for _ in range(5):
        stepped.step()
    halved.step()
    for _ in range(4):
        m = halved.half_step()
        assert not m.evaluated and halved.current is m and halved.mixture is m.mixture
        assert len(halved.history) == m.iteration  # the M-step is not in the history yet
        halved.half_step()
    for a, b in zip(stepped.history, halved.history, strict=True):
        assert a.mixture == b.mixture and a.log_likelihood == b.log_likelihood


def test_reset_starts_the_history_again_from_the_start_on_the_current_data():
    model = converged_model()
    start = model.start
    model.set_data(blobs()[:-1])
    model.reset()
    assert model.state is FitState.INITIALISING and model.history == ()
    assert model.mixture is start and model.iteration == 0
    snapshot = model.step()
    assert snapshot.iteration == 0 and snapshot.mixture == start and snapshot.n_samples == 119
    assert model.state is FitState.READY and model.start is start


def test_locks_reach_the_run_and_errors_leave_the_data_alone():
    model = FitModel(blobs(), SETTINGS)
    model.step()
    model.set_locks(Locks.none(3).with_lock(0, "mean"))
    for _ in range(3):
        model.step()
    assert np.array_equal(model.mixture.means[0], model.start.means[0])
    with pytest.raises(FitError, match="locks are for 2"):
        model.set_locks(Locks.none(2))

    points = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [2.0, 7.0]]), 10, axis=0)
    bad = FitModel(points, FitSettings(n_components=4, reg_covar=0.0, seed=0))
    with pytest.raises(FitError):
        bad.run_to_convergence()
    assert bad.state is FitState.ERROR and bad.message
    np.testing.assert_array_equal(bad.data, points)


def test_dragged_parameters_start_a_new_segment():
    model = FitModel(blobs(), SETTINGS)
    model.step(), model.step()
    moved = model.mixture
    means = moved.means.copy()
    means[0] += 1.0
    from gmm_studio.core import Mixture

    dragged = Mixture(moved.weights, means, moved.covariances, moved.covariance_type)
    model.set_parameters(dragged)
    assert model.mixture is dragged and model.events[-1].kind is EventKind.PARAMETERS_DRAGGED
    snapshot = model.step()
    assert snapshot.mixture == dragged and snapshot.iteration == 1
    assert len(model.segments()) == 2


def test_restoring_a_saved_fit_checks_that_the_parts_fit():
    model = converged_model()
    again = FitModel.restore_saved(
        model.data, model.settings, start=model.start, history=model.history,
        events=model.events, state=FitState.CONVERGED,
    )  # fmt: skip
    assert again.state is FitState.CONVERGED and again.history == model.history
    with pytest.raises(FitError):
        again.step()  # converged: nothing left to do until something changes
    again.reset()
    assert again.step().mixture == model.start
    with pytest.raises(FitError, match="components"):
        FitModel.restore_saved(
            model.data, SETTINGS.replace(n_components=2), start=model.start,
            history=model.history,
        )  # fmt: skip
    with pytest.raises(FitError, match="start"):
        FitModel.restore_saved(model.data, model.settings, start=None, history=model.history)
    with pytest.raises(FitError, match="not in the history"):
        FitModel.restore_saved(
            model.data, model.settings, start=model.start, history=model.history, position=99
        )
    running = FitModel.restore_saved(
        model.data, model.settings, start=model.start, history=model.history[:3],
        state=FitState.RUNNING,
    )  # fmt: skip
    assert running.state is FitState.PAUSED  # nothing runs by itself after opening
