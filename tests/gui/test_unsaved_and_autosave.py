"""Never losing work: Save / Discard / Cancel prompts, autosave, restore after a kill."""

import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QProgressDialog

from gmm_studio.gui import autosave
from gmm_studio.gui.commands import AddPointsCommand
from gmm_studio.gui.progress import run_with_progress
from gmm_studio.io import list_recovery, load_session
from gmm_studio.io.recovery import recovery_path

from .file_helpers import add_point_and_settle, assert_unchanged, snapshot_of, write_csv
from .modal_driver import choose_file, click, drive

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def edited(qtbot, make_window):
    """The start-up window with one added point (unsaved)."""
    window = make_window()
    add_point_and_settle(qtbot, window, (0.5, 0.5))
    assert window.document.dirty
    return window


def close_from_title_bar(window) -> None:
    """What the window manager's close button does: the platform sends a close event to the
    window's QWindow, which reaches the widget as a spontaneous close event."""
    QApplication.sendEvent(window.windowHandle(), QCloseEvent())


def test_close_cancel_keeps_the_window_and_the_work(qtbot, edited):
    before = snapshot_of(edited.document)
    driver = drive(qtbot, click("Cancel"))
    close_from_title_bar(edited)
    assert driver.done and "Save your work as a session file before closing?" in driver.texts[0]
    # The prompt names what Save writes: a new session, never the data file.
    assert "(seed_example.gmms)" in driver.texts[0]
    assert "seed_example.csv itself is not changed" in driver.texts[0]
    assert edited.isVisible()
    assert_unchanged(edited.document, before)


def test_close_discard_closes_and_removes_the_recovery_file(qtbot, edited):
    qtbot.waitUntil(recovery_path().exists, timeout=10_000)  # autosaved while unsaved
    driver = drive(qtbot, click("Discard"))
    close_from_title_bar(edited)
    assert driver.done and not edited.isVisible()
    assert not recovery_path().exists()  # a clean exit leaves no recovery file


def test_close_save_asks_for_a_session_file_then_closes(qtbot, edited, tmp_path):
    path = tmp_path / "kept.gmms"
    driver = drive(qtbot, click("Save"), choose_file(path))
    close_from_title_bar(edited)
    assert driver.done and not edited.isVisible()
    assert load_session(path).points.shape == (101, 2)


def test_close_save_then_cancelling_the_file_dialog_does_not_close(qtbot, edited):
    driver = drive(qtbot, click("Save"), lambda d: d.reject())
    close_from_title_bar(edited)
    assert driver.done and edited.isVisible() and edited.document.dirty


def test_a_clean_document_closes_without_asking(qtbot, make_window):
    window = make_window()
    close_from_title_bar(window)
    assert not window.isVisible()


def test_new_asks_first(qtbot, edited):
    before = snapshot_of(edited.document)
    driver = drive(qtbot, click("Cancel"))
    assert edited.file_commands.new_document() is False
    assert driver.done and "before starting a new document" in driver.texts[0]
    assert_unchanged(edited.document, before)
    driver = drive(qtbot, click("Discard"))
    edited.file_menu.new_action.trigger()
    assert driver.done and edited.document.n_points == 0 and not edited.document.dirty
    assert edited.document.undo_stack.count() == 0


def test_open_asks_first_and_can_save(qtbot, edited, tmp_path):
    data = tmp_path / "next.csv"
    write_csv(data, ["x", "y"], [[0, 0], [1, 1], [2, 0], [3, 3]])
    before = snapshot_of(edited.document)
    driver = drive(qtbot, choose_file(data), click("Cancel"))
    edited.file_menu.open_action.trigger()
    assert driver.done and "before opening next.csv" in driver.texts[1]
    assert_unchanged(edited.document, before)
    session = tmp_path / "before.gmms"
    driver = drive(qtbot, choose_file(data), click("Save"), choose_file(session))
    edited.file_menu.open_action.trigger()
    assert driver.done
    assert load_session(session).points.shape == (101, 2)
    assert edited.document.name == "next.csv" and edited.document.n_points == 4


def test_quit_asks_and_cancel_keeps_the_window(qtbot, edited):
    driver = drive(qtbot, click("Cancel"))
    edited.file_menu.quit_action.trigger()
    assert driver.done and edited.isVisible()


def test_a_fit_is_an_unsaved_change(qtbot, make_window):
    window = make_window()
    assert not window.document.dirty
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000):
        window.run_action.trigger()
    assert window.document.dirty and window.windowTitle().endswith("* — GMM Studio")


def test_autosave_writes_the_document_while_unsaved(qtbot, edited, tmp_path):
    qtbot.waitUntil(recovery_path().exists, timeout=10_000)
    saved = load_session(recovery_path())
    np.testing.assert_array_equal(saved.points, edited.document.points)
    # Saving the document removes the recovery file: nothing left to recover.
    assert edited.file_commands.save_session_to(tmp_path / "s.gmms")
    assert not recovery_path().exists()


def test_autosave_waits_while_em_runs_and_saves_once_it_pauses(qtbot, make_window):
    window = make_window(speed=0)  # one iteration per second: EM keeps running
    window.run_action.trigger()
    doc = window.document
    doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([[0.5, 0.5]])))
    assert doc.dirty and window.controller.running
    qtbot.wait(2 * autosave.CHECK_INTERVAL_MS + 200)  # several autosave checks go by
    assert not recovery_path().exists()
    window.run_action.trigger()  # pause
    assert not window.controller.running
    qtbot.waitUntil(recovery_path().exists, timeout=10_000)
    np.testing.assert_array_equal(load_session(recovery_path()).points, doc.points)


def test_autosave_during_a_long_run_is_deferred_only_so_long(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(autosave, "MAX_BUSY_DEFER_S", 0.0)
    window = make_window(speed=0)
    window.run_action.trigger()
    doc = window.document
    doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([[0.5, 0.5]])))
    assert window.controller.running
    qtbot.waitUntil(recovery_path().exists, timeout=10_000)


CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from PySide6.QtCore import QTimer
    from gmm_studio.gui.app import create_main_window, ensure_application
    from gmm_studio.gui.commands import AddPointsCommand
    from gmm_studio.io.recovery import recovery_path

    app = ensure_application()
    window = create_main_window()
    window.show()
    doc = window.document
    doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([[9.5, -3.25], [8.0, 1.0]])))

    def wait_for_autosave():
        if recovery_path().exists():
            print("autosaved", flush=True)
        else:
            QTimer.singleShot(20, wait_for_autosave)

    QTimer.singleShot(0, wait_for_autosave)
    app.exec()
    """
)


def test_work_survives_a_kill_and_is_offered_at_the_next_start(qtbot, make_window):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(root=ROOT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline().strip()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert line == "autosaved"
    [left] = list_recovery()
    assert left.pid == child.pid

    window = make_window()  # the next start
    driver = drive(qtbot, click("Restore"))
    assert window.file_commands.offer_recovery()
    assert driver.done and "did not close properly" in driver.texts[0]
    doc = window.document
    assert doc.n_points == 102
    np.testing.assert_array_equal(doc.points[-2:], [[9.5, -3.25], [8.0, 1.0]])
    assert doc.dirty and window.windowTitle() == "Recovered work* — GMM Studio"
    assert list_recovery() == []  # the left-over file is gone; our own autosave takes over
    qtbot.waitUntil(recovery_path().exists, timeout=10_000)


def test_the_restore_offer_can_be_declined(qtbot, make_window, tmp_path):
    from gmm_studio.io import Session, write_recovery

    stale = write_recovery(Session(points=[[1.0, 2.0]], columns=["p", "q"]), pid=999_999_999)
    window = make_window()
    before = snapshot_of(window.document)
    driver = drive(qtbot, click("Not now"))
    assert window.file_commands.offer_recovery() is False and driver.done
    assert stale.exists()
    driver = drive(qtbot, click("Discard"))
    assert window.file_commands.offer_recovery() is False and driver.done
    assert not stale.exists()
    assert_unchanged(window.document, before)


def test_slow_loads_show_a_busy_indicator(qtbot, make_window):
    window = make_window()
    release = threading.Event()
    seen = []

    def watch():
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QProgressDialog) and widget.isVisible():
            seen.append(widget.labelText())
            release.set()
        elif not release.is_set():
            QTimer.singleShot(20, watch)

    QTimer.singleShot(0, watch)

    def slow():
        assert release.wait(20), "the progress dialog never appeared"
        return 42

    assert run_with_progress(window, "Reading big.csv…", slow) == 42
    assert seen == ["Reading big.csv…"]
    with pytest.raises(ZeroDivisionError):
        run_with_progress(window, "x", lambda: 1 / 0)
