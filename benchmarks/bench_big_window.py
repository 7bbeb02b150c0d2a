"""The window on a large ``.npy`` file: opened memory-mapped, EM live, points from the raster.

Writes ``--points`` rows (default 10,000,000; 160 MB) of eight 2-D Gaussians to a ``.npy``
file (or uses ``--file``), opens it in the main window through File ▸ Open's own path
(``FileCommands.open_path``: a plain float64 ``.npy`` is memory-mapped, not read in), and
measures the window as ``bench_gui.py`` does, EM at full speed: redraws and snapshots drawn
per second, EM iterations per second, the longest GUI stall, CPU per thread. It prints the
process's memory (resident now and at its peak) after opening and after running, next to
the file's size.

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_big_window.py [--points 10000000]
        [--seconds 8] [--file big.npy] [--no-pan]
"""

from __future__ import annotations

import argparse
import mmap
import os
import pathlib
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402


def memory_mb() -> tuple[float, float]:
    """Resident memory of this process now and at its peak, in MB (Linux)."""
    values = {}
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def is_file_mapped(array: np.ndarray) -> bool:
    """True when ``array`` is (a view of) a memory-mapped file, not a copy in memory."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def write_points(path: pathlib.Path, n: int, k: int, chunk: int = 1_000_000) -> None:
    """``n`` rows of ``k`` overlapping Gaussians as a float64 ``.npy``, written in chunks."""
    rng = np.random.default_rng(0)
    centers = rng.uniform(-10, 10, size=(k, 2))
    scales = rng.uniform(0.8, 2.5, size=(k, 2))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, 2))
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        labels = rng.integers(0, k, size=m)
        out[start : start + m] = centers[labels] + rng.standard_normal((m, 2)) * scales[labels]
    out.flush()
    del out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--file", type=pathlib.Path, help="an existing (N, 2) float64 .npy")
    parser.add_argument("--no-pan", action="store_true", help="skip the panning phase")
    args = parser.parse_args(argv)

    from bench_gui import bench_settings, install_timers, measure, print_rows, wait_until_ready
    from event_loop import spin
    from machine import describe

    from gmm_studio.gui.app import create_main_window
    from gmm_studio.gui.control_panel import SPEED_MAX
    from gmm_studio.gui.document import Document

    for line in describe():
        print(line)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            path = pathlib.Path(tmp) / "big.npy"
            write_points(path, args.points, args.components)
        print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB")
        timers = install_timers()
        base = memory_mb()[0]
        window = create_main_window(Document(settings=bench_settings(args.components)))
        window.resize(1360, 900)
        window.show()
        window.panel.set_speed_position(SPEED_MAX)
        spin(200)
        if not window.file_menu.commands.open_path(path):
            print("the window did not open the file", file=sys.stderr)
            return 1
        if window.document.settings != bench_settings(args.components):
            window.document.set_settings(bench_settings(args.components))
        wait_until_ready(window)
        opened = memory_mb()
        mapped = is_file_mapped(window.document.points)
        phases = ("still",) if args.no_pan else ("still", "panning")
        rows = measure(window, phases, args.seconds, timers)
        ran = memory_mb()
        print_rows(rows)
        print(
            f"points drawn as a raster: {window.canvas.points.uses_raster}; "
            f"the document's points are the memory-mapped file: {mapped}"
        )
        print(
            f"memory (MB): before opening {base:.0f}; after opening {opened[0]:.0f} resident"
            f" (peak {opened[1]:.0f}); after running {ran[0]:.0f} resident (peak {ran[1]:.0f})"
        )
        window.close()
        spin(100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
