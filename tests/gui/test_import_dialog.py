"""The import dialog, driven with real clicks and key presses."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QStyle,
    QStyleOptionButton,
)

from gmm_studio.gui.import_dialog import ImportDialog, ask_import, import_choice_needed
from gmm_studio.io import inspect_table


@pytest.fixture
def table_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).round(6)
    lines = ["site,a,b,c"] + [f"s{i},{a},{b},{c}" for i, (a, b, c) in enumerate(X.tolist())]
    lines[4] = "s3,1.5,,2.5"  # b missing on line 5
    lines[9] = "s8,1.5,2.5,inf"  # c infinite on line 10
    path = tmp_path / "sites.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, X


@pytest.fixture
def dialog(qtbot, table_file):
    dialog = ImportDialog(inspect_table(table_file[0]))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def ok_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def click(qtbot, widget):
    """A real left click: on a check box's indicator, else in the widget's middle."""
    pos = widget.rect().center()
    if isinstance(widget, QCheckBox):
        option = QStyleOptionButton()
        widget.initStyleOption(option)
        style = widget.style()
        pos = style.subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, widget).center()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def test_preview_and_defaults(dialog):
    assert dialog.windowTitle() == "Import sites.csv"
    preview = dialog.preview
    assert [preview.horizontalHeaderItem(i).text() for i in range(4)] == ["site", "a", "b", "c"]
    assert preview.item(0, 0).text() == "s0"
    assert preview.verticalHeaderItem(0).text() == "line 2"
    assert (
        "30 rows, 4 columns (3 numeric)" in dialog.findChild(type(dialog.status), "summary").text()
    )
    assert dialog.selected_columns() == [1, 2, 3]
    assert (dialog.x_combo.currentText(), dialog.y_combo.currentText()) == ("a", "b")
    assert dialog.drop_check.text() == "Drop the 2 rows with missing or non-finite values"
    assert dialog.status.text() == "28 points in 3 dimensions."
    assert ok_button(dialog).isEnabled()


def test_choosing_columns_axes_and_importing(qtbot, dialog, table_file):
    click(qtbot, dialog.fit_checks[2])  # untick b: only c's infinite row is incomplete now
    assert dialog.selected_columns() == [1, 3]
    assert dialog.drop_check.text() == "Drop the 1 row with missing or non-finite values"
    assert (dialog.x_combo.currentText(), dialog.y_combo.currentText()) == ("a", "c")
    dialog.x_combo.setFocus()
    qtbot.keyClick(dialog.x_combo, Qt.Key.Key_Down)  # horizontal axis: c
    assert dialog.x_combo.currentText() == "c"
    qtbot.keyClick(dialog.y_combo, Qt.Key.Key_Up)  # vertical axis: a
    assert dialog.y_combo.currentText() == "a"
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        click(qtbot, ok_button(dialog))
    assert dialog.result() == QDialog.DialogCode.Accepted
    choice = dialog.choice()
    assert choice.columns == [1, 3] and choice.axes == (1, 0) and choice.drop_incomplete
    table = dialog.points()
    assert table.columns == ["a", "c"] and table.n_dropped == 1
    assert table.n_samples == 29


def test_invalid_choices_disable_import_and_say_why(qtbot, dialog):
    click(qtbot, dialog.fit_checks[1])
    click(qtbot, dialog.fit_checks[2])  # only c left: a histogram
    assert ok_button(dialog).isEnabled() and dialog.choice().axes == (0, 0)
    click(qtbot, dialog.fit_checks[3])  # none left
    assert not ok_button(dialog).isEnabled()
    assert dialog.status.text() == "Tick at least one column to fit."
    assert dialog.choice() is None
    click(qtbot, dialog.fit_checks[3])  # c again
    click(qtbot, dialog.fit_checks[2])  # b and c
    assert ok_button(dialog).isEnabled()
    assert (dialog.x_combo.currentText(), dialog.y_combo.currentText()) == ("c", "b")
    dialog.y_combo.setFocus()
    qtbot.keyClick(dialog.y_combo, Qt.Key.Key_Down)  # both axes c
    assert dialog.status.text() == "Show two different columns on the axes."
    assert not ok_button(dialog).isEnabled()
    qtbot.keyClick(dialog.y_combo, Qt.Key.Key_Up)
    click(qtbot, dialog.drop_check)  # keep incomplete rows: EM cannot
    assert dialog.status.text().startswith("EM needs complete rows")
    assert not ok_button(dialog).isEnabled()
    click(qtbot, ok_button(dialog))
    assert dialog.isVisible()  # nothing happened
    click(qtbot, dialog.drop_check)
    assert ok_button(dialog).isEnabled()


def test_cancel(qtbot, dialog):
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel))
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_a_column_with_stray_text_cannot_be_ticked(qtbot, tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("x,y,z\n1,2,3\n4,5,6\n7,oops,9\n10,11,12\n")
    dialog = ImportDialog(inspect_table(path))
    qtbot.addWidget(dialog)
    check = dialog.fit_checks[1]
    assert not check.isEnabled() and not check.isChecked()
    assert "line 4 holds 'oops'" in check.toolTip()
    assert dialog.choice().columns == [0, 2]


def test_the_dialog_is_only_needed_when_the_choice_is_not_obvious(tmp_path, samples_dir):
    faithful = inspect_table(samples_dir / "old_faithful.csv")
    assert not import_choice_needed(faithful)
    table, axes, standardize = ask_import(faithful)  # no dialog shown
    assert table.n_samples == 272 and axes == (0, 1) and standardize is None
    for name, content in {
        "three.csv": "a,b,c\n1,2,3\n4,5,6\n",
        "text.csv": "n,a,b\nx,1,2\ny,3,4\n",
        "gaps.csv": "a,b\n1,2\n3,\n5,6\n",
    }.items():
        (tmp_path / name).write_text(content)
        assert import_choice_needed(inspect_table(tmp_path / name)), name


def show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def edit_cell(qtbot, table, row, column, text):
    """Type ``text`` into a cell of ``table`` as a user does: double-click, type, Tab."""
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    (editor,) = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible()]
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # commits, as a click elsewhere does


def test_header_row_and_first_data_row_reread_the_file(qtbot, tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Weekly report\nweek 12\nx,y\n-,-\n1,2\n3,4\n5,7\n")
    dialog = show(qtbot, ImportDialog(inspect_table(path)))
    assert dialog.header_spin.value() == 3 and dialog.data_spin.value() == 4
    assert "skipped lines 1–2 above the table" in dialog.summary.text()
    dialog.data_spin.setFocus()
    qtbot.keyClick(dialog.data_spin, Qt.Key.Key_Up)  # first data row: line 5
    assert dialog.info.n_rows == 3
    assert dialog.preview.verticalHeaderItem(0).text() == "line 5"
    assert dialog.status.text() == "3 points in 2 dimensions."
    np.testing.assert_array_equal(dialog.points().data, [[1, 2], [3, 4], [5, 7]])
    dialog.header_spin.setFocus()
    dialog.header_spin.selectAll()
    qtbot.keyClicks(dialog.header_spin, "0")
    qtbot.keyClick(dialog.header_spin, Qt.Key.Key_Return)  # no header: names made up
    assert dialog.info.columns == ["x", "y"] and not dialog.info.has_header
    assert dialog.info.n_rows == 3
    dialog.data_spin.selectAll()
    qtbot.keyClicks(dialog.data_spin, "99")
    qtbot.keyClick(dialog.data_spin, Qt.Key.Key_Return)
    assert dialog.status.text() == "Holds only comments or blank lines, no data."
    assert not ok_button(dialog).isEnabled()


def test_columns_are_renamed_in_the_row_of_names(qtbot, dialog):
    edit_cell(qtbot, dialog.names, 0, 1, "alpha")
    assert dialog.fit_checks[1].text() == "alpha"
    assert dialog.x_combo.currentText() == "alpha"
    assert dialog.points().columns == ["alpha", "b", "c"]
    edit_cell(qtbot, dialog.names, 0, 2, "alpha")
    assert dialog.status.text() == "Two columns have the same name."
    assert dialog.choice() is None
    edit_cell(qtbot, dialog.names, 0, 2, "")
    assert dialog.status.text() == "Every column needs a name."


@pytest.fixture
def iris_like(tmp_path):
    rng = np.random.default_rng(0)
    species = ["setosa", "versicolor", "virginica"]
    lines = ["id,a,b,w,species"] + [
        f"{i + 1:04d},{rng.normal()!r},{rng.normal()!r},{i % 3},{species[i % 3]}" for i in range(30)
    ]
    path = tmp_path / "iris_like.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_index_and_label_columns_are_offered_but_not_ticked(qtbot, iris_like):
    info = inspect_table(iris_like)
    assert import_choice_needed(info)
    dialog = show(qtbot, ImportDialog(info))
    assert dialog.fit_checks[0].text() == "id (index)" and not dialog.fit_checks[0].isChecked()
    assert dialog.selected_columns() == [1, 2, 3]
    assert "not fitted: 'id' numbers the rows (an index)" in dialog.summary.text()
    assert dialog.labels_combo.currentText() == "species"
    assert not dialog.weights_combo.isVisibleTo(dialog)
    assert not dialog.standardize_check.isVisibleTo(dialog)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        click(qtbot, ok_button(dialog))
    table = dialog.points()
    assert table.columns == ["a", "b", "w"] and table.label_column == "species"
    assert table.labels.tolist()[:3] == ["setosa", "versicolor", "virginica"]
    assert dialog.choice().labels == 4 and dialog.choice().weights is None


def test_choosing_weights_and_standardize_when_offered(qtbot, iris_like):
    dialog = show(
        qtbot, ImportDialog(inspect_table(iris_like), offer_weights=True, offer_standardize=True)
    )
    dialog.weights_combo.setFocus()
    qtbot.keyClicks(dialog.weights_combo, "w")
    assert dialog.weights_column() == 3
    assert not dialog.fit_checks[3].isChecked() and not dialog.fit_checks[3].isEnabled()
    # w holds 0, 1 and 2: valid weights; rows of weight 0 stay (they count for nothing)
    assert dialog.status.text().startswith("30 points in 2 dimensions.")
    click(qtbot, dialog.standardize_check)
    choice = dialog.choice()
    assert choice.weights == 3 and choice.standardize and choice.columns == [1, 2]
    table = dialog.points()
    assert table.weight_column == "w" and table.sample_weight.tolist()[:4] == [0, 1, 2, 0]
    dialog.weights_combo.setCurrentIndex(dialog.weights_combo.findText("a"))  # a is negative
    click(qtbot, dialog.fit_checks[3])  # fit w now
    assert dialog.weights_column() == 1
    assert dialog.status.text().startswith("Weights column 'a' holds negative weights")
    assert not ok_button(dialog).isEnabled()


def test_another_sheet_of_a_workbook(qtbot, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "small"
    for row in [["x", "y"], [1.0, 2.0], [3.0, 4.0], [5.0, 6.5]]:
        book.active.append(row)
    other = book.create_sheet("large")
    other.append(["Readings"])
    other.append(["u", "v", "w"])
    for i in range(12):
        other.append([i / 2, float(i * i), float(-i)])
    path = tmp_path / "book.xlsx"
    book.save(path)
    dialog = show(qtbot, ImportDialog(inspect_table(path)))
    assert dialog.sheet_combo.isVisibleTo(dialog) and dialog.sheet_combo.currentText() == "small"
    assert dialog.preview.verticalHeaderItem(0).text() == "row 2"
    dialog.sheet_combo.setFocus()
    qtbot.keyClick(dialog.sheet_combo, Qt.Key.Key_Down)
    assert dialog.info.spec.sheet == "large" and dialog.info.columns == ["u", "v", "w"]
    assert (dialog.header_spin.value(), dialog.data_spin.value()) == (2, 3)
    assert dialog.status.text() == "12 points in 3 dimensions."
    assert dialog.points().data[-1].tolist() == [5.5, 121.0, -11.0]
