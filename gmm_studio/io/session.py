"""Sessions: the whole document (points, columns, axes, settings, model, history) in a ``.gmms``
file of versioned JSON, saved atomically."""

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
from gmm_studio.core import FitError, FitSettings, Mixture
from gmm_studio.io.atomic import atomic_write_pieces
from gmm_studio.io.errors import DataFileError
from gmm_studio.io.export import check_version, load_json_document

SESSION_FORMAT = "gmm-studio-session"
SESSION_VERSION = 1
SESSION_SUFFIX = ".gmms"


@dataclass(eq=False)
class Session:
    """Everything needed to restore the window: the document, not the window layout.

    Attributes
    ----------
    points : ndarray, shape (n_samples, n_features)
        Finite float64; may have no rows (an empty canvas).
    columns : list of str
        One name per feature (at least two).
    axes : tuple of int
        The two column indices shown on the horizontal and vertical axes.
    settings : FitSettings
    mixture : Mixture or None
        The current model, if any.
    log_likelihood_history : list of float
        The total log-likelihood after each iteration of the current fit.
    source : str or None
        The data file the points came from, for information.
    """

    points: np.ndarray
    columns: list[str]
    axes: tuple[int, int] = (0, 1)
    settings: FitSettings = field(default_factory=FitSettings)
    mixture: Mixture | None = None
    log_likelihood_history: list[float] = field(default_factory=list)
    source: str | None = None

    def __post_init__(self):
        self.points = np.asarray(self.points, dtype=np.float64).reshape(-1, len(self.columns))
        self.columns = list(self.columns)
        self.axes = (int(self.axes[0]), int(self.axes[1]))
        self.log_likelihood_history = [float(v) for v in self.log_likelihood_history]
        problem = session_problem(self)
        if problem:
            raise ValueError(problem)

    def to_dict(self, *, with_points: bool = True) -> dict[str, Any]:
        """The session as a plain, JSON-ready dict in the current format version."""
        doc = {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "saved_by": f"GMM Studio {__version__}",
            "columns": self.columns,
            "axes": list(self.axes),
            "settings": self.settings.to_dict(),
            "model": None if self.mixture is None else self.mixture.to_dict(),
            "log_likelihood_history": [
                v if math.isfinite(v) else None for v in self.log_likelihood_history
            ],
            "source": self.source,
        }
        if with_points:
            doc["points"] = self.points.tolist()
        return doc


def session_problem(session: Session) -> str | None:
    """Return what is inconsistent in ``session``, or None if it is sound."""
    d = len(session.columns)
    if d < 2 or not all(isinstance(c, str) for c in session.columns):
        return "a session needs at least 2 named columns"
    if not np.isfinite(session.points).all():
        return "points must be finite numbers"
    a, b = session.axes
    if not (0 <= a < d and 0 <= b < d) or a == b:
        return f"axes must be two different column indices from 0 to {d - 1}, not {[a, b]}"
    if session.mixture is not None and session.mixture.n_features != d:
        return f"the model has {session.mixture.n_features} features but there are {d} columns"
    if not isinstance(session.settings, FitSettings):
        return "settings must be FitSettings"
    return None


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
    """Read a ``.gmms`` session file.

    Raises
    ------
    DataFileError
        For a missing or unreadable file, broken JSON, a session from a newer GMM Studio, or a
        malformed or hand-edited body (wrong types, ragged points, an invalid model, ...); the
        message says which part is wrong.
    """
    path = Path(path)
    doc = load_json_document(path, "session")
    if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT:
        raise DataFileError(path, "not a GMM Studio session file")
    check_version(path, doc, SESSION_VERSION, "session")

    def bad(what: str) -> DataFileError:
        return DataFileError(path, f"damaged session file: {what}")

    columns = doc.get("columns")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise bad("'columns' must be a list of names")
    if len(columns) < 2:
        raise bad("'columns' must name at least 2 columns")
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
    model = doc.get("model")
    mixture = None
    if model is not None:
        if not isinstance(model, dict):
            raise bad("'model' must be an object or null")
        try:
            mixture = Mixture.from_dict(model)
        except (FitError, TypeError, ValueError) as error:
            raise bad(f"model: {error}") from None
    history = doc.get("log_likelihood_history", [])
    if not isinstance(history, list) or not all(v is None or _is_number(v) for v in history):
        raise bad("'log_likelihood_history' must be a list of numbers")
    axes = doc.get("axes", [0, 1])
    if not (isinstance(axes, list) and len(axes) == 2 and all(_is_int(a) for a in axes)):
        raise bad("'axes' must be two column indices")
    source = doc.get("source")
    if source is not None and not isinstance(source, str):
        raise bad("'source' must be a file name or null")
    try:
        return Session(
            points=np.array(points, dtype=np.float64).reshape(-1, len(columns)),
            columns=columns,
            axes=(axes[0], axes[1]),
            settings=settings,
            mixture=mixture,
            log_likelihood_history=[math.nan if v is None else v for v in history],
            source=source,
        )
    except ValueError as error:
        raise bad(str(error)) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
