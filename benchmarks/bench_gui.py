"""GUI responsiveness while EM runs: redraws per second and the longest GUI-thread stall.

Runs the real main window offscreen on 100,000 points with K=8, EM as fast as possible, and
measures:

* redraws per second: frames the window drew (snapshots shown) per second of running EM;
* canvas redraws per second: paint events of the canvas while a 60 Hz timer pans the view a
  little (as a user dragging the plot would), so the count measures how often the window can
  redraw while EM runs, not only how often EM delivers a new snapshot;
* snapshots drawn per second (bounded by EM's own iteration rate on this data);
* the longest stall: the largest gap between ticks of a 5 ms heartbeat timer on the GUI
  thread, minus the 5 ms period.

Targets: at least 30 redraws per second, no stall over 50 ms.

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--points 100000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numpy as np

HEARTBEAT_MS = 5


def make_points(n: int, k: int, seed: int = 0) -> np.ndarray:
    """``n`` points from ``k`` overlapping 2-D Gaussians."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(k, 2))
    labels = rng.integers(0, k, size=n)
    scales = rng.uniform(0.8, 2.5, size=(k, 2))
    return centers[labels] + rng.standard_normal((n, 2)) * scales[labels]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-pan", action="store_true", help="do not pan the view while EM runs")
    args = parser.parse_args(argv)

    from pyqtgraph import GraphicsView
    from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, QTimer

    from gmm_studio.core import FitSettings
    from gmm_studio.gui.app import create_main_window
    from gmm_studio.gui.control_panel import SPEED_MAX
    from gmm_studio.gui.document import Document
    from gmm_studio.gui.main_window import MainWindow

    paint_ms: list[float] = []
    paint_cpu_ms: list[float] = []
    original_paint = GraphicsView.paintEvent

    def timed_paint(self, event):
        t0, c0 = time.perf_counter(), time.thread_time()
        original_paint(self, event)
        paint_ms.append((time.perf_counter() - t0) * 1000)
        paint_cpu_ms.append((time.thread_time() - c0) * 1000)

    GraphicsView.paintEvent = timed_paint  # measure painting of the plots

    frame_ms: list[float] = []
    frame_cpu_ms: list[float] = []
    original_on_frame = MainWindow._on_frame

    def timed_on_frame(self, frame):
        t0, c0 = time.perf_counter(), time.thread_time()
        original_on_frame(self, frame)
        frame_ms.append((time.perf_counter() - t0) * 1000)
        frame_cpu_ms.append((time.thread_time() - c0) * 1000)

    MainWindow._on_frame = timed_on_frame  # measure the GUI thread's work per snapshot

    points = make_points(args.points, args.components)
    settings = FitSettings(
        n_components=args.components, init="random-points", tol=0.0, max_iter=100_000, seed=1
    )
    document = Document(points, ["x", "y"], name="bench.csv", settings=settings)
    window = create_main_window(document)
    window.resize(1360, 900)
    window.show()
    window.panel.set_speed_position(SPEED_MAX)

    def spin(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    deadline = time.monotonic() + 30
    while window.state != "ready" and time.monotonic() < deadline:
        spin(20)
    if window.state != "ready":
        print(f"window did not become ready (state: {window.state})", file=sys.stderr)
        return 1

    class PaintCounter(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    painter = PaintCounter()
    window.canvas.viewport().installEventFilter(painter)
    pan_sign = [1.0]

    def pan() -> None:
        (x0, x1), _ = window.canvas.view_box.viewRange()
        window.canvas.view_box.translateBy(x=pan_sign[0] * (x1 - x0) * 0.002)
        pan_sign[0] = -pan_sign[0]

    panner = QTimer()
    panner.setInterval(16)
    panner.timeout.connect(pan)

    gaps: list[float] = []
    clock = QElapsedTimer()

    def tick() -> None:
        if clock.isValid():
            gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(tick)

    paints_before = painter.count
    frames_before = window.frames_drawn
    iteration_before = window.document.iteration
    heartbeat.start()
    if not args.no_pan:
        panner.start()
    clock.start()
    start = time.perf_counter()
    window.run_or_pause()
    spin(int(args.seconds * 1000))
    elapsed = time.perf_counter() - start
    heartbeat.stop()
    panner.stop()
    paints = painter.count - paints_before
    frames = window.frames_drawn - frames_before
    iterations = window.document.iteration - iteration_before
    window.close()

    gaps_arr = np.array(gaps) if gaps else np.array([0.0])
    stall = max(0.0, float(gaps_arr.max()) - HEARTBEAT_MS)
    print(f"points: {args.points}, components: {args.components}, run: {elapsed:.1f} s")
    print(f"raster drawing: {window.canvas.points.uses_raster}")
    print(f"EM iterations: {iterations} ({iterations / elapsed:.1f}/s)")
    print(f"canvas redraws: {paints} ({paints / elapsed:.1f}/s; target >= 30/s)")
    print(f"snapshots drawn: {frames} ({frames / elapsed:.1f}/s, every iteration EM made)")
    print(
        f"heartbeat gaps: median {np.median(gaps_arr):.1f} ms, "
        f"99th percentile {np.percentile(gaps_arr, 99):.1f} ms, max {gaps_arr.max():.1f} ms"
    )
    if frame_ms:
        print(
            f"GUI work per snapshot: median {np.median(frame_ms):.1f} ms, "
            f"max {np.max(frame_ms):.1f} ms (GUI-thread CPU time: median "
            f"{np.median(frame_cpu_ms):.1f} ms, max {np.max(frame_cpu_ms):.1f} ms)"
        )
    if paint_ms:
        print(
            f"painting a plot: median {np.median(paint_ms):.1f} ms, max {np.max(paint_ms):.1f} ms "
            f"(GUI-thread CPU time: median {np.median(paint_cpu_ms):.1f} ms, "
            f"max {np.max(paint_cpu_ms):.1f} ms)"
        )
    print(f"longest GUI stall: {stall:.1f} ms (target <= 50 ms)")
    print(
        f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
