"""Recovery files in the user's data folder, and the recent-files list."""

import os
import subprocess
import sys

import numpy as np

from gmm_studio.io import (
    Autosaver,
    Session,
    add_recent,
    existing_recent,
    list_recovery,
    remove_recent,
    remove_recovery,
    user_data_dir,
    write_recovery,
)
from gmm_studio.io.recovery import recovery_path


def small_session(n=3):
    return Session(points=np.arange(2.0 * n).reshape(n, 2), columns=["x", "y"])


def test_data_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GMM_STUDIO_DATA_DIR", str(tmp_path / "elsewhere"))
    assert user_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("GMM_STUDIO_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert user_data_dir() == tmp_path / "xdg" / "gmm-studio"


def test_own_recovery_file_is_written_listed_and_removed():
    path = write_recovery(small_session())
    assert path == recovery_path() and path.parent.parent == user_data_dir()
    assert list_recovery() == []  # we are alive: not a crash to offer
    [mine] = list_recovery(include_running=True)
    assert mine.pid == os.getpid()
    np.testing.assert_array_equal(mine.load().points, small_session().points)
    assert remove_recovery() is True
    assert list_recovery(include_running=True) == []
    assert remove_recovery() is False


def test_a_recovery_file_left_by_a_killed_process_is_offered(tmp_path):
    # A real child process autosaves, then is killed before it can clean up.
    code = (
        "import numpy as np, sys, time\n"
        "from gmm_studio.io import Session, write_recovery\n"
        "write_recovery(Session(points=[[1.0, 2.0], [3.0, 4.0]], columns=['p', 'q']))\n"
        "print('saved', flush=True)\n"
        "time.sleep(60)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "saved"
        assert [r.pid for r in list_recovery()] == []  # still running: not offered
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    [left] = list_recovery()
    assert left.pid == child.pid and not left.owner_alive
    restored = left.load()
    assert restored.columns == ["p", "q"]
    remove_recovery(left)
    assert list_recovery() == []


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_autosaver_saves_only_changes_and_at_most_every_interval():
    clock = Clock()
    saver = Autosaver(interval=5.0, clock=clock)
    assert saver.maybe_save(small_session) is None  # nothing changed
    saver.mark_dirty()
    assert saver.maybe_save(small_session) == recovery_path()
    saver.mark_dirty()
    clock.now += 2.0
    assert saver.maybe_save(lambda: small_session(5)) is None  # too soon
    clock.now += 3.0
    assert saver.maybe_save(lambda: small_session(5)) == recovery_path()
    [item] = list_recovery(include_running=True)
    assert item.load().points.shape == (5, 2)
    saver.mark_clean()  # saved or clean exit: the recovery file goes
    assert not recovery_path().exists()


def test_recent_files(tmp_path):
    a, b, c = (tmp_path / name for name in "abc")
    a.write_text("1")
    b.write_text("2")
    recent = []
    for path in (a, b, c, a):
        recent = add_recent(recent, path, limit=3)
    assert recent == [str(a), str(c), str(b)]
    assert add_recent(recent, tmp_path / "d", limit=3) == [str(tmp_path / "d"), str(a), str(c)]
    assert existing_recent(recent) == [str(a), str(b)]
    assert remove_recent(recent, c) == [str(a), str(b)]
