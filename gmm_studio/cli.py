"""The ``gmm-studio`` command: the desktop application by default, headless tools as sub-commands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run GMM Studio from the command line and return the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if "--smoke-test" in argv:
        from gmm_studio.gui.smoke import run_smoke_test

        return run_smoke_test()
    print("GMM Studio", file=sys.stderr)
    return 0
