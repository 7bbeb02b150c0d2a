"""The import dialog, driven with real clicks and key presses."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QStyle, QStyleOptionButton

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
    click(qtbot, dialog.fit_checks[2])  # only c left
    assert not ok_button(dialog).isEnabled()
    assert dialog.status.text() == "Tick at least two columns to fit."
    assert dialog.choice() is None
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
    table, axes = ask_import(faithful)  # no dialog shown
    assert table.n_samples == 272 and axes == (0, 1)
    for name, content in {
        "three.csv": "a,b,c\n1,2,3\n4,5,6\n",
        "text.csv": "n,a,b\nx,1,2\ny,3,4\n",
        "gaps.csv": "a,b\n1,2\n3,\n5,6\n",
    }.items():
        (tmp_path / name).write_text(content)
        assert import_choice_needed(inspect_table(tmp_path / name)), name
