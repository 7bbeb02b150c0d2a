"""The component rings filled as bands paint what stroking them paints."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QTransform

from gmm_studio.core import ellipse_points
from gmm_studio.gui.ring_curve import RingCurve

SIZE = (320, 240)


def _rings(covariance, radii=(1.0, 2.0, 3.0)):
    """NaN-separated closed rings, as the component layer draws them."""
    parts = [ellipse_points([0.0, 0.0], covariance, r, n=72) for r in radii]
    nan = np.full((1, 2), np.nan)
    return np.concatenate([x for part in parts for x in (part, nan)][:-1])


def _painted(curve, transform) -> np.ndarray:
    """The curve painted on white through ``transform`` (data to pixels), as RGB."""
    image = QImage(*SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setTransform(transform)
    curve.paint(painter, None, None)
    painter.end()
    bits = np.frombuffer(image.constBits(), np.uint8).reshape(SIZE[1], image.bytesPerLine())
    return bits[:, : SIZE[0] * 4].reshape(SIZE[1], SIZE[0], 4)[..., :3].astype(int)


def _both(line, pen):
    band, stroke = RingCurve(antialias=True), pg.PlotCurveItem(antialias=True)
    for curve in (band, stroke):
        curve.setData(line[:, 0], line[:, 1], pen=pen, connect="finite")
    return band, stroke


# A view as pyqtgraph's: y upwards, a few pixels per data unit, the origin mid-image.
VIEW = QTransform(12.0, 0.0, 0.0, -12.0, SIZE[0] / 2, SIZE[1] / 2)


@pytest.mark.parametrize("width", [2.0, 3.5, 5.5])
def test_wide_rings_are_filled_bands_with_the_pixels_of_their_stroke(qapp, width):
    line = _rings([[4.0, 1.5], [1.5, 2.0]])
    band, stroke = _both(line, pg.mkPen(200, 40, 40, width=width))
    image = QImage(*SIZE, QImage.Format.Format_ARGB32_Premultiplied)  # outlives the painter
    painter = QPainter(image)
    painter.setTransform(VIEW)
    assert band._band_path(painter) is not None  # filled, not stroked
    painter.end()
    a, b = _painted(band, VIEW), _painted(stroke, VIEW)
    inked = (b < 250).any(axis=2)
    assert inked.sum() > 2000
    difference = np.abs(a - b).max(axis=2)
    # The same pixels: only the antialiased edges differ, and by less than half a step.
    assert np.all(difference < 100)
    assert np.mean(difference[inked] > 32) < 0.01


@pytest.mark.parametrize(
    ("covariance", "pen"),
    [
        # So flat that its ends bend tighter than the pen: the inner offset would fold.
        ([[9.0, 0.0], [0.0, 1e-4]], pg.mkPen(30, 30, 200, width=5.5)),
        ([[4.0, 1.5], [1.5, 2.0]], pg.mkPen(30, 30, 200, width=3.5, style=Qt.PenStyle.DashLine)),
        ([[4.0, 1.5], [1.5, 2.0]], pg.mkPen(30, 30, 200, width=1.0)),
    ],
    ids=["flat", "dashed", "thin"],
)
def test_rings_a_band_cannot_draw_are_stroked(qapp, covariance, pen):
    band, stroke = _both(_rings(covariance), pen)
    image = QImage(*SIZE, QImage.Format.Format_ARGB32_Premultiplied)  # outlives the painter
    painter = QPainter(image)
    painter.setTransform(VIEW)
    assert band._band_path(painter) is None
    painter.end()
    np.testing.assert_array_equal(_painted(band, VIEW), _painted(stroke, VIEW))


def test_a_polyline_that_is_not_closed_rings_is_stroked(qapp):
    t = np.linspace(0.0, 4.0, 50)
    line = np.column_stack([t, np.sin(t)])
    band, stroke = _both(line, pg.mkPen(0, 120, 0, width=4.0))
    np.testing.assert_array_equal(_painted(band, VIEW), _painted(stroke, VIEW))


def test_bands_are_kept_for_the_same_view_and_built_again_for_new_rings_or_view(qapp):
    pen = pg.mkPen(200, 40, 40, width=3.5)
    band, _ = _both(_rings([[4.0, 1.5], [1.5, 2.0]]), pen)
    first = _painted(band, VIEW)
    kept = band._bands[1]
    np.testing.assert_array_equal(_painted(band, VIEW), first)
    assert band._bands[1] is kept  # the second paint of the same rings built nothing

    moved = _rings([[4.0, 1.5], [1.5, 2.0]]) + np.array([3.0, -2.0])
    band.setData(moved[:, 0], moved[:, 1], pen=pen, connect="finite")
    fresh, _ = _both(moved, pen)
    np.testing.assert_array_equal(_painted(band, VIEW), _painted(fresh, VIEW))

    panned = QTransform(VIEW).translate(-1.5, 0.5)  # the view moved, the rings did not
    np.testing.assert_array_equal(_painted(band, panned), _painted(fresh, panned))
    assert not np.array_equal(_painted(band, panned), _painted(band, VIEW))


def test_rings_drawn_without_antialiasing_have_no_blended_edge_pixels(qapp):
    line = _rings([[4.0, 1.5], [1.5, 2.0]])
    pen = pg.mkPen(200, 40, 40, width=3.5)
    smooth, _ = _both(line, pen)
    draft = RingCurve(antialias=False)
    draft.setData(line[:, 0], line[:, 1], pen=pen, connect="finite")

    def colours(curve):
        return {tuple(c) for c in _painted(curve, VIEW).reshape(-1, 3)}

    # Background and pen only ((blue, green, red): the image's byte order).
    assert colours(draft) == {(255, 255, 255), (40, 40, 200)}
    assert len(colours(smooth)) > 20  # the antialiased edges blend the two
    inked = (_painted(draft, VIEW) < 250).any(axis=2)
    smooth_inked = (_painted(smooth, VIEW) < 128).any(axis=2)
    assert abs(int(inked.sum()) - int(smooth_inked.sum())) < 0.1 * smooth_inked.sum()
