"""The component rings filled as bands paint what stroking them paints."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QTransform

from gmm_studio.core import ellipse_points
from gmm_studio.gui.ring_curve import RingBands, RingCurve

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


def _kept_path(curve):
    return curve.bands._built[2].get(curve, (None, None))[1]


def test_bands_are_kept_for_the_same_view_and_built_again_for_new_rings_or_scale(qapp):
    pen = pg.mkPen(200, 40, 40, width=3.5)
    band, _ = _both(_rings([[4.0, 1.5], [1.5, 2.0]]), pen)
    first = _painted(band, VIEW)
    kept = _kept_path(band)
    np.testing.assert_array_equal(_painted(band, VIEW), first)
    assert _kept_path(band) is kept  # the second paint of the same rings built nothing

    moved = _rings([[4.0, 1.5], [1.5, 2.0]]) + np.array([3.0, -2.0])
    band.setData(moved[:, 0], moved[:, 1], pen=pen, connect="finite")
    fresh, _ = _both(moved, pen)
    np.testing.assert_array_equal(_painted(band, VIEW), _painted(fresh, VIEW))

    zoomed = QTransform(VIEW).scale(1.25, 1.25)
    kept = _kept_path(band)
    np.testing.assert_array_equal(_painted(band, zoomed), _painted(fresh, zoomed))
    assert _kept_path(band) is not kept


def test_a_pan_moves_the_bands_it_has(qapp):
    pen = pg.mkPen(200, 40, 40, width=3.5)
    band, _ = _both(_rings([[4.0, 1.5], [1.5, 2.0]]), pen)
    _painted(band, VIEW)
    kept = _kept_path(band)
    for dx, dy in [(-1.5, 0.5), (0.37, -0.61)]:  # in data units: whole and partial pixels
        panned = QTransform(VIEW).translate(dx, dy)  # the view moved, the rings did not
        fresh, _ = _both(_rings([[4.0, 1.5], [1.5, 2.0]]), pen)
        a, b = _painted(band, panned), _painted(fresh, panned)
        assert _kept_path(band) is kept
        assert not np.array_equal(a, _painted(band, VIEW))
        assert np.abs(a - b).max() <= 2  # the same pixels, to rounding in the antialiasing


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


def test_curves_of_one_set_are_built_together_and_paint_as_each_alone(qapp):
    wave = np.linspace(0.0, 4.0, len(_rings(np.eye(2))))  # as long as three rings
    lines_and_pens = [
        (_rings([[4.0, 1.5], [1.5, 2.0]]), pg.mkPen(200, 40, 40, width=3.5)),
        (_rings([[1.0, -0.3], [-0.3, 0.5]]) + np.array([5.0, 3.0]), pg.mkPen(40, 160, 40, width=5.5)),
        (_rings([[2.0, 0.0], [0.0, 2.0]], radii=(1.0, 2.0)), pg.mkPen(40, 40, 200, width=2.5)),
        (_rings([[9.0, 0.0], [0.0, 1e-4]]) - np.array([0.0, 6.0]), pg.mkPen(90, 0, 90, width=5.5)),
        (_rings([[3.0, 1.0], [1.0, 1.0]]), pg.mkPen(0, 90, 90, width=1.0)),
        (np.column_stack([wave, np.sin(wave)]), pg.mkPen(0, 0, 0, width=4.0)),
    ]  # fmt: skip
    bands = RingBands()
    curves = []
    for line, pen in lines_and_pens:
        curve = RingCurve(antialias=True, bands=bands)
        curve.setData(line[:, 0], line[:, 1], pen=pen, connect="finite")
        curves.append(curve)

    first = _painted(curves[0], VIEW)
    built = {curve: _kept_path(curve) for curve in curves}
    # The first paint built every curve's bands: the wide, closed, gently bent rings only.
    assert [path is not None for path in built.values()] == [True, True, True, False, False, False]
    for curve, (line, pen) in zip(curves, lines_and_pens, strict=True):
        np.testing.assert_array_equal(_painted(curve, VIEW), _painted(_both(line, pen)[0], VIEW))
        assert _kept_path(curve) is built[curve]  # painting the others built nothing more
    np.testing.assert_array_equal(_painted(curves[0], VIEW), first)

    moved = lines_and_pens[1][0] + np.array([1.0, 1.0])
    curves[1].setData(moved[:, 0], moved[:, 1], pen=lines_and_pens[1][1], connect="finite")
    np.testing.assert_array_equal(
        _painted(curves[1], VIEW), _painted(_both(moved, lines_and_pens[1][1])[0], VIEW)
    )
    assert _kept_path(curves[0]) is not built[curves[0]]  # one curve's new rings: all rebuilt


def test_bounds_follow_the_view_and_the_rings_as_a_stroked_curves_do(qtbot):
    line = _rings([[4.0, 1.5], [1.5, 2.0]])
    pen = pg.mkPen(200, 40, 40, width=5.5)
    band, stroke = _both(line, pen)
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    for curve in (band, stroke):
        plot.addItem(curve)
    plot.show()
    qtbot.waitExposed(plot)
    view = plot.getViewBox()
    view.setRange(xRange=(-10.0, 10.0), yRange=(-8.0, 8.0), padding=0.0)
    view.updateMatrix()

    def same_bounds():
        qtbot.waitUntil(lambda: band.boundingRect() == stroke.boundingRect())

    same_bounds()

    # A pan keeps them; a zoom changes the pen's padding in data units; new rings move them.
    for change, moves in (
        (lambda: view.translateBy(x=1.5, y=-0.5), False),
        (lambda: view.scaleBy((0.5, 0.5)), True),
        (lambda: [c.setData(line[:, 0] + 9.0, line[:, 1], pen=pen) for c in (band, stroke)], True),
        (lambda: view.translateBy(x=-4.0), False),
    ):
        before = band.boundingRect()
        change()
        view.updateMatrix()  # what the next paint would do first
        same_bounds()
        assert (band.boundingRect() != before) == moves
