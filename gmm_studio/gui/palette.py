"""Component colours that survive a projector and colour-blind eyes.

The first eight colours are Okabe & Ito's colour-blind-safe set, ordered so that the first
few components get the most distinct, saturated hues; the yellow is darkened slightly so it
still reads on a white background under a washed-out projector. More than eight components
cycle through the list with a darker shade.
"""

from __future__ import annotations

import numpy as np

#: Okabe-Ito colours, projector order (blue, vermillion, green, purple, orange, sky, yellow, black).
OKABE_ITO = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (196, 170, 0),
    (60, 60, 60),
)

#: Colour of points before any model has been fitted.
UNFITTED_POINT = (70, 70, 70)
#: Canvas background and foreground (axes, text).
BACKGROUND = (255, 255, 255)
FOREGROUND = (30, 30, 30)


def component_colors(n_components: int) -> np.ndarray:
    """Return the RGB colours of ``n_components`` components.

    Parameters
    ----------
    n_components : int
        Number of mixture components.

    Returns
    -------
    ndarray of shape (n_components, 3), dtype uint8
        One colour per component; colours repeat (darker) after the first eight.
    """
    base = np.array(OKABE_ITO, dtype=float)
    rows = []
    for k in range(n_components):
        cycle, index = divmod(k, len(base))
        rows.append(base[index] * (0.7**cycle))
    return np.array(rows, dtype=np.uint8).reshape(n_components, 3)
