"""The block-wise EM kernel: one pass over the data per iteration, no N×K matrix kept.

The data are read in blocks of rows, centred on a point near the data. For each block the
kernel computes ``log w_k + log N(x | k)`` for every row and component, turns it into
responsibilities, and adds the block's sufficient statistics (Σw·r, Σw·r·z, Σw·r·z zᵀ, the
log-likelihood Σw·log p, all in float64) to running sums: :class:`Statistics`, which add up in
any order, so the same function serves one process (:func:`gather`) and a cluster
(:func:`chunk_statistics` on each chunk).

Two formulations, chosen per shape by :func:`choose_form` from a cost model:

* ``"expanded"``: the quadratic form of every component is linear in the features
  ``[z_i z_j (i ≤ j) ..., z_1 ... z_D, 1]`` of a centred row ``z``, so the E-step of a block is
  ONE matrix product and the statistics ONE more. Cheapest at small D; the features grow as
  D²/2 per row (full and tied), so blocks stay small enough to run on one core each.
* ``"direct"``: ``|(z - mu_k) L_k|²`` through each component's Cholesky factor, and the
  scatter as one product per component: no feature matrix, work and memory linear in the
  block's rows, one BLAS thread. Pays at large D.

The expanded quadratic form loses precision when data sit far from a component's mean in units
of its spread (it subtracts large, nearly equal numbers). Centring removes the common offset
(means around 1e6, spreads around 1e-3 are no problem); for a component where the rounding
error could still exceed :data:`EXPANDED_FORM_ERROR`, its densities at the rows where they
could be imprecise and still matter (within e^-40 of the row's largest) are recomputed in the
direct form (:func:`_correct_imprecise_terms`), and its scatter is recomputed about its new
mean in a second pass (:func:`scatter_request`, :func:`gather_scatter`). The first check bounds the rounding error
before the pass, the second after it from the statistics themselves, so the fast path stays
within rounding noise of the reference implementation
(:func:`gmm_studio.core.reference.reference_em_pass`).

The products of a pass that threads share are ``np.dot`` calls: it lets go of the interpreter
lock while BLAS works, ``np.matmul`` (numpy 2.4) keeps it (measured at N=1,000,000, K=8, D=2:
a pass on two threads 19% faster once the statistics' product moved to ``np.dot``).

Where numpy has no vectorised float64 ``exp`` (CPUs without AVX-512) it is a scalar library
call and the most expensive step (:func:`normalise` keeps it on glibc's fast path); there, when
fewer than a fifth of a block's terms are within e^-40 of their row's largest, the others are
set to zero instead of computed (even 64 of them sum to about a unit in the last place of the
row's total).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import operator
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import blas

from gmm_studio.core import covariance as cov
from gmm_studio.core.errors import FitError

_LOG_2PI = np.log(2.0 * np.pi)
_MACHINE_EPS = np.finfo(float).eps
#: Floor of the shifted log-probabilities handed to exp: far below any term that counts, above
#: the subnormal numbers, and above -512, beyond which glibc's exp takes a path twice as slow.
_LOG_FLOOR = -500.0
#: Where :func:`normalise` puts each row's largest log-probability before exp (see there).
_TOP_TERM = 1.0

#: Largest rounding error (in units of log-density) tolerated from the expanded quadratic form
#: or from the one-pass scatter; beyond it the direct form is used for that component.
EXPANDED_FORM_ERROR = 1e-8

#: Rounding of a float64 product or sum of a few dozen terms stays within this many units of
#: its largest term's last place (a generous bound; random-walk rounding is far smaller).
ROUNDING_SLACK = 16

#: Responsibilities whose log is more than this below the row's largest are zero: e^-40 is
#: 4e-18, so even 64 of them change the row's total by about one unit in its last place.
NEGLIGIBLE_LOG_RESPONSIBILITY = -40.0

#: OpenBLAS hands a matrix product to its own threads above about 4·65536 multiply-adds; a
#: pass whose products stay below that needs no hold on BLAS's threads.
_SINGLE_THREAD_PRODUCT = 4 * 65536
_MIN_BLOCK_ROWS = 256
_MAX_BLOCK_ROWS = 8192
#: A block's features (the direct form: each of its few (rows, D) arrays) hold about this many
#: numbers (512 KiB), unless that would make blocks of fewer than _MIN_BLOCK_ROWS rows: small
#: next to what the data and the fit hold, and measured as fast as larger blocks from 256
#: rows on (their features stay in the core's cache).
_BLOCK_VALUES = 1 << 16
#: ...and never more than this many (1 MiB) where a row is wide, down to blocks of
#: _MIN_WIDE_BLOCK_ROWS rows (their work is then far larger than a block's fixed cost).
_MAX_BLOCK_VALUES = 1 << 17
_MIN_WIDE_BLOCK_ROWS = 64
#: A pass over many rows (at least _LARGE_BLOCK_SHARE blocks' worth) takes expanded-form blocks
#: of up to this many numbers of features and log-probabilities together, at most
#: _MAX_LARGE_BLOCK_ROWS rows: fewer numpy calls per row, each of which holds the interpreter lock
#: for a moment, so two threads share the pass better. Measured on two threads without AVX-512:
#: N=200,000, K=5, D=10 29 against 42 ms a pass, D=5 10.7 against 13.5 ms; N=1,000,000, K=8,
#: D=3 49 against 58 ms; on one thread alike.
_LARGE_BLOCK_VALUES = 1 << 18
_LARGE_BLOCK_SHARE = 16
_MAX_LARGE_BLOCK_ROWS = 1 << 15
#: Small data are one block while its features hold at most this many numbers.
_ONE_BLOCK_VALUES = 1 << 16
#: The direct form splits even small data into this many blocks (see Kernel.block_rows).
_DIRECT_MIN_BLOCKS = 4
#: From this D on, BlockData reduces (n, D) blocks down their columns (contiguous rows).
_WIDE_ROWS_MIN_D = 32
#: Below this many rows per thread, starting threads costs more than it saves...
_MIN_ROWS_PER_THREAD = 16_384
#: ...unless the rows are wide: a thread pays for itself from about a millisecond of work
#: (estimated by :func:`form_costs`), what 16,384 rows take at small K and D.
_MIN_THREAD_WORK_NS = 1e6


#: What skipping negligible terms costs per term of a block, in passes of a simple ufunc over it
#: (a comparison, np.flatnonzero and a fill), and per live term (its gather and scatter);
#: measured on a 2-core AMD EPYC without AVX-512, K=8 D=2 blocks of 18,519 rows.
_SKIP_COST_PER_TERM = 4.9
_SKIP_COST_PER_LIVE_TERM = 9.7


def _measured_skip_exp_below() -> float:
    """The fraction of live terms below which :func:`_exp_of_live_terms` pays, on this CPU.

    Measured once, at import, in under a millisecond. numpy's float64 exp costs about one
    simple pass where it is vectorised (AVX-512) and 10-25 elsewhere (3-8 ns a call, by CPU).
    With ``rho`` passes per exp, skipping costs ``a + f (rho + b)`` passes against ``rho + 1``
    (exp and its floor) for a fraction ``f`` of live terms, so it pays below
    ``f = (rho + 1 - a) / (rho + b)``: 0.53-0.57 on the AMD machine the constants come from
    (``rho`` about 20), never with a vectorised exp. The choice changes results only at
    rounding: a skipped term is below e^-40 of its row's largest.
    """
    x = np.linspace(-40.0, 1.0, 16_384)
    out = np.empty_like(x)

    def best_of(ufunc, *args) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            ufunc(*args, out=out)
            best = min(best, time.perf_counter() - start)
        return best

    rho = best_of(np.exp, x) / best_of(np.multiply, x, 2.0)
    return max(0.0, (rho + 1.0 - _SKIP_COST_PER_TERM) / (rho + _SKIP_COST_PER_LIVE_TERM))


_SKIP_EXP_BELOW = _measured_skip_exp_below()


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover  (not Linux)
        return max(1, os.cpu_count() or 1)


_thread_count = _available_cores()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
_thread_setup = None
_least_thread_work_ns = 0.0


def thread_count() -> int:
    """How many threads a pass over the data may use (default: every core available)."""
    return _thread_count


def set_thread_count(n: int) -> None:
    """Let a pass over the data use up to ``n`` threads (blocks go to whichever is free).

    Notes
    -----
    The expanded form's blocks spend most of their time in numpy calls that release the
    interpreter lock (``exp``, ``log``, products), so two threads share a pass well; BLAS is
    held to one thread where it would split the products (see ``blas_threads_for``). The
    direct form runs on one thread. A caller that needs a core for itself (a window's GUI thread)
    sets a lower count.
    """
    global _thread_count
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"thread count must be a whole number ≥ 1, not {n!r}")
    _thread_count = int(n)


def set_least_thread_work(seconds: float) -> None:
    """Share a pass among threads only when each gets at least ``seconds`` of work (estimated).

    A window sets one display frame: a pass quicker than that runs on one thread, which leaves
    its GUI thread a core and the interpreter lock to draw with (measured at 100,000 points,
    K=8: more redraws per second and shorter stalls on one thread, and EM no slower), while
    longer passes still use every core. 0 (the default) keeps only the engine's own minimum.
    """
    global _least_thread_work_ns
    if not seconds >= 0:
        raise ValueError(f"the least work per thread must be ≥ 0 seconds, not {seconds!r}")
    _least_thread_work_ns = float(seconds) * 1e9


def set_thread_setup(setup) -> None:
    """Have every thread that shares passes call ``setup()`` first (None: nothing).

    A window uses it to make these threads nicer than its GUI thread. Threads already started
    are let go; the next pass starts new ones.
    """
    global _pool, _pool_size, _thread_setup
    with _pool_lock:
        _thread_setup = setup
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = None, 0


def _executor(n: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(
                max_workers=n, thread_name_prefix="gmm-studio-em", initializer=_thread_setup
            )
            _pool_size = n
        return _pool


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as a float64 (N,) array of finite non-negative numbers, or None.

    Raises
    ------
    FitError
        If the weights have the wrong length, are negative or not finite, or are all zero.
    """
    if sample_weight is None:
        return None
    w = np.ascontiguousarray(sample_weight, dtype=float)
    if w.shape != (n_samples,):
        raise FitError(f"sample_weight must hold one number per row ({n_samples}), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise FitError("sample_weight must be finite numbers ≥ 0")
    if not np.any(w > 0):
        raise FitError("sample_weight is zero for every row")
    return w


class BlockData:
    """Data prepared once for many passes: the centre, the spread and the reach of the rows.

    Parameters
    ----------
    X : ndarray, shape (N, D)
        Finite float data (not copied; C-contiguous float64, a memory map included, is used
        as is and read block by block).
    sample_weight : array_like, shape (N,), optional
        Non-negative weight of each row (see :func:`check_sample_weight`); None: all ones.
    max_threads : int, optional
        At most this many threads share a pass over these data (None: :func:`thread_count`);
        1 for callers that run several passes at once on their own threads.
    """

    def __init__(self, X: np.ndarray, sample_weight=None, max_threads: int | None = None):
        self.max_threads = max_threads
        #: None, or called as ``observer(start, stop, R)`` in each pass that gathers statistics,
        #: with the responsibilities (K, n) of rows ``start:stop`` (from several threads at once;
        #: the buffer is reused afterwards): the live view colours points from them.
        self.observer = None
        if not (isinstance(X, np.ndarray) and X.dtype == np.float64 and X.flags.c_contiguous):
            X = np.ascontiguousarray(X, dtype=float)
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.sample_weight = check_sample_weight(sample_weight, self.n_samples)
        #: Σ of the weights (N without weights): the effective number of rows.
        self.total_weight = (
            float(self.n_samples) if self.sample_weight is None else float(self.sample_weight.sum())
        )
        self.centre = _centre_of(X)
        d = self.n_features
        sum_lin = np.zeros(d)
        sum_sq = np.zeros(d)
        reach = np.zeros(d)  # per feature, the farthest any row is from the centre
        farthest = 0.0  # wide rows: the largest squared distance of a row from the centre
        # Blocks of at most 2¹⁵ numbers (256 KiB): small next to the data, few Python steps.
        step = max(1, min(_MAX_BLOCK_ROWS, (1 << 15) // max(1, d)))
        wide = d >= _WIDE_ROWS_MIN_D
        at_origin = not self.centre.any()
        for start in range(0, self.n_samples, step):
            rows = X[start : start + step]
            w = self.weights_of(start, start + step)
            if wide:  # reductions over (n, D) rows, each along contiguous rows
                z = rows if at_origin else rows - self.centre
                farthest = max(farthest, float(np.einsum("ij,ij->i", z, z).max(initial=0.0)))
                if w is None:
                    sum_lin += z.sum(axis=0)
                    sum_sq += np.einsum("ij,ij->j", z, z)
                else:
                    sum_lin += w @ z
                    sum_sq += np.einsum("ij,ij,i->j", z, z, w)
                continue
            # C order: the (D, n) block's reductions then run along contiguous rows.
            z = np.subtract(rows.T, self.centre[:, np.newaxis], order="C")
            np.maximum(reach, z.max(axis=1), out=reach)
            np.maximum(reach, -z.min(axis=1), out=reach)
            sum_lin += z.sum(axis=1) if w is None else z @ w
            z *= z
            sum_sq += z.sum(axis=1) if w is None else z @ w
        shift = sum_lin / self.total_weight  # the mean, about the centre
        #: Per-feature (weighted) variance, ddof=0.
        self.variance = np.maximum(sum_sq / self.total_weight - shift**2, 0.0)
        #: An upper bound on the distance of any row from the centre.
        self.radius = float(np.sqrt(farthest if wide else np.sum(reach**2)))

    def n_workers(self, block_rows: int, rows_per_thread: int = _MIN_ROWS_PER_THREAD) -> int:
        """How many threads share a pass over blocks of ``block_rows`` rows, each thread
        given at least ``rows_per_thread`` rows."""
        n_blocks = -(-self.n_samples // block_rows)
        cap = _thread_count if self.max_threads is None else self.max_threads
        return max(1, min(cap, n_blocks, self.n_samples // max(1, rows_per_thread)))

    def weights_of(self, a: int, b: int) -> np.ndarray | None:
        return None if self.sample_weight is None else self.sample_weight[a:b]


def _centre_of(X: np.ndarray) -> np.ndarray:
    """The point the passes centre the rows on: the origin, or the mean of a sample of rows.

    Any point near the data will do (every formula is exact in it); the mean of at most 4096
    evenly spaced rows is quick and the same on every call. Where the origin is within the
    rows' spread of that mean (|mean| at most the root-mean-square distance of a row from
    it), the origin serves as well and every block skips the subtraction: the distance of a
    row from the centre, which the rounding bounds grow with, at most doubles.
    """
    n = len(X)
    mean = X[:: max(1, n // 4096)].mean(axis=0)
    few = X[:: max(1, n // 64)] - mean
    mean_square = np.einsum("ij,ij->", few, few) / len(few)
    return np.zeros_like(mean) if mean @ mean <= mean_square else mean


_blas_libraries = None
_blas_lock = threading.Lock()
_blas_holders = 0
_blas_saved: list[int] = []


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS on one thread while any caller is inside; the first in saves, the last out restores.

    The BLAS libraries' own setters, not a threadpoolctl context per pass (which costs tens
    of microseconds, a good part of a pass at N=1,000, and could not be nested by threads).
    """
    global _blas_libraries, _blas_holders, _blas_saved
    with _blas_lock:
        if _blas_libraries is None:
            from threadpoolctl import ThreadpoolController

            _blas_libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        if _blas_holders == 0:
            _blas_saved = [lib.get_num_threads() for lib in _blas_libraries]
            for lib, n in zip(_blas_libraries, _blas_saved, strict=True):
                if n != 1:
                    lib.set_num_threads(1)
        _blas_holders += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_holders -= 1
            if _blas_holders == 0:
                for lib, n in zip(_blas_libraries, _blas_saved, strict=True):
                    if n != 1:
                        lib.set_num_threads(n)


def _block_rows(width: int, n_components: int | None, n_samples: int | None) -> int:
    """Rows per block of ``width`` numbers a row (:meth:`Kernel.block_rows`): ``n_components``
    for the expanded form (None: the direct form); ``n_samples`` None: a whole block's rows."""
    if n_components is None:
        rows = _BLOCK_VALUES // width
    else:
        # A block's features, and its log-probabilities, each hold at most _BLOCK_VALUES
        # numbers (N=1,000,000, K=8, D=2: 8,192 rows, 17% faster on two threads than the
        # 5,461 that kept every product below BLAS's threading threshold).
        rows = _BLOCK_VALUES // max(width, n_components)
    fewest = max(_MIN_WIDE_BLOCK_ROWS, min(_MIN_BLOCK_ROWS, _MAX_BLOCK_VALUES // width))
    rows = int(min(_MAX_BLOCK_ROWS, max(fewest, rows)))
    if n_components is not None and n_samples is not None:
        large = min(_LARGE_BLOCK_VALUES // (width + n_components), _MAX_LARGE_BLOCK_ROWS)
        rows = max(rows, min(large, n_samples // _LARGE_BLOCK_SHARE))
    if n_samples is None:
        return rows
    if n_samples * width <= _ONE_BLOCK_VALUES:
        return max(1, n_samples)
    return _even_blocks(n_samples, rows)


def _even_blocks(n_samples: int, rows: int) -> int:
    """Rows per block for blocks of at most ``rows`` rows and of even size (the last one
    not a sliver)."""
    if n_samples <= rows:
        return max(1, n_samples)
    return -(-n_samples // -(-n_samples // rows))


def blas_threads_for(
    n_components: int, n_features: int, covariance_type: str, form=None, n_samples=None
):
    """A context that keeps the BLAS library on one thread while a pass of this shape runs.

    ``form`` defaults to :func:`choose_form`'s. The pass's own threads share the blocks
    (:meth:`Kernel.n_workers`); BLAS threads are never used on top of them. Products that
    BLAS would split (the direct form's, the expanded form's at large K·D) gain little from
    its threads on an idle machine, and on a busy one its spinning threads cost many times
    the product: measured on the 2-core development machine under load, an iteration at
    N=1,000, K=16, D=100 full took 0.9 s with one BLAS thread against 12.7 s with two
    (scikit-learn's: 7.9 s), and at N=1,000, K=16, D=500 diag 38 ms against 408 ms.
    Where every product of a pass over ``n_samples`` rows (default: as many as a block
    holds) stays below BLAS's own threading threshold nothing is changed: no overhead.
    """
    if form is None:
        form = choose_form(n_components, n_features, covariance_type)
    if form != "direct":
        columns = n_quadratic(n_features, covariance_type) + n_features + 1
        rows = _block_rows(columns, n_components, n_samples)
        if n_components * columns * rows <= _SINGLE_THREAD_PRODUCT:
            return contextlib.nullcontext()
    return _one_blas_thread()


def _run_blocks(n_samples: int, block_rows: int, n_workers: int, make_state, visit) -> list:
    """Call ``visit(state, index, start, stop)`` for every block, from up to n_workers threads.

    Threads take the next block as they come free (so a busy core slows nobody down), each
    with its own ``state = make_state()``; the calling thread works too. Returns the states.
    Anything order-dependent must be stored per block ``index`` and combined in block order,
    so results never depend on which thread did which block.
    """
    n_blocks = -(-n_samples // block_rows)
    counter = itertools.count()

    def work():
        state = make_state()
        for index in iter(counter.__next__, None):
            if index >= n_blocks:
                return state
            start = index * block_rows
            visit(state, index, start, min(start + block_rows, n_samples))
        return state  # pragma: no cover  (the counter never ends)

    if n_workers == 1:
        return [work()]
    pool = _executor(n_workers - 1)
    futures = [pool.submit(work) for _ in range(n_workers - 1)]
    try:
        states = [work()]
    finally:
        states_of_others = [f.result() for f in futures]
    return states + states_of_others


# ---------------------------------------------------------------------------------------------
# The kernel: a mixture turned into what the block computations need


@functools.cache
def upper_pairs(n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(n_features)``, cached: the order of the z_i z_j features."""
    rows, cols = np.triu_indices(n_features)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


def is_full_form(covariance_type: str) -> bool:
    """True when the features need every product z_i z_j, not only the squares."""
    return covariance_type in ("full", "tied")


def n_quadratic(n_features: int, covariance_type: str) -> int:
    """Number of quadratic features for this covariance type.

    Full and tied need every z_i z_j (i ≤ j), diag the squares z_i², spherical only |z|²
    (its M-step averages the variances over the features, so Σ r·|y|² is all it needs).
    """
    d = n_features
    if is_full_form(covariance_type):
        return d * (d + 1) // 2
    return 1 if covariance_type == "spherical" else d


#: The expanded form holds (P, rows) features per block; it is used only while P stays below
#: this (D ≤ 89 for full and tied), so a block of the smallest size stays within 8 MB.
_MAX_EXPANDED_FEATURES = 4096


def form_costs(n_components: int, n_features: int, covariance_type: str) -> dict[str, float]:
    """Estimated CPU time per row of each formulation, in nanoseconds (one thread).

    The expanded form builds P = D(D+1)/2 + D + 1 features per row (about 2 ns each) and runs
    two thin (K×P)·(P×n) products plus the responsibilities (0.13 ns per feature and 5 ns per
    component); the direct form runs per component a (n×D)·(D×D) product and a scatter
    product (0.13 ns per D²) and a few passes over (n×D) (1.2 ns per D, 30 ns per component).
    Tied covariances share one product for all components (0.15 ns per D², then 0.9 ns per D
    and 25 ns per component). The constants were fitted to
    :func:`gather` on a 2-core Intel Xeon (AVX-512) and checked by
    ``benchmarks/bench_grid.py --forms``; only the crossing point matters.
    """
    k, d = n_components, n_features
    p = n_quadratic(d, covariance_type) + d + 1
    expanded = 2.0 * p + k * (0.13 * p + 5.0)
    if covariance_type == "tied":
        direct = 0.15 * d * d + k * (0.9 * d + 25.0)
    else:
        direct = k * (0.13 * d * d + 1.2 * d + 30.0)
    return {"expanded": expanded, "direct": direct}


def choose_form(n_components: int, n_features: int, covariance_type: str) -> str:
    """The cheaper formulation for this shape: ``"expanded"`` or ``"direct"``.

    Only full and tied covariances have a choice; diag features grow as 2D+1 per row and
    spherical ones as D+2, which the expanded form handles at any D (as rows of z and its
    squares from D=128 on, the products as scikit-learn's but blocked). Beyond
    ``_MAX_EXPANDED_FEATURES`` features the memory of the expanded form decides for direct.
    """
    if not is_full_form(covariance_type):
        return "expanded"
    if n_quadratic(n_features, covariance_type) + n_features + 1 > _MAX_EXPANDED_FEATURES:
        return "direct"
    costs = form_costs(n_components, n_features, covariance_type)
    return "expanded" if costs["expanded"] <= costs["direct"] else "direct"


@dataclass
class Kernel:
    """One mixture turned into the matrices the block computations need.

    ``form`` is ``"expanded"`` or ``"direct"`` (see the module notes). In the expanded form
    ``weights_t`` (K, P) maps the features of a centred row to ``log w_k + log N(x | k)`` and
    ``direct`` lists the components whose densities are nevertheless computed directly.
    ``centre`` is the point the rows are centred on, ``shifted_means`` the means about it.
    """

    covariance_type: str
    form: str
    centre: np.ndarray
    n_features: int
    n_quadratic: int
    weights_t: np.ndarray | None
    shifted_means: np.ndarray
    prec_chol: np.ndarray
    log_const: np.ndarray
    direct: np.ndarray
    #: (3, K): a row z's expanded quadratic form for component k sums terms of magnitude at
    #: most ``a_k |z|² + 2 b_k |z| + c_k`` (see :func:`_correct_imprecise_terms`); None in
    #: the direct form.
    term_sizes: np.ndarray | None = None

    @property
    def n_components(self) -> int:
        return self.shifted_means.shape[0]

    @property
    def n_columns(self) -> int:
        """Features per row in the expanded form."""
        return self.n_quadratic + self.n_features + 1

    def block_rows(self, n_samples: int) -> int:
        """Rows per block in a pass over ``n_samples`` rows.

        Data whose features fit in ``_ONE_BLOCK_VALUES`` numbers are one block: at small N
        each block's fixed cost (a few dozen numpy calls) is a good part of the pass.
        """
        if self.form == "direct":
            rows = _block_rows(max(self.n_features, self.n_components), None, None)
            # At least _DIRECT_MIN_BLOCKS blocks: a block's (rows, D) arrays stay a small part
            # of the data (N=1,000, K=2, D=100 tied: peak 0.53 → 0.32 of scikit-learn's), at
            # a few calls per component and block, small beside the direct form's work a row.
            fewer = max(_MIN_WIDE_BLOCK_ROWS, -(-n_samples // _DIRECT_MIN_BLOCKS))
            return _even_blocks(n_samples, min(rows, fewer))
        rows = _block_rows(self.n_columns, self.n_components, n_samples)
        if not _row_features(self):
            return rows
        # Wide rows that the cores can share (by thread_count; a caller holding a pass to one
        # thread keeps these blocks, about as fast there): a block's work is mostly products,
        # which let go of the interpreter lock, so each thread takes as few blocks as hold
        # _MAX_BLOCK_VALUES numbers an array (N=1,000, K=16, D=500 diag on two threads: a pass
        # 2.6-2.8 against 3.6 ms in 125-row blocks; blocks twice that size were no faster).
        threads = min(_thread_count, n_samples // self._rows_per_thread())
        wide = min(_MAX_BLOCK_VALUES // self.n_features, -(-n_samples // max(1, threads)))
        if threads < 2 or wide <= rows:
            return rows
        return _even_blocks(n_samples, wide)

    def _rows_per_thread(self) -> int:
        """Fewest rows worth a thread of their own (expanded form), by the cost model."""
        cost = form_costs(self.n_components, self.n_features, self.covariance_type)[self.form]
        rows = min(_MIN_ROWS_PER_THREAD, int(_MIN_THREAD_WORK_NS / cost) + 1)
        return max(rows, int(_least_thread_work_ns / cost) + 1)

    def n_workers(self, data: BlockData) -> int:
        """Threads for a pass: the expanded form's blocks are shared, the direct form's not.

        The direct form's per-component sums run through all blocks in order on one thread
        (threads would have to keep (K, D, D) sums per block to stay independent of which
        thread did which block).
        """
        if self.form == "direct":
            return 1
        return data.n_workers(self.block_rows(data.n_samples), self._rows_per_thread())

    def blas_threads(self, n_samples: int | None = None):
        """:func:`blas_threads_for` this kernel's shape and form (a pass over ``n_samples``)."""
        return blas_threads_for(
            self.n_components, self.n_features, self.covariance_type, self.form, n_samples
        )


def make_kernel(mixture, centre: np.ndarray, radius: float, form: str | None = None) -> Kernel:
    """The block matrices for ``mixture`` on data centred at ``centre``, no row farther than
    ``radius`` from it.

    Parameters
    ----------
    mixture : Mixture
    centre : ndarray, shape (D,)
    radius : float
    form : {"expanded", "direct"}, optional
        Force a formulation (default: :func:`choose_form`).

    Raises
    ------
    DegenerateCovarianceError
        If a covariance is not positive definite.
    """
    covariance_type = mixture.covariance_type
    k, d = mixture.means.shape
    centre = np.asarray(centre, dtype=float)
    prec_chol = mixture.precisions_cholesky()
    shifted = mixture.means - centre
    weights = mixture.weights
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    log_const = log_w + cov.log_det_cholesky(prec_chol, covariance_type, d) - 0.5 * d * _LOG_2PI
    if form is None:
        form = choose_form(k, d, covariance_type)
    nq = n_quadratic(d, covariance_type)
    if form == "direct":
        everything = np.arange(k)
        return Kernel(
            covariance_type, form, centre, d, nq, None, shifted, prec_chol, log_const, everything
        )

    weights_t = np.empty((k, nq + d + 1))
    if is_full_form(covariance_type):
        if covariance_type == "full":
            precisions = prec_chol @ np.swapaxes(prec_chol, 1, 2)
        else:
            precisions = np.broadcast_to(prec_chol @ prec_chol.T, (k, d, d))
        p_mu = (precisions @ shifted[:, :, np.newaxis])[:, :, 0]
        rows, cols = upper_pairs(d)
        quad = precisions[:, rows, cols]
        quad[:, rows != cols] *= 2.0
        # |z|ᵀ|P||z| ≤ ‖P‖_F |z|²: the quadratic terms' magnitude.
        largest = np.sqrt(np.sum(precisions**2, axis=(1, 2)))
    elif covariance_type == "diag":
        quad = prec_chol**2
        p_mu = quad * shifted
        largest = quad.max(axis=1)
    else:  # spherical: one feature |z|², one precision per component
        precision = prec_chol**2
        quad = precision[:, np.newaxis]
        p_mu = quad * shifted
        largest = precision
    weights_t[:, :nq] = -0.5 * quad
    weights_t[:, nq : nq + d] = p_mu
    weights_t[:, -1] = log_const - 0.5 * np.sum(shifted * p_mu, axis=1)

    # The bound of _correct_imprecise_terms at the farthest a row can be (|z| ≤ radius): the
    # components it leaves out are within EXPANDED_FORM_ERROR at every row of the data.
    term_sizes = np.array(
        [largest, np.sqrt(np.sum(p_mu**2, axis=1)), np.abs(weights_t[:, -1]) + np.abs(log_const)]
    )
    a, b, c = term_sizes
    error = ROUNDING_SLACK * _MACHINE_EPS * (a * radius**2 + 2 * b * radius + c)
    direct = np.flatnonzero(~(error <= EXPANDED_FORM_ERROR))
    return Kernel(
        covariance_type, form, centre, d, nq, weights_t, shifted, prec_chol, log_const, direct,
        term_sizes,
    )  # fmt: skip


def kernel_for(mixture, data: BlockData) -> Kernel:
    """:func:`make_kernel` for ``mixture`` on prepared data."""
    return make_kernel(mixture, data.centre, data.radius)


# ---------------------------------------------------------------------------------------------
# One block: log-probabilities, responsibilities, statistics


class _RowFeatures:
    """The expanded features of a block of wide diag or spherical rows, kept as rows.

    ``z`` (n, D) are the centred rows, ``q`` their squares (n, D) for diag or their squared
    lengths (n,) for spherical: both filled without transposing the block (the (P, n)
    features' transposition costs more than the products at D in the hundreds), read by
    the products as they are.
    """

    __slots__ = ("q", "z")

    def __init__(self, z: np.ndarray, q: np.ndarray):
        self.z, self.q = z, q

    def times(self, weights_t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``weights_t @ F``: (K, P) by the (P, n) features, into ``out`` (K, n)."""
        nq, d = weights_t.shape[1] - self.z.shape[1] - 1, self.z.shape[1]
        np.dot(weights_t[:, nq : nq + d], self.z.T, out=out)
        if self.q.ndim == 1:
            out += weights_t[:, :1] * self.q
        else:
            out += np.dot(weights_t[:, :nq], self.q.T)
        out += weights_t[:, -1:]
        return out

    def sums(self, R: np.ndarray, out: np.ndarray) -> None:
        """``R @ Fᵀ``: the (K, P) sums of the responsibilities ``R`` (K, n) times the features."""
        d = self.z.shape[1]
        nq = out.shape[1] - d - 1
        out[:, :nq] = np.dot(R, self.q).reshape(len(R), nq)
        out[:, nq : nq + d] = np.dot(R, self.z)
        out[:, -1] = R.sum(axis=1)


#: From this D on, diag and spherical blocks keep their features as rows (:class:`_RowFeatures`):
#: measured alike at D=100, 1.3x faster at D=500.
_ROW_FEATURES_MIN_D = 128


def _row_features(kernel: Kernel) -> bool:
    return (
        kernel.form == "expanded"
        and kernel.covariance_type in ("diag", "spherical")
        and kernel.n_features >= _ROW_FEATURES_MIN_D
    )


class _Workspace:
    """Per-thread buffers for the features and the (K, rows) log-probabilities of a block."""

    def __init__(self, kernel: Kernel, rows: int):
        self.kernel = kernel
        #: Rows centred on the origin are used as they are (see :func:`_centre_of`).
        self.at_origin = not kernel.centre.any()
        self.by_rows = _row_features(kernel)
        if self.by_rows:
            d = kernel.n_features
            self.rows = None if self.at_origin else np.empty((rows, d))
            self.squares = np.empty((rows, d) if kernel.covariance_type == "diag" else rows)
        elif kernel.form == "expanded":
            # (P, n) for a block of n rows, contiguous whatever n (np.dot copies a strided
            # operand); the constant row is refilled when n changes.
            self.features = np.empty(kernel.n_columns * rows)
            self.ones_for = 0
        self.log_prob = np.empty(kernel.n_components * rows)

    def centred(self, X_block: np.ndarray) -> np.ndarray:
        """The block's rows about the centre: (P, n) features or :class:`_RowFeatures`
        (expanded), or (n, D) rows (direct)."""
        kernel = self.kernel
        if kernel.form == "direct":
            return X_block if self.at_origin else X_block - kernel.centre
        n, d = X_block.shape
        if self.by_rows:
            z = (
                X_block
                if self.at_origin
                else np.subtract(X_block, kernel.centre, out=self.rows[:n])
            )
            if kernel.covariance_type == "diag":
                q = np.multiply(z, z, out=self.squares[:n])
            else:
                q = np.einsum("ij,ij->i", z, z, out=self.squares[:n])
            return _RowFeatures(z, q)
        nq = kernel.n_quadratic
        F = self.features[: kernel.n_columns * n].reshape(kernel.n_columns, n)
        if self.ones_for != n:
            F[-1] = 1.0
            self.ones_for = n
        z = F[nq : nq + d]
        # A transposing copy, then the subtraction in place: numpy's copy walks a transposed
        # source in cache-sized tiles, a ufunc reading it does not (measured 1.7x faster).
        z[...] = X_block.T
        if not self.at_origin:
            z -= kernel.centre[:, np.newaxis]
        if is_full_form(kernel.covariance_type):
            at = 0
            for i in range(d):
                np.multiply(z[i], z[i:], out=F[at : at + d - i])
                at += d - i
        elif kernel.covariance_type == "diag":
            np.multiply(z, z, out=F[:nq])
        else:
            np.einsum("ij,ij->j", z, z, out=F[0])
        return F

    def log_prob_of(self, F: np.ndarray) -> np.ndarray:
        """``log w_k + log N(x | k)`` for the rows of a block, shape (K, n)."""
        kernel = self.kernel
        if kernel.form == "direct":
            n = F.shape[0]
            L = self.log_prob[: kernel.n_components * n].reshape(kernel.n_components, n)
            _direct_log_prob(kernel, F, L)
            return L
        if self.by_rows:
            n = len(F.z)
            L = self.log_prob[: kernel.n_components * n].reshape(kernel.n_components, n)
            F.times(kernel.weights_t, L)
            if len(kernel.direct):
                squared = F.q if kernel.covariance_type == "spherical" else None
                _correct_imprecise_terms(kernel, F.z, L, squared)
            return L
        n = F.shape[1]
        L = self.log_prob[: kernel.n_components * n].reshape(kernel.n_components, n)
        np.dot(kernel.weights_t, F, out=L)
        if len(kernel.direct):
            d, nq = kernel.n_features, kernel.n_quadratic
            squared = F[0] if kernel.covariance_type == "spherical" else None
            _correct_imprecise_terms(kernel, F[nq : nq + d].T, L, squared)
        return L


def _correct_imprecise_terms(
    kernel: Kernel, z: np.ndarray, L: np.ndarray, squared: np.ndarray | None = None
) -> None:
    """Recompute in the direct form the expanded log-densities that matter and may be imprecise.

    Only the components in ``kernel.direct`` can carry more than EXPANDED_FORM_ERROR of
    rounding, and only at rows far from the centre: the expanded value of row z for component
    k sums terms of magnitude at most ``a_k|z|² + 2 b_k|z| + c_k`` (``kernel.term_sizes``), so
    its rounding error is at most ROUNDING_SLACK·eps times that. A term that may be imprecise
    is recomputed when, even with that error, it could be within e^-40 of its row's largest
    (about one row per component near convergence); the others' responsibilities are below
    e^-41 either way, as the negligible terms of :func:`_exp_of_live_terms`. ``squared``
    holds the rows' |z|² when the caller has them.
    """
    ks = kernel.direct
    if squared is None:
        squared = np.einsum("ij,ij->i", z, z)
    a, b, c = kernel.term_sizes[:, ks]
    bound = (ROUNDING_SLACK * _MACHINE_EPS) * (
        a[:, np.newaxis] * squared + (2 * b)[:, np.newaxis] * np.sqrt(squared) + c[:, np.newaxis]
    )
    low = L.copy()
    low[ks] -= bound
    floor = low.max(axis=0) + (NEGLIGIBLE_LOG_RESPONSIBILITY - 1.0)
    redo = (bound > EXPANDED_FORM_ERROR) & (L[ks] + bound >= floor)
    for j, k in enumerate(ks):
        rows = np.flatnonzero(redo[j])
        if len(rows) == len(z):
            L[k] = kernel.log_const[k] - 0.5 * _direct_maha(kernel, k, z)
        elif len(rows):
            L[k, rows] = kernel.log_const[k] - 0.5 * _direct_maha(kernel, k, z[rows])


#: Below this D a plain product is as fast as the triangular one (and needs no copy).
_TRIANGULAR_PRODUCT_MIN_D = 16


def _times_triangular(z: np.ndarray, upper: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """``z @ upper`` for an upper-triangular ``upper``: half the multiply-adds of a product.

    ``overwrite``: the product may take the place of ``z`` (C-ordered).
    """
    if z.shape[1] < _TRIANGULAR_PRODUCT_MIN_D:
        return z @ upper
    # BLAS sees the C-ordered (n, D) rows as a column-major (D, n) matrix: yᵀ = upperᵀ zᵀ.
    return blas.dtrmm(1.0, upper.T, z.T, side=0, lower=1, overwrite_b=overwrite).T


def _direct_maha(kernel: Kernel, k: int, z: np.ndarray, out: np.ndarray | None = None):
    """Squared Mahalanobis distance of centred rows ``z`` (n, D) to component k, direct form.

    ``out`` (n, D), optional, holds the rows' differences from the mean (full: and their
    product with the precision factor, in place).
    """
    covariance_type = kernel.covariance_type
    if covariance_type == "full":
        y = np.subtract(z, kernel.shifted_means[k], out=out)
        y = _times_triangular(y, kernel.prec_chol[k], overwrite=True)
    elif covariance_type == "tied":
        y = _times_triangular(z, kernel.prec_chol)
        y -= kernel.shifted_means[k] @ kernel.prec_chol
    else:
        y = np.subtract(z, kernel.shifted_means[k], out=out)
        y *= kernel.prec_chol[k]
    return np.einsum("ij,ij->i", y, y)


def _direct_log_prob(kernel: Kernel, z: np.ndarray, L: np.ndarray) -> None:
    """The direct form for every component of a block of centred rows ``z`` (n, D)."""
    if kernel.covariance_type == "tied":
        # One product for all components: (z - m_k) L = zL - m_k L.
        zl = _times_triangular(z, kernel.prec_chol)
        offsets = kernel.shifted_means @ kernel.prec_chol
        y = np.empty_like(zl)
        for k in range(kernel.n_components):
            np.subtract(zl, offsets[k], out=y)
            L[k] = np.einsum("ij,ij->i", y, y)
    else:
        y = np.empty_like(z)
        for k in range(kernel.n_components):
            L[k] = _direct_maha(kernel, k, z, y)
    L *= -0.5
    L += kernel.log_const[:, np.newaxis]


def normalise(L: np.ndarray) -> np.ndarray:
    """Turn log-probabilities (K, n) into responsibilities in place; return log Σ_k exp."""
    # Each row is shifted so its largest term is 1, not 0: glibc's scalar exp and log (numpy's
    # without AVX-512) take slower paths for an argument of exactly 0 and for a total just
    # above 1 (measured 10-20% of a pass at K=5-8), and exp(1 + x) / Σ is the same ratio.
    top = L.max(axis=0)
    top -= _TOP_TERM
    L -= top
    if not _exp_of_live_terms(L):
        np.maximum(L, _LOG_FLOOR, out=L)
        np.exp(L, out=L)
    total = L.sum(axis=0)
    L *= 1.0 / total
    log_norm = np.log(total)
    log_norm += top
    return log_norm


def _exp_of_live_terms(L: np.ndarray) -> bool:
    """exp of the terms within e^-40 of their row's largest, zero for the others, in place.

    Done (and True returned) only where it pays: a scalar exp and few live terms.
    """
    # Every row has a live term (its largest): with K ≤ 1 / _SKIP_EXP_BELOW components at
    # least that fraction of the terms is live, and skipping could never pay.
    if L.shape[0] * _SKIP_EXP_BELOW <= 1.0:
        return False
    live = L >= NEGLIGIBLE_LOG_RESPONSIBILITY + _TOP_TERM
    if np.count_nonzero(live) >= _SKIP_EXP_BELOW * L.size:
        return False
    flat = L.reshape(-1)
    at = np.flatnonzero(live)
    values = flat[at]
    np.exp(values, out=values)
    flat.fill(0.0)
    flat[at] = values
    return True


# ---------------------------------------------------------------------------------------------
# Statistics: what a pass gathers; they add up over chunks in any order


@dataclass
class Statistics:
    """Sufficient statistics of a mixture's E-step over some rows, all float64.

    ``z`` is a row minus the kernel's centre, ``w`` its weight (1 without weights), ``r_k`` its
    responsibility for component k, and ``y = z - offsets[k]``: each component's sums are taken
    about its own reference point (zero in the expanded form; the component's current mean in
    the direct form, which keeps the one-pass scatter precise however far the component sits
    from the centre).

    Attributes
    ----------
    counts : ndarray (K,)
        Σ w·r_k.
    linear : ndarray (K, D)
        Σ w·r_k·y.
    quadratic : ndarray
        Σ w·r_k·y yᵀ: (K, D, D) for full; (D, D) summed over the components for tied (all
        the M-step needs); the diagonals Σ w·r_k·y² (K, D) for diag; their sums
        Σ w·r_k·|y|² (K,) for spherical.
    log_likelihood : float
        Σ w·log p(x).
    total_weight : float
        Σ w.
    n_rows : int
    scatter : dict
        Only from a second pass (:func:`gather_scatter`): component -> Σ w·r_k (z - m)(z - m)ᵀ
        about the mean asked for ((D, D) for full/tied, the diagonal for diag, the trace
        for spherical).
    """

    counts: np.ndarray
    linear: np.ndarray
    quadratic: np.ndarray
    log_likelihood: float
    total_weight: float
    n_rows: int
    offsets: np.ndarray
    scatter: dict = field(default_factory=dict)

    def __add__(self, other: Statistics) -> Statistics:
        if not np.array_equal(self.offsets, other.offsets):
            raise ValueError("statistics from different kernels cannot be added")
        scatter = dict(self.scatter)
        for c, value in other.scatter.items():
            scatter[c] = scatter[c] + value if c in scatter else value
        return Statistics(
            self.counts + other.counts,
            self.linear + other.linear,
            self.quadratic + other.quadratic,
            self.log_likelihood + other.log_likelihood,
            self.total_weight + other.total_weight,
            self.n_rows + other.n_rows,
            self.offsets,
            scatter,
        )


class _Accumulator:
    """One thread's running sums over the blocks it visits."""

    def __init__(self, kernel: Kernel, rows: int):
        k, d = kernel.n_components, kernel.n_features
        self.kernel = kernel
        self.work = _Workspace(kernel, rows)
        if kernel.form == "direct":
            self.counts = np.zeros(k)
            self.linear = np.zeros((k, d))
            shape = {"full": (k, d, d), "tied": (d, d), "spherical": (k,)}.get(
                kernel.covariance_type, (k, d)
            )
            self.quadratic = np.zeros(shape)

    def add_block(self, X_block, w, start: int, sums_out, observer=None) -> float:
        """Add a block's statistics; return its log-likelihood.

        In the expanded form the block's sums go to ``sums_out`` (one slot per block, added
        in block order later, so threads never change the rounding). ``observer``: see
        :attr:`BlockData.observer`.
        """
        kernel = self.kernel
        F = self.work.centred(X_block)
        R = self.work.log_prob_of(F)
        log_norm = normalise(R)
        if observer is not None:
            observer(start, start + len(X_block), R)
        if w is None:
            total = float(log_norm.sum())
        else:
            total = float(log_norm @ w)
            R *= w
        if kernel.form == "expanded":
            if self.work.by_rows:
                F.sums(R, sums_out)
            else:
                np.dot(R, F.T, out=sums_out)
            return total
        self.counts += R.sum(axis=1)
        if kernel.covariance_type == "tied":
            # Tied sums over components need no responsibilities: Σ w·z zᵀ about the centre,
            # a rank update into one triangle as for full.
            self.linear += R @ F
            rows = F if w is None else F * np.sqrt(w)[:, np.newaxis]
            blas.dsyrk(1.0, rows.T, beta=1.0, c=self.quadratic.T, overwrite_c=1)
            return total
        y = np.empty_like(F)
        full = kernel.covariance_type == "full"
        for k in range(kernel.n_components):
            np.subtract(F, kernel.shifted_means[k], out=y)
            self.linear[k] += R[k] @ y
            if full:
                # Σ r y yᵀ = (√r y)ᵀ(√r y): a symmetric rank-n update, half a product's work,
                # into one triangle (BLAS sees the C-ordered (D, D) sums transposed).
                y *= np.sqrt(R[k])[:, np.newaxis]
                blas.dsyrk(1.0, y.T, beta=1.0, c=self.quadratic[k].T, overwrite_c=1)
            elif kernel.covariance_type == "diag":
                self.quadratic[k] += (y * y).T @ R[k]
            else:
                self.quadratic[k] += R[k] @ np.einsum("ij,ij->i", y, y)
        return total

    def sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(counts, linear, quadratic) of the direct form."""
        quadratic = self.quadratic
        if is_full_form(self.kernel.covariance_type):
            for matrix in quadratic.reshape(-1, *quadratic.shape[-2:]):
                _fill_upper_triangle(matrix)
        return self.counts, self.linear, quadratic


def _fill_upper_triangle(matrix: np.ndarray) -> None:
    """Copy the lower triangle of a C-ordered (D, D) matrix into its upper one, in place: what
    a rank update (``dsyrk`` on the matrix seen transposed) leaves out."""
    rows, cols = upper_pairs(len(matrix))
    matrix[rows, cols] = matrix[cols, rows]


def _unpack_quadratic(packed: np.ndarray, covariance_type: str, d: int) -> np.ndarray:
    if covariance_type == "spherical":
        return packed[:, 0].copy()
    if not is_full_form(covariance_type):
        return packed.copy()
    rows, cols = upper_pairs(d)
    full = np.empty((len(packed), d, d))
    full[:, rows, cols] = packed
    full[:, cols, rows] = packed
    return full.sum(axis=0) if covariance_type == "tied" else full


def chunk_statistics(X_chunk, kernel: Kernel, sample_weight=None) -> Statistics:
    """The statistics of one chunk of rows: a pure function of (chunk, kernel, weights).

    Parameters
    ----------
    X_chunk : ndarray, shape (n, D)
    kernel : Kernel
        From :func:`make_kernel` with the centre and radius of the whole data set (any point
        near the data serves as centre, but every chunk must use the same kernel).
    sample_weight : ndarray, shape (n,), optional

    Returns
    -------
    Statistics
        Small float64 sums; ``a + b`` combines chunks in any order and tree shape.
    """
    data = BlockData(X_chunk, sample_weight)
    return gather(data, kernel, n_workers=1)


def gather(data: BlockData, kernel: Kernel, *, n_workers: int | None = None) -> Statistics:
    """One pass over the data: its log-likelihood and statistics.

    Blocks may run in several threads (``n_workers``, default :meth:`Kernel.n_workers`); the
    per-block log-likelihoods are summed in block order and each thread's statistics in
    thread order, so the result does not depend on which thread did which block.
    """
    block = kernel.block_rows(data.n_samples)
    n_blocks = -(-data.n_samples // block)
    totals = np.zeros(n_blocks)
    expanded = kernel.form == "expanded"
    sums = np.zeros((n_blocks, kernel.n_components, kernel.n_columns)) if expanded else None
    X = data.X

    def visit(acc: _Accumulator, index: int, a: int, b: int):
        out = sums[index] if expanded else None
        totals[index] = acc.add_block(X[a:b], data.weights_of(a, b), a, out, data.observer)

    if n_workers is None:
        n_workers = kernel.n_workers(data)
    rows = min(block, data.n_samples)
    with kernel.blas_threads(data.n_samples):
        states = _run_blocks(
            data.n_samples, block, n_workers, lambda: _Accumulator(kernel, rows), visit
        )
    d, nq = kernel.n_features, kernel.n_quadratic
    if expanded:
        total_sums = sums.sum(axis=0)
        counts = total_sums[:, -1].copy()
        linear = total_sums[:, nq : nq + d].copy()
        quadratic = _unpack_quadratic(total_sums[:, :nq], kernel.covariance_type, d)
    else:
        counts, linear, quadratic = states[0].sums()
    return Statistics(
        counts, linear, quadratic, float(totals.sum()), data.total_weight, data.n_samples,
        _statistics_offsets(kernel),
    )  # fmt: skip


def _statistics_offsets(kernel: Kernel) -> np.ndarray:
    """The reference point of each component's sums (see :class:`Statistics`), (K, D)."""
    if kernel.form == "direct" and kernel.covariance_type != "tied":
        return kernel.shifted_means
    return np.zeros_like(kernel.shifted_means)


def scatter_request(stats: Statistics, covariance_type: str, reg_covar: float) -> dict:
    """Components whose one-pass scatter may carry more than EXPANDED_FORM_ERROR of rounding.

    The one-pass scatter subtracts n·m mᵀ from Σr·y yᵀ; its rounding error beyond that of a
    direct sum about the mean grows with |m|² / λ_min(C), m the component's new mean about its
    reference point. Returns
    component -> new mean about the centre, for :func:`gather_scatter` (every component for
    tied, whose statistics hold only the sum over components).
    """
    raw_counts = stats.counts
    nk = raw_counts + _EMPTY_EPS
    shifted = stats.linear / nk[:, np.newaxis]  # the new means about the reference points
    live = raw_counts >= EMPTY_COMPONENT
    slack = ROUNDING_SLACK * _MACHINE_EPS
    full_form = is_full_form(covariance_type)
    # Σ w·r·y yᵀ carries rounding of eps·n·(|m|² + tr C); a second pass about the mean
    # removes only the |m|² part, so that part alone decides.
    if full_form:
        size = np.sum(shifted**2, axis=1)
    elif covariance_type == "diag":
        size = np.max(shifted**2, axis=1)
    else:  # the spherical variance averages D one-pass variances
        size = np.mean(shifted**2, axis=1)
    # The scatter's rounding is below eps·slack·|m|²; where that is below EXPANDED_FORM_ERROR
    # times reg_covar, reg_covar alone bounds the smallest eigenvalue well enough (to 1e-8
    # of itself), and only the other components need their eigenvalues.
    unsure = np.flatnonzero(live & ~(slack * size <= EXPANDED_FORM_ERROR * reg_covar * 0.999))
    smallest = np.full(len(nk), reg_covar)
    if covariance_type == "full":
        # A few at a time: at large K·D² a copy of every scatter would dominate the memory.
        d = stats.linear.shape[1]
        step = max(1, (1 << 20) // (d * d))
        for at in range(0, len(unsure), step):
            some = unsure[at : at + step]
            scatter = one_pass_scatter(stats, covariance_type, components=some)[0]
            scatter /= nk[some, np.newaxis, np.newaxis]
            smallest[some] = np.linalg.eigvalsh(scatter)[:, 0] + reg_covar
    elif covariance_type == "tied":
        if len(unsure):
            scatter = one_pass_scatter(stats, covariance_type)[0]
            smallest[:] = np.linalg.eigvalsh(scatter / nk.sum())[0] + reg_covar
    elif len(unsure):
        smallest = np.min(one_pass_scatter(stats, covariance_type)[1], axis=1) + reg_covar
    positive = smallest > 0
    error = slack * size / np.where(positive, smallest, 1.0)
    redo = np.flatnonzero(live & ~((error <= EXPANDED_FORM_ERROR) & positive))
    if covariance_type == "tied" and len(redo):
        redo = np.arange(len(nk))
    return {int(c): stats.offsets[c] + shifted[c] for c in redo}


#: Mirrors :data:`gmm_studio.core.em.EMPTY_COMPONENT` and the M-step's 10·eps on the counts.
EMPTY_COMPONENT = 1e-8
_EMPTY_EPS = 10 * _MACHINE_EPS


def one_pass_scatter(
    stats: Statistics,
    covariance_type: str,
    about: np.ndarray | None = None,
    components=None,
    overwrite: bool = False,
):
    """Scatter about the new means (or about the centred points ``about``, (K, D)) from the sums.

    Returns ``(scatter, diag)``: Σ w·r (z - m)(z - m)ᵀ per component (K, D, D) for full, summed
    over components (D, D) for tied, else None; the weighted variances (K, D) for diag, their
    mean over the features (K, 1) for spherical, else None. ``m`` is each component's mean, or its row of ``about`` when given
    (the M-step takes the scatter about a locked mean). The sums are about each component's
    reference point (``stats.offsets``): Σ w·r·y yᵀ - n·m mᵀ with y and m relative to it.
    ``components`` (full only) picks the components to compute, in that order.
    ``overwrite`` (full and tied) computes the scatters in the place of ``stats.quadratic``
    (full: a few components at a time): no second (K, D, D) or (D, D) array.
    """
    raw, linear, quadratic, offsets = stats.counts, stats.linear, stats.quadratic, stats.offsets
    if components is not None:
        raw, linear, quadratic = raw[components], linear[components], quadratic[components]
        offsets = offsets[components]
        about = None if about is None else about[components]
    nk = raw + _EMPTY_EPS
    m = linear / nk[:, np.newaxis] if about is None else about - offsets
    if covariance_type in ("full", "tied"):
        # Σ r (y - m)(y - m)ᵀ = Q - l mᵀ - m (l - n m)ᵀ: a product of (D, 2) by (2, D) per
        # component, or of (D, 2K) by (2K, D) summed over the components for tied.
        left = np.concatenate([linear, m], axis=1).reshape(len(m), 2, -1)
        right = np.concatenate([m, linear - raw[:, np.newaxis] * m], axis=1).reshape(len(m), 2, -1)
        if covariance_type == "tied":
            d = m.shape[1]
            product = left.reshape(-1, d).T @ right.reshape(-1, d)
            if overwrite:
                quadratic -= product
                return quadratic, None
            return np.subtract(quadratic, product, out=product), None
        if overwrite:
            step = max(1, (1 << 16) // max(1, m.shape[1] ** 2))
            for at in range(0, len(m), step):
                part = slice(at, at + step)
                quadratic[part] -= np.matmul(np.swapaxes(left[part], 1, 2), right[part])
            return quadratic, None
        out = np.matmul(np.swapaxes(left, 1, 2), right)
        return np.subtract(quadratic, out, out=out), None
    if covariance_type == "spherical":
        d = m.shape[1]
        total = quadratic - 2.0 * np.sum(m * linear, axis=1) + raw * np.sum(m**2, axis=1)
        return None, (total / (d * nk))[:, np.newaxis]
    diag = (quadratic - 2.0 * m * linear + raw[:, np.newaxis] * m**2) / nk[:, np.newaxis]
    return None, diag


#: The expanded form's second pass keeps one scatter per group of consecutive blocks (the
#: groups are shared by the threads, each summed in block order): at most this many groups.
_SCATTER_GROUPS = 8


def gather_scatter(data: BlockData, kernel: Kernel, about: dict) -> dict:
    """Second pass: Σ w·r_c (z - m_c)(z - m_c)ᵀ for the components ``about`` (c -> centred m).

    Full and tied give (D, D) matrices, diag the diagonals (D,), spherical their sums (the
    traces). The blocks are
    summed in order within fixed groups of blocks (one group in the direct form, which runs
    on one thread), and the groups in order: the result does not depend on the threads, and
    the memory is a few scatters per component, whatever N.
    """
    block = kernel.block_rows(data.n_samples)
    n_blocks = -(-data.n_samples // block)
    n_groups = 1 if kernel.form == "direct" else min(n_blocks, _SCATTER_GROUPS)
    group_rows = block * -(-n_blocks // n_groups)
    parts = [None] * -(-data.n_samples // group_rows)
    full_form = is_full_form(kernel.covariance_type)
    d = kernel.n_features

    def visit(work: _Workspace, index: int, start: int, stop: int):
        part = {}
        for a in range(start, stop, block):
            b = min(a + block, stop)
            F = work.centred(data.X[a:b])
            R = work.log_prob_of(F)
            normalise(R)
            w = data.weights_of(a, b)
            if w is not None:
                R *= w
            if kernel.form == "direct":
                z = F
            else:
                z = F.z if work.by_rows else F[kernel.n_quadratic : -1].T
            for c, mean in about.items():
                diff = z - mean
                if full_form:  # a rank update into one triangle, as in the first pass
                    diff *= np.sqrt(R[c])[:, np.newaxis]
                    if c not in part:
                        part[c] = np.zeros((d, d))
                    blas.dsyrk(1.0, diff.T, beta=1.0, c=part[c].T, overwrite_c=1)
                    continue
                if kernel.covariance_type == "diag":
                    value = np.multiply(diff, diff, out=diff).T @ R[c]
                else:
                    value = R[c] @ np.einsum("ij,ij->i", diff, diff)
                if c in part:
                    part[c] += value
                else:
                    part[c] = value
        parts[index] = part

    rows = min(block, data.n_samples)
    with kernel.blas_threads(data.n_samples):
        _run_blocks(
            data.n_samples, group_rows, kernel.n_workers(data), lambda: _Workspace(kernel, rows),
            visit,
        )  # fmt: skip
    totals = {}
    for c in about:  # in group order, in place: no more than one scatter per component
        totals[c] = parts[0][c]
        for part in parts[1:]:
            totals[c] += part[c]
        if full_form:
            _fill_upper_triangle(totals[c])
    return totals


def total_log_likelihood(data: BlockData, mixture) -> float:
    """Total (weighted) log-likelihood of the data under ``mixture``, block by block.

    Bit for bit the total an EM pass over the same data reports for the same mixture (same
    kernel, same blocks, summed in block order), without any N×K matrix.
    """
    kernel = kernel_for(mixture, data)
    block = kernel.block_rows(data.n_samples)
    totals = np.zeros(-(-data.n_samples // block))

    def visit(work: _Workspace, index: int, a: int, b: int):
        log_norm = normalise(work.log_prob_of(work.centred(data.X[a:b])))
        w = data.weights_of(a, b)
        totals[index] = float(log_norm.sum()) if w is None else float(log_norm @ w)

    rows = min(block, data.n_samples)
    with kernel.blas_threads(data.n_samples):
        _run_blocks(
            data.n_samples, block, kernel.n_workers(data), lambda: _Workspace(kernel, rows), visit
        )
    return float(totals.sum())


@dataclass
class WorstRows:
    """The rows of positive weight a mixture explains least well, worst first.

    A row of weight w counts as ⌈w⌉ rows (as many entries as copies of it would get), and ties
    go to the lower row number, so integer weights find what repeated rows would.

    Attributes
    ----------
    log_densities : ndarray (m,)
        log p(x) of each entry, ascending.
    rows : ndarray of int (m,)
        Their row numbers in the whole data.
    points : ndarray (m, D)
        Their values.
    count : int
        At most this many entries are kept (fewer only when fewer rows carry weight).
    """

    log_densities: np.ndarray
    rows: np.ndarray
    points: np.ndarray
    count: int

    def __add__(self, other: WorstRows) -> WorstRows:
        """The worst of both (from disjoint rows, as chunks of one data set)."""
        values = np.concatenate([self.log_densities, other.log_densities])
        rows = np.concatenate([self.rows, other.rows])
        order = np.lexsort((rows, values))[: self.count]
        points = np.concatenate([self.points, other.points])[order]
        return WorstRows(values[order], rows[order], points, self.count)


def worst_rows(data: BlockData, kernel: Kernel, count: int, *, first_row: int = 0) -> WorstRows:
    """A pass of its own for the ``count`` rows the kernel's mixture explains least well.

    EM re-seeds an emptied component at such a row, which is rare: the rows are looked for
    only then, not in every pass. ``first_row`` is the row number of the data's first row
    (a chunk of a larger data set).
    """
    block = kernel.block_rows(data.n_samples)
    found = [None] * -(-data.n_samples // block)

    def visit(work: _Workspace, index: int, a: int, b: int):
        log_norm = normalise(work.log_prob_of(work.centred(data.X[a:b])))
        w = data.weights_of(a, b)
        ranked = log_norm if w is None else np.where(w > 0, log_norm, np.inf)
        # Every row up to the count-th smallest value, ties included (the lower rows win).
        m = min(count, b - a)
        kth = np.partition(ranked, m - 1)[m - 1]
        pick = np.flatnonzero((ranked <= kth) & np.isfinite(ranked))
        if w is not None:
            pick = np.repeat(pick, np.minimum(np.ceil(w[pick]), count).astype(np.intp))
        points = np.array(data.X[pick + a], dtype=float, ndmin=2)
        found[index] = WorstRows(ranked[pick], pick + a + first_row, points, count)

    rows = min(block, data.n_samples)
    with kernel.blas_threads(data.n_samples):
        _run_blocks(
            data.n_samples, block, kernel.n_workers(data), lambda: _Workspace(kernel, rows), visit
        )
    none = WorstRows(np.empty(0), np.empty(0, dtype=np.intp), np.empty((0, data.n_features)), count)
    return functools.reduce(operator.add, found, none)  # every block sorted and cut by +


def for_each_block(data: BlockData, kernel: Kernel, visit) -> None:
    """Call ``visit(start, stop, responsibilities)`` for every block of rows, in threads.

    ``responsibilities`` is the (K, n) matrix of the block's rows ``start:stop``. Blocks are
    disjoint row ranges, so ``visit`` may write its results into slices of shared output
    arrays; it must copy anything else it keeps, the buffers are reused.
    """
    block = kernel.block_rows(data.n_samples)

    def visit_block(work: _Workspace, index: int, a: int, b: int):
        R = work.log_prob_of(work.centred(data.X[a:b]))
        normalise(R)
        visit(a, b, R)

    rows = min(block, data.n_samples)
    with kernel.blas_threads(data.n_samples):
        _run_blocks(
            data.n_samples,
            block,
            kernel.n_workers(data),
            lambda: _Workspace(kernel, rows),
            visit_block,
        )
