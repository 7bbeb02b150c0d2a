"""What the File menu remembers between runs (in the test's own QSettings folder)."""

from PySide6.QtCore import Qt

from gmm_studio.gui.settings_store import open_settings

from .file_helpers import write_csv
from .modal_driver import drive


def test_the_last_folder_is_where_the_next_file_dialog_opens(qtbot, make_window, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / "p.csv"
    write_csv(path, ["x", "y"], [[0, 0], [1, 1], [2, 0], [4, 4]])
    first = make_window()
    assert first.file_commands.open_path(path)
    first.close()
    assert open_settings().fileName().startswith(str(tmp_path))
    second = make_window()
    assert second.settings_store.last_folder() == str(folder)
    directories = []

    def look(dialog):
        directories.append(dialog.directory().absolutePath())
        dialog.reject()

    driver = drive(qtbot, look)
    assert second.file_commands.open() is False
    assert driver.done and directories == [str(folder)]


def test_toolbar_layout_is_restored(qtbot, make_window):
    first = make_window()
    first.removeToolBar(first.axes_bar)
    first.addToolBar(Qt.ToolBarArea.BottomToolBarArea, first.axes_bar)
    first.axes_bar.show()
    first.close()
    second = make_window()
    assert second.toolBarArea(second.axes_bar) == Qt.ToolBarArea.BottomToolBarArea
