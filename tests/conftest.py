"""Test-wide set-up: offscreen Qt, isolated settings and data folders, no leaked threads."""

import os

# Must happen before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gc
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = REPO / "gmm_studio" / "samples"


def pytest_xdist_auto_num_workers(config):
    """One test process per core, except for the packaging run.

    The packaging tests share one installer build per session (tests/packaging/conftest.py)
    and install the ``.deb`` system-wide, so they run in a single process.
    """
    if "packaging" in (config.getoption("markexpr") or "").replace("not packaging", ""):
        return 0
    return None


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path, monkeypatch):
    """Point every per-user folder (settings, autosave, data) at the test's tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GMM_STUDIO_DATA_DIR", str(home / "gmm-studio-data"))
    yield


@pytest.fixture
def samples_dir():
    """The folder of samples that ship inside the package."""
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path):
    """Send QSettings (INI format, which the application uses) to the test's tmp_path."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # pragma: no cover - Qt is a runtime dependency
        yield
        return
    folder = str(tmp_path / "qsettings")
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, folder)
    yield


@pytest.fixture(autouse=True)
def _closed_windows_destroyed_before_the_next_test(request):
    """Destroy the widgets a Qt test closed, and then their Python wrappers, right after it.

    pytest-qt closes a test's widgets and calls ``deleteLater()``; Qt would destroy them
    inside whichever event loop runs next (the next test's ``qtbot.wait...``), and their
    Python wrappers, which form reference cycles, whenever the garbage collector next runs.
    A crash while freeing a window (as its undo stack once caused, see
    tests/gui/test_window_teardown.py) then struck a random later test. Here the deferred
    deletions run at once with the collector paused, then the collector frees the wrappers,
    in the GUI thread, so such a problem shows in the test that made the window.
    """
    yield
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is None or qtcore.QCoreApplication.instance() is None:
        return
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        return
    gc.disable()
    try:
        qtcore.QCoreApplication.sendPostedEvents(None, qtcore.QEvent.Type.DeferredDelete)
    finally:
        gc.enable()
    gc.collect()


def running_qthreads() -> list:
    """Every QThread object that is still running (other than the current thread)."""
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is None:
        return []
    running = []
    for obj in gc.get_objects():
        if isinstance(obj, qtcore.QThread):
            try:
                if obj.isRunning() and obj is not qtcore.QThread.currentThread():
                    running.append(obj)
            except RuntimeError:  # the C++ object is already gone
                continue
    return running


@pytest.fixture(autouse=True)
def _no_qthread_left_running():
    """Fail a test that leaves a QThread running (e.g. a window closed without stopping EM)."""
    yield
    running = running_qthreads()
    if running:
        names = ", ".join(t.objectName() or repr(t) for t in running)
        pytest.fail(f"test left QThread(s) running: {names}", pytrace=False)
