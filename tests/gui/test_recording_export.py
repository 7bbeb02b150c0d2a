"""File > Export > Animation… and PNG at 2× / 4× from the real window, read back from disk."""

import numpy as np
import pytest
from PIL import Image

from gmm_studio.gui.recording_export import AnimationOptions, export_png_scaled
from gmm_studio.model import FitState

from .conftest import blobs, document_of


def frames_of(path):
    frames = []
    with Image.open(path) as image:
        for i in range(image.n_frames):
            image.seek(i)
            frames.append(np.asarray(image.convert("RGB")))
    return frames


@pytest.fixture
def converged(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert window.fit.state is FitState.CONVERGED
    return window


@pytest.mark.parametrize(("half_steps", "per_iteration"), [(False, 1), (True, 2)])
def test_an_animation_has_a_frame_per_iteration(converged, tmp_path, half_steps, per_iteration):
    window = converged
    export = window.recording_export
    assert export.animation_action in window.file_menu.export_menu.actions()
    path = tmp_path / "run.gif"
    export._record(path, AnimationOptions(320, 240, 5.0, half_steps))
    frames = frames_of(path)
    iterations = window.fit.history[-1].iteration
    assert len(frames) == 1 + per_iteration * iterations
    assert frames[0].shape == (240, 320, 3)
    assert not np.array_equal(frames[0], frames[-1])
    assert "frames" in window.statusBar().currentMessage()


def test_an_animation_stops_at_the_iteration_shown(converged, tmp_path):
    window = converged
    window.history_bar.slider.setValue(3)
    path = tmp_path / "first.gif"
    window.recording_export._record(path, AnimationOptions(200, 160, 2.0))
    assert len(frames_of(path)) == 4


def test_png_at_2x_with_title_and_legend(converged, tmp_path):
    window = converged
    canvas = window.canvas
    plain, titled = tmp_path / "plain.png", tmp_path / "titled.png"
    export_png_scaled(canvas, plain, 2)
    export_png_scaled(canvas, titled, 2, title="EM on three blobs", legend=True)
    with Image.open(plain) as a, Image.open(titled) as b:
        assert a.size[0] == 2 * canvas.width() and b.size[0] == 2 * canvas.width()
        assert not np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
    assert not canvas.getPlotItem().titleLabel.isVisible()  # the window's canvas is as it was
