"""For a class: the Lessons menu, the hint on the canvas, and the Help menu.

File ▸ Open Sample ▸ Lessons lists :data:`gmm_studio.core.lessons.LESSONS`; opening one
replaces the document (data, settings and the lesson's start) and shows its caption on the
canvas. On the first run the canvas says what to do first, until the first command or click;
the settings store remembers that it was shown (:data:`HINT_SEEN`), so later start-ups open
without it, and Help ▸ Show the start-up hint brings it back. Help also lists every keyboard
shortcut of the window (read from its actions) and has the About box.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import gmm_studio
from gmm_studio.core.lessons import LESSONS
from gmm_studio.gui.settings_store import HINT_SEEN

#: What the canvas says at start-up.
FIRST_RUN_HINT = "Space runs EM · N steps · E and M half-steps · drag a mean"
#: Why the start-up demo takes its time.
DEMO_NOTE = (
    "This demo starts badly on purpose (every mean near the middle of the data): "
    "EM needs about 25 iterations to pull the components apart."
)


class CanvasHint(QLabel):
    """A caption in the top left corner of the canvas; clicks go through it."""

    def __init__(self, canvas: QWidget) -> None:
        super().__init__(canvas)
        self.setObjectName("canvas-hint")
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel#canvas-hint { background: rgba(255, 255, 255, 225); color: #1e1e1e;"
            " border: 1px solid #888; border-radius: 4px; padding: 6px 10px; }"
        )
        font = self.font()
        font.setPointSize(font.pointSize() + 2)
        self.setFont(font)
        self.hide()

    def say(self, text: str) -> None:
        """Show ``text`` (or hide the hint for an empty one)."""
        self.setText(text)
        if not text:
            self.hide()
            return
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        width = max(
            200, min(self.parentWidget().width() - 100, 40 * self.fontMetrics().averageCharWidth())
        )
        self.setFixedSize(width, self.heightForWidth(width))
        self.move(90, 12)  # right of the y axis

    def changeEvent(self, event) -> None:
        """Fit the text again when the font changes (presentation mode)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.text():
            self._place()


class Teaching(QObject):
    """The window's lessons, canvas hint and Help menu (installed by :func:`install_teaching`)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.hint = CanvasHint(window.canvas)
        self.lesson_menu = window.file_menu.sample_menu.addMenu("Lessons")
        self.lesson_menu.setObjectName("lessons-menu")
        self.lesson_menu.setToolTipsVisible(True)
        for key, build in LESSONS.items():
            action = self.lesson_menu.addAction(build().name)
            action.setObjectName(f"lesson-{key}")
            action.triggered.connect(lambda _c=False, key=key: self.open_lesson(key))
        self._build_help_menu()
        self._dismissable = False
        for action in window.actions():
            action.triggered.connect(self._dismiss)
        vb = window.canvas.view_box
        for signal in (vb.addRequested, vb.removeRequested, vb.sprayRequested):
            signal.connect(self._dismiss)
        window.document.undo_stack.indexChanged.connect(self._dismiss)
        window.document.replaced.connect(lambda: self.hint.say(""))

    def show_first_run_hint(self) -> None:
        """At start-up: say what to do first, unless that was said on an earlier run."""
        store = self.window.settings_store
        if not store.get(HINT_SEEN):
            store.set(HINT_SEEN, True)
            self.show_hint()

    def show_hint(self) -> None:
        """Say what to do first (until the first command, edit or click)."""
        self._dismissable = True
        self.hint.say(f"{FIRST_RUN_HINT}\n{DEMO_NOTE}")

    def open_lesson(self, key: str) -> bool:
        """Open lesson ``key`` of :data:`LESSONS` and show its caption on the canvas."""
        lesson = LESSONS[key]()
        if not self.window.file_commands.open_lesson(lesson):
            return False
        self._dismissable = False
        self.hint.say(f"{lesson.name}: {lesson.caption}")
        return True

    def _dismiss(self, *_args) -> None:
        if self._dismissable:
            self._dismissable = False
            self.hint.say("")

    # -- Help -------------------------------------------------------------------------------
    def _build_help_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Help")
        menu.setObjectName("helpMenu")
        self.shortcuts_action = menu.addAction("Keyboard shortcuts", self.show_shortcuts)
        self.hint_action = menu.addAction("Show the start-up hint", self.show_hint)
        self.about_action = menu.addAction("About GMM Studio", self.show_about)
        self.help_menu = menu
        self.dialog: QDialog | None = None

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action of the window that has a shortcut."""
        rows = []
        for action in self.window.actions():
            keys = ", ".join(s.toString() for s in action.shortcuts())
            if keys:
                rows.append((keys, action.text().replace("&", "")))
        return rows

    def show_shortcuts(self) -> QDialog:
        """Help ▸ Keyboard shortcuts: a table of keys (the window stays usable)."""
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Keyboard shortcuts")
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        for i, (keys, text) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(keys))
            table.setItem(i, 1, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        mouse = QLabel(
            "Mouse: click adds a point · right click removes one · Shift+drag sprays · "
            "drag a mean moves it, onto another component merges the two · drag the handles "
            "on an ellipse's axes (shown under the pointer) to stretch and turn it · right "
            "click on a mean: lock, remove, split, merge, re-seed"
        )
        mouse.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(mouse)
        layout.addWidget(buttons)
        dialog.resize(520, 560)
        dialog.show()
        self.dialog = dialog
        return dialog

    def show_about(self) -> QMessageBox:
        """Help ▸ About GMM Studio."""
        box = QMessageBox(self.window)
        box.setWindowTitle("About GMM Studio")
        box.setText(f"GMM Studio {gmm_studio.__version__}")
        box.setInformativeText(
            "Watch Gaussian mixture models learn by EM: step the E-step and the M-step, "
            "drag means, lock parameters, rewind and branch the history."
        )
        box.open()
        self.dialog = box
        return box


def install_teaching(window: QMainWindow) -> Teaching:
    """Give ``window`` the Lessons menu, the canvas hint and the Help menu."""
    window.teaching = Teaching(window)
    return window.teaching
