"""The engine and the file layer never import Qt: they must run in scripts and headless."""

import subprocess
import sys


def test_core_and_io_load_without_qt():
    code = (
        "import sys, gmm_studio.core, gmm_studio.io, gmm_studio.cli\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph'))\n"
        "print(','.join(qt))\n"
        "sys.exit(1 if qt else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"Qt modules loaded: {result.stdout}{result.stderr}"
