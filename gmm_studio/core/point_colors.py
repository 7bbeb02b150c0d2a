"""The colors of the points in the live view: blended by responsibility, and hard labels.

Plain numpy (no Qt), fast enough for a million points per frame: the colors come from the
block-wise E-step kernel of :mod:`gmm_studio.core.blockwise` (no N×K matrix is ever held).
:mod:`gmm_studio.core.point_raster` turns them into an image.
"""

from __future__ import annotations

import numpy as np

from gmm_studio.core.blockwise import BlockData, for_each_block, make_kernel
from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture


def blended_colors(
    X, mixture: Mixture, palette, *, alpha: bool = False, data: BlockData | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each point's colour blended from the component colors by its responsibilities.

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
    colors : ndarray of uint8, shape (N, 3) or (N, 4)
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
        raise FitError("palette colors must be numbers from 0 to 255")
    blend = ColorBlend(data.n_samples, palette, alpha=alpha)
    for_each_block(data, make_kernel(mixture, data.centre, data.radius), blend.add)
    return blend.colors, blend.labels


class ColorBlend:
    """Point colours and labels filled block by block from responsibilities.

    :func:`blended_colors` fills one with its own pass; the live view fills one from the
    responsibilities of the EM pass itself (``BlockData.observer``), so a running fit's points
    are coloured without a second pass over the data.

    Parameters
    ----------
    n_points : int
    palette : array_like, shape (K, 3)
        One RGB colour per component, 0-255 (checked by :func:`blended_colors`).
    alpha : bool
        RGBA (alpha 255) instead of RGB.

    Attributes
    ----------
    colors : ndarray of uint8, shape (N, 3) or (N, 4)
    labels : ndarray of uint8 (int16 for more than 255 components), shape (N,)
    """

    def __init__(self, n_points: int, palette, alpha: bool = False) -> None:
        palette = np.asarray(palette, dtype=float)
        k = len(palette)
        self.colors = np.empty((n_points, 4 if alpha else 3), dtype=np.uint8)
        if alpha:
            self.colors[:, 3] = 255
        self.labels = np.empty(n_points, dtype=np.uint8 if k <= 255 else np.int16)
        self._palette = palette
        self._label_bits = max(1, int(k - 1).bit_length())
        self._blocks: list[int] = []  # rows of each block added (appends are thread-safe)

    @property
    def palette(self) -> np.ndarray:
        """The component colours, shape (K, 3), as floats."""
        return self._palette

    @property
    def complete(self) -> bool:
        """True once every row has been added (by one pass over all of them)."""
        return sum(self._blocks) == len(self.labels)

    def fill(self, colors: np.ndarray, labels: np.ndarray) -> None:
        """Take every row's colour (N, 3) and label at once, as another process's blend of
        the same pass made them."""
        self.colors[:, :3] = colors
        self.labels[...] = labels
        self._blocks.append(len(self.labels))

    def add(self, a: int, b: int, R: np.ndarray) -> None:
        """Colour rows ``a:b`` from their responsibilities ``R`` (K, b - a), left unchanged
        (an EM pass goes on with them)."""
        # (n, 3) convex combinations of the palette, in [0, 255] up to rounding (responsibilities
        # are ≥ 0 and sum to 1): after +0.5 they lie in [0.5, 255.5 + a few ulp], where the
        # uint8 cast's truncation is rounding to nearest, with no clipping needed.
        rgb = R.T @ self._palette
        rgb += 0.5
        self.colors[a:b, :3] = rgb
        # The bits of a non-negative float64 order like the number: with the last few bits
        # replaced by (low - k), one max over the components yields the most responsible one
        # (the lowest k on a tie, as argmax does).
        low = np.int64((1 << self._label_bits) - 1)
        bits = R.view(np.int64) & ~low
        bits |= low - np.arange(len(R), dtype=np.int64)[:, np.newaxis]
        top = bits.max(axis=0)
        self.labels[a:b] = low - (top & low)
        self._blocks.append(b - a)
