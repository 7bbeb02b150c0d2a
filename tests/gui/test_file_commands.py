"""The file commands on a real document and real files, with a test answering for the user
(no dialogs, no window)."""

import numpy as np
import pytest

from gmm_studio.gui.commands import AddPointsCommand
from gmm_studio.gui.document import Document
from gmm_studio.gui.file_commands import FileCommands
from gmm_studio.gui.file_questions import Answer, FileQuestions
from gmm_studio.gui.settings_store import SettingsStore
from gmm_studio.io import load_session, read_points

from .file_helpers import write_csv


class Answers(FileQuestions):
    """Answers each question with the next scripted answer and records what was said."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.notes: list[str] = []

    def _next(self, kind: str, text: str):
        self.asked.append((kind, text))
        assert self.answers, f"unexpected question: {kind} {text}"
        return self.answers.pop(0)

    def ask_open_path(self, title, file_filter, folder):
        return self._next("open", title)

    def ask_save_path(self, title, file_filter, folder, suggested):
        return self._next("save", f"{title}: {suggested}")

    def ask_import(self, info, standardize):
        return info.select(), (0, 1), standardize

    def ask_unsaved(self, question, detail):
        return self._next("unsaved", f"{question}\n{detail}")

    def ask_restore(self, item):
        return self._next("restore", str(item.path))

    def show_error(self, title, text):
        self.errors.append(text)

    def show_status(self, text):
        self.notes.append(text)

    def busy(self, text, work):
        return work()


@pytest.fixture
def table_file(tmp_path):
    path = tmp_path / "data.csv"
    write_csv(path, ["u", "v"], [[0, 1], [2, 3], [4, 1], [5, 5]])
    return path


def commands_for(document, *answers):
    answers = Answers(*answers)
    return FileCommands(document, SettingsStore(), answers), answers


def edit(document):
    document.undo_stack.push(AddPointsCommand(document, np.array([[9.0, 9.0]])))


def test_open_replaces_the_document_and_remembers_the_file(qtbot, table_file):
    doc = Document()
    commands, answers = commands_for(doc, table_file)
    assert commands.open()
    assert doc.name == "data.csv" and doc.columns == ["u", "v"] and doc.n_points == 4
    assert commands.recent_files() == [str(table_file)]
    assert commands.store.last_folder() == str(table_file.parent)
    assert answers.notes == ["Opened data.csv: 4 points, 2 columns"]


def test_a_bad_file_is_reported_by_name_and_changes_nothing(qtbot, tmp_path):
    doc = Document(np.ones((3, 2)), ["x", "y"], name="kept.csv")
    commands, answers = commands_for(doc)
    (tmp_path / "empty.csv").write_text("")
    assert commands.open_path(tmp_path / "empty.csv") is False
    assert answers.errors == ["empty.csv: the file is empty"]
    assert doc.name == "kept.csv" and doc.n_points == 3


def test_unsaved_work_asks_and_cancel_keeps_it(qtbot, table_file):
    doc = Document(np.ones((3, 2)), ["x", "y"], name="points.csv")
    edit(doc)
    commands, answers = commands_for(doc, Answer.CANCEL)
    assert commands.open_path(table_file) is False
    assert doc.n_points == 4 and doc.name == "points.csv" and doc.dirty
    kind, text = answers.asked[0]
    assert kind == "unsaved" and text.startswith("Save your work as a session file before opening")
    assert "(points.gmms)" in text and "points.csv itself is not changed" in text


def test_save_writes_a_session_then_names_it_in_the_next_prompt(qtbot, table_file, tmp_path):
    doc = Document(np.ones((3, 2)), ["x", "y"], name="points.csv")
    edit(doc)
    session = tmp_path / "work"  # typed without its extension
    commands, answers = commands_for(doc, Answer.SAVE, session, Answer.DISCARD)
    assert commands.open_path(table_file)
    assert answers.asked[1] == ("save", "Save session: points.gmms")
    assert load_session(tmp_path / "work.gmms").points.shape == (4, 2)
    assert doc.name == "data.csv"
    # The document now came from a data file again; after a session is opened and edited,
    # the prompt names that session.
    assert commands.open_path(tmp_path / "work.gmms")
    edit(doc)
    assert commands.open_path(table_file)
    _kind, text = answers.asked[-1]
    assert text.startswith("Save the changes to the session work.gmms before opening data.csv")


def test_discard_replaces_without_saving(qtbot, table_file, tmp_path):
    doc = Document(np.ones((3, 2)), ["x", "y"], name="points.csv")
    edit(doc)
    commands, _answers = commands_for(doc, Answer.DISCARD)
    assert commands.open_path(table_file) and doc.name == "data.csv" and not doc.dirty
    assert not list(tmp_path.glob("*.gmms"))


def test_save_points_adds_the_extension_and_writes_the_points(qtbot, table_file, tmp_path):
    doc = Document()
    commands, _answers = commands_for(doc, table_file, tmp_path / "out")
    assert commands.open()
    assert commands.save_points()
    np.testing.assert_array_equal(read_points(tmp_path / "out.csv").data, doc.points)
    # Nothing to export without a fit; no question is asked.
    assert commands.export_model() is False and commands.python_code() is None
