"""The application icon set: sizes, the .ico, freshness against the SVG, legibility at 16 px."""

import importlib.util
import pathlib
import struct

import pytest
from PySide6.QtGui import QColor, QImage

REPO = pathlib.Path(__file__).resolve().parents[2]
ICONS = REPO / "gmm_studio" / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def load_render_script():
    spec = importlib.util.spec_from_file_location(
        "render_icons", REPO / "resources" / "render_icons.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", SIZES)
def test_png_render_has_its_nominal_size(size):
    assert png_size((ICONS / f"gmm-studio-{size}.png").read_bytes()) == (size, size)


def test_ico_holds_png_entries_from_16_to_256_px():
    data = (ICONS / "gmm-studio.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        w, h, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        side = w or 256
        assert (w, planes, bits) == (h, 1, 32)
        assert png_size(data[offset : offset + length]) == (side, side)
        sizes.append(side)
    assert sizes == [16, 32, 48, 64, 128, 256]


def test_committed_renders_match_a_fresh_render_of_the_svg(qapp, tmp_path):
    """Fails when the SVG was edited without rerunning resources/render_icons.py."""
    load_render_script().render_all(tmp_path)
    assert (tmp_path / "gmm-studio.svg").read_bytes() == (ICONS / "gmm-studio.svg").read_bytes()
    for size in SIZES:
        fresh = QImage(str(tmp_path / f"gmm-studio-{size}.png"))
        committed = QImage(str(ICONS / f"gmm-studio-{size}.png"))
        assert fresh.size() == committed.size()
        worst = max(
            abs(a - b)
            for x in range(0, size, max(1, size // 32))
            for y in range(0, size, max(1, size // 32))
            for a, b in zip(
                QColor(fresh.pixel(x, y)).getRgb(),
                QColor(committed.pixel(x, y)).getRgb(),
                strict=True,
            )
        )
        assert worst <= 8, f"{size} px render differs from the SVG by {worst} levels"


def classify(color: QColor) -> str | None:
    h, s, v, a = color.getHsv()
    if a < 128:
        return None
    if s < 40 and v > 220:
        return "white"
    if s > 100 and v > 120:
        if 195 <= h <= 230:
            return "blue"
        if 25 <= h <= 45:
            return "orange"
        if 135 <= h <= 165:
            return "green"
    return None


@pytest.mark.parametrize("size", [16, 32])
def test_small_renders_keep_three_colored_components_and_white_means(qapp, size):
    image = QImage(str(ICONS / f"gmm-studio-{size}.png")).convertToFormat(
        QImage.Format.Format_ARGB32
    )
    counts = {"white": 0, "blue": 0, "orange": 0, "green": 0}
    for x in range(size):
        for y in range(size):
            kind = classify(QColor.fromRgba(image.pixel(x, y)))
            if kind:
                counts[kind] += 1
    # Each component needs a few clearly coloured pixels, and the means must show.
    assert min(counts.values()) >= max(2, size // 8), counts
    # Rounded tile: transparent corners, opaque middle.
    assert QColor.fromRgba(image.pixel(0, 0)).alpha() < 32
    assert QColor.fromRgba(image.pixel(size // 2, size // 2)).alpha() == 255
