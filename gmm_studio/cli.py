"""The ``gmm-studio`` command: the desktop application by default, headless tools as sub-commands."""

from __future__ import annotations

import pathlib
import sys

import numpy as np


def load_points_for_window(path) -> tuple[np.ndarray, list[str]]:
    """Read the points a window opens with: ``(points (N, D), column names)``.

    The one place the window reads a data file given on the command line: a CSV whose first
    row names the columns and whose other rows are numbers.
    """
    return _read_csv_with_header(pathlib.Path(path))


def _read_csv_with_header(path: pathlib.Path) -> tuple[np.ndarray, list[str]]:
    with open(path, encoding="utf-8") as handle:
        names = [name.strip() for name in handle.readline().strip().split(",")]
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    if data.shape[1] != len(names) or data.shape[1] < 2:
        raise ValueError("expected a header row of column names and at least two numeric columns")
    return data, names


def launch_window(argv: list[str]) -> int:
    """Open the main window (the built-in sample, or the file named in ``argv``); run Qt."""
    from gmm_studio.gui.app import display_problem

    if len(argv) > 1:
        print("usage: gmm-studio [FILE]", file=sys.stderr)
        return 2
    hint = display_problem()
    if hint is not None:
        print(hint, file=sys.stderr)
        return 1
    from gmm_studio.gui.app import create_main_window, ensure_application, file_document

    document = None
    if argv:
        path = pathlib.Path(argv[0])
        try:
            points, columns = load_points_for_window(path)
        except (OSError, ValueError) as exc:
            print(f"gmm-studio: cannot read {path}: {exc}", file=sys.stderr)
            return 1
        document = file_document(path, points, columns)
    app = ensure_application()
    window = create_main_window(document)
    window.show()
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    """Run GMM Studio from the command line and return the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    return launch_window(argv)
