"""Offscreen screenshots of the window with many points: mid-run, converged, zoomed in.

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/screenshots_scale.py OUTPUT_FOLDER [N ...]

For each N (default 1,000,000 and 100) writes N-mid-run.png, N-converged.png,
N-converged-hard.png (hard labels) and N-zoom.png (converged, zoomed in 8x on one cluster),
1360 x 900, K=8, the benchmark's overlapping clusters.
"""

from __future__ import annotations

import os
import pathlib
import sys

from gmm_studio.model import FitState

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = pathlib.Path(argv[0] if argv else ".")
    out.mkdir(parents=True, exist_ok=True)
    sizes = [int(a) for a in argv[1:]] or [1_000_000, 100]

    from bench_gui import make_points
    from event_loop import spin, wait_for

    from gmm_studio.core import FitSettings
    from gmm_studio.gui.app import create_main_window
    from gmm_studio.gui.control_panel import SPEED_MAX
    from gmm_studio.gui.document import Document

    for n in sizes:
        settings = FitSettings(n_components=8, init="random-points", tol=1e-4, seed=1)
        document = Document(make_points(n, 8), ["x", "y"], name=f"{n}.csv", settings=settings)
        window = create_main_window(document)
        window.resize(1360, 900)
        window.show()
        window.panel.set_speed_position(SPEED_MAX)
        wait_for(lambda w=window: w.fit.state is FitState.READY, 120)
        points = window.canvas.points

        def settle(w=window, p=points) -> None:
            spin(100)
            wait_for(lambda: not p.uses_raster or p.raster_is_current(), 10)

        window.run_or_pause()
        wait_for(lambda w=window: w.document.iteration >= 6, 120)
        window.run_or_pause()  # pause
        wait_for(lambda w=window: w.fit.state is FitState.PAUSED, 120)
        settle()
        window.grab().save(str(out / f"{n}-mid-run.png"))
        window.run_or_pause()
        wait_for(lambda w=window: w.fit.state is FitState.CONVERGED, 600)
        settle()
        window.grab().save(str(out / f"{n}-converged.png"))
        window.hard_labels_action.trigger()
        settle()
        window.grab().save(str(out / f"{n}-converged-hard.png"))
        window.hard_labels_action.trigger()
        mean = window.document.mixture.means[0]
        (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
        w, h = (x1 - x0) / 16, (y1 - y0) / 16
        window.canvas.view_box.setRange(
            xRange=(mean[0] - w, mean[0] + w), yRange=(mean[1] - h, mean[1] + h), padding=0
        )
        settle()
        window.grab().save(str(out / f"{n}-zoom.png"))
        print(f"N={n}: {window.fit.state.value} at iteration {window.document.iteration}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
