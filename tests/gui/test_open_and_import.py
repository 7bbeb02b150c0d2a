"""Opening data through the window: File ▸ Open with the import dialog, samples, generated
data, recent files and choosing the displayed axes later."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

from gmm_studio.gui.generate_dialog import GenerateDialog
from gmm_studio.gui.import_dialog import ImportDialog

from .file_helpers import (
    assert_unchanged,
    run_to_the_end,
    snapshot_of,
    three_column_document,
    wait_shown,
    write_csv,
)
from .modal_driver import cancel, choose_file, drive


def click_check(qtbot, box: QCheckBox) -> None:
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=rect.center())


def sites_file(tmp_path):
    """4 numeric columns, a text column and one row with a missing value."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 4)).round(5)
    rows = [[f"s{i}", *row] for i, row in enumerate(X.tolist())]
    rows[3][2] = ""  # column b missing on line 5
    path = tmp_path / "sites.csv"
    write_csv(path, ["site", "a", "b", "c", "d"], rows)
    return path, X


def test_file_open_shows_the_import_dialog_and_loads_the_choice(qtbot, make_window, tmp_path):
    path, X = sites_file(tmp_path)
    window = make_window()
    seen = {}

    def choose(dialog):
        assert isinstance(dialog, ImportDialog)
        seen["title"] = dialog.windowTitle()
        click_check(qtbot, dialog.fit_checks[4])  # untick d
        dialog.y_combo.setCurrentIndex(2)  # a against c
        seen["status"] = dialog.status.text()
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
        )

    before = window.frames_drawn
    driver = drive(qtbot, choose_file(path), choose)
    window.file_menu.open_action.trigger()
    assert driver.done
    wait_shown(qtbot, window, before)
    assert seen["title"] == "Import sites.csv"
    assert seen["status"] == "39 points in 3 dimensions."
    doc = window.document
    assert doc.columns == ["a", "b", "c"] and doc.axes == (0, 2)
    np.testing.assert_array_equal(doc.points, np.delete(X[:, :3], 3, axis=0))
    assert doc.mixture.n_features == 3  # EM runs in all chosen dimensions
    assert doc.name == "sites.csv" and not doc.dirty
    assert window.windowTitle() == "sites.csv — GMM Studio"
    assert "dropped 1 row" in window.statusBar().currentMessage()
    assert window.canvas.getPlotItem().getAxis("left").labelText == "c"
    assert window.file_commands.recent_files() == [str(path)]


def test_cancelling_the_import_dialog_leaves_the_document_alone(qtbot, make_window, tmp_path):
    path, _ = sites_file(tmp_path)
    window = make_window()
    before = snapshot_of(window.document)
    driver = drive(qtbot, cancel)
    assert window.file_commands.open_path(path) is False
    assert driver.done
    assert_unchanged(window.document, before)


def test_two_plain_columns_open_without_a_dialog(qtbot, make_window, tmp_path):
    path = tmp_path / "plain.tsv"
    path.write_text("p\tq\n1\t2\n3\t4\n5\t7\n8\t1\n", encoding="utf-8")
    window = make_window()
    assert window.file_commands.open_path(path)
    np.testing.assert_array_equal(window.document.points, [[1, 2], [3, 4], [5, 7], [8, 1]])
    assert window.document.columns == ["p", "q"]


def test_open_sample_menu(qtbot, make_window):
    window = make_window()
    menu = window.file_menu.sample_menu
    actions = {a.text(): a for a in menu.actions() if a.text()}
    before = window.frames_drawn
    actions["Old Faithful geyser eruptions"].trigger()
    wait_shown(qtbot, window, before)
    doc = window.document
    assert doc.n_points == 272 and doc.columns == ["eruptions", "waiting"]
    assert doc.settings.n_components == 2 and doc.name == "old_faithful.csv"
    assert doc.path is None  # a sample is saved as a new file
    before = window.frames_drawn
    actions["Generated: Well separated"].trigger()
    wait_shown(qtbot, window, before)
    assert window.document.n_points == 300
    actions["The notebook's 100 points"].trigger()
    assert window.document.n_points == 100 and window.document.settings.n_components == 3


def test_generate_data_through_its_dialog(qtbot, make_window):
    window = make_window()

    def generate(dialog):
        assert isinstance(dialog, GenerateDialog)
        dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("anisotropic"))
        dialog.points_spin.setValue(150)
        dialog.accept()

    before = window.frames_drawn
    driver = drive(qtbot, generate)
    window.file_menu.generate_action.trigger()
    assert driver.done
    wait_shown(qtbot, window, before)
    assert window.document.n_points == 150
    assert "anisotropic" in window.document.name


def test_recent_files_reopen_and_forget_missing_ones(qtbot, make_window, tmp_path):
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    write_csv(first, ["x", "y"], [[0, 0], [1, 2], [2, 1], [5, 5]])
    write_csv(second, ["x", "y"], [[0, 1], [1, 3], [2, 2], [5, 6]])
    window = make_window()
    fa, menu = window.file_commands, window.file_menu
    assert fa.open_path(first) and fa.open_path(second)
    assert fa.recent_files() == [str(second), str(first)]
    menu.recent_menu.aboutToShow.emit()
    entries = [a for a in menu.recent_menu.actions() if a.text().startswith("&")]
    assert [a.text() for a in entries] == ["&1 two.csv", "&2 one.csv"]
    entries[1].trigger()
    assert window.document.name == "one.csv"
    # A recent file that has gone: a message naming it, and it leaves the list.
    second.unlink()
    driver = drive(qtbot, lambda box: box.accept())
    assert fa.open_path(second) is False
    assert driver.done and "two.csv: file not found" in driver.texts[0]
    assert fa.recent_files() == [str(first)]
    # A second window (a later start) sees the same list.
    other = make_window()
    assert other.file_commands.recent_files() == [str(first)]


def test_changing_the_displayed_axes_does_not_refit(qtbot, make_window):
    window = make_window(three_column_document())
    run_to_the_end(qtbot, window)
    doc = window.document
    mixture, iteration, state = doc.mixture, doc.iteration, window.state
    bar = window.axes_bar
    assert [bar.x_combo.itemText(i) for i in range(3)] == ["a", "b", "c"]
    bar.x_combo.setCurrentIndex(2)  # c against b
    assert doc.axes == (2, 1)
    assert doc.mixture is mixture and doc.iteration == iteration and window.state == state
    assert not window.controller.active
    np.testing.assert_array_equal(window.canvas.points.positions, doc.points[:, [2, 1]])
    np.testing.assert_array_equal(window.canvas.components.drawn_means(), mixture.means[:, [2, 1]])
    # Each ellipse is the matching 2x2 block of the 3x3 covariance.
    from gmm_studio.gui.component_layer import ellipse_polylines

    expected = ellipse_polylines(mixture, (2, 1), window.canvas.components.radii)
    for drawn, want in zip(window.canvas.components.drawn_ellipses(), expected, strict=True):
        np.testing.assert_allclose(drawn, want)
    # Choosing the column already on the other axis swaps them.
    bar.y_combo.setCurrentIndex(2)
    assert doc.axes == (1, 2)
    assert window.canvas.getPlotItem().getAxis("bottom").labelText == "b"
