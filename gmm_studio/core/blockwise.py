"""The block-wise EM kernel: one pass over the data per iteration, no N×K matrix kept.

The data are read in blocks of a few thousand rows, centred on the data mean. For each block
the quadratic form of every component is linear in the features
``[z_i z_j (i ≤ j) ..., z_1 ... z_D, 1]`` of the centred rows ``z``, so the E-step of a block is
ONE matrix product, and the sufficient statistics of the M-step (Σr, Σr·z, Σr·z zᵀ, all in
float64) are ONE more. Every product is kept small enough that OpenBLAS runs it on the calling
thread only, so the engine uses at most :func:`thread_count` cores (1 unless
:func:`set_thread_count` says otherwise; its note says why).

The expanded quadratic form loses precision when data sit far from a component's mean in units
of its spread (it subtracts large, nearly equal numbers). Centring removes the common offset
(means around 1e6, spreads around 1e-3 are no problem); for a component where the rounding
error could still exceed :data:`EXPANDED_FORM_ERROR`, that component's densities are computed
in the direct form ``|(z - mu) L|²``, and its scatter is recomputed about its new mean in a
second pass. The first check bounds the rounding error before the pass, the second after it
from the statistics themselves, so the fast path stays within rounding noise of the reference
implementation (:func:`gmm_studio.core.reference.reference_em_pass`).
"""

from __future__ import annotations

import functools
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gmm_studio.core import covariance as cov

_LOG_2PI = np.log(2.0 * np.pi)
_MACHINE_EPS = np.finfo(float).eps
_LOG_FLOOR = -600.0

#: Largest rounding error (in units of log-density) tolerated from the expanded quadratic form
#: or from the one-pass scatter; beyond it the direct form is used for that component.
EXPANDED_FORM_ERROR = 1e-8

#: Rounding of a float64 product or sum of a few dozen terms stays within this many units of
#: its largest term's last place (a generous bound; random-walk rounding is far smaller).
ROUNDING_SLACK = 16

#: OpenBLAS hands a matrix product to its own threads above about 4·65536 multiply-adds; the
#: blocks stay below that, so each product runs on the thread that asked for it.
_SINGLE_THREAD_PRODUCT = 4 * 65536
_MIN_BLOCK_ROWS = 256
_MAX_BLOCK_ROWS = 8192
#: Below this many rows per thread, starting threads costs more than it saves.
_MIN_ROWS_PER_THREAD = 32_768

_thread_count = 1
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def thread_count() -> int:
    """How many threads a pass over the data may use (default 1)."""
    return _thread_count


def set_thread_count(n: int) -> None:
    """Let a pass over the data use up to ``n`` threads (blocks go to whichever is free).

    Notes
    -----
    The default is one thread. Each block operation takes a few microseconds, and at that size
    two Python threads spend what they gain on handing the GIL back and forth: on the 2-core
    development machine a pass at N=1,000,000, K=8, D=2 took 31 ms on one thread and 32-35 ms
    on two (blocks of 16k rows: the same; 32k rows and more: slower, as OpenBLAS then starts
    threads of its own). One thread also leaves a core to the GUI.
    """
    global _thread_count
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"thread count must be a whole number ≥ 1, not {n!r}")
    _thread_count = int(n)


def _executor(n: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="gmm-studio-em")
            _pool_size = n
        return _pool


class BlockData:
    """Data prepared once for many passes: the centre, the spread and the reach of the rows.

    Parameters
    ----------
    X : ndarray, shape (N, D)
        Finite float data (not copied; C-contiguous float64 is used as is).
    """

    def __init__(self, X: np.ndarray):
        X = np.ascontiguousarray(X, dtype=float)
        self.X = X
        self.n_samples, self.n_features = X.shape
        # Any point near the data will do as the centre (every formula is exact in it): the
        # mean of at most 4096 evenly spaced rows is quick and the same on every call.
        self.centre = X[:: max(1, self.n_samples // 4096)].mean(axis=0)
        sum_sq = np.zeros(self.n_features)
        reach = np.zeros(self.n_features)
        for start in range(0, self.n_samples, _MAX_BLOCK_ROWS):
            # C order: the (D, n) block's reductions then run along contiguous rows.
            z = np.subtract(
                X[start : start + _MAX_BLOCK_ROWS].T, self.centre[:, np.newaxis], order="C"
            )
            np.maximum(reach, np.abs(z).max(axis=1), out=reach)
            z *= z
            sum_sq += z.sum(axis=1)
        #: Per-feature variance (ddof=0) about the centre, as ``np.var(X, axis=0)``.
        self.variance = sum_sq / self.n_samples
        #: An upper bound on the distance of any row from the centre.
        self.radius = float(np.sqrt(np.sum(reach**2)))

    def n_workers(self, block_rows: int) -> int:
        """How many threads share a pass over blocks of ``block_rows`` rows."""
        n_blocks = -(-self.n_samples // block_rows)
        return max(1, min(_thread_count, n_blocks, self.n_samples // _MIN_ROWS_PER_THREAD))


def _run_blocks(data: BlockData, block_rows: int, make_state, visit) -> list:
    """Call ``visit(state, index, start, stop)`` for every block, from up to n_workers threads.

    Threads take the next block as they come free (so a busy core slows nobody down), each
    with its own ``state = make_state()``; the calling thread works too. Returns the states.
    Anything order-dependent must be stored per block ``index`` and combined in block order,
    so results never depend on which thread did which block.
    """
    n_blocks = -(-data.n_samples // block_rows)
    counter = itertools.count()

    def work():
        state = make_state()
        for index in iter(counter.__next__, None):
            if index >= n_blocks:
                return state
            start = index * block_rows
            visit(state, index, start, min(start + block_rows, data.n_samples))
        return state  # pragma: no cover  (the counter never ends)

    n_workers = data.n_workers(block_rows)
    if n_workers == 1:
        return [work()]
    pool = _executor(n_workers - 1)
    futures = [pool.submit(work) for _ in range(n_workers - 1)]
    try:
        states = [work()]
    finally:
        states_of_others = [f.result() for f in futures]
    return states + states_of_others


@dataclass
class Kernel:
    """One mixture turned into the matrices the block products need.

    ``weights_t`` (K, P) maps the features of a centred row to ``log w_k + log N(x | k)``.
    ``direct`` lists the components whose densities are computed in the direct form.
    """

    covariance_type: str
    n_features: int
    n_quadratic: int
    weights_t: np.ndarray
    shifted_means: np.ndarray
    prec_chol: np.ndarray
    log_const: np.ndarray
    direct: np.ndarray

    @property
    def n_components(self) -> int:
        return self.weights_t.shape[0]

    @property
    def n_columns(self) -> int:
        return self.weights_t.shape[1]

    def block_rows(self) -> int:
        rows = _SINGLE_THREAD_PRODUCT // (self.n_components * self.n_columns)
        return int(min(_MAX_BLOCK_ROWS, max(_MIN_BLOCK_ROWS, rows)))


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
    """Number of quadratic features for this covariance type."""
    d = n_features
    return d * (d + 1) // 2 if is_full_form(covariance_type) else d


def make_kernel(mixture, centre: np.ndarray, radius: float) -> Kernel:
    """The block-product matrices for ``mixture`` on data centred at ``centre``.

    Raises
    ------
    DegenerateCovarianceError
        If a covariance is not positive definite.
    """
    covariance_type = mixture.covariance_type
    k, d = mixture.means.shape
    prec_chol = mixture.precisions_cholesky()
    shifted = mixture.means - centre
    weights = mixture.weights
    if np.all(weights > 0):
        log_w = np.log(weights)
    else:
        with np.errstate(divide="ignore"):
            log_w = np.log(weights)
    log_const = log_w + cov.log_det_cholesky(prec_chol, covariance_type, d) - 0.5 * d * _LOG_2PI

    nq = n_quadratic(d, covariance_type)
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
        trace = np.trace(precisions, axis1=1, axis2=2)
    else:
        quad = prec_chol**2
        if covariance_type == "spherical":
            quad = np.repeat(quad[:, np.newaxis], d, axis=1)
        p_mu = quad * shifted
        trace = quad.sum(axis=1)
    weights_t[:, :nq] = -0.5 * quad
    weights_t[:, nq : nq + d] = p_mu
    weights_t[:, -1] = log_const - 0.5 * np.sum(shifted * p_mu, axis=1)

    # A-priori bound on the rounding error of the expanded form at any row of the data.
    reach = radius + np.sqrt(np.sum(shifted**2, axis=1))
    error = ROUNDING_SLACK * _MACHINE_EPS * trace * reach**2
    direct = np.flatnonzero(~(error <= EXPANDED_FORM_ERROR))
    return Kernel(covariance_type, d, nq, weights_t, shifted, prec_chol, log_const, direct)


class _Workspace:
    """Per-thread buffers for the features and the (K, rows) log-probabilities of a block."""

    def __init__(self, kernel: Kernel, rows: int):
        self.features = np.empty(kernel.n_columns * rows)
        self.log_prob = np.empty(kernel.n_components * rows)
        self.kernel = kernel

    def features_of(self, X_block: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """Fill and return the (P, n) feature matrix of a block of rows."""
        kernel = self.kernel
        n, d = X_block.shape
        nq = kernel.n_quadratic
        F = self.features[: kernel.n_columns * n].reshape(kernel.n_columns, n)
        z = F[nq : nq + d]
        np.subtract(X_block.T, centre[:, np.newaxis], out=z)
        if is_full_form(kernel.covariance_type):
            at = 0
            for i in range(d):
                np.multiply(z[i], z[i:], out=F[at : at + d - i])
                at += d - i
        else:
            np.multiply(z, z, out=F[:nq])
        F[-1] = 1.0
        return F

    def log_prob_of(self, F: np.ndarray) -> np.ndarray:
        """``log w_k + log N(x | k)`` for the rows of a block, shape (K, n)."""
        kernel = self.kernel
        n = F.shape[1]
        L = self.log_prob[: kernel.n_components * n].reshape(kernel.n_components, n)
        np.matmul(kernel.weights_t, F, out=L)
        if len(kernel.direct):
            d, nq = kernel.n_features, kernel.n_quadratic
            z = F[nq : nq + d]
            for k in kernel.direct:
                L[k] = kernel.log_const[k] - 0.5 * _direct_maha(kernel, k, z)
        return L


def _direct_maha(kernel: Kernel, k: int, z: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of centred rows ``z`` (D, n) to component k, direct form."""
    diff = z - kernel.shifted_means[k][:, np.newaxis]
    covariance_type = kernel.covariance_type
    if covariance_type == "full":
        y = kernel.prec_chol[k].T @ diff
    elif covariance_type == "tied":
        y = kernel.prec_chol.T @ diff
    elif covariance_type == "diag":
        y = diff * kernel.prec_chol[k][:, np.newaxis]
    else:
        y = diff * kernel.prec_chol[k]
    return np.einsum("ij,ij->j", y, y)


def normalise(L: np.ndarray) -> np.ndarray:
    """Turn log-probabilities (K, n) into responsibilities in place; return log Σ_k exp."""
    top = L.max(axis=0)
    L -= top
    # Below e^-600 of the largest, a responsibility changes nothing a float64 sum can hold;
    # flooring there keeps exp and the products away from slow subnormal numbers.
    np.maximum(L, _LOG_FLOOR, out=L)
    np.exp(L, out=L)
    total = L.sum(axis=0)
    L *= 1.0 / total
    log_norm = np.log(total)
    log_norm += top
    return log_norm


@dataclass
class PassStatistics:
    """What one pass over the data gathers.

    ``sums`` is (K, P): per component Σr·features, i.e. Σr·z_i z_j, Σr·z and Σr (last column).
    ``worst_values``/``worst_rows``: the K smallest per-row log-densities and their rows.
    ``scatter``: for the components asked for, Σr (z - m)(z - m)ᵀ about the given centred means
    (D×D for full/tied, the diagonal for diag/spherical).
    """

    total: float
    sums: np.ndarray
    worst_values: np.ndarray
    worst_rows: np.ndarray
    scatter: dict


def _keep_smallest(values, rows, new_values, new_rows, count):
    """The ``count`` smallest values of both sets, ties broken by the lower row."""
    if len(values):
        values = np.concatenate([values, new_values])
        rows = np.concatenate([rows, new_rows])
    else:
        values, rows = new_values, new_rows
    order = np.lexsort((rows, values))[:count]
    return values[order], rows[order]


class _GatherState:
    def __init__(self, kernel: Kernel, rows: int):
        self.work = _Workspace(kernel, rows)
        self.worst_values = np.empty(0)
        self.worst_rows = np.empty(0, dtype=np.intp)


def gather(data: BlockData, kernel: Kernel, scatter_about: dict | None = None) -> PassStatistics:
    """One pass over the data: log-likelihood, sufficient statistics and worst-explained rows.

    Parameters
    ----------
    data : BlockData
    kernel : Kernel
    scatter_about : dict, optional
        Component index -> centred mean; the pass also accumulates that component's scatter
        about that mean directly (the second pass of the two-pass scatter).
    """
    scatter_about = scatter_about or {}
    block = kernel.block_rows()
    n_blocks = -(-data.n_samples // block)
    k = kernel.n_components
    d, nq = kernel.n_features, kernel.n_quadratic
    full_form = is_full_form(kernel.covariance_type)
    totals = np.zeros(n_blocks)
    sums = np.zeros((n_blocks, k, kernel.n_columns))
    scatters = [None] * n_blocks

    def visit(state: _GatherState, index: int, a: int, b: int):
        F = state.work.features_of(data.X[a:b], data.centre)
        R = state.work.log_prob_of(F)
        log_norm = normalise(R)
        totals[index] = log_norm.sum()
        if len(state.worst_values) < k or log_norm.min() < state.worst_values[-1]:
            m = min(k, b - a)
            pick = np.argpartition(log_norm, m - 1)[:m] if m < b - a else np.arange(b - a)
            state.worst_values, state.worst_rows = _keep_smallest(
                state.worst_values, state.worst_rows, log_norm[pick], pick + a, k
            )
        np.matmul(R, F.T, out=sums[index])
        if scatter_about:
            z = F[nq : nq + d]
            scatter = {}
            for c, mean in scatter_about.items():
                diff = z - mean[:, np.newaxis]
                weighted = diff * R[c]
                if full_form:
                    scatter[c] = weighted @ diff.T
                else:
                    scatter[c] = np.einsum("ij,ij->i", weighted, diff)
            scatters[index] = scatter

    states = _run_blocks(
        data, block, lambda: _GatherState(kernel, min(block, data.n_samples)), visit
    )
    worst_values, worst_rows = states[0].worst_values, states[0].worst_rows
    for state in states[1:]:
        worst_values, worst_rows = _keep_smallest(
            worst_values, worst_rows, state.worst_values, state.worst_rows, k
        )
    scatter = {c: sum(part[c] for part in scatters) for c in scatter_about}
    return PassStatistics(float(totals.sum()), sums.sum(axis=0), worst_values, worst_rows, scatter)


def total_log_likelihood(data: BlockData, mixture) -> float:
    """Total log-likelihood of the data under ``mixture``, block by block.

    Bit for bit the total an EM pass over the same data reports for the same mixture (same
    kernel, same blocks, summed in block order), without any N×K matrix.
    """
    kernel = make_kernel(mixture, data.centre, data.radius)
    block = kernel.block_rows()
    totals = np.zeros(-(-data.n_samples // block))

    def visit(work: _Workspace, index: int, a: int, b: int):
        R = work.log_prob_of(work.features_of(data.X[a:b], data.centre))
        totals[index] = normalise(R).sum()

    _run_blocks(data, block, lambda: _Workspace(kernel, min(block, data.n_samples)), visit)
    return float(totals.sum())


def for_each_block(data: BlockData, kernel: Kernel, visit) -> None:
    """Call ``visit(start, stop, responsibilities)`` for every block of rows, in threads.

    ``responsibilities`` is the (K, n) matrix of the block's rows ``start:stop``. Blocks are
    disjoint row ranges, so ``visit`` may write its results into slices of shared output
    arrays; it must copy anything else it keeps, the buffers are reused.
    """
    block = kernel.block_rows()

    def visit_block(work: _Workspace, index: int, a: int, b: int):
        R = work.log_prob_of(work.features_of(data.X[a:b], data.centre))
        normalise(R)
        visit(a, b, R)

    _run_blocks(data, block, lambda: _Workspace(kernel, min(block, data.n_samples)), visit_block)
