"""GMM Studio against scikit-learn over a grid of shapes: N 10³..10⁶, K 1..64, D 1..500.

Each grid point runs both engines from the same start (random data rows as means, the data
covariance) for the same number of iterations with ``tol=0``, interleaved in one process,
best of ``--repeats``, each run started once the other engine's BLAS threads are idle
(``benchmarks.machine.settle``): both do the same work, ``n_iter`` E- and M-steps and a final
E-step (scikit-learn's own k-means start is left out, see ``benchmarks/bench_em.py``). Each line
prints scikit-learn's time over GMM Studio's (above 1: GMM Studio is faster), the
formulation GMM Studio chose, the relative difference of the two log-likelihoods, and the
peak extra memory of one fit of each engine (tracemalloc for both, in the same process; the
data array is not counted) with GMM Studio's as a fraction of scikit-learn's, and the floor:
two sets of the mixture's parameters (weights, means, covariances), which any EM engine
holds at once (it keeps the current parameters until the next ones are built), as a
fraction of scikit-learn's peak. A note marks points where a component of scikit-learn's
holds at most one row's weight (emptied, its weight near 1e-16, or shrunk onto one row):
GMM Studio re-seeds a component that empties at the worst-explained row, so the
log-likelihoods may differ there by design. The worst ratio and the
largest memory fraction, and where, close the table.

The default grid is sparse (its corners and edges, 88 points, several minutes on 2 cores);
``--full`` runs every combination whose data fit in memory, ``--points`` a few chosen ones.

Run from the repository root::

    python benchmarks/bench_grid.py [--full | --points 1000,16,500;1000,2,100]
        [--types full,diag] [--no-memory]
"""

from __future__ import annotations

import argparse
import itertools
import os
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_em import peak_memory, run_ours, run_sklearn  # noqa: E402
from benchmarks.machine import describe, settle  # noqa: E402
from gmm_studio.core import COVARIANCE_TYPES, initialize  # noqa: E402
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


def time_point(X, start, n_iter, repeats):
    """Best seconds per iteration of each engine, interleaved; and their agreement.

    At least ``repeats`` runs each, more for quick points (up to about 0.3 s of runs each):
    a best of two is at the mercy of one scheduling hiccup on a shared machine when a fit
    takes a millisecond.
    """
    run_ours(X, start, 1)  # warm up both (first calls pay for imports and page faults)
    run_sklearn(X, start, 1)
    best = {"ours": float("inf"), "sklearn": float("inf")}
    spent = 0.0
    done = 0
    while done < repeats or (spent < 0.6 and done < 50):
        for which, run in (("ours", run_ours), ("sklearn", run_sklearn)):
            settle()
            t0 = time.perf_counter()
            result = run(X, start, n_iter)
            seconds = time.perf_counter() - t0
            spent += seconds
            best[which] = min(best[which], seconds)
            if which == "ours":
                ours = result
            else:
                theirs = result
        done += 1
    assert ours.n_iter == theirs.n_iter_ == n_iter
    theirs_ll = theirs.score(X) * len(X)
    agreement = abs(ours.log_likelihood - theirs_ll) / abs(theirs_ll)
    emptied = bool(np.min(theirs.weights_) * len(X) < 1.5)  # at most one row's weight
    return best["ours"] / n_iter, best["sklearn"] / n_iter, agreement, emptied


def floor_bytes(n_components, n_features, covariance_type):
    """Bytes of two sets of the mixture's parameters (the current and the next)."""
    k, d = n_components, n_features
    covariance = {"full": k * d * d, "tied": d * d, "diag": k * d, "spherical": k}
    return 2 * 8 * (k + k * d + covariance[covariance_type])


def grid(full: bool, types, points=None):
    """(N, K, D, covariance_type) to run: ``points``, or the full or the sparse grid."""
    if points is None:
        every = itertools.product(FULL_N, FULL_K, FULL_D)
        points = [p for p in every if p[0] * p[2] <= MAX_VALUES] if full else SPARSE
    return [(n, k, d, t) for (n, k, d) in points for t in types if k <= n]


def _where(point):
    n, k, d, covariance_type = point
    return f"N={n:,} K={k} D={d} {covariance_type}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="every combination, not the sparse grid"
    )
    parser.add_argument("--no-memory", action="store_true", help="time only")
    parser.add_argument("--types", default=",".join(COVARIANCE_TYPES))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--points", help="only these N,K,D points (N,K,D;N,K,D;...)")
    args = parser.parse_args(argv)
    points = None
    if args.points:
        points = [tuple(int(v) for v in p.split(",")) for p in args.points.split(";")]

    for line in describe():
        print(line)
    print(f"engine: GMM Studio, {thread_count()} thread(s)")
    header = f"{'N':>9} {'K':>3} {'D':>4} {'type':<10}{'form':<9}{'sklearn ms/it':>14}"
    header += f"{'ours ms/it':>12}{'ratio':>8}{'ll rel diff':>12}"
    if not args.no_memory:
        header += f"{'sklearn MiB':>13}{'ours MiB':>10}{'ours/sklearn':>14}{'floor':>7}"
    print(header)
    print("-" * len(header))
    worst = (float("inf"), None)
    worst_memory = (0.0, None)
    for point in grid(args.full, args.types.split(","), points):
        n, k, d, covariance_type = point
        X = make_data(n, k, d)
        start = start_for(X, k, covariance_type)
        n_iter = iterations_for(n, k, d)
        ours, theirs, agreement, emptied = time_point(X, start, n_iter, args.repeats)
        ratio = theirs / ours
        line = f"{n:>9,} {k:>3} {d:>4} {covariance_type:<10}{choose_form(k, d, covariance_type):<9}"
        line += f"{theirs * 1e3:>14.1f}{ours * 1e3:>12.1f}{ratio:>8.2f}{agreement:>12.1e}"
        worst = min(worst, (ratio, point))
        if not args.no_memory:
            mem = peak_memory(X, start, min(n_iter, 2))
            fraction = mem["ours"] / max(mem["sklearn"], 1)
            line += f"{mem['sklearn'] / 2**20:>13.2f}{mem['ours'] / 2**20:>10.2f}{fraction:>14.3f}"
            line += f"{floor_bytes(k, d, covariance_type) / max(mem['sklearn'], 1):>7.3f}"
            worst_memory = max(worst_memory, (fraction, point))
        if emptied:
            line += "  scikit-learn: a component on one row or none"
        print(line, flush=True)
    print()
    print(
        f"worst ratio (scikit-learn time / GMM Studio time): {worst[0]:.2f} at {_where(worst[1])}"
    )
    if not args.no_memory:
        print(
            f"largest memory fraction (GMM Studio / scikit-learn): {worst_memory[0]:.3f} at "
            f"{_where(worst_memory[1])}"
        )
    print(f"load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
