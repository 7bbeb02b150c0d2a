"""The Generate data dialog, driven with real typing and clicks."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from gmm_studio.core import NOTEBOOK_MIXTURE, PRESETS, generate_mixture_data
from gmm_studio.gui.generate_dialog import PRESET_LABELS, GenerateDialog


@pytest.fixture
def dialog(qtbot):
    dialog = GenerateDialog(seed=3)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def ok_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def type_into(qtbot, widget, text):
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Tab)


def choose_preset(qtbot, dialog, key):
    dialog.preset_combo.setFocus()
    target = dialog.preset_combo.findData(key)
    while dialog.preset_combo.currentIndex() != target:
        step = Qt.Key.Key_Down if dialog.preset_combo.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(dialog.preset_combo, step)


def test_starts_with_valid_random_parameters(dialog):
    assert dialog.preset == "custom"
    assert ok_button(dialog).isEnabled()
    mixture = dialog.typed_mixture()
    assert mixture.n_components == 3
    assert dialog.edits[3][0].isHidden()


def test_typed_in_parameters_generate_the_notebooks_way(qtbot, dialog):
    type_into(qtbot, dialog.components_spin, "2")
    assert dialog.edits[1][0].isVisible() and dialog.edits[2][0].isHidden()
    typed = {
        0: ["1", "0", "0", "1", "0.5", "0.2"],
        1: ["3", "5", "5", "0.3", "0.3", "0"],
    }
    for k, values in typed.items():
        for edit, value in zip(dialog.edits[k], values, strict=True):
            type_into(qtbot, edit, value)
    type_into(qtbot, dialog.points_spin, "500")
    type_into(qtbot, dialog.seed_spin, "11")
    assert dialog.status.text() == "500 points from custom (typed in or random) parameters."
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        click(qtbot, ok_button(dialog))
    data = dialog.generated
    assert data.points.shape == (500, 2) and data.preset == "custom" and data.seed == 11
    np.testing.assert_allclose(data.mixture.weights, [0.25, 0.75])
    np.testing.assert_array_equal(data.mixture.means, [[0, 0], [5, 5]])
    np.testing.assert_array_equal(data.mixture.covariances[0], [[1, 0.2], [0.2, 0.5]])
    X, labels = generate_mixture_data(
        500, [0.25, 0.75], [[0, 0], [5, 5]], [[[1, 0.2], [0.2, 0.5]], [[0.3, 0], [0, 0.3]]],
        seed=11,
    )  # fmt: skip
    np.testing.assert_array_equal(data.points, X)
    np.testing.assert_array_equal(data.labels, labels)


def test_invalid_parameters_disable_generate_and_say_why(qtbot, dialog):
    type_into(qtbot, dialog.edits[1][5], "99")  # cov xy far above the variances
    assert not ok_button(dialog).isEnabled()
    assert dialog.status.text().startswith("component 1: the covariance is not positive definite")
    click(qtbot, ok_button(dialog))
    assert dialog.isVisible() and dialog.generated is None
    type_into(qtbot, dialog.edits[1][5], "0")
    assert ok_button(dialog).isEnabled()
    type_into(qtbot, dialog.edits[0][0], "0")
    assert dialog.status.text() == "component 0: the weight must be positive"
    dialog.edits[2][3].setFocus()
    qtbot.keyClick(dialog.edits[2][3], Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.edits[2][3], Qt.Key.Key_Delete)
    type_into(qtbot, dialog.edits[0][0], "1")
    assert dialog.status.text() == "component 2: enter a number for var x"


def test_the_notebook_preset(qtbot, dialog):
    choose_preset(qtbot, dialog, "notebook")
    assert dialog.preset == "notebook"
    assert dialog.typed_mixture().means.tolist() == NOTEBOOK_MIXTURE.means.tolist()
    assert dialog.edits[1][3].text() == "0.92" and dialog.edits[1][5].text() == "0.38"
    type_into(qtbot, dialog.points_spin, "100")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        click(qtbot, ok_button(dialog))
    X, _labels, mixture = PRESETS["notebook"](100, 3)
    np.testing.assert_array_equal(dialog.generated.points, X)
    assert dialog.generated.mixture == mixture


def test_editing_a_preset_makes_it_custom(qtbot, dialog):
    choose_preset(qtbot, dialog, "overlapping")
    type_into(qtbot, dialog.edits[0][1], "42")
    assert dialog.preset == "custom"
    assert dialog.generate().mixture.means[0, 0] == 42


@pytest.mark.parametrize("key", [k for k in PRESET_LABELS if k != "custom"])
def test_every_preset_generates(qtbot, key):
    dialog = GenerateDialog(n_points=200, seed=5)
    qtbot.addWidget(dialog)
    choose_preset(qtbot, dialog, key)
    data = dialog.generate()
    X, _labels, mixture = PRESETS[key](200, 5)
    np.testing.assert_array_equal(data.points, X)
    assert dialog.components_spin.value() == mixture.n_components
    assert data.preset == key


def test_random_button_and_seed(qtbot, dialog):
    before = dialog.typed_mixture()
    type_into(qtbot, dialog.seed_spin, "8")
    click(qtbot, dialog.random_button)
    after = dialog.typed_mixture()
    assert not np.allclose(before.means, after.means)
    click(qtbot, dialog.random_button)
    np.testing.assert_allclose(dialog.typed_mixture().means, after.means, rtol=1e-5)


def test_cancel_generates_nothing(qtbot, dialog):
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel))
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.generated is None
