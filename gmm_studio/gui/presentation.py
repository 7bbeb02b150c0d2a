"""Presentation mode and the View menu: full screen, large type and lines, two themes.

Presentation mode (F11) shows the window full screen with every font and line about 1.5×
larger (the axis handles too), the side panel folded away (View ▸ Side panel brings it
back), the editing buttons off the toolbar (their keys still work) and a halo under each
ellipse, so that light components stay readable against dense points. View ▸ Dark theme
draws the plots light-on-black; both themes keep the colour-blind-safe component colours.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QMainWindow, QWidget

from gmm_studio.gui.palette import BACKGROUND, FOREGROUND

#: How much larger fonts and lines are in presentation mode.
SCALE = 1.5
#: The thinnest ellipse line in presentation mode (pixels).
MIN_LINE_WIDTH = 3.0
DARK_BACKGROUND = (0, 0, 0)
DARK_FOREGROUND = (240, 240, 240)
#: Status bar fields left out in presentation mode (the rest must fit at 1024 pixels).
QUIET_STATUS = ("n", "k", "change", "bic", "aic")


class Presentation(QObject):
    """The window's View menu and presentation mode (installed by :func:`install_presentation`)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._fonts: dict[QWidget, QFont] = {}
        self._toolbar_actions: list[QAction] = []
        self._components_shown = False
        self.presenting = False
        self.present_action = self._action("Presentation mode", "F11", self.set_presenting)
        self.panel_action = self._action("Side panel", "Ctrl+B", self.show_panel)
        self.panel_action.setChecked(True)
        self.dark_action = self._action("Dark theme", "Ctrl+Shift+D", self.set_dark)
        menu = QMainWindow.menuBar(window)
        self.view_menu = menu.addMenu("&View")
        help_menu = getattr(getattr(window, "teaching", None), "help_menu", None)
        if help_menu is not None:  # View comes before Help
            menu.insertMenu(help_menu.menuAction(), self.view_menu)
        for action in (self.present_action, self.panel_action, self.dark_action):
            self.view_menu.addAction(action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(window.fit_view_action)
        self.view_menu.addAction(window.hard_labels_action)
        #: Toolbar buttons presentation mode leaves out (their keys still work).
        self.clutter = (
            window.undo_action, window.redo_action, window.clear_action,
            window.fit_view_action, window.hard_labels_action,
        )  # fmt: skip

    def _action(self, text: str, keys: str, slot) -> QAction:
        action = QAction(text, self.window)
        action.setCheckable(True)
        action.setShortcut(QKeySequence(keys))
        action.toggled.connect(slot)
        self.window.addAction(action)
        return action

    def show_panel(self, shown: bool) -> None:
        """Show or fold away the side panel."""
        self.window.side_panel.setVisible(bool(shown))
        if self.panel_action.isChecked() != bool(shown):
            self.panel_action.setChecked(bool(shown))

    def set_presenting(self, on: bool) -> None:
        """Enter or leave presentation mode."""
        on = bool(on)
        if on == self.presenting:
            return
        self.presenting = on
        window = self.window
        if self.present_action.isChecked() != on:
            self.present_action.setChecked(on)
        self._scale_fonts(SCALE if on else 1.0)
        self._show_clutter(not on)
        self._show_components(not on)
        window.status.set_quiet(QUIET_STATUS, on)
        layer = window.canvas.components
        layer.line_scale = SCALE if on else 1.0
        layer.min_width = MIN_LINE_WIDTH if on else 0.0
        self._apply_theme()
        self.show_panel(not on)
        if on:
            window.showFullScreen()
        else:
            window.showNormal()

    def _show_components(self, shown: bool) -> None:
        # The table would leave the canvas and the curve too little room on a projector;
        # it comes back as it was when presentation mode ends.
        dock = self.window.components_dock
        if not shown:
            self._components_shown = dock.isVisible()
            dock.hide()
        elif self._components_shown:
            dock.show()

    def _show_clutter(self, shown: bool) -> None:
        toolbar = self.window.toolbar
        if not shown:
            self._toolbar_actions = toolbar.actions()
            for action in self._toolbar_actions:
                if action in self.clutter or action.isSeparator():
                    toolbar.removeAction(action)
            return
        saved = self._toolbar_actions
        present = set(toolbar.actions())
        for i, action in enumerate(saved):  # back where each was
            if action not in present:
                after = next((a for a in saved[i + 1 :] if a in present), None)
                toolbar.insertAction(after, action)
                present.add(action)

    def set_dark(self, dark: bool) -> None:
        """The plots light-on-black (True) or black-on-white."""
        if self.dark_action.isChecked() != bool(dark):
            self.dark_action.setChecked(bool(dark))
        self._apply_theme()

    def _apply_theme(self) -> None:
        window = self.window
        dark = self.dark_action.isChecked()
        background = DARK_BACKGROUND if dark else BACKGROUND
        foreground = DARK_FOREGROUND if dark else FOREGROUND
        scale = SCALE if self.presenting else 1.0
        for plot, size in ((window.canvas, 13), (window.ll_plot, 11)):
            plot.setBackground(background)
            item = plot.getPlotItem()
            font = QFont()
            font.setPointSizeF(size * scale)
            for name in ("left", "bottom"):
                axis = item.getAxis(name)
                axis.setTickFont(font)
                axis.setPen(foreground, width=1.5 * scale)
                axis.setTextPen(foreground)
                if plot is window.ll_plot and name == "left":
                    continue  # the curve's name is in the plot's corner
                axis.setLabel(axis.labelText, color="#{:02x}{:02x}{:02x}".format(*foreground),
                              **{"font-size": f"{round(size * scale + 2)}pt"})  # fmt: skip
        window.ll_plot.set_name_style(foreground, round(size * scale + 1), background)
        layer = window.canvas.components
        layer.halo_color = background if self.presenting else None
        window.ll_plot.curve.setPen(foreground, width=3 * scale)
        window.redraw_fit()

    def _scale_fonts(self, scale: float) -> None:
        window = self.window
        if scale != 1.0 and not self._fonts:
            self._fonts = {w: QFont(w.font()) for w in [window, *window.findChildren(QWidget)]}
        for widget, font in self._fonts.items():
            bigger = QFont(font)
            bigger.setPointSizeF(font.pointSizeF() * scale)
            with contextlib.suppress(RuntimeError):  # a dialog closed since
                widget.setFont(bigger)
        if scale == 1.0:
            self._fonts = {}


def install_presentation(window: QMainWindow) -> Presentation:
    """Give ``window`` its View menu and presentation mode."""
    window.presentation = Presentation(window)
    return window.presentation
