"""The uncertainty view in the real window: U fades each point by how certain it is."""

import numpy as np
from PySide6.QtCore import Qt

from gmm_studio.core.uncertainty import uncertainty_colors
from gmm_studio.model import FitState

from .conftest import blobs, document_of
from .test_fit_in_window import run_until_halted


def test_u_shows_the_uncertainty_of_the_fit_on_screen_and_toggles_back(qtbot, make_window):
    X = blobs()
    window = make_window(document_of(X, n_components=3, seed=2))
    run_until_halted(qtbot, window)
    assert window.fit.state is FitState.CONVERGED
    points = window.canvas.points
    blended = points.colors.copy()
    qtbot.keyClick(window.canvas, Qt.Key.Key_U)
    assert window.uncertainty_view.on
    mixture = window.fit.mixture
    palette = window.canvas.components.colors
    expected = uncertainty_colors(
        mixture.predict(X), palette, 1 - mixture.predict_proba(X).max(axis=1)
    )
    np.testing.assert_array_equal(points.colors, expected)
    assert not np.array_equal(points.colors, blended)
    qtbot.keyClick(window.canvas, Qt.Key.Key_U)
    assert not window.uncertainty_view.on
    np.testing.assert_array_equal(points.colors, blended)
