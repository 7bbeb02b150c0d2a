"""Saving and reopening through the File menu: sessions, points, model, labels, canvas."""

import json

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication, QImage

from gmm_studio.core import FitSettings
from gmm_studio.gui.commands import AddPointsCommand
from gmm_studio.io import read_model_json, read_points

from .file_helpers import run_to_the_end, three_column_document, wait_shown, write_csv
from .modal_driver import accept, choose_file, drive


@pytest.fixture
def fitted(qtbot, make_window):
    """A 3-D document showing columns a and c, fitted to the end."""
    window = make_window(three_column_document())
    window.axes_bar.y_combo.setCurrentIndex(2)
    assert window.document.axes == (0, 2)
    run_to_the_end(qtbot, window)
    return window


def save_through_menu(qtbot, action, path) -> None:
    driver = drive(qtbot, choose_file(path))
    action.trigger()
    assert driver.done


def test_the_file_menu_holds_every_file_action(window):
    menu = window.file_menu.file_menu
    texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    for expected in (
        "New",
        "Open…",
        "Open Recent",
        "Open Sample",
        "Generate data…",
        "Save session",
        "Save session as…",
        "Save points as CSV…",
        "Export",
        "Copy as Python",
        "Quit",
    ):
        assert expected in texts


def test_a_session_reopens_in_a_new_window_exactly(qtbot, make_window, fitted, tmp_path):
    doc = fitted.document
    assert doc.dirty and doc.iteration > 0  # a fit is an unsaved change
    path = tmp_path / "work.gmms"
    save_through_menu(qtbot, fitted.file_menu.save_as_action, path)
    assert path.is_file() and not doc.dirty
    assert fitted.windowTitle() == "work.gmms — GMM Studio"

    second = make_window()  # the start-up sample
    before = second.frames_drawn
    driver = drive(qtbot, choose_file(path))
    second.file_menu.open_action.trigger()
    assert driver.done
    wait_shown(qtbot, second, before)
    new = second.document
    np.testing.assert_array_equal(new.points, doc.points)
    assert new.columns == ["a", "b", "c"] and new.axes == (0, 2)
    assert new.settings == doc.settings and second.panel.settings() == doc.settings
    for name in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(new.mixture, name), getattr(doc.mixture, name))
    assert new.log_likelihood_history == doc.log_likelihood_history
    assert new.iteration == doc.iteration
    assert not new.dirty and second.windowTitle() == "work.gmms — GMM Studio"
    np.testing.assert_array_equal(
        second.canvas.components.drawn_means(), doc.mixture.means[:, [0, 2]]
    )
    np.testing.assert_array_equal(second.canvas.points.positions, doc.points[:, [0, 2]])
    assert second.ll_plot is not None
    assert (second.axes_bar.x_combo.currentText(), second.axes_bar.y_combo.currentText()) == (
        "a",
        "c",
    )
    # Saving again goes to the same file without asking.
    second.document.mark_modified()
    second.file_menu.save_action.trigger()
    assert not second.document.dirty


def test_points_csv_round_trip_is_exact(qtbot, make_window, fitted, tmp_path):
    path = tmp_path / "points.csv"
    save_through_menu(qtbot, fitted.file_menu.save_points_action, path)
    table = read_points(path)
    assert table.columns == ["a", "b", "c"]
    np.testing.assert_array_equal(table.data, fitted.document.points)
    other = make_window()
    before = other.frames_drawn
    driver = drive(qtbot, accept)  # three numeric columns: the import dialog asks
    assert other.file_commands.open_path(path)
    assert driver.done
    wait_shown(qtbot, other, before)
    np.testing.assert_array_equal(other.document.points, fitted.document.points)
    assert other.document.columns == ["a", "b", "c"]


def test_model_json_round_trip_is_exact(qtbot, fitted, tmp_path):
    path = tmp_path / "model"  # no extension typed: .json is added
    save_through_menu(qtbot, fitted.file_menu.export_model_action, path)
    saved = tmp_path / "model.json"
    model = read_model_json(saved)
    doc = fitted.document
    for name in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(model.mixture, name), getattr(doc.mixture, name))
    assert model.columns == ["a", "b", "c"] and model.settings == doc.settings
    raw = json.loads(saved.read_text())
    assert raw["bic"] == pytest.approx(doc.mixture.bic(doc.points), rel=1e-12)
    assert raw["aic"] == pytest.approx(doc.mixture.aic(doc.points), rel=1e-12)
    assert raw["n_iter"] == doc.iteration
    assert raw["converged"] is (fitted.state == "converged")


def test_labels_and_responsibilities_csv(qtbot, fitted, tmp_path):
    path = tmp_path / "labels.csv"
    save_through_menu(qtbot, fitted.file_menu.export_labels_action, path)
    header = path.read_text().splitlines()[0].split(",")
    assert header == [
        "a",
        "b",
        "c",
        "label",
        "responsibility_0",
        "responsibility_1",
        "responsibility_2",
    ]
    values = np.loadtxt(path, delimiter=",", skiprows=1)
    doc = fitted.document
    resp = doc.mixture.predict_proba(doc.points)
    np.testing.assert_array_equal(values[:, :3], doc.points)
    np.testing.assert_array_equal(values[:, 3], resp.argmax(axis=1))
    np.testing.assert_allclose(values[:, 4:], resp, rtol=0, atol=1e-15)


def test_canvas_exports_as_png_and_svg(qtbot, fitted, tmp_path):
    png, svg = tmp_path / "canvas.png", tmp_path / "canvas.svg"
    save_through_menu(qtbot, fitted.file_menu.export_png_action, png)
    save_through_menu(qtbot, fitted.file_menu.export_svg_action, svg)
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 200 and image.height() > 150
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "</svg>" in text
    # Vector drawing: a path per point (not a bitmap), plus the ellipses and means.
    assert text.count("<path") >= len(fitted.document.points) + 3
    assert "<image" not in text


def test_exports_need_a_fit(qtbot, make_window):
    window = make_window()
    window.file_commands.new_document()
    fa = window.file_menu
    for action in (fa.export_labels_action, fa.export_model_action, fa.copy_python_action):
        assert not action.isEnabled()


def test_copy_as_python_reads_the_same_file(qtbot, make_window, tmp_path):
    path = tmp_path / "two.csv"
    rng = np.random.default_rng(3)
    write_csv(path, ["u", "v"], np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 5]))
    window = make_window()
    before = window.frames_drawn
    assert window.file_commands.open_path(path)
    wait_shown(qtbot, window, before)
    window.apply_settings(window.document.settings.replace(n_components=2))
    qtbot.waitUntil(lambda: window.state == "ready")
    QGuiApplication.clipboard().clear()
    window.file_menu.copy_python_action.trigger()
    code = QGuiApplication.clipboard().text()
    assert "GaussianMixture(" in code and str(path) in code
    assert "n_components=2" in code
    # After an edit the points are written into the code instead of reading the file.
    doc = window.document
    doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([[1.0, 1.0]])))
    code = window.file_commands.python_code()
    assert str(path) not in code and "GaussianMixture(" in code


def test_new_document_uses_the_remembered_em_settings(qtbot, make_window):
    first = make_window()
    first.apply_settings(FitSettings(n_components=4, tol=1e-3, reg_covar=1e-4))
    first.close()
    second = make_window()
    assert second.file_commands.new_document()
    doc = second.document
    assert doc.n_points == 0 and doc.name == "Untitled" and not doc.dirty
    assert doc.settings.n_components == 4 and doc.settings.tol == 1e-3
    assert second.panel.settings() == doc.settings
