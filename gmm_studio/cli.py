"""The ``gmm-studio`` command: the desktop application by default, headless tools as sub-commands.

``gmm-studio`` with no arguments, or with a file to open, starts the GUI; ``gmm-studio fit``
fits a Gaussian mixture to a data file without a screen.

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
SUBCOMMANDS = ("fit",)
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


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
    return parser


def _add_fit_parser(commands) -> None:
    from gmm_studio.core import COVARIANCE_TYPES, INIT_METHODS, FitSettings

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
    fit.add_argument(
        "-k",
        "--n-components",
        dest="n_components",
        type=int,
        required=True,
        metavar="K",
        help="number of mixture components",
    )
    fit.add_argument(
        "--covariance-type",
        choices=COVARIANCE_TYPES,
        default=defaults.covariance_type,
        help="covariance_type, as in scikit-learn (default: %(default)s)",
    )
    fit.add_argument(
        "--init",
        choices=INIT_METHODS,
        default=defaults.init,
        help="how to choose the starting parameters (default: %(default)s)",
    )
    fit.add_argument(
        "--seed",
        type=_seed,
        default=defaults.seed,
        metavar="N",
        help="seed for every random choice; 'none' for a fresh one each run (default: %(default)s)",
    )
    fit.add_argument(
        "--tol",
        type=float,
        default=defaults.tol,
        metavar="T",
        help="stop when the mean log-likelihood per point changes by less (default: %(default)s)",
    )
    fit.add_argument(
        "--max-iter",
        type=int,
        default=defaults.max_iter,
        metavar="M",
        help="most EM iterations (default: %(default)s)",
    )
    fit.add_argument(
        "--reg-covar",
        type=float,
        default=defaults.reg_covar,
        metavar="R",
        help="added to each covariance's diagonal (default: %(default)s)",
    )
    fit.add_argument(
        "--columns",
        type=_column_list,
        default=None,
        metavar="A,B,...",
        help="columns to fit, by name or 0-based index (default: every numeric column)",
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
        help="write each kept row's hard label and responsibilities to OUT.csv",
    )
    fit.set_defaults(handler=run_fit)


def _seed(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number or 'none': {text!r}") from None


def _column_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"an empty column name in {text!r}")
    return names


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _format_row(values) -> str:
    return "  ".join(f"{v:>12.6g}" for v in values)


def _summary(path: str, table, settings, result, mixture, data) -> str:
    lines = [
        f"{path}: {table.n_samples} points, {table.n_features} columns "
        f"({', '.join(table.columns)})"
        + (f", {table.n_dropped} incomplete rows dropped" if table.n_dropped else ""),
        "settings: "
        + "  ".join(
            f"{key}={value}" for key, value in settings.to_dict().items() if key != "n_components"
        ),
        (
            f"converged after {result.n_iter} iterations"
            if result.converged
            else f"did not converge in {result.n_iter} iterations (max_iter); raise --max-iter"
        ),
        f"log-likelihood {result.log_likelihood:.6f}  (mean {result.mean_log_likelihood:.6f} "
        f"per point)",
        f"BIC {mixture.bic(data):.6f}  AIC {mixture.aic(data):.6f}",
    ]
    full = mixture.full_covariances()
    header = "  ".join(f"{name[:12]:>12}" for name in table.columns)
    for k in range(mixture.n_components):
        lines += [
            "",
            f"component {k}: weight {mixture.weights[k]:.6f}",
            f"  {'':10}  {header}",
            f"  {'mean':10}  {_format_row(mixture.means[k])}",
        ]
        for i, row in enumerate(full[k]):
            label = "covariance" if i == 0 else ""
            lines.append(f"  {label:10}  {_format_row(row)}")
    return "\n".join(lines)


def run_fit(args: argparse.Namespace) -> int:
    """The ``fit`` sub-command; returns the exit code."""
    from gmm_studio.core import FitError, FitSettings, fit
    from gmm_studio.io import DataFileError, read_points, write_labels_csv

    try:
        settings = FitSettings(
            n_components=args.n_components,
            covariance_type=args.covariance_type,
            init=args.init,
            tol=args.tol,
            max_iter=args.max_iter,
            reg_covar=args.reg_covar,
            seed=args.seed,
        )
    except FitError as error:
        raise _UsageError(str(error)) from None
    path = args.path
    try:
        table = read_points(path, args.columns)
    except DataFileError as error:
        _error(f"{path}: {error.problem}")
        return EXIT_DATA
    for note in table.notes:
        _error(f"note: {path}: {note}")
    try:
        result = fit(table.data, **settings.fit_kwargs())
    except FitError as error:
        _error(f"{path}: cannot fit: {error}")
        return EXIT_DATA
    mixture = result.mixture
    if args.labels:
        try:
            write_labels_csv(args.labels, mixture.predict_proba(table.data))
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
            "bic": mixture.bic(table.data),
            "aic": mixture.aic(table.data),
        }
        print(json.dumps(_finite_json(doc), allow_nan=False))
    else:
        print(_summary(path, table, settings, result, mixture, table.data))
    return EXIT_OK


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
