"""The model-selection grid of GMM Studio side by side with scikit-learn's GaussianMixture.

The grid is K 1-9 × the four covariance types × n_init starts on N points (default 100,000,
D=2, ``tol=1e-3`` as scikit-learn's default). scikit-learn fits every start of every cell
from GMM Studio's own starting parameters for the very number of iterations GMM Studio ran
(``tol=0``, ``max_iter`` = GMM Studio's ``n_iter``), so both engines do the same work and every
start's final log-likelihood must agree to 1e-6 relative. GMM Studio's time includes drawing
its starts; scikit-learn gets them for free. Both run in this one process, interleaved.

``--backends`` also times the same grid on one worker thread and on worker processes
(a forkserver pool running the same per-task code), the measurement behind the engine's use
of threads.

Run from the repository root::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_select.py

``--quick`` runs a small grid (a smoke test of the script).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_em import make_data  # noqa: E402

from benchmarks.machine import describe  # noqa: E402
from gmm_studio.core import initialize  # noqa: E402
from gmm_studio.core.restarts import PreparedData, start_seeds  # noqa: E402
from gmm_studio.core.selection import (  # noqa: E402
    GridSettings,
    _Worker,
    default_workers,
    select_model,
)

RTOL = 1e-6


def sklearn_grid(X, settings, selection):
    """scikit-learn from every start of every cell, for GMM Studio's number of iterations.

    Returns the seconds taken (starts given, not timed) and the largest relative difference of
    the final log-likelihoods.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    seeds = start_seeds(settings.seed, settings.n_init)
    jobs = []
    for cell in selection.cells:
        for seed, outcome in zip(seeds, cell.starts, strict=True):
            start = initialize(
                X, cell.n_components, covariance_type=cell.covariance_type, init=settings.init,
                reg_covar=settings.reg_covar, seed=seed,
            )  # fmt: skip
            jobs.append((start, outcome))
    worst = 0.0
    elapsed = 0.0
    for start, outcome in jobs:
        gm = GaussianMixture(
            n_components=start.n_components, covariance_type=start.covariance_type,
            weights_init=start.weights, means_init=start.means,
            precisions_init=start.precisions(), tol=0.0, max_iter=outcome.result.n_iter,
            reg_covar=settings.reg_covar,
        )  # fmt: skip
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(X)
        elapsed += time.perf_counter() - began
        theirs = gm.score(X) * len(X)
        worst = max(worst, abs(outcome.log_likelihood - theirs) / abs(theirs))
    return elapsed, worst


_worker = None


def _process_start(X, settings):
    global _worker
    _worker = _Worker(PreparedData(X), settings, None)


def _process_task(k, i, seed):
    return [o.log_likelihood for o in _worker.run(k, i, seed)]


def process_grid(X, settings, workers):
    """The same tasks as the engine's threads, on a forkserver process pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    seeds = start_seeds(settings.seed, settings.n_init)
    tasks = [(k, i) for k in settings.n_components for i in range(settings.n_init)]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["gmm_studio.core.selection"])
    began = time.perf_counter()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_process_start, initargs=(X, settings)
    ) as pool:
        futures = [pool.submit(_process_task, k, i, seeds[i]) for k, i in tasks]
        results = [f.result() for f in futures]
    elapsed = time.perf_counter() - began
    return elapsed, {task: lls for task, lls in zip(tasks, results, strict=True)}


def timed_select(X, settings, workers=None):
    """(wall seconds, CPU seconds of the whole process, the Selection) of one grid."""
    began, cpu = time.perf_counter(), time.process_time()
    selection = select_model(X, settings, workers=workers)
    return time.perf_counter() - began, time.process_time() - cpu, selection


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small grid, for a smoke test")
    parser.add_argument("-n", type=int, default=100_000, help="points (default 100,000)")
    parser.add_argument("--n-init", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="GMM Studio runs (best kept)")
    parser.add_argument("--backends", action="store_true", help="also time 1 thread, processes")
    args = parser.parse_args(argv)

    n, ks, n_init = (args.n, tuple(range(1, 10)), args.n_init)
    if args.quick:
        n, ks, n_init = 5_000, (1, 2, 3), 2
    X = make_data(n, 5, 2, seed=0)
    settings = GridSettings(n_components=ks, n_init=n_init, tol=1e-3, seed=0)

    for line in describe():
        print(line)
    print(
        f"grid: N={n:,} D=2, K {ks[0]}-{ks[-1]} × {len(settings.covariance_types)} covariance "
        f"types × n_init={n_init} = {len(settings.cells()) * n_init} fits, tol={settings.tol}"
    )

    times, cpus = [], []
    seconds, cpu, selection = timed_select(X, settings)
    times.append(seconds)
    cpus.append(cpu)
    passes = sum(o.result.n_iter + 1 for c in selection.cells for o in c.starts if o.result)
    print(f"GMM Studio (threads): {seconds:.2f} s wall, {cpu:.2f} s CPU ({passes} EM passes; "
          f"load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    theirs, worst = sklearn_grid(X, settings, selection)
    print(f"scikit-learn, same starts and iterations: {theirs:.2f} s", flush=True)
    for _ in range(args.repeats - 1):
        seconds, cpu, again = timed_select(X, settings)
        assert [c.log_likelihood for c in again.cells] == [
            c.log_likelihood for c in selection.cells
        ]
        times.append(seconds)
        cpus.append(cpu)
        print(f"GMM Studio (threads): {seconds:.2f} s wall, {cpu:.2f} s CPU (load "
              f"{os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    ours = min(times)
    verdict = "ok" if worst <= RTOL else "DIFFERS"
    best = selection.best("bic")
    print()
    print(f"GMM Studio best of {len(times)}: {ours:.2f} s   scikit-learn: {theirs:.2f} s   "
          f"ratio {theirs / ours:.1f}   (load {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"GMM Studio CPU time: {min(cpus):.2f}-{max(cpus):.2f} s for the whole grid; on "
          f"{default_workers()} idle cores at best {min(cpus) / default_workers():.2f} s")  # fmt: skip
    print(f"agreement: {verdict} (largest relative difference of a start's log-likelihood "
          f"{worst:.1e}); BIC chooses K={best.n_components} {best.covariance_type}")  # fmt: skip

    if args.backends:
        print()
        one, _, _ = timed_select(X, settings, workers=1)
        procs, lls = process_grid(X, settings, 2)
        two, _, _ = timed_select(X, settings, workers=2)
        same = all(
            lls[(c.n_components, i)][settings.covariance_types.index(c.covariance_type)]
            == o.log_likelihood
            for c in selection.cells
            for i, o in enumerate(c.starts)
        )
        print(f"1 thread {one:.2f} s   2 threads {two:.2f} s   2 processes {procs:.2f} s "
              f"(same results: {same}; load {os.getloadavg()[0]:.1f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
