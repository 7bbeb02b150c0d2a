"""The main window: canvas, log-likelihood plot, control panel, toolbar and status bar.

The window shows the document and its fit model (``document.fit``) and asks for changes:
point edits go through undo commands, fit commands through :class:`FitControl`, which also
runs the worker thread. It never writes the model's fields.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.core import Phase
from gmm_studio.gui.canvas import REMOVE_RADIUS_PX, Canvas
from gmm_studio.gui.cluster_fit import install_cluster_fitting
from gmm_studio.gui.commands import AddPointsCommand, RemovePointsCommand
from gmm_studio.gui.component_drag import ComponentDrag
from gmm_studio.gui.component_menu import ComponentMenu
from gmm_studio.gui.component_table import install_component_table
from gmm_studio.gui.control_panel import ControlPanel, speed_from_position
from gmm_studio.gui.document import Document
from gmm_studio.gui.em_worker import EMController, Frame
from gmm_studio.gui.file_handling import install_file_handling
from gmm_studio.gui.fit_control import FitControl
from gmm_studio.gui.fit_status import FitStatus
from gmm_studio.gui.glide import GLIDE_S, Glide
from gmm_studio.gui.history_bar import HistoryBar
from gmm_studio.gui.ll_plot import LogLikelihoodPlot
from gmm_studio.gui.palette import UNFITTED_POINT
from gmm_studio.gui.presentation import install_presentation
from gmm_studio.gui.recording_export import install_recording_export
from gmm_studio.gui.selection_panel import install_selection_panel
from gmm_studio.gui.settings_store import GEOMETRY, HARD_LABELS, RADII, SPEED, SettingsStore
from gmm_studio.gui.starts_strip import install_starts_strip
from gmm_studio.gui.teaching import install_teaching
from gmm_studio.gui.throttle import Throttle
from gmm_studio.gui.true_labels import TrueLabelsView
from gmm_studio.gui.uncertainty_view import install_uncertainty_view
from gmm_studio.gui.window_layout import (
    SidePanelScroll,
    fit_to_screen,
    steady_width,
    undo_redo_actions,
)
from gmm_studio.model import FitModel, FitState

#: Least time between redraws of the log-likelihood curve, history bar and status while EM runs.
SIDE_VIEWS_INTERVAL_MS = 66


class MainWindow(QMainWindow):
    """The GMM Studio window, built around one :class:`Document`.

    Parameters
    ----------
    document : Document, optional
        The data and settings to show; an empty document if omitted.

    Signals
    -------
    fitStateChanged(FitState)
        The fit's state changed.
    """

    fitStateChanged = Signal(object)

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.document = document if document is not None else Document()
        self.fit_control = FitControl(self.document, self)
        self.frames_drawn = 0
        self._drawn_point_colors = None
        self._shown_state = self.fit.state

        self.canvas = Canvas()
        self.ll_plot = LogLikelihoodPlot()
        self.history_bar = HistoryBar(self.ll_plot)
        self.panel = ControlPanel()
        self._build_layout()
        self._build_actions()
        self.components_dock = install_component_table(self)
        self.component_table = self.components_dock.widget()
        self.starts_strip = install_starts_strip(self, self.component_table)
        self.status = FitStatus(self.statusBar(), self.font())
        self.component_drag = ComponentDrag(
            self.canvas, self.document, self.fit_control, self.statusBar()
        )
        self.component_menu = ComponentMenu(self.canvas, self.document, self.component_table)
        self.glide = Glide(self.canvas)
        self._frame_glides = False  # True while a frame of a slow run is being drawn
        self._in_frame = False  # True while a frame from the worker is being drawn
        # While EM runs, the curve, history bar and status follow at most this often; the
        # canvas takes every frame.
        self._side_views = Throttle(self._draw_side_views, SIDE_VIEWS_INTERVAL_MS, self)
        self._connect()

        self.settings_store = SettingsStore(self)
        self.panel.bind(self.document, self.settings_store)
        self._apply_preferences()
        self._show_points(fit_view=True)
        self._update_title()
        self._draw_fit()
        install_file_handling(self)
        install_cluster_fitting(self)
        self.selection_panel, model_menu = install_selection_panel(self)
        self.uncertainty_view = install_uncertainty_view(self, model_menu)
        self.uncertainty_view.toggled.connect(lambda _on: self._draw_point_colors(force=True))
        self.true_labels = TrueLabelsView(self)
        install_teaching(self)
        install_presentation(self)
        install_recording_export(self)

    # -- what it shows ----------------------------------------------------------------------
    @property
    def fit(self) -> FitModel:
        """The document's fit model: where the fit's state lives."""
        return self.document.fit

    @property
    def controller(self) -> EMController:
        """The EM worker thread's controller."""
        return self.fit_control.controller

    @property
    def status_labels(self):
        """The status bar's labels by name (``n``, ``k``, ``iteration``, ``ll``, ...)."""
        return self.status.labels

    @property
    def message_label(self):
        """The status bar's error message."""
        return self.status.message

    @property
    def error_message(self) -> str:
        """Why the fit failed, or "" when it did not."""
        return self.fit.message if self.fit.state is FitState.ERROR else ""

    def is_converged(self) -> bool:
        """True when the current fit has converged."""
        return self.fit.state is FitState.CONVERGED

    # -- construction -----------------------------------------------------------------------
    def _build_layout(self) -> None:
        font = QFont(self.font())
        font.setPointSize(max(font.pointSize(), 12))
        self.setFont(font)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.canvas)
        curve = QWidget()
        curve_layout = QVBoxLayout(curve)
        curve_layout.setContentsMargins(0, 0, 0, 0)
        curve_layout.setSpacing(0)
        curve_layout.addWidget(self.ll_plot, 1)
        curve_layout.addWidget(self.history_bar)
        plots.addWidget(curve)
        plots.setStretchFactor(0, 4)
        plots.setStretchFactor(1, 1)
        plots.setSizes([600, 240])
        scroll = SidePanelScroll(self.panel)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(plots)
        main.addWidget(scroll)
        self.side_panel = scroll
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 0)
        main.setSizes([1000, 340])
        self.setCentralWidget(main)
        fit_to_screen(self)

    def _action(self, text: str, shortcuts, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setToolTip(f"{tip} ({', '.join(QKeySequence(s).toString() for s in shortcuts)})")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.run_action = self._action("Run", ["Space"], self.run_or_pause, "Run or pause EM")
        self.step_action = self._action("Step", ["N", "Right"], self.step, "One EM iteration")
        self.e_step_action = self._action(
            "E-step", ["E"], self.e_step, "Recolour the points by the current ellipses"
        )
        self.m_step_action = self._action(
            "M-step", ["M"], self.m_step, "Move the ellipses to the current colours"
        )
        self.split_action = self._action(
            "Split steps", ["S"], self._on_split_toggled, "Step and Run do E and M separately"
        )
        self.split_action.setCheckable(True)
        self.reset_action = self._action(
            "Reset", ["R"], self.reset, "Back to the initial parameters"
        )
        self.stop_action = self._action("Stop", ["Esc"], self.stop, "Stop EM")
        self.back_action = self._action(
            "Back in history", ["["], self.history_bar.back, "Show the previous iteration"
        )
        self.forward_action = self._action(
            "Forward in history", ["]"], self.history_bar.forward, "Show the next iteration"
        )
        self.clear_action = self._action("Clear", ["Ctrl+Delete"], self.clear, "Remove all points")
        self.fit_view_action = self._action("Fit view", ["F"], self.canvas.fit_view, "Frame data")
        self.hard_labels_action = self._action(
            "Hard labels",
            ["H"],
            lambda on: self.settings_store.set(HARD_LABELS, bool(on)),
            "Colour by most likely component",
        )
        self.hard_labels_action.setCheckable(True)
        stack = self.document.undo_stack
        self.undo_action, self.redo_action = undo_redo_actions(stack, self)
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)

        toolbar = QToolBar("EM")
        toolbar.setObjectName("em-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        big = QFont(self.font())
        big.setPointSize(14)
        big.setBold(True)
        toolbar.setFont(big)
        for action in (self.run_action, self.step_action, self.stop_action, self.reset_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self.undo_action, self.redo_action, self.clear_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.fit_view_action)
        toolbar.addAction(self.hard_labels_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        steady_width(toolbar, self.run_action, ("Run", "Pause"))
        self.toolbar = toolbar

        halves = QToolBar("Half steps")
        halves.setObjectName("half-step-toolbar")
        halves.setMovable(False)
        halves.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        halves.setFont(big)
        for action in (self.e_step_action, self.m_step_action, self.split_action):
            halves.addAction(action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, halves)
        self.half_step_bar = halves  # file handling puts the axes bar after it

    def _connect(self) -> None:
        doc = self.document
        doc.pointsChanged.connect(self._on_points_changed)
        doc.fitChanged.connect(self._on_fit_changed)
        doc.titleChanged.connect(self._update_title)
        doc.replaced.connect(self._on_document_replaced)
        doc.axesChanged.connect(self._on_axes_changed)
        doc.undo_stack.canUndoChanged.connect(self._update_actions)
        doc.undo_stack.canRedoChanged.connect(self._update_actions)
        vb = self.canvas.view_box
        vb.addRequested.connect(self._on_add_requested)
        vb.removeRequested.connect(self._on_remove_requested)
        vb.sprayRequested.connect(self._on_spray_requested)
        self.controller.frameReady.connect(self._on_frame)
        self.ll_plot.iterationClicked.connect(self._rewind_to)
        self.history_bar.rewindRequested.connect(self.rewind)
        self.panel.newInitialisationRequested.connect(self.new_initialisation)
        # E stays a letter in the fields: tol and reg_covar are typed as 1e-06.
        typed = [a for a in self.actions() if a is not self.e_step_action]
        self.panel.pass_keys_to(self.canvas, typed)

    def _apply_preferences(self) -> None:
        store = self.settings_store
        self.controller.set_speed(speed_from_position(store.get(SPEED)))
        self.canvas.components.radii = tuple(store.get(RADII))
        self.hard_labels_action.setChecked(store.get(HARD_LABELS))
        store.changed.connect(self._on_preference_changed)
        geometry = store.get(GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)

    # -- user commands ----------------------------------------------------------------------
    @Slot()
    def run_or_pause(self) -> None:
        """Run EM, or pause it when it is running (Space)."""
        if self.run_action.isEnabled():
            self.fit_control.run_or_pause()

    @Slot()
    def step(self) -> None:
        """One EM iteration (with Split steps: its next half), then pause (N or Right)."""
        if self.step_action.isEnabled():
            self.fit_control.step(half=self.split_action.isChecked())

    @Slot()
    def e_step(self) -> None:
        """The E-step when it is next: the points recolour, the ellipses stay (E)."""
        if self.e_step_action.isEnabled():
            self.fit_control.step(half=True)

    @Slot()
    def m_step(self) -> None:
        """The M-step when it is next: the ellipses move, the colours stay (M)."""
        if self.m_step_action.isEnabled():
            self.fit_control.step(half=True)

    @Slot(bool)
    def _on_split_toggled(self, split: bool) -> None:
        self.controller.set_split(split)
        self._update_status()

    @Slot()
    def stop(self) -> None:
        """Stop EM; the current parameters stay and Run continues from them."""
        if self.stop_action.isEnabled():
            self.fit_control.stop()

    @Slot()
    def reset(self) -> None:
        """Go back to the initial parameters of this initialisation (R)."""
        if self.reset_action.isEnabled():
            self.fit_control.reset()

    @Slot()
    def new_initialisation(self) -> None:
        """Draw a new starting point: next seed, then initialise again."""
        self.fit_control.new_initialisation()

    @Slot()
    def clear(self) -> None:
        """Remove every point (undoable)."""
        doc = self.document
        if doc.n_points:
            doc.undo_stack.push(RemovePointsCommand(doc, np.arange(doc.n_points), "Clear"))

    @Slot(int)
    def rewind(self, index: int) -> None:
        """Show entry ``index`` of the fit's history (not while EM runs)."""
        fit = self.fit
        if fit.state is not FitState.RUNNING and index != fit.position:
            if 0 <= index < len(fit.history):
                self.fit_control.rewind(index)

    @Slot(float)
    def _rewind_to(self, iteration: float) -> None:
        """A click on the log-likelihood curve: show the fit at the nearest iteration."""
        history = self.fit.history
        if not history or self.fit.state is FitState.RUNNING:
            return
        distance = [abs(s.iteration - iteration) for s in history]
        nearest = len(distance) - 1 - int(np.argmin(distance[::-1]))  # the latest such entry
        if nearest != self.fit.position:
            self.fit_control.rewind(nearest)

    # -- point editing ----------------------------------------------------------------------
    @Slot(object)
    def _on_add_requested(self, pos) -> None:
        doc = self.document
        doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([[pos.x(), pos.y()]])))

    @Slot(object, float, float)
    def _on_remove_requested(self, pos, pixel_x: float, pixel_y: float) -> None:
        doc = self.document
        if not doc.n_points:
            return
        xy = self.canvas.points.positions  # where they are drawn (a rug in 1-D)
        scale = np.array([pixel_x or 1.0, pixel_y or 1.0])
        dist = np.hypot(*((xy - [pos.x(), pos.y()]) / scale).T)
        nearest = int(np.argmin(dist))
        if dist[nearest] <= REMOVE_RADIUS_PX:
            doc.undo_stack.push(RemovePointsCommand(doc, [nearest]))

    @Slot(object, int)
    def _on_spray_requested(self, xy, stroke: int) -> None:
        doc = self.document
        rows = doc.lift_to_features(xy)
        doc.undo_stack.push(AddPointsCommand(doc, rows, "Spray points", stroke=stroke))

    @Slot()
    def _on_points_changed(self) -> None:
        self._show_points(fit_view=False)

    @Slot()
    def _on_document_replaced(self) -> None:
        """Another file, session or sample: show it and its fit."""
        self._drawn_point_colors = None
        self.canvas.show_points(np.zeros((0, 2)))
        self._show_points(fit_view=True)
        self._draw_fit()
        self._update_title()

    @Slot()
    def _on_axes_changed(self) -> None:
        """Other columns on the axes: redraw points and ellipses, no refit."""
        self._show_points(fit_view=True)
        self._draw_point_colors()
        self._draw_fit()

    def _show_points(self, fit_view: bool) -> None:
        doc = self.document
        xy = doc.displayed_points()
        old = self.canvas.points.colors
        colors = np.tile(np.array(UNFITTED_POINT, dtype=np.uint8), (len(xy), 1))
        if len(old) <= len(xy):
            colors[: len(old)] = old  # appended points: keep the others' colors until refresh
        self.canvas.set_one_dimensional(doc.one_dimensional)
        self.canvas.show_points(xy, colors, doc.sample_weight)
        self.canvas.set_axis_labels(doc.columns[doc.axes[0]], doc.columns[doc.axes[1]])
        if fit_view:
            self.canvas.fit_view()
        self._update_status()

    # -- preferences ------------------------------------------------------------------------
    @Slot(object)
    def _on_preference_changed(self, preference) -> None:
        store = self.settings_store
        if preference is SPEED:
            self.controller.set_speed(speed_from_position(store.get(SPEED)))
            self._update_draft()
        elif preference is RADII:
            self.canvas.components.radii = tuple(store.get(RADII))
            self._draw_fit()
        elif preference is HARD_LABELS:
            self.hard_labels_action.setChecked(store.get(HARD_LABELS))
            self._draw_point_colors(force=True)

    # -- the fit ----------------------------------------------------------------------------
    @Slot(object)
    def _on_frame(self, frame: Frame) -> None:
        """A frame from the worker: into the fit model (which redraws), then the colors."""
        self._frame_glides = self._glides()
        self._in_frame = True
        try:
            if self.fit_control.take(frame):
                self._draw_point_colors()
        finally:
            self._frame_glides = self._in_frame = False
        self.frames_drawn += 1

    def _glides(self) -> bool:
        """Whether the speed set is slow enough for each step to glide (3 iterations a second
        or fewer)."""
        speed = speed_from_position(self.settings_store.get(SPEED))
        return speed is not None and speed * GLIDE_S <= 1.0

    def _update_draft(self) -> None:
        """Unsmoothed rings while EM runs faster than the glides' pace (see
        :attr:`ComponentLayer.draft`); a slow run, one a teacher talks over, stays smooth."""
        running = self.fit.state is FitState.RUNNING
        self.canvas.components.draft = running and not self._glides()

    @Slot(object)
    def _on_fit_changed(self, _change) -> None:
        if self.fit.mixture is None and self._drawn_point_colors is not None:
            self._show_uncolored_points()
        self._draw_fit()
        state = self.fit.state
        if state is not self._shown_state:
            self._shown_state = state
            self._update_draft()
            self.fitStateChanged.emit(state)

    def redraw_fit(self) -> None:
        """Draw the fit again (after a change of how it is drawn)."""
        self._draw_fit()

    def _draw_fit(self) -> None:
        fit = self.fit
        colors = self.fit_control.colors
        if self.canvas.one_dimensional:
            self.canvas.draw_mixture(fit.mixture, self.document.axes, colors)
        else:
            self.canvas.components.colors = colors
            self.glide.draw(fit.mixture, self.document.axes, fit.locks, self._frame_glides)
        if self._in_frame and self.controller.running:
            self._side_views.request()
        else:
            self._side_views.now()
        self._update_actions()

    def _draw_side_views(self) -> None:
        fit = self.fit
        marks = [(e.iteration, e.description or e.kind.value) for e in fit.events]
        self.ll_plot.set_segments(fit.segments(), marks)
        self.history_bar.show_fit(fit)
        self.ll_plot.settle()  # the curve and the ring moved: the new range before the paint
        self._update_status()

    def _show_uncolored_points(self) -> None:
        n = self.document.n_points
        self._drawn_point_colors = None
        self.canvas.show_points(
            self.document.displayed_points(),
            np.tile(np.array(UNFITTED_POINT, dtype=np.uint8), (n, 1)),
            self.document.sample_weight,
        )

    def _draw_point_colors(self, force: bool = False) -> None:
        points = self.canvas.points
        hard = self.settings_store.get(HARD_LABELS)
        new = self.fit_control.point_colors
        mixture = self.fit.mixture
        palette = self.fit_control.colors  # the colors the worker blended from
        usable = (
            new is not None
            and len(new[0]) == self.document.n_points
            and mixture is not None
            and len(palette) == mixture.n_components
        )
        if not usable or (not force and new is self._drawn_point_colors):
            points.set_hard_labels(hard)  # redraws only if toggled
            return
        self._drawn_point_colors = new
        colors, labels = new
        if self.uncertainty_view.on:  # the most likely component's colour, faded by certainty
            colors = self.uncertainty_view.colors(self.document.points, mixture, labels, palette)
            labels = None
        points.set_hard_labels(hard, redraw=False)
        self.glide.color(colors, labels, palette, self._frame_glides)

    def _update_status(self) -> None:
        self.status.show(self.document)

    def _update_actions(self) -> None:
        fit = self.fit
        state = fit.state
        running = state is FitState.RUNNING
        self.run_action.setEnabled(fit.can_continue or state is FitState.INITIALISING)
        self.run_action.setText("Pause" if running else "Run")
        self.step_action.setEnabled(fit.can_continue and not running)
        stepping = fit.can_continue and not running
        self.e_step_action.setEnabled(stepping and fit.next_phase is Phase.EXPECTATION)
        self.m_step_action.setEnabled(stepping and fit.next_phase is Phase.MAXIMIZATION)
        self.stop_action.setEnabled(state in (FitState.RUNNING, FitState.PAUSED))
        self.reset_action.setEnabled(
            fit.start is not None and state is not FitState.INITIALISING and fit.iteration > 0
        )
        self.clear_action.setEnabled(self.document.n_points > 0)
        self.panel.new_init.setEnabled(fit.enough_points)

    @Slot()
    def _update_title(self, *_args) -> None:
        self.setWindowTitle(self.document.title())

    # -- closing ----------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Stop the EM thread (bounded wait) and remember the view preferences."""
        self.fit_control.shutdown()
        self.cluster_fitting.close()  # after the worker stopped: its cluster, if local
        # Free the undo history now: left to the garbage collector, the stack and its
        # commands were destroyed part-way through freeing the window's Python objects,
        # a segmentation fault in QUndoStack::clear.
        self.document.undo_stack.clear()
        self.settings_store.set(GEOMETRY, self.saveGeometry())
        self.settings_store.sync()
        super().closeEvent(event)
