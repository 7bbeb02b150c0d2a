"""``gmm-studio select``: fit a grid of K × covariance type and choose by BIC, AIC or ICL."""

from __future__ import annotations

import argparse
import json
import math
import sys

from gmm_studio.core.covariance import COVARIANCE_TYPES
from gmm_studio.core.criteria import CRITERIA
from gmm_studio.core.selection import MCLUST_NAMES, GridSettings

CRITERION_NAMES = {"bic": "BIC", "aic": "AIC", "icl": "ICL"}
GRID_FIELDS = (
    "n_components", "covariance_type", "log_likelihood", "bic", "aic", "icl", "n_iter",
    "converged", "degenerate",
)  # fmt: skip


def add_select_parser(commands) -> None:
    """Add the ``select`` sub-command to ``commands`` (argparse sub-parsers)."""
    from gmm_studio.cli import add_em_options, add_reader_options, add_weights_option

    select = commands.add_parser(
        "select",
        help="fit every K × covariance type and choose the model by BIC, AIC or ICL",
        description=(
            "Fit a Gaussian mixture for every number of components K and covariance type, "
            "print the criterion of each as a table and the chosen model. BIC, AIC and ICL "
            "are on scikit-learn's scale: lower is better (mclust reports the negatives). "
            "A fit with a degenerate component (a covariance on the reg_covar floor, or "
            "fewer than D+1 distinct points) is marked and chosen only if nothing else fits."
        ),
    )
    select.add_argument("path", metavar="PATH", help="the data file")
    select.add_argument(
        "-k",
        "--n-components",
        dest="n_components",
        default="1-9",
        metavar="KS",
        help="the K values: a range such as 1-9 or a list such as 2,3,5 (default: %(default)s)",
    )
    select.add_argument(
        "--covariance-types",
        default=",".join(COVARIANCE_TYPES),
        metavar="T,...",
        help="covariance types to try (default: %(default)s)",
    )
    select.add_argument(
        "--criterion",
        choices=CRITERIA,
        default="bic",
        help="how to choose the model (default: %(default)s)",
    )
    add_em_options(select, GridSettings().tol)
    add_reader_options(select)
    add_weights_option(select)
    select.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the table"
    )
    select.set_defaults(handler=run_select)


def _grid_settings(args) -> GridSettings:
    from gmm_studio.core.selection import parse_n_components

    types = tuple(t.strip() for t in args.covariance_types.split(","))
    return GridSettings(
        n_components=parse_n_components(args.n_components),
        covariance_types=types,
        n_init=args.n_init,
        init=args.init,
        tol=args.tol,
        max_iter=args.max_iter,
        reg_covar=args.reg_covar,
        seed=args.seed,
    )


def run_select(args: argparse.Namespace) -> int:
    """The ``select`` sub-command; returns the exit code."""
    from gmm_studio.cli import EXIT_DATA, EXIT_OK, _error, _finite_json, _UsageError, read_table
    from gmm_studio.core import FitError
    from gmm_studio.core.selection import select_model

    try:
        settings = _grid_settings(args)
    except FitError as error:
        raise _UsageError(str(error)) from None
    path = args.path
    table = read_table(args, weights=args.weights)
    if table is None:
        return EXIT_DATA
    progress = _Progress(len(settings.cells()), enabled=not args.json and sys.stderr.isatty())
    try:
        selection = select_model(
            table.data, settings, sample_weight=table.sample_weight, on_cell=progress.step
        )
    except FitError as error:
        _error(f"{path}: cannot fit: {error}")
        return EXIT_DATA
    finally:
        progress.done()
    best = selection.best(args.criterion)
    if args.json:
        doc = {
            "criterion": args.criterion,
            "n_samples": table.n_samples,
            "columns": table.columns,
            "n_init": settings.n_init,
            "seed": settings.seed,
            "grid": [cell_record(c) for c in selection.cells],
            "best": None if best is None else best_record(best),
        }
        print(json.dumps(_finite_json(doc), allow_nan=False))
    else:
        print(grid_table(path, table, selection, args.criterion))
    if best is None:
        _error(
            f"{path}: cannot fit: no cell of the grid could be fitted ({_first_error(selection)})"
        )
        return EXIT_DATA
    if not args.json:
        from gmm_studio.cli import _summary, restarts_summary

        fit_settings = settings.fit_settings(best.n_components, best.covariance_type)
        print()
        print(f"chosen: K={best.n_components}, {best.covariance_type} "
              f"({MCLUST_NAMES[best.covariance_type]})")  # fmt: skip
        mixture, weights = best.mixture, table.sample_weight
        bic, aic = mixture.bic(table.data, weights), mixture.aic(table.data, weights)
        print(_summary(path, table, fit_settings, best.result, mixture, bic, aic))
        print(restarts_summary(best))
    return EXIT_OK


def _first_error(selection) -> str:
    return next((c.error for c in selection.cells if c.error), "unknown reason")


def cell_record(cell) -> dict:
    """One grid cell as JSON fields (NaN for what a failed cell lacks)."""
    result = cell.result
    return {
        "n_components": cell.n_components,
        "covariance_type": cell.covariance_type,
        "log_likelihood": cell.log_likelihood,
        "bic": cell.bic,
        "aic": cell.aic,
        "icl": cell.icl,
        "n_iter": None if result is None else result.n_iter,
        "converged": None if result is None else result.converged,
        "degenerate": cell.degenerate,
        "degenerate_components": list(cell.degenerate_components),
        "mclust_model": MCLUST_NAMES[cell.covariance_type],
        "start_log_likelihoods": list(cell.start_log_likelihoods),
        "error": cell.error,
    }


def best_record(cell) -> dict:
    """The chosen cell with its parameters, in scikit-learn's shapes."""
    mixture = cell.mixture
    return {
        **cell_record(cell),
        "weights": mixture.weights.tolist(),
        "means": mixture.means.tolist(),
        "covariances": mixture.covariances.tolist(),
    }


def grid_table(path: str, table, selection, criterion: str) -> str:
    """The grid as text: rows K, columns covariance type (mclust's name beside ours)."""
    settings = selection.settings
    name = CRITERION_NAMES[criterion]
    best = selection.best(criterion)
    heads = [f"{t} ({MCLUST_NAMES[t]})" for t in settings.covariance_types]
    cells = {}
    for c in selection.cells:
        value = c.criterion(criterion)
        text = "failed" if c.failed or not math.isfinite(value) else f"{value:.2f}"
        mark = "*" if c is best else "!" if c.degenerate else " "
        cells[(c.n_components, c.covariance_type)] = text + mark
    width = max(len(h) for h in heads + list(cells.values())) + 2
    lines = [
        f"{path}: {table.n_samples} points, {table.n_features} columns "
        f"({', '.join(table.columns)})"
        + (f", {table.n_dropped} incomplete rows dropped" if table.n_dropped else ""),
        f"{name} of each fit (lower is better; mclust's sign is the opposite); "
        f"n_init={settings.n_init} seed={settings.seed} tol={settings.tol:g}",
        "",
        f"{'K':>3}" + "".join(f"{h:>{width}}" for h in heads),
    ]
    for k in settings.n_components:
        row = "".join(f"{cells[(k, t)]:>{width + 1}}" for t in settings.covariance_types)
        lines.append(f"{k:>3}" + row[1:])
    degenerate = [c for c in selection.cells if c.degenerate]
    lines.append("")
    lines.append(
        f"* chosen: lowest {name}"
        + (" among fits without a degenerate component" if degenerate else "")
    )
    if degenerate:
        lines.append(
            "! degenerate: a component's covariance is on the reg_covar floor, or it rests on "
            "fewer than D+1 distinct points (not chosen while another fit exists)"
        )
    return "\n".join(lines)


class _Progress:
    """'fitted 12 of 36 cells' on a terminal's stderr, rewritten in place."""

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.count = 0
        self.enabled = enabled

    def step(self, _cell) -> None:
        self.count += 1
        if self.enabled:
            print(
                f"\rfitted {self.count} of {self.total} cells", end="", file=sys.stderr, flush=True
            )

    def done(self) -> None:
        if self.enabled and self.count:
            print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)
