"""The data layer and the headless command line never load Qt."""

import subprocess
import sys
from pathlib import Path


def test_io_and_cli_import_without_qt():
    code = (
        "import sys\n"
        "import gmm_studio.io, gmm_studio.cli\n"
        "from gmm_studio.cli import main\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken')))\n"
        "print(bad)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
