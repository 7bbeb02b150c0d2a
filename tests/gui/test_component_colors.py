"""One palette per run: the worker blends the points from the colors handed over with the
run, and the window draws ellipses and hard labels in the same colors."""

import numpy as np
import pytest

from gmm_studio.core import EMRun, FitSettings, Mixture
from gmm_studio.core.point_colors import blended_colors
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.em_worker import EMController
from gmm_studio.gui.palette import component_colors

from .conftest import blobs, document_of

#: Colors no component would get from the palette: the worker must use what it is given.
GIVEN = np.array([[255, 0, 0], [0, 0, 255], [0, 200, 0]], dtype=np.uint8)


def test_the_worker_blends_the_points_from_the_colors_given_with_the_run(qtbot):
    X = blobs()
    controller = EMController()
    frames = []
    controller.frameReady.connect(frames.append)
    try:
        with qtbot.waitSignal(controller.halted, timeout=30_000):
            controller.drive(EMRun(X, FitSettings(n_components=3, seed=2, max_iter=4)), GIVEN)
            controller.run()
    finally:
        controller.shutdown()
    last = frames[-1]
    expected, labels = blended_colors(X, last.snapshot.mixture, GIVEN)
    np.testing.assert_array_equal(last.colors, expected)
    np.testing.assert_array_equal(last.labels, labels)
    palette_blend, _ = blended_colors(X, last.snapshot.mixture, component_colors(3))
    assert not np.array_equal(last.colors, palette_blend)


def test_after_k_changes_in_the_panel_ellipses_and_hard_labels_share_the_runs_palette(
    qtbot, make_window
):
    window = make_window(document_of(blobs(), n_components=3, seed=1))
    window.panel.n_components.setValue(2)
    qtbot.waitUntil(lambda: window.fit.mixture is not None and window.fit.mixture.n_components == 2)
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    palette = window.fit_control.colors
    np.testing.assert_array_equal(palette, component_colors(2))
    np.testing.assert_array_equal(window.canvas.components.colors, palette)
    window.hard_labels_action.trigger()
    labels = window.fit.mixture.predict(window.document.points)
    np.testing.assert_array_equal(window.canvas.points.colors, palette[labels])


def test_the_component_layer_draws_only_in_the_colors_it_is_given(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    mixture = Mixture(np.full(3, 1 / 3), np.eye(3)[:, :2] * 4, np.ones(3), "spherical")
    layer = canvas.components
    with pytest.raises(ValueError, match="0 component colors for 3 components"):
        layer.draw(mixture)
    layer.colors = GIVEN
    layer.draw(mixture)
    brushes = layer.mean_halo.data["brush"]
    assert [b.color().getRgb()[:3] for b in brushes] == [tuple(c) for c in GIVEN.tolist()]
