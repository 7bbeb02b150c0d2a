"""A data file fitted on a Dask cluster while the window shows a sample of its rows.

:class:`ClusterData` connects to a cluster (or starts a local one), reads the file lazily,
describes it in one pass and draws a seeded uniform sample of at most :data:`SAMPLE_ROWS`
rows for the canvas. The window's fit model asks it for each run
(:meth:`ClusterData.run`): an :class:`gmm_studio.core.EMRun` whose passes go to the cluster
and whose points to colour are the sample's (:class:`SampledRun`). Its
:class:`~gmm_studio.cluster.client.PassWatch` follows the passes (chunks done, seconds per
pass) and cancels them.
"""

from __future__ import annotations

import contextlib
import pathlib

import numpy as np

from gmm_studio.cluster import lazy_files
from gmm_studio.cluster.client import PassWatch, cluster_client, compute, local_memory_limit
from gmm_studio.cluster.em import cluster_start, em_pass
from gmm_studio.cluster.passes import ChunkedData, describe
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.errors import FitError
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.run import EMRun, Snapshot
from gmm_studio.core.settings import FitSettings

#: Most rows the canvas shows of a file fitted on a cluster.
SAMPLE_ROWS = 200_000
#: Seed of the sample of rows shown: the same file always shows the same points.
SAMPLE_SEED = 0
#: Data are kept in the workers' memory between iterations when they take at most this share
#: of it; larger data are read again, chunk by chunk, on every pass.
PERSIST_SHARE = 0.5


def sample_rows(n_samples: int, limit: int | None = None, seed: int = SAMPLE_SEED):
    """The sorted rows shown of ``n_samples`` (a seeded uniform draw of ``limit``, default
    :data:`SAMPLE_ROWS`), or None for all."""
    limit = SAMPLE_ROWS if limit is None else limit
    if n_samples <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_samples, limit, replace=False))


class SampledRun(EMRun):
    """An EM run on a cluster's data whose points to colour are a sample held here.

    :attr:`X` and :attr:`block_data` are the sample's (what the window colours); the passes
    of EM run over every chunk on the cluster.
    """

    def __init__(self, shown: BlockData, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown = shown

    @property
    def X(self) -> np.ndarray:
        """The rows shown, shape (M, D)."""
        return self._shown.X

    @property
    def block_data(self) -> BlockData:
        """The rows shown, prepared for colouring them."""
        return self._shown


class ClusterData:
    """A file on a cluster, described, with its sample; close it when done.

    Parameters
    ----------
    path : str
        A ``.npy`` file, a CSV file or glob of CSV files, or a Parquet file or folder.
    columns : sequence of str, optional
        The columns fitted (default: every numeric column but the weights).
    weights : str, optional
        The column of row weights.
    address : str, optional
        The scheduler's address; None starts a local cluster on this machine.
    n_workers : int, optional
        Worker processes of a local cluster (default: one per core).

    Attributes
    ----------
    path, address : str
    data : ChunkedData
        The file's rows on the cluster, followed by :attr:`watch`.
    columns : list of str
    sample, sample_weight : ndarray
        The rows shown and their weights (None without weights).
    notes : list of str
        What reading the file left out (rows with missing values, ...).
    n_workers : int
    client : distributed.Client
    scheduler : str
        The scheduler's address.
    watch : PassWatch

    Raises
    ------
    ClusterError, DataFileError, FitError
        When the cluster cannot be reached or started, the file cannot be read, or the data
        cannot be fitted; nothing is left open then.
    """

    def __init__(
        self, path: str, columns=None, weights: str | None = None, address: str | None = None,
        n_workers: int | None = None,
    ) -> None:  # fmt: skip
        self.path, self.address = path, address
        self.watch = PassWatch()
        self._stack = contextlib.ExitStack()
        try:
            client = self._stack.enter_context(cluster_client(address, n_workers=n_workers))
            self._open(client, columns, weights)
        except BaseException:
            self._stack.close()
            raise
        self._closed = False

    def _open(self, client, columns, weights) -> None:
        self.client = client
        local = self.address is None
        table, X, weights, self.n_workers = read_on_cluster(
            client, self.path, columns, weights, local
        )
        self.scheduler = client.scheduler.address
        self.columns = list(table.columns)
        self.notes = list(table.notes)
        self.data: ChunkedData = describe(X, weights).watched(self.watch)
        rows = sample_rows(self.data.n_samples)
        pick = (lambda a: a) if rows is None else (lambda a: a[rows])
        self.sample = np.asarray(compute(pick(self.data.X)), dtype=np.float64)
        self.sample_weight = None
        if self.data.sample_weight is not None:
            self.sample_weight = np.asarray(compute(pick(self.data.sample_weight)), dtype=float)
        self._shown = BlockData(self.sample, self.sample_weight)

    @property
    def n_samples(self) -> int:
        """Rows of the file fitted (after dropping rows with missing values)."""
        return self.data.n_samples

    @property
    def local(self) -> bool:
        """True for a cluster started on this machine for this fit."""
        return self.address is None

    @property
    def closed(self) -> bool:
        return self._closed

    def run(
        self,
        settings: FitSettings,
        start: Mixture | None = None,
        *,
        iteration: int = 0,
        resumed_from: Snapshot | None = None,
        locks=None,
    ) -> SampledRun:
        """A run of EM on the whole file (arguments as :class:`~gmm_studio.core.EMRun`).

        Without a start (nor ``resumed_from``), the start the settings' seed gives on these
        data, as in memory (:func:`gmm_studio.cluster.em.cluster_start`); that reads rows
        on the cluster.

        Raises
        ------
        FitError
            When the cluster has been closed, or as :class:`~gmm_studio.core.EMRun`.
        """
        if self._closed:
            raise FitError(
                f"the Dask cluster of {self.path} has been closed; File ▸ Fit on a "
                "cluster… fits it again"
            )
        self.watch.resume()
        if start is None and resumed_from is None:
            start = cluster_start(self.data, settings)
        return SampledRun(
            self._shown, self.data.X, settings, start, iteration=iteration,
            resumed_from=resumed_from, locks=locks, data=self.data, em_pass=em_pass,
        )  # fmt: skip

    @property
    def cancelled(self) -> bool:
        """True after :meth:`cancel`, until :meth:`resume`."""
        return self.watch.cancelled

    def cancel(self) -> None:
        """Cancel the pass in progress (its tasks on the cluster) and any later one."""
        self.watch.cancel()

    def resume(self) -> None:
        """Let passes run again after :meth:`cancel`."""
        self.watch.resume()

    def close(self) -> None:
        """Cancel what runs, then close the client and a local cluster (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self.watch.cancel()
        self._stack.close()

    @property
    def name(self) -> str:
        """The file's name, for titles."""
        return pathlib.Path(self.path).name


def read_on_cluster(client, path, columns=None, weights=None, local: bool = False):
    """Read ``path`` lazily for the cluster of ``client``: ``(table, X, weights, n_workers)``.

    ``columns`` and ``weights`` are those of :func:`gmm_studio.cluster.lazy_files.read_lazy`.

    Chunks fit a local worker's memory; the rows (and weights) are kept in the workers'
    memory when they take at most :data:`PERSIST_SHARE` of it, else read again, chunk by
    chunk, on every pass.

    Raises
    ------
    DataFileError
        For a file that cannot be read as asked.
    """
    workers = list(client.scheduler_info(n_workers=-1).get("workers", {}).values())
    chunk_bytes = lazy_files.CHUNK_BYTES
    if local:
        chunk_bytes = min(chunk_bytes, local_memory_limit(len(workers) or 1) // 8)
    columns = None if columns is None else list(columns)
    table = lazy_files.read_lazy(path, columns, weights, chunk_bytes)
    memory = sum(w.get("memory_limit") or 0 for w in workers)
    size = table.data.nbytes + (0 if table.sample_weight is None else table.sample_weight.nbytes)
    if not memory or size > PERSIST_SHARE * memory:
        return table, table.data, table.sample_weight, len(workers)
    if table.sample_weight is None:
        return table, client.persist(table.data), None, len(workers)
    X, weights = client.persist([table.data, table.sample_weight])
    return table, X, weights, len(workers)
