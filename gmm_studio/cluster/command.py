"""``gmm-studio fit PATH --dask [ADDRESS]``: read the file lazily and fit it on a Dask cluster."""

from __future__ import annotations

import sys
import time

from gmm_studio.cluster import lazy_files
from gmm_studio.cluster.client import ClusterError, cluster_client, local_memory_limit
from gmm_studio.cluster.em import fit_starts
from gmm_studio.core.errors import FitError
from gmm_studio.io.errors import DataFileError

#: The ``--dask`` value that asks for a new cluster on this machine.
LOCAL = "local"

#: Data are kept in the workers' memory between iterations when they take at most this share
#: of it; larger data are read again, chunk by chunk, on every pass.
PERSIST_SHARE = 0.5


def fit_on_cluster(args, settings, report_error):
    """Fit ``args.path`` on the cluster ``args.dask`` names: ``(table, RestartsResult)``, or an
    exit code after a problem.

    Progress goes to stderr, one line per iteration. Problems are reported through
    ``report_error`` in one line each, and give exit code 1.
    """
    address = None if args.dask == LOCAL else args.dask
    path = args.path
    try:
        with cluster_client(address) as client:
            workers = client.scheduler_info(n_workers=-1).get("workers", {}).values()
            chunk_bytes = lazy_files.CHUNK_BYTES
            if address is None:
                chunk_bytes = min(chunk_bytes, local_memory_limit(len(workers) or 1) // 8)
            table = lazy_files.read_lazy(path, args.columns, args.weights, chunk_bytes)
            for note in table.notes:
                report_error(f"note: {path}: {note}")
            data, weights = _persist_if_small(client, workers, table)
            print(
                f"{path}: {table.n_samples} points in {data.numblocks[0]} chunks on "
                f"{len(workers)} Dask workers at {client.scheduler.address}",
                file=sys.stderr,
            )
            clock = [time.perf_counter()]

            def progress(start, snapshot):
                now = time.perf_counter()
                which = f"start {start}  " if n_init > 1 else ""
                print(
                    f"{which}iteration {snapshot.iteration}  log-likelihood "
                    f"{snapshot.log_likelihood:.6f}  {now - clock[0]:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
                clock[0] = now

            n_init = args.n_init
            outcome = fit_starts(
                data, sample_weight=weights, n_init=n_init, on_snapshot=progress,
                **settings.fit_kwargs(),
            )  # fmt: skip
            return table, outcome
    except DataFileError as error:
        report_error(f"{path}: {error.problem}")
    except FitError as error:
        report_error(f"{path}: cannot fit: {error}")
    except ClusterError as error:
        report_error(f"{path}: cannot fit on the Dask cluster: {error}")
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as error:  # anything else a worker raised: one line, never a traceback
        report_error(f"{path}: the Dask cluster failed: {type(error).__name__}: {error}")
    return 1


def _persist_if_small(client, workers, table):
    memory = sum(w.get("memory_limit") or 0 for w in workers)
    size = table.data.nbytes + (0 if table.sample_weight is None else table.sample_weight.nbytes)
    if not memory or size > PERSIST_SHARE * memory:
        return table.data, table.sample_weight
    if table.sample_weight is None:
        return client.persist(table.data), None
    return tuple(client.persist([table.data, table.sample_weight]))
