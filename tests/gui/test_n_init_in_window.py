"""n_init in the window: the side panel, the starts run in the background, the strip."""

import numpy as np

from gmm_studio.core import FitSettings
from gmm_studio.core.restarts import best_fit, fit_starts
from gmm_studio.model import FitState

from .conftest import blobs, document_of


def test_n_init_in_the_side_panel_is_the_documents_setting(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, seed=2, n_init=2))
    spin = window.panel.n_init
    assert spin.value() == 2
    spin.setValue(4)
    assert window.document.settings.n_init == 4
    assert window.document.dirty
    window.document.set_settings(window.document.settings.replace(n_init=1))
    assert spin.value() == 1


def test_running_with_n_init_draws_the_best_so_far_and_a_click_loads_one(qtbot, make_window):
    """Seed 11: start 1 (the canvas's own run) is poor, start 2 beats it, start 3 beats
    start 2 by a little, start 4 does not: starts 2 and 3 are drawn as they finish."""
    X = blobs()
    settings = dict(n_components=3, init="random-points", seed=11, n_init=4)
    window = make_window(document_of(X, **settings))
    strip, fit = window.starts_strip, window.fit
    expected = fit_starts(X, n_init=4, **FitSettings(**settings).fit_kwargs())
    lls = [s.log_likelihood for s in expected.starts]
    assert expected.best_index == 2 and lls[1] > lls[0] and lls[3] < lls[2]
    seen = []  # the log-likelihood of the fit on the canvas after every change
    window.document.fitChanged.connect(
        lambda _c: seen.append(fit.evaluated.log_likelihood if fit.evaluated else None)
    )
    assert not strip.isVisibleTo(window)
    window.run_action.trigger()
    qtbot.waitUntil(lambda: len(strip.starts) == 4 and strip.thread is None, timeout=30_000)
    qtbot.waitUntil(lambda: fit.state is FitState.CONVERGED, timeout=30_000)
    assert strip.isVisibleTo(window)
    for mine, theirs in zip(strip.starts, expected.starts, strict=True):
        assert mine.seed == theirs.seed
        assert mine.log_likelihood == theirs.log_likelihood
    assert strip.best == 2
    assert [b.text().startswith("★") for b in strip.buttons] == [False, False, True, False]
    assert strip.buttons[1].text() == f"2: {lls[1]:.6g}"
    # Starts 2 and 3 were drawn as they finished, start 4 never; the best is on the canvas,
    # the fit `gmm-studio fit --n-init 4` keeps, converged, with its own iterations.
    assert lls[1] in seen and lls[2] in seen and lls[3] not in seen
    assert seen.index(lls[1]) < seen.index(lls[2])
    cli = best_fit(X, n_init=4, **FitSettings(**settings).fit_kwargs())
    assert fit.mixture == cli.mixture and fit.evaluated.log_likelihood == cli.log_likelihood
    assert fit.iteration == cli.n_iter and fit.state is FitState.CONVERGED
    np.testing.assert_allclose(window.canvas.components.drawn_means(), cli.means, rtol=1e-12)
    assert window.status_labels["ll"].text() == f"log-likelihood {cli.log_likelihood:.6g}"
    assert [b.isChecked() for b in strip.buttons] == [False, False, True, False]
    assert window.undo_action.isEnabled() is False  # choosing the best is part of Run

    strip.buttons[0].click()  # the user's choice: one undoable step
    assert fit.mixture == expected.starts[0].result.mixture
    assert fit.state is FitState.CONVERGED and fit.iteration == expected.starts[0].result.n_iter
    assert [b.isChecked() for b in strip.buttons] == [True, False, False, False]
    window.undo_action.trigger()
    assert fit.mixture == cli.mixture and fit.state is FitState.CONVERGED
    assert len(strip.starts) == 4 and strip.buttons[2].isChecked()
    window.reset_action.trigger()  # back to where the best start began
    qtbot.waitUntil(lambda: fit.evaluated is not None and fit.iteration == 0)
    assert fit.mixture != cli.mixture


def test_a_settings_change_cancels_the_starts_and_leaves_no_thread(qtbot, make_window):
    X = np.vstack([blobs(n_per=400, seed=s) for s in range(3)])
    window = make_window(document_of(X, n_components=6, init="random-points", n_init=50))
    strip = window.starts_strip
    window.run_action.trigger()
    qtbot.waitUntil(lambda: strip.thread is not None and strip.thread.isRunning())
    thread = strip.thread
    window.document.set_settings(window.document.settings.replace(n_init=1))
    assert strip.thread is None and not thread.isRunning()
    assert strip.starts == [] and not strip.isVisibleTo(window)
    # Other starts while running: the old thread ends, a new one runs the new starts.
    window.document.set_settings(window.document.settings.replace(n_init=40))
    assert window.fit.state is FitState.RUNNING
    qtbot.waitUntil(lambda: strip.thread is not None and strip.thread.isRunning())
    thread = strip.thread
    window.document.set_settings(window.document.settings.replace(n_init=2))
    assert not thread.isRunning() and strip.thread is not thread


def test_once_paused_the_starts_fill_in_and_leave_the_canvas_alone(qtbot, make_window):
    X = blobs()
    settings = dict(n_components=3, init="random-points", seed=11, n_init=4)
    window = make_window(document_of(X, **settings))
    strip, fit = window.starts_strip, window.fit
    window.run_action.trigger()
    window.run_action.trigger()  # paused before any start has come back
    assert fit.state is FitState.PAUSED and strip.thread is not None
    qtbot.waitUntil(lambda: len(strip.starts) == 4 and strip.thread is None, timeout=30_000)
    qtbot.wait(10)
    assert strip.best == 2 and fit.state is FitState.PAUSED
    assert fit.evaluated.log_likelihood not in [s.log_likelihood for s in strip.starts[1:]]
    assert not any(b.isChecked() for b in strip.buttons[1:])
    strip.buttons[2].click()  # still one click away
    assert fit.evaluated.log_likelihood == strip.starts[2].log_likelihood
