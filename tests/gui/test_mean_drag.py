"""Dragging a mean on the real canvas with real mouse events."""

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt

from gmm_studio.gui.document import Document
from gmm_studio.model import EventKind, FitState

from .conftest import blobs, data_at_pixel, pixel_of, send_mouse

LEFT = Qt.MouseButton.LeftButton


def drag(qtbot, window, start: QPoint, end: QPoint, steps=6) -> None:
    viewport = window.canvas.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    for t in np.linspace(0, 1, steps + 1)[1:]:
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
    with qtbot.waitSignal(window.controller.halted, timeout=60_000):
        drag(qtbot, window, start, start + QPoint(60, 60))
        assert fit.state is FitState.RUNNING
        dragged = [e for e in fit.events if e.kind is EventKind.PARAMETERS_DRAGGED]
        assert len(dragged) == 1
        window.panel.set_speed_position(window.panel.speed.maximum())
    assert fit.state is FitState.CONVERGED
    assert fit.history[-1].iteration > dragged[0].iteration
