"""View preferences persist (in the test's own QSettings folder); data with more columns."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from gmm_studio.cli import main
from gmm_studio.gui.document import Document
from gmm_studio.gui.settings_store import open_settings

from .conftest import blobs, pixel_of


def test_speed_radii_and_coloring_are_remembered(qtbot, make_window, tmp_path):
    first = make_window(speed=7)
    first.panel.radius_boxes[2].setChecked(False)
    first.hard_labels_action.trigger()
    first.close()
    path = open_settings().fileName()
    assert path.startswith(str(tmp_path))
    assert QSettings(path, QSettings.Format.IniFormat).value("view/speed") in (7, "7")
    second = make_window(speed=None)
    assert second.panel.speed.value() == 7
    assert second.panel.radii() == (1.0, 2.0)
    assert second.canvas.components.radii == (1.0, 2.0)
    assert second.hard_labels_action.isChecked()


def test_three_columns_fit_in_3d_and_draw_the_displayed_pair(qtbot, make_window):
    rng = np.random.default_rng(0)
    xy = blobs()
    X = np.column_stack([xy, rng.standard_normal(len(xy)) * 3 + 10])
    doc = Document(X, ["a", "b", "c"], name="three.csv")
    window = make_window(doc)
    assert doc.mixture.n_features == 3
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(window, 3.0, 2.0)
    )
    added = doc.points[-1]
    assert added[2] == pytest.approx(np.mean(X[:, 2]))  # hidden column: the data's mean
    with qtbot.waitSignal(window.controller.jobFinished, timeout=30_000):
        window.run_action.trigger()
    np.testing.assert_allclose(window.canvas.components.drawn_means(), doc.mixture.means[:, :2])


def test_an_unreadable_file_is_reported_without_opening_a_window(tmp_path, capsys):
    assert main([str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv" in capsys.readouterr().err
