"""Every bad input of the import path, opened through the window: a message naming the file
and the problem, and the document (points, path, settings, fit, undo history) untouched."""

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gmm_studio.gui.import_dialog import ImportDialog
from gmm_studio.io.files import available_memory

from .file_helpers import add_point_and_settle, assert_unchanged, snapshot_of, wait_shown
from .modal_driver import cancel, choose_file, drive


def make(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def pickled_npy(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, [1, 2]], dtype=object), allow_pickle=True)
    return path


def truncated_npz(tmp_path):
    path = tmp_path / "points.npz"
    np.savez_compressed(path, X=np.random.default_rng(0).normal(size=(500, 2)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def a_folder(tmp_path):
    (tmp_path / "data.csv").mkdir()
    return tmp_path / "data.csv"


def session_body(**changes):
    body = {
        "format": "gmm-studio-session",
        "version": 1,
        "columns": ["x", "y"],
        "axes": [0, 1],
        "points": [[1.0, 2.0], [3.0, 4.0]],
        "settings": {"n_components": 1},
        "model": None,
        "log_likelihood_history": [],
    }
    body.update(changes)
    return json.dumps(body)


def too_large(tmp_path):
    available = available_memory()
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.write(b"x,y\n1,2\n")
        f.truncate(max(available * 8, 1 << 40))  # sparse: no disk space used, never read
    return path


BAD_FILES = {
    "missing": (lambda t: t / "nothere.csv", "nothere.csv: file not found"),
    "folder": (a_folder, "data.csv: is a folder, not a file"),
    "empty": (lambda t: make(t, "empty.csv", ""), "empty.csv: the file is empty"),
    "header only": (
        lambda t: make(t, "header.csv", "x,y,z\n"),
        "header.csv: has a header row but no data rows",
    ),
    "one numeric column": (
        lambda t: make(t, "one.csv", "x\n1\n2\n3\n"),
        "one.csv: needs at least 2 numeric columns but found only 1 ('x')",
    ),
    "no numeric columns": (
        lambda t: make(t, "words.csv", "name,city\nann,oslo\nbob,rome\n"),
        "words.csv: no numeric columns (found only text columns: name, city)",
    ),
    "ragged rows": (
        lambda t: make(t, "ragged.csv", "x,y\n1,2\n3,4,5\n6,7\n"),
        "ragged.csv: ragged rows: line 3 has 3 fields but the header (line 1) has 2",
    ),
    "text in a numeric column": (
        lambda t: make(t, "typo.csv", "x,y\n1,2\n3,4\n5,4.2.1\n7,8\n"),
        "typo.csv: text in numeric column 'y': line 4 holds '4.2.1', not a number",
    ),
    "only NaN or infinite rows": (
        lambda t: make(t, "allnan.csv", "x,y\n1,nan\ninf,2\n"),
        "allnan.csv: every row has a missing or non-finite",
    ),
    "binary garbage named .csv": (
        lambda t: make(t, "image.csv", np.random.default_rng(0).bytes(5000)),
        "image.csv: not a text table: it holds binary data",
    ),
    "npy holding pickled objects": (pickled_npy, "objects.npy: "),
    "pickle named .npy": (
        lambda t: make(t, "fake.npy", pickle.dumps([[1.0, 2.0]])),
        "fake.npy: not a valid .npy file",
    ),
    "truncated npz": (truncated_npz, "points.npz: damaged or truncated .npz archive"),
    "session from a newer version": (
        lambda t: make(t, "future.gmms", session_body(version=99)),
        "future.gmms: was saved by a newer GMM Studio (session format version 99",
    ),
    "malformed session": (
        lambda t: make(t, "broken.gmms", session_body()[:-20]),
        "broken.gmms: ",
    ),
    "hand-edited session": (
        lambda t: make(t, "edited.gmms", session_body(points=[[1.0, 2.0], [3.0]])),
        "edited.gmms: damaged session file: point 1 must be a list of 2 finite numbers",
    ),
    "session with a bad model": (
        lambda t: make(t, "model.gmms", session_body(model={"weights": [1.0]})),
        "model.gmms: damaged session file: model",
    ),
    "too large for memory": (too_large, "huge.csv: too large to load"),
}


@pytest.fixture
def edited_window(qtbot, make_window):
    """The start-up window with one unsaved edit (so there is undo history to keep)."""
    window = make_window()
    add_point_and_settle(qtbot, window)
    return window


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_reported_and_changes_nothing(qtbot, edited_window, tmp_path, case):
    build, message = BAD_FILES[case]
    path = build(tmp_path)
    window = edited_window
    before = snapshot_of(window.document)
    panel_before = window.panel.settings()
    driver = drive(qtbot, lambda box: box.accept())
    assert window.file_commands.open_path(path) is False
    assert driver.done, "no message was shown"
    text = driver.texts[0]
    assert text.startswith(message), text
    if case == "npy holding pickled objects":
        assert "pickled" in text
    assert message.split(":")[0] in window.statusBar().currentMessage()
    assert_unchanged(window.document, before)
    assert window.panel.settings() == panel_before
    assert window.windowTitle() == "seed_example.csv* — GMM Studio"


def test_a_bad_file_through_the_file_dialog(qtbot, edited_window, tmp_path):
    path = make(tmp_path, "empty.csv", "")
    before = snapshot_of(edited_window.document)
    driver = drive(qtbot, choose_file(path), lambda box: box.accept())
    edited_window.file_menu.open_action.trigger()
    assert driver.done and driver.texts[1].startswith("empty.csv: the file is empty")
    assert_unchanged(edited_window.document, before)


def test_nan_and_infinite_rows_are_offered_for_dropping(qtbot, edited_window, tmp_path):
    path = make(tmp_path, "holes.csv", "x,y\n1,2\nnan,3\n4,inf\n5,6\n7,1\n")
    window = edited_window
    before = snapshot_of(window.document)
    offers = []

    def look_then(action):
        def act(dialog):
            assert isinstance(dialog, ImportDialog)
            offers.append(dialog.drop_check.text())
            action(dialog)

        return act

    driver = drive(qtbot, look_then(cancel))
    assert window.file_commands.open_path(path) is False and driver.done
    assert offers == ["Drop the 2 rows with missing or non-finite values"]
    assert_unchanged(window.document, before)

    # Accepting the offer drops them; the unsaved edit is asked about first (discard it).
    shown = window.frames_drawn
    driver = drive(qtbot, look_then(lambda d: d.accept()), lambda box: _click(box, "Discard"))
    assert window.file_commands.open_path(path) and driver.done
    wait_shown(qtbot, window, shown)
    np.testing.assert_array_equal(window.document.points, [[1, 2], [5, 6], [7, 1]])
    assert "dropped 2 rows" in window.statusBar().currentMessage()


def test_latin1_text_is_shown_with_its_note_before_loading(qtbot, edited_window, tmp_path):
    path = make(tmp_path, "latin.csv", "x,y\n1,2\n3,4\n5,1\n# café\n".encode("latin-1"))
    before = snapshot_of(edited_window.document)
    summaries = []

    def look(dialog):
        summaries.append(dialog.findChild(type(dialog.status), "summary").text())
        dialog.reject()

    driver = drive(qtbot, look)
    assert edited_window.file_commands.open_path(path) is False and driver.done
    assert "latin.csv" in summaries[0] and "not UTF-8" in summaries[0]
    assert_unchanged(edited_window.document, before)


def _click(box, text):
    from .modal_driver import click

    click(text)(box)


def test_no_read_permission_in_a_child_without_root_rights(tmp_path):
    """Root reads any file, so this runs the window in a child that cannot bypass modes."""
    secret = make(tmp_path, "secret.csv", "x,y\n1,2\n3,4\n")
    secret.chmod(0)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {os.getcwd()!r})
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from gmm_studio.gui.app import create_main_window
        window = create_main_window()
        window.show()
        points = window.document.points
        texts = []
        def answer():
            box = QApplication.activeModalWidget()
            if box is None:
                QTimer.singleShot(10, answer)
                return
            texts.append(box.text())
            box.accept()
        QTimer.singleShot(0, answer)
        opened = window.file_commands.open_path({str(secret)!r})
        print(opened, texts[0], window.document.points is points, window.document.name)
        window.close()
        """
    )
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        setpriv = "/usr/bin/setpriv"
        if not os.path.exists(setpriv):
            pytest.skip("running as root without setpriv: cannot drop the override capability")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, env=env)
    if done.returncode != 0 and done.stderr.startswith("setpriv:"):
        pytest.skip(f"setpriv cannot drop capabilities here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "False secret.csv: no permission to read this file True seed_example.csv"
    )
