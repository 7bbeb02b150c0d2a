"""True labels in the window: points coloured by the file's class column, and the fit's
agreement with it (adjusted Rand index, confusion table)."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gmm_studio.core.agreement import adjusted_rand_index
from gmm_studio.gui.import_dialog import ImportDialog
from gmm_studio.gui.palette import component_colors

from .file_helpers import open_with_dialog, run_to_the_end, wait_shown, write_csv
from .modal_driver import choose_file, drive


@pytest.fixture
def labelled(qtbot, make_window, tmp_path):
    rng = np.random.default_rng(6)
    centers = {"setosa": (0.0, 0.0), "versicolor": (6.0, 0.0), "virginica": (3.0, 5.0)}
    rows, species = [], []
    for name, center in centers.items():
        for point in (np.array(center) + rng.standard_normal((30, 2))).round(5):
            rows.append([*point, name])
            species.append(name)
    path = tmp_path / "flowers.csv"
    write_csv(path, ["a", "b", "species"], rows)
    window = make_window()

    def choose(dialog):
        assert isinstance(dialog, ImportDialog)
        assert dialog.labels_combo.currentText() == "species"
        dialog.accept()

    open_with_dialog(qtbot, window, path, choose)
    return window, np.array(species)


def test_the_agreement_is_shown_after_a_fit(qtbot, labelled):
    window, species = labelled
    view = window.true_labels
    np.testing.assert_array_equal(window.document.true_labels, species)
    run_to_the_end(qtbot, window)
    predicted = window.fit.mixture.predict_proba(window.document.points).argmax(axis=1)
    expected = adjusted_rand_index(species, predicted)
    assert view.agreement.text() == f"ARI {expected:.3f} vs species"
    counts = view.table.counts
    np.testing.assert_array_equal(counts.sum(axis=1), [30, 30, 30])
    assert view.table.classes == ["setosa", "versicolor", "virginica"]
    tip = view.agreement.toolTip()
    assert "<table" in tip and "virginica" in tip and str(counts[0].max()) in tip


def test_points_are_coloured_by_true_label(qtbot, labelled):
    window, species = labelled
    run_to_the_end(qtbot, window)
    view = window.true_labels
    assert view.action.isEnabled() and not view.action.isChecked()
    blended = window.canvas.points.colors.copy()
    button = window.toolbar.widgetForAction(view.action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert view.showing
    codes = np.unique(species, return_inverse=True)[1]
    np.testing.assert_array_equal(window.canvas.points.colors, component_colors(3)[codes])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # off: the responsibilities' colours
    assert not view.action.isChecked()
    np.testing.assert_array_equal(window.canvas.points.colors, blended)


def test_an_edit_puts_the_labels_aside(qtbot, labelled):
    window, _ = labelled
    run_to_the_end(qtbot, window)
    canvas = window.canvas
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_widget(3, 2))
    assert window.document.true_labels is None
    assert not window.true_labels.action.isEnabled()
    qtbot.waitUntil(lambda: window.true_labels.agreement.text() == "")
    window.document.undo_stack.undo()  # the file's rows again
    assert window.true_labels.action.isEnabled()


def test_a_session_keeps_the_labels_and_the_colouring(qtbot, make_window, labelled, tmp_path):
    window, species = labelled
    run_to_the_end(qtbot, window)
    click_action(qtbot, window)
    assert window.document.color_by_labels
    path = tmp_path / "flowers.gmms"
    driver = drive(qtbot, choose_file(path))
    window.file_menu.save_as_action.trigger()
    assert driver.done

    other = make_window()
    assert not other.true_labels.action.isEnabled()
    before = other.frames_drawn
    assert other.file_commands.open_path(path)
    wait_shown(qtbot, other, before)
    doc, view = other.document, other.true_labels
    np.testing.assert_array_equal(doc.true_labels, species)
    assert doc.label_column == "species" and doc.color_by_labels
    assert view.action.isEnabled() and view.action.isChecked() and view.showing
    codes = np.unique(species, return_inverse=True)[1]
    np.testing.assert_array_equal(other.canvas.points.colors, component_colors(3)[codes])
    qtbot.waitUntil(lambda: view.agreement.text() == window.true_labels.agreement.text())
    click_action(qtbot, other)  # off again: a view choice, not an unsaved change
    assert not doc.color_by_labels and not doc.dirty


def test_an_edited_document_saves_no_labels(qtbot, labelled, tmp_path):
    window, _ = labelled
    canvas = window.canvas
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_widget(3, 2))
    assert window.file_commands.session_from_document().true_labels is None


def click_action(qtbot, window):
    button = window.toolbar.widgetForAction(window.true_labels.action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
