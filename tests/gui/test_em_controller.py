"""The EM controller and its worker thread on their own, without a window."""

import numpy as np
import pytest

from gmm_studio.core import FitSettings, fit
from gmm_studio.gui.em_worker import EMController

from ..conftest import running_qthreads
from .conftest import blobs


@pytest.fixture
def controller(qtbot):
    c = EMController()
    yield c
    c.shutdown()


def test_frames_are_throttled_but_the_whole_history_and_the_final_state_arrive(qtbot, controller):
    X = blobs(n_per=300)
    settings = FitSettings(n_components=3, init="random-points", seed=2, tol=1e-10)
    frames = []
    controller.frameReady.connect(frames.append)
    with qtbot.waitSignal(controller.jobFinished, timeout=30_000) as blocker:
        controller.start(X, settings)
    assert blocker.args == ["converged"]
    expected = fit(X, **settings.fit_kwargs())
    history = [ll for frame in frames for _, ll in frame.history]
    iterations = [it for frame in frames for it, _ in frame.history]
    assert iterations == list(range(expected.n_iter + 1))  # no iteration lost
    np.testing.assert_allclose(history, expected.log_likelihood_trace)
    assert len(frames) <= expected.n_iter + 1
    last = frames[-1]
    assert last.iteration == expected.n_iter and last.snapshot.converged
    np.testing.assert_allclose(last.snapshot.mixture.means, expected.means)
    assert last.responsibilities.shape == (len(X), 3)


def test_a_paused_job_runs_one_iteration_per_step(qtbot, controller):
    X = blobs()
    settings = FitSettings(n_components=3, init="random-points", seed=4)
    with qtbot.waitSignal(controller.frameReady, timeout=10_000) as first:
        controller.start(X, settings, paused=True)
    assert first.args[0].iteration == 0 and first.args[0].initial
    for expected in (1, 2):
        with qtbot.waitSignal(controller.frameReady, timeout=10_000) as blocker:
            controller.step()
        assert blocker.args[0].iteration == expected
        qtbot.waitUntil(controller.is_idle_waiting)


def test_an_error_arrives_as_a_readable_signal(qtbot, controller):
    X = np.zeros((5, 2))
    with qtbot.waitSignal(controller.jobFailed, timeout=10_000) as blocker:
        controller.start(X, FitSettings(n_components=8))
    assert "8" in blocker.args[0] and "Traceback" not in blocker.args[0]
    assert not controller.active


def test_the_thread_leak_check_sees_a_controller_that_was_not_shut_down(qtbot):
    c = EMController()
    assert c.thread in running_qthreads()
    assert c.shutdown()
    assert c.thread not in running_qthreads()
    assert c.shutdown()  # twice is fine
