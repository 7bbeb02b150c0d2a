"""Keeping the window usable on small screens and projectors, and its toolbar buttons steady.

The window starts no larger than the screen's available area; the axes toolbar moves to a
second row when the first is too narrow for it, so no control ever hides in a toolbar's
overflow menu; toolbar buttons whose text changes (Run and Pause) keep the width of their
widest text, and Undo and Redo keep a short text while the tooltip names the edit.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QScrollArea, QToolBar, QToolButton, QWidget

#: The window's preferred first size; smaller screens get their available area.
PREFERRED_SIZE = (1360, 900)


def fit_to_screen(window: QMainWindow, preferred: tuple[int, int] = PREFERRED_SIZE) -> None:
    """Resize ``window`` to ``preferred`` or the screen's available area if smaller, centred.

    A little of the area is left for the title bar and frame, which the window manager adds.
    """
    screen = window.screen()
    if screen is None:
        window.resize(*preferred)
        return
    area = screen.availableGeometry()
    width = min(preferred[0], area.width())
    height = min(preferred[1], area.height() - 40 if area.height() > 400 else area.height())
    window.resize(width, height)
    frame = window.frameGeometry()
    frame.moveCenter(area.center())
    window.move(frame.topLeft())


class SidePanelScroll(QScrollArea):
    """Scrolls a side panel vertically; never narrower than the panel needs.

    Its minimum width follows the panel's own minimum (plus the vertical scroll bar) as the
    panel's rows, fonts or texts change, so no field is ever cut off at the right edge.
    """

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.setWidget(panel)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:
        extra = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        return QSize(self.widget().minimumSizeHint().width() + extra, 0)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())


def steady_width(toolbar: QToolBar, action: QAction, texts: Iterable[str]) -> None:
    """Give ``action``'s toolbar button the width of the widest of ``texts``."""
    button = toolbar.widgetForAction(action)
    if not isinstance(button, QToolButton):
        return
    shown = action.text()
    widths = []
    for text in texts:
        button.setText(text)
        widths.append(button.sizeHint().width())
    button.setText(shown)
    button.setMinimumWidth(max(widths))


def undo_redo_actions(stack: QUndoStack, parent: QObject) -> tuple[QAction, QAction]:
    """Undo and Redo for ``stack`` with fixed texts; the tooltip says which edit they undo.

    ``QUndoStack.createUndoAction`` puts the edit into the text ("Undo Add point"), which
    makes a toolbar button change width with every edit.
    """
    undo = QAction("Undo", parent)
    undo.setShortcuts(QKeySequence.StandardKey.Undo)
    redo = QAction("Redo", parent)
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for action, act, can, text_changed, verb in (
        (undo, stack.undo, stack.canUndo, stack.undoTextChanged, "Undo"),
        (redo, stack.redo, stack.canRedo, stack.redoTextChanged, "Redo"),
    ):
        action.triggered.connect(lambda _checked=False, act=act: act())
        action.setEnabled(can())
        tip = _EditTip(action, verb)
        tip.describe("")
        text_changed.connect(tip.describe)  # disconnected when the action (its parent) goes
    stack.canUndoChanged.connect(undo.setEnabled)
    stack.canRedoChanged.connect(redo.setEnabled)
    return undo, redo


class _EditTip(QObject):
    """Keeps an Undo or Redo action's tooltip naming the edit."""

    def __init__(self, action: QAction, verb: str) -> None:
        super().__init__(action)
        self.action, self.verb = action, verb
        self.keys = action.shortcuts()[0].toString()

    @Slot(str)
    def describe(self, text: str) -> None:
        """Show ``text`` (the edit's name) in the tooltip and status tip."""
        tip = f"{self.verb} {text}" if text else self.verb
        self.action.setToolTip(f"{tip} ({self.keys})")
        self.action.setStatusTip(tip)


class ToolbarRows(QObject):
    """Puts the ``second`` toolbars on their own row below ``first`` when one row is too
    narrow for all of them.

    Only while all are at the top of the window (the user may move one elsewhere).

    Parameters
    ----------
    window : QMainWindow
    first : QToolBar
    second : sequence of QToolBar
        The toolbars after ``first``, in order; the row breaks before the first of them.
    """

    def __init__(self, window: QMainWindow, first: QToolBar, second) -> None:
        super().__init__(window)
        self.window, self.first, self.second = window, first, tuple(second)
        self._broken = window.toolBarBreak(self.second[0])
        window.installEventFilter(self)
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Re-check on every resize of the window."""
        if watched is self.window and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.update()
        return False

    def update(self) -> None:
        """Break the row or join it, for the window's current width."""
        top = Qt.ToolBarArea.TopToolBarArea
        window = self.window
        bars = (self.first, *self.second)
        if any(window.toolBarArea(bar) != top for bar in bars):
            return
        needed = sum(bar.sizeHint().width() for bar in bars) + 8 * len(bars)
        wanted = needed > window.width()
        if wanted and not self._broken:
            window.insertToolBarBreak(self.second[0])
        elif not wanted and self._broken:
            window.removeToolBarBreak(self.second[0])
        self._broken = wanted
