"""``gmm-studio fit PATH --dask [ADDRESS]``: read the file lazily and fit it on a Dask cluster."""

from __future__ import annotations

import sys
import time

from gmm_studio.cluster.client import ClusterError, cluster_client
from gmm_studio.cluster.em import fit_starts
from gmm_studio.cluster.full_data import read_on_cluster
from gmm_studio.core.errors import FitError
from gmm_studio.io.errors import DataFileError

#: The ``--dask`` value that asks for a new cluster on this machine.
LOCAL = "local"


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
            table, data, weights, n_workers = read_on_cluster(
                client, path, args.columns, args.weights, local=address is None
            )
            for note in table.notes:
                report_error(f"note: {path}: {note}")
            print(
                f"{path}: {table.n_samples} points in {data.numblocks[0]} chunks on "
                f"{n_workers} Dask workers at {client.scheduler.address}",
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
