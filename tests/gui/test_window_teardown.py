"""A closed window with undo history is freed cleanly, also by the cyclic garbage collector.

Its Python objects form reference cycles; when the collector freed them with points edits on
the undo stack, the stack and its commands were destroyed part-way through (a segmentation
fault in QUndoStack::clear, about one full test run in twelve). Run in a child process, so a
crash is a failed test and not a dead test run.
"""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
WINDOWS = 5

SCRIPT = """
import gc, sys
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtTest import QTest
from gmm_studio.gui.app import create_main_window, ensure_application

app = ensure_application()
for number in range(int(sys.argv[1])):
    window = create_main_window()
    window.resize(800, 600)
    window.show()
    QTest.qWait(50)
    for x in (1.0, 2.0, 3.0):
        QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                         pos=window.canvas.data_to_widget(x, 2.0))
    window.document.undo_stack.undo()
    assert window.document.undo_stack.count() == 3, window.document.undo_stack.count()
    window.close()
    window.deleteLater()
    del window
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    print("freed", number, flush=True)
"""


def test_closed_windows_with_undo_history_are_freed_without_a_crash(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=str(tmp_path / "config"),
               GMM_STUDIO_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(WINDOWS)], cwd=tmp_path,
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.split() == [w for n in range(WINDOWS) for w in ("freed", str(n))]
