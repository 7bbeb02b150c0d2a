"""The component table and the status bar's criteria in the real window, and its fixes."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from gmm_studio.core.component_health import reseeded, summarize
from gmm_studio.core.criteria import aic, bic, n_parameters
from gmm_studio.gui.component_table import FIX_COLUMN, HEALTH_COLUMN, REFRESHES_PER_SECOND
from gmm_studio.model import FitState

from .conftest import blobs, document_of
from .test_fit_in_window import run_until_halted


def shown(window):
    """The table's text, row by row (without the swatch, the lock boxes and the Fix button)."""
    table = window.component_table.table
    return [
        [table.item(row, column).text() for column in range(1, HEALTH_COLUMN + 1)]
        for row in range(table.rowCount())
    ]


def table_follows(qtbot, window):
    """Wait until the table shows the fit on screen (it refreshes a few times a second)."""
    qtbot.waitUntil(
        lambda: (
            window.component_table.summary is not None
            and window.component_table.summary.log_likelihood == window.fit.evaluated.log_likelihood
            and len(window.component_table.summary.components) == window.fit.mixture.n_components
        ),
        timeout=5000,
    )


def test_table_and_status_show_the_cores_figures_of_the_fit_on_screen(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, seed=2))
    run_until_halted(qtbot, window)
    assert window.fit.state is FitState.CONVERGED
    table_follows(qtbot, window)
    fit = window.fit
    mixture, ll, X = fit.mixture, fit.evaluated.log_likelihood, fit.data
    expected = summarize(X, mixture, fit.settings.reg_covar, ll)
    rows = shown(window)
    assert len(rows) == 3
    for row, component in zip(rows, expected.components, strict=True):
        weight, count, mean, std, corr, condition, health = row
        assert float(weight) == pytest.approx(component.weight, abs=5e-4)
        assert float(count) == pytest.approx(component.count, abs=0.05)
        np.testing.assert_allclose([float(v) for v in mean.split(",")], component.mean, rtol=1e-3)
        np.testing.assert_allclose([float(v) for v in std.split(",")], component.std, rtol=1e-3)
        assert float(corr) == pytest.approx(component.correlation, abs=5e-4)
        assert float(condition) == pytest.approx(component.condition, rel=1e-2)
        assert health == component.health.value == "fine"
    p = n_parameters("full", 3, 2)
    labels = window.status_labels
    assert labels["k"].text() == "K = 3"
    assert labels["bic"].text() == f"BIC {bic(ll, p, len(X)):.6g}"
    assert labels["aic"].text() == f"AIC {aic(ll, p):.6g}"
    caption = window.component_table.caption.text()
    assert f"BIC {expected.bic:.6g}" in caption and f"AIC {expected.aic:.6g}" in caption


def test_a_burst_of_changes_is_one_refresh(qtbot, make_window):
    """Twenty iterations recorded at once: the table refreshes once, after its interval."""
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    table = window.component_table
    qtbot.wait(2 * 1000 // REFRESHES_PER_SECOND)
    before = table.refreshes
    window.fit_control.shutdown()  # the window's thread steps the fit model itself here
    for _ in range(20):
        if window.fit.state is FitState.CONVERGED:
            break
        window.fit.step()
    assert table.refreshes == before
    qtbot.waitUntil(lambda: table.refreshes == before + 1, timeout=5000)
    qtbot.wait(2 * 1000 // REFRESHES_PER_SECOND)
    assert table.refreshes == before + 1
    assert table.summary.log_likelihood == window.fit.evaluated.log_likelihood


def test_remove_a_component_is_one_undoable_step(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, seed=2))
    run_until_halted(qtbot, window)
    table_follows(qtbot, window)
    before = window.fit.mixture
    history = len(window.fit.history)
    menu = window.component_table.table.cellWidget(1, FIX_COLUMN).menu()
    remove = next(a for a in menu.actions() if a.text().startswith("Remove"))
    remove.trigger()
    assert window.document.settings.n_components == 2
    assert window.panel.n_components.value() == 2
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    np.testing.assert_array_equal(window.fit.mixture.means, before.means[[0, 2]])
    table_follows(qtbot, window)
    assert window.component_table.table.rowCount() == 2
    assert window.status_labels["k"].text() == "K = 2"

    window.undo_action.trigger()
    assert window.document.settings.n_components == 3
    assert window.panel.n_components.value() == 3
    assert window.fit.mixture == before
    assert len(window.fit.history) == history
    assert window.fit.state is FitState.CONVERGED
    table_follows(qtbot, window)
    assert window.component_table.table.rowCount() == 3


def test_reseed_and_raise_reg_covar_ask_the_fit_model(qtbot, make_window):
    X = blobs()
    window = make_window(document_of(X, n_components=3, seed=2))
    run_until_halted(qtbot, window)
    table_follows(qtbot, window)
    mixture = window.fit.mixture
    menu = window.component_table.table.cellWidget(0, FIX_COLUMN).menu()
    actions = {a.text().split()[0]: a for a in menu.actions()}

    actions["Raise"].trigger()
    assert window.document.settings.reg_covar == pytest.approx(1e-5)

    actions["Re-seed"].trigger()
    expected = reseeded(window.fit.data, mixture, 0)
    assert window.fit.mixture == expected
    worst = X[np.argmin(mixture.score_samples(X))]
    np.testing.assert_array_equal(window.fit.mixture.means[0], worst)
    assert window.fit.events[-1].description == "component 1 re-seeded"


def test_lock_boxes_and_the_canvas_menu_are_the_same_undoable_locks(qtbot, make_window):
    from .test_component_menu import choose, open_menu

    window = make_window(document_of(blobs(), n_components=3, seed=2))
    table, fit = window.component_table, window.fit
    table_follows(qtbot, window)
    box = table.lock_box(1, "mean")
    assert box.text() == "μ" and not box.isChecked()
    # Table → model → menu.
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert fit.locks.mean == (False, True, False)
    assert window.document.undo_stack.undoText() == "Lock the mean of component 2"
    assert open_menu(qtbot, window, 1).findChild(QAction, "lock-mean").isChecked()
    window.component_menu.menu.close()
    window.undo_action.trigger()
    assert fit.locks.mean == (False, False, False) and not box.isChecked()
    window.redo_action.trigger()
    assert fit.locks.mean == (False, True, False) and box.isChecked()
    # Menu → model → table, undoable the same way.
    choose(open_menu(qtbot, window, 2), "lock-weight")
    assert fit.locks.weight == (False, False, True)
    assert table.lock_box(2, "weight").isChecked()
    assert not table.lock_box(2, "covariance").isChecked()
    window.undo_action.trigger()
    assert fit.locks.weight == (False, False, False)
    assert not table.lock_box(2, "weight").isChecked()
    assert fit.locks.mean == (False, True, False)  # the earlier lock stays
