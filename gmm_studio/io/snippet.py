""" "Copy as Python": scikit-learn code that rebuilds a GMM Studio fit on the same data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gmm_studio.core import FitSettings, Mixture
from gmm_studio.io.table import PointTable

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


def _loader(table: PointTable | None, points, columns) -> list[str]:
    spec = table.spec if table is not None else None
    if (
        table is not None
        and table.source is not None
        and spec is not None
        and not spec.decimal_comma  # numpy's readers know no decimal comma: inline the points
    ):
        path = repr(str(table.source.resolve()))
        cols = tuple(table.column_indices)
        names = ", ".join(table.columns)
        lines = [f"# GMM Studio read the columns {names} from this file."]
        if spec.kind == "text":
            lines += [
                "X = np.genfromtxt(",
                f"    {path},",
                f"    delimiter={spec.delimiter!r},",
                f"    skip_header={spec.skip_lines},",
                f"    usecols={cols!r},",
                '    comments="#",',
                f"    encoding={spec.encoding!r},",
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
                lines.append("    " + _select_from(f"archive[{spec.npz_keys[0]!r}]", table, cols))
            else:
                keys = [spec.npz_keys[i] for i in cols]
                stacked = ", ".join(f"archive[{k!r}]" for k in keys)
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
        fields = ", ".join(f"{expr}[{name!r}]" for name in table.columns)
        return f"X = np.column_stack([{fields}]).astype(float)"
    return f"X = np.asarray({expr}, dtype=float)[:, {list(cols)!r}]"


def _inline(data, columns) -> list[str]:
    names = ", ".join(columns) if columns is not None else "the points"
    return [f"# The points ({names}), as they were in GMM Studio.", f"X = {_array_literal(data)}"]


def python_snippet(
    initial: Mixture,
    settings: FitSettings,
    table: PointTable | None = None,
    *,
    points: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
) -> str:
    """Python code using scikit-learn's ``GaussianMixture`` that rebuilds a GMM Studio fit.

    Parameters
    ----------
    initial : Mixture
        The starting parameters of the fit (EM's iteration 0); they become ``weights_init``,
        ``means_init`` and ``precisions_init``.
    settings : FitSettings
        ``n_components``, ``covariance_type``, ``tol``, ``max_iter``, ``reg_covar``,
        ``n_init`` and the seed (``random_state``) are carried over.
    table : PointTable, optional
        Where the points came from: the code reads the same columns of the same file the same
        way (dropping incomplete rows as GMM Studio did).
    points, columns : optional
        Points without a file (clicked, generated or pasted): written into the code.

    Returns
    -------
    str
        A self-contained script; it prints the fitted weights, means and covariances.
    """
    if table is None and points is None:
        raise ValueError("give the PointTable the points came from, or the points themselves")
    lines = [
        "# Rebuild a GMM Studio fit with scikit-learn.",
        "import numpy as np",
        "from sklearn.mixture import GaussianMixture",
        "",
        *_loader(table, points, columns),
        "",
        "# The fit's starting parameters (GMM Studio's iteration 0).",
        f"weights_init = {_array_literal(initial.weights)}",
        f"means_init = {_array_literal(initial.means)}",
        f"covariances_init = {_array_literal(initial.covariances)}",
        f"precisions_init = {PRECISIONS[initial.covariance_type]}",
        "",
        "gm = GaussianMixture(",
        f"    n_components={initial.n_components},",
        f"    covariance_type={initial.covariance_type!r},",
        f"    tol={settings.tol!r},",
        f"    reg_covar={settings.reg_covar!r},",
        f"    max_iter={settings.max_iter!r},",
        f"    n_init={int(settings.n_init)},  # with the *_init arrays, each start begins there",
        f"    init_params={_init_params(settings.init)!r},",
        "    weights_init=weights_init,",
        "    means_init=means_init,",
        "    precisions_init=precisions_init,",
        f"    random_state={settings.seed!r},",
        ")",
        "# scikit-learn tests convergence one iteration later than GMM Studio, so it may run",
        "# one more iteration; the results then agree to within tol.",
        "gm.fit(X)",
        "",
        'print("converged:", gm.converged_, "after", gm.n_iter_, "iterations")',
        'print("mean log-likelihood:", gm.score(X))',
        'print("weights:", gm.weights_)',
        'print("means:", gm.means_)',
        'print("covariances:", gm.covariances_)',
        "",
    ]
    return "\n".join(lines)


def _init_params(init: str) -> str:
    # Unused when all three *_init arrays are given; kept to show the same choice.
    return {"random-points": "random_from_data", "kmeans++": "k-means++"}.get(init, "kmeans")
