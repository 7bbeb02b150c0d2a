"""Saving the canvas as an image: PNG through pyqtgraph's exporter, SVG through QtSvg."""

from __future__ import annotations

import pathlib

import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

from gmm_studio.io import DataFileError


def export_png(plot: pg.PlotWidget, path: pathlib.Path) -> None:
    """Write the plot (axes, points, ellipses) as a PNG at screen resolution.

    Raises
    ------
    DataFileError
        If the file cannot be written.
    """
    exporter = exporters.ImageExporter(plot.getPlotItem())
    try:
        ok = exporter.export(str(path))
    except OSError as error:
        raise DataFileError(path, f"cannot write the file ({error.strerror or error})") from None
    if ok is False or not path.is_file():
        raise DataFileError(path, "cannot write the file")


def export_svg(plot: pg.PlotWidget, path: pathlib.Path) -> None:
    """Write the plot as an SVG vector drawing.

    pyqtgraph's SVGExporter cannot parse the closed paths (``Z``) that Qt 6.12's SVG
    generator writes, so the widget is painted straight into a `QSvgGenerator` instead: curves,
    markers, axes and text stay vectors.

    Raises
    ------
    DataFileError
        If the file cannot be written.
    """
    size = plot.size()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(size.width(), size.height()))
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle("GMM Studio canvas")
    generator.setDescription("Data points and Gaussian mixture components")
    painter = QPainter()
    if not painter.begin(generator):
        raise DataFileError(path, "cannot write the file")
    try:
        plot.render(painter)
    finally:
        painter.end()
    if not path.is_file() or path.stat().st_size == 0:
        raise DataFileError(path, "cannot write the file")
