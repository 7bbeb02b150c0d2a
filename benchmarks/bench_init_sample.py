"""Does initialising on a seeded sample of rows cost fit quality? A data set where it could.

GMM Studio's initialisers look at a seeded uniform sample of at most ``INIT_SAMPLE_ROWS`` rows
(the same rows in memory and on a Dask cluster). The risk is a small, far-away component: the
sample holds only a few of its points, so k-means++ may never seed a centre there. This script
fits N rows whose rarest component holds 0.05 % of them, from starts drawn on all rows and on
a sample of ``--sample`` rows, for several seeds, and prints the final mean log-likelihood of
each and whether the rare component was found (a fitted mean within one unit of it).

Run from the repository root::

    python benchmarks/bench_init_sample.py [--n 1000000] [--sample 100000] [--seeds 6]
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe  # noqa: E402

from gmm_studio.core import fit, initialization  # noqa: E402

RARE = np.array([30.0, 30.0])


def make_data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    share = np.array([0.4, 0.3, 0.2, 0.0995, 0.0005])
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0], RARE])
    labels = rng.choice(len(share), size=n, p=share)
    return centres[labels] + rng.standard_normal((n, 2)) * np.where(labels == 4, 0.3, 1.0)[:, None]


def run(X, seed, sample_rows):
    saved = initialization.INIT_SAMPLE_ROWS
    initialization.INIT_SAMPLE_ROWS = sample_rows
    try:
        t = time.perf_counter()
        result = fit(X, 5, init="kmeans++", seed=seed, tol=1e-6, max_iter=300)
        elapsed = time.perf_counter() - t
    finally:
        initialization.INIT_SAMPLE_ROWS = saved
    found = bool(np.min(np.linalg.norm(result.means - RARE, axis=1)) < 1.0)
    return result.mean_log_likelihood, found, result.n_iter, elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000, help="rows in the sample")
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args(argv)
    for line in describe():
        print(line)
    X = make_data(args.n)
    sample = args.sample
    print(f"N={args.n:,}, K=5, rarest component 0.05 % of the rows; starts from k-means++")
    header = f"{'seed':>4}  {'all rows: mean LL, rare found':>31}  {'sample of ' + format(sample, ',') + ': mean LL, rare found':>40}"
    print(header)
    print("-" * len(header))
    rows = []
    for seed in range(args.seeds):
        full = run(X, seed, args.n + 1)
        sampled = run(X, seed, sample)
        rows.append((full, sampled))
        print(
            f"{seed:>4}  {full[0]:>22.6f} {full[1]!s:>8}  {sampled[0]:>31.6f} {sampled[1]!s:>8}",
            flush=True,
        )
    full_found = sum(r[0][1] for r in rows)
    sample_found = sum(r[1][1] for r in rows)
    print(
        f"rare component found: all rows {full_found}/{args.seeds}, sample {sample_found}/"
        f"{args.seeds}; mean LL averaged: all rows {np.mean([r[0][0] for r in rows]):.6f}, "
        f"sample {np.mean([r[1][0] for r in rows]):.6f}"
    )
    print(
        f"initialisation + EM seconds averaged: all rows {np.mean([r[0][3] for r in rows]):.2f}, "
        f"sample {np.mean([r[1][3] for r in rows]):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
