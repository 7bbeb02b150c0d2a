"""n_init in the window: the side panel, the starts run in the background, the strip."""

import numpy as np

from gmm_studio.core import FitSettings
from gmm_studio.core.restarts import fit_starts
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


def test_running_with_n_init_fits_every_start_and_a_click_loads_one(qtbot, make_window):
    X = blobs()
    settings = dict(n_components=3, init="random-points", seed=4, n_init=3)
    window = make_window(document_of(X, **settings))
    strip = window.starts_strip
    assert not strip.isVisibleTo(window)
    window.run_action.trigger()
    qtbot.waitUntil(lambda: len(strip.starts) == 3 and strip.thread is None, timeout=30_000)
    assert strip.isVisibleTo(window)
    expected = fit_starts(X, n_init=3, **FitSettings(**settings).fit_kwargs())
    for mine, theirs in zip(strip.starts, expected.starts, strict=True):
        assert mine.seed == theirs.seed
        assert mine.log_likelihood == theirs.log_likelihood
    assert strip.best == expected.best_index
    assert strip.buttons[expected.best_index].text().startswith("★")
    assert sum(b.text().startswith("★") for b in strip.buttons) == 1
    assert strip.buttons[1].text() == f"2: {expected.starts[1].log_likelihood:.6g}"

    qtbot.waitUntil(lambda: window.fit.state is FitState.CONVERGED, timeout=30_000)
    before = window.fit.mixture
    strip.buttons[2].click()
    assert window.fit.mixture == expected.starts[2].result.mixture
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    assert len(strip.starts) == 3  # loading a start keeps the others
    window.undo_action.trigger()
    assert window.fit.mixture == before and window.fit.state is FitState.CONVERGED
    assert len(strip.starts) == 3


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
