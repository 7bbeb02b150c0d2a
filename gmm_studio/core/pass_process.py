"""EM passes in a child process: a window's worker steps its run without its interpreter lock.

A pass over 100,000 points or more spends most of its time in numpy calls that release
Python's interpreter lock, but it also runs Python between them, and in the window's process
every such stretch is one the GUI thread waits for (benchmarks/bench_gui.py, README). A
:class:`PassProcess` runs :func:`gmm_studio.core.em.em_pass` in a process of its own on the
same rows: the data go to it once through shared memory (or, for a memory-mapped file, as
the file itself), each pass sends it the mixture and gets back the log-likelihood, the
M-step's mixture and, when asked, the point colours blended from that pass's
responsibilities. The results are those of the same pass in this process, to the last bit:
the child runs the same code on the same numbers with the same thread settings.

The process is spawned, not forked (a forked child of a Qt application inherits its
threads' locks). It starts in the background; :meth:`PassProcess.ready` says when it can
take passes, so a caller keeps stepping in its own thread until then.
"""

from __future__ import annotations

import contextlib
import mmap
import multiprocessing
import os
import signal
from multiprocessing import shared_memory
from multiprocessing.connection import Connection

import numpy as np
from threadpoolctl import threadpool_limits

from gmm_studio.core import blockwise
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.em import em_pass
from gmm_studio.core.locks import Locks
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.point_colors import ColorBlend, blended_colors

#: Runs whose passes evaluate at least this many terms (rows × components) go to the
#: process; smaller ones take well under a millisecond and stay in the caller's thread.
PROCESS_MIN_TERMS = 200_000
#: How long closing waits for the child to leave before it is terminated.
CLOSE_TIMEOUT_S = 2.0
#: Where POSIX shared memory lives on Linux.
SHARED_MEMORY_FS = "/dev/shm"

__all__ = ["PROCESS_MIN_TERMS", "PassProcess", "PassProcessLost"]


class PassProcessLost(RuntimeError):
    """The child process is gone (it failed to start, or stopped); its passes can run here."""


class PassProcess:
    """A child process that runs EM passes over the data last bound to it.

    Parameters
    ----------
    niceness : int
        How much nicer than this process the child runs (0: as nice).
    least_thread_work : float
        The child's :func:`gmm_studio.core.blockwise.set_least_thread_work`, in seconds.
    """

    def __init__(self, niceness: int = 0, least_thread_work: float = 0.0) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child_end, niceness, least_thread_work),
            name="gmm-studio-passes",
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self._ready = False
        self._broken = False
        self._bound: tuple | None = None  # the X and weights the child holds
        self._segments: list[shared_memory.SharedMemory] = []
        self._colors: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._process.pid

    @property
    def answering(self) -> bool:
        """True while the child takes passes: it has started and has not failed (a flag any
        thread may read; :meth:`ready` is for the thread that sends the passes)."""
        return self._ready and not self._broken

    def ready(self) -> bool:
        """True once the child has started and can take passes (never after a failure)."""
        if not self._ready and not self._broken:
            try:
                if self._conn.poll():
                    self._ready = self._conn.recv() == "ready"
            except (EOFError, OSError):
                self._broken = True
        return self._ready and not self._broken

    def em_pass(
        self,
        data: BlockData,
        mixture: Mixture,
        reg_covar: float,
        locks: Locks | None = None,
        blend: ColorBlend | None = None,
    ) -> tuple[float, Mixture]:
        """One pass of :func:`gmm_studio.core.em.em_pass` over ``data`` in the child: the
        log-likelihood and the M-step's mixture.

        With a ``blend``, the child blends the points' colours from the pass's
        responsibilities with the blend's palette, and ``blend`` is filled with them.
        """
        self._bind(data)
        palette = None if blend is None else blend.palette
        total, next_mixture, colored = self._ask("pass", mixture, reg_covar, locks, palette)
        if colored:
            blend.fill(self._colors, self._labels)
        return total, next_mixture

    def colors(self, data: BlockData, mixture: Mixture, palette) -> tuple[np.ndarray, np.ndarray]:
        """The points' colours and labels under ``mixture``, by a pass of their own in the
        child (:func:`gmm_studio.core.point_colors.blended_colors`); fresh arrays."""
        self._bind(data)
        self._ask("colors", mixture, np.asarray(palette, dtype=float))
        return self._colored(mixture.n_components)

    def close(self) -> None:
        """Stop the child and free the shared memory. Safe to call twice."""
        if self._process.is_alive() and not self._broken:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send(("quit",))
        self._process.join(CLOSE_TIMEOUT_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(CLOSE_TIMEOUT_S)
        self._broken = True
        self._conn.close()
        self._release()

    # -- plumbing ---------------------------------------------------------------------------
    def _ask(self, *request):
        if not self.ready():
            raise PassProcessLost("the EM pass process is not running")
        try:
            self._conn.send(request)
            answer = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._broken = True
            raise PassProcessLost("the EM pass process stopped") from exc
        status, *result = answer
        if status == "error":
            raise result[0]
        return result

    def _bind(self, data: BlockData) -> None:
        bound = self._bound
        if bound is not None and bound[0] is data.X and bound[1] is data.sample_weight:
            return
        self._release()
        X = _source(data.X) or self._shared(data.X)
        weights = None if data.sample_weight is None else self._shared(data.sample_weight)
        n = data.n_samples
        self._colors, colors = self._buffer((n, 3), np.uint8)
        self._labels, labels = self._buffer((n,), np.int16)  # any number of components
        self._ask("bind", X, weights, colors, labels, data.max_threads)
        self._bound = (data.X, data.sample_weight)

    def _shared(self, array: np.ndarray) -> tuple:
        view, spec = self._buffer(array.shape, array.dtype)
        view[...] = array
        return spec

    def _buffer(self, shape, dtype) -> tuple[np.ndarray, tuple]:
        dtype = np.dtype(dtype)
        size = max(1, int(np.prod(shape)) * dtype.itemsize)
        if not fits_in_shared_memory(size):
            raise PassProcessLost(f"no room for {size:,} bytes in shared memory")
        segment = shared_memory.SharedMemory(create=True, size=size)
        self._segments.append(segment)
        view = np.ndarray(shape, dtype=dtype, buffer=segment.buf)
        return view, ("shared", segment.name, tuple(shape), dtype.str)

    def _colored(self, n_components: int) -> tuple[np.ndarray, np.ndarray]:
        # The labels' type is ColorBlend's: uint8 up to 255 components.
        label_type = np.uint8 if n_components <= 255 else np.int16
        return self._colors.copy(), self._labels.astype(label_type)

    def _release(self) -> None:
        self._bound = None
        self._colors = self._labels = None
        for segment in self._segments:
            with contextlib.suppress(FileNotFoundError):
                segment.unlink()
            with contextlib.suppress(BufferError):  # a view still held: freed with it
                segment.close()
        self._segments = []


def fits_in_shared_memory(size: int) -> bool:
    """True when ``size`` more bytes fit in the shared memory file system with a quarter to
    spare (Linux's /dev/shm; elsewhere no such limit is known). A segment is allocated as
    it is written, and a write past a full /dev/shm (64 MB in a default Docker container)
    would kill the process. Where the data do not fit, the process is given up
    (:class:`PassProcessLost`) and the caller's thread takes the passes from then on."""
    try:
        info = os.statvfs(SHARED_MEMORY_FS)
    except (OSError, AttributeError):
        return True
    return 1.25 * size <= info.f_bavail * info.f_frsize


def _source(X: np.ndarray) -> tuple | None:
    """How the child maps a memory-mapped ``X`` from its file (None: not a file's pages)."""
    if not isinstance(X, np.memmap) or not X.filename or X._mmap is None:
        return None
    base = np.frombuffer(X._mmap, dtype=np.uint8).ctypes.data
    start = X.offset - X.offset % mmap.ALLOCATIONGRANULARITY
    offset = start + (X.ctypes.data - base)
    return ("file", os.fspath(X.filename), offset, X.shape, X.dtype.str)


# -- the child ----------------------------------------------------------------------------


def _serve(conn: Connection, niceness: int, least_thread_work: float) -> None:
    """The child's loop: answer requests until told to quit or the parent goes away."""
    # Ctrl+C in the window's terminal reaches the whole process group: it is the window's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            nice = os.getpriority(os.PRIO_PROCESS, 0) + niceness
            os.setpriority(os.PRIO_PROCESS, 0, min(19, nice))
    blockwise.set_least_thread_work(least_thread_work)
    with threadpool_limits(limits=1, user_api="blas"):  # the caller's GUI thread keeps a core
        _answer_requests(conn)


def _answer_requests(conn: Connection) -> None:
    attached: list = []
    data = colors = labels = None
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        kind = request[0]
        if kind == "quit":
            return
        try:
            if kind == "bind":
                _, X, weights, colors_spec, labels_spec, max_threads = request
                for segment in attached:
                    segment.close()
                attached = []
                X = _attach(X, attached)
                weights = None if weights is None else _attach(weights, attached)
                colors, labels = _attach(colors_spec, attached), _attach(labels_spec, attached)
                data = BlockData(X, weights, max_threads=max_threads)
                answer = ("ok",)
            elif kind == "pass":
                _, mixture, reg_covar, locks, palette = request
                blend = None if palette is None else ColorBlend(data.n_samples, palette)
                data.observer = None if blend is None else blend.add
                try:
                    total, next_mixture = em_pass(data.X, mixture, reg_covar, data, locks)
                finally:
                    data.observer = None
                colored = blend is not None and blend.complete
                if colored:
                    colors[...] = blend.colors
                    labels[...] = blend.labels
                answer = ("ok", total, next_mixture, colored)
            else:  # "colors"
                _, mixture, palette = request
                colors[...], labels[...] = blended_colors(data.X, mixture, palette, data=data)
                answer = ("ok",)
        except Exception as exc:  # the caller raises it as if the pass had run there
            answer = ("error", exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an exception that does not pickle: its message does
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _attach(spec: tuple, attached: list) -> np.ndarray:
    if spec[0] == "file":
        _, filename, offset, shape, dtype = spec
        return np.memmap(filename, dtype=np.dtype(dtype), mode="r", offset=offset, shape=shape)
    _, name, shape, dtype = spec
    segment = shared_memory.SharedMemory(name=name)
    attached.append(segment)
    return np.ndarray(shape, dtype=np.dtype(dtype), buffer=segment.buf)
