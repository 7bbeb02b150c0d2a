"""Real mouse clicks on the real canvas: add, remove, spray, clear, undo and redo."""

import numpy as np
from PySide6.QtCore import QPoint, Qt

from gmm_studio.model import FitState

from .conftest import data_at_pixel, pixel_of, shift_drag

LEFT = Qt.MouseButton.LeftButton
RIGHT = Qt.MouseButton.RightButton


def click(qtbot, window, pixel, button=LEFT, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mouseClick(window.canvas.viewport(), button, modifier, pixel)


def test_left_click_adds_a_point_at_the_clicked_data_coordinate(qtbot, window):
    n = window.document.n_points
    pixel = pixel_of(window, 2.5, 4.0)
    click(qtbot, window, pixel)
    assert window.document.n_points == n + 1
    added = window.document.points[-1]
    np.testing.assert_allclose(added, data_at_pixel(window, pixel), rtol=0, atol=1e-12)
    px, py = window.canvas.view_box.viewPixelSize()
    assert abs(added[0] - 2.5) <= px and abs(added[1] - 4.0) <= py


def test_click_is_exact_when_zoomed_in(qtbot, window):
    window.canvas.view_box.setRange(xRange=(1.0, 1.01), yRange=(2.0, 2.01), padding=0)
    pixel = pixel_of(window, 1.005, 2.003)
    click(qtbot, window, pixel)
    added = window.document.points[-1]
    np.testing.assert_allclose(added, data_at_pixel(window, pixel), rtol=0, atol=1e-12)
    assert abs(added[0] - 1.005) < 1e-4 and abs(added[1] - 2.003) < 1e-4


def test_right_click_removes_the_nearest_point_only_when_close(qtbot, window):
    doc = window.document
    target = doc.points[17].copy()
    n = doc.n_points
    # Far from every point: nothing happens.
    far = pixel_of(window, doc.points[:, 0].max() + 50, doc.points[:, 1].max() + 50)
    click(qtbot, window, far, RIGHT)
    assert doc.n_points == n
    near = pixel_of(window, *target) + QPoint(3, -2)
    click(qtbot, window, near, RIGHT)
    assert doc.n_points == n - 1
    assert not np.any(np.all(doc.points == target, axis=1))


def test_ctrl_click_removes_too(qtbot, window):
    doc = window.document
    target = doc.points[3].copy()
    click(qtbot, window, pixel_of(window, *target), LEFT, Qt.KeyboardModifier.ControlModifier)
    assert doc.n_points == 99
    assert not np.any(np.all(doc.points == target, axis=1))


def test_shift_drag_sprays_a_cluster_as_one_undo_step(qtbot, window):
    doc = window.document
    n = doc.n_points
    path = [(3.0 + 0.1 * i, 3.0) for i in range(8)]
    shift_drag(qtbot, window, path)
    added = doc.points[n:]
    assert len(added) >= 3  # pyqtgraph drops moves closer than its rate limit
    # Every sprayed point is near the stroke (brush sigma is a few pixels).
    px, py = window.canvas.view_box.viewPixelSize()
    assert np.all(np.abs(added[:, 1] - 3.0) < 8 * 14 * py)
    assert np.all((added[:, 0] > 3.0 - 8 * 14 * px) & (added[:, 0] < 3.7 + 8 * 14 * px))
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.n_points == n


def test_undo_and_redo_with_the_keyboard(qtbot, window):
    doc = window.document
    original = doc.points.copy()
    click(qtbot, window, pixel_of(window, 1.0, 1.0))
    click(qtbot, window, pixel_of(window, 2.0, 2.0))
    click(qtbot, window, pixel_of(window, *original[0]), RIGHT)
    after = doc.points.copy()
    window.activateWindow()
    window.canvas.setFocus()
    for _ in range(3):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(doc.points, original)
    for _ in range(3):
        qtbot.keyClick(
            window.canvas,
            Qt.Key.Key_Z,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    np.testing.assert_array_equal(doc.points, after)


def test_clear_empties_the_canvas_and_undo_restores_every_point(qtbot, window):
    doc = window.document
    original = doc.points.copy()
    window.clear_action.trigger()
    assert doc.n_points == 0
    assert window.fit.state is FitState.EMPTY
    assert not window.run_action.isEnabled() and not window.clear_action.isEnabled()
    assert len(window.canvas.points.positions) == 0
    assert window.canvas.components.curves == []
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.points, original)
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)


def test_clicking_points_onto_an_empty_canvas_starts_a_fit_once_there_are_enough(
    qtbot, make_window
):
    from .conftest import document_of

    window = make_window(document_of(np.zeros((0, 2)), n_components=2))
    window.canvas.view_box.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    assert window.fit.state is FitState.EMPTY
    click(qtbot, window, pixel_of(window, 2, 2))
    assert window.fit.state is FitState.EMPTY
    click(qtbot, window, pixel_of(window, 8, 8))
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    assert window.document.mixture.n_components == 2


def test_removing_a_point_keeps_the_others_in_order_through_undo(qtbot, window):
    doc = window.document
    original = doc.points.copy()
    click(qtbot, window, pixel_of(window, *original[50]), RIGHT)
    assert doc.n_points == 99
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.points, original)
