"""A script that builds a window and simply ends still exits cleanly."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from gmm_studio.gui.app import create_main_window
    window = create_main_window(None)
    window.show()
    app.processEvents()
    window.run_or_pause()  # EM is running in its thread when the script ends
    """
)


def test_script_ending_with_a_window_open_stops_the_em_thread(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr
