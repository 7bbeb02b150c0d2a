"""Sample weights in the window: the import dialog's weight column is what EM fits with
(integer weights give the fit of repeated rows), weighted points are drawn larger, point
edits keep the weights, and sessions store them."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gmm_studio.core import EMRun
from gmm_studio.gui.commands import RemovePointsCommand
from gmm_studio.gui.import_dialog import ImportDialog

from .file_helpers import open_with_dialog, run_to_the_end, wait_shown, write_csv


def weighted_rows(seed: int = 4):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 5.0]])
    X = np.vstack([c + rng.standard_normal((30, 2)) for c in centers]).round(5)
    w = rng.integers(1, 4, len(X))
    return X, w


@pytest.fixture
def weighted(qtbot, make_window, tmp_path):
    """The window after File ▸ Open of x, y, count with count chosen as the weights."""
    X, w = weighted_rows()
    path = tmp_path / "counts.csv"
    write_csv(path, ["x", "y", "count"], np.column_stack([X, w]))
    window = make_window()

    def choose(dialog):
        assert isinstance(dialog, ImportDialog) and dialog.weights_combo.isVisible()
        dialog.weights_combo.setCurrentIndex(dialog.weights_combo.findText("count"))
        assert dialog.selected_columns() == [0, 1]  # the weights are not fitted
        dialog.accept()

    open_with_dialog(qtbot, window, path, choose)
    return window, X, w


def test_em_fits_with_the_weight_column(qtbot, weighted):
    window, X, w = weighted
    doc = window.document
    assert doc.columns == ["x", "y"]
    np.testing.assert_array_equal(doc.sample_weight, w)
    start = window.fit.start
    run_to_the_end(qtbot, window)
    # Oracle: the same start on the rows repeated as many times as their weight.
    last = list(EMRun(np.repeat(X, w, axis=0), doc.settings, start).snapshots())[-1]
    assert window.fit.iteration == last.iteration
    np.testing.assert_allclose(window.fit.mixture.means, last.mixture.means, rtol=1e-9)
    np.testing.assert_allclose(window.fit.mixture.weights, last.mixture.weights, rtol=1e-9)
    unweighted = list(EMRun(X, doc.settings, start).snapshots())[-1]
    assert not np.allclose(window.fit.mixture.means, unweighted.mixture.means, rtol=1e-6)


def test_weighted_points_are_drawn_larger(weighted):
    window, _, w = weighted
    sizes = window.canvas.points.scatter.data["size"]
    heavy, light = sizes[w == 3], sizes[w == 1]
    assert heavy.min() > light.max()
    # Areas in proportion to the weights.
    np.testing.assert_allclose(heavy.mean() ** 2 / light.mean() ** 2, 3.0, rtol=1e-9)


def test_edits_keep_the_weights(qtbot, weighted):
    window, _, w = weighted
    doc = window.document
    doc.undo_stack.push(RemovePointsCommand(doc, [0, 5]))
    np.testing.assert_array_equal(doc.sample_weight, np.delete(w, [0, 5]))
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.sample_weight, w)
    canvas = window.canvas
    qtbot.mouseClick(
        canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_widget(2.5, 2.5)
    )
    assert doc.n_points == len(w) + 1
    np.testing.assert_array_equal(doc.sample_weight, [*w, 1])  # a new point weighs 1


def test_sessions_store_the_weights(qtbot, make_window, weighted, tmp_path):
    window, _, w = weighted
    run_to_the_end(qtbot, window)
    path = tmp_path / "counts.gmms"
    assert window.file_commands.save_session_to(path)
    assert json.loads(path.read_text())["sample_weight"] == w.tolist()
    other = make_window()
    before = other.frames_drawn
    assert other.file_commands.open_path(path)
    wait_shown(qtbot, other, before)
    np.testing.assert_array_equal(other.document.sample_weight, w)
    np.testing.assert_array_equal(other.fit.mixture.means, window.fit.mixture.means)
    # Running on from the reopened fit still uses the weights: it is converged as saved.
    assert other.is_converged()


def test_a_session_without_weights_reads_as_unweighted(qtbot, make_window, tmp_path):
    window = make_window()
    path = tmp_path / "plain.gmms"
    assert window.file_commands.save_session_to(path)
    assert "sample_weight" not in json.loads(path.read_text())
    other = make_window()
    assert other.file_commands.open_path(path)
    assert other.document.sample_weight is None


def test_the_status_bar_criteria_count_the_weights(qtbot, weighted):
    window, X, w = weighted
    run_to_the_end(qtbot, window)
    mixture = window.fit.mixture
    repeated = np.repeat(X, w, axis=0)  # the BIC of the rows repeated as often as their weight
    assert window.status.labels["bic"].text() == f"BIC {mixture.bic(repeated):.6g}"
    assert window.status.labels["aic"].text() == f"AIC {mixture.aic(repeated):.6g}"


def test_copy_as_python_repeats_the_weighted_rows(qtbot, weighted):
    window, X, w = weighted
    run_to_the_end(qtbot, window)
    code = window.file_commands.python_code()
    assert "counts.csv" not in code  # the points and weights are written in, side by side
    namespace = {"print": lambda *args, **kwargs: None}
    exec(compile(code, "<copied from GMM Studio>", "exec"), namespace)
    np.testing.assert_array_equal(namespace["X"], np.repeat(X, w, axis=0))
    gm = namespace["gm"]
    assert gm.converged_
    np.testing.assert_allclose(gm.means_, window.fit.mixture.means, rtol=1e-3, atol=1e-3)
