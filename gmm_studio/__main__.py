"""``python -m gmm_studio`` runs the same entry point as the ``gmm-studio`` command."""

import sys

from gmm_studio.cli import main

sys.exit(main())
