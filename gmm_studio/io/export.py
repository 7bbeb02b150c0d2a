"""Writing results: points and labels as CSV, the model as versioned JSON (and reading it back)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gmm_studio import __version__
from gmm_studio.core import FitError, FitSettings, Mixture
from gmm_studio.io.atomic import atomic_write_text
from gmm_studio.io.errors import DataFileError
from gmm_studio.io.files import check_regular_file, os_error_problem

MODEL_FORMAT = "gmm-studio-model"
MODEL_VERSION = 1


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _rows_text(array: np.ndarray) -> str:
    # repr() of a Python float is the shortest text that reads back to the same float.
    return "".join(",".join(map(repr, row)) + "\n" for row in array.tolist())


def write_points_csv(
    path: str | os.PathLike[str], data: np.ndarray, columns: Sequence[str]
) -> None:
    """Save points as CSV: a header of column names, then one row per point.

    Values are written with full precision, so reading the file back gives the same floats.

    Raises
    ------
    DataFileError
        If the file cannot be written.
    ValueError
        If ``data`` is not 2-D with one column per name, or holds non-finite values.
    """
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != len(columns):
        raise ValueError(f"data of shape {data.shape} does not match {len(columns)} columns")
    if not np.isfinite(data).all():
        raise ValueError("points must be finite to be saved")
    atomic_write_text(path, _csv_line(list(columns)) + _rows_text(data))


def write_labels_csv(
    path: str | os.PathLike[str],
    responsibilities: np.ndarray,
    *,
    points: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
    row_ids: np.ndarray | None = None,
    row_id_name: str = "row",
) -> None:
    """Save each point's hard label and every component's responsibility as CSV.

    Columns: ``row_id_name`` with each point's ``row_ids`` (if given: where the point came
    from, to join the labels back to the source), the point's coordinates (if ``points`` is
    given), ``label`` (0-based component index, the most responsible component), then
    ``responsibility_0`` ... ``responsibility_{K-1}``.

    Raises
    ------
    DataFileError
        If the file cannot be written.
    """
    resp = np.asarray(responsibilities, dtype=np.float64)
    if resp.ndim != 2:
        raise ValueError("responsibilities must have shape (n_samples, n_components)")
    labels = resp.argmax(axis=1)
    header = ["label"] + [f"responsibility_{k}" for k in range(resp.shape[1])]
    lines = [
        f"{label}," + ",".join(map(repr, row))
        for label, row in zip(labels.tolist(), resp.tolist(), strict=True)
    ]
    if points is not None:
        points = np.asarray(points, dtype=np.float64)
        if columns is None:
            columns = [f"x{i}" for i in range(points.shape[1])]
        if points.shape != (resp.shape[0], len(columns)):
            raise ValueError(
                "points must have one row per responsibility row and one column per name"
            )
        header = [*columns, *header]
        lines = [
            ",".join(map(repr, p)) + "," + line
            for p, line in zip(points.tolist(), lines, strict=True)
        ]
    if row_ids is not None:
        ids = np.asarray(row_ids, dtype=np.int64)
        if ids.shape != (resp.shape[0],):
            raise ValueError("row_ids must hold one id per responsibility row")
        header = [row_id_name, *header]
        lines = [f"{i}," + line for i, line in zip(ids.tolist(), lines, strict=True)]
    atomic_write_text(path, _csv_line(header) + "".join(line + "\n" for line in lines))


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def model_document(
    mixture: Mixture,
    columns: Sequence[str],
    *,
    data: np.ndarray | None = None,
    settings: FitSettings | None = None,
    n_iter: int | None = None,
    converged: bool | None = None,
) -> dict[str, Any]:
    """The model as a plain dict in GMM Studio's versioned model schema.

    With ``data``, the document also holds the log-likelihood, BIC and AIC on that data.
    """
    if len(columns) != mixture.n_features:
        raise ValueError(f"{len(columns)} column names for {mixture.n_features} features")
    doc: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "saved_by": f"GMM Studio {__version__}",
        "columns": list(columns),
        "n_components": mixture.n_components,
        "n_features": mixture.n_features,
        **mixture.to_dict(),
        "n_parameters": mixture.n_parameters,
    }
    if data is not None:
        data = np.asarray(data, dtype=np.float64)
        ll = mixture.log_likelihood(data)
        doc.update(
            n_samples=int(data.shape[0]),
            log_likelihood=_finite_or_none(ll),
            mean_log_likelihood=_finite_or_none(ll / data.shape[0]),
            bic=_finite_or_none(mixture.bic(data)),
            aic=_finite_or_none(mixture.aic(data)),
        )
    if n_iter is not None:
        doc["n_iter"] = int(n_iter)
    if converged is not None:
        doc["converged"] = bool(converged)
    if settings is not None:
        doc["settings"] = settings.to_dict()
    return doc


def write_model_json(
    path: str | os.PathLike[str],
    mixture: Mixture,
    columns: Sequence[str],
    *,
    data: np.ndarray | None = None,
    settings: FitSettings | None = None,
    n_iter: int | None = None,
    converged: bool | None = None,
) -> None:
    """Save the model as JSON (see `model_document` for the content); floats exact.

    Raises
    ------
    DataFileError
        If the file cannot be written.
    """
    doc = model_document(
        mixture, columns, data=data, settings=settings, n_iter=n_iter, converged=converged
    )
    atomic_write_text(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")


@dataclass(frozen=True, eq=False)
class ModelFile:
    """A model read back from JSON: the mixture, its column names and everything else saved."""

    mixture: Mixture
    columns: list[str]
    settings: FitSettings | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def load_json_document(path: Path, kind: str, max_bytes_factor: float = 20.0) -> Any:
    """Read and parse a JSON file with `DataFileError` for every problem."""
    from gmm_studio.io.files import check_fits_in_memory

    size = check_regular_file(path)
    check_fits_in_memory(path, size * max_bytes_factor)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    if not raw.strip():
        raise DataFileError(path, "the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(path, f"not a {kind} file (it is not UTF-8 text)") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise DataFileError(
            path,
            f"not a valid {kind} file: broken JSON at line {error.lineno}, "
            f"column {error.colno} ({error.msg})",
        ) from None
    except (ValueError, RecursionError) as error:
        raise DataFileError(path, f"not a valid {kind} file ({error})") from None


def read_model_json(path: str | os.PathLike[str]) -> ModelFile:
    """Read a model saved by `write_model_json`.

    Raises
    ------
    DataFileError
        For a missing or unreadable file, broken JSON, a newer format version, or a body that
        does not describe a valid mixture.
    """
    path = Path(path)
    doc = load_json_document(path, "model")
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        raise DataFileError(path, "not a GMM Studio model file")
    check_version(path, doc, MODEL_VERSION, "model")
    try:
        mixture = Mixture.from_dict(doc)
    except FitError as error:
        raise DataFileError(path, f"not a valid model file: {error}") from None
    columns = doc.get("columns")
    if (
        not isinstance(columns, list)
        or not all(isinstance(c, str) for c in columns)
        or len(columns) != mixture.n_features
    ):
        raise DataFileError(
            path, f"not a valid model file: 'columns' must list {mixture.n_features} names"
        )
    settings = None
    if "settings" in doc:
        try:
            settings = FitSettings.from_dict(doc["settings"])
        except (FitError, TypeError) as error:
            raise DataFileError(path, f"not a valid model file: settings: {error}") from None
    return ModelFile(mixture=mixture, columns=columns, settings=settings, metadata=doc)


def check_version(path: Path, doc: dict[str, Any], supported: int, kind: str) -> int:
    """Check a document's ``version`` field; a newer one gets a clear message."""
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DataFileError(path, f"not a valid {kind} file: missing or bad 'version'")
    if version > supported:
        raise DataFileError(
            path,
            f"was saved by a newer GMM Studio ({kind} format version {version}; this version "
            f"reads up to {supported}); update GMM Studio to open it",
        )
    return version
