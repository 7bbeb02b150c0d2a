"""Helpers for driving the real window with real mouse events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gmm_studio.core import FitSettings
from gmm_studio.gui.app import create_main_window
from gmm_studio.gui.control_panel import SPEED_MAX
from gmm_studio.gui.document import Document
from gmm_studio.model import FitState


@pytest.fixture
def make_window(qtbot):
    """Build a shown main window (the start-up sample unless a document is given)."""
    windows = []  # strong references: a window dropped mid-test would be deleted unclosed

    def build(document: Document | None = None, *, speed: int = SPEED_MAX, wait_ready=True):
        window = create_main_window(document)
        qtbot.addWidget(window)
        windows.append(window)
        window.resize(1200, 800)
        window.show()
        qtbot.waitExposed(window)
        if speed is not None:
            window.panel.set_speed_position(speed)
        window.canvas.fit_view()
        if wait_ready and window.document.n_points >= window.document.settings.n_components:
            qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
        return window

    yield build
    windows.clear()


@pytest.fixture
def window(make_window):
    """The start-up window: seed_example.csv, K=3, fastest speed, initialised."""
    return make_window()


def blobs(n_per=40, seed=1) -> np.ndarray:
    """Three well-separated Gaussian blobs."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])
    return np.vstack([c + rng.standard_normal((n_per, 2)) for c in centers])


def document_of(points, **settings) -> Document:
    """A document of ``points`` with the given fit settings."""
    return Document(points, ["x", "y"], name="test.csv", settings=FitSettings(**settings))


def pixel_of(window, x: float, y: float) -> QPoint:
    """Viewport pixel of a data coordinate (through the ViewBox's own mapping)."""
    return window.canvas.data_to_widget(x, y)


def data_at_pixel(window, pixel: QPoint) -> np.ndarray:
    """Data coordinate under a viewport pixel."""
    return np.array(window.canvas.widget_to_data(pixel))


def send_mouse(
    widget, kind, pixel: QPoint, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier
):
    """Deliver one real mouse event to ``widget`` (QTest cannot hold a modifier while moving)."""
    local = QPointF(pixel)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pixel)), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def shift_drag(qtbot, window, path) -> None:
    """Shift+drag through data coordinates ``path`` on the canvas."""
    viewport = window.canvas.viewport()
    left = Qt.MouseButton.LeftButton
    shift = Qt.KeyboardModifier.ShiftModifier
    pixels = [pixel_of(window, x, y) for x, y in path]
    send_mouse(viewport, QEvent.Type.MouseButtonPress, pixels[0], left, left, shift)
    for p in pixels[1:]:
        send_mouse(viewport, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left, shift)
    send_mouse(
        viewport, QEvent.Type.MouseButtonRelease, pixels[-1], left, Qt.MouseButton.NoButton, shift
    )
    qtbot.wait(1)


def inside(outer: QRect, widget, window) -> bool:
    """True when ``widget`` lies wholly inside ``outer`` (in ``window``'s coordinates)."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return outer.contains(QRect(top_left, widget.size()))


def assert_toolbars_shown(window) -> None:
    """Every toolbar button is shown: none moved into a toolbar's overflow menu."""
    whole = window.rect()
    for toolbar in (window.toolbar, window.half_step_bar, window.axes_bar):
        assert inside(whole, toolbar, window)
        for action in toolbar.actions():
            widget = toolbar.widgetForAction(action)
            if widget is None or action.isSeparator():
                continue
            assert widget.isVisible(), action.text()
            assert inside(toolbar.rect(), widget, toolbar), action.text()
