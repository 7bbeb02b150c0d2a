"""Dragging a component on the real canvas with real mouse events: its mean, the handles on
its axes, and one mean onto another to merge them."""

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication

from gmm_studio.core.component_edits import axis_ends, merged
from gmm_studio.gui.document import Document
from gmm_studio.model import EventKind, FitState

from .conftest import blobs, data_at_pixel, document_of, pixel_of, send_mouse

LEFT = Qt.MouseButton.LeftButton


#: pyqtgraph's scene takes at most one mouse move per 10 ms and drops the others.
MOVE_GAP_MS = 12


def drag(qtbot, window, start: QPoint, end: QPoint, steps=4) -> None:
    viewport = window.canvas.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    for t in np.linspace(0, 1, steps + 1)[1:]:
        qtbot.wait(MOVE_GAP_MS)
        p = QPoint(
            round(start.x() + t * (end.x() - start.x())),
            round(start.y() + t * (end.y() - start.y())),
        )
        send_mouse(viewport, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, LEFT)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, end, LEFT, Qt.MouseButton.NoButton)
    qtbot.wait(1)


def three_columns() -> Document:
    xy = blobs()
    z = np.random.default_rng(3).standard_normal((len(xy), 1))
    return Document(np.hstack([xy, z]), ["x", "y", "z"], name="three.csv")


def test_a_dragged_mean_lands_at_the_drop_point_and_the_fit_waits(qtbot, make_window):
    window = make_window(three_columns())
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        window.step_action.trigger()
    fit = window.fit
    before = fit.mixture
    k = 1
    start = pixel_of(window, *before.means[k, :2])
    end = start + QPoint(90, -60)
    view_range = window.canvas.view_box.viewRange()
    drag(qtbot, window, start, end)
    assert window.canvas.view_box.viewRange() == view_range  # a mean drag does not pan
    dropped = data_at_pixel(window, end)
    np.testing.assert_allclose(fit.mixture.means[k, :2], dropped, rtol=1e-9)
    assert fit.mixture.means[k, 2] == before.means[k, 2]  # the hidden column is unchanged
    others = [j for j in range(3) if j != k]
    np.testing.assert_array_equal(fit.mixture.means[others], before.means[others])
    np.testing.assert_array_equal(fit.mixture.covariances, before.covariances)
    np.testing.assert_allclose(window.canvas.components.drawn_means()[k], dropped, rtol=1e-9)
    assert fit.state is FitState.PAUSED
    (event,) = fit.events
    assert event.kind is EventKind.PARAMETERS_DRAGGED and event.iteration == 1
    (marker,) = window.ll_plot.markers
    assert marker.value() == 1 and "move mean 2" in marker.toolTip()
    qtbot.waitUntil(lambda: np.isfinite(fit.evaluated.log_likelihood) and len(fit.history) == 3)

    window.undo_action.trigger()
    np.testing.assert_array_equal(fit.mixture.means, before.means)
    assert len(fit.events) == 2
    window.redo_action.trigger()
    np.testing.assert_allclose(fit.mixture.means[k, :2], dropped, rtol=1e-9)


def test_a_plain_drag_away_from_the_means_still_pans(qtbot, make_window):
    window = make_window()
    before = window.fit.mixture
    corner = QPoint(15, 15)
    view_range = window.canvas.view_box.viewRange()
    drag(qtbot, window, corner, corner + QPoint(80, 40))
    assert window.canvas.view_box.viewRange() != view_range
    assert window.fit.mixture is before and not window.fit.events


def test_em_continues_from_a_mean_dropped_while_running(qtbot, make_window):
    window = make_window(three_columns(), speed=12)  # about 5 iterations per second
    fit = window.fit
    window.run_action.trigger()
    qtbot.waitUntil(lambda: fit.iteration >= 1)
    start = pixel_of(window, *fit.mixture.means[0, :2])
    drag(qtbot, window, start, start + QPoint(60, 60))
    assert fit.state is FitState.RUNNING
    dragged = [e for e in fit.events if e.kind is EventKind.PARAMETERS_DRAGGED]
    assert len(dragged) == 1
    window.panel.set_speed_position(window.panel.speed.maximum())
    qtbot.waitUntil(lambda: fit.state is FitState.CONVERGED, timeout=60_000)
    assert fit.history[-1].iteration > dragged[0].iteration


MOVE = QEvent.Type.MouseMove


def hover(qtbot, window, pixel: QPoint) -> None:
    send_mouse(
        window.canvas.viewport(), MOVE, pixel, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton
    )


def stepped(qtbot, make_window):
    """A window whose fit has converged on three compact blobs (every ring on screen)."""
    window = make_window(document_of(blobs(), n_components=3, init="kmeans++", seed=4))
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        window.run_action.trigger()
    return window


def test_the_component_under_the_pointer_shows_handles_on_its_axes(qtbot, make_window):
    window = stepped(qtbot, make_window)
    layer = window.canvas.components
    mixture = window.fit.mixture
    assert len(layer.drawn_handles()) == 0  # nothing under the pointer yet
    hover(qtbot, window, pixel_of(window, *mixture.means[1]))
    assert layer.handle_component == 1
    ends = layer.drawn_handles()
    np.testing.assert_allclose(ends, axis_ends(mixture, 1, (0, 1), max(layer.radii)), rtol=1e-9)
    hover(qtbot, window, pixel_of(window, *mixture.means[0]))
    assert layer.handle_component == 0
    QApplication.sendEvent(window.canvas.viewport(), QEvent(QEvent.Type.Leave))
    assert layer.handle_component is None  # the pointer left the canvas
    hover(qtbot, window, pixel_of(window, *mixture.means[0]))
    assert layer.handle_component == 0
    window.canvas.view_box.setRange(xRange=(-500, 500), yRange=(-500, 500), padding=0)
    hover(qtbot, window, QPoint(30, 30))  # far from every component
    assert layer.handle_component is None and len(layer.drawn_handles()) == 0


def test_dragging_a_handle_stretches_and_turns_the_axis_and_undo_restores_it(qtbot, make_window):
    window = stepped(qtbot, make_window)
    fit, layer = window.fit, window.canvas.components
    before = fit.mixture
    k = 2
    hover(qtbot, window, pixel_of(window, *before.means[k]))
    start = pixel_of(window, *layer.drawn_handles()[0])  # an end of the major axis
    end = start + QPoint(35, -45)
    view_range = window.canvas.view_box.viewRange()
    drag(qtbot, window, start, end)
    assert window.canvas.view_box.viewRange() == view_range  # a handle drag does not pan
    # By hand: the major axis now points at the drop and reaches it on the outer ring; the
    # minor axis keeps its length and stays perpendicular.
    radius = max(layer.radii)
    offset = data_at_pixel(window, end) - before.means[k]
    length = np.hypot(*offset) / radius
    u = offset / np.hypot(*offset)
    w = np.array([-u[1], u[0]])
    minor = np.linalg.eigvalsh(before.covariances[k])[0]
    expected = length**2 * np.outer(u, u) + minor * np.outer(w, w)
    np.testing.assert_allclose(fit.mixture.covariances[k], expected, rtol=1e-9)
    np.linalg.cholesky(fit.mixture.covariances[k])
    np.testing.assert_array_equal(fit.mixture.means, before.means)
    others = [j for j in range(3) if j != k]
    np.testing.assert_array_equal(fit.mixture.covariances[others], before.covariances[others])
    (event,) = fit.events
    assert event.kind is EventKind.PARAMETERS_DRAGGED and event.description == "stretch ellipse 3"
    (marker,) = window.ll_plot.markers
    assert "stretch ellipse 3" in marker.toolTip()
    assert fit.state is FitState.PAUSED

    window.undo_action.trigger()
    assert fit.mixture.covariances.tobytes() == before.covariances.tobytes()
    assert fit.mixture.means.tobytes() == before.means.tobytes()


def test_a_locked_covariance_cannot_be_stretched(qtbot, make_window):
    window = stepped(qtbot, make_window)
    fit, layer = window.fit, window.canvas.components
    fit.set_locks(fit.locks.with_lock(0, "covariance"))
    before = fit.mixture
    hover(qtbot, window, pixel_of(window, *before.means[0]))
    assert layer.handle_component == 0
    start = pixel_of(window, *layer.drawn_handles()[2])
    view_range = window.canvas.view_box.viewRange()
    drag(qtbot, window, start, start + QPoint(40, 40))
    assert fit.mixture is before and not fit.events
    assert window.canvas.view_box.viewRange() == view_range
    assert window.statusBar().currentMessage() == "Covariance 1 is locked"


def test_dropping_a_mean_on_another_merges_them_by_moment_matching(qtbot, make_window):
    window = stepped(qtbot, make_window)
    fit, layer = window.fit, window.canvas.components
    before = fit.mixture
    colors = window.fit_control.colors.copy()
    viewport = window.canvas.viewport()
    start = pixel_of(window, *before.means[0])
    target = pixel_of(window, *before.means[2]) + QPoint(4, -3)
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    for t in (0.3, 0.7, 1.0):
        qtbot.wait(MOVE_GAP_MS)
        send_mouse(viewport, MOVE, start + (target - start) * t, Qt.MouseButton.NoButton, LEFT)
    # While over the target: its 1σ ring is filled and the status bar says what a drop does.
    assert layer.merge_target == 2 and len(layer.merge_cue.getData()[0]) > 0
    assert window.statusBar().currentMessage() == "Drop to merge 1 into 3"
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, target, LEFT, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: fit.state is FitState.READY)
    assert layer.merge_target is None and len(layer.merge_cue.getData()[0]) == 0
    assert fit.settings.n_components == 2 and window.panel.n_components.value() == 2
    expected = merged(before, 0, 2)
    np.testing.assert_allclose(fit.start.means, expected.means)
    np.testing.assert_allclose(fit.start.covariances, expected.covariances)
    # The merged component takes the first one's place; the second keeps its place and colour.
    np.testing.assert_allclose(
        fit.start.weights, [before.weights[0] + before.weights[2], before.weights[1]]
    )
    assert fit.start.means[1].tobytes() == before.means[1].tobytes()
    np.testing.assert_array_equal(window.fit_control.colors[1], colors[1])
    (event,) = fit.events
    assert event.kind is EventKind.PARAMETERS_DRAGGED
    assert "merge component 1 into 3" in window.ll_plot.markers[0].toolTip()

    window.undo_action.trigger()
    assert fit.settings.n_components == 3
    assert fit.mixture.means.tobytes() == before.means.tobytes()


def test_a_mean_dropped_on_open_ground_only_moves(qtbot, make_window):
    window = stepped(qtbot, make_window)
    start = pixel_of(window, *window.fit.mixture.means[0])
    drag(qtbot, window, start, start + QPoint(0, 25))
    assert window.fit.settings.n_components == 3
    assert window.canvas.components.merge_target is None


def test_em_runs_on_from_an_ellipse_stretched_while_running(qtbot, make_window):
    doc = document_of(blobs(), n_components=3, init="kmeans++", seed=4, tol=0.0, max_iter=12)
    window = make_window(doc, speed=12)  # about 5 iterations per second
    fit, layer = window.fit, window.canvas.components
    window.run_action.trigger()
    qtbot.waitUntil(lambda: fit.iteration >= 1)
    hover(qtbot, window, pixel_of(window, *fit.mixture.means[0]))
    start = pixel_of(window, *layer.drawn_handles()[2])  # an end of the minor axis
    drag(qtbot, window, start, start + QPoint(20, 20))
    assert fit.state is FitState.RUNNING
    (event,) = fit.events
    assert event.description == "stretch ellipse 1"
    window.panel.set_speed_position(window.panel.speed.maximum())
    qtbot.waitUntil(lambda: fit.state is FitState.STOPPED, timeout=60_000)
    assert fit.history[-1].iteration == 12 > event.iteration
