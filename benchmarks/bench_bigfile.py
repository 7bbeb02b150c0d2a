"""``gmm-studio fit`` on large float64 ``.npy`` files: memory-mapped, time linear in N.

For each size the script writes an N×2 float64 file (8 overlapping Gaussians) in a temporary
folder, runs the command line's ``fit`` in a child process twice (1 and 1 + m EM iterations,
``--tol 0``, K=8, full covariances) and reports the time per iteration (the difference of the
two runs over the m extra iterations, so reading and initialising cancel out; m is chosen so
the extra iterations cover at least ``--rows`` rows, 4 at least, else the second or so that
starting takes would drown them at 1M rows), the child's peak resident memory and that as a
multiple of the file's size. The file is deleted afterwards.

Run from the repository root::

    python benchmarks/bench_bigfile.py [--sizes 1e6,1e7,1e8] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from gmm_studio.cli import main
t0 = time.perf_counter()
code = main(["fit", {path!r}, "-k", "8", "--max-iter", "{n_iter}", "--tol", "0", "--json"])
seconds = time.perf_counter() - t0
print("RESULT", code, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def write_file(path: pathlib.Path, n: int, seed: int = 0) -> None:
    """N rows from 8 overlapping 2-D Gaussians, written chunk by chunk (never all in memory)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-8, 8, size=(8, 2))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, 2))
    chunk = 1 << 22
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        labels = rng.integers(0, 8, b - a)
        out[a:b] = centres[labels] + rng.standard_normal((b - a, 2)) * 0.8
    out.flush()
    del out


def run_child(path: pathlib.Path, n_iter: int) -> tuple[float, int]:
    code = CHILD.format(root=str(ROOT), path=str(path), n_iter=n_iter)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the fit failed:\n{result.stderr[-2000:]}")
    _, exit_code, seconds, rss = lines[-1].split()
    if int(exit_code) != 0:
        raise SystemExit(f"gmm-studio fit exited with {exit_code}:\n{result.stderr[-2000:]}")
    return float(seconds), int(rss)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7,1e8")
    parser.add_argument(
        "--rows", type=float, default=2e8, help="rows the extra iterations cover at least"
    )
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args(argv)
    for line in describe():
        print(line)
    header = f"{'N':>13}{'file MB':>10}{'s/iteration':>13}{'ns/row/it':>11}{'peak RSS MB':>13}"
    header += f"{'RSS/file':>10}"
    print(header)
    print("-" * len(header))
    for n in (int(float(v)) for v in args.sizes.split(",")):
        path = pathlib.Path(args.dir) / f"gmm-studio-bench-{n}.npy"
        try:
            t0 = time.perf_counter()
            write_file(path, n)
            size = path.stat().st_size
            print(f"  (wrote {size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s)", flush=True)
            short, _ = run_child(path, 1)
            extra = max(4, int(-(-args.rows // n)))
            long, rss = run_child(path, 1 + extra)
            per_iteration = (long - short) / extra
            print(
                f"{n:>13,}{size / 1e6:>10.0f}{per_iteration:>13.3f}{per_iteration / n * 1e9:>11.1f}"
                f"{rss / 1e6:>13.0f}{rss / size:>10.2f}",
                flush=True,
            )
        finally:
            if path.exists():
                os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
