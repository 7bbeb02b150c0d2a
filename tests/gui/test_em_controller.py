"""The EM controller and its worker thread on their own, without a window."""

import sys

import numpy as np
import pytest

from gmm_studio.core import EMRun, FitSettings, fit
from gmm_studio.gui.em_worker import SWITCH_INTERVAL_S, EMController, Halt
from gmm_studio.gui.palette import component_colors

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
    with qtbot.waitSignal(controller.halted, timeout=30_000) as blocker:
        controller.drive(EMRun(X, settings), component_colors(3))
        controller.run()
    assert blocker.args == [Halt.CONVERGED]
    expected = fit(X, **settings.fit_kwargs())
    snapshots = [s for frame in frames for s in frame.snapshots]
    assert [s.iteration for s in snapshots] == list(range(expected.n_iter + 1))  # none lost
    np.testing.assert_allclose([s.log_likelihood for s in snapshots], expected.log_likelihood_trace)
    assert len(frames) <= expected.n_iter + 1
    last = frames[-1]
    assert last.snapshot.iteration == expected.n_iter and last.snapshot.converged
    np.testing.assert_allclose(last.snapshot.mixture.means, expected.means)
    assert last.colors.shape == (len(X), 3) and last.colors.dtype == np.uint8
    assert last.labels.shape == (len(X),) and last.labels.dtype == np.uint8


def test_a_paused_run_is_evaluated_then_runs_one_iteration_or_half_per_step(qtbot, controller):
    X = blobs()
    settings = FitSettings(n_components=3, init="random-points", seed=4)
    with qtbot.waitSignal(controller.frameReady, timeout=10_000) as first:
        controller.drive(EMRun(X, settings))  # paused: only the start is evaluated
    assert first.args[0].snapshot.iteration == 0 and first.args[0].snapshot.evaluated
    for expected in (1, 2):
        with qtbot.waitSignal(controller.frameReady, timeout=10_000) as blocker:
            controller.step()
        assert blocker.args[0].snapshot.iteration == expected
        qtbot.waitUntil(controller.is_idle_waiting)
    with qtbot.waitSignal(controller.frameReady, timeout=10_000) as blocker:
        controller.step(half=True)
    m_step = blocker.args[0].snapshot
    assert m_step.iteration == 3 and not m_step.evaluated
    with qtbot.waitSignal(controller.frameReady, timeout=10_000) as blocker:
        controller.step(half=True)
    assert blocker.args[0].snapshot.iteration == 3 and blocker.args[0].snapshot.evaluated


def test_a_new_run_replaces_the_old_one_and_old_frames_are_dropped(qtbot, controller):
    X = blobs()
    settings = FitSettings(n_components=3, init="random-points", seed=4, tol=0.0)
    frames = []
    controller.frameReady.connect(frames.append)
    controller.drive(EMRun(X, settings))
    controller.run()
    qtbot.waitUntil(lambda: len(frames) >= 2)
    generation = controller.drive(EMRun(X[:60], settings.replace(max_iter=3)))
    with qtbot.waitSignal(controller.halted, timeout=10_000) as blocker:
        pass
    assert blocker.args == [Halt.MAX_ITER]
    newer = [f for f in frames if f.generation == generation]
    assert [s.iteration for f in newer for s in f.snapshots] == [0, 1, 2, 3]
    assert all(s.n_samples == 60 for f in newer for s in f.snapshots)


def test_an_error_arrives_as_a_readable_signal(qtbot, controller):
    X = np.zeros((5, 2))  # every point the same: no covariance without reg_covar
    with qtbot.waitSignal(controller.failed, timeout=10_000) as blocker:
        controller.drive(EMRun(X, FitSettings(n_components=1, reg_covar=0.0)))
    assert "positive definite" in blocker.args[0] and "Traceback" not in blocker.args[0]
    # The worker dropped that run and waits for the next one.
    with qtbot.waitSignal(controller.halted, timeout=10_000) as blocker:
        controller.drive(EMRun(blobs(), FitSettings(n_components=2, max_iter=2)))
        controller.run()
    assert blocker.args == [Halt.MAX_ITER]


def test_the_thread_leak_check_sees_a_controller_that_was_not_shut_down(qtbot):
    c = EMController()
    assert c.thread in running_qthreads()
    assert c.shutdown()
    assert c.thread not in running_qthreads()
    assert c.shutdown()  # twice is fine


def test_a_controller_shortens_the_interpreters_thread_switch_interval(controller):
    # The worker gets the interpreter lock back between numpy calls within this interval.
    assert sys.getswitchinterval() <= SWITCH_INTERVAL_S


def test_a_running_fit_is_colored_by_the_pass_of_each_step_not_by_a_pass_of_its_own(
    qtbot, controller, monkeypatch
):
    from gmm_studio.core.point_colors import blended_colors
    from gmm_studio.gui import em_worker

    own_passes = []

    def counted(X, mixture, palette, **kwargs):
        own_passes.append(mixture)
        return blended_colors(X, mixture, palette, **kwargs)

    monkeypatch.setattr(em_worker, "blended_colors", counted)
    X = blobs(n_per=10_000)
    palette = component_colors(3)
    settings = FitSettings(n_components=3, init="random-points", seed=2, tol=0.0, max_iter=60)
    frames = []
    controller.frameReady.connect(frames.append)
    ended = lambda halt: halt is Halt.MAX_ITER  # noqa: E731  (not a pause before the run)
    with qtbot.waitSignal(controller.halted, timeout=30_000, check_params_cb=ended):
        controller.drive(EMRun(X, settings), palette)
        controller.run()
    running = [f for f in frames[1:-1] if f.colors is not None]
    assert running  # frames went out while EM ran, with colours
    for frame in running:
        expected, labels = blended_colors(X, frame.snapshot.mixture, palette)
        assert np.max(np.abs(frame.colors.astype(int) - expected)) <= 1  # the same blend
        assert np.mean(frame.labels == labels) > 0.999
    # Colour passes of their own: the start's evaluation and the final frame only.
    assert len(own_passes) == 2
    assert own_passes[-1] is frames[-1].snapshot.mixture
    # Colouring on the way leaves EM's results as they are, to the last bit.
    alone = EMRun(X, settings)
    while not alone.finished:
        last = alone.step()
    np.testing.assert_array_equal(frames[-1].snapshot.mixture.means, last.mixture.means)
    np.testing.assert_array_equal(frames[-1].snapshot.mixture.covariances, last.mixture.covariances)


def _shared_segments(nbytes: int) -> set[str]:
    """Names of this machine's shared memory segments of exactly ``nbytes`` (Linux)."""
    import pathlib

    return {p.name for p in pathlib.Path("/dev/shm").glob("psm_*") if p.stat().st_size == nbytes}


def _pass_processes():
    import multiprocessing

    return [p for p in multiprocessing.active_children() if p.name == "gmm-studio-passes"]


def _run_alone(X, settings, iteration):
    alone = EMRun(X, settings)
    while (last := alone.step()).iteration < iteration:
        pass
    return last


def _run_in_the_pass_process(qtbot, controller, X, settings, palette, then=None):
    """Run ``X`` until the child has taken its rows (a shared segment of their size appears),
    call ``then()``, let five more frames arrive and pause: (frames, how many came before
    ``then``, the halt)."""
    before = _shared_segments(X.nbytes)
    frames = []
    controller.frameReady.connect(frames.append)
    controller.drive(EMRun(X, settings), palette)
    controller.run()
    # Passes run in the worker thread until the child has started and mapped the rows.
    qtbot.waitUntil(lambda: bool(_shared_segments(X.nbytes) - before), timeout=60_000)
    if then is not None:
        then()
    shown = len(frames)
    qtbot.waitUntil(lambda: len(frames) >= shown + 5, timeout=60_000)
    with qtbot.waitSignal(controller.halted, timeout=30_000) as blocker:
        controller.pause()
    return frames, shown, blocker.args


def _assert_same_as_alone(frames, X, settings) -> None:
    """Every snapshot arrived, and the last is the run's own alone, to the last bit."""
    snapshots = [s for frame in frames for s in frame.snapshots]
    assert [s.iteration for s in snapshots] == list(range(snapshots[-1].iteration + 1))
    last = _run_alone(X, settings, snapshots[-1].iteration)
    assert snapshots[-1].log_likelihood == last.log_likelihood
    np.testing.assert_array_equal(snapshots[-1].mixture.means, last.mixture.means)
    np.testing.assert_array_equal(snapshots[-1].mixture.covariances, last.mixture.covariances)


def _assert_colored_from(frames, X, palette) -> None:
    from gmm_studio.core.point_colors import blended_colors

    colored = [frame for frame in frames if frame.colors is not None]
    assert colored
    for frame in colored:
        expected, labels = blended_colors(X, frame.snapshot.mixture, palette)
        assert np.max(np.abs(frame.colors.astype(int) - expected)) <= 1
        assert np.mean(frame.labels == labels) > 0.999


def test_a_big_run_steps_in_the_pass_process_with_the_same_results(qtbot, controller):
    from gmm_studio.core.pass_process import PROCESS_MIN_TERMS

    X = blobs(n_per=30_000, seed=3)
    X.flags.writeable = False
    assert len(X) * 3 >= PROCESS_MIN_TERMS
    before = _shared_segments(X.nbytes)
    palette = component_colors(3)
    settings = FitSettings(n_components=3, init="random-points", seed=2, tol=0.0, max_iter=10**6)
    frames, shown, _ = _run_in_the_pass_process(qtbot, controller, X, settings, palette)
    _assert_same_as_alone(frames, X, settings)
    _assert_colored_from(frames[shown:], X, palette)  # the child's blends
    assert _pass_processes()
    assert controller.shutdown()
    assert not _pass_processes()  # the child is stopped and its memory freed
    assert not _shared_segments(X.nbytes) - before


def test_a_run_goes_on_in_the_worker_thread_when_the_pass_process_dies(qtbot, controller):
    import os
    import signal

    X = blobs(n_per=31_000, seed=4)  # not the size of the other tests' rows
    X.flags.writeable = False
    before = _shared_segments(X.nbytes)
    settings = FitSettings(n_components=3, init="random-points", seed=5, tol=0.0, max_iter=10**6)

    def kill_the_child():
        (child,) = _pass_processes()
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)

    frames, _, halt = _run_in_the_pass_process(
        qtbot, controller, X, settings, component_colors(3), then=kill_the_child
    )
    assert halt == [Halt.PAUSED]  # no failure reported
    _assert_same_as_alone(frames, X, settings)
    assert not _shared_segments(X.nbytes) - before  # the lost child's memory is freed


def test_a_standardized_big_run_steps_in_the_pass_process_with_the_same_results(qtbot, controller):
    rng = np.random.default_rng(6)
    X = blobs(n_per=32_000, seed=6) * np.array([1000.0, 0.01]) + rng.normal(size=2)
    X.flags.writeable = False
    palette = component_colors(3)
    settings = FitSettings(
        n_components=3, init="random-points", seed=7, tol=0.0, max_iter=10**6, standardize=True
    )
    # The child holds the run's z-scores (a segment of the rows' size).
    frames, _, _ = _run_in_the_pass_process(qtbot, controller, X, settings, palette)
    _assert_same_as_alone(frames, X, settings)
    _assert_colored_from(frames, X, palette)  # the start's frame at least: the rows as given


def test_a_big_run_goes_on_in_the_worker_thread_when_its_child_cannot_start(qtbot, controller):
    import multiprocessing
    from multiprocessing import spawn

    X = blobs(n_per=33_000, seed=8)
    X.flags.writeable = False
    settings = FitSettings(n_components=3, init="random-points", seed=9, tol=0.0, max_iter=40)
    python = spawn.get_executable()
    multiprocessing.get_context("spawn").set_executable("/nonexistent/python3")  # exec fails
    try:
        frames = []
        controller.frameReady.connect(frames.append)
        with qtbot.waitSignal(controller.halted, timeout=60_000) as blocker:
            controller.drive(EMRun(X, settings), component_colors(3))
            controller.run()
    finally:
        multiprocessing.get_context("spawn").set_executable(python)
    assert blocker.args == [Halt.MAX_ITER]  # no failure: every pass ran in the worker thread
    assert not _pass_processes() and controller.pass_process_id is None
    _assert_same_as_alone(frames, X, settings)
