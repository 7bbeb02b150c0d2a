"""Wide antialiased rings drawn as filled bands: the component ellipses at a fraction of the cost.

Qt strokes a wide antialiased path by building the outline of every segment and every join
and filling their union, which for the rings of eight components took about 5 ms of an
8 ms paint of the live view (measured offscreen, 988×427 pixels of canvas). A closed ring's
stroke is a band between two offset rings: :class:`RingCurve` computes those in device
pixels and fills them, the same pixels in 4.0 ms against 5.3 for the eight components (the
fill about 3 ms, the offsets 1 ms). Rings too tight for the pen (a curvature radius under
half its width, where the inner offset would fold over itself), dashed pens and thin pens
are stroked by :class:`pyqtgraph.PlotCurveItem` as before. The bands of the curves of one
view (a layer's components and their halos) are built together, as one pass of stacked
arrays, by a shared :class:`RingBands`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QTransform

#: Pens up to this width (pixels) are stroked: Qt's thin antialiased lines are fast.
STROKED_MAX_WIDTH = 1.5


class RingBands:
    """The bands of the :class:`RingCurve` items of one view, built for all of them at once.

    A snapshot gives every component new rings. Built one curve at a time, their bands cost
    about 0.4 ms of array operations a curve, most of it in the calls rather than the
    arithmetic; here the first curve painted builds the bands of every curve of the set in
    stacked arrays. They are kept until a curve's rings change (:meth:`forget`) or the view's
    scale does; a pan only moves them.
    """

    def __init__(self) -> None:
        self._curves: list[RingCurve] = []
        #: ``(scale, origin, {curve: (half width, path or None)})`` of the last build, or
        #: None: ``scale`` is the view's transform without its translation, ``origin`` the
        #: translation the paths were built at.
        self._built = None

    def add(self, curve: RingCurve) -> None:
        """Build ``curve``'s bands with the others' from now on."""
        self._curves.append(curve)
        self._built = None

    def forget(self) -> None:
        """A curve's rings changed: build again at the next paint."""
        self._built = None

    def path_of(self, curve: RingCurve, t: QTransform):
        """``(path, (dx, dy))``: ``curve``'s bands in device pixels and the translation that
        takes them to the view ``t``; None where its rings are not closed or bend too tight."""
        scale = (t.m11(), t.m12(), t.m21(), t.m22())
        half_width = 0.5 * curve.opts["pen"].widthF()
        built = self._built
        if (
            built is None
            or not _same_scale(built[0], scale)
            or built[2].get(curve, (None,))[0] != half_width
        ):
            built = self._built = (scale, (t.dx(), t.dy()), self._build(t))
        _, (dx, dy), paths = built
        path = paths[curve][1]
        return None if path is None else (path, (t.dx() - dx, t.dy() - dy))

    def _build(self, t: QTransform) -> dict:
        curves = [curve for curve in self._curves if curve.bandable()]
        paths = {curve: (0.5 * curve.opts["pen"].widthF(), None) for curve in curves}
        by_length = defaultdict(list)
        for curve in curves:
            by_length[len(curve.xData)].append(curve)
        for same in by_length.values():
            x = np.stack([curve.xData for curve in same])
            y = np.stack([curve.yData for curve in same])
            points = np.stack(
                [t.m11() * x + t.m21() * y + t.dx(), t.m12() * x + t.m22() * y + t.dy()], axis=-1
            )
            half_widths = np.array([paths[curve][0] for curve in same])
            for curve, loops in zip(same, _bands_of(points, half_widths), strict=True):
                if loops is not None:
                    paths[curve] = (paths[curve][0], _fill_path(loops))
        return paths


class RingCurve(pg.PlotCurveItem):
    """A :class:`pyqtgraph.PlotCurveItem` of closed, NaN-separated rings (first point of each
    repeated at its end), painted as filled bands where that draws the same pixels faster.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`pyqtgraph.PlotCurveItem`.
    bands : RingBands, optional
        The set whose bands this curve's are built with (the other curves of its view); a set
        of its own by default.
    """

    bands: RingBands | None = None

    def __init__(self, *args, bands: RingBands | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bands = RingBands() if bands is None else bands
        self.bands.add(self)

    def updateData(self, *args, **kwargs) -> None:
        """New rings (pyqtgraph's ``setData`` comes here): the kept bands are stale."""
        if self.bands is not None:  # None while pyqtgraph's constructor sets the data
            self.bands.forget()
        super().updateData(*args, **kwargs)

    def viewTransformChanged(self) -> None:
        """A new view changes the pen's share of the bounds, not the data's bounds: those are
        kept (pyqtgraph recomputes both, about 0.1 ms a curve on every pan)."""
        self._boundingRect = None
        self.prepareGeometryChange()

    def paint(self, p: QPainter, opt, widget) -> None:
        bands = self._band_path(p)
        if bands is None:
            super().paint(p, opt, widget)
            return
        path, (dx, dy) = bands
        p.save()
        p.setTransform(QTransform.fromTranslate(dx, dy))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, self._antialias())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.opts["pen"].color())
        p.drawPath(path)
        p.restore()

    def _antialias(self) -> bool:
        if self._exportOpts is not False:
            return bool(self._exportOpts.get("antialias", True))
        return bool(self.opts["antialias"])

    def bandable(self) -> bool:
        """Whether the pen and the data allow bands: a solid, cosmetic pen wider than
        :data:`STROKED_MAX_WIDTH`, no fill, some points."""
        pen = self.opts["pen"]
        return (
            self.xData is not None
            and len(self.xData) > 0
            and pen.style() == Qt.PenStyle.SolidLine
            and pen.isCosmetic()
            and pen.widthF() > STROKED_MAX_WIDTH
            and self.opts["fillLevel"] is None
        )

    def _band_path(self, p: QPainter):
        """The bands of the rings in device coordinates and the translation that takes them
        to the painter's view, or None where they cannot stand in for the stroke."""
        if not self.bandable():
            return None
        t = p.transform()
        if t.type() == QTransform.TransformationType.TxProject:
            return None
        return self.bands.path_of(self, t)


def _same_scale(a: tuple, b: tuple) -> bool:
    """Whether two views' scales agree to 1e-9: a pan recomputes the view's scale from its
    shifted range, which can change its last bits, and bands moved to a view that much off
    are a millionth of a pixel off."""
    return all(abs(x - y) <= 1e-9 * max(abs(x), abs(y)) for x, y in zip(a, b, strict=True))


def _fill_path(loops: np.ndarray):
    """A winding-filled path of closed loops (L, m + 1, 2)."""
    n_loops, length = loops.shape[:2]
    connect = np.ones((n_loops, length), dtype=np.int32)
    connect[:, -1] = 0  # no line from the last point of a loop to the next loop
    xy = loops.reshape(-1, 2)
    path = pg.functions.arrayToQPath(
        xy[:, 0], xy[:, 1], connect=connect.reshape(-1), finiteCheck=False
    )
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


def _bands_of(points: np.ndarray, half_widths: np.ndarray) -> list:
    """The band loops of each of C polylines of the same length, (C, n, 2) in device pixels,
    for pens of ``half_widths`` (C,): per polyline, (2R, m + 1, 2) or None where it is not
    R closed rings or a band cannot draw it."""
    rings = _closed_rings(points)
    if rings is None:
        if len(points) == 1:
            return [None]
        # Their rings are laid out differently: each on its own.
        pairs = zip(points, half_widths, strict=True)
        return [_bands_of(p[np.newaxis], w[np.newaxis])[0] for p, w in pairs]
    bands, drawable = _bands(rings, half_widths)
    return [b if ok else None for b, ok in zip(bands, drawable, strict=True)]


def _closed_rings(points: np.ndarray) -> np.ndarray | None:
    """Rings (C, R, m + 1, 2) of C polylines (C, n, 2), each R closed rings of m + 1 points
    separated by single NaN points at the same places; None for any other polylines (or
    where they differ)."""
    c, n, _ = points.shape
    nan = np.isnan(points[..., 0])
    gaps = np.flatnonzero(nan[0])
    m1 = gaps[0] if len(gaps) else n  # points per ring
    n_rings = (n + 1) // (m1 + 1)
    if m1 < 4 or n_rings * (m1 + 1) - 1 != n or len(gaps) != n_rings - 1:
        return None
    if len(gaps) and not np.array_equal(gaps, np.arange(1, n_rings) * (m1 + 1) - 1):
        return None
    if not (nan == nan[0]).all():
        return None
    padded = np.concatenate([points, np.full((c, 1, 2), np.nan)], axis=1)
    rings = padded.reshape(c, n_rings, m1 + 1, 2)[:, :, :m1]
    if not (np.isfinite(rings).all() and np.array_equal(rings[:, :, 0], rings[:, :, -1])):
        return None
    return rings


def _bands(rings: np.ndarray, half_widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For C sets of R closed rings (C, R, m + 1, 2), their outer and inner offsets by each
    set's half width, running in opposite directions so that a winding fill covers the band
    between them: (C, 2R, m + 1, 2), closed; and whether each set's bands are drawable (C,):
    not where a ring bends tighter than the half width (its inner offset would run backwards
    and fold over itself) or repeats a point."""
    ahead = rings[:, :, 1:] - rings[:, :, :-1]  # segment i: point i to point i + 1
    # The tangent at point i: from point i - 1 to point i + 1, around the ring.
    tangent = ahead + np.concatenate([ahead[:, :, -1:], ahead[:, :, :-1]], axis=2)
    length = np.hypot(tangent[..., 0], tangent[..., 1])
    drawable = np.all(length > 0, axis=(1, 2))
    offset = np.stack([tangent[..., 1], -tangent[..., 0]], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        offset *= (half_widths[:, np.newaxis, np.newaxis] / length)[..., np.newaxis]
    offset = np.concatenate([offset, offset[:, :, :1]], axis=2)  # the closing point's
    bands = np.concatenate([rings + offset, (rings - offset)[:, :, ::-1]], axis=1)
    along = np.concatenate([ahead, -ahead[:, :, ::-1]], axis=1)
    with np.errstate(invalid="ignore"):
        forwards = np.sum(np.diff(bands, axis=2) * along, axis=3) > 0
    drawable &= np.all(forwards, axis=(1, 2))
    return bands, drawable
