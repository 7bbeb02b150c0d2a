"""Saving the canvas as an image: PNG and SVG through pyqtgraph's exporters."""

from __future__ import annotations

import pathlib
import sys

import pyqtgraph as pg
import pyqtgraph.exporters as exporters

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
    """Write the plot as an SVG vector drawing (pyqtgraph's SVG exporter).

    Points, ellipses, means, axes and labels are all vectors. pyqtgraph 0.14 cannot parse the
    closing ``Z`` that Qt 6.12's SVG generator writes at the end of closed paths; for the
    duration of the export its coordinate fixer gets paths without it (every such path also
    ends with a line back to its start, so the drawing is unchanged).

    Raises
    ------
    DataFileError
        If the file cannot be written.
    """
    exporter = exporters.SVGExporter(plot.getPlotItem())
    module = sys.modules[exporters.SVGExporter.__module__]
    original = module.correctCoordinates

    def correct_without_close(node, defs, item, options):
        for element in node.getElementsByTagName("path"):
            d = element.getAttribute("d")
            if "Z" in d:
                element.setAttribute("d", " ".join(t for t in d.split() if t != "Z"))
        return original(node, defs, item, options)

    module.correctCoordinates = correct_without_close
    try:
        exporter.export(str(path))
    except OSError as error:
        raise DataFileError(path, f"cannot write the file ({error.strerror or error})") from None
    finally:
        module.correctCoordinates = original
    if not path.is_file() or path.stat().st_size == 0:
        raise DataFileError(path, "cannot write the file")
