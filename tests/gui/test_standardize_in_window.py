"""Standardized columns in the window: EM runs on z-scores, everything is shown, exported and
saved in the file's own units, and the fit is the one ``gmm-studio fit --standardize`` finds."""

import json

import numpy as np
import pytest

from gmm_studio.cli import main
from gmm_studio.core import FitSettings
from gmm_studio.core.restarts import fit_starts
from gmm_studio.gui.document import Document
from gmm_studio.gui.import_dialog import ImportDialog
from gmm_studio.io import read_model_json
from gmm_studio.model import FitState

from .file_helpers import open_with_dialog, run_to_the_end, wait_shown, write_csv
from .modal_driver import choose_file, drive
from .test_import_dialog import click

FAST = {"n_components": 3, "max_iter": 40, "tol": 1e-4, "seed": 4}


def wine_like(seed: int = 3):
    """Three classes in columns of very different scales (as in the wine data set)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[13.7, 2.0, 1100.0], [12.3, 1.9, 520.0], [13.1, 3.3, 630.0]])
    spread = np.array([0.45, 0.6, 160.0])
    X = np.vstack([c + spread * rng.standard_normal((30, 3)) for c in centers]).round(4)
    return X, np.repeat([1, 2, 3], 30)


@pytest.fixture
def wine(qtbot, make_window, tmp_path):
    """wine.csv opened with "Fit on standardized columns" ticked, fitted to the end."""
    X, classes = wine_like()
    path = tmp_path / "wine.csv"
    write_csv(path, ["alcohol", "malic_acid", "proline", "class"], np.column_stack([X, classes]))
    window = make_window()
    window.document.set_settings(window.document.settings.replace(**FAST))
    window.document.mark_saved()

    def choose(dialog):
        assert isinstance(dialog, ImportDialog)
        assert dialog.standardize_check.isVisibleTo(dialog)
        assert not dialog.standardize_check.isChecked()
        click(qtbot, dialog.standardize_check)
        dialog.x_combo.setCurrentIndex(0)
        dialog.y_combo.setCurrentIndex(2)  # alcohol against proline
        dialog.accept()

    open_with_dialog(qtbot, window, path, choose)
    assert window.document.settings.standardize and window.panel.standardize.isChecked()
    run_to_the_end(qtbot, window)
    return window, path, X


def test_the_window_fits_what_the_command_line_fits(qtbot, wine, capsys):
    window, path, X = wine
    doc = window.document
    np.testing.assert_array_equal(doc.points, X)  # the file's values, not z-scores
    expected = fit_starts(X, **doc.settings.fit_kwargs()).result
    mixture = doc.mixture
    np.testing.assert_allclose(mixture.means, expected.means, rtol=1e-9)
    np.testing.assert_allclose(mixture.covariances, expected.covariances, rtol=1e-8)
    np.testing.assert_allclose(mixture.weights, expected.weights, rtol=1e-9)
    assert doc.iteration == expected.n_iter
    # The log-likelihood is that of the file's values under the mixture in their units.
    ll = doc.fit.evaluated.log_likelihood
    assert ll == pytest.approx(expected.log_likelihood, rel=1e-10)
    assert ll == pytest.approx(mixture.log_likelihood(X), rel=1e-10)
    assert window.status.labels["ll"].text() == f"log-likelihood {ll:.6g}"
    s = doc.settings
    argv = ["fit", str(path), "-k", "3", "--seed", str(s.seed), "--max-iter", str(s.max_iter)]
    argv += ["--tol", str(s.tol), "--columns", "alcohol,malic_acid,proline", "--standardize"]
    assert main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(printed["means"], mixture.means, rtol=1e-9)
    assert printed["log_likelihood"] == pytest.approx(ll, rel=1e-10)


def test_the_canvas_draws_in_the_original_units(wine):
    window, _, X = wine
    means = window.document.mixture.means
    components = window.canvas.components
    np.testing.assert_allclose(components.drawn_means(), means[:, [0, 2]], rtol=1e-12)
    for ellipse, mean in zip(components.drawn_ellipses(), means[:, [0, 2]], strict=True):
        finite = ellipse[np.isfinite(ellipse).all(axis=1)]
        centre = (finite.max(axis=0) + finite.min(axis=0)) / 2
        np.testing.assert_allclose(centre, mean, rtol=1e-3)
    np.testing.assert_array_equal(window.canvas.points.positions, X[:, [0, 2]])
    # The view frames proline in the hundreds, not z-scores around 0.
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 > 0 and y1 > 1000


def test_exports_and_sessions_keep_the_option_and_the_units(qtbot, make_window, wine, tmp_path):
    window, _, _ = wine
    doc = window.document
    model_path = tmp_path / "model.json"
    driver = drive(qtbot, choose_file(model_path))
    window.file_menu.export_model_action.trigger()
    assert driver.done
    model = read_model_json(model_path)
    assert model.settings.standardize
    np.testing.assert_array_equal(model.mixture.means, doc.mixture.means)

    session = tmp_path / "wine.gmms"
    driver = drive(qtbot, choose_file(session))
    window.file_menu.save_as_action.trigger()
    assert driver.done
    assert json.loads(session.read_text())["settings"]["standardize"] is True
    other = make_window()
    assert not other.panel.standardize.isChecked()
    before = other.frames_drawn
    assert other.file_commands.open_path(session)
    wait_shown(qtbot, other, before)
    assert other.document.settings == doc.settings and other.panel.standardize.isChecked()
    np.testing.assert_array_equal(other.document.mixture.means, doc.mixture.means)
    code = other.file_commands.python_code()
    assert "Z = (X - center) / scale" in code and "gm.fit(Z)" in code


def test_the_panel_check_box_starts_a_standardized_fit(qtbot, make_window):
    X, _ = wine_like()
    columns = ["alcohol", "malic_acid", "proline"]
    window = make_window(Document(X, columns, settings=FitSettings(**FAST)))
    run_to_the_end(qtbot, window)
    plain = window.document.mixture
    click(qtbot, window.panel.standardize)
    assert window.document.settings.standardize
    assert window.document.iteration == 0  # a new start, drawn from the z-scores
    run_to_the_end(qtbot, window)
    expected = fit_starts(X, **window.document.settings.fit_kwargs()).result
    np.testing.assert_allclose(window.document.mixture.means, expected.means, rtol=1e-9)
    assert not np.allclose(window.document.mixture.means, plain.means)
    window.document.undo_stack.clear()
    click(qtbot, window.panel.standardize)
    assert not window.document.settings.standardize


def test_the_starts_of_n_init_are_standardized_too(qtbot, make_window):
    X, _ = wine_like()
    settings = FitSettings(**{**FAST, "n_init": 2, "standardize": True})
    window = make_window(Document(X, ["alcohol", "malic_acid", "proline"], settings=settings))
    strip = window.starts_strip
    window.run_action.trigger()
    qtbot.waitUntil(lambda: len(strip.starts) == 2 and strip.thread is None, timeout=30_000)
    expected = fit_starts(X, n_init=2, **settings.fit_kwargs())
    for mine, theirs in zip(strip.starts, expected.starts, strict=True):
        assert mine.log_likelihood == pytest.approx(theirs.log_likelihood, rel=1e-12)
        np.testing.assert_allclose(mine.result.means, theirs.result.means, rtol=1e-12)


def test_spherical_standardized_columns_are_a_message_not_a_crash(qtbot, make_window):
    X, _ = wine_like()
    settings = FitSettings(**{**FAST, "standardize": True})
    window = make_window(Document(X, ["alcohol", "malic_acid", "proline"], settings=settings))
    window.panel.covariance_type.setCurrentText("spherical")
    qtbot.waitUntil(lambda: window.fit.state is FitState.ERROR)
    assert "use diag covariances, or do not standardize" in window.status.message.text()
    window.panel.covariance_type.setCurrentText("diag")
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    assert window.status.message.text() == ""


def test_the_table_judges_a_standardized_fit_on_the_z_scores(qtbot, make_window):
    # A column measured in tiny units: its variances sit far below reg_covar in those units,
    # but the fit ran on z-scores, where nothing is on the reg_covar floor.
    rng = np.random.default_rng(8)
    centres = np.repeat([[0.0, 0.0], [4.0, 3.0], [8.0, 0.0]], 60, axis=0)
    X = (centres + rng.normal(size=(180, 2))) * [1e-4, 1.0]
    settings = FitSettings(**{**FAST, "standardize": True, "covariance_type": "diag"})
    window = make_window(Document(X, ["tiny", "plain"], settings=settings))
    run_to_the_end(qtbot, window)
    table = window.component_table
    qtbot.waitUntil(lambda: table.summary is not None and np.isfinite(table.summary.bic))
    assert min(np.min(c.std) for c in table.summary.components) < 1e-3  # below √reg_covar
    assert {c.health.name for c in table.summary.components} == {"FINE"}
    assert table.degenerate == ()
