"""The fit model in the real window: edits after convergence and during a run, the curve and
the status bar after edits, Stop then Run, Reset after reopening, rewinding with undo."""

import time

import numpy as np
from PySide6.QtCore import QPointF, Qt

from gmm_studio.gui.em_worker import Halt
from gmm_studio.model import FitState

from .conftest import blobs, document_of, pixel_of


def click(qtbot, window, x, y):
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(window, x, y)
    )


def run_until_halted(qtbot, window, timeout=30_000):
    with qtbot.waitSignal(window.controller.halted, timeout=timeout) as blocker:
        window.run_action.trigger()
    return blocker.args[0]


def finite_runs(y):
    """The pieces of ``y`` between NaN breaks."""
    runs, current = [], []
    for value in y:
        if np.isnan(value):
            runs.append(current)
            current = []
        else:
            current.append(value)
    return [*runs, current]


def test_an_edit_after_convergence_continues_em_and_the_curve_marks_it(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    assert run_until_halted(qtbot, window) is Halt.CONVERGED
    converged_at = window.document.iteration
    n_before = len(window.fit.history)
    with qtbot.waitSignal(window.controller.halted, timeout=30_000) as blocker:
        click(qtbot, window, 3, 2)
        # What a user expects: EM goes on from the current parameters on the new data.
        assert window.fit.state is FitState.RUNNING and window.run_action.text() == "Pause"
    assert blocker.args == [Halt.CONVERGED] and window.fit.state is FitState.CONVERGED
    fit = window.fit
    assert window.document.iteration > converged_at
    refreshed = fit.history[n_before]
    assert refreshed.iteration == converged_at and refreshed.n_samples == 121
    assert fit.history[-1].n_samples == 121
    # The curve: a break where the data changed (no line joins the two data sets, so no
    # dip appears), a marker at that iteration, and it ends where the status bar says.
    _x, y = window.ll_plot.curve.getData()
    before, after = finite_runs(y)
    assert len(before) == n_before and all(np.diff(before) > -1e-9)
    assert all(np.diff(after) > -1e-9)
    (marker,) = window.ll_plot.markers
    assert marker.value() == converged_at and "points added" in marker.toolTip()
    last = fit.evaluated.log_likelihood
    assert after[-1] == last
    assert window.status_labels["ll"].text() == f"log-likelihood {last:.6g}"
    assert window.status_labels["k"].text() == "K = 3"


def test_a_paused_fit_waits_after_an_edit_but_shows_the_new_likelihood(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    for _ in range(3):
        with qtbot.waitSignal(window.controller.halted, timeout=10_000):
            window.step_action.trigger()
    assert window.fit.state is FitState.PAUSED and window.document.iteration == 3
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        click(qtbot, window, 3, 2)
    fit = window.fit
    assert fit.state is FitState.PAUSED and window.document.iteration == 3
    assert len(fit.history) == 5 and fit.history[-1].n_samples == 121
    assert window.status_labels["ll"].text() == f"log-likelihood {fit.evaluated.log_likelihood:.6g}"


def test_edits_during_a_run_keep_to_the_speed_setting(qtbot, make_window):
    window = make_window(
        document_of(blobs(), n_components=3, init="random-points", seed=4, tol=0.0), speed=0
    )  # one iteration per second
    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        window.run_action.trigger()
    qtbot.waitUntil(lambda: window.document.iteration >= 1, timeout=10_000)
    start, started = window.document.iteration, time.monotonic()
    for i in range(5):
        click(qtbot, window, 3 + 0.1 * i, 2)
        qtbot.wait(150)
    elapsed = time.monotonic() - started
    assert window.document.n_points == 125 and window.fit.state is FitState.RUNNING
    # Each edit is re-evaluated at once, but iterations still come at most once a second.
    assert window.document.iteration - start <= elapsed * 1.0 + 1
    assert len(window.fit.events) == 5


def test_run_right_after_stop_while_an_iteration_computes_runs(qtbot, make_window):
    rng = np.random.default_rng(0)
    points = np.vstack([c + rng.standard_normal((100_000, 2)) for c in ([0, 0], [6, 0], [3, 5])])
    window = make_window(document_of(points, n_components=4, init="random-points", seed=0, tol=0.0))
    with qtbot.waitSignal(window.controller.frameReady, timeout=30_000):
        window.run_action.trigger()
    window.stop_action.trigger()
    window.run_action.trigger()  # while the worker is still inside an iteration
    assert window.fit.state is FitState.RUNNING and window.run_action.text() == "Pause"
    before = window.document.iteration
    qtbot.waitUntil(lambda: window.document.iteration >= before + 2, timeout=60_000)
    assert window.fit.state is FitState.RUNNING
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.stop_action.trigger()
    assert window.fit.state is FitState.STOPPED


def test_clicking_an_earlier_iteration_rewinds_and_stepping_from_it_is_undoable(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    assert run_until_halted(qtbot, window) is Halt.CONVERGED
    full = window.fit.history
    plot = window.ll_plot
    vb = plot.getPlotItem().vb
    vb.prepareForPaint()  # the range set by the last frame, as the user sees it once painted
    scene = vb.mapViewToScene(QPointF(2.0, full[2].log_likelihood))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(scene))
    assert window.document.iteration == 2 and window.fit.state is FitState.PAUSED
    np.testing.assert_array_equal(window.canvas.components.drawn_means(), full[2].mixture.means)
    assert window.fit.history == full  # nothing dropped by looking back
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        window.step_action.trigger()
    assert len(window.fit.history) == 4 and window.document.iteration == 3
    np.testing.assert_array_equal(window.fit.history[3].mixture.means, full[3].mixture.means)
    assert window.undo_action.toolTip().startswith("Undo Continue from iteration 2")
    window.undo_action.trigger()
    assert window.fit.history == full and window.fit.state is FitState.CONVERGED
