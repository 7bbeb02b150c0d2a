"""A fit too large for the memory available is refused in the window with the same message as
on the command line, before anything is allocated."""

import numpy as np

from gmm_studio.core.memory import available_memory, fit_memory_bytes
from gmm_studio.gui.document import Document
from gmm_studio.model import FitState


def test_a_wide_table_shows_the_memory_it_would_need(qtbot, make_window):
    d = 10_000
    while fit_memory_bytes(5, d, 3, "full") < 2 * available_memory():
        d += 5_000  # wide enough for this machine's memory, whatever it is
    X = np.random.default_rng(0).normal(size=(5, d))
    doc = Document(X, [f"x{i}" for i in range(d)], name="wide.npy")
    window = make_window(doc, wait_ready=False)
    qtbot.waitUntil(lambda: window.fit.state is FitState.ERROR, timeout=60_000)
    assert window.error_message.startswith(f"3 components in {d} dimensions need about ")
    assert f"(each {d}×{d} covariance takes " in window.error_message
    assert window.document.n_points == 5  # the document is intact
