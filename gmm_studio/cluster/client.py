"""Which Dask cluster a fit runs on, and waiting for it without ever hanging.

A fit uses the active ``distributed`` client when there is one (the local cluster the command
line starts, or a scheduler it connected to); otherwise Dask's default scheduler in this
process. Waiting for a result polls the cluster, so a lost scheduler or a cluster left without
workers ends the wait with a :class:`ClusterError` instead of blocking forever. Tasks whose
worker died are retried by Dask itself (``distributed.scheduler.allowed-failures`` times).
A :class:`PassWatch` lets another thread follow a pass (chunks done) and cancel it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterator

import dask
import distributed
from distributed.client import FutureCancelledError

from gmm_studio.core.restarts import FitCancelled

#: Seconds to wait for a scheduler to answer when connecting.
CONNECT_TIMEOUT = 10.0
#: Seconds a cluster may have no worker at all before the fit gives up.
NO_WORKERS_TIMEOUT = 60.0
#: Seconds between two looks at the cluster while a pass runs.
POLL_SECONDS = 0.5
#: Seconds between two counts of the chunks done for a :class:`PassWatch`.
COUNT_POLL_SECONDS = 0.1


class ClusterError(Exception):
    """The cluster cannot finish the fit (unreachable, no workers left, a worker died)."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def active_client() -> distributed.Client | None:
    """The ``distributed`` client computations go to, or None for Dask's local scheduler."""
    try:
        return distributed.get_client()
    except ValueError:
        return None


class PassWatch:
    """What another thread sees of the passes of one fit, and its way to cancel them.

    The fit's thread writes the counters; a progress display reads them (plain numbers, so
    reading while they change is safe). :meth:`cancel` makes the pass in progress, and every
    later one until :meth:`resume`, cancel its tasks on the cluster and raise
    :class:`~gmm_studio.core.restarts.FitCancelled`.

    Attributes
    ----------
    passes : int
        Passes over the data finished.
    chunks_done, n_chunks : int
        Chunk tasks finished in the pass in progress (or the last one), and how many it has.
    last_pass_seconds : float
        How long the last finished pass took (NaN before the first).
    """

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._wake: threading.Event | None = None  # the wait in progress
        self.passes = 0
        self.chunks_done = 0
        self.n_chunks = 0
        self.last_pass_seconds = math.nan

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Cancel the pass in progress and refuse new ones (from any thread)."""
        self._cancel.set()
        wake = self._wake
        if wake is not None:
            wake.set()

    def resume(self) -> None:
        """Let passes run again."""
        self._cancel.clear()


def compute(collection, watch: PassWatch | None = None, chunks=()):
    """Compute a Dask collection on the active scheduler and return its value.

    With a ``watch``, ``chunks`` (Dask collections the result depends on: the pass's chunk
    tasks) are counted into it as they finish, and cancelling it cancels the computation.

    Raises
    ------
    ClusterError
        If the scheduler is lost, no worker is left for :data:`NO_WORKERS_TIMEOUT` seconds, or
        a task's workers died more often than Dask retries.
    FitCancelled
        If ``watch`` was cancelled.
    """
    if isinstance(collection, list | tuple):
        collection = dask.delayed(collection)
    if watch is not None and watch.cancelled:
        raise FitCancelled
    client = active_client()
    if client is None:
        return dask.compute(collection)[0]
    started = time.perf_counter()
    futures = (
        client.compute([collection, *chunks]) if watch is not None else [client.compute(collection)]
    )
    future = futures[0]
    if watch is not None:
        watch.n_chunks, watch.chunks_done = len(futures) - 1, 0
    try:
        result = wait(future, client, watch, futures[1:])
    finally:
        if not future.done():
            with contextlib.suppress(Exception):
                client.cancel(futures)
    if watch is not None:
        watch.passes += 1
        watch.last_pass_seconds = time.perf_counter() - started
    return result


def wait(future: distributed.Future, client: distributed.Client, watch=None, chunks=()):
    """The future's result, checking the cluster's health every :data:`POLL_SECONDS`.

    A :class:`PassWatch` ``watch`` gets the ``chunks`` futures done counted into it every
    :data:`COUNT_POLL_SECONDS`; cancelling it ends the wait at once with FitCancelled.
    """
    # A done-callback and an Event rather than ``future.result(timeout=...)``, whose timeout
    # can race with the result under load and raise an internal error of distributed.
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    if watch is not None:
        watch._wake = done  # cancelling ends the wait at once
    idle_since = None
    looked_at = -math.inf
    while not done.wait(COUNT_POLL_SECONDS if watch is not None else POLL_SECONDS):
        if watch is not None:
            if watch.cancelled:  # cancelled before this wait began
                break
            watch.chunks_done = sum(part.done() for part in chunks)
        if time.monotonic() - looked_at < POLL_SECONDS:
            continue
        looked_at = time.monotonic()
        if client.status != "running":
            raise ClusterError("lost the connection to the Dask scheduler")
        try:
            n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        except (OSError, distributed.comm.CommClosedError):
            raise ClusterError("lost the connection to the Dask scheduler") from None
        if n_workers:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > NO_WORKERS_TIMEOUT:
            raise ClusterError(
                f"the Dask cluster has had no workers for {NO_WORKERS_TIMEOUT:.0f} s; start "
                "some with `dask worker SCHEDULER-ADDRESS`"
            )
    if watch is not None:
        watch._wake = None
        if watch.cancelled:
            raise FitCancelled
        watch.chunks_done = watch.n_chunks
    try:
        return future.result()
    except distributed.KilledWorker as error:
        raise ClusterError(
            "a Dask worker died while computing a pass over the data, and so did every "
            f"retry ({error}); the workers may be running out of memory"
        ) from None
    except FutureCancelledError:
        raise ClusterError("the pass over the data was cancelled on the cluster") from None
    except (OSError, distributed.comm.CommClosedError) as error:
        raise ClusterError(f"lost the connection to the Dask scheduler: {error}") from None


def _refuse_fast(address: str) -> None:
    """Raise OSError at once when nothing listens at a TCP ``address``.

    Dask's client retries a refused connection until its timeout; a port nobody listens on
    (a mistyped address, a scheduler not started) says so at once instead.
    """
    scheme, location = distributed.comm.parse_address(address)
    if scheme not in ("tcp", "tls"):
        return
    host, port = distributed.comm.parse_host_port(location)
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
        pass


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return 4 << 30


def local_memory_limit(n_workers: int) -> int:
    """Bytes each local worker may hold: together, at most 3/4 of this machine's memory."""
    return int(0.75 * _total_memory() / max(1, n_workers))


@contextlib.contextmanager
def cluster_client(
    address: str | None = None,
    *,
    n_workers: int | None = None,
    memory_limit: int | str | None = None,
    quiet: bool = True,
) -> Iterator[distributed.Client]:
    """A client of the cluster at ``address``, or of a new local cluster when it is None.

    The local cluster has one single-threaded worker process per core, each with
    ``memory_limit`` bytes (default :func:`local_memory_limit`): its data are read chunk by
    chunk, so files larger than that stream through instead of filling the memory. Everything
    is closed on exit.

    Raises
    ------
    ClusterError
        If the scheduler cannot be reached within :data:`CONNECT_TIMEOUT` seconds, or the local
        cluster cannot start.
    """
    if quiet:
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
    cluster = None
    try:
        if address is None:
            n_workers = n_workers or os.cpu_count() or 1
            cluster = distributed.LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory_limit or local_memory_limit(n_workers),
                dashboard_address=":0",  # any free port: 8787 may be taken
                silence_logs=logging.CRITICAL if quiet else logging.WARNING,
            )
            client = distributed.Client(cluster, timeout=CONNECT_TIMEOUT)
        else:
            _refuse_fast(address)
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        if cluster is not None:
            cluster.close()
        where = (
            "start a local Dask cluster"
            if address is None
            else f"reach the Dask scheduler at {address}"
        )
        raise ClusterError(f"cannot {where}: {error}") from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=CONNECT_TIMEOUT)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=CONNECT_TIMEOUT)
