"""Drawing many points as an image: every point stamps a disc, each pixel shows their mean colour.

This is the rasteriser of the live view above its scatter limit, in plain numpy and scipy (no
Qt). Every point stamps a small disc of about the scatter's marker size (larger for heavier
points when the points carry sample weights, as in the scatter), and each pixel shows the
mean colour of the points covering it, opaque like a marker; empty pixels are transparent.

The work is split by what changes. Where each point lands depends only on the positions, the
sizes and the view: :func:`build_raster_geometry` computes it once per view, as a sparse
matrix with one column per point and one row per pixel. A new set of colours then costs
three sparse matrix-vector products and a few whole-image array operations
(:func:`paint_raster`). Both release Python's interpreter lock for nearly all of their time
(scipy's sparse products and numpy's element-wise loops do; ``np.bincount`` and fancy
indexing, used before, do not), so the window's GUI thread keeps running while a raster is
computed in the background.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse

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

    Attributes
    ----------
    key : tuple
        The view, as given to :func:`build_raster_geometry`.
    width, height : int
        Image size in device pixels.
    stamps : scipy.sparse.csc_matrix of shape (height * width + 1, N), float32
        One column per point with a 1 at every pixel its disc covers; the last row collects
        the stamps off the image.
    inverse_counts : ndarray of shape (height * width,), float32
        1 / the number of stamps on each pixel (0 on empty pixels).
    alpha : ndarray of shape (height * width,), uint8
        255 on every covered pixel, 0 elsewhere.
    diameters : ndarray of shape (N,), int16
        Each point's disc diameter in device pixels (0: the point is far from the view).
    """

    __slots__ = ("alpha", "diameters", "height", "inverse_counts", "key", "stamps", "width")

    def __init__(self, key, width, height, stamps, inverse_counts, alpha, diameters):
        self.key = key
        self.width = width
        self.height = height
        self.stamps = stamps
        self.inverse_counts = inverse_counts
        self.alpha = alpha
        self.diameters = diameters


def point_diameters(n_near: int, pixel_ratio: float, scale: np.ndarray | None) -> np.ndarray:
    """Disc diameters in device pixels of ``n_near`` points in view (one per point, int16).

    The base is :func:`point_diameter` of ``n_near``; ``scale`` (one factor per point, e.g.
    from sample weights) multiplies it, and every disc is at least one pixel. The base
    shrinks until all discs together make at most :data:`RASTER_STAMP_BUDGET` stamps (or
    the base reaches one pixel).
    """
    base = point_diameter(n_near) * pixel_ratio
    while True:
        if scale is None:
            diameters = np.full(n_near, max(1, round(base)), dtype=np.int16)
        else:
            diameters = np.maximum(1, np.rint(scale * base)).astype(np.int16)
        if base <= 1.0 or _stamp_count(diameters) <= RASTER_STAMP_BUDGET:
            return diameters
        base = max(1.0, base - 1.0 if scale is None else base * 0.9)


def _stamp_count(diameters: np.ndarray) -> int:
    if not len(diameters):
        return 0
    per_size = np.bincount(diameters)
    sizes = np.array([len(disc_offsets(d)) if d else 0 for d in range(len(per_size))])
    return int(per_size @ sizes)


def build_raster_geometry(
    xy: np.ndarray,
    key: tuple,
    diameter: int | None = None,
    scale: np.ndarray | None = None,
) -> RasterGeometry:
    """Pixels covered by every point's disc in the view ``key``.

    Parameters
    ----------
    xy : ndarray of shape (N, 2)
        Positions in data coordinates.
    key : tuple
        ``(x0, x1, y0, y1, width, height, pixel_ratio)``: the data rectangle shown, the image
        size in device pixels and device pixels per screen pixel.
    diameter : int, optional
        One disc diameter in device pixels for every point. By default it is
        :func:`point_diameters`: the marker size for the number of points in view (zooming in
        on a million points shows bigger dots), times ``scale``.
    scale : ndarray of shape (N,), optional
        A diameter factor per point (weighted points: see ``gmm_studio.gui.canvas``).

    Returns
    -------
    RasterGeometry
        Row 0 of the image is ``y0`` (the bottom of a plot whose y axis points up), column 0
        is ``x0``: what an ``ImageItem`` with ``axisOrder="row-major"`` shows with the rect
        ``(x0, y0, x1 - x0, y1 - y0)``.
    """
    x0, x1, y0, y1, width, height, pixel_ratio = key
    n = len(xy)
    sx = width / (x1 - x0) if x1 > x0 else 0.0
    sy = height / (y1 - y0) if y1 > y0 else 0.0
    # Only points whose disc may touch the image take part (NaN compares false: left out).
    largest = POINT_SIZE * pixel_ratio * (1.0 if scale is None else max(1.0, float(scale.max())))
    margin = math.ceil(largest) + 2
    near = np.zeros(n, dtype=bool)
    if sx and sy:  # an empty data rectangle shows nothing
        for a, b, col, row in _pixel_coordinates(xy, None, x0, y0, sx, sy):
            inside = near[a:b]
            np.greater(col, -margin, out=inside)
            inside &= col < width + margin
            inside &= row > -margin
            inside &= row < height + margin
    n_near = int(np.count_nonzero(near))
    index = None if n_near == n else np.flatnonzero(near)  # None: every point
    if diameter is not None:
        near_diameters = np.full(n_near, max(1, int(diameter)), dtype=np.int16)
    else:
        near_scale = None if scale is None else scale if index is None else scale[index]
        near_diameters = point_diameters(n_near, pixel_ratio, near_scale)
    largest_disc = int(near_diameters.max(initial=0))
    sizes = np.array([0] + [len(disc_offsets(d)) for d in range(1, largest_disc + 1)])
    diameters = np.zeros(n, dtype=np.int16)
    diameters[near] = near_diameters
    total = int(sizes[near_diameters].sum())
    index_type = np.int32 if total < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, dtype=index_type)
    np.cumsum(sizes[diameters], out=indptr[1:])
    indices = np.empty(total, dtype=np.int32)
    size = width * height
    # One disc for all: the near points' stamps are one (n_near, S) block, row by row.
    block = None
    if n_near and near_diameters.min() == near_diameters.max():
        block = indices.reshape(n_near, -1)
    # Each point's stamps are contiguous (a column of the CSC matrix), offset by offset.
    for a, b, col, row in _pixel_coordinates(xy, index, x0, y0, sx, sy):
        chunk = near_diameters[a:b]
        for d in np.unique(chunk).tolist():
            if block is not None:
                members, targets = slice(None), block[a:b]
            else:
                members = np.flatnonzero(chunk == d)
                starts = indptr[a + members if index is None else index[a + members]]
            # Column and row of each point's pixel, plus `margin` so that all are positive
            # and the integer cast truncates like floor; even discs centre on a pixel corner.
            shift = margin + (0.0 if d % 2 else 0.5)
            ix = (col[members] + shift).astype(np.int32)
            iy = (row[members] + shift).astype(np.int32)
            for s, (dx, dy) in enumerate(disc_offsets(d).tolist()):
                cx = ix + (dx - margin)
                cy = iy + (dy - margin)
                pixel = cy * width
                pixel += cx
                # One unsigned comparison per axis tests 0 <= c < size.
                outside = cx.view(np.uint32) >= width
                outside |= cy.view(np.uint32) >= height
                pixel[outside] = size  # the extra row for stamps off the image
                if block is not None:
                    targets[:, s] = pixel
                else:
                    indices[starts + s] = pixel
    data = np.ones(len(indices), dtype=np.float32)
    stamps = scipy.sparse.csc_matrix((data, indices, indptr), shape=(size + 1, n))
    covered = (stamps @ np.ones(n, dtype=np.float32))[:size]
    alpha = np.where(covered > 0, np.uint8(255), np.uint8(0))
    with np.errstate(divide="ignore"):
        inverse_counts = np.where(covered > 0, np.float32(1.0) / covered, np.float32(0.0))
    return RasterGeometry(
        key, width, height, stamps, inverse_counts.astype(np.float32), alpha, diameters
    )


#: Points converted to pixel coordinates at a time (bounds the temporary arrays).
_CHUNK = 1 << 20


def _pixel_coordinates(xy, index, x0, y0, sx, sy):
    """Yield ``(a, b, col, row)``: the pixel coordinates of points ``a:b`` (of ``index``)."""
    n = len(xy) if index is None else len(index)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        part = xy[a:b] if index is None else xy[index[a:b]]
        col = part[:, 0] - x0  # subtract first: data far from 0 keeps its precision
        col *= sx
        row = part[:, 1] - y0
        row *= sy
        yield a, b, col, row


def paint_raster(
    geometry: RasterGeometry,
    colors: np.ndarray,
    labels: np.ndarray | None = None,
    palette: np.ndarray | None = None,
) -> np.ndarray:
    """Each covered pixel's mean point colour, as a new RGBA uint8 image (height, width, 4).

    ``colors`` (N, 3) uint8 are used unless ``labels`` and ``palette`` are given, in which
    case each point has its label's palette colour. (The image is new each time: the one on
    screen still refers to the previous buffer.)
    """
    image = np.empty((geometry.height, geometry.width, 4), dtype=np.uint8)
    flat = image.reshape(-1, 4)
    flat[:, 3] = geometry.alpha
    size = geometry.width * geometry.height
    n = geometry.stamps.shape[1]
    if labels is not None:
        labels = np.asarray(labels)
    mean = np.empty(size, dtype=np.float32)
    channel_values = np.empty(n, dtype=np.float32)
    for channel in range(3):
        if labels is None:
            channel_values[:] = colors[:, channel]
        else:
            np.take(np.asarray(palette[:, channel], dtype=np.float32), labels, out=channel_values)
        total = geometry.stamps @ channel_values
        np.multiply(total[:size], geometry.inverse_counts, out=mean)
        mean += 0.5
        flat[:, channel] = mean  # truncation after +0.5: rounding; empty pixels get 0
    return image


def rasterize(xy, colors, key: tuple, diameter: int | None = None, scale=None) -> np.ndarray:
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
    scale : array_like, shape (N,), optional
        A diameter factor per point, as for :func:`build_raster_geometry`.

    Returns
    -------
    ndarray of uint8, shape (height, width, 4)
    """
    xy = np.array(xy, dtype=np.float64).reshape(-1, 2)
    colors = np.asarray(colors, dtype=np.uint8)
    if colors.shape != (len(xy), 3):
        raise ValueError("colors must be (N, 3) uint8 for the N points")
    if scale is not None:
        scale = np.asarray(scale, dtype=np.float64)
        if scale.shape != (len(xy),):
            raise ValueError("scale must hold one factor per point")
    return paint_raster(build_raster_geometry(xy, key, diameter, scale), colors)
