"""Sessions: the whole document (points, columns, axes, settings and the fit with its full
history) in a ``.gmms`` file of versioned JSON, saved atomically.

Format version 2 keeps the fit model exactly: its start, every snapshot of its history, the
events between them, the current entry and the state (a converged fit reopens converged).
Version 1 files (a final model and a log-likelihood trace) still open, paused at their model.
The optional ``true_labels`` object (the file's class column, its name and whether the points
are coloured by it) was added within version 2: files without it open as before.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gmm_studio import __version__
from gmm_studio.core import FitError, FitSettings, Locks, Mixture, Snapshot
from gmm_studio.io.atomic import atomic_write_pieces
from gmm_studio.io.errors import DataFileError
from gmm_studio.io.export import check_version, load_json_document
from gmm_studio.model import EventKind, FitModel, FitState, HistoryEvent, SavedFit

SESSION_FORMAT = "gmm-studio-session"
SESSION_VERSION = 2
SESSION_SUFFIX = ".gmms"

#: Relative asymmetry tolerated in a saved full or tied covariance (rounding of EM's sums).
SYMMETRY_TOLERANCE = 1e-8


@dataclass(frozen=True)
class DataFileRef:
    """The file a session's points are a sample of, when the fit ran on all of its rows.

    Attributes
    ----------
    path : str
        The data file, glob or Parquet folder, as given when fitting.
    columns : tuple of str
        The columns fitted (the session's columns).
    weights : str or None
        The column of row weights.
    n_samples : int
        Rows of the file that were fitted.
    """

    path: str
    columns: tuple[str, ...]
    weights: str | None
    n_samples: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "columns": list(self.columns),
            "weights": self.weights,
            "n_samples": self.n_samples,
        }

    @classmethod
    def from_dict(cls, doc: Any, columns: list[str]) -> DataFileRef:
        """Read ``doc`` (FitError says what is wrong) for a session of ``columns``."""
        if not isinstance(doc, dict):
            raise FitError("'data_file' must be an object or null")
        path, weights, n = doc.get("path"), doc.get("weights"), doc.get("n_samples")
        if not isinstance(path, str) or not path:
            raise FitError("'data_file.path' must be a file name")
        if doc.get("columns") != columns:
            raise FitError("'data_file.columns' must be the session's columns")
        if weights is not None and not isinstance(weights, str):
            raise FitError("'data_file.weights' must be a column name or null")
        if not (_is_int(n) and n >= 1):
            raise FitError("'data_file.n_samples' must be a whole number ≥ 1")
        return cls(path, tuple(columns), weights, int(n))


@dataclass(eq=False)
class TrueLabels:
    """The true class of each point, as a session keeps it.

    Attributes
    ----------
    values : ndarray of object, shape (n_samples,)
        Each point's label: a str, an int, a float, or None where the file had none.
    column : str
        The name of the column they came from.
    shown : bool
        Whether the points are coloured by them (rather than by the fit).
    """

    values: np.ndarray
    column: str
    shown: bool = False

    def __post_init__(self):
        values = np.empty(len(self.values), dtype=object)
        for i, value in enumerate(self.values):  # one by one: a list is one label, not a row
            values[i] = value
        self.values = values

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "shown": self.shown, "values": self.values.tolist()}


def true_labels_problem(labels: TrueLabels, n_points: int) -> str | None:
    """What makes ``labels`` unusable for ``n_points`` points, or None."""
    if not isinstance(labels.column, str) or not labels.column:
        return "'true_labels.column' must be a column name"
    if not isinstance(labels.shown, bool):
        return "'true_labels.shown' must be true or false"
    if len(labels.values) != n_points:
        return f"'true_labels.values' must hold {n_points} labels, one per point, not {len(labels.values)}"
    for i, value in enumerate(labels.values):
        if not (value is None or isinstance(value, str) or _is_number(value)):
            return f"true label {i} must be text, a finite number or null, not {value!r:.40}"
    return None


@dataclass(eq=False)
class Session:
    """Everything needed to restore the window: the document, not the window layout.

    Attributes
    ----------
    points : ndarray, shape (n_samples, n_features)
        Finite float64; may have no rows (an empty canvas).
    columns : list of str
        One name per feature (at least one).
    axes : tuple of int
        The two column indices shown on the horizontal and vertical axes; ``(0, 0)`` for
        one column (the one-dimensional view).
    settings : FitSettings
    fit : SavedFit or None
        The fit (start, history, events, state), if any; it must match the points and the
        settings.
    source : str or None
        The data file the points came from, for information.
    sample_weight : ndarray of shape (n_samples,) or None
        The weight of each point (finite, ≥ 0), or None when every point counts once.
    true_labels : TrueLabels or None
        The file's true class of each point, if it had a class column.
    data_file : DataFileRef or None
        The file the fit ran on when the points are only a sample of its rows (a fit on a
        Dask cluster): the session refers to it by path instead of holding every row.
    """

    points: np.ndarray
    columns: list[str]
    axes: tuple[int, int] = (0, 1)
    settings: FitSettings = field(default_factory=FitSettings)
    fit: SavedFit | None = None
    source: str | None = None
    sample_weight: np.ndarray | None = None
    true_labels: TrueLabels | None = None
    data_file: DataFileRef | None = None

    def __post_init__(self):
        self.points = np.asarray(self.points, dtype=np.float64).reshape(-1, len(self.columns))
        if self.sample_weight is not None:
            self.sample_weight = np.asarray(self.sample_weight, dtype=np.float64).reshape(-1)
        self.columns = list(self.columns)
        self.axes = (int(self.axes[0]), int(self.axes[1]))
        problem = session_problem(self)
        if problem:
            raise ValueError(problem)

    @property
    def mixture(self) -> Mixture | None:
        """The fit's current parameters, if any."""
        return None if self.fit is None else self.fit.mixture

    def to_dict(self, *, with_points: bool = True) -> dict[str, Any]:
        """The session as a plain, JSON-ready dict in the current format version."""
        doc = {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "saved_by": f"GMM Studio {__version__}",
            "columns": self.columns,
            "axes": list(self.axes),
            "settings": self.settings.to_dict(),
            "fit": None if self.fit is None else _fit_to_dict(_finite_part(self.fit)),
            "source": self.source,
        }
        if self.sample_weight is not None:
            doc["sample_weight"] = self.sample_weight.tolist()
        if self.true_labels is not None:
            doc["true_labels"] = self.true_labels.to_dict()
        if self.data_file is not None:
            doc["data_file"] = self.data_file.to_dict()
        if with_points:
            doc["points"] = self.points.tolist()
        return doc


def axes_problem(axes: tuple[int, int], n_columns: int) -> str | None:
    """Return why ``axes`` cannot be shown for ``n_columns`` columns, or None.

    Two or more columns show two different ones; a single column shows ``(0, 0)``.
    """
    a, b = axes
    if n_columns == 1:
        return None if (a, b) == (0, 0) else f"axes of one column must be [0, 0], not {[a, b]}"
    if not (0 <= a < n_columns and 0 <= b < n_columns) or a == b:
        return f"axes must be two different column indices from 0 to {n_columns - 1}, not {[a, b]}"
    return None


def session_problem(session: Session) -> str | None:
    """Return what is inconsistent in ``session``, or None if it is sound."""
    d = len(session.columns)
    if d < 1 or not all(isinstance(c, str) for c in session.columns):
        return "a session needs at least 1 named column"
    if not np.isfinite(session.points).all():
        return "points must be finite numbers"
    problem = axes_problem(session.axes, d)
    if problem:
        return problem
    weights = session.sample_weight
    if weights is not None and (
        len(weights) != len(session.points) or not np.isfinite(weights).all() or (weights < 0).any()
    ):
        return f"'sample_weight' must be {len(session.points)} finite numbers ≥ 0"
    if session.true_labels is not None:
        problem = true_labels_problem(session.true_labels, len(session.points))
        if problem:
            return problem
    if not isinstance(session.settings, FitSettings):
        return "settings must be FitSettings"
    ref = session.data_file
    if ref is not None and (tuple(ref.columns) != tuple(session.columns) or ref.n_samples < 1):
        return "the data file must have the session's columns and at least 1 row"
    fit = session.fit
    if fit is not None:
        for mixture in [fit.start, *(s.mixture for s in fit.history)]:
            problem = mixture_problem(mixture) if mixture is not None else None
            if problem:
                return problem
        try:
            FitModel.restore_saved(
                session.points, session.settings, start=fit.start, history=fit.history,
                events=fit.events, position=fit.position, state=fit.state, locks=fit.locks,
            )  # fmt: skip
        except FitError as error:
            return f"the fit does not match the points and settings: {error}"
    return None


def mixture_problem(mixture: Mixture) -> str | None:
    """What makes ``mixture`` unusable (non-finite or not positive definite), or None."""
    covariances = mixture.covariances
    if not np.all(np.isfinite(covariances)):
        return "a covariance holds a number that is not finite"
    if mixture.covariance_type in ("full", "tied"):
        full = covariances if covariances.ndim == 3 else covariances[np.newaxis]
        scale = np.max(np.abs(full), axis=(1, 2), keepdims=True)
        if np.any(np.abs(full - np.swapaxes(full, 1, 2)) > SYMMETRY_TOLERANCE * scale):
            return "a covariance matrix is not symmetric"
    try:
        mixture.precisions_cholesky()
    except FitError:
        return "a covariance is not positive definite"
    return None


def _finite_part(fit: SavedFit) -> SavedFit | None:
    """The part of ``fit`` that can be written and read back: entries with finite numbers.

    A numerical corner must never make Save fail; what it cannot keep of the fit it drops
    (the points always survive).
    """

    def finite(snapshot: Snapshot) -> bool:
        return math.isfinite(snapshot.log_likelihood) and mixture_problem(snapshot.mixture) is None

    if fit.start is not None and mixture_problem(fit.start) is not None:
        return None
    keep = 0
    while keep < len(fit.history) and finite(fit.history[keep]):
        keep += 1
    if keep == len(fit.history):
        return fit
    return SavedFit(
        fit.start,
        fit.history[:keep],
        tuple(e for e in fit.events if e.index <= keep),
        min(fit.position, keep - 1),
        FitState.STOPPED,
        fit.locks,
    )


def _fit_to_dict(fit: SavedFit | None) -> dict[str, Any] | None:
    if fit is None:
        return None

    def number(v: float):
        return v if math.isfinite(v) else None

    return {
        "start": None if fit.start is None else fit.start.to_dict(),
        "history": [
            {
                "iteration": s.iteration,
                "log_likelihood": s.log_likelihood,
                "change": number(s.change),
                "converged": s.converged,
                "n_samples": s.n_samples,
                "model": s.mixture.to_dict(),
            }
            for s in fit.history
        ],
        "events": [
            {
                "kind": e.kind.name,
                "index": e.index,
                "iteration": e.iteration,
                "description": e.description,
            }
            for e in fit.events
        ],
        "position": fit.position,
        "state": fit.state.name,
        "locks": None if fit.locks is None else fit.locks.to_dict(),
    }


def save_session(path: str | os.PathLike[str], session: Session) -> None:
    """Save ``session`` to ``path`` atomically (temporary file, then `os.replace`).

    Raises
    ------
    DataFileError
        If the file cannot be written; the previous file, if any, is left intact.
    """
    pieces = (piece.encode("utf-8") for piece in session_json_pieces(session))
    atomic_write_pieces(path, pieces)


#: Rows of points encoded per ``json.dumps`` call. Each call holds the GIL throughout; small
#: pieces let the window's thread run between them while an autosave writes a million points.
POINT_ROWS_PER_PIECE = 2_000


def session_json_pieces(session: Session) -> Iterator[str]:
    """The session as compact JSON text with a final newline, in pieces of some tens of KB.

    The points come last, ``POINT_ROWS_PER_PIECE`` rows at a time; joined, the pieces are
    the same JSON document as ``json.dumps(session.to_dict())``.
    """
    compact = {"allow_nan": False, "separators": (",", ":")}
    yield json.dumps(session.to_dict(with_points=False), **compact)[:-1] + ',"points":['
    for start in range(0, len(session.points), POINT_ROWS_PER_PIECE):
        rows = session.points[start : start + POINT_ROWS_PER_PIECE].tolist()
        yield ("," if start else "") + json.dumps(rows, **compact)[1:-1]
    yield "]}\n"


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read a ``.gmms`` session file (format version 1 or 2).

    Raises
    ------
    DataFileError
        For a missing or unreadable file, broken JSON, a session from a newer GMM Studio, or a
        malformed or hand-edited body (wrong types, ragged points, numbers out of range, a
        model that is not a valid mixture or does not match the settings, ...); the message
        names the file and says which part is wrong. Nothing is re-initialised silently.
    """
    path = Path(path)
    doc = load_json_document(path, "session")
    if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT:
        raise DataFileError(path, "not a GMM Studio session file")
    version = check_version(path, doc, SESSION_VERSION, "session")

    def bad(what: str) -> DataFileError:
        return DataFileError(path, f"damaged session file: {what}")

    columns = doc.get("columns")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise bad("'columns' must be a list of names")
    if len(columns) < 1:
        raise bad("'columns' must name at least 1 column")
    points = doc.get("points")
    if not isinstance(points, list):
        raise bad("'points' must be a list of rows")
    for i, row in enumerate(points):
        if (
            not isinstance(row, list)
            or len(row) != len(columns)
            or not all(_is_number(v) for v in row)
        ):
            raise bad(f"point {i} must be a list of {len(columns)} finite numbers, not {row!r:.60}")
    try:
        settings = FitSettings.from_dict(doc.get("settings", {}))
    except (FitError, TypeError) as error:
        raise bad(f"settings: {error}") from None
    n_points = len(points)
    try:
        fit = _read_fit(doc, version, n_points)
    except FitError as error:
        raise bad(str(error)) from None
    axes = doc.get("axes", [0, 1])
    if not (isinstance(axes, list) and len(axes) == 2 and all(_is_int(a) for a in axes)):
        raise bad("'axes' must be two column indices")
    source = doc.get("source")
    if source is not None and not isinstance(source, str):
        raise bad("'source' must be a file name or null")
    weights = doc.get("sample_weight")  # absent in sessions of unweighted points
    if weights is not None and (
        not isinstance(weights, list) or not all(_is_number(v) for v in weights)
    ):
        raise bad(f"'sample_weight' must be a list of {n_points} finite numbers ≥ 0")
    true_labels = _read_true_labels(doc.get("true_labels"), n_points)  # absent: no labels
    if isinstance(true_labels, str):
        raise bad(true_labels)
    data_file = doc.get("data_file")  # only in sessions of a fit on a cluster
    if data_file is not None:
        try:
            data_file = DataFileRef.from_dict(data_file, columns)
        except FitError as error:
            raise bad(str(error)) from None
    try:
        return Session(
            points=np.array(points, dtype=np.float64).reshape(-1, len(columns)),
            columns=columns,
            axes=(axes[0], axes[1]),
            settings=settings,
            fit=fit,
            source=source,
            sample_weight=None if weights is None else np.array(weights, dtype=np.float64),
            true_labels=true_labels,
            data_file=data_file,
        )
    except ValueError as error:
        raise bad(str(error)) from None


def _read_true_labels(data: Any, n_points: int) -> TrueLabels | str | None:
    """The ``true_labels`` object of a session document, or what is wrong with it."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return "'true_labels' must be an object or null"
    values = data.get("values")
    if not isinstance(values, list):
        return f"'true_labels.values' must be a list of {n_points} labels"
    labels = TrueLabels(values, data.get("column"), data.get("shown", False))
    return true_labels_problem(labels, n_points) or labels


def _read_fit(doc: dict, version: int, n_points: int) -> SavedFit | None:
    """The fit of a session document; FitError says what is wrong with it."""
    if version == 1:
        return _read_version_1_fit(doc, n_points)
    fit = doc.get("fit")
    if fit is None:
        return None
    if not isinstance(fit, dict):
        raise FitError("'fit' must be an object or null")
    start = None if fit.get("start") is None else _read_mixture(fit["start"], "the start")
    entries = fit.get("history", [])
    if not isinstance(entries, list):
        raise FitError("'fit.history' must be a list")
    history = [_read_snapshot(entry, i) for i, entry in enumerate(entries)]
    events = fit.get("events", [])
    if not isinstance(events, list):
        raise FitError("'fit.events' must be a list")
    position = fit.get("position", len(history) - 1)
    if not _is_int(position):
        raise FitError("'fit.position' must be a whole number")
    state_name = fit.get("state", FitState.PAUSED.name)
    if not isinstance(state_name, str) or state_name not in FitState.__members__:
        raise FitError(f"'fit.state' must be one of {', '.join(FitState.__members__)}")
    locks = fit.get("locks")
    if locks is not None:
        if start is None:
            raise FitError("'fit.locks' needs a start")
        locks = Locks.from_dict(locks, start.n_components)
    return SavedFit(
        start,
        tuple(history),
        tuple(_read_event(event, i) for i, event in enumerate(events)),
        position,
        FitState[state_name],
        locks,
    )


def _read_version_1_fit(doc: dict, n_points: int) -> SavedFit | None:
    """A version-1 fit: its final model, at the iteration its trace reached, paused there.

    Version 1 kept no start and no parameters per iteration: the model becomes the start
    too (Reset returns to it), and only its own log-likelihood is kept.
    """
    model = doc.get("model")
    if model is None:
        return None
    mixture = _read_mixture(model, "model")
    trace = doc.get("log_likelihood_history", [])
    if not isinstance(trace, list) or not all(v is None or _is_number(v) for v in trace):
        raise FitError("'log_likelihood_history' must be a list of numbers")
    iteration = max(len(trace) - 1, 0)
    total = trace[-1] if trace and trace[-1] is not None else None
    if total is None or n_points == 0:
        return SavedFit(mixture)
    total = float(total)
    snapshot = Snapshot(iteration, mixture, total, total / n_points, math.nan, False, n_points)
    return SavedFit(mixture, (snapshot,), (), 0, FitState.PAUSED)


def _read_snapshot(entry: Any, i: int) -> Snapshot:
    where = f"fit history entry {i}"
    if not isinstance(entry, dict):
        raise FitError(f"{where} must be an object")
    iteration, total = entry.get("iteration"), entry.get("log_likelihood")
    change, converged, n = (
        entry.get("change"),
        entry.get("converged", False),
        entry.get("n_samples"),
    )
    if not (_is_int(iteration) and iteration >= 0):
        raise FitError(f"{where}: 'iteration' must be a whole number ≥ 0")
    if not _is_number(total):
        raise FitError(f"{where}: 'log_likelihood' must be a finite number")
    if change is not None and not _is_number(change):
        raise FitError(f"{where}: 'change' must be a finite number or null")
    if not isinstance(converged, bool):
        raise FitError(f"{where}: 'converged' must be true or false")
    if not (_is_int(n) and n >= 1):
        raise FitError(f"{where}: 'n_samples' must be a whole number ≥ 1")
    mixture = _read_mixture(entry.get("model"), where)
    change = math.nan if change is None else float(change)
    return Snapshot(iteration, mixture, float(total), float(total) / n, change, converged, n)


def _read_event(entry: Any, i: int) -> HistoryEvent:
    where = f"fit event {i}"
    if not isinstance(entry, dict):
        raise FitError(f"{where} must be an object")
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in EventKind.__members__:
        raise FitError(f"{where}: 'kind' must be one of {', '.join(EventKind.__members__)}")
    index, iteration = entry.get("index"), entry.get("iteration")
    description = entry.get("description", "")
    if not (_is_int(index) and _is_int(iteration) and isinstance(description, str)):
        raise FitError(f"{where}: 'index' and 'iteration' must be whole numbers")
    return HistoryEvent(EventKind[kind], index, iteration, description)


def _read_mixture(data: Any, where: str) -> Mixture:
    if not isinstance(data, dict):
        raise FitError(f"{where} must be an object")
    for key in ("weights", "means", "covariances"):
        if not _all_numbers(data.get(key)):
            raise FitError(f"{where}: '{key}' must hold finite numbers only")
    try:
        mixture = Mixture.from_dict(data)
    except (TypeError, ValueError) as error:
        raise FitError(f"{where}: {error}") from None
    problem = mixture_problem(mixture)
    if problem:
        raise FitError(f"{where}: {problem}")
    return mixture


def _all_numbers(value: Any, depth: int = 0) -> bool:
    """True for a (nested, at most 3 deep) list of finite numbers, or one finite number."""
    if isinstance(value, list):
        return depth < 3 and all(_all_numbers(v, depth + 1) for v in value)
    return _is_number(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer literal beyond the range of a float
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
