""" "Copy as Python": scikit-learn code that rebuilds a GMM Studio fit on the same data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gmm_studio.core import FitSettings, Mixture
from gmm_studio.io.table import PointTable

#: The per-type factor that takes a covariance of the z-scores to the original units.
COVARIANCE_SCALE = {
    "full": "np.outer(scale, scale)",
    "tied": "np.outer(scale, scale)",
    "diag": "scale**2",
    "spherical": "scale[0] ** 2",
}

PRECISIONS = {
    "full": "np.linalg.inv(covariances_init)",
    "tied": "np.linalg.inv(covariances_init)",
    "diag": "1.0 / covariances_init",
    "spherical": "1.0 / covariances_init",
}


def _array_literal(array: np.ndarray, indent: str = "    ") -> str:
    """A readable ``np.array([...])`` literal with exact (repr) floats."""

    def fmt(value) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(fmt(v) for v in value) + "]"
        return repr(float(value))

    values = np.asarray(array, dtype=np.float64).tolist()
    if np.ndim(array) >= 2:
        rows = ",\n".join(f"{indent}{fmt(row)}" for row in values)
        return f"np.array([\n{rows},\n])"
    return f"np.array({fmt(values)})"


def _literal(value) -> str:
    """``value`` (str, int, float, bool, None or tuples/lists of them) as a Python literal.

    Everything that comes from a file or a session (column names, array keys, the path, the
    delimiter, ...) reaches the generated code only through here: ``repr`` of these types is a
    literal that cannot end a line or a string early, so no name can inject code. Anything else
    is refused rather than written.
    """
    if value is None or isinstance(value, bool | str):
        return repr(value)
    if isinstance(value, int | np.integer):
        return repr(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, tuple | list):
        inner = ", ".join(_literal(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"not a plain value for generated code: {type(value).__name__}")


def _loader(table: PointTable | None, points, columns) -> list[str]:
    spec = table.spec if table is not None else None
    if (
        table is not None
        and table.source is not None
        and spec is not None
        and not spec.decimal_comma  # numpy's readers know no decimal comma: inline the points
    ):
        path = _literal(str(table.source.resolve()))
        cols = tuple(int(i) for i in table.column_indices)
        lines = [
            "# The columns GMM Studio read from this file:",
            f"columns = {_literal(list(table.columns))}",
        ]
        if spec.kind == "text":
            lines += [
                "X = np.genfromtxt(",
                f"    {path},",
                f"    delimiter={_literal(spec.delimiter)},",
                f"    skip_header={_literal(int(spec.skip_lines))},",
                f"    usecols={_literal(cols)},",
                '    comments="#",',
                f"    encoding={_literal(spec.encoding)},",
                "    ndmin=2,",
                ")",
            ]
        elif spec.kind == "npy":
            lines += [
                f"data = np.load({path}, allow_pickle=False)",
                _select_from("data", table, cols),
            ]
        elif spec.kind == "npz":
            lines.append(f"with np.load({path}, allow_pickle=False) as archive:")
            if len(spec.npz_keys) == 1:
                key = _literal(spec.npz_keys[0])
                lines.append("    " + _select_from(f"archive[{key}]", table, cols))
            else:
                keys = [spec.npz_keys[i] for i in cols]
                stacked = ", ".join(f"archive[{_literal(k)}]" for k in keys)
                lines.append(f"    X = np.column_stack([{stacked}]).astype(float)")
        else:
            return _inline(table.data, table.columns)
        lines.append(
            "X = X[np.isfinite(X).all(axis=1)]  # GMM Studio drops rows with missing values"
        )
        return lines
    data = table.data if table is not None else points
    names = table.columns if table is not None else columns
    return _inline(data, names)


def _select_from(expr: str, table: PointTable, cols) -> str:
    if table.spec is not None and table.spec.record:
        return f"X = np.column_stack([{expr}[name] for name in columns]).astype(float)"
    return f"X = np.asarray({expr}, dtype=float)[:, {_literal(list(cols))}]"


def _inline(data, columns) -> list[str]:
    lines = ["# The points, as they were in GMM Studio."]
    if columns is not None:
        lines.append(f"columns = {_literal(list(columns))}")
    return [*lines, f"X = {_array_literal(data)}"]


def python_snippet(
    initial: Mixture,
    settings: FitSettings,
    table: PointTable | None = None,
    *,
    points: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
    sample_weight: np.ndarray | None = None,
) -> str:
    """Python code using scikit-learn's ``GaussianMixture`` that rebuilds a GMM Studio fit.

    Parameters
    ----------
    initial : Mixture
        The starting parameters of the fit (EM's iteration 0); they become ``weights_init``,
        ``means_init`` and ``precisions_init``.
    settings : FitSettings
        ``n_components``, ``covariance_type``, ``tol``, ``max_iter``, ``reg_covar``,
        ``n_init`` and the seed (``random_state``) are carried over; with ``standardize``
        the code fits the z-scores and maps the results back.
    table : PointTable, optional
        Where the points came from: the code reads the same columns of the same file the same
        way (dropping incomplete rows as GMM Studio did).
    points, columns : optional
        Points without a file (clicked, generated or pasted): written into the code.
    sample_weight : ndarray, shape (N,), optional
        The fit's row weights (with ``points``, not ``table``: they are written into the code
        beside the points, so rows and weights cannot part). Whole numbers become repeated
        rows, the same fit in scikit-learn; other weights are written with a note that
        scikit-learn cannot take them.

    Returns
    -------
    str
        A self-contained script; it prints the fitted weights, means and covariances.
    """
    if table is None and points is None:
        raise ValueError("give the PointTable the points came from, or the points themselves")
    if sample_weight is not None and table is not None:
        raise ValueError("give weighted points as points, not as a PointTable")
    kind = str(initial.covariance_type)
    factor = COVARIANCE_SCALE[kind]
    fitted, to_z = "X", []
    results = [
        "means, covariances = gm.means_, gm.covariances_",
        "mean_log_likelihood = gm.score(X)",
    ]
    if settings.standardize:
        fitted = "Z"
        to_z = [
            "",
            "# GMM Studio fitted the z-scores of the columns and reports the original units.",
            "center, scale = X.mean(axis=0), X.std(axis=0)",
            "scale[scale == 0] = 1.0",
            "Z = (X - center) / scale",
            "means_init = (means_init - center) / scale",
            f"covariances_init = covariances_init / {factor}",
        ]
        results = [
            "# Back in the original units; the log-likelihood is that of X (the Jacobian",
            "# of the z-scores, -sum(log(scale)) per point, added).",
            "means = gm.means_ * scale + center",
            f"covariances = gm.covariances_ * {factor}",
            "mean_log_likelihood = gm.score(Z) - np.log(scale).sum()",
        ]
    lines = [
        "# Rebuild a GMM Studio fit with scikit-learn.",
        "import numpy as np",
        "from sklearn.mixture import GaussianMixture",
        "",
        *_loader(table, points, columns),
        *_weights_lines(sample_weight),
        "",
        "# The fit's starting parameters (GMM Studio's iteration 0).",
        f"weights_init = {_array_literal(initial.weights)}",
        f"means_init = {_array_literal(initial.means)}",
        f"covariances_init = {_array_literal(initial.covariances)}",
        *to_z,
        f"precisions_init = {PRECISIONS[kind]}",
        "",
        "gm = GaussianMixture(",
        f"    n_components={_literal(int(initial.n_components))},",
        f"    covariance_type={_literal(str(initial.covariance_type))},",
        f"    tol={_literal(float(settings.tol))},",
        f"    reg_covar={_literal(float(settings.reg_covar))},",
        f"    max_iter={_literal(int(settings.max_iter))},",
        f"    n_init={_literal(int(settings.n_init))},  # each start begins at the *_init arrays",
        f"    init_params={_literal(_init_params(settings.init))},",
        "    weights_init=weights_init,",
        "    means_init=means_init,",
        "    precisions_init=precisions_init,",
        f"    random_state={_literal(None if settings.seed is None else int(settings.seed))},",
        ")",
        "# scikit-learn tests convergence one iteration later than GMM Studio, so it may run",
        "# one more iteration; the results then agree to within tol.",
        f"gm.fit({fitted})",
        *results,
        "",
        'print("converged:", gm.converged_, "after", gm.n_iter_, "iterations")',
        'print("mean log-likelihood:", mean_log_likelihood)',
        'print("weights:", gm.weights_)',
        'print("means:", means)',
        'print("covariances:", covariances)',
        "",
    ]
    return "\n".join(lines)


#: Whole-number weights are written as repeated rows up to this many rows in all.
MAX_REPEATED_ROWS = 10_000_000


def _weights_lines(sample_weight: np.ndarray | None) -> list[str]:
    """Code that gives scikit-learn GMM Studio's row weights, as far as it can take them.

    scikit-learn's ``GaussianMixture`` has no ``sample_weight``. A row of whole-number weight
    w is the same, to EM, as w copies of the row (GMM Studio's tests check it), so such
    weights become repeated rows; other weights are written out, with a note that the fit
    below ignores them.
    """
    if sample_weight is None:
        return []
    w = np.asarray(sample_weight, dtype=float)
    lines = [
        "",
        "# GMM Studio weighted the rows; scikit-learn's GaussianMixture takes no weights.",
        f"sample_weight = {_array_literal(w)}",
    ]
    whole = bool(np.all(w == np.round(w))) and float(w.sum()) <= MAX_REPEATED_ROWS
    if whole:
        return [
            *lines,
            "# A row of whole-number weight w counts as w copies of it: the same fit.",
            "X = np.repeat(X, sample_weight.astype(int), axis=0)",
        ]
    return [
        *lines,
        "# These weights are not whole numbers, so the fit below treats every row alike and its",
        "# results differ from GMM Studio's.",
    ]


def _init_params(init: str) -> str:
    # Unused when all three *_init arrays are given; kept to show the same choice.
    return {"random-points": "random_from_data", "kmeans++": "k-means++"}.get(init, "kmeans")
