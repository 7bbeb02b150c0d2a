"""Drawing many points as an image: every point stamps a disc, each pixel shows their mean colour.

This is the rasteriser of the live view above its scatter limit, in plain numpy (no Qt). Every
point stamps a small disc of about the scatter's marker size, and each pixel shows the mean
colour of the points covering it, opaque like a marker; empty pixels are transparent.

The work is split by what changes. Where each point lands (its pixels, the occupied pixels,
their counts) depends only on the positions and the view: :func:`build_raster_geometry`
computes it once per view. A new set of colours only re-averages them into the occupied
pixels, three ``np.bincount`` calls (:func:`paint_raster`).
"""

from __future__ import annotations

import math

import numpy as np

#: Marker diameter in screen pixels for small data sets (big enough to see from the back of a
#: room); it shrinks with the number of points, see :func:`point_diameter`.
POINT_SIZE = 11
#: Raster: most (point, pixel) stamps per view; bigger data sets get smaller discs.
RASTER_STAMP_BUDGET = 1_200_000


def point_diameter(n_points: int) -> float:
    """Marker diameter in screen pixels for ``n_points`` points (scatter and raster alike).

    :data:`POINT_SIZE` up to a thousand points, then 4 px smaller for each tenfold more, and
    never below one pixel: 8 px at the scatter/raster switch, 3 px at 100,000 points.
    """
    if n_points <= 1000:
        return float(POINT_SIZE)
    return max(1.0, POINT_SIZE - 4.0 * math.log10(n_points / 1000))


def disc_offsets(diameter: int) -> np.ndarray:
    """Pixel offsets, shape (S, 2) as (dx, dy), of a disc ``diameter`` pixels across.

    Offsets are relative to the pixel the point's position rounds into (see
    :func:`build_raster_geometry`): for an odd diameter the disc is centred on that pixel's
    centre, for an even one on its lower-left corner, so the disc's centre is never more than
    half a pixel from the point.
    """
    d = max(1, int(diameter))
    o = np.arange(-(d // 2), (d - 1) // 2 + 1)
    centre = 0.0 if d % 2 else -0.5  # pixel centre relative to the disc's centre, at offset 0
    dx, dy = np.meshgrid(o, o)
    inside = (dx + centre) ** 2 + (dy + centre) ** 2 <= (d / 2) ** 2 + 1e-9
    return np.column_stack([dx[inside], dy[inside]])


class RasterGeometry:
    """Where the points land in one view: everything a new set of colours does not change.

    Built by :func:`build_raster_geometry`; used by :func:`paint_raster`.
    """

    __slots__ = ("height", "index", "inverse_counts", "key", "occupied", "slot", "width")

    def __init__(self, key, width, height, index, slot, occupied, inverse_counts):
        self.key = key
        self.width = width
        self.height = height
        self.index = index  # the points near the view (None: all of them)
        self.slot = slot  # (S*N,) index into `occupied` of every stamp; len(occupied) = off view
        self.occupied = occupied  # flat pixel indices with at least one stamp
        self.inverse_counts = inverse_counts  # 1 / number of stamps, per occupied pixel


def build_raster_geometry(
    xy: np.ndarray, key: tuple, diameter: int | None = None
) -> RasterGeometry:
    """Pixels covered by every point's disc in the view ``key``.

    Parameters
    ----------
    xy : ndarray of shape (N, 2)
        Positions in data coordinates.
    key : tuple
        ``(x0, x1, y0, y1, width, height, pixel_ratio)``: the data rectangle shown, the image
        size in device pixels and device pixels per screen pixel. The disc diameter is
        :func:`point_diameter` of the number of points in view (zooming in on a million
        points shows bigger dots), made smaller if the discs would exceed
        :data:`RASTER_STAMP_BUDGET` stamps.

    Returns
    -------
    RasterGeometry
        Row 0 of the image is ``y0`` (the bottom of a plot whose y axis points up), column 0
        is ``x0``: what an ``ImageItem`` with ``axisOrder="row-major"`` shows with the rect
        ``(x0, y0, x1 - x0, y1 - y0)``.
    """
    x0, x1, y0, y1, width, height, pixel_ratio = key
    sx = width / (x1 - x0) if x1 > x0 else 0.0
    sy = height / (y1 - y0) if y1 > y0 else 0.0
    # Only points whose disc may touch the image take part (NaN compares false: left out).
    margin = math.ceil(POINT_SIZE * pixel_ratio) + 2
    col = xy[:, 0] - x0  # subtract first: data far from 0 keeps its precision
    col *= sx
    row = xy[:, 1] - y0
    row *= sy
    near = (col > -margin) & (col < width + margin) & (row > -margin) & (row < height + margin)
    if sx == 0.0 or sy == 0.0:
        near[:] = False  # an empty data rectangle shows nothing
    n_near = int(np.count_nonzero(near))
    index = None
    if n_near < len(xy):
        index = np.flatnonzero(near)
        col, row = col[index], row[index]
    if diameter is None:
        diameter = max(1, round(point_diameter(n_near) * pixel_ratio))
    offsets = disc_offsets(diameter)
    while len(offsets) > 1 and len(offsets) * n_near > RASTER_STAMP_BUDGET:
        diameter -= 1
        offsets = disc_offsets(diameter)
    # Column and row of each point's pixel, plus `margin` so that all are positive and the
    # integer cast truncates like floor; even discs centre on a pixel corner.
    shift = margin + (0.0 if diameter % 2 else 0.5)
    col += shift
    row += shift
    ix = col.astype(np.int32)
    iy = row.astype(np.int32)
    size = width * height
    stamps = np.empty((len(offsets), n_near), dtype=np.intp)
    for (dx, dy), out in zip(offsets.tolist(), stamps, strict=True):
        cx = ix + (dx - margin)
        cy = iy + (dy - margin)
        np.multiply(cy, width, out=out)
        out += cx
        # One unsigned comparison per axis tests 0 <= c < size.
        outside = cx.view(np.uint32) >= width
        outside |= cy.view(np.uint32) >= height
        out[outside] = size  # one extra bin for stamps off the image
    stamps = stamps.reshape(-1)
    counts = np.bincount(stamps, minlength=size + 1)[:size]
    occupied = np.flatnonzero(counts)
    slot_of_pixel = np.full(size + 1, len(occupied), dtype=np.int32)
    slot_of_pixel[occupied] = np.arange(len(occupied), dtype=np.int32)
    slot = slot_of_pixel[stamps]
    return RasterGeometry(key, width, height, index, slot, occupied, 1.0 / counts[occupied])


def paint_raster(
    geometry: RasterGeometry,
    colors: np.ndarray,
    labels: np.ndarray | None = None,
    palette: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Each occupied pixel's mean point colour, as a new RGBA uint8 image (height, width, 4).

    ``colors`` (N, 3) uint8 are used unless ``labels`` and ``palette`` are given, in which
    case each point has its label's palette colour. ``weights``, a float64 array with one
    entry per stamp (``len(geometry.slot)``), is scratch space reused between calls. (The
    image itself is new each time: the one on screen still refers to the previous buffer.)
    """
    if geometry.index is not None:
        colors = colors if labels is not None else np.take(colors, geometry.index, axis=0)
        labels = labels if labels is None else np.take(labels, geometry.index)
    n = len(colors) if labels is None else len(labels)
    m = len(geometry.occupied)
    image = np.zeros((geometry.height, geometry.width, 4), dtype=np.uint8)
    flat = image.reshape(-1, 4)
    flat[geometry.occupied, 3] = 255
    if n == 0:
        return image
    if weights is None or weights.shape != geometry.slot.shape:
        weights = np.empty(len(geometry.slot))
    per_stamp = weights.reshape(-1, n)
    for channel in range(3):
        if labels is None:
            per_stamp[:] = colors[:, channel]  # the same colour for each of a point's stamps
        else:
            per_stamp[:] = np.take(palette[:, channel], labels)
        total = np.bincount(geometry.slot, weights=weights, minlength=m + 1)[:m]
        total *= geometry.inverse_counts
        total += 0.5
        flat[geometry.occupied, channel] = total  # truncation after +0.5: rounding
    return image


def rasterize(xy, colors, key: tuple, diameter: int | None = None) -> np.ndarray:
    """Draw points as an RGBA image in one call (:func:`build_raster_geometry`, then
    :func:`paint_raster`).

    Parameters
    ----------
    xy : array_like, shape (N, 2)
        Positions in data coordinates.
    colors : array_like of uint8, shape (N, 3)
        Point colours, e.g. from :func:`gmm_studio.core.point_colors.blended_colors`.
    key : tuple
        ``(x0, x1, y0, y1, width, height, pixel_ratio)``, as for :func:`build_raster_geometry`.
    diameter : int, optional
        Disc diameter in device pixels (by default it follows the number of points in view).

    Returns
    -------
    ndarray of uint8, shape (height, width, 4)
    """
    xy = np.array(xy, dtype=np.float64).reshape(-1, 2)
    colors = np.asarray(colors, dtype=np.uint8)
    if colors.shape != (len(xy), 3):
        raise ValueError("colors must be (N, 3) uint8 for the N points")
    return paint_raster(build_raster_geometry(xy, key, diameter), colors)
