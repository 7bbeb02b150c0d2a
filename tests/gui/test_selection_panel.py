"""The Model selection panel in the real window: the map fills in from a background thread,
the criterion re-colours without refitting, a click loads a cell (undoably), cancel stops."""

import numpy as np
from PySide6.QtCore import Qt

from gmm_studio.core import COVARIANCE_TYPES, FitSettings
from gmm_studio.core.selection import select_model
from gmm_studio.gui.document import Document
from gmm_studio.io import read_points
from gmm_studio.model import FitState

from .conftest import blobs, document_of


def open_panel(qtbot, window, k_from, k_to):
    panel = window.selection_panel
    assert not panel.isVisible()
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.canvas, Qt.Key.Key_M, ctrl_shift)
    qtbot.waitExposed(panel)
    panel.k_from.setValue(k_from)
    panel.k_to.setValue(k_to)
    return panel


def compute(qtbot, panel, timeout=60_000):
    qtbot.mouseClick(panel.compute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.thread is None, timeout=timeout)


def text_at(panel, k, covariance_type):
    row = panel.settings.n_components.index(k)
    return panel.table.item(row, COVARIANCE_TYPES.index(covariance_type)).text()


def test_the_map_is_the_cores_grid_and_the_criterion_recolours_without_refitting(
    qtbot, make_window
):
    X = blobs()
    window = make_window(document_of(X, n_components=3, seed=2, tol=1e-4))
    panel = open_panel(qtbot, window, 1, 4)
    compute(qtbot, panel)
    assert panel.progress.value() == panel.progress.maximum() == 16
    expected = select_model(X, panel.settings)
    best = expected.best("bic")
    for cell in expected.cells:
        text = text_at(panel, cell.n_components, cell.covariance_type)
        assert text.replace("★", "").replace("!", "").strip() == f"{cell.bic:.1f}"
        same = (cell.n_components, cell.covariance_type) == (
            best.n_components,
            best.covariance_type,
        )
        assert text.startswith("★") == same
    assert text_at(panel, best.n_components, best.covariance_type).startswith("★")
    assert panel.table.horizontalHeaderItem(3).text() == "spherical (VII)"

    shown = dict(panel.cells)
    panel.criterion.setCurrentIndex(panel.criterion.findData("aic"))
    assert panel.thread is None and panel.cells == shown  # the same fits, not refitted
    for cell in expected.cells:
        text = text_at(panel, cell.n_components, cell.covariance_type)
        assert f"{cell.aic:.1f}" in text
    aic_best = expected.best("aic")
    assert text_at(panel, aic_best.n_components, aic_best.covariance_type).startswith("★")


def test_a_click_on_a_cell_loads_its_fit_as_one_undoable_step(qtbot, make_window):
    X = blobs()
    window = make_window(document_of(X, n_components=3, seed=2, tol=1e-4))
    before_settings, before = window.document.settings, window.fit.mixture
    panel = open_panel(qtbot, window, 1, 3)
    compute(qtbot, panel)
    row, column = 1, COVARIANCE_TYPES.index("diag")  # K=2, diag
    rect = panel.table.visualRect(panel.table.model().index(row, column))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    cell = panel.cells[(2, "diag")]
    assert window.document.settings.n_components == 2
    assert window.document.settings.covariance_type == "diag"
    assert window.panel.n_components.value() == 2
    # The cell's kept start as a finished fit: its iterations, log-likelihood and BIC.
    assert window.fit.mixture == cell.mixture
    assert window.fit.state is FitState.CONVERGED and window.fit.iteration == cell.result.n_iter
    assert window.fit.evaluated.log_likelihood == cell.log_likelihood
    assert window.status_labels["bic"].text() == f"BIC {cell.bic:.6g}"
    window.undo_action.trigger()
    assert window.document.settings == before_settings
    assert window.fit.mixture == before


def test_degenerate_cells_are_marked_and_not_chosen(qtbot, make_window, samples_dir):
    table = read_points(samples_dir / "old_faithful.csv")
    settings = FitSettings(n_components=2, seed=2, tol=1e-6)
    window = make_window(Document(table.data, table.columns, settings=settings))
    panel = open_panel(qtbot, window, 4, 5)
    compute(qtbot, panel)
    diag5 = panel.cells[(5, "diag")]
    assert diag5.degenerate and diag5.bic < panel.best().bic  # lowest, yet not chosen
    assert text_at(panel, 5, "diag").endswith("!")
    assert not text_at(panel, 5, "diag").startswith("★")


def start_a_long_grid(qtbot, make_window):
    """A window whose panel has begun a grid that takes a while: (window, panel, thread)."""
    X = np.vstack([blobs(n_per=2000, seed=s) for s in range(3)])
    window = make_window(document_of(X, n_components=3, n_init=5, tol=1e-8))
    panel = open_panel(qtbot, window, 1, 9)
    qtbot.mouseClick(panel.compute, Qt.MouseButton.LeftButton)
    return window, panel, panel.thread


def test_cancel_stops_the_grid_and_leaves_no_thread(qtbot, make_window):
    window, panel, thread = start_a_long_grid(qtbot, make_window)
    assert thread is not None and not panel.compute.isEnabled()
    window.step()  # the canvas stays live meanwhile
    qtbot.waitUntil(lambda: window.fit.iteration >= 1)
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    assert panel.thread is None and thread.isFinished()
    assert len(panel.cells) < 36 and panel.compute.isEnabled()
    assert panel.progress.format().startswith("cancelled")


def test_closing_the_window_mid_grid_stops_the_thread(qtbot, make_window):
    window, panel, thread = start_a_long_grid(qtbot, make_window)
    window.close()
    assert thread.isFinished() and panel.thread is None
