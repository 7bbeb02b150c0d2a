"""E-step and M-step as separate actions in the real window, and Split steps."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gmm_studio.core import EMRun, Phase
from gmm_studio.model import FitState

from .conftest import blobs, document_of


def half_step(qtbot, window, key):
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        qtbot.keyClick(window, key)
    window.controller._poll()


def status_text(window) -> str:
    return " ".join(label.text() for label in window.status_labels.values())


def test_e_and_m_keys_do_the_halves_of_a_full_iteration(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    fit = window.fit
    start = fit.mixture
    oracle = EMRun(fit.data, fit.settings, start)
    oracle.expectation()
    moved = oracle.maximization()
    evaluated = oracle.expectation()

    assert fit.next_phase is Phase.MAXIMIZATION and "M-step next" in status_text(window)
    assert not window.e_step_action.isEnabled() and window.m_step_action.isEnabled()
    colors = window.canvas.points.colors.copy()
    means = window.canvas.components.drawn_means().copy()

    half_step(qtbot, window, Qt.Key.Key_M)  # the ellipses move, the colours stay
    np.testing.assert_allclose(fit.mixture.means, moved.mixture.means, rtol=1e-12)
    np.testing.assert_allclose(fit.mixture.covariances, moved.mixture.covariances, rtol=1e-12)
    assert not np.allclose(window.canvas.components.drawn_means(), means)
    np.testing.assert_array_equal(window.canvas.points.colors, colors)
    assert "E-step next" in status_text(window) and fit.state is FitState.PAUSED
    assert window.e_step_action.isEnabled() and not window.m_step_action.isEnabled()

    means = window.canvas.components.drawn_means().copy()
    half_step(qtbot, window, Qt.Key.Key_E)  # the colours change, the ellipses stay
    np.testing.assert_array_equal(window.canvas.components.drawn_means(), means)
    assert not np.array_equal(window.canvas.points.colors, colors)
    assert fit.iteration == 1 and fit.history[-1].iteration == 1
    np.testing.assert_allclose(fit.history[-1].log_likelihood, evaluated.log_likelihood, rtol=1e-12)
    assert "M-step next" in status_text(window)


def test_split_steps_make_step_and_run_alternate_the_halves(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    fit = window.fit
    window.split_action.trigger()
    assert window.split_action.isChecked()
    half_step(qtbot, window, Qt.Key.Key_N)
    assert fit.next_phase is Phase.EXPECTATION and fit.iteration == 1
    assert len(fit.history) == 1  # the M-step's parameters are not evaluated yet
    half_step(qtbot, window, Qt.Key.Key_N)
    assert fit.next_phase is Phase.MAXIMIZATION and len(fit.history) == 2

    window.panel.set_speed_position(12)  # about 5 steps per second: every half gets a frame
    seen = []
    window.controller.frameReady.connect(lambda frame: seen.append(frame.snapshot.evaluated))
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert fit.state is FitState.CONVERGED
    assert False in seen and True in seen  # frames of M-steps and of E-steps
    whole = EMRun(fit.data, fit.settings, fit.start)
    last = [s for s in whole.snapshots()][-1]
    assert fit.iteration == last.iteration
    np.testing.assert_allclose(fit.mixture.means, last.mixture.means, rtol=1e-9)


def test_e_is_typed_into_a_field_as_a_letter(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    half_step(qtbot, window, Qt.Key.Key_M)
    assert window.e_step_action.isEnabled()
    tol = window.panel.tol
    tol.setFocus()
    qtbot.waitUntil(tol.hasFocus)
    tol.selectAll()
    qtbot.keyClicks(tol, "1")
    QApplication.processEvents()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_E)  # as the keyboard delivers it
    qtbot.keyClicks(tol, "-3")
    assert tol.text() == "1e-3" and window.fit.next_phase is Phase.EXPECTATION
    qtbot.keyClick(tol, Qt.Key.Key_Return)
    assert window.document.settings.tol == 1e-3
    assert QApplication.focusWidget() is window.canvas
