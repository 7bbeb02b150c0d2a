"""The ``gmm-studio`` command: the desktop application by default, headless tools as sub-commands.

``gmm-studio`` with no arguments, or with a file to open, starts the GUI; ``gmm-studio fit``
fits a Gaussian mixture to a data file without a screen, and ``gmm-studio select`` fits a grid
of K × covariance type and chooses by BIC, AIC or ICL (:mod:`gmm_studio.cli_select`).

Exit codes: 0 success, 1 a problem with the data (a one-line message on stderr naming the file
and the problem), 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import sys
from collections.abc import Sequence

from gmm_studio import __version__

PROG = "gmm-studio"
SUBCOMMANDS = ("fit", "select", "record")
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


#: What the covariance types mean for one column.
ONE_COLUMN_NOTE = (
    "one column: full, diag and spherical covariances are the same model (a variance per "
    "component); tied shares one variance"
)
#: How a standardized fit reports.
STANDARDIZED_NOTE = (
    "standardized: fitted on z-scores; parameters and log-likelihood in the original units "
    "(reg_covar applies to the z-scores)"
)


class _UsageError(Exception):
    """A command-line value that argparse accepted but the engine cannot use."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``gmm-studio`` and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Watch Gaussian mixture models learn. Without a sub-command, start the desktop "
            "application (optionally opening FILE)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"GMM Studio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_fit_parser(commands)
    from gmm_studio.cli_select import add_select_parser

    add_select_parser(commands)
    from gmm_studio.cli_record import add_record_parser

    add_record_parser(commands)
    return parser


def _add_fit_parser(commands) -> None:
    from gmm_studio.core import FitSettings

    defaults = FitSettings()
    fit = commands.add_parser(
        "fit",
        help="fit a Gaussian mixture to a data file, without the GUI",
        description=(
            "Fit a Gaussian mixture by EM to the numeric columns of PATH (CSV, TSV, "
            "whitespace-separated text, .npy or .npz) and print a summary. Rows with missing "
            "or non-finite values are dropped and counted."
        ),
    )
    fit.add_argument("path", metavar="PATH", help="the data file")
    _add_model_options(fit)
    add_em_options(fit, defaults.tol)
    add_reader_options(fit)
    add_weights_option(fit)
    fit.add_argument(
        "--labels-column",
        dest="labels_column",
        default=None,
        metavar="NAME",
        help="a column of true classes: report the adjusted Rand index of the fit against it",
    )
    fit.add_argument(
        "--standardize",
        action="store_true",
        help=(
            "fit on z-scored columns; everything is reported in the original units (the "
            "log-likelihood of the original data; reg_covar applies to the z-scores)"
        ),
    )
    fit.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object instead of the summary",
    )
    fit.add_argument(
        "--labels",
        metavar="OUT.csv",
        default=None,
        help=(
            "write each kept row's hard label and responsibilities to OUT.csv; its first "
            "column, 'row', is the row's 0-based position among the file's data rows "
            "(counted before incomplete rows were dropped)"
        ),
    )
    fit.add_argument(
        "--dask",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help=(
            "fit on a Dask cluster, reading PATH lazily (.npy, CSV or a glob of CSVs, Parquet "
            "files or folders): a new local cluster, or the scheduler at ADDRESS "
            "(e.g. tcp://host:8786); needs gmm-studio[dask]"
        ),
    )
    fit.set_defaults(handler=run_fit)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    """-k and --covariance-type, for the sub-commands that fit one model."""
    from gmm_studio.core import COVARIANCE_TYPES, FitSettings

    parser.add_argument(
        "-k",
        "--n-components",
        dest="n_components",
        type=int,
        required=True,
        metavar="K",
        help="number of mixture components",
    )
    parser.add_argument(
        "--covariance-type",
        choices=COVARIANCE_TYPES,
        default=FitSettings().covariance_type,
        help="covariance_type, as in scikit-learn (default: %(default)s)",
    )


def add_reader_options(parser: argparse.ArgumentParser) -> None:
    """The options that say how to read a data file, shared by the sub-commands."""
    parser.add_argument(
        "--skip-rows",
        type=_count,
        default=None,
        metavar="N",
        help="skip the first N lines (sheet rows) of the file unread (default: a title, notes "
        "or scikit-learn's count line are recognised and skipped)",
    )
    parser.add_argument(
        "--no-header",
        action="store_true",
        help="the first row read is data, not column names",
    )
    parser.add_argument(
        "--sheet",
        default=None,
        metavar="NAME",
        help="the worksheet of an .xlsx workbook, by name or 0-based position (default: the first)",
    )


def add_weights_option(parser: argparse.ArgumentParser) -> None:
    """``--weights COLUMN``: a column of sample weights, for ``fit`` and ``select``."""
    parser.add_argument(
        "--weights",
        default=None,
        metavar="COLUMN",
        help="a column of sample weights (finite, at least 0): each row counts that many times",
    )


def add_em_options(parser: argparse.ArgumentParser, tol: float) -> None:
    """The options ``fit`` and ``select`` share: the start, the iterations, the columns."""
    from gmm_studio.core import INIT_METHODS, FitSettings

    defaults = FitSettings()
    parser.add_argument(
        "--init",
        choices=INIT_METHODS,
        default=defaults.init,
        help="how to choose the starting parameters (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=defaults.seed,
        metavar="N",
        help="seed for every random choice; 'none' for a fresh one each run (default: %(default)s)",
    )
    parser.add_argument(
        "--n-init",
        type=int,
        default=1,
        metavar="N",
        help="number of starts; the best by log-likelihood is kept, a start with a degenerate "
        "component only if every start has one (default: %(default)s)",
    )
    parser.add_argument(
        "--tol",
        type=float,
        default=tol,
        metavar="T",
        help="stop when the mean log-likelihood per point changes by less (default: %(default)s)",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=defaults.max_iter,
        metavar="M",
        help="most EM iterations (default: %(default)s)",
    )
    parser.add_argument(
        "--reg-covar",
        type=float,
        default=defaults.reg_covar,
        metavar="R",
        help="added to each covariance's diagonal (default: %(default)s)",
    )
    parser.add_argument(
        "--columns",
        type=_column_list,
        default=None,
        metavar="A,B,...",
        help="columns to fit, by name or 0-based index (default: every numeric column)",
    )


def _seed(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number or 'none': {text!r}") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 0: {text!r}")
    return value


def _column_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"an empty column name in {text!r}")
    return names


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


#: Values this small relative to their scale are round-off, shown as 0: an exact zero
#: computed in floating point comes out as ~1e-16 times the numbers it was computed from.
ROUND_OFF = 1e-12
#: Narrowest column of the summary's tables.
CELL = 12


def _iterations(n: int) -> str:
    return f"{n} iteration" if n == 1 else f"{n} iterations"


def _shown_covariance(covariance):
    """The covariance as printed: exactly symmetric, round-off shown as 0."""
    import numpy as np

    sym = (covariance + covariance.T) / 2  # a + b == b + a exactly: the halves agree
    scale = np.sqrt(np.outer(np.abs(np.diag(sym)), np.abs(np.diag(sym))))
    return np.where(np.abs(sym) <= ROUND_OFF * scale, 0.0, sym) + 0.0  # + 0.0: no "-0"


def _shown_means(means, covariances):
    """The means as printed: round-off shown as 0.

    A column's scale is the larger of its largest mean and its largest standard deviation, so
    a mean of 1e-17 where every mean of the column is about 0 is round-off too.
    """
    import numpy as np

    spread = np.sqrt(np.abs(np.diagonal(covariances, axis1=1, axis2=2)))
    scale = np.maximum(np.abs(means).max(axis=0), spread.max(axis=0))
    return np.where(np.abs(means) <= ROUND_OFF * scale, 0.0, means) + 0.0


def _format_row(values, widths) -> str:
    return "  ".join(f"{v:>{w}.6g}" for v, w in zip(values, widths, strict=True))


def _summary(path: str, table, settings, result, mixture, bic, aic) -> str:
    n_iter = _iterations(result.n_iter)
    lines = [
        f"{path}: {table.n_samples} points, {table.n_features} columns "
        f"({', '.join(table.columns)})"
        + (f", {table.n_dropped} incomplete rows dropped" if table.n_dropped else ""),
        "settings: "
        + "  ".join(
            f"{key}={value}" for key, value in settings.to_dict().items() if key != "n_components"
        ),
        (
            f"converged after {n_iter}"
            if result.converged
            else f"did not converge in {n_iter} (max_iter); raise --max-iter"
        ),
        f"log-likelihood {result.log_likelihood:.6f}  (mean {result.mean_log_likelihood:.6f} "
        f"per point)",
        f"BIC {bic:.6f}  AIC {aic:.6f}",
    ]
    if table.n_features == 1:
        lines.append(ONE_COLUMN_NOTE)
    if settings.standardize:
        lines.append(STANDARDIZED_NOTE)
    full = mixture.full_covariances()
    means = _shown_means(mixture.means, full)
    widths = [max(CELL, len(name)) for name in table.columns]
    header = "  ".join(f"{name:>{w}}" for name, w in zip(table.columns, widths, strict=True))
    for k in range(mixture.n_components):
        lines += [
            "",
            f"component {k}: weight {mixture.weights[k]:.6f}",
            f"  {'':10}  {header}",
            f"  {'mean':10}  {_format_row(means[k], widths)}",
        ]
        for i, row in enumerate(_shown_covariance(full[k])):
            label = "covariance" if i == 0 else ""
            lines.append(f"  {label:10}  {_format_row(row, widths)}")
    return "\n".join(lines)


def restarts_summary(outcome) -> str:
    """The lines on the starts and the health of a fit, for the readable summaries."""
    lines = []
    if len(outcome.starts) > 1:
        finals = ", ".join(
            "failed" if math.isnan(v) else f"{v:.6f}" for v in outcome.start_log_likelihoods
        )
        lines.append(f"best of {len(outcome.starts)} starts (start {outcome.best_index}); "
                     f"final log-likelihoods: {finals}")  # fmt: skip
    if outcome.degenerate_components is None:
        lines.append("degenerate components: not assessed (the data are on a Dask cluster)")
    elif outcome.degenerate:
        lines.append(
            "degenerate components: "
            + ", ".join(str(k) for k in outcome.degenerate_components)
            + " (a covariance on the reg_covar floor, or fewer than D+1 distinct points"
            + (" in every start" if len(outcome.starts) > 1 else "")
            + "); its likelihood is not to be trusted"
        )
    else:
        lines.append("no degenerate components")
    return "\n".join(lines)


def read_table(args: argparse.Namespace, *, weights=None, labels=None):
    """The points of ``args.path`` read as the reader options in ``args`` say, with notes
    printed on stderr; None after printing the one-line message of a file that cannot be
    read. ``weights`` and ``labels`` name the weight and true-label columns, if any."""
    from gmm_studio.io import DataFileError, ReadOptions, inspect_table

    sheet = args.sheet
    if sheet is not None and sheet.isdigit():
        sheet = int(sheet)
    options = ReadOptions(
        skip_rows=args.skip_rows, header=False if args.no_header else None, sheet=sheet
    )
    try:
        table = inspect_table(args.path, options).select(
            args.columns, weights=weights, labels=labels
        )
    except DataFileError as error:
        _error(f"{args.path}: {error.problem}")
        return None
    for note in table.notes:
        _error(f"note: {args.path}: {note}")
    return table


def run_fit(args: argparse.Namespace) -> int:
    """The ``fit`` sub-command; returns the exit code."""
    from gmm_studio.core import FitError, FitSettings
    from gmm_studio.core.restarts import fit_starts
    from gmm_studio.io import DataFileError, write_labels_csv

    try:
        settings = FitSettings(
            n_components=args.n_components,
            covariance_type=args.covariance_type,
            init=args.init,
            tol=args.tol,
            max_iter=args.max_iter,
            reg_covar=args.reg_covar,
            seed=args.seed,
            n_init=args.n_init,
            standardize=args.standardize,
        )
    except FitError as error:
        raise _UsageError(str(error)) from None
    path = args.path
    if args.dask is not None:
        for given, option in (
            (args.labels, "--labels"),
            (args.labels_column, "--labels-column"),
            (args.standardize, "--standardize"),
            (args.skip_rows is not None, "--skip-rows"),
            (args.no_header, "--no-header"),
            (args.sheet, "--sheet"),
        ):
            if given:
                raise _UsageError(f"{option} cannot be combined with --dask")
        try:
            from gmm_studio.cluster.command import fit_on_cluster
        except ImportError as error:  # the optional extra is not installed
            _error(str(error))
            return EXIT_USAGE
        fitted = fit_on_cluster(args, settings, _error)
        if isinstance(fitted, int):
            return fitted
        table, outcome = fitted
        weights = None  # on the cluster: the criteria come from the fit's log-likelihood
    else:
        table = read_table(args, weights=args.weights, labels=args.labels_column)
        if table is None:
            return EXIT_DATA
        weights = table.sample_weight
        try:
            outcome = fit_starts(
                table.data, n_init=settings.n_init, sample_weight=weights,
                **settings.fit_kwargs(),
            )  # fmt: skip
        except FitError as error:
            _error(f"{path}: cannot fit: {error}")
            return EXIT_DATA
    if outcome.failed:
        _error(f"{path}: cannot fit: {outcome.error}")
        return EXIT_DATA
    result = outcome.result
    mixture = result.mixture
    if args.dask is not None:
        bic, aic, agreement = outcome.bic, outcome.aic, None
    else:
        bic, aic = mixture.bic(table.data, weights), mixture.aic(table.data, weights)
        agreement = None if table.labels is None else label_agreement(table, mixture)
    if args.labels:
        try:
            write_labels_csv(
                args.labels, mixture.predict_proba(table.data), row_ids=table.row_positions()
            )
        except DataFileError as error:
            _error(f"{args.labels}: {error.problem}")
            return EXIT_DATA
    if args.json:
        doc = {
            "n_samples": table.n_samples,
            "columns": table.columns,
            "covariance_type": mixture.covariance_type,
            "weights": mixture.weights.tolist(),
            "means": mixture.means.tolist(),
            "covariances": mixture.covariances.tolist(),
            "log_likelihood": result.log_likelihood,
            "mean_log_likelihood": result.mean_log_likelihood,
            "n_iter": result.n_iter,
            "converged": result.converged,
            "bic": bic,
            "aic": aic,
            "n_init": args.n_init,
            "start_seeds": [start.seed for start in outcome.starts],
            "start_log_likelihoods": list(outcome.start_log_likelihoods),
            # None when they could not be assessed (a fit on a Dask cluster).
            "degenerate_components": (
                None
                if outcome.degenerate_components is None
                else list(outcome.degenerate_components)
            ),
        }
        if agreement is not None:
            doc["adjusted_rand_index"] = agreement[0]
        print(json.dumps(_finite_json(doc), allow_nan=False))
    else:
        print(_summary(path, table, settings, result, mixture, bic, aic))
        print(restarts_summary(outcome))
        if agreement is not None:
            print(agreement[1])
    return EXIT_OK


def label_agreement(table, mixture) -> tuple[float, str]:
    """The adjusted Rand index of the fit's hard labels against the table's true labels, and
    a line saying so."""
    import numpy as np

    from gmm_studio.core.agreement import adjusted_rand_index

    known = np.array([label is not None for label in table.labels])
    predicted = mixture.predict(table.data)
    ari = adjusted_rand_index(table.labels[known], predicted[known])
    unknown = int((~known).sum())
    extra = f" ({unknown} points without a label left out)" if unknown else ""
    return ari, f"adjusted Rand index {ari:.6f} against '{table.label_column}'{extra}"


def _finite_json(value):
    """Replace non-finite floats (not valid JSON) with None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    return value


def launch_window(argv: list[str]) -> int:
    """Start the desktop application; ``argv`` holds what followed ``gmm-studio`` (a file to
    open, or nothing for the built-in sample).

    Qt is imported only here, lazily, so the headless sub-commands never load it.
    """
    from gmm_studio.gui.app import display_problem

    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        _error("usage: gmm-studio [FILE] | gmm-studio fit PATH -k K ... (see --help)")
        return EXIT_USAGE
    hint = display_problem()
    if hint is not None:
        print(hint, file=sys.stderr)
        return EXIT_DATA
    from gmm_studio.gui.app import create_main_window, ensure_application
    from gmm_studio.io import DataFileError, open_document

    opened = None
    if argv:
        path = pathlib.Path(argv[0])
        try:  # the same path as File > Open, before any window: a bad file opens none
            opened = open_document(path)
        except DataFileError as error:
            _error(str(error))
            return EXIT_DATA
    app = ensure_application()
    window = create_main_window(opened=None if opened is None else (path, opened))
    window.show()
    window.file_handling.offer_recovery_soon()
    return app.exec()


def main(argv: Sequence[str] | None = None) -> int:
    """Run GMM Studio from the command line and return the process exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--probe-platform"]:  # gmm_studio.gui.app.platform_plugin_problem's child
        from gmm_studio.gui.app import probe_platform

        return probe_platform()
    if argv == ["--smoke-test"]:
        from gmm_studio.gui.smoke import run_smoke_test

        return run_smoke_test()
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return launch_window(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except SystemExit as exit_:  # argparse: --help/--version (0) and usage errors (2)
        code = exit_.code
        return code if isinstance(code, int) else EXIT_USAGE
    except _UsageError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
