"""What the live view draws for many points: blended colours, hard labels and a raster.

Both functions are plain numpy (no Qt), fast enough for a million points per frame: the
colours come from the block-wise E-step kernel of :mod:`gmm_studio.core.blockwise` (no N×K
matrix is ever held), and the raster is a handful of ``np.bincount`` calls.
"""

from __future__ import annotations

import numpy as np

from gmm_studio.core.blockwise import BlockData, for_each_block, make_kernel
from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture


def blended_colours(
    X, mixture: Mixture, palette, *, alpha: bool = False, data: BlockData | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each point's colour blended from the component colours by its responsibilities.

    Parameters
    ----------
    X : array_like, shape (N, D)
        The points, in all the dimensions the mixture was fitted in.
    mixture : Mixture
    palette : array_like, shape (K, 3)
        One RGB colour per component, 0-255.
    alpha : bool
        Return RGBA (alpha 255) instead of RGB.
    data : BlockData, optional
        ``X`` prepared once (``BlockData(X)``), to save that work on every frame.

    Returns
    -------
    colours : ndarray of uint8, shape (N, 3) or (N, 4)
        ``round(Σ_k r_ik · palette_k)``.
    labels : ndarray of uint8 (int16 for more than 255 components), shape (N,)
        The most responsible component of each point, as :meth:`Mixture.predict`.
    """
    if data is None:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != mixture.n_features:
            raise FitError(f"expected data with {mixture.n_features} columns, got {X.shape}")
        data = BlockData(X)
    palette = np.asarray(palette, dtype=float)
    if palette.shape != (mixture.n_components, 3):
        raise FitError(
            f"the palette needs one RGB colour per component, shape ({mixture.n_components}, 3);"
            f" got {palette.shape}"
        )
    if np.any(~(palette >= 0) | ~(palette <= 255)):
        raise FitError("palette colours must be numbers from 0 to 255")
    n = data.n_samples
    colours = np.empty((n, 4 if alpha else 3), dtype=np.uint8)
    if alpha:
        colours[:, 3] = 255
    labels = np.empty(n, dtype=np.uint8 if mixture.n_components <= 255 else np.int16)
    palette_t = np.ascontiguousarray(palette.T)
    kernel = make_kernel(mixture, data.centre, data.radius)
    label_bits = max(1, int(mixture.n_components - 1).bit_length())
    low = np.int64((1 << label_bits) - 1)

    def visit(a: int, b: int, R: np.ndarray) -> None:
        rgb = (palette_t @ R).T  # (n, 3): convex combinations, in [0, 255] up to rounding
        rgb += 0.5
        np.clip(rgb, 0.0, 255.0, out=rgb)
        colours[a:b, :3] = rgb  # truncation after +0.5: rounding to nearest
        # The bits of a non-negative float64 order like the number: with the last few bits
        # replaced by (low - k), one max over the components yields the most responsible one
        # (the lowest k on a tie, as argmax does).
        bits = R.view(np.int64)
        bits &= ~low
        bits |= low - np.arange(len(R), dtype=np.int64)[:, np.newaxis]
        top = bits.max(axis=0)
        labels[a:b] = low - (top & low)

    for_each_block(data, kernel, visit)
    return colours, labels


def rasterize(
    xy,
    colours,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    width: int,
    height: int,
    *,
    point_opacity: float = 0.6,
) -> np.ndarray:
    """Draw points as an RGBA image: each pixel the mean colour of its points.

    Parameters
    ----------
    xy : array_like, shape (N, 2)
        Point positions in data coordinates (the two columns on screen).
    colours : array_like of uint8, shape (N, 3) or (N, 4)
        Point colours, e.g. from :func:`blended_colours` (a fourth channel is ignored).
    x_range, y_range : (float, float)
        The data rectangle the image covers; points outside it are left out.
    width, height : int
        Image size in pixels.
    point_opacity : float
        Opacity of one point; a pixel holding ``c`` points gets the opacity of ``c`` such
        points stacked, ``1 - (1 - point_opacity)**c``, so dense regions look solid.

    Returns
    -------
    ndarray of uint8, shape (height, width, 4)
        Row 0 is ``y_range[0]`` (the bottom of a plot whose y axis points up), column 0 is
        ``x_range[0]``: what pyqtgraph's ``ImageItem`` shows with ``axisOrder="row-major"``
        and ``setRect(x0, y0, x1 - x0, y1 - y0)``. Empty pixels are fully transparent.
    """
    xy = np.asarray(xy, dtype=float)
    colours = np.asarray(colours)
    if xy.ndim != 2 or xy.shape[1] != 2 or colours.shape[0] != xy.shape[0]:
        raise ValueError("xy must be (N, 2) and colours (N, 3 or 4) for the same N points")
    width, height = int(width), int(height)
    (x0, x1), (y0, y1) = map(float, x_range), map(float, y_range)
    image = np.zeros((height, width, 4), dtype=np.uint8)
    if width < 1 or height < 1 or not (x1 > x0 and y1 > y0) or len(xy) == 0:
        return image
    col = xy[:, 0] - x0
    col *= width / (x1 - x0)
    row = xy[:, 1] - y0
    row *= height / (y1 - y0)
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)  # NaN is outside too
    # floor(row)·width + col truncates to the pixel index, since col ≥ 0 for points inside.
    np.floor(row, out=row)
    row *= width
    row += col
    size = width * height
    row[~inside] = size  # points outside go to one extra bin, dropped below
    pixel = row.astype(np.intp)
    counts = np.bincount(pixel, minlength=size + 1)[:size]
    flat = image.reshape(size, 4)
    scale = counts.astype(np.float64)  # (numpy's int-by-int division is far slower)
    np.maximum(scale, 1.0, out=scale)
    np.divide(1.0, scale, out=scale)
    for channel in range(3):
        mean = np.bincount(pixel, weights=colours[:, channel], minlength=size + 1)[:size]
        mean *= scale
        mean += 0.5
        flat[:, channel] = mean  # truncation after +0.5: rounding to nearest
    # Opacity of c stacked points, 1 - (1 - p)^c, from a table; past 256 points it is 1
    # (mode="clip" takes the last entry for larger counts).
    stacked = 1.0 - (1.0 - point_opacity) ** np.arange(257)
    table = (255.0 * stacked + 0.5).astype(np.uint8)
    flat[:, 3] = np.take(table, counts, mode="clip")
    return image
