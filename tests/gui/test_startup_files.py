"""``gmm-studio PATH``: the file named on the command line goes through the same import path
as File ▸ Open (sessions too), and the import dialog when the choice is not obvious."""

import numpy as np
import pytest

from gmm_studio.cli import main
from gmm_studio.gui.document import Document
from gmm_studio.io import DataFileError, Session, open_document, save_session

from .file_helpers import wait_shown, write_csv
from .modal_driver import accept, drive


def start_with(qtbot, make_window, path):
    """What `gmm-studio PATH` does, with the test's window fixture."""
    contents = open_document(path)
    window = make_window(Document())
    window.file_handling.open_at_start(path, contents)
    return window


def test_a_plain_table_opens_directly(qtbot, make_window, tmp_path):
    path = tmp_path / "two.csv"
    write_csv(path, ["u", "v"], [[0, 1], [2, 3], [4, 1], [5, 5]])
    window = start_with(qtbot, make_window, path)
    assert window.document.name == "two.csv" and window.document.columns == ["u", "v"]
    assert window.file_commands.recent_files() == [str(path)]
    qtbot.waitUntil(lambda: window.state == "ready")
    assert str(path) in window.file_commands.python_code()


def test_a_table_with_choices_shows_the_import_dialog(qtbot, make_window, tmp_path):
    path = tmp_path / "three.csv"
    rng = np.random.default_rng(0)
    write_csv(path, ["a", "b", "c"], rng.normal(size=(20, 3)).round(4))
    driver = drive(qtbot, accept)
    window = start_with(qtbot, make_window, path)
    qtbot.waitUntil(lambda: driver.done, timeout=10_000)
    qtbot.waitUntil(lambda: window.document.name == "three.csv", timeout=10_000)
    assert window.document.columns == ["a", "b", "c"]


def test_a_session_restores_the_window(qtbot, make_window, tmp_path):
    path = tmp_path / "s.gmms"
    points = np.arange(20.0).reshape(10, 2) % 7
    save_session(path, Session(points=points, columns=["p", "q"], axes=(1, 0)))
    window = start_with(qtbot, make_window, path)
    doc = window.document
    np.testing.assert_array_equal(doc.points, points)
    assert doc.axes == (1, 0) and doc.name == "s.gmms" and not doc.dirty
    assert window.canvas.getPlotItem().getAxis("bottom").labelText == "q"
    wait_shown(qtbot, window, 0)


def test_a_bad_file_stops_before_any_window(tmp_path, capsys):
    with pytest.raises(DataFileError):
        open_document(tmp_path / "nothere.gmms")
    (tmp_path / "empty.csv").write_text("")
    assert main([str(tmp_path / "empty.csv")]) == 1
    assert capsys.readouterr().err.strip() == "gmm-studio: empty.csv: the file is empty"
