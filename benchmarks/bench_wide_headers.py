"""Wide and strange headers: GMM Studio's reader against pandas.read_csv on the same files.

Run from the project root::

    python benchmarks/bench_wide_headers.py [--columns 40000] [--header-only 50000]

Times, best of ``--repeat`` interleaved runs each: a CSV of ``--columns`` columns that all have
the same name (three rows), a header-only file of ``--header-only`` columns (which GMM
Studio refuses: "has a header row but no data rows"), and a 10 MB column name. Prints the
times and the ratio GMM Studio / pandas (below 1: GMM Studio is faster), and the machine.
A header-only file of a million columns is timed for GMM Studio alone: pandas' time grows
faster than linearly with the columns (1.3 s for 10,000, 8.9 s for 50,000 here).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gmm_studio.io import DataFileError, inspect_table


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    simd = np._core._multiarray_umath.__cpu_baseline__ + [
        f for f, on in np._core._multiarray_umath.__cpu_features__.items() if on
    ]
    best = next((f for f in ("AVX512_SKX", "AVX512F", "AVX2", "SSE42") if f in simd), "?")
    return f"{cpu}, {os.cpu_count()} cores, numpy {np.__version__} (best SIMD: {best})"


def best_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def ours(path: Path) -> None:
    try:
        inspect_table(path)
    except DataFileError:
        pass  # refusing is the answer for a header-only file


def theirs(path: Path) -> None:
    import pandas as pd

    pd.read_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=40_000)
    parser.add_argument("--header-only", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    folder = Path(tempfile.mkdtemp())
    wide = folder / "wide.csv"
    wide.write_text(
        ",".join(["v"] * args.columns) + "\n" + "\n".join([",".join(["1"] * args.columns)] * 3)
    )
    header = folder / "header.csv"
    header.write_text(",".join(f"c{i}" for i in range(args.header_only)) + "\n")
    long_name = folder / "long.csv"
    long_name.write_text("n" * 10_000_000 + ",y\n1,2\n3,4\n")
    cases = {
        f"{args.columns:,} columns of one name": wide,
        f"header only, {args.header_only:,} columns": header,
        "a 10 MB column name": long_name,
    }
    print(f"{'file':<34} {'GMM Studio':>11} {'pandas':>9} {'ratio':>7}")
    for label, path in cases.items():
        t_ours = t_theirs = float("inf")
        for _ in range(args.repeat):  # interleaved: the machine is shared
            t_ours = min(t_ours, best_time(lambda p=path: ours(p), 1))
            try:
                t_theirs = min(t_theirs, best_time(lambda p=path: theirs(p), 1))
            except Exception as error:  # pandas' own limits
                t_theirs = float("nan")
                print(f"  pandas: {type(error).__name__}: {str(error)[:60]}")
        print(f"{label:<34} {t_ours:>10.3f}s {t_theirs:>8.3f}s {t_ours / t_theirs:>7.2f}")
    million = folder / "million.csv"
    million.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n")
    t_ours = min(best_time(lambda: ours(million), 1) for _ in range(args.repeat))
    print(f"{'header only, 1,000,000 columns':<34} {t_ours:>10.3f}s {'(not run)':>9}")


if __name__ == "__main__":
    main()
