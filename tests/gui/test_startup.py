"""Start-up: the sample document, files given on the command line, no display."""

import json
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


def test_the_window_runs_long_em_passes_on_every_core_in_threads_nicer_than_its_own():
    script = """
import json, threading
import numpy as np
from gmm_studio.core import blockwise, initialize
from gmm_studio.core.point_colors import blended_colors

def nice(tid):
    return int(open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()[16])

def pool_niceness():  # a pass of over two frames, then the pool's niceness
    blended_colors(X, mixture, np.zeros((8, 3)))
    return [nice(t.native_id) for t in threading.enumerate() if t.name.startswith("gmm-studio-em")]

def threads_of_a_quick_pass():  # 40,000 rows, K=8, D=2: a few milliseconds
    return blockwise.kernel_for(mixture, quick).n_workers(quick)

X = np.random.default_rng(0).normal(size=(700_000, 2))
quick = blockwise.BlockData(X[:40_000])
mixture = initialize(X[:1000], 8, seed=1)
blockwise.set_thread_count(2)
before = [pool_niceness(), threads_of_a_quick_pass()]
from gmm_studio.gui.app import ensure_application
ensure_application(); ensure_application()
after = [pool_niceness(), threads_of_a_quick_pass()]
print(json.dumps([blockwise.thread_count(), nice(threading.get_native_id()), before, after]))
"""
    from gmm_studio.gui.thread_priority import WORKER_NICENESS

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    count, main, before, after = json.loads(out.stdout)
    assert count == 2  # the window keeps every thread the passes may use
    assert before == [[main], 2]  # before the window: as nice as the main thread, 2 threads
    # The window's pool runs nicer, and a pass quicker than a frame runs on one thread.
    assert after == [[min(19, main + WORKER_NICENESS)], 1]
