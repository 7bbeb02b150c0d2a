"""Entry script PyInstaller freezes: the same ``main`` as the ``gmm-studio`` console script."""

import sys

from gmm_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
