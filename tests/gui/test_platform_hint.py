"""On a real X display, a Qt platform plugin that cannot start gives a one-line hint instead
of Qt's abort (SIGABRT): a missing X11 library is named, an unreachable display too."""

import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

from gmm_studio.gui.app import XCB_PACKAGES, display_problem

REPO = pathlib.Path(__file__).resolve().parents[2]
#: The library the xcb plugin's copy is made to need, and the name it is given instead.
NEEDED, ABSENT = b"libxcb-icccm.so.4\0", b"libxcb-absnt.so.4\0"
BARE_QT = "from PySide6.QtGui import QGuiApplication; QGuiApplication([])"


@pytest.fixture(scope="module")
def x_display():
    """A real X server (Xvfb) on a display number it picks itself; yields ``":N"``."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb; CI's .ci/run installs it)")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1024x768x24"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as announced:
        number = announced.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=30)


def x_env(display: str, **extra: str) -> dict[str, str]:
    """This environment on ``display`` with Qt choosing its platform itself (xcb)."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=display, PYTHONPATH=str(REPO), **extra)
    return env


def run(code_or_module: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code_or_module], env=env, cwd=REPO, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def broken_xcb_plugin(tmp_path):
    """A plugin folder whose xcb plugin needs a library that does not exist; Qt's own
    folders and the system's libraries are left as they are."""
    from PySide6.QtCore import QLibraryInfo

    plugins = pathlib.Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    original = (plugins / "platforms" / "libqxcb.so").read_bytes()
    assert original.count(NEEDED) == 1
    copy = tmp_path / "Qt" / "plugins"
    (copy / "platforms").mkdir(parents=True)
    (copy / "platforms" / "libqxcb.so").write_bytes(original.replace(NEEDED, ABSENT))
    # The plugin finds Qt's libraries relative to itself ($ORIGIN/../../lib).
    (tmp_path / "Qt" / "lib").symlink_to(plugins.parent / "lib")
    return copy


def test_a_missing_x11_library_is_named_in_a_hint_not_an_abort(x_display, broken_xcb_plugin):
    env = x_env(x_display, QT_PLUGIN_PATH=str(broken_xcb_plugin))
    bare = run(["-c", BARE_QT], env)
    assert bare.returncode == -signal.SIGABRT, bare.stderr  # what Qt alone does here
    result = run(["-m", "gmm_studio"], env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    hint = lines[0]
    assert "libxcb-absnt.so.4 is missing" in hint
    assert f"sudo apt install {' '.join(XCB_PACKAGES)}" in hint
    assert "QT_QPA_PLATFORM=offscreen" in hint and "gmm-studio fit" in hint


def test_a_display_that_does_not_answer_is_named_in_a_hint(tmp_path):
    # A display number no server listens on: Qt alone aborts there too.
    env = x_env(":31999", XAUTHORITY=str(tmp_path / "none"))
    assert run(["-c", BARE_QT], env).returncode == -signal.SIGABRT
    result = run(["-m", "gmm_studio"], env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "gmm-studio: cannot connect to display :31999. Check DISPLAY, or run with "
        "QT_QPA_PLATFORM=offscreen, or fit headless with `gmm-studio fit FILE`."
    ]


def test_a_working_x_display_needs_no_hint(x_display, monkeypatch):
    # Fails with the hint itself when this machine lacks one of Qt's X11 libraries.
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", x_display)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    assert display_problem() is None
