"""GUI responsiveness while EM runs: redraws per second and the longest GUI-thread stall.

Runs the real main window offscreen with K=8 on 100,000 and on 1,000,000 points (the
benchmark's overlapping clusters), EM as fast as possible, in two phases of ``--seconds``
each:

* ``still``: EM runs, nobody touches the view. Redraws per second = repaints of the canvas,
  which here follow the snapshots drawn (and the rasters that arrive between them);
* ``panning``: EM keeps running while a 60 Hz timer pans the view a little (as a user
  dragging the plot would), so the count measures how often the window redraws while EM
  runs; the raster reaches beyond the view, so these small pans need no new raster.

For each phase it prints canvas redraws per second, snapshots drawn per second (bounded by
EM's own iteration rate), EM iterations per second, the GUI thread's work per snapshot and
per paint, and the longest stall: the largest gap between ticks of a 5 ms heartbeat timer on
the GUI thread, minus the 5 ms period. It also prints the CPU each thread used (the GUI
thread, the EM threads: the worker, the passes' pool and the EM pass process, the raster
thread), per second and per redraw or iteration: on a shared machine the wall-clock figures
fall with the CPU the process gets, the CPU per unit of work much less. The load average is
printed with every row.

Targets: 100,000 points at least 60 redraws per second with no stall over 20 ms; 1,000,000
points at least 30 redraws per second, no stall over 35 ms and at least 15 snapshots drawn per
second. The CPU, numpy's SIMD level and the BLAS kernel are printed first.

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--points 100000,1000000]
        [--seconds 8] [--no-pan]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numpy as np

from gmm_studio.model import FitState

HEARTBEAT_MS = 5
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def thread_cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by each thread of this process, by thread name (Linux); the EM
    pass process (a child of this one, :mod:`gmm_studio.core.pass_process`) counts as EM."""
    used: dict[str, float] = {}
    for child in multiprocessing.active_children():
        seconds = _cpu_seconds(pathlib.Path(f"/proc/{child.pid}"))
        if seconds is not None:
            used["em"] = used.get("em", 0.0) + seconds
    # Python's thread names (the pool threads' names are not the system's in Python 3.11).
    names = {t.native_id: t.name for t in threading.enumerate()}
    for task in pathlib.Path("/proc/self/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        name = name if name.startswith("gmm-studio") else names.get(int(task.name), name)
        seconds = _cpu_seconds(task)
        if seconds is None:
            continue
        key = "gui" if task.name == str(os.getpid()) else _thread_kind(name)
        used[key] = used.get(key, 0.0) + seconds
    return used


def _cpu_seconds(entry: pathlib.Path) -> float | None:
    """User and system CPU seconds of a /proc process or task entry (None: it is gone)."""
    try:
        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _thread_kind(name: str) -> str:
    if name.startswith("gmm-studio-em"):
        return "em"
    if name.startswith("gmm-studio-ras"):
        return "raster"
    return "other"


def make_points(n: int, k: int, seed: int = 0) -> np.ndarray:
    """``n`` points from ``k`` overlapping 2-D Gaussians."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(k, 2))
    labels = rng.integers(0, k, size=n)
    scales = rng.uniform(0.8, 2.5, size=(k, 2))
    return centers[labels] + rng.standard_normal((n, 2)) * scales[labels]


def install_timers() -> tuple[list[float], list[float]]:
    """Time every plot paint and every snapshot the window draws (milliseconds, appended)."""
    from pyqtgraph import GraphicsView

    from gmm_studio.gui.main_window import MainWindow

    paint_ms: list[float] = []
    frame_ms: list[float] = []
    original_paint = GraphicsView.paintEvent
    original_on_frame = MainWindow._on_frame

    def timed_paint(self, event):
        t0 = time.perf_counter()
        original_paint(self, event)
        paint_ms.append((time.perf_counter() - t0) * 1000)

    def timed_on_frame(self, frame):
        t0 = time.perf_counter()
        original_on_frame(self, frame)
        frame_ms.append((time.perf_counter() - t0) * 1000)

    GraphicsView.paintEvent = timed_paint  # measure painting of the plots
    MainWindow._on_frame = timed_on_frame  # measure the GUI thread's work per snapshot
    return paint_ms, frame_ms


def ready_window(document):
    """The main window of ``document``, shown at 1360x900, EM at full speed, ready to run."""
    from gmm_studio.gui.app import create_main_window
    from gmm_studio.gui.control_panel import SPEED_MAX

    window = create_main_window(document)
    window.resize(1360, 900)
    window.show()
    window.panel.set_speed_position(SPEED_MAX)
    wait_until_ready(window)
    return window


def wait_until_ready(window) -> None:
    """Run the event loop until the window's fit is ready to run (exit if it never is)."""
    from event_loop import spin

    deadline = time.monotonic() + 120
    while window.fit.state is not FitState.READY and time.monotonic() < deadline:
        spin(20)
    if window.fit.state is not FitState.READY:
        sys.exit(f"window did not become ready (state: {window.fit.state.value})")
    spin(300)


def measure(window, phases, seconds: float, timers) -> list[dict]:
    """Run EM for ``seconds`` per phase (``still``, ``panning``) and measure the window."""
    from event_loop import spin
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer

    paint_ms, frame_ms = timers

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

    rows = []
    for phase in phases:
        panner = QTimer()
        panner.setInterval(16)
        panner.timeout.connect(pan)
        gaps: list[float] = []
        clock = QElapsedTimer()

        def tick(gaps=gaps, clock=clock) -> None:
            if clock.isValid():
                gaps.append(clock.nsecsElapsed() / 1e6)
            clock.restart()

        heartbeat = QTimer()
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(tick)
        paint_ms.clear()
        frame_ms.clear()
        paints_before = painter.count
        frames_before = window.frames_drawn
        iteration_before = window.document.iteration
        heartbeat.start()
        if phase == "panning":
            panner.start()
        clock.start()
        cpu_before = thread_cpu_seconds()
        start = time.perf_counter()
        window.run_or_pause()  # run
        spin(int(seconds * 1000))
        elapsed = time.perf_counter() - start
        cpu_after = thread_cpu_seconds()
        heartbeat.stop()
        panner.stop()
        window.run_or_pause()  # pause
        spin(300)
        gaps_arr = np.array(gaps) if gaps else np.array([0.0])
        rows.append(
            {
                "points": window.document.n_points,
                "phase": phase,
                "raster": window.canvas.points.uses_raster,
                "redraws": (painter.count - paints_before) / elapsed,
                "snapshots": (window.frames_drawn - frames_before) / elapsed,
                "iterations": (window.document.iteration - iteration_before) / elapsed,
                "frame_ms": (np.median(frame_ms), np.max(frame_ms)) if frame_ms else (0, 0),
                "paint_ms": (np.median(paint_ms), np.max(paint_ms)) if paint_ms else (0, 0),
                "heartbeat": (np.median(gaps_arr), np.percentile(gaps_arr, 99)),
                "stall": max(0.0, float(gaps_arr.max()) - HEARTBEAT_MS),
                "cpu": {
                    k: 100 * (cpu_after.get(k, 0.0) - cpu_before.get(k, 0.0)) / elapsed
                    for k in ("gui", "em", "raster", "other")
                },
                "load": os.getloadavg()[0],
            }
        )
    window.canvas.viewport().removeEventFilter(painter)
    return rows


def print_rows(rows: list[dict]) -> None:
    """The table of measured phases."""
    print(
        f"{'points':>10} {'phase':<8} {'redraws/s':>9} {'snapshots/s':>11} {'EM it/s':>8}"
        f" {'stall ms':>8} {'heartbeat med/p99 ms':>20} {'snapshot ms med/max':>19}"
        f" {'paint ms med/max':>16} {'CPU % gui/em/raster/other':>25}"
        f" {'GUI CPU ms/redraw':>17} {'EM CPU ms/it':>12} {'load':>5}"
    )
    for r in rows:
        print(
            f"{r['points']:>10,} {r['phase']:<8} {r['redraws']:>9.1f} {r['snapshots']:>11.1f}"
            f" {r['iterations']:>8.1f} {r['stall']:>8.1f}"
            f" {'{:.1f} / {:.1f}'.format(*r['heartbeat']):>20}"
            f" {'{:.1f} / {:.1f}'.format(*r['frame_ms']):>19}"
            f" {'{:.1f} / {:.1f}'.format(*r['paint_ms']):>16}"
            f" {' / '.join(f'{v:.0f}' for v in r['cpu'].values()):>25}"
            f" {per_unit(r['cpu']['gui'], r['redraws']):>17}"
            f" {per_unit(r['cpu']['em'], r['iterations']):>12} {r['load']:>5.2f}"
        )


def per_unit(cpu_percent: float, per_second: float) -> str:
    """Milliseconds of CPU per unit of work ("-" when none was done)."""
    return f"{10 * cpu_percent / per_second:.1f}" if per_second > 0 else "-"


def bench_settings(n_components: int):
    """EM as the benchmark runs it: random points as the start, never converging."""
    from gmm_studio.core import FitSettings

    return FitSettings(
        n_components=n_components, init="random-points", tol=0.0, max_iter=100_000, seed=1
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--no-pan", action="store_true", help="skip the panning phase")
    args = parser.parse_args(argv)

    from event_loop import spin
    from machine import describe

    from gmm_studio.gui.document import Document

    for line in describe():
        print(line)
    timers = install_timers()
    phases = ("still",) if args.no_pan else ("still", "panning")
    rows = []
    for n in (int(v) for v in args.points.split(",")):
        points = make_points(n, args.components)
        settings = bench_settings(args.components)
        document = Document(points, ["x", "y"], name="bench.csv", settings=settings)
        window = ready_window(document)
        rows += measure(window, phases, args.seconds, timers)
        window.close()
        del window, document, points
        spin(100)
    print_rows(rows)
    print(
        "targets: 100,000 points >= 60 redraws/s, no stall over 20 ms; 1,000,000 points >= 30"
        " redraws/s, no stall over 35 ms, >= 15 snapshots/s; points drawn as a raster: "
        + ", ".join(f"{r['points']:,}: {r['raster']}" for r in rows if r["phase"] == "still")
    )
    print(
        f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
