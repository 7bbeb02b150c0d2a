"""The history scrubber in the real window: rewind, what is shown, branching, undo and redo."""

import numpy as np
from PySide6.QtCore import Qt

from gmm_studio.core.point_colors import blended_colors
from gmm_studio.gui.palette import component_colors
from gmm_studio.model import FitState

from .conftest import blobs, document_of


def converge(qtbot, window):
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert window.fit.state is FitState.CONVERGED


def test_the_scrubber_shows_the_stored_snapshot(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    converge(qtbot, window)
    fit, bar = window.fit, window.history_bar
    n = len(fit.history)
    assert n > 4 and bar.slider.isEnabled() and bar.slider.maximum() == n - 1
    assert bar.slider.value() == n - 1

    bar.slider.setValue(2)  # as a drag of the slider does
    assert fit.position == 2 and fit.state is FitState.PAUSED
    entry = fit.history[2]
    np.testing.assert_array_equal(
        window.canvas.components.drawn_means(), entry.mixture.means[:, :2]
    )
    assert window.status_labels["iteration"].text() == "iteration 2"
    assert window.status_labels["ll"].text() == f"log-likelihood {entry.log_likelihood:.6g}"
    x, y = bar.position_ring.getData()
    assert list(x) == [entry.iteration] and list(y) == [entry.log_likelihood]
    assert bar.label.text() == f"iteration 2 / {fit.history[-1].iteration}"
    # The points take the colours of that iteration (computed by the worker).
    expected, _labels = blended_colors(fit.data, entry.mixture, component_colors(3))
    qtbot.waitUntil(lambda: np.array_equal(window.canvas.points.colors, expected))
    # The curve keeps the whole history.
    _x, curve = window.ll_plot.curve.getData()
    assert len(curve) == n

    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    assert fit.position == 1
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert fit.position == 3 and bar.slider.value() == 3


def test_stepping_from_an_earlier_iteration_branches_and_undo_restores(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    converge(qtbot, window)
    fit = window.fit
    full = fit.history
    window.history_bar.slider.setValue(3)
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_N)
    window.controller._poll()
    assert len(fit.history) == 5 and fit.at_end  # entries 0..3, then the new iteration 4
    assert fit.history[:4] == full[:4]
    np.testing.assert_allclose(fit.history[4].log_likelihood, full[4].log_likelihood)
    assert window.history_bar.slider.maximum() == 4

    stack = window.document.undo_stack
    assert stack.undoText() == "Continue from iteration 3"
    window.undo_action.trigger()
    assert len(fit.history) == len(full) and fit.history[-1] is full[-1]
    assert window.history_bar.slider.maximum() == len(full) - 1
    assert fit.state is FitState.CONVERGED
    window.redo_action.trigger()  # the branch again, with the iteration computed after it
    assert len(fit.history) == 5 and fit.position == 4
    assert fit.history[:4] == full[:4] and fit.history[4] is not full[4]
    np.testing.assert_allclose(fit.history[4].log_likelihood, full[4].log_likelihood)


def test_running_from_an_earlier_iteration_branches(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    converge(qtbot, window)
    fit = window.fit
    n = len(fit.history)
    window.history_bar.slider.setValue(1)
    assert not window.fit.at_end
    converge(qtbot, window)
    assert len(fit.history) == n  # the same EM from iteration 1 reaches the same end
    assert window.document.undo_stack.undoText() == "Continue from iteration 1"


def test_setting_changes_are_marked_on_the_curve(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        window.step_action.trigger()
    window.document.set_settings(window.fit.settings.replace(tol=1e-3))
    (marker,) = window.ll_plot.markers
    assert marker.value() == 1 and "settings changed" in marker.toolTip()
