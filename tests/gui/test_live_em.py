"""EM in the real window: run, pause, step, stop, reset, live edits, errors, closing."""

import subprocess
import sys

import numpy as np
from PySide6.QtCore import Qt

from gmm_studio.core import ellipse_points, em_steps, fit
from gmm_studio.gui.component_layer import ELLIPSE_SEGMENTS

from .conftest import blobs, document_of, pixel_of

SLOW = 12  # speed slider position: about 5 iterations per second


def wait_finished(qtbot, window, timeout=30_000):
    with qtbot.waitSignal(window.controller.jobFinished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def test_run_to_convergence_draws_the_engines_fit(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert blocker.args == ["converged"]
    assert window.state == "converged"
    doc = window.document
    expected = fit(doc.points, **doc.settings.fit_kwargs())
    assert doc.iteration == expected.n_iter
    np.testing.assert_allclose(doc.mixture.means, expected.means)
    np.testing.assert_allclose(window.canvas.components.drawn_means(), expected.means[:, :2])
    covs = expected.mixture.full_covariances()
    for k, drawn in enumerate(window.canvas.components.drawn_ellipses()):
        parts = []
        for r in (1.0, 2.0, 3.0):
            parts += [ellipse_points(expected.means[k], covs[k], r, n=ELLIPSE_SEGMENTS)]
            parts += [np.full((1, 2), np.nan)]
        np.testing.assert_allclose(drawn, np.vstack(parts[:-1]), equal_nan=True, atol=1e-9)
    np.testing.assert_allclose(doc.log_likelihood_history, expected.log_likelihood_trace)
    _x, y = window.ll_plot.curve.getData()
    np.testing.assert_allclose(y, expected.log_likelihood_trace)
    status = " ".join(label.text() for label in window.status_labels.values())
    assert "N = 120" in status and "K = 3" in status and "converged" in status
    assert f"iteration {expected.n_iter}" in status
    assert not window.run_action.isEnabled() and not window.step_action.isEnabled()
    # Points are coloured by their responsibilities.
    colors = window.canvas.points.colors
    assert len(np.unique(colors, axis=0)) > 3


def test_step_advances_exactly_one_iteration(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    assert window.document.iteration == 0
    for expected in (1, 2, 3):
        with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
            window.step_action.trigger()
        qtbot.waitUntil(window.controller.is_idle_waiting)
        window.controller._poll()  # nothing more arrives while paused
        assert window.document.iteration == expected
        assert len(window.document.log_likelihood_history) == expected + 1
        assert window.state == "paused"


def test_pause_and_resume(qtbot, make_window):
    window = make_window(
        document_of(blobs(), n_components=3, init="random-points", seed=4), speed=SLOW
    )
    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        window.run_action.trigger()
    assert window.state == "running" and window.run_action.text() == "Pause"
    window.run_action.trigger()
    assert window.state == "paused" and window.run_action.text() == "Run"
    qtbot.waitUntil(window.controller.is_idle_waiting)
    window.controller._poll()
    paused_at = window.document.iteration
    window.controller._poll()
    assert window.document.iteration == paused_at
    window.panel.set_speed_position(40)
    window.run_action.trigger()
    assert wait_finished(qtbot, window) == "converged"
    assert window.document.iteration > paused_at


def test_stop_then_run_continues_and_reset_returns_to_the_start(qtbot, make_window):
    window = make_window(
        document_of(blobs(), n_components=3, init="random-points", seed=4), speed=SLOW
    )
    initial = window.document.initial_mixture
    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        window.run_action.trigger()
    with qtbot.waitSignal(window.controller.jobFinished, timeout=10_000) as blocker:
        window.stop_action.trigger()
    assert blocker.args == ["stopped"] and window.state == "stopped"
    stopped_at = window.document.iteration
    assert stopped_at >= 1
    window.panel.set_speed_position(40)
    window.run_action.trigger()
    assert wait_finished(qtbot, window) == "converged"
    assert window.document.iteration > stopped_at
    history = window.document.log_likelihood_history
    assert len(history) == window.document.iteration + 1
    assert np.all(np.diff(history) > -1e-9)
    assert window.reset_action.isEnabled()
    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.state == "ready")
    assert window.document.iteration == 0
    assert len(window.document.log_likelihood_history) == 1
    np.testing.assert_allclose(window.document.mixture.means, initial.means)


def test_adding_points_while_running_restarts_from_the_current_parameters(qtbot, make_window):
    window = make_window(
        document_of(blobs(), n_components=3, init="random-points", seed=4), speed=SLOW
    )
    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        window.run_action.trigger()
    qtbot.waitUntil(lambda: window.document.iteration >= 1)
    before = window.document.iteration
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(window, 3, 2)
    )
    assert window.document.n_points == 121
    assert window.state == "running"
    qtbot.waitUntil(lambda: window.canvas.points.colors.shape[0] == 121)
    window.panel.set_speed_position(40)
    assert wait_finished(qtbot, window) == "converged"
    # Iterations kept counting from where the edit happened; the fit is on the new data.
    assert window.document.iteration > before
    # The result is an EM fixed point on the edited data: one more step barely moves it.
    m = window.document.mixture
    steps = list(
        em_steps(
            window.document.points, 3, weights_init=m.weights, means_init=m.means,
            covariances_init=m.covariances, tol=1e-5, max_iter=3,
        )
    )  # fmt: skip
    assert steps[1].converged


def test_changing_n_components_resets_cleanly(qtbot, window):
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000):
        window.run_action.trigger()
    window.panel.n_components.setValue(4)
    qtbot.waitUntil(lambda: window.state == "ready")
    doc = window.document
    assert doc.settings.n_components == 4 and doc.mixture.n_components == 4
    assert doc.iteration == 0 and len(doc.log_likelihood_history) == 1
    assert len(window.canvas.components.curves) == 4
    window.panel.covariance_type.setCurrentText("diag")
    qtbot.waitUntil(lambda: window.state == "ready" and doc.mixture.covariance_type == "diag")
    assert window.run_action.isEnabled() and window.step_action.isEnabled()


def test_new_initialisation_draws_a_new_start(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    first = window.document.initial_mixture
    window.panel.new_init.click()
    qtbot.waitUntil(lambda: window.state == "ready")
    assert window.document.settings.seed == 5
    assert not np.allclose(window.document.initial_mixture.means, first.means)


def test_start_and_stop_200_times(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, tol=0.0, max_iter=100_000))
    thread = window.controller.thread
    for _ in range(200):
        window.run_action.trigger()
        with qtbot.waitSignal(window.controller.jobFinished, timeout=10_000) as blocker:
            window.stop_action.trigger()
        assert blocker.args == ["stopped"]
    assert window.controller.thread is thread and thread.isRunning()
    assert window.state == "stopped"
    assert len(window.document.log_likelihood_history) == window.document.iteration + 1
    window.close()
    assert thread.isFinished()


def test_closing_while_running_stops_the_thread(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, tol=0.0, max_iter=100_000))
    thread = window.controller.thread
    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        window.run_action.trigger()
    window.close()
    assert thread.isFinished()


def test_closing_during_a_run_exits_cleanly_with_code_0(tmp_path):
    script = (
        "import numpy as np\n"
        "from PySide6.QtCore import QTimer\n"
        "from gmm_studio.gui.app import create_main_window, ensure_application\n"
        "app = ensure_application()\n"
        "w = create_main_window()\n"
        "w.apply_settings(w.document.settings.replace(tol=0.0, max_iter=10**6))\n"
        "w.show()\n"
        "QTimer.singleShot(300, w.run_or_pause)\n"
        "QTimer.singleShot(900, w.close)\n"
        "QTimer.singleShot(950, app.quit)\n"
        "raise SystemExit(app.exec())\n"
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "QThread" not in result.stderr and "Destroyed" not in result.stderr


def test_an_em_error_is_shown_and_no_point_is_lost(qtbot, make_window):
    points = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [2.0, 7.0]]), 10, axis=0)
    window = make_window(document_of(points, n_components=4, reg_covar=0.0), wait_ready=False)
    qtbot.waitUntil(lambda: window.state in ("ready", "error"))
    if window.state == "ready":  # the start was fine; the first iterations fail
        with qtbot.waitSignal(window.controller.jobFailed, timeout=10_000):
            window.run_action.trigger()
    message = window.error_message
    assert message and "Traceback" not in message
    assert window.state == "error"
    assert window.message_label.text() == message
    np.testing.assert_array_equal(window.document.points, points)
    # The window keeps working: a positive reg_covar fits the same data.
    window.panel.reg_covar.setText("1e-3")
    window.panel.reg_covar.editingFinished.emit()
    window.new_initialisation()
    qtbot.waitUntil(lambda: window.state == "ready")
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000):
        window.run_action.trigger()
    assert window.state == "converged" and window.message_label.text() == ""


def test_title_marks_unsaved_changes(qtbot, window):
    assert window.windowTitle() == "seed_example.csv — GMM Studio"
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(window, 1, 1)
    )
    assert window.windowTitle() == "seed_example.csv* — GMM Studio"
    window.document.undo_stack.undo()
    assert window.windowTitle() == "seed_example.csv — GMM Studio"
    window.panel.tol.setText("1e-4")
    window.panel.tol.editingFinished.emit()
    assert window.document.settings.tol == 1e-4
    assert window.windowTitle() == "seed_example.csv* — GMM Studio"


def test_hard_labels_use_one_component_color_per_point(qtbot, window):
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000):
        window.run_action.trigger()
    blended = window.canvas.points.colors.copy()
    window.hard_labels_action.trigger()
    assert window.panel.hard_labels.isChecked()
    hard = window.canvas.points.colors
    from gmm_studio.gui.palette import component_colors

    palette = {tuple(c) for c in component_colors(3)}
    assert {tuple(c) for c in hard} <= palette
    assert not np.array_equal(blended, hard)


def test_run_pressed_while_the_start_is_drawn_runs_once_it_is_ready(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, seed=4), wait_ready=False)
    assert window.state == "initialising"  # the start's first frame has not been drawn yet
    assert window.run_action.isEnabled()
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000) as blocker:
        window.run_action.trigger()  # the toolbar's Run
    assert blocker.args == ["converged"]
    assert window.document.iteration > 0
