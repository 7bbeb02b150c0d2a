"""The model-selection grid: scikit-learn from the same starts, streaming, cancel, choice."""

import threading
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_studio.core import COVARIANCE_TYPES, PRESETS, FitError, fit, initialize
from gmm_studio.core.restarts import FitCancelled, fit_starts, start_seeds
from gmm_studio.core.selection import (
    GridSettings,
    grid_cells,
    parse_n_components,
    select_model,
)

X_BLOBS = PRESETS["overlapping"](1500, seed=4)[0]


def grid_threads():
    return [t for t in threading.enumerate() if t.name.startswith("gmm-studio-grid")]


def sklearn_log_likelihood(X, start, n_iter, reg_covar):
    gm = GaussianMixture(
        n_components=start.n_components, covariance_type=start.covariance_type,
        weights_init=start.weights, means_init=start.means, precisions_init=start.precisions(),
        max_iter=n_iter, tol=0.0, reg_covar=reg_covar,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return gm.score(X) * len(X)


def test_every_cell_matches_sklearn_from_the_same_starts():
    settings = GridSettings(n_components=(1, 2, 3, 4), n_init=2, seed=5, tol=1e-4)
    selection = select_model(X_BLOBS, settings)
    seeds = start_seeds(5, 2)
    assert len(selection.cells) == 16
    for cell in selection.cells:
        for start, outcome in zip(seeds, cell.starts, strict=True):
            begin = initialize(
                X_BLOBS, cell.n_components, covariance_type=cell.covariance_type, seed=start
            )
            expected = sklearn_log_likelihood(
                X_BLOBS, begin, outcome.result.n_iter, settings.reg_covar
            )
            assert outcome.log_likelihood == pytest.approx(expected, rel=1e-6)
        lls = cell.start_log_likelihoods
        assert (
            cell.log_likelihood == max(lls)
            or cell.starts[lls.index(max(lls))].degenerate_components
        )


def test_each_cell_is_the_fit_of_the_same_settings():
    settings = GridSettings(n_components=(2, 3), n_init=3, seed=1, init="kmeans")
    selection = select_model(X_BLOBS, settings)
    for cell in selection.cells:
        alone = fit_starts(
            X_BLOBS, cell.n_components, covariance_type=cell.covariance_type, init="kmeans",
            tol=settings.tol, seed=1, n_init=3,
        )  # fmt: skip
        assert cell.mixture == alone.mixture
        assert cell.start_log_likelihoods == alone.start_log_likelihoods
        assert cell.icl == alone.icl


def test_cells_start_from_the_initialisers_sample_of_rows(monkeypatch):
    from gmm_studio.core import initialization

    monkeypatch.setattr(initialization, "INIT_SAMPLE_ROWS", 700)  # X_BLOBS has 1500 rows
    settings = GridSettings(n_components=(2, 3), covariance_types=("full",), n_init=2, seed=6)
    for cell in select_model(X_BLOBS, settings).cells:
        alone = fit_starts(X_BLOBS, cell.n_components, tol=settings.tol, seed=6, n_init=2)
        assert cell.start_log_likelihoods == alone.start_log_likelihoods
        assert cell.mixture == alone.mixture


def test_results_do_not_depend_on_the_number_of_workers():
    settings = GridSettings(n_components=(1, 3, 5), n_init=2, seed=9)
    one = select_model(X_BLOBS, settings, workers=1)
    three = select_model(X_BLOBS, settings, workers=3)
    again = select_model(X_BLOBS, settings, workers=2)
    for a, b, c in zip(one.cells, three.cells, again.cells, strict=True):
        assert a.mixture == b.mixture == c.mixture
        assert a.start_log_likelihoods == b.start_log_likelihoods == c.start_log_likelihoods


def test_cells_stream_back_as_they_finish():
    settings = GridSettings(n_components=(1, 2, 3), covariance_types=("full", "diag"), seed=0)
    seen = []
    selection = select_model(X_BLOBS, settings, on_cell=seen.append)
    assert len(seen) == 6
    assert {(c.n_components, c.covariance_type) for c in seen} == set(settings.cells())
    assert [(c.n_components, c.covariance_type) for c in selection.cells] == settings.cells()
    # A consumer may stop early: closing the iterator stops the work.
    cells = grid_cells(X_BLOBS, GridSettings(seed=0, n_init=2))
    first = next(cells)
    assert first.mixture is not None
    cells.close()
    assert grid_threads() == []


def test_cancel_stops_the_work_and_leaves_no_thread():
    X = PRESETS["well-separated"](20_000, seed=1)[0]
    cancel = threading.Event()
    seen = []

    def on_cell(cell):
        seen.append(cell)
        cancel.set()

    with pytest.raises(FitCancelled):
        select_model(X, GridSettings(n_init=3, tol=1e-8), on_cell=on_cell, cancel=cancel)
    assert len(seen) == 1
    assert grid_threads() == []


def test_an_exception_in_the_consumer_stops_the_work():
    X = PRESETS["well-separated"](20_000, seed=1)[0]

    def interrupt(cell):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        select_model(X, GridSettings(n_init=3, tol=1e-8), on_cell=interrupt)
    assert grid_threads() == []


def test_cancel_from_another_thread_before_any_cell():
    X = PRESETS["well-separated"](20_000, seed=1)[0]
    cancel = threading.Event()
    timer = threading.Timer(0.05, cancel.set)
    timer.start()
    with pytest.raises(FitCancelled):
        select_model(X, GridSettings(n_components=(9,), n_init=4, tol=0.0, max_iter=10**6),
                     cancel=cancel)  # fmt: skip
    timer.join()
    assert grid_threads() == []


def test_degenerate_cells_are_not_chosen_unless_nothing_else_fits(old_faithful):
    settings = GridSettings(
        n_components=(2, 5), covariance_types=("full", "diag"), seed=2, tol=1e-6
    )
    selection = select_model(old_faithful, settings)
    spiked = selection.cell(5, "diag")
    assert spiked.degenerate
    assert spiked.bic == min(c.bic for c in selection.cells)
    assert selection.best("bic") is selection.cell(2, "full")
    alone = select_model(
        old_faithful, GridSettings(n_components=(5,), covariance_types=("diag",), seed=2, tol=1e-6)
    )
    assert alone.best("bic").degenerate


def test_criteria_switch_without_refitting(old_faithful):
    selection = select_model(old_faithful, GridSettings(n_components=(1, 2, 3, 4), seed=0))
    for name in ("bic", "aic", "icl"):
        best = selection.best(name)
        healthy = [c for c in selection.cells if not c.degenerate]
        assert best.criterion(name) == min(c.criterion(name) for c in healthy)
    assert all(c.icl >= c.bic for c in selection.cells)
    assert selection.best("aic").n_components >= selection.best("bic").n_components
    with pytest.raises(FitError, match="criterion"):
        selection.best("mdl")


def test_reproducible_from_the_seed():
    settings = GridSettings(n_components=(2, 4), n_init=2, seed=3)
    a, b = select_model(X_BLOBS, settings), select_model(X_BLOBS, settings)
    assert [c.mixture for c in a.cells] == [c.mixture for c in b.cells]
    fresh = GridSettings(n_components=(2,), seed=None)
    assert isinstance(fresh.seed, int)


def test_failed_cells_are_reported():
    X = np.repeat([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], 4, axis=0)
    selection = select_model(
        X, GridSettings(n_components=(1, 3), covariance_types=("full",), reg_covar=0.0)
    )
    assert selection.cell(3, "full").failed
    assert "positive definite" in selection.cell(3, "full").error
    assert selection.best() is selection.cell(1, "full")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1-9", tuple(range(1, 10))), ("2,3,5", (2, 3, 5)), ("5,1-3, 3", (1, 2, 3, 5)), ("4", (4,))],
)
def test_parse_n_components(text, expected):
    assert parse_n_components(text) == expected


@pytest.mark.parametrize("text", ["", "a", "3-1", "0-2", "1-", "2,,3", "1.5"])
def test_parse_n_components_rejects(text):
    with pytest.raises(FitError):
        parse_n_components(text)


@pytest.mark.parametrize(
    "changes",
    [{"n_components": ()}, {"n_components": (0,)}, {"covariance_types": ("round",)},
     {"covariance_types": ()}, {"n_init": 0}, {"init": "magic"}],
)  # fmt: skip
def test_grid_settings_are_checked(changes):
    with pytest.raises(FitError):
        GridSettings(**changes)


def test_k_above_the_number_of_points_is_refused_before_any_work():
    with pytest.raises(FitError, match="more than the 12 points"):
        next(grid_cells(X_BLOBS[:12], GridSettings(n_components=(2, 13))))
    assert COVARIANCE_TYPES == GridSettings().covariance_types


def test_integer_weights_are_repeated_rows(old_faithful):
    weights = np.random.default_rng(0).integers(1, 4, len(old_faithful)).astype(float)
    repeated = np.repeat(old_faithful, weights.astype(int), axis=0)
    settings = GridSettings(n_components=(1, 2, 3), covariance_types=("full", "diag"), seed=0)
    weighted = select_model(old_faithful, settings, sample_weight=weights)
    for cell in weighted.cells:
        start = initialize(
            old_faithful, cell.n_components, covariance_type=cell.covariance_type, seed=0,
            sample_weight=weights,
        )  # fmt: skip
        plain = fit(
            repeated, cell.n_components, covariance_type=cell.covariance_type,
            weights_init=start.weights, means_init=start.means,
            covariances_init=start.covariances, tol=settings.tol,
        )  # fmt: skip
        assert cell.n_samples == weights.sum()
        assert cell.result.n_iter == plain.n_iter
        assert cell.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-10)
        assert cell.bic == pytest.approx(plain.mixture.bic(repeated), rel=1e-10)


def test_a_standardized_grid_is_the_standardized_fit_of_each_cell():
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(13, 0.8, 150), rng.normal(750, 300, 150)])
    settings = GridSettings(n_components=(1, 2), n_init=2, seed=5, standardize=True)
    selection = select_model(X, settings, workers=1)
    for cell in selection.cells:
        if cell.covariance_type == "spherical":  # not the same model in the original units
            assert cell.failed and "spherical" in cell.starts[0].error
            continue
        expected = fit_starts(
            X, cell.n_components, covariance_type=cell.covariance_type, tol=settings.tol,
            n_init=2, seed=5, standardize=True,
        )  # fmt: skip
        assert cell.log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-12)
        np.testing.assert_allclose(cell.mixture.means, expected.mixture.means, rtol=1e-12)
        plain = fit_starts(X, cell.n_components, covariance_type=cell.covariance_type, seed=5)
        # reg_covar applies to the z-scores, so even K=1 differs from the plain fit
        assert not np.allclose(cell.mixture.covariances, plain.mixture.covariances, rtol=1e-9)
