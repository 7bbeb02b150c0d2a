"""Passes over a chunked Dask array: each one a map over chunks and a tree reduction.

A chunk task turns its rows into a few small float64 arrays (O(K·D²) numbers, whatever the
chunk's length); pairs of partial results are merged up a tree of fan-in :data:`SPLIT_EVERY`
until one remains on the client. Only the mixture's parameters travel to the workers.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import uuid
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np

from gmm_studio.cluster.client import PassWatch, compute
from gmm_studio.core import blockwise
from gmm_studio.core.errors import FitError

#: How many partial results one merge task combines (dask's own default for reductions).
SPLIT_EVERY = 8

#: Rows at the head of the data whose mean is the centre every chunk is expressed about.
_CENTRE_ROWS = 4096


def tree_reduce(X: da.Array, sample_weight: da.Array | None, chunk_fn, merge_fn, *args, watch=None):
    """``merge_fn`` of ``chunk_fn(rows, weights, first_row, *args)`` over every chunk of ``X``.

    ``args`` are sent to the workers once per pass (one shared task), not once per chunk.
    Returns the single merged result, computed on the active Dask scheduler; a
    :class:`~gmm_studio.cluster.client.PassWatch` follows its chunks and may cancel it.
    """
    # Unoptimised graphs keep the keys the rows and the weights share, so a chunk read for one
    # is not read again for the other.
    rows = X.to_delayed(optimize_graph=False).ravel()
    weights = (
        [None] * len(rows)
        if sample_weight is None
        else sample_weight.to_delayed(optimize_graph=False).ravel()
    )
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).tolist()
    token = uuid.uuid4().hex
    shared = dask.delayed(args, traverse=False, name=f"gmm-parameters-{token}")
    parts = [
        dask.delayed(_apply, pure=False, name=f"gmm-chunk-{token}-{i}")(
            chunk_fn, r, w, start, shared
        )
        for i, (r, w, start) in enumerate(zip(rows, weights, starts, strict=True))
    ]
    chunks = tuple(parts)
    level = 0
    while len(parts) > 1:
        parts = [
            dask.delayed(merge_fn, pure=False, name=f"gmm-merge-{token}-{level}-{i}")(
                *parts[at : at + SPLIT_EVERY]
            )
            for i, at in enumerate(range(0, len(parts), SPLIT_EVERY))
        ]
        level += 1
    return compute(parts[0], watch, chunks)


def _apply(chunk_fn, rows, weights, start, shared):
    return chunk_fn(rows, weights, start, *shared)


@dataclass(frozen=True)
class ChunkedData:
    """A Dask array checked and described once, for many passes.

    Attributes
    ----------
    X : dask.array.Array, shape (N, D)
        float64, known chunk sizes, one chunk across the columns.
    sample_weight : dask.array.Array or None, shape (N,)
        Chunked like the rows of ``X``.
    n_samples : int
    total_weight : float
        Σ sample_weight (``n_samples`` without weights).
    centre : ndarray, shape (D,)
        The point every chunk's statistics are expressed about (mean of the first rows).
    radius : float
        An upper bound on the distance of any row from ``centre``.
    variance : ndarray, shape (D,)
        Per-feature variance (ddof=0).
    watch : PassWatch or None
        Follows every EM pass over these data, and cancels them (see :meth:`watched`).
    """

    X: da.Array
    sample_weight: da.Array | None
    n_samples: int
    total_weight: float
    centre: np.ndarray
    radius: float
    variance: np.ndarray
    watch: PassWatch | None = None

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def watched(self, watch: PassWatch) -> ChunkedData:
        """The same data, with EM's passes over them followed (and cancellable) by ``watch``."""
        return dataclasses.replace(self, watch=watch)


def _describe_chunk(rows, weights, _start, centre):
    z = np.asarray(rows, dtype=float) - centre
    bad_rows = int(np.count_nonzero(~np.all(np.isfinite(z), axis=1)))
    if weights is None:
        bad_weights = 0
    else:
        weights = np.asarray(weights, dtype=float)
        bad_weights = int(np.count_nonzero(~(np.isfinite(weights) & (weights >= 0))))
    if bad_rows or bad_weights:
        d = z.shape[1]
        return (len(z), bad_rows, bad_weights, 0.0, np.zeros(d), np.zeros((d, d)), np.zeros(d))
    total_weight = float(len(z) if weights is None else weights.sum())
    reach = np.abs(z).max(axis=0) if len(z) else np.zeros(z.shape[1])
    return (len(z), 0, 0, total_weight, z.sum(axis=0), z.T @ z, reach)


def _merge_descriptions(*parts):
    n, bad_rows, bad_weights, weight, linear, outer, reach = parts[0]
    for p in parts[1:]:
        n, bad_rows, bad_weights = n + p[0], bad_rows + p[1], bad_weights + p[2]
        weight, linear, outer = weight + p[3], linear + p[4], outer + p[5]
        reach = np.maximum(reach, p[6])
    return n, bad_rows, bad_weights, weight, linear, outer, reach


def describe(X, sample_weight=None, n_components: int = 1) -> ChunkedData:
    """Check a Dask array of points (and weights) in one pass and describe it.

    Raises
    ------
    FitError
        For the same problems :func:`gmm_studio.core.initialization.check_data` names, and for
        weights that are not finite numbers ≥ 0 or are not aligned with the rows.
    """
    X = da.asarray(X)
    if X.ndim != 2:
        raise FitError(f"data must be a table of points (rows × columns), got shape {X.shape}")
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    if any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    n_samples, n_features = X.shape
    if n_samples == 0 or n_features == 0:
        raise FitError("there are no points to fit")
    if not isinstance(n_components, int | np.integer) or n_components < 1:
        raise FitError(f"n_components must be a whole number of at least 1, not {n_components!r}")
    if n_components > n_samples:
        raise FitError(
            f"n_components={n_components} is more than the {n_samples} points to fit; add "
            "points or use fewer components"
        )
    if sample_weight is not None:
        sample_weight = da.asarray(sample_weight).astype(np.float64)
        if any(np.isnan(size) for size in sample_weight.chunks[0]):
            sample_weight = sample_weight.compute_chunk_sizes()
        if sample_weight.shape != (n_samples,):
            raise FitError(
                f"sample_weight must hold one weight per point ({n_samples}), "
                f"got shape {sample_weight.shape}"
            )
        if sample_weight.chunks[0] != X.chunks[0]:
            sample_weight = sample_weight.rechunk((X.chunks[0],))
    guess = compute(X[: min(n_samples, _CENTRE_ROWS)].mean(axis=0))
    if not np.all(np.isfinite(guess)):
        guess = np.zeros(n_features)
    n, bad_rows, bad_weights, total_weight, linear, outer, reach = tree_reduce(
        X, sample_weight, _describe_chunk, _merge_descriptions, guess
    )
    if bad_rows:
        raise FitError(f"the data contain missing or infinite values ({bad_rows} rows)")
    if bad_weights:
        raise FitError(f"sample_weight must be finite numbers ≥ 0 ({bad_weights} weights are not)")
    if not total_weight > 0:
        raise FitError("sample_weight sums to zero: no point carries any weight")
    shift = linear / n
    centre = guess + shift
    scatter = outer - n * np.outer(shift, shift)
    radius = float(np.sqrt(np.sum(reach**2)) + np.sqrt(np.sum(shift**2)))
    return ChunkedData(
        X=X,
        sample_weight=sample_weight,
        n_samples=int(n),
        total_weight=total_weight,
        centre=centre,
        radius=radius,
        variance=np.diag(scatter) / n,
    )


def _chunk_statistics(rows, weights, start, kernel):
    if len(rows) == 0 or (weights is not None and not np.any(weights > 0)):
        return None  # adds nothing
    return blockwise.chunk_statistics(rows, kernel, weights)


def _chunk_scatter(rows, weights, start, kernel, about):
    if len(rows) == 0 or (weights is not None and not np.any(weights > 0)):
        return None
    return blockwise.gather_scatter(blockwise.BlockData(rows, weights), kernel, about)


def _add(*parts):
    parts = [p for p in parts if p is not None]
    return functools.reduce(operator.add, parts) if parts else None


def _chunk_worst(rows, weights, start, kernel, count):
    if len(rows) == 0 or (weights is not None and not np.any(weights > 0)):
        return None
    return blockwise.worst_rows(blockwise.BlockData(rows, weights), kernel, count, first_row=start)


def _add_scatters(*parts):
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return {c: sum(part[c] for part in parts) for c in parts[0]}


def gather(data: ChunkedData, kernel) -> blockwise.Statistics:
    """One EM pass over every chunk: :class:`~gmm_studio.core.blockwise.Statistics` summed."""
    return tree_reduce(
        data.X, data.sample_weight, _chunk_statistics, _add, kernel, watch=data.watch
    )


def worst_rows(data: ChunkedData, kernel, count: int) -> blockwise.WorstRows:
    """:func:`gmm_studio.core.blockwise.worst_rows` over every chunk."""
    return tree_reduce(
        data.X, data.sample_weight, _chunk_worst, _add, kernel, count, watch=data.watch
    )


def gather_scatter(data: ChunkedData, kernel, about: dict) -> dict:
    """The second pass of :func:`gmm_studio.core.blockwise.gather_scatter`, over every chunk."""
    return tree_reduce(
        data.X, data.sample_weight, _chunk_scatter, _add_scatters, kernel, about, watch=data.watch
    )
