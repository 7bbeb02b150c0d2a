"""File ▸ Export ▸ Animation… and PNG at 2× / 4×: the fit's history for slides.

An animation has one frame for the start and one per iteration of the fit model's history
(or two per iteration, M-step then E-step), drawn offscreen by the canvas's own code
(:class:`FrameRenderer`, as ``gmm-studio record`` does) and written by
:func:`gmm_studio.io.recording.write_animation` (GIF through Pillow, MP4 through
imageio-ffmpeg). A PNG of the canvas is written at 2× or 4× its size, optionally with a
title and a legend of the components.
"""

from __future__ import annotations

import dataclasses
import pathlib

import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSpinBox,
)

from gmm_studio.core.frames import run_frames
from gmm_studio.gui.palette import FOREGROUND
from gmm_studio.gui.recorder import FrameRenderer
from gmm_studio.io import DataFileError
from gmm_studio.io.recording import check_animation_path, write_animation


@dataclasses.dataclass(frozen=True)
class AnimationOptions:
    """How to record: frame size in pixels, frames per second, a frame per half-step, and
    the file type (".gif" or ".mp4", given to a file name typed without one)."""

    width: int = 960
    height: int = 720
    fps: float = 4.0
    half_steps: bool = False
    suffix: str = ".gif"


def record_history(document, path, options: AnimationOptions) -> int:
    """Write the fit's history (up to the iteration shown) as an animation; return its frames.

    Raises
    ------
    DataFileError
        For an unknown file type, a missing optional writer, or a failed write.
    """
    fit = document.fit
    snapshots = list(fit.history[: fit.position + 1])
    if not snapshots:
        raise DataFileError(f"{pathlib.Path(path).name}: there is no fit to record yet")
    check_animation_path(path)
    frames = run_frames(snapshots, half_steps=options.half_steps)
    renderer = FrameRenderer(
        document.points, document.columns, size=(options.width, options.height),
        axes=document.axes, sample_weight=document.sample_weight,
    )  # fmt: skip
    try:
        images = renderer.render(frames)
    finally:
        renderer.close()
    write_animation(path, images, options.fps)
    return len(images)


def export_png_scaled(canvas, path, scale: int, title: str = "", legend: bool = False) -> None:
    """Save the canvas as a PNG ``scale`` times its size, with an optional title and legend."""
    item = canvas.getPlotItem()
    added = None
    if title:
        item.setTitle(title, color="#{:02x}{:02x}{:02x}".format(*FOREGROUND), size="16pt")
    if legend:
        added = pg.LegendItem(
            offset=(-10, 10), labelTextSize="12pt", labelTextColor=FOREGROUND,
            brush=pg.mkBrush(255, 255, 255, 220),
        )  # fmt: skip
        added.setParentItem(item.getViewBox())
        layer = canvas.components
        weights = layer.drawn_weights
        for k, curve in enumerate(layer.curves):
            share = f" (weight {weights[k]:.2f})" if k < len(weights) else ""
            added.addItem(curve, f"component {k + 1}{share}")
    QCoreApplication.processEvents()  # lay the title out before drawing
    try:
        exporter = pyqtgraph.exporters.ImageExporter(item)
        exporter.parameters()["width"] = int(canvas.width() * scale)
        exporter.export(str(path))
    finally:
        if title:
            item.setTitle(None)
        if added is not None and added.scene() is not None:
            added.scene().removeItem(added)


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    """OK and Cancel buttons that accept or reject ``dialog``."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


#: The animation formats the dialog offers: (name, file suffix).
ANIMATION_FORMATS = (("GIF", ".gif"), ("MP4 (H.264)", ".mp4"))


class AnimationDialog(QDialog):
    """Format, size, frame rate and half-steps of an animation."""

    def __init__(self, parent=None, half_steps: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        form = QFormLayout(self)
        self.width_box, self.height_box, self.fps_box = QSpinBox(), QSpinBox(), QSpinBox()
        for box, low, high, value in (
            (self.width_box, 160, 3840, 960),
            (self.height_box, 120, 2160, 720),
            (self.fps_box, 1, 60, 4),
        ):
            box.setRange(low, high)
            box.setValue(value)
        self.half_steps_box = QCheckBox("a frame per half-step (M-step, then E-step)")
        self.half_steps_box.setChecked(half_steps)
        self.format_box = QComboBox()
        for name, suffix in ANIMATION_FORMATS:
            self.format_box.addItem(name, suffix)
        form.addRow("format", self.format_box)
        form.addRow("width (pixels)", self.width_box)
        form.addRow("height (pixels)", self.height_box)
        form.addRow("frames per second", self.fps_box)
        form.addRow(self.half_steps_box)
        form.addRow(ok_cancel(self))

    def options(self) -> AnimationOptions:
        """The options chosen."""
        return AnimationOptions(
            self.width_box.value(), self.height_box.value(), float(self.fps_box.value()),
            self.half_steps_box.isChecked(), self.format_box.currentData(),
        )  # fmt: skip


class PngDialog(QDialog):
    """Scale, title and legend of a PNG of the canvas."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export PNG")
        form = QFormLayout(self)
        self.scale_box = QSpinBox()
        self.scale_box.setRange(2, 4)
        self.scale_box.setSingleStep(2)
        self.scale_box.setSuffix("×")
        self.title_edit = QLineEdit()
        self.legend_box = QCheckBox("a legend of the components")
        form.addRow("resolution", self.scale_box)
        form.addRow("title (optional)", self.title_edit)
        form.addRow(self.legend_box)
        form.addRow(ok_cancel(self))


class RecordingExport(QObject):
    """The Export menu's Animation… and PNG at 2× / 4×… (installed on the window)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        menu = window.file_menu.export_menu
        self.animation_action = menu.addAction("&Animation (GIF, MP4)…", self.export_animation)
        self.png_action = menu.addAction("Canvas as PNG at 2× / 4×…", self.export_png)

    def export_animation(self) -> None:
        """Ask for the options and the file, then record."""
        window = self.window
        dialog = AnimationDialog(window, half_steps=window.split_action.isChecked())
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        options = dialog.options()
        suffix = options.suffix
        path, _ = QFileDialog.getSaveFileName(
            window, "Export animation", f"gmm-studio{suffix}", f"{suffix[1:].upper()} (*{suffix})"
        )
        if not path:
            return
        if not pathlib.Path(path).suffix:
            path += suffix
        self._record(path, options)

    def _record(self, path, options: AnimationOptions) -> None:
        try:
            n = record_history(self.window.document, path, options)
        except DataFileError as error:
            QMessageBox.warning(self.window, "Cannot export the animation", str(error))
            return
        self.window.statusBar().showMessage(f"Saved {pathlib.Path(path).name}: {n} frames", 10_000)

    def export_png(self) -> None:
        """Ask for the scale, title, legend and file, then save."""
        window = self.window
        dialog = PngDialog(window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        path, _ = QFileDialog.getSaveFileName(window, "Export PNG", "canvas.png", "PNG (*.png)")
        if path:
            export_png_scaled(
                window.canvas, path, dialog.scale_box.value(), dialog.title_edit.text(),
                dialog.legend_box.isChecked(),
            )  # fmt: skip


def install_recording_export(window: QMainWindow) -> RecordingExport:
    """Add Animation… and PNG at 2× / 4×… to ``window``'s Export menu."""
    window.recording_export = RecordingExport(window)
    return window.recording_export
