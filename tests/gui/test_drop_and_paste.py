"""Drag and drop of files and text onto the window, and Ctrl+V paste of tabular text."""

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from .file_helpers import (
    assert_unchanged,
    snapshot_of,
    three_column_document,
    wait_shown,
    write_csv,
)
from .modal_driver import drive


def drag_and_drop(widget, mime: QMimeData) -> tuple[bool, bool]:
    """Deliver a real drag enter, move and drop to ``widget``; return (entered, dropped)."""
    pos = widget.rect().center()
    copy, left, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    enter = QDragEnterEvent(pos, copy, mime, left, none)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(pos, copy, mime, left, none)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(pos), copy, mime, left, none)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def urls_of(*paths) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_a_file_dropped_on_the_canvas_opens(qtbot, make_window, tmp_path):
    path = tmp_path / "dropped.csv"
    write_csv(path, ["u", "v"], [[0, 0], [1, 2], [2, 1], [5, 5], [6, 4]])
    window = make_window()
    before = window.frames_drawn
    with qtbot.waitSignal(window.file_commands.documentLoaded, timeout=10_000):
        entered, dropped = drag_and_drop(window.canvas.viewport(), urls_of(path))
    assert entered and dropped
    wait_shown(qtbot, window, before)
    doc = window.document
    assert doc.name == "dropped.csv" and doc.columns == ["u", "v"]
    np.testing.assert_array_equal(doc.points, [[0, 0], [1, 2], [2, 1], [5, 5], [6, 4]])


def test_a_bad_dropped_file_is_reported(qtbot, make_window, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    window = make_window()
    before = snapshot_of(window.document)
    driver = drive(qtbot, lambda box: box.accept())
    drag_and_drop(window.canvas.viewport(), urls_of(path))
    qtbot.waitUntil(lambda: driver.done, timeout=10_000)
    assert driver.texts[0].startswith("empty.csv: the file is empty")
    assert_unchanged(window.document, before)


def test_a_drag_without_files_or_text_is_refused(qtbot, window):
    mime = QMimeData()
    mime.setData("application/x-something", b"\x00\x01")
    entered, _ = drag_and_drop(window.canvas.viewport(), mime)
    assert not entered


def put_on_clipboard(text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)


def paste(qtbot, window) -> None:
    window.activateWindow()
    qtbot.keyClick(window.canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_v_adds_spreadsheet_rows_as_one_undoable_edit(qtbot, window):
    doc = window.document
    n = doc.n_points
    put_on_clipboard("x\ty\n1.5\t2.5\n-3\t4\n\n")
    paste(qtbot, window)
    assert doc.n_points == n + 2
    np.testing.assert_array_equal(doc.points[-2:], [[1.5, 2.5], [-3, 4]])
    assert doc.dirty and doc.undo_stack.undoText() == "Paste 2 points"
    assert "Pasted 2 points" in window.statusBar().currentMessage()
    doc.undo_stack.undo()
    assert doc.n_points == n and not doc.dirty


def test_pasted_columns_are_matched_by_name(qtbot, make_window):
    window = make_window(three_column_document())
    doc = window.document
    put_on_clipboard("c,a,b\n30,10,20\n31,11,21\n")
    paste(qtbot, window)
    np.testing.assert_array_equal(doc.points[-2:], [[10, 20, 30], [11, 21, 31]])


def test_two_pasted_columns_go_on_the_axes_shown(qtbot, make_window):
    window = make_window(three_column_document())
    doc = window.document
    doc.set_axes((0, 2))
    mean_b = doc.points[:, 1].mean()
    put_on_clipboard("1 2\n3 4\n")
    paste(qtbot, window)
    np.testing.assert_allclose(doc.points[-2:], [[1, mean_b, 2], [3, mean_b, 4]])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "pasted text: the clipboard holds no text"),
        ("hello world\nfoo bar\n", "pasted text: no numeric columns"),
        ("1,2,3,4\n5,6,7,8\n", "pasted text: 4 numeric columns (x0, x1, x2, x3) do not match"),
    ],
)
def test_unusable_pasted_text_is_reported_and_changes_nothing(qtbot, window, text, problem):
    before = snapshot_of(window.document)
    put_on_clipboard(text)
    driver = drive(qtbot, lambda box: box.accept())
    paste(qtbot, window)
    assert driver.done and driver.texts[0].startswith(problem), driver.texts
    assert_unchanged(window.document, before)


def test_text_dropped_on_the_window_is_pasted(qtbot, window):
    n = window.document.n_points
    mime = QMimeData()
    mime.setText("7,8\n9,10\n")
    drag_and_drop(window.canvas.viewport(), mime)
    qtbot.waitUntil(lambda: window.document.n_points == n + 2, timeout=10_000)
