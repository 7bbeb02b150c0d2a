"""Render GMM Studio's icon set from its SVG source with Qt's own SVG renderer.

Writes into ``gmm_studio/resources/icons/`` (the copies the application and the installers
use at run time; they are committed, so rerun this script after editing the SVG)::

    gmm-studio.svg                     the scalable source, copied unchanged
    gmm-studio-<N>.png                 N in ICON_SIZES, square, transparent background
    gmm-studio.ico                     16 to 256 px, PNG-compressed entries

Sizes up to SMALL_MAX are rendered from ``gmm-studio-small.svg`` when it exists: a variant
with fewer, bolder shapes that stays readable at 16 and 32 px.

Usage: ``python resources/render_icons.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_SVG = HERE / "gmm-studio.svg"
SMALL_SVG = HERE / "gmm-studio-small.svg"
DEFAULT_OUT = HERE.parent / "gmm_studio" / "resources" / "icons"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)
SMALL_MAX = 32
NAME = "gmm-studio"


def render_png(svg: pathlib.Path, size: int, target: pathlib.Path) -> None:
    """Render ``svg`` to a ``size`` x ``size`` PNG at ``target`` (needs a QGuiApplication)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: Qt cannot parse this SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target), "PNG"):
        raise OSError(f"{target}: could not write PNG")


def write_ico(pngs: dict[int, bytes], target: pathlib.Path) -> None:
    """Write a multi-size Windows icon whose entries are the given PNG files (Vista+ format)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    directory = b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    target.write_bytes(header + directory + b"".join(pngs[s] for s in sizes))


def render_all(out: pathlib.Path) -> list[pathlib.Path]:
    """Render the whole icon set into ``out`` and return the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication([])
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{NAME}.svg"]
    shutil.copyfile(SOURCE_SVG, written[0])
    for size in ICON_SIZES:
        svg = SMALL_SVG if size <= SMALL_MAX and SMALL_SVG.exists() else SOURCE_SVG
        target = out / f"{NAME}-{size}.png"
        render_png(svg, size, target)
        written.append(target)
    ico = out / f"{NAME}.ico"
    write_ico({s: (out / f"{NAME}-{s}.png").read_bytes() for s in ICO_SIZES}, ico)
    written.append(ico)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    for path in render_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
