"""EM iterations of GMM Studio side by side with scikit-learn's GaussianMixture.

Both engines start from the same parameters and run the same number of iterations with
``tol=0`` in one process; the table prints milliseconds per iteration, the ratio
(scikit-learn time / GMM Studio time) and the largest relative difference of the results.
Before each timed run the process waits until BLAS threads left spinning by the other
engine's run are idle (``benchmarks.machine.settle``), so neither engine pays for the other.
A second part measures the peak extra memory of one fit of each engine at N=1,000,000, K=8,
D=2 (tracemalloc).

Run from the repository root::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_em.py

and, to emulate a CPU without AVX-512 (numpy 2.4's names for its AVX-512 code paths)::

    NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Haswell \
        python benchmarks/bench_em.py

The CPU, numpy's SIMD extensions (found / not found) and the BLAS kernel are printed first.

``--quick`` runs smaller sizes (a smoke test of the script), ``--engine reference`` times the
straightforward reference EM pass instead of the fast one (the "before" figures).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
import tracemalloc
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe, settle  # noqa: E402
from gmm_studio.core import fit, generate_mixture_data, initialize  # noqa: E402
from gmm_studio.core.blockwise import thread_count  # noqa: E402
from gmm_studio.core.em import em_pass  # noqa: E402
from gmm_studio.core.reference import reference_em_pass  # noqa: E402

# (label, N, K, D, covariance_type, iterations)
CASES = [
    ("N=1,000 K=3 D=2 full", 1_000, 3, 2, "full", 20),
    ("N=100,000 K=5 D=2 full", 100_000, 5, 2, "full", 10),
    ("N=1,000,000 K=8 D=2 full", 1_000_000, 8, 2, "full", 5),
    ("N=200,000 K=5 D=10 full", 200_000, 5, 10, "full", 5),
    ("N=1,000,000 K=8 D=2 tied", 1_000_000, 8, 2, "tied", 5),
    ("N=1,000,000 K=8 D=2 diag", 1_000_000, 8, 2, "diag", 5),
    ("N=1,000,000 K=8 D=2 spherical", 1_000_000, 8, 2, "spherical", 5),
]
QUICK_CASES = [
    ("N=1,000 K=3 D=2 full", 1_000, 3, 2, "full", 5),
    ("N=20,000 K=5 D=2 full", 20_000, 5, 2, "full", 3),
    ("N=5,000 K=4 D=10 full", 5_000, 4, 10, "full", 3),
    ("N=20,000 K=8 D=2 diag", 20_000, 8, 2, "diag", 3),
]

RTOL = 1e-6


def make_data(n, k, d, seed=0):
    """A mixture of ``k`` overlapping, anisotropic Gaussians in ``d`` dimensions."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-8, 8, size=(k, d))
    covariances = []
    for _ in range(k):
        a = rng.normal(size=(d, d))
        covariances.append(a @ a.T / d + 0.2 * np.eye(d))
    weights = rng.uniform(0.5, 1.5, size=k)
    X, _ = generate_mixture_data(n, weights / weights.sum(), means, covariances, seed=rng)
    return X


#: The pass each engine name runs, handed to ``fit``.
ENGINES = {"fast": em_pass, "reference": reference_em_pass}
_engine = em_pass


def use_engine(name):
    """Run our fits with the fast pass (default) or with the reference pass."""
    global _engine
    _engine = ENGINES[name]


def run_ours(X, start, n_iter):
    return fit(
        X,
        start.n_components,
        covariance_type=start.covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        covariances_init=start.covariances,
        tol=0.0,
        max_iter=n_iter,
        em_pass=_engine,
    )


def _given_start_mixture():
    """scikit-learn's GaussianMixture starting exactly at the given parameters.

    With ``weights_init``, ``means_init`` and ``precisions_init`` all given, scikit-learn
    still runs k-means (its ``init_params``) and estimates a mixture from its labels before
    putting the given parameters in their place; that work is not EM's, so it is left out:
    both engines then do the same work, ``n_iter`` E- and M-steps from the same start and a
    final E-step.
    """
    from sklearn.mixture import GaussianMixture

    class GivenStartMixture(GaussianMixture):
        def _initialize_parameters(self, X, random_state, xp=None):
            self._initialize(X, None)

    return GivenStartMixture


def run_sklearn(X, start, n_iter):
    from sklearn.exceptions import ConvergenceWarning

    gm = _given_start_mixture()(
        n_components=start.n_components,
        covariance_type=start.covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=start.precisions(),
        tol=0.0,
        max_iter=n_iter,
        reg_covar=1e-6,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return gm


def relative_difference(ours, theirs, X):
    """Largest relative difference between the two fits' parameters and log-likelihoods."""
    worst = 0.0
    scale_x = float(np.max(np.abs(X)))
    for a, b, floor in [
        (ours.weights, theirs.weights_, 1e-12),
        (ours.means, theirs.means_, 1e-9 * scale_x),
        (ours.covariances, theirs.covariances_, 1e-12 * scale_x**2),
    ]:
        worst = max(worst, float(np.max(np.abs(a - b) / (np.abs(b) + floor))))
    theirs_ll = theirs.score(X) * len(X)
    worst = max(worst, abs(ours.log_likelihood - theirs_ll) / abs(theirs_ll))
    return worst


def time_case(n, k, d, covariance_type, n_iter, repeats):
    X = make_data(n, k, d)
    start = initialize(X, k, covariance_type=covariance_type, init="kmeans++", seed=1)
    run_ours(X, start, 1)  # warm up both (first calls pay for imports and page faults)
    run_sklearn(X, start, 1)
    ours_best = theirs_best = float("inf")
    for _ in range(repeats):  # interleaved, best of each: the machine is shared
        settle()
        t0 = time.perf_counter()
        ours = run_ours(X, start, n_iter)
        ours_best = min(ours_best, time.perf_counter() - t0)
        settle()
        t0 = time.perf_counter()
        theirs = run_sklearn(X, start, n_iter)
        theirs_best = min(theirs_best, time.perf_counter() - t0)
    assert ours.n_iter == theirs.n_iter_ == n_iter
    return (
        ours_best / n_iter * 1e3,
        theirs_best / n_iter * 1e3,
        relative_difference(ours, theirs, X),
    )


def peak_memory(X, start, n_iter):
    """Peak extra memory (bytes) of one fit of each engine, traced the same way for both.

    tracemalloc sees every array numpy allocates (numpy reports its buffers to it) in every
    thread; the data array exists before tracing starts and is not counted.
    """
    peaks = {}
    for which, run in (("ours", run_ours), ("sklearn", run_sklearn)):
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        run(X, start, n_iter)
        peaks[which] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return peaks


def thread_scaling(n, k, d, repeats=5):
    """Best-of-``repeats`` time of one pass with 1 thread and with every core, interleaved."""
    from gmm_studio.core import blockwise

    X = make_data(n, k, d)
    start = initialize(X[:20_000], k, covariance_type="full", init="kmeans++", seed=1)
    data = blockwise.BlockData(X)
    kernel = blockwise.kernel_for(start, data)
    cores, before = blockwise.thread_count(), blockwise.thread_count()
    best = {1: float("inf"), cores: float("inf")}
    try:
        for _ in range(repeats):
            for threads in best:
                blockwise.set_thread_count(threads)
                t0 = time.perf_counter()
                blockwise.gather(data, kernel)
                best[threads] = min(best[threads], time.perf_counter() - t0)
    finally:
        blockwise.set_thread_count(before)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--engine", choices=("fast", "reference"), default="fast")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", help="run only cases whose label contains this text")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--threads", action="store_true", help="also time one pass on 1 thread and on all cores"
    )
    args = parser.parse_args(argv)

    use_engine(args.engine)
    for line in describe():
        print(line)
    print(f"engine: GMM Studio {args.engine} pass, {thread_count()} thread(s)")
    header = f"{'case':<32}{'sklearn ms/it':>14}{'ours ms/it':>12}{'ratio':>8}  agreement"
    print(header)
    print("-" * len(header))
    cases = QUICK_CASES if args.quick else CASES
    for label, n, k, d, covariance_type, n_iter in cases:
        if args.only and args.only not in label:
            continue
        ours, theirs, diff = time_case(n, k, d, covariance_type, n_iter, args.repeats)
        load = os.getloadavg()[0]
        verdict = "ok" if diff <= RTOL else "DIFFERS"
        print(
            f"{label:<32}{theirs:>14.1f}{ours:>12.1f}{theirs / ours:>8.1f}  "
            f"{verdict} (max rel diff {diff:.1e}; load {load:.1f})",
            flush=True,
        )

    if args.threads:
        n, k, d = (20_000, 8, 2) if args.quick else (1_000_000, 8, 2)
        best = thread_scaling(n, k, d)
        one, many = best[1], best[max(best)]
        print()
        print(
            f"one E+M pass, N={n:,} K={k} D={d} full: 1 thread {one * 1e3:.1f} ms, "
            f"{max(best)} threads {many * 1e3:.1f} ms ({one / many:.2f}x)"
        )

    if not args.no_memory:
        n, k, d, n_iter = (20_000, 8, 2, 2) if args.quick else (1_000_000, 8, 2, 3)
        X = make_data(n, k, d)
        start = initialize(X, k, covariance_type="full", init="kmeans++", seed=1)
        mem = peak_memory(X, start, n_iter)
        print()
        print(
            f"peak extra memory, N={n:,} K={k} D={d} full, {n_iter} iterations "
            "(tracemalloc, the same for both engines; numpy reports its array buffers to "
            "tracemalloc, the data array itself is not counted):"
        )
        print(f"  scikit-learn {mem['sklearn'] / 2**20:8.1f} MiB")
        print(
            f"  GMM Studio   {mem['ours'] / 2**20:8.1f} MiB   "
            f"({mem['ours'] / mem['sklearn']:.2f} of scikit-learn's)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
