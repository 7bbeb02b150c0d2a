"""Presentation mode and the View menu in the real window, at a projector's 1024×768."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt

from gmm_studio.gui.component_layer import HANDLE_SIZE_PX
from gmm_studio.gui.presentation import MIN_LINE_WIDTH, SCALE

from .conftest import assert_toolbars_shown, blobs, document_of, inside, send_mouse


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_presentation_mode_shows_every_control_larger(qtbot, make_window, size, tmp_path):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    toolbar_font = window.toolbar.font().pointSizeF()
    status_font = window.status_labels["ll"].font().pointSizeF()
    order = window.toolbar.actions()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    presentation = window.presentation
    assert presentation.presenting and presentation.present_action.isChecked()
    assert window.isFullScreen()
    # The offscreen screen is 800×600: give the window a projector's size by hand.
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0] and window.size().height() == size[1])
    qtbot.wait(50)
    window.grab().save(str(tmp_path / f"presentation-{size[0]}x{size[1]}.png"))
    assert window.toolbar.font().pointSizeF() == pytest.approx(toolbar_font * SCALE)
    assert window.status_labels["ll"].font().pointSizeF() == pytest.approx(status_font * SCALE)
    assert not window.side_panel.isVisible()
    assert not window.components_dock.isVisible()  # the canvas keeps the room
    whole = window.rect()
    assert_toolbars_shown(window)
    for widget in (window.canvas, window.ll_plot, window.history_bar.slider):
        assert widget.isVisible() and inside(whole, widget, window)
    shown = [label for label in window.status_labels.values() if label.isVisible()]
    kept = {k for k, label in window.status_labels.items() if label.isVisible()}
    assert {"iteration", "ll", "state"} <= kept  # an empty label (no half-step next) is hidden
    for label in shown:
        assert inside(whole, label, window), label.text()
        assert label.width() >= label.sizeHint().width(), label.text()  # no text cut off
    # Lines: scaled, never thinner than the minimum, with a halo underneath.
    layer = window.canvas.components
    assert all(c.opts["pen"].widthF() >= MIN_LINE_WIDTH for c in layer.curves)
    assert all(len(h.getData()[0]) for h in layer.halos)
    # The side panel comes back with Ctrl+B; the keys of removed buttons still work.
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.side_panel.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert window.hard_labels_action.isChecked()

    # The axis handles of the component under the pointer are drawn larger too.
    pointer = window.canvas.data_to_widget(*window.fit.mixture.means[0])
    move = QEvent.Type.MouseMove
    send_mouse(
        window.canvas.viewport(), move, pointer, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton
    )
    assert len(layer.drawn_handles()) == 4
    assert layer.handles.opts["size"] == HANDLE_SIZE_PX * SCALE

    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert not presentation.presenting
    assert window.components_dock.isVisible()
    assert window.toolbar.actions() == order
    assert window.toolbar.font().pointSizeF() == pytest.approx(toolbar_font)
    assert all(not len(h.getData()[0]) for h in layer.halos)


def test_dark_theme_draws_the_plots_light_on_black(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    window.presentation.dark_action.trigger()
    qtbot.wait(20)
    image = window.canvas.grab().toImage()
    corner = image.pixelColor(image.width() - 5, 5)
    assert (corner.red(), corner.green(), corner.blue()) == (0, 0, 0)
    pen = window.canvas.getPlotItem().getAxis("bottom").pen().color()
    assert pen.lightness() > 200
    window.presentation.dark_action.trigger()
    qtbot.wait(20)
    image = window.canvas.grab().toImage()
    corner = image.pixelColor(image.width() - 5, 5)
    assert (corner.red(), corner.green(), corner.blue()) == (255, 255, 255)
    assert np.isfinite(window.fit.evaluated.log_likelihood)
