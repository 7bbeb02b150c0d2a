"""The window on small screens and with real data: framing, selectors, toolbar, keyboard."""

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPushButton,
    QWidget,
)

from gmm_studio.gui.app import create_main_window
from gmm_studio.gui.commands import AddPointsCommand
from gmm_studio.gui.document import Document
from gmm_studio.gui.ll_plot import EMPTY_Y_RANGE
from gmm_studio.gui.presentation import Presentation
from gmm_studio.model import FitState

from .conftest import assert_toolbars_shown, blobs, document_of, inside
from .modal_driver import click, drive


def wine_like(n=60, seed=0):
    """Two columns of very different scales, like wine's flavanoids and proline."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(0.3, 5.1, n), rng.uniform(278, 1680, n)])


def test_fit_view_pads_each_axis_by_its_own_span(qtbot, make_window):
    X = wine_like()
    window = make_window(Document(X, ["flavanoids", "proline"], name="wine.csv"))
    window.canvas.fit_view()
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    assert x0 < lo[0] and x1 > hi[0] and y0 < lo[1] and y1 > hi[1]
    # The margin on each axis is a small share of that axis's own span.
    assert (x1 - x0) < 1.3 * span[0] and (y1 - y0) < 1.3 * span[1]


def test_fit_view_of_one_value_per_column_shows_a_window_around_it(qtbot, make_window):
    window = make_window(Document(np.array([[2.0, 500.0]] * 3), ["a", "b"], name="same.csv"))
    window.canvas.fit_view()
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    assert x0 < 2.0 < x1 and y0 < 500.0 < y1 and x1 - x0 >= 1.0 and y1 - y0 >= 1.0


def test_axis_selectors_fit_their_longest_column_name(qtbot, make_window):
    window = make_window()  # first shown with the sample's short names
    columns = ["flavanoids", "proline", "color_intensity"]
    X = np.column_stack([wine_like(), np.linspace(1, 13, 60)])
    window.document.replace_contents(X, columns, name="wine.csv")
    qtbot.wait(10)
    for combo in (window.axes_bar.x_combo, window.axes_bar.y_combo):
        assert combo.isVisible()
        longest = max(combo.fontMetrics().horizontalAdvance(c) for c in columns)
        assert combo.width() >= longest


def test_the_default_window_fits_the_available_screen(qtbot):
    window = create_main_window()
    qtbot.addWidget(window)
    area = window.screen().availableGeometry()
    assert window.width() <= area.width() and window.height() <= area.height()
    window.show()
    qtbot.waitExposed(window)
    assert area.contains(window.frameGeometry().topLeft())
    window.close()


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_every_control_is_visible_on_a_small_screen(qtbot, make_window, size, tmp_path):
    window = make_window(Document(wine_like(), ["flavanoids", "proline"], name="wine.csv"))
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0])
    qtbot.wait(50)
    window.grab().save(str(tmp_path / f"window-{size[0]}x{size[1]}.png"))
    whole = window.rect()
    assert_toolbars_shown(window)
    for widget in (window.panel.n_components, window.panel.new_init, window.canvas):
        assert widget.isVisible() and inside(whole, widget, window)
    for label in window.status_labels.values():
        assert label.isVisible() and inside(whole, label, window)
    viewport = window.side_panel.viewport()
    kinds = (QAbstractSpinBox, QComboBox, QLineEdit, QPushButton)
    fields = [w for w in window.panel.findChildren(QWidget) if isinstance(w, kinds)]
    assert fields
    for field in (f for f in fields if f.isVisible()):
        assert inside(viewport.rect(), field, viewport), field  # not under the scroll bar


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_the_log_likelihood_axis_labels_fit_a_short_plot(qtbot, make_window, size):
    window = make_window()
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0])
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()  # the sample's 26 iterations: about -409 to -319
    qtbot.wait(100)
    item = window.ll_plot.getPlotItem()
    axis = item.getAxis("left")
    pixels = axis.height()
    assert pixels < 150  # the plot is short at this size
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)  # the labels pyqtgraph would draw
    finally:
        painter.end()
    assert texts, "no value on the axis is labelled"
    centres = sorted(rect.center().y() for rect, _, _ in texts)
    line = QFontMetrics(axis.style["tickFont"] or QFont()).height()
    assert all(b - a >= 1.5 * line for a, b in itertools.pairwise(centres))
    name = window.ll_plot.name_label
    box = item.vb.mapRectToScene(item.vb.boundingRect())
    assert box.contains(name.mapRectToScene(name.boundingRect()))  # the name is not cut


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_the_log_likelihood_curve_never_runs_under_its_name(qtbot, make_window, size):
    # 40 iterations that climb from the bottom left, then run along the top.
    settings = dict(n_components=3, init="random-points", seed=3, tol=0.0, max_iter=40)
    window = make_window(document_of(blobs(), **settings))
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0])
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    qtbot.wait(100)
    plot = window.ll_plot
    vb = plot.getPlotItem().vb
    name = plot.name_label.mapRectToScene(plot.name_label.boundingRect())
    assert vb.mapRectToScene(vb.boundingRect()).contains(name)
    xs, ys = plot.curve.getData()
    assert len(xs) > 10
    for x, y in zip(xs, ys, strict=True):
        assert not name.contains(vb.mapViewToScene(QPointF(x, y))), (x, y)


def test_toolbar_buttons_keep_their_width(qtbot, make_window):
    window = make_window()
    bar = window.toolbar
    run = bar.widgetForAction(window.run_action)
    undo = bar.widgetForAction(window.undo_action)
    widths = [run.width(), undo.width()]
    window.run_action.trigger()
    qtbot.waitUntil(lambda: window.run_action.text() == "Pause")
    qtbot.wait(20)
    assert run.width() == widths[0]
    doc = window.document
    doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([[1.0, 1.0]])))
    qtbot.wait(20)
    assert undo.width() == widths[1] and window.undo_action.text() == "Undo"
    assert window.undo_action.toolTip().startswith("Undo Add point")
    window.stop()


def test_new_resets_the_log_likelihood_range_and_the_plots_have_no_auto_button(qtbot, make_window):
    window = make_window()
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert window.ll_plot.getPlotItem().viewRange()[1][0] < -100  # the sample's log-likelihood
    driver = drive(qtbot, click("Discard"))  # the fit is unsaved work
    assert window.file_commands.new_document() and driver.done
    assert tuple(window.ll_plot.getPlotItem().viewRange()[1]) == EMPTY_Y_RANGE
    for plot in (window.canvas.getPlotItem(), window.ll_plot.getPlotItem()):
        plot.mouseHovering = True  # the button shows on hover when the view is not auto
        plot.updateButtons()
        assert not plot.autoBtn.isVisible()


def type_into(qtbot, field, text):
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.selectAll()
    qtbot.keyClicks(field, text)


def test_enter_commits_a_field_and_gives_the_keyboard_back_to_the_canvas(qtbot, make_window):
    window = make_window()
    panel = window.panel
    type_into(qtbot, panel.tol, "0.001")
    qtbot.keyClick(panel.tol, Qt.Key.Key_Return)
    assert window.document.settings.tol == 0.001
    qtbot.waitUntil(window.canvas.hasFocus)
    type_into(qtbot, panel.n_components, "4")
    qtbot.keyClick(panel.n_components, Qt.Key.Key_Enter)
    assert window.document.settings.n_components == 4
    qtbot.waitUntil(window.canvas.hasFocus)


def test_space_and_n_act_from_a_field_without_typing_into_it(qtbot, make_window):
    window = make_window(Document(blobs(), ["x", "y"], name="blobs.csv"))
    panel = window.panel
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    type_into(qtbot, panel.reg_covar, "0.0001")
    QApplication.processEvents()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N)
    assert panel.reg_covar.text() == "0.0001"
    assert window.document.settings.reg_covar == 1e-4
    qtbot.waitUntil(lambda: window.document.iteration == 1, timeout=10_000)
    type_into(qtbot, panel.max_iter, "500")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert window.document.settings.max_iter == 500 and panel.max_iter.text() == "500"
    qtbot.waitUntil(
        lambda: window.fit.state in (FitState.RUNNING, FitState.CONVERGED), timeout=10_000
    )
    assert window.canvas.hasFocus()
    window.stop()


def test_presentation_mode_folds_the_component_table_away_and_brings_it_back(qtbot, make_window):
    window = make_window()
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: window.components_dock.isVisible())
    presentation = window.findChild(Presentation)
    presentation.set_presenting(True)
    qtbot.wait(50)
    assert not window.components_dock.isVisible()
    assert window.ll_plot.height() >= window.ll_plot.minimumHeight() > 0
    presentation.set_presenting(False)
    qtbot.waitUntil(lambda: window.components_dock.isVisible())
