"""The engine, the fit model and the file layer never import Qt: they run in scripts and headless."""

import subprocess
import sys


def test_core_model_and_io_load_without_qt():
    code = (
        "import sys, gmm_studio.core, gmm_studio.model, gmm_studio.io, gmm_studio.cli\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph'))\n"
        "print(','.join(qt))\n"
        "sys.exit(1 if qt else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"Qt modules loaded: {result.stdout}{result.stderr}"


def test_each_layer_imports_only_the_layers_below_it():
    """core <- model <- io <- gui: the engine knows nothing of fits, files or windows."""
    code = (
        "import sys, gmm_studio.core\n"
        "above = sorted(m for m in sys.modules if m.startswith(('gmm_studio.model', "
        "'gmm_studio.io', 'gmm_studio.gui')))\n"
        "import gmm_studio.model\n"
        "above += sorted(m for m in sys.modules if m.startswith(('gmm_studio.io', "
        "'gmm_studio.gui')))\n"
        "print(','.join(above))\n"
        "sys.exit(1 if above else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"imported from above: {result.stdout}{result.stderr}"
