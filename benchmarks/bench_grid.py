"""GMM Studio against scikit-learn over a grid of shapes: N 10³..10⁶, K 1..64, D 1..500.

Each grid point runs both engines from the same start (random data rows as means, the data
covariance) for the same number of iterations with ``tol=0``, interleaved in one process,
best of ``--repeats``; it prints scikit-learn's time over GMM Studio's (above 1: GMM Studio
is faster), the formulation GMM Studio chose, and finally the worst ratio of the grid.

The default grid is sparse (its corners and edges, about 70 points, a few minutes); ``--full``
runs every combination whose data fit in memory. ``--memory`` also measures, in one child
process per engine and point, the peak extra memory of the fit (tracemalloc; the data array
not counted) and prints GMM Studio's as a fraction of scikit-learn's.

Run from the repository root::

    python benchmarks/bench_grid.py [--full] [--memory] [--types full,diag]
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from gmm_studio.core import COVARIANCE_TYPES, fit, initialize  # noqa: E402
from gmm_studio.core.blockwise import choose_form, thread_count  # noqa: E402

FULL_N = (1_000, 10_000, 100_000, 1_000_000)
FULL_K = (1, 4, 16, 64)
FULL_D = (1, 2, 5, 10, 30, 100, 500)
#: Largest data array the grid makes (N·D numbers), to stay in this machine's memory.
MAX_VALUES = 50_000_000

# (N, K, D): the corners and edges of the grid; every point runs for every covariance type.
SPARSE = [
    (1_000, 1, 1), (1_000, 64, 1), (1_000, 3, 2), (1_000, 64, 2), (1_000, 8, 10),
    (1_000, 2, 100), (1_000, 16, 100), (1_000, 2, 500), (1_000, 16, 500),
    (10_000, 8, 30), (50_000, 4, 64), (10_000, 64, 5),
    (100_000, 1, 1), (100_000, 5, 2), (100_000, 64, 2), (100_000, 16, 10), (20_000, 4, 100),
    (1_000_000, 1, 1), (1_000_000, 8, 1), (1_000_000, 8, 2), (1_000_000, 64, 2),
    (1_000_000, 16, 5),
]  # fmt: skip


def make_data(n, k, d, seed=0):
    """``k`` Gaussian clusters with random centres and anisotropic spreads (cheap at any D)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-8, 8, size=(k, d))
    scales = rng.uniform(0.3, 1.5, size=(k, d))
    labels = rng.integers(0, k, n)
    X = rng.standard_normal((n, d))
    X *= scales[labels]
    X += centres[labels]
    return X


def iterations_for(n, k, d):
    work = n * k * d * max(d, 4)
    return 1 if work > 2e10 else 2 if work > 1e9 else 3


def start_for(X, k, covariance_type):
    return initialize(X, k, covariance_type=covariance_type, init="random-points", seed=1)


def run_ours(X, start, n_iter):
    return fit(
        X, start.n_components, covariance_type=start.covariance_type,
        weights_init=start.weights, means_init=start.means,
        covariances_init=start.covariances, tol=0.0, max_iter=n_iter,
    )  # fmt: skip


def run_sklearn(X, start, n_iter):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(
        n_components=start.n_components, covariance_type=start.covariance_type,
        weights_init=start.weights, means_init=start.means,
        precisions_init=start.precisions(), tol=0.0, max_iter=n_iter, reg_covar=1e-6,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return gm


def time_point(n, k, d, covariance_type, repeats):
    X = make_data(n, k, d)
    start = start_for(X, k, covariance_type)
    n_iter = iterations_for(n, k, d)
    ours_best = theirs_best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours = run_ours(X, start, n_iter)
        ours_best = min(ours_best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs = run_sklearn(X, start, n_iter)
        theirs_best = min(theirs_best, time.perf_counter() - t0)
    theirs_ll = theirs.score(X) * n
    agreement = abs(ours.log_likelihood - theirs_ll) / abs(theirs_ll)
    return ours_best / n_iter, theirs_best / n_iter, agreement


def memory_child(which, n, k, d, covariance_type):
    X = make_data(n, k, d)
    start = start_for(X, k, covariance_type)
    n_iter = min(2, iterations_for(n, k, d))
    import sklearn.mixture  # noqa: F401  (imported before tracing starts)

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    (run_ours if which == "ours" else run_sklearn)(X, start, n_iter)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(json.dumps({"peak": peak}))


def measure_memory(n, k, d, covariance_type):
    out = {}
    for which in ("ours", "sklearn"):
        args = [sys.executable, __file__, "--memory-child", which]
        args += ["--point", f"{n},{k},{d},{covariance_type}"]
        result = subprocess.run(args, capture_output=True, text=True, check=True)
        out[which] = json.loads(result.stdout.strip().splitlines()[-1])["peak"]
    return out


def grid(full: bool, types):
    if full:
        points = [p for p in itertools.product(FULL_N, FULL_K, FULL_D) if p[0] * p[2] <= MAX_VALUES]
    else:
        points = SPARSE
    return [(n, k, d, t) for (n, k, d) in points for t in types if k <= n]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="every combination, not the sparse grid"
    )
    parser.add_argument("--memory", action="store_true", help="also measure peak extra memory")
    parser.add_argument("--types", default=",".join(COVARIANCE_TYPES))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--memory-child", choices=("ours", "sklearn"), help=argparse.SUPPRESS)
    parser.add_argument("--point", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        n, k, d, covariance_type = args.point.split(",")
        memory_child(args.memory_child, int(n), int(k), int(d), covariance_type)
        return 0

    for line in describe():
        print(line)
    print(f"engine: GMM Studio, {thread_count()} thread(s)")
    header = f"{'N':>9} {'K':>3} {'D':>4} {'type':<10}{'form':<9}{'sklearn ms/it':>14}"
    header += f"{'ours ms/it':>12}{'ratio':>8}{'ll rel diff':>12}"
    if args.memory:
        header += f"{'memory ours/sklearn':>21}"
    print(header)
    print("-" * len(header))
    worst = (float("inf"), None)
    worst_memory = (0.0, None)
    for n, k, d, covariance_type in grid(args.full, args.types.split(",")):
        ours, theirs, agreement = time_point(n, k, d, covariance_type, args.repeats)
        ratio = theirs / ours
        line = f"{n:>9,} {k:>3} {d:>4} {covariance_type:<10}{choose_form(k, d, covariance_type):<9}"
        line += f"{theirs * 1e3:>14.1f}{ours * 1e3:>12.1f}{ratio:>8.2f}{agreement:>12.1e}"
        if ratio < worst[0]:
            worst = (ratio, (n, k, d, covariance_type))
        if args.memory:
            mem = measure_memory(n, k, d, covariance_type)
            fraction = mem["ours"] / max(mem["sklearn"], 1)
            line += f"{fraction:>14.3f} ({mem['ours'] / 2**20:.1f} MiB)"
            if fraction > worst_memory[0]:
                worst_memory = (fraction, (n, k, d, covariance_type))
        print(line, flush=True)
    print()
    print(f"worst ratio (scikit-learn time / GMM Studio time): {worst[0]:.2f} at {worst[1]}")
    if args.memory:
        print(f"largest memory fraction (ours / scikit-learn): {worst_memory[0]:.3f} at "
              f"{worst_memory[1]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
