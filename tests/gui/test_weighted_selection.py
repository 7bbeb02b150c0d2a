"""Sample weights in model selection in the window: the map, the component table, the status
bar and the starts strip fit and count with the weights (integer weights = repeated rows)."""

import numpy as np
import pytest

from gmm_studio.core import FitSettings
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.component_health import summarize
from gmm_studio.core.criteria import bic, n_parameters
from gmm_studio.core.degenerate import DistinctRows
from gmm_studio.core.restarts import fit_starts
from gmm_studio.core.selection import select_model
from gmm_studio.gui.document import Document
from gmm_studio.model import FitState

from .conftest import blobs
from .test_component_table import table_follows
from .test_fit_in_window import run_until_halted
from .test_selection_panel import compute, open_panel


def weighted_document(**settings):
    X = blobs(n_per=25, seed=3)
    w = np.random.default_rng(5).integers(1, 5, len(X)).astype(float)
    document = Document(
        X, ["x", "y"], name="counts.csv", settings=FitSettings(**settings), sample_weight=w
    )
    return document, X, w


def test_the_map_fits_every_cell_with_the_weights(qtbot, make_window):
    document, X, w = weighted_document(n_components=2, seed=1, tol=1e-4)
    window = make_window(document)
    panel = open_panel(qtbot, window, 1, 2)
    compute(qtbot, panel)
    expected = select_model(X, panel.settings, sample_weight=w)
    for cell in expected.cells:
        mine = panel.cells[(cell.n_components, cell.covariance_type)]
        assert mine.log_likelihood == cell.log_likelihood
        p = n_parameters(cell.covariance_type, cell.n_components, 2)
        assert mine.bic == pytest.approx(bic(cell.log_likelihood, p, w.sum()), rel=1e-12)
    # K = 1 needs no start: the weighted fit is the fit of the rows repeated.
    repeated = select_model(np.repeat(X, w.astype(int), axis=0), panel.settings)
    for covariance_type in panel.settings.covariance_types:
        ours = panel.cells[(1, covariance_type)]
        theirs = repeated.cell(1, covariance_type)
        assert ours.log_likelihood == pytest.approx(theirs.log_likelihood, rel=1e-9)
        assert ours.bic == pytest.approx(theirs.bic, rel=1e-9)
    unweighted = select_model(X, panel.settings)
    assert unweighted.cell(1, "full").log_likelihood != panel.cells[(1, "full")].log_likelihood


def test_the_table_and_status_bar_count_with_the_weights(qtbot, make_window):
    document, X, w = weighted_document(n_components=3, seed=2)
    window = make_window(document)
    run_until_halted(qtbot, window)
    table_follows(qtbot, window)
    fit = window.fit
    mixture, ll = fit.mixture, fit.evaluated.log_likelihood
    summary = window.component_table.summary
    expected = summarize(
        X, mixture, fit.settings.reg_covar, ll, data=BlockData(X, w), distinct=DistinctRows(X)
    )
    for a, b in zip(summary.components, expected.components, strict=True):
        assert a.count == b.count and a.health is b.health
    assert summary.bic == expected.bic
    # The same counts and criteria as the rows repeated as often as their weight.
    repeated = summarize(np.repeat(X, w.astype(int), axis=0), mixture, fit.settings.reg_covar, ll)
    for mine, theirs in zip(summary.components, repeated.components, strict=True):
        assert mine.count == pytest.approx(theirs.count, rel=1e-12)
    assert sum(c.count for c in summary.components) == pytest.approx(w.sum())
    assert summary.bic == pytest.approx(repeated.bic, rel=1e-12)
    table = window.component_table.table
    assert [float(table.item(r, 2).text()) for r in range(3)] == pytest.approx(
        [c.count for c in repeated.components], abs=0.05
    )
    assert f"BIC {repeated.bic:.6g}" in window.component_table.caption.text()
    assert window.status_labels["bic"].text() == f"BIC {repeated.bic:.6g}"


def test_the_starts_are_the_weighted_fits(qtbot, make_window):
    settings = dict(n_components=3, init="random-points", seed=4, n_init=2)
    document, X, w = weighted_document(**settings)
    window = make_window(document)
    strip = window.starts_strip
    window.run_action.trigger()
    qtbot.waitUntil(lambda: len(strip.starts) == 2 and strip.thread is None, timeout=30_000)
    qtbot.waitUntil(lambda: window.fit.state is FitState.CONVERGED, timeout=30_000)
    expected = fit_starts(X, n_init=2, sample_weight=w, **FitSettings(**settings).fit_kwargs())
    assert [s.log_likelihood for s in strip.starts] == list(expected.start_log_likelihoods)
    assert window.fit.evaluated.log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-9)
