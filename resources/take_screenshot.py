"""Capture the screenshot the AppStream metainfo shows in software centres.

Opens the real main window offscreen at 1280x800, loads the bundled Old Faithful sample,
runs EM to convergence on the worker thread and saves the window as
``resources/screenshots/main-window.png``. Rerun after visible changes to the window.

Usage: ``python resources/take_screenshot.py [--out FILE]``
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

from gmm_studio.model import FitState

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "screenshots" / "main-window.png"
SIZE = (1280, 800)
TIMEOUT_S = 60.0


def capture(out: pathlib.Path) -> pathlib.Path:
    """Run the window until EM converges on Old Faithful and save it to ``out``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(HERE.parent))
    from gmm_studio import resources
    from gmm_studio.core import FitSettings
    from gmm_studio.gui.app import create_main_window, ensure_application
    from gmm_studio.gui.document import Document
    from gmm_studio.io import read_points

    app = ensure_application()
    table = read_points(resources.sample_path("old_faithful"))
    document = Document(
        table.data, table.columns, name="old_faithful.csv", settings=FitSettings(n_components=2)
    )
    window = create_main_window(document)
    window.resize(*SIZE)
    window.show()
    deadline = time.monotonic() + TIMEOUT_S
    while window.fit.state is not FitState.READY:
        app.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError("EM did not initialise")
    window.run_action.trigger()
    while window.fit.state not in (FitState.CONVERGED, FitState.STOPPED, FitState.ERROR):
        app.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError("EM did not converge")
    for _ in range(20):  # let the last frame and the status bar paint
        app.processEvents()
        time.sleep(0.02)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out), "PNG"):
        raise OSError(f"{out}: could not write PNG")
    window.close()
    app.processEvents()
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="PNG to write")
    print(capture(parser.parse_args(argv).out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
