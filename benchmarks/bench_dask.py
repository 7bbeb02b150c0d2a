"""EM on a Dask LocalCluster side by side with the in-process engine, on memory-mapped files.

Each case writes a ``.npy`` file of N rows drawn from a K=8 mixture in D dimensions to /tmp,
then times EM iterations from the same start: in this process (the file memory-mapped, the
engine's own threads) and on a LocalCluster of single-threaded worker processes reading the
file chunk by chunk. The table prints seconds per iteration (median) and the ratio
(cluster / in-process: above 1, the in-process engine is faster). Further parts measure the
overhead of one pass on the cluster (the scheduler's round trip, on 1,000 rows), the scaling
from 1 to 2 workers, and a fit of a file larger than a worker's memory limit. Files are deleted
after each case.

Run from the repository root::

    python benchmarks/bench_dask.py            # 10M and 100M rows, D=2 and D=10
    python benchmarks/bench_dask.py --quick    # 1M rows: a smoke test of the script
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import distributed  # noqa: E402
from machine import describe  # noqa: E402

from gmm_studio.cluster import em as cluster_em  # noqa: E402
from gmm_studio.cluster import passes  # noqa: E402
from gmm_studio.cluster.lazy_files import CHUNK_BYTES, read_lazy  # noqa: E402
from gmm_studio.core import em, fit, initialize  # noqa: E402
from gmm_studio.core.blockwise import BlockData  # noqa: E402

K = 8
REG = 1e-6
WRITE_ROWS = 2_000_000


def write_data(path: pathlib.Path, n: int, d: int, seed: int = 0) -> None:
    """N rows of a K-component mixture in D dimensions, written block by block."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-10, 10, size=(K, d))
    scales = rng.uniform(0.3, 2.0, size=(K, d))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
    for a in range(0, n, WRITE_ROWS):
        b = min(a + WRITE_ROWS, n)
        labels = rng.integers(K, size=b - a)
        out[a:b] = means[labels] + rng.standard_normal((b - a, d)) * scales[labels]
    out.flush()
    del out


def start_of(path: pathlib.Path):
    head = np.load(path, mmap_mode="r")[:100_000]
    return initialize(np.array(head), K, init="random-points", seed=1)


def time_passes(one_pass, start, n_iter: int) -> tuple[float, float]:
    """Median seconds per EM iteration, and the last log-likelihood."""
    mixture, times, total = start, [], float("nan")
    for _ in range(n_iter):
        t = time.perf_counter()
        total, mixture = one_pass(mixture)
        times.append(time.perf_counter() - t)
    return statistics.median(times), total


def in_process(path, start, n_iter):
    X = np.load(path, mmap_mode="r")
    data = BlockData(X)
    return time_passes(lambda m: em.em_pass(X, m, REG, data), start, n_iter)


def on_cluster(path, start, n_iter, client=None, chunk_bytes=CHUNK_BYTES):
    """Seconds per iteration on the cluster: the file read on every pass, or (with ``client``)
    the chunks persisted in the workers' memory first, as ``fit --dask`` does for data that
    fit."""
    table = read_lazy(path, chunk_bytes=chunk_bytes)
    X = table.data if client is None else client.persist(table.data)
    data = passes.describe(X)
    return time_passes(lambda m: cluster_em.em_pass(data.X, m, REG, data), start, n_iter)


@contextlib.contextmanager
def local_cluster(n_workers: int, memory_limit="auto"):
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",  # any free port: 8787 may be taken
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def worker_rss(client) -> int:
    import psutil

    return max(client.run(lambda: psutil.Process().memory_info().rss).values())


def fmt_n(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n:,}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M rows only (a smoke test)")
    parser.add_argument("--only", help="run only cases whose label contains this text")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: "
                        "table,overhead,scaling,big")  # fmt: skip
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    for line in describe():
        print(line)
    print(f"dask {distributed.__version__}; LocalCluster: single-threaded worker processes")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="gmm-bench-dask-", dir="/tmp"))
    sizes = [1_000_000] if args.quick else [10_000_000, 100_000_000]
    cases = [(n, d) for n in sizes for d in (2, 10)]
    try:
        if "table" not in skip:
            print(f"\nper-iteration time, K={K}, full covariances, from the same start")
            header = (
                f"{'case':<16}{'in-process':>12}{'streamed':>10}{'ratio':>7}"
                f"{'persisted':>11}{'ratio':>7}  agree"
            )
            print("seconds per iteration; cluster: 2 workers, file read on every pass (streamed)")
            print("or held in the workers' memory (persisted); ratio = cluster / in-process")
            print(header)
            print("-" * len(header))
            with local_cluster(2) as client:
                for n, d in cases:
                    label = f"N={fmt_n(n)} D={d}"
                    if args.only and args.only not in label:
                        continue
                    path = folder / f"{n}x{d}.npy"
                    write_data(path, n, d)
                    start = start_of(path)
                    t_local, ll_local = in_process(path, start, args.iterations)
                    t_stream, ll_stream = on_cluster(path, start, args.iterations)
                    t_held, ll_held = on_cluster(path, start, args.iterations, client)
                    agree = max(abs(ll_stream / ll_local - 1), abs(ll_held / ll_local - 1))
                    print(
                        f"{label:<16}{t_local:>12.3f}{t_stream:>10.3f}{t_stream / t_local:>7.2f}"
                        f"{t_held:>11.3f}{t_held / t_local:>7.2f}  {agree:.1e}",
                        flush=True,
                    )
                    client.cancel(list(client.futures))
                    path.unlink()
        if "overhead" not in skip:
            path = folder / "tiny.npy"
            write_data(path, 1000, 2)
            start = start_of(path)
            with local_cluster(2):
                t_local, _ = in_process(path, start, 20)
                t_cluster, _ = on_cluster(path, start, 20)
            print(
                f"\noverhead of one pass (1,000 rows, one chunk): in-process {t_local * 1e3:.2f} "
                f"ms, cluster {t_cluster * 1e3:.1f} ms: about {(t_cluster - t_local) * 1e3:.0f} "
                "ms per iteration for the scheduler's round trip",
                flush=True,
            )
            path.unlink()
        if "scaling" not in skip:
            n = sizes[0]
            path = folder / "scaling.npy"
            write_data(path, n, 2)
            start = start_of(path)
            times = {}
            for workers in (1, 2):
                with local_cluster(workers):
                    times[workers], _ = on_cluster(path, start, args.iterations)
            print(
                f"\nscaling at N={fmt_n(n)} D=2: 1 worker {times[1]:.3f} s/it, 2 workers "
                f"{times[2]:.3f} s/it, speed-up {times[1] / times[2]:.2f}×",
                flush=True,
            )
            path.unlink()
        if "big" not in skip:
            n = sizes[-1]
            limit = 400 << 20
            path = folder / "big.npy"
            write_data(path, n, 2)
            start = start_of(path)
            size = path.stat().st_size
            with local_cluster(1, memory_limit=limit) as client:
                t = time.perf_counter()
                result = fit(
                    read_lazy(path, chunk_bytes=limit // 8).data, K, tol=0, max_iter=2,
                    weights_init=start.weights, means_init=start.means,
                    covariances_init=start.covariances,
                )  # fmt: skip
                elapsed = time.perf_counter() - t
                rss = worker_rss(client)
            print(
                f"\nlarger than a worker's memory: {size / 2**30:.2f} GiB file, one worker "
                f"limited to {limit >> 20} MiB: {result.n_iter} iterations completed in "
                f"{elapsed:.1f} s; worker resident memory afterwards {rss / 2**20:.0f} MiB",
                flush=True,
            )
            path.unlink()
    finally:
        for f in folder.glob("*"):
            f.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
