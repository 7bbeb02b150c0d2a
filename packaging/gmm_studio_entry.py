"""Entry script PyInstaller freezes: the same ``main`` as the ``gmm-studio`` console script."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A spawned child (the window's EM pass process) is this executable again: let it run
    # its part instead of the application.
    multiprocessing.freeze_support()
    from gmm_studio.cli import main

    sys.exit(main())
