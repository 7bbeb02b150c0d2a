"""At slow speeds an M-step glides and an E-step's recolouring fades; at full speed not."""

import numpy as np
from PySide6.QtCore import Qt

from .conftest import blobs, document_of

SLOW = 3  # speed slider position: about one iteration per second


def half_step(qtbot, window, key):
    with qtbot.waitSignal(window.controller.halted, timeout=10_000):
        qtbot.keyClick(window, key)


def test_at_slow_speed_the_m_step_glides_and_the_e_step_fades(qtbot, make_window):
    window = make_window(
        document_of(blobs(), n_components=3, init="random-points", seed=4), speed=SLOW
    )
    fit, layer = window.fit, window.canvas.components
    start = fit.mixture
    half_step(qtbot, window, Qt.Key.Key_M)
    end = fit.mixture
    assert window.glide.animating
    seen = []
    while window.glide.animating:
        seen.append(layer.drawn_means().copy())
        qtbot.wait(15)
    between = [m for m in seen if not np.allclose(m, end.means) and not np.allclose(m, start.means)]
    assert between  # in-between frames were drawn...
    for means in between:  # ...on the line from the old means to the new, eased
        t = (means - start.means) / (end.means - start.means)
        assert np.allclose(t, t.flat[0]) and 0 < t.flat[0] < 1
    np.testing.assert_array_equal(layer.drawn_means(), end.means)

    old = window.canvas.points.colors.copy()
    half_step(qtbot, window, Qt.Key.Key_E)
    np.testing.assert_array_equal(layer.drawn_means(), end.means)  # an E-step moves nothing
    faded = []
    while window.glide.animating:
        faded.append(window.canvas.points.colors.copy())
        qtbot.wait(15)
    new = window.canvas.points.colors
    assert not np.array_equal(old, new)
    assert any(not np.array_equal(c, old) and not np.array_equal(c, new) for c in faded)


def test_at_full_speed_nothing_glides(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    half_step(qtbot, window, Qt.Key.Key_M)
    assert not window.glide.animating
    np.testing.assert_array_equal(window.canvas.components.drawn_means(), window.fit.mixture.means)
