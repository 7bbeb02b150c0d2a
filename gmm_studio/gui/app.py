"""Starting the application: the QApplication, the first document and the main window."""

from __future__ import annotations

import os
import re
import subprocess
import sys

#: Debian/Ubuntu packages of the X11 libraries Qt's xcb platform plugin loads; the README's
#: Quick start and the .deb's Depends name them too.
XCB_PACKAGES = (
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
    "libxcb-render0", "libxcb-render-util0", "libxcb-shape0", "libxcb-shm0", "libxcb-sync1",
    "libxcb-util1", "libxcb-xfixes0", "libxcb-xkb1", "libxkbcommon-x11-0", "libx11-xcb1",
)  # fmt: skip
#: The argument that makes ``gmm-studio`` only start Qt's platform plugin and exit 0.
PLATFORM_PROBE_ARG = "--probe-platform"
#: Platforms that draw into memory and need no display or X11 library.
_IN_MEMORY_PLATFORMS = ("offscreen", "minimal")


def display_problem() -> str | None:
    """Return a one-line hint if Qt cannot open a window here, else None.

    Qt aborts the whole process when its platform plugin cannot connect to a display or
    cannot be loaded (a system library it needs is missing), so this is checked before any
    QApplication is created.
    """
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.split(":")[0] in _IN_MEMORY_PLATFORMS:
        return None
    if not (platform or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return (
            "gmm-studio: no display found. Run with QT_QPA_PLATFORM=offscreen to start without "
            "a screen, or fit headless with `gmm-studio fit FILE`."
        )
    return platform_plugin_problem()


def platform_plugin_problem(timeout: float = 60.0) -> str | None:
    """Return a one-line hint if Qt's platform plugin fails to start here, else None.

    A child process (this program with :data:`PLATFORM_PROBE_ARG`, the same environment and
    Qt's plugin diagnostics on) starts the plugin first: when Qt aborts there, the hint names
    the missing library or the display that did not answer. About a quarter of a second.
    """
    command = [sys.executable, PLATFORM_PROBE_ARG]
    if not getattr(sys, "frozen", False):  # the PyInstaller bundle's executable is the app
        command[1:1] = ["-m", "gmm_studio"]
    try:
        probe = subprocess.run(
            command, env=dict(os.environ, QT_DEBUG_PLUGINS="1"), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", timeout=timeout, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None  # no verdict: let Qt try in this process
    if probe.returncode == 0 or "platform plugin" not in probe.stderr:
        return None
    headless = "or run with QT_QPA_PLATFORM=offscreen, or fit headless with `gmm-studio fit FILE`."
    unreachable = re.search(r"could not connect to display ?(\S*)", probe.stderr)
    if unreachable:
        display = unreachable.group(1) or os.environ.get("DISPLAY", "")
        return f"gmm-studio: cannot connect to display {display}. Check DISPLAY, {headless}"
    missing = re.search(r"(lib[\w.+-]+?\.so[\d.]*): cannot open shared object", probe.stderr)
    reason = f"{missing.group(1)} is missing" if missing else "QT_DEBUG_PLUGINS=1 shows why"
    return (
        f"gmm-studio: Qt's platform plugin could not be loaded ({reason}). Install Qt's X11 "
        f"libraries (Debian/Ubuntu: sudo apt install {' '.join(XCB_PACKAGES)}), {headless}"
    )


def probe_platform() -> int:
    """Start Qt's platform plugin and return 0 (Qt aborts the process if it cannot)."""
    from PySide6.QtGui import QGuiApplication

    QGuiApplication([sys.argv[0] if sys.argv else "gmm-studio"])
    return 0


def sample_document():
    """The start-up document: the notebook's 100 points with K=3, read like any file, from
    a deliberately poor start (:func:`gmm_studio.core.lessons.teaching_start`)."""
    from gmm_studio.core import FitSettings
    from gmm_studio.core.lessons import teaching_start
    from gmm_studio.gui.document import Document
    from gmm_studio.io import read_points
    from gmm_studio.model import SavedFit
    from gmm_studio.resources import STARTUP_SAMPLE

    table = read_points(STARTUP_SAMPLE.path())
    k = STARTUP_SAMPLE.n_components
    document = Document()
    document.replace_contents(
        table.data,
        table.columns,
        settings=FitSettings(n_components=k),
        fit=SavedFit(start=teaching_start(table.data, k)),  # slow enough to watch
        name=STARTUP_SAMPLE.file_name,
    )
    return document


def ensure_application():
    """Return the QApplication, creating it (with GMM Studio's names) if needed."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    pg.setConfigOptions(antialias=True)
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "gmm-studio"])
    from gmm_studio.gui.em_worker import shutdown_all

    if not getattr(app, "_gmm_studio_quit_hook", False):
        app.aboutToQuit.connect(shutdown_all)
        app._gmm_studio_quit_hook = True
        from gmm_studio.core.blockwise import set_least_thread_work, set_thread_setup
        from gmm_studio.gui.em_worker import FRAME_INTERVAL_MS
        from gmm_studio.gui.thread_priority import lower_this_thread_priority

        # EM passes longer than a frame use every core, in threads nicer than the GUI thread:
        # it gets a core back whenever it has something to draw (benchmarks/bench_gui.py,
        # README); quicker passes run on one thread.
        set_thread_setup(lower_this_thread_priority)
        set_least_thread_work(FRAME_INTERVAL_MS / 1000)
    app.setApplicationName("GMM Studio")
    app.setOrganizationName("GMM Studio")
    from gmm_studio.gui.app_icon import apply_desktop_identity

    apply_desktop_identity(app)
    return app


def create_main_window(document=None, *, opened=None):
    """Create (but do not show) the main window.

    Parameters
    ----------
    document : Document, optional
        What the window shows; the start-up sample if neither this nor ``opened`` is given.
    opened : (path, Session or TableInfo), optional
        A file named on the command line, as :func:`gmm_studio.io.open_document` read it.
    """
    ensure_application()
    from gmm_studio.gui.document import Document
    from gmm_studio.gui.main_window import MainWindow

    if opened is None:
        if document is not None:
            return MainWindow(document)
        window = MainWindow(sample_document())
        window.teaching.show_first_run_hint()
        return window
    window = MainWindow(Document())
    window.file_handling.open_at_start(*opened)
    return window
