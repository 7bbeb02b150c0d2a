"""Lessons, the start-up demo and its hint, and the Help menu, in the real window."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTableWidget

from gmm_studio.core.lessons import LESSONS, teaching_start
from gmm_studio.gui.app import create_main_window
from gmm_studio.gui.teaching import FIRST_RUN_HINT
from gmm_studio.model import FitState

from .conftest import blobs, document_of


@pytest.fixture
def startup(qtbot):
    window = create_main_window()
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    yield window


def test_the_startup_demo_starts_slowly_and_says_what_to_do(qtbot, startup):
    window = startup
    fit = window.fit
    np.testing.assert_array_equal(fit.start.means, teaching_start(fit.data, 3).means)
    hint = window.teaching.hint
    assert hint.isVisible() and FIRST_RUN_HINT in hint.text() and "25 iterations" in hint.text()
    window.panel.set_speed_position(window.panel.speed.maximum())
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not hint.isVisible()  # the first command dismisses it
    assert fit.state is FitState.CONVERGED and fit.iteration >= 12


def test_a_click_on_the_canvas_dismisses_the_hint(qtbot, startup):
    window = startup
    hint = window.teaching.hint
    assert hint.isVisible()
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not hint.isVisible())


def test_the_hint_shows_on_the_first_run_only_and_help_shows_it_again(qtbot, startup):
    first = startup
    assert first.teaching.hint.isVisible()
    first.close()
    second = create_main_window()  # the same isolated settings file as the first window
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    hint = second.teaching.hint
    assert not hint.isVisible()
    assert second.teaching.hint_action in second.teaching.help_menu.actions()
    second.teaching.hint_action.trigger()
    assert hint.isVisible() and FIRST_RUN_HINT in hint.text()
    qtbot.mouseClick(second.canvas.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not hint.isVisible())  # dismissed as on the first run
    qtbot.waitUntil(lambda: second.fit.state is not FitState.INITIALISING)


def test_a_document_given_to_the_window_gets_no_hint(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3))
    assert not window.teaching.hint.isVisible()


@pytest.mark.parametrize("key", list(LESSONS))
def test_each_lesson_opens_with_its_caption(qtbot, make_window, key):
    window = make_window(document_of(blobs(), n_components=3))
    menu = window.teaching.lesson_menu
    assert menu in [a.menu() for a in window.file_menu.sample_menu.actions()]
    menu.findChild(QAction, f"lesson-{key}").trigger()
    lesson = LESSONS[key]()
    fit = window.fit
    np.testing.assert_array_equal(window.document.points, lesson.data)
    assert fit.settings == lesson.settings
    np.testing.assert_array_equal(fit.start.means, lesson.start.means)
    hint = window.teaching.hint
    assert hint.isVisible() and lesson.caption in hint.text()
    assert lesson.caption in window.statusBar().currentMessage()
    assert window.windowTitle().startswith(lesson.name)
    qtbot.waitUntil(lambda: fit.state is not FitState.INITIALISING)


def test_help_lists_the_shortcuts_and_about(qtbot, make_window):
    window = make_window()
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-1] == "&Help"
    rows = dict(window.teaching.shortcut_rows())
    assert rows["E"] == "E-step" and rows["M"] == "M-step" and rows["Space"] == "Run"
    assert rows["["] == "Back in history"
    window.teaching.shortcuts_action.trigger()
    dialog = window.teaching.dialog
    assert dialog.isVisible()
    table = dialog.findChild(QTableWidget)
    shown = {table.item(i, 0).text() for i in range(table.rowCount())}
    assert {"E", "M", "Space", "[", "]"} <= shown
    dialog.close()
    window.teaching.about_action.trigger()
    about = window.teaching.dialog
    assert about.isVisible() and "GMM Studio" in about.text()
    about.close()
