"""File > Export > Animation… and PNG at 2× / 4× from the real window and its real dialogs,
read back from disk."""

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from gmm_studio.gui.recording_export import AnimationDialog, PngDialog
from gmm_studio.model import FitState

from .conftest import blobs, document_of
from .modal_driver import choose_file, drive


def frames_of(path):
    frames = []
    with Image.open(path) as image:
        for i in range(image.n_frames):
            image.seek(i)
            frames.append(np.asarray(image.convert("RGB")))
    return frames


def type_into(box, value) -> None:
    """Select what a spin box or line edit holds and type ``value``, as a user would."""
    edit = box.lineEdit() if hasattr(box, "lineEdit") else box
    edit.selectAll()
    QTest.keyClicks(edit, str(value))


def press_ok(dialog) -> None:
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)


def animation_answer(width, height, fps, half_steps=None, format_name="GIF"):
    """Action: fill in the Export animation dialog and press OK."""

    def act(dialog) -> None:
        assert isinstance(dialog, AnimationDialog)
        dialog.format_box.setCurrentIndex(dialog.format_box.findText(format_name))
        type_into(dialog.width_box, width)
        type_into(dialog.height_box, height)
        type_into(dialog.fps_box, fps)
        if half_steps is not None and dialog.half_steps_box.isChecked() != half_steps:
            QTest.mouseClick(dialog.half_steps_box, Qt.MouseButton.LeftButton)
        press_ok(dialog)

    return act


def png_answer(scale, title, legend):
    """Action: fill in the Export PNG dialog and press OK."""

    def act(dialog) -> None:
        assert isinstance(dialog, PngDialog)
        type_into(dialog.scale_box, scale)
        type_into(dialog.title_edit, title)
        if legend:
            QTest.mouseClick(dialog.legend_box, Qt.MouseButton.LeftButton)
        press_ok(dialog)

    return act


@pytest.fixture
def converged(qtbot, make_window):
    window = make_window(document_of(blobs(), n_components=3, init="random-points", seed=4))
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert window.fit.state is FitState.CONVERGED
    return window


@pytest.mark.parametrize(("half_steps", "per_iteration"), [(False, 1), (True, 2)])
def test_an_animation_has_a_frame_per_iteration(
    qtbot, converged, tmp_path, half_steps, per_iteration
):
    window = converged
    export = window.recording_export
    assert export.animation_action in window.file_menu.export_menu.actions()
    path = tmp_path / "run.gif"
    driver = drive(qtbot, animation_answer(160, 120, 5, half_steps), choose_file(path))
    export.animation_action.trigger()
    assert driver.done, driver.texts
    frames = frames_of(path)
    iterations = window.fit.history[-1].iteration
    assert len(frames) == 1 + per_iteration * iterations
    assert frames[0].shape == (120, 160, 3)
    assert not np.array_equal(frames[0], frames[-1])
    with Image.open(path) as image:
        assert image.info["duration"] == 200  # 5 frames per second
    assert f"{len(frames)} frames" in window.statusBar().currentMessage()


def test_an_mp4_stops_at_the_iteration_shown(qtbot, converged, tmp_path):
    window = converged
    window.history_bar.slider.setValue(3)
    path = tmp_path / "first"  # typed without a suffix: the chosen format gives it
    driver = drive(
        qtbot, animation_answer(200, 160, 2, format_name="MP4 (H.264)"), choose_file(path)
    )
    window.recording_export.animation_action.trigger()
    assert driver.done, driver.texts
    written = str(path.with_suffix(".mp4"))
    # The start and iterations 1 to 3, at 2 frames per second.
    assert imageio_ffmpeg.count_frames_and_secs(written) == (4, pytest.approx(2.0))
    reader = imageio_ffmpeg.read_frames(written)
    assert next(reader)["size"] == (200, 160)
    reader.close()


def test_cancelling_the_animation_dialog_writes_nothing(qtbot, converged, tmp_path):
    driver = drive(qtbot, lambda dialog: dialog.reject())
    converged.recording_export.animation_action.trigger()
    assert driver.done
    assert not list(tmp_path.glob("*.gif"))


@pytest.mark.parametrize("scale", [2, 4])
def test_png_at_2x_and_4x_with_title_and_legend(qtbot, converged, tmp_path, scale):
    window = converged
    canvas = window.canvas
    if scale == 4:
        window.resize(700, 520)  # a smaller canvas keeps the 4× image quick to write
        qtbot.waitUntil(lambda: canvas.width() < 600)
    plain, titled = tmp_path / "plain.png", tmp_path / "titled.png"
    driver = drive(qtbot, png_answer(scale, "", False), choose_file(plain))
    window.recording_export.png_action.trigger()
    assert driver.done, driver.texts
    driver = drive(qtbot, png_answer(scale, "EM on three blobs", True), choose_file(titled))
    window.recording_export.png_action.trigger()
    assert driver.done, driver.texts
    with Image.open(plain) as a, Image.open(titled) as b:
        assert a.size[0] == scale * canvas.width() and b.size[0] == scale * canvas.width()
        a_rgb, b_rgb = np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))
    assert a_rgb.shape == b_rgb.shape
    differs = np.any(a_rgb != b_rgb, axis=2)
    rows, cols = np.nonzero(differs)
    assert rows.min() < a_rgb.shape[0] * 0.1  # the title, above the plot
    assert cols.max() > a_rgb.shape[1] * 0.7  # the legend, in the top right corner
    assert not canvas.getPlotItem().titleLabel.isVisible()  # the window's canvas is as it was
