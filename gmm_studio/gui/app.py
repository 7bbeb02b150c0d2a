"""Starting the application: the QApplication, the first document and the main window."""

from __future__ import annotations

import os
import sys


def display_problem() -> str | None:
    """Return a one-line hint if Qt cannot open a window here, else None.

    Qt aborts the whole process when its platform plugin cannot connect to a display, so
    this is checked before any QApplication is created.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform or not sys.platform.startswith("linux"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "gmm-studio: no display found. Run with QT_QPA_PLATFORM=offscreen to start without a "
        "screen, or fit headless with `gmm-studio fit FILE`."
    )


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
