"""A component's context menu on the real canvas: locks, remove, split, merge, re-seed."""

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction

from gmm_studio.core.component_edits import merged
from gmm_studio.model import FitState

from .conftest import blobs, document_of, pixel_of, send_mouse

RIGHT = Qt.MouseButton.RightButton


def open_menu(qtbot, window, k):
    viewport = window.canvas.viewport()
    pixel = pixel_of(window, *window.fit.mixture.means[k, :2])
    send_mouse(viewport, QEvent.Type.MouseButtonPress, pixel, RIGHT, RIGHT)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, pixel, RIGHT, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: window.component_menu.menu is not None)
    menu = window.component_menu.menu
    assert menu.title() == f"Component {k + 1}"
    return menu


def choose(menu, name):
    action = menu.findChild(QAction, name)
    assert action is not None and action.isEnabled(), name
    action.trigger()
    menu.close()


def step(qtbot, window):
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        window.step_action.trigger()


def test_a_locked_mean_is_unchanged_after_50_iterations(qtbot, make_window):
    doc = document_of(blobs(), n_components=3, init="random-points", seed=4, tol=1e-300)
    window = make_window(doc)
    fit = window.fit
    n_points = window.document.n_points
    menu = open_menu(qtbot, window, 1)
    assert window.document.n_points == n_points  # the right click removed no point
    choose(menu, "lock-mean")
    choose(open_menu(qtbot, window, 2), "lock-covariance")
    assert fit.locks.mean == (False, True, False)
    assert fit.locks.covariance == (False, False, True)
    locked_mean = fit.mixture.means[1].copy()
    locked_cov = fit.mixture.covariances[2].copy()
    # Drawn as locked: a square on the locked mean, dashed rings for the locked covariance.
    layer = window.canvas.components
    x, y = layer.lock_marks.getData()
    np.testing.assert_array_equal(np.column_stack([x, y]), [locked_mean[:2]])
    assert layer.curves[2].opts["pen"].style() == Qt.PenStyle.DashLine
    assert layer.curves[0].opts["pen"].style() == Qt.PenStyle.SolidLine

    for _ in range(50):
        step(qtbot, window)
    window.controller._poll()
    assert fit.iteration == 50
    assert fit.mixture.means[1].tobytes() == locked_mean.tobytes()
    assert fit.mixture.covariances[2].tobytes() == locked_cov.tobytes()
    assert not np.array_equal(fit.mixture.means[0], fit.history[0].mixture.means[0])
    assert open_menu(qtbot, window, 1).findChild(QAction, "lock-mean").isChecked()


def test_split_and_remove_change_k_and_undo_restores(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    fit = window.fit
    before = fit.mixture
    n_history = len(fit.history)
    choose(open_menu(qtbot, window, 0), "split")
    qtbot.waitUntil(lambda: fit.state is FitState.READY)
    assert fit.settings.n_components == 4 and window.panel.n_components.value() == 4
    halves = fit.mixture.means[[0, 3]]  # the first in the component's place, then the last
    np.testing.assert_array_equal(fit.mixture.means[1:3], before.means[1:])
    np.testing.assert_allclose(halves.mean(axis=0), before.means[0])
    values, vectors = np.linalg.eigh(before.covariances[0])
    along = (halves[1] - halves[0]) / 2
    np.testing.assert_allclose(np.abs(along @ vectors[:, -1]), np.sqrt(values[-1]))
    np.testing.assert_allclose(fit.mixture.weights[[0, 3]], [before.weights[0] / 2] * 2)
    np.testing.assert_allclose(fit.mixture.weights.sum(), 1.0)

    window.undo_action.trigger()
    assert fit.settings.n_components == 3 and len(fit.history) == n_history
    np.testing.assert_array_equal(fit.mixture.means, before.means)

    choose(open_menu(qtbot, window, 1), "remove")
    qtbot.waitUntil(lambda: fit.state is FitState.READY)
    assert fit.settings.n_components == 2
    np.testing.assert_array_equal(fit.mixture.means, before.means[[0, 2]])
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert fit.state is FitState.CONVERGED


def test_reseed_moves_the_mean_to_the_worst_fitted_point(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    fit = window.fit
    before = fit.mixture
    worst = window.document.points[np.argmin(before.score_samples(window.document.points))]
    choose(open_menu(qtbot, window, 0), "reseed")
    np.testing.assert_array_equal(fit.mixture.means[0], worst)
    np.testing.assert_array_equal(fit.mixture.means[1:], before.means[1:])
    window.undo_action.trigger()
    np.testing.assert_array_equal(fit.mixture.means, before.means)


def test_merge_with_another_component_from_the_menu(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    fit = window.fit
    before = fit.mixture
    menu = open_menu(qtbot, window, 1)
    merge = menu.findChild(QAction, "merge").menu()
    assert [a.text() for a in merge.actions()] == ["Component 1", "Component 3"]
    choose(merge, "merge-0")
    menu.close()
    qtbot.waitUntil(lambda: fit.state is FitState.READY)
    assert fit.settings.n_components == 2
    np.testing.assert_allclose(fit.start.means, merged(before, 1, 0).means)
    (event,) = fit.events
    assert event.description == "merge component 2 into 1"
    window.undo_action.trigger()
    assert fit.settings.n_components == 3
    np.testing.assert_array_equal(fit.mixture.means, before.means)
