"""Recovery files in the user's data folder, and the recent-files list."""

import contextlib
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gmm_studio.io import (
    DataFileError,
    Session,
    add_recent,
    adopt_recovery,
    clean_after_killed_runs,
    existing_recent,
    list_recovery,
    load_session,
    recovery_dir,
    remove_recent,
    remove_recovery,
    save_session,
    user_data_dir,
    write_recovery,
)
from gmm_studio.io.recovery import recovery_path

ROOT = Path(__file__).resolve().parents[2]


def small_session(n=3):
    return Session(points=np.arange(2.0 * n).reshape(n, 2), columns=["x", "y"])


def start_child(code: str) -> subprocess.Popen:
    """A real Python process running ``code`` with this test's data folder; it prints a line
    when it has done what the test waits for."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def running(code: str, expect: str):
    child = start_child(code)
    try:
        assert child.stdout.readline().strip() == expect
        yield child
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()


AUTOSAVE_AND_WAIT = """
    import time
    from gmm_studio.io import Session, write_recovery
    write_recovery(Session(points=[[1.0, 2.0], [3.0, 4.0]], columns=['p', 'q']))
    print('saved', flush=True)
    time.sleep(60)
"""


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
    assert mine.pid == os.getpid() and mine.owner_alive
    np.testing.assert_array_equal(mine.load().points, small_session().points)
    assert remove_recovery() is True
    assert list_recovery(include_running=True) == []
    assert remove_recovery() is False


def test_a_recovery_file_left_by_a_killed_process_is_offered():
    with running(AUTOSAVE_AND_WAIT, "saved") as child:
        assert list_recovery() == []  # still running: not offered
        [live] = list_recovery(include_running=True)
        assert live.pid == child.pid and live.owner_alive
    [left] = list_recovery()
    assert left.pid == child.pid and not left.owner_alive
    assert left.load().columns == ["p", "q"]
    remove_recovery(left)
    assert list_recovery() == []
    assert list(recovery_dir().glob("*")) == []  # its lock file went with it


def test_a_crashed_runs_file_is_offered_though_its_pid_now_runs_something_else():
    # After a reboot (or just later) the crashed run's process id belongs to another program.
    with running(AUTOSAVE_AND_WAIT, "saved"):
        pass
    [left] = list_recovery()
    with running("import time; print('up', flush=True); time.sleep(60)", "up") as other:
        stem = left.path.name.split("-", 2)[2]
        recycled = left.path.with_name(f"autosave-{other.pid}-{stem}")
        left.path.rename(recycled)
        left.lock_path.rename(recycled.with_suffix(".lock"))
        [offered] = list_recovery()
        assert offered.path == recycled and offered.pid == other.pid
        assert not offered.owner_alive and offered.load().columns == ["p", "q"]


def test_a_later_process_with_the_same_pid_never_overwrites_a_crashed_runs_file():
    write_recovery(small_session(3))
    own = recovery_path()
    other = own.with_name(f"autosave-{os.getpid()}-0badc0de.gmms")  # a crash, same pid
    save_session(other, small_session(7))
    assert [r.path for r in list_recovery()] == [other]
    write_recovery(small_session(4))
    assert load_session(other).points.shape == (7, 2)
    remove_recovery()
    assert other.exists()


def test_adopting_renames_the_file_so_the_work_stays_on_disk():
    with running(AUTOSAVE_AND_WAIT, "saved"):
        pass
    [left] = list_recovery()
    path = adopt_recovery(left)
    assert path == recovery_path() and not left.path.exists() and not left.lock_path.exists()
    assert load_session(path).columns == ["p", "q"]
    assert list_recovery() == []  # ours now: not offered to anyone else while we run


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_recovery_data_are_private_to_the_user():
    old_umask = os.umask(0o022)
    try:
        recovery_dir().mkdir(parents=True, mode=0o755)  # as earlier versions left it
        os.chmod(recovery_dir(), 0o755)
        path = write_recovery(small_session())
    finally:
        os.umask(old_umask)
    assert mode_of(recovery_dir()) == 0o700
    assert mode_of(path) == 0o600
    assert {mode_of(p) for p in recovery_dir().iterdir()} == {0o600}  # the lock file too
    left = recovery_dir() / "autosave-1-00000000.gmms"
    left.write_bytes(path.read_bytes())
    os.chmod(left, 0o644)
    clean_after_killed_runs()
    assert mode_of(left) == 0o600


BLOCKED_WRITE = """
    import time
    from gmm_studio.io.atomic import atomic_write_pieces
    from gmm_studio.io.recovery import write_recovery

    def pieces():
        yield b'{{"partial":'
        print('writing', flush=True)
        time.sleep(60)

    atomic_write_pieces({target!r}, pieces())
"""


def test_temporaries_of_killed_writes_are_removed_and_live_ones_kept(tmp_path):
    folder = recovery_dir()
    folder.mkdir(parents=True)
    session_path = tmp_path / "work.gmms"
    with running(BLOCKED_WRITE.format(target=str(folder / "autosave-1-0.gmms")), "writing"):
        pass
    with running(BLOCKED_WRITE.format(target=str(session_path)), "writing"):
        pass
    [dead_autosave] = folder.glob(".*.tmp")
    [dead_save] = tmp_path.glob(".work.gmms.*.tmp")
    with running(BLOCKED_WRITE.format(target=str(folder / "autosave-2-0.gmms")), "writing"):
        clean_after_killed_runs([session_path])  # at start-up, with the recent files
        [live] = folder.glob(".*.tmp")
        assert live != dead_autosave and not dead_autosave.exists()
        assert not dead_save.exists()
        save_session(session_path, small_session())
        assert list(tmp_path.glob(".work.gmms.*")) == []
        assert load_session(session_path).points.shape == (3, 2)
        with running(BLOCKED_WRITE.format(target=str(session_path)), "writing"):
            save_session(session_path, small_session(5))  # never takes a live write's file
            assert len(list(tmp_path.glob(".work.gmms.*.tmp"))) == 1


def test_saving_a_session_removes_temporaries_killed_saves_of_it_left(tmp_path):
    session_path = tmp_path / "work.gmms"
    with running(BLOCKED_WRITE.format(target=str(session_path)), "writing"):
        pass
    [dead] = tmp_path.glob(".work.gmms.*.tmp")
    save_session(session_path, small_session())
    assert not dead.exists() and list(tmp_path.glob(".work.gmms.*")) == []


def test_a_read_only_data_folder_gives_a_plain_message(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("GMM_STUDIO_DATA_DIR", str(blocker / "gmm-studio"))
    with pytest.raises(DataFileError) as caught:
        write_recovery(small_session())
    assert str(caught.value) == "recovery: could not save: a folder in its path is a file"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mounts a read-only tmpfs")
def test_a_read_only_file_system_gives_a_plain_message(tmp_path, monkeypatch):
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only file system here (needs root)")
    try:
        monkeypatch.setenv("GMM_STUDIO_DATA_DIR", str(mount_point))
        with pytest.raises(DataFileError) as caught:
            write_recovery(small_session())
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
    assert str(caught.value) == "recovery: could not save: the disk or folder is read-only"


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
