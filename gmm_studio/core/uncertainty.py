"""Each point's classification uncertainty, 1 − its largest responsibility (mclust's
uncertainty), and point colours whose strength shows it. Plain numpy, block by block with the
E-step kernel (no N×K matrix is held)."""

from __future__ import annotations

import numpy as np

from gmm_studio.core.blockwise import BlockData, for_each_block, make_kernel
from gmm_studio.core.mixture import Mixture

#: The strength of a point that is certain (so that it stays visible).
CERTAIN_STRENGTH = 0.25


def uncertainty(X, mixture: Mixture, *, data: BlockData | None = None) -> np.ndarray:
    """``1 - max_k r_ik`` for each row of ``X``, shape (N,): 0 for a point that belongs to
    one component for certain, at most ``1 - 1/K`` for one shared evenly."""
    data = BlockData(np.asarray(X, dtype=float)) if data is None else data
    out = np.empty(data.n_samples)
    kernel = make_kernel(mixture, data.centre, data.radius)

    def visit(a: int, b: int, R: np.ndarray) -> None:
        out[a:b] = 1.0 - R.max(axis=0)

    for_each_block(data, kernel, visit)
    return out


def uncertainty_colors(
    labels: np.ndarray, palette, uncertainties: np.ndarray, background=(255, 255, 255)
) -> np.ndarray:
    """Each point in its most likely component's colour, faded towards ``background`` the more
    certain it is: strength ``s = CERTAIN_STRENGTH + (1 - CERTAIN_STRENGTH) · √(u / (1 - 1/K))``
    (the square root lets a little doubt show already; certain points stay visible).

    Returns
    -------
    ndarray of uint8, shape (N, 3)
    """
    palette = np.asarray(palette, dtype=float)
    k = len(palette)
    most = 1.0 - 1.0 / k if k > 1 else 1.0
    share = np.sqrt(np.clip(uncertainties / most, 0, 1))
    strength = CERTAIN_STRENGTH + (1 - CERTAIN_STRENGTH) * share
    back = np.asarray(background, dtype=float)
    rgb = back + (palette[np.asarray(labels, dtype=np.intp)] - back) * strength[:, np.newaxis]
    return (rgb + 0.5).astype(np.uint8)
