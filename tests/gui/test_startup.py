"""Start-up: the sample document, files given on the command line, no display."""

import os
import subprocess
import sys

import numpy as np

from gmm_studio.gui.app import display_problem
from gmm_studio.io import open_document
from gmm_studio.model import FitState


def test_the_window_opens_with_the_notebook_sample_and_three_components(qtbot, window):
    doc = window.document
    assert doc.name == "seed_example.csv" and doc.n_points == 100
    assert doc.settings.n_components == 3
    assert window.fit.state is FitState.READY and window.run_action.isEnabled()
    assert len(window.canvas.components.curves) == 3
    assert not doc.dirty


def test_a_file_from_the_command_line_is_read_with_its_column_names(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("width,height\n1,2\n3,4.5\n-1,0\n", encoding="utf-8")
    table = open_document(path).select()
    assert table.columns == ["width", "height"]
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4.5], [-1, 0]])


def test_without_a_display_the_command_prints_a_hint_instead_of_aborting(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        [sys.executable, "-m", "gmm_studio"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.getcwd(),
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "QT_QPA_PLATFORM=offscreen" in lines[0] and "fit" in lines[0]


def test_display_problem_is_none_with_the_offscreen_platform(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None


def test_the_window_leaves_its_thread_a_core():
    import os
    import subprocess
    import sys

    script = (
        "from gmm_studio.core.blockwise import thread_count\n"
        "before = thread_count()\n"
        "from gmm_studio.gui.app import ensure_application\n"
        "ensure_application(); ensure_application()\n"
        "print(before, thread_count())\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    before, after = map(int, out.stdout.split())
    assert after == max(1, before - 1)
