"""Time what the live view computes per frame for many points (no Qt involved).

``blended_colors``: responsibility-blended uint8 colours and hard labels for every point
(the block-wise E-step kernel); ``rasterize``: those colours stamped into an RGBA image the
size of the view, as the live view draws them above its scatter limit (the geometry of a
view, then the colours averaged into it; the live view keeps the geometry while the view
rests and redoes only the second part per frame, timed separately).

Run from the repository root::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_draw.py
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gmm_studio.core import initialize  # noqa: E402
from gmm_studio.core.blockwise import BlockData  # noqa: E402
from gmm_studio.core.point_colors import blended_colors  # noqa: E402
from gmm_studio.core.point_raster import (  # noqa: E402
    build_raster_geometry,
    paint_raster,
    rasterize,
)

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_em import make_data  # noqa: E402

PALETTE = np.array(
    [[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48],
     [145, 30, 180], [70, 240, 240], [240, 50, 230], [128, 128, 0]]
)  # fmt: skip


def best_ms(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args(argv)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"cores: {os.cpu_count()}   load average: {load}")
    print(f"{'work':<48}{f'ms (best of {args.repeats})':>18}")
    for n in (int(s) for s in args.sizes.split(",")):
        k = 8
        X = make_data(n, k, 2)
        mixture = initialize(X[:20_000], k, seed=0)
        data = BlockData(X)
        colors, _ = blended_colors(X, mixture, PALETTE, data=data)
        x0, x1 = float(X[:, 0].min()), float(X[:, 0].max())
        y0, y1 = float(X[:, 1].min()), float(X[:, 1].max())
        rows = [
            (f"prepare BlockData, N={n:,}", lambda X=X: BlockData(X)),
            (
                f"blended_colors + labels, N={n:,} K={k}",
                lambda X=X, m=mixture, data=data: blended_colors(X, m, PALETTE, data=data),
            ),
        ]
        for w, h in [(800, 600), (1920, 1080)]:
            key = (x0, x1, y0, y1, w, h, 1.0)
            geometry = build_raster_geometry(X, key)
            rows += [
                (
                    f"rasterize {w}x{h}, N={n:,}",
                    lambda X=X, c=colors, key=key: rasterize(X, c, key),
                ),
                (
                    f"  recolor only (view unchanged) {w}x{h}",
                    lambda c=colors, g=geometry: paint_raster(g, c),
                ),
            ]
        for label, fn in rows:
            print(f"{label:<48}{best_ms(fn, args.repeats):>18.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
