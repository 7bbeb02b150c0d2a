"""The main window: canvas, log-likelihood plot, control panel, toolbar and status bar."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QSplitter, QToolBar

from gmm_studio.core import FitSettings
from gmm_studio.gui import em_worker
from gmm_studio.gui.canvas import REMOVE_RADIUS_PX, Canvas
from gmm_studio.gui.commands import AddPointsCommand, RemovePointsCommand
from gmm_studio.gui.control_panel import ControlPanel, speed_from_position
from gmm_studio.gui.document import Document
from gmm_studio.gui.file_handling import install_file_handling
from gmm_studio.gui.ll_plot import LogLikelihoodPlot
from gmm_studio.gui.palette import UNFITTED_POINT, component_colors
from gmm_studio.gui.settings_store import GEOMETRY, HARD_LABELS, RADII, SPEED, SettingsStore
from gmm_studio.gui.window_layout import fit_to_screen, steady_width, undo_redo_actions

# Fit states shown in the status bar.
EMPTY = "waiting for points"
INITIALISING = "initialising"
READY = "ready"
RUNNING = "running"
PAUSED = "paused"
STOPPED = "stopped"
CONVERGED = "converged"
ERROR = "error"


class MainWindow(QMainWindow):
    """The GMM Studio window, built around one :class:`Document`.

    Parameters
    ----------
    document : Document, optional
        The data and settings to show; an empty document if omitted.

    Signals
    -------
    fitStateChanged(str)
        One of "waiting for points", "initialising", "ready", "running", "paused",
        "stopped", "converged", "error".
    """

    fitStateChanged = Signal(str)

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.document = document if document is not None else Document()
        self.controller = em_worker.EMController(self)
        self.state = EMPTY
        self.error_message = ""
        self.frames_drawn = 0
        # The latest point colours and hard labels from the worker, and the ones drawn.
        self._point_colours: tuple[np.ndarray, np.ndarray] | None = None
        self._drawn_point_colours: tuple[np.ndarray, np.ndarray] | None = None
        self._last_snapshot = None
        self._run_when_ready = False
        self._stop_note = ""

        self.canvas = Canvas()
        self.ll_plot = LogLikelihoodPlot()
        self.panel = ControlPanel()
        self._build_layout()
        self._build_actions()
        self._build_status_bar()
        self._connect()

        self.settings_store = SettingsStore(self)
        self.panel.bind(self.document, self.settings_store)
        self._apply_preferences()
        self._show_points(fit_view=True)
        self._update_title()
        self._refit_after_points_changed()
        install_file_handling(self)

    # -- construction -----------------------------------------------------------------------
    def _build_layout(self) -> None:
        font = QFont(self.font())
        font.setPointSize(max(font.pointSize(), 12))
        self.setFont(font)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.canvas)
        plots.addWidget(self.ll_plot)
        plots.setStretchFactor(0, 4)
        plots.setStretchFactor(1, 1)
        plots.setSizes([620, 200])
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(
            self.panel.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4
        )
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(plots)
        main.addWidget(scroll)
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
        self.reset_action = self._action(
            "Reset", ["R"], self.reset, "Back to the initial parameters"
        )
        self.stop_action = self._action("Stop", ["Esc"], self.stop, "Stop EM")
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

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        font = QFont(self.font())
        font.setPointSize(13)
        bar.setFont(font)
        self.status_labels = {}
        for key in ("n", "k", "iteration", "ll", "change", "state"):
            label = QLabel()
            label.setFont(font)
            label.setContentsMargins(8, 2, 8, 2)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label
        self.message_label = QLabel()
        self.message_label.setFont(font)
        self.message_label.setStyleSheet("color: #b00020; font-weight: bold;")
        bar.addWidget(self.message_label, 1)

    def _connect(self) -> None:
        doc = self.document
        doc.pointsChanged.connect(self._on_points_changed)
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
        self.controller.jobFinished.connect(self._on_job_finished)
        self.controller.jobFailed.connect(self._on_job_failed)
        self.panel.settingsEdited.connect(self._on_settings_edited)
        self.panel.newInitialisationRequested.connect(self.new_initialisation)
        self.panel.pass_keys_to(self.canvas, self.actions())

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
        if not self.run_action.isEnabled():
            return
        if self.state == INITIALISING:
            self._run_when_ready = True  # a press during the start is kept, not lost
            return
        if self.controller.running:
            self.controller.pause()
            self._set_state(PAUSED)
        elif self.controller.paused:
            self.controller.resume()
            self._set_state(RUNNING)
        else:
            self._continue(paused=False)
            self._set_state(RUNNING)

    @Slot()
    def step(self) -> None:
        """Run exactly one EM iteration, then pause (N or Right arrow)."""
        if not self.step_action.isEnabled():
            return
        if self.controller.paused:
            self.controller.step()
        else:
            self._continue(paused=True, steps=1)
        self._set_state(PAUSED)

    @Slot()
    def stop(self) -> None:
        """Stop EM; the current parameters stay and Run continues from them."""
        if self.stop_action.isEnabled():
            self.controller.stop()

    @Slot()
    def reset(self) -> None:
        """Go back to the initial parameters of this initialisation (R)."""
        doc = self.document
        if not self.reset_action.isEnabled() or doc.initial_mixture is None:
            return
        doc.mixture = doc.initial_mixture
        doc.iteration = 0
        doc.log_likelihood_history = []
        self._start_job(start=doc.initial_mixture, first=em_worker.FIRST_INITIAL, paused=True)
        self._set_state(INITIALISING)

    @Slot()
    def new_initialisation(self) -> None:
        """Draw a new starting point: next seed, then initialise again."""
        settings = self.document.settings
        seed = 0 if settings.seed is None else settings.seed + 1
        new = settings.replace(seed=seed % (2**31 - 1))
        self.document.set_settings(new)
        self.reinitialise()

    @Slot()
    def clear(self) -> None:
        """Remove every point (undoable)."""
        doc = self.document
        if doc.n_points:
            doc.undo_stack.push(RemovePointsCommand(doc, np.arange(doc.n_points), "Clear"))

    def reinitialise(self) -> None:
        """Forget the fit and draw a new start from the current settings (not running)."""
        doc = self.document
        self.controller.discard()
        doc.clear_fit()
        self._point_colours = None
        self._last_snapshot = None
        self._draw_fit()
        if doc.n_points < max(1, doc.settings.n_components):
            self._set_state(EMPTY)
            return
        self._start_job(start=None, first=em_worker.FIRST_INITIAL, paused=True)
        self._set_state(INITIALISING)

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
        xy = doc.displayed_points()
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
        self._refit_after_points_changed()

    @Slot()
    def _on_document_replaced(self) -> None:
        """Another file, session or sample: show it, then refresh or initialise its fit."""
        self.controller.discard()
        self._point_colours = self._drawn_point_colours = self._last_snapshot = None
        self.state = STOPPED  # not running: the new data starts paused
        self.canvas.points.set_points(np.zeros((0, 2)))
        self._show_points(fit_view=True)
        self._draw_fit()
        self._refit_after_points_changed()
        self._update_title()

    @Slot()
    def _on_axes_changed(self) -> None:
        """Other columns on the axes: redraw points and ellipses, no refit."""
        self._show_points(fit_view=True)
        self._draw_fit()

    def _show_points(self, fit_view: bool) -> None:
        doc = self.document
        xy = doc.displayed_points()
        old = self.canvas.points.colors
        colors = np.tile(np.array(UNFITTED_POINT, dtype=np.uint8), (len(xy), 1))
        if len(old) <= len(xy):
            colors[: len(old)] = old  # appended points: keep the others' colours until refresh
        self.canvas.points.set_points(xy, colors)
        self.canvas.set_axis_labels(doc.columns[doc.axes[0]], doc.columns[doc.axes[1]])
        if fit_view:
            self.canvas.fit_view()
        self._update_status()
        self._update_actions()

    def _refit_after_points_changed(self) -> None:
        """Live editing: continue EM from the current parameters on the edited data."""
        doc = self.document
        k = doc.settings.n_components
        if doc.n_points < max(1, k):
            self.controller.discard()
            doc.clear_fit()
            self._point_colours = None
            self._draw_fit()
            self._set_state(EMPTY)
            return
        mixture = doc.mixture
        if mixture is None or mixture.n_components != k or mixture.n_features != doc.n_features:
            self.reinitialise()
            return
        running = self.controller.running or self.state == RUNNING
        self._start_job(
            start=mixture, offset=doc.iteration, first=em_worker.FIRST_REFRESH, paused=not running
        )
        self._set_state(RUNNING if running else (READY if doc.iteration == 0 else PAUSED))

    # -- settings ---------------------------------------------------------------------------
    def apply_settings(self, settings: FitSettings) -> None:
        """Change the fit settings as if edited in the panel (used by sessions and tests)."""
        self._on_settings_edited(settings)

    @Slot(object)
    def _on_settings_edited(self, settings: FitSettings) -> None:
        doc = self.document
        old = doc.settings
        doc.set_settings(settings)
        fresh_start = ("n_components", "covariance_type", "init", "seed")
        if any(getattr(old, f) != getattr(settings, f) for f in fresh_start):
            self.reinitialise()
        elif self.controller.active and doc.mixture is not None:
            running = self.controller.running
            self._start_job(
                start=doc.mixture,
                offset=doc.iteration,
                first=em_worker.FIRST_SKIP,
                paused=not running,
            )
        self._update_status()

    @Slot(str)
    def _on_preference_changed(self, key: str) -> None:
        store = self.settings_store
        if key == SPEED.key:
            self.controller.set_speed(speed_from_position(store.get(SPEED)))
        elif key == RADII.key:
            self.canvas.components.radii = tuple(store.get(RADII))
            self._draw_fit()
        elif key == HARD_LABELS.key:
            self.hard_labels_action.setChecked(store.get(HARD_LABELS))
            self._draw_point_colors()

    # -- EM jobs ----------------------------------------------------------------------------
    def _start_job(self, *, start, first, paused, offset=0, steps=0) -> None:
        doc = self.document
        self.error_message = ""
        self._stop_note = ""
        self.message_label.clear()
        self.controller.start(
            doc.points,
            doc.settings,
            start=start,
            offset=offset,
            first=first,
            paused=paused,
            steps=steps,
        )

    def _continue(self, *, paused: bool, steps: int = 0) -> None:
        doc = self.document
        self._start_job(
            start=doc.mixture,
            offset=doc.iteration,
            first=em_worker.FIRST_SKIP,
            paused=paused,
            steps=steps,
        )

    @Slot(object)
    def _on_frame(self, frame: em_worker.Frame) -> None:
        doc = self.document
        snapshot = frame.snapshot
        if frame.colours is not None and len(frame.colours) != doc.n_points:
            return
        doc.mixture = snapshot.mixture
        doc.iteration = frame.iteration
        if frame.initial:
            doc.initial_mixture = snapshot.mixture
            doc.log_likelihood_history = []
        history = doc.log_likelihood_history
        for iteration, value in frame.history:
            del history[iteration:]
            if iteration == len(history):
                history.append(value)
        if frame.colours is not None:
            self._point_colours = (frame.colours, frame.labels)
        self._last_snapshot = snapshot
        doc.fitChanged.emit()
        self._draw_fit()
        self.frames_drawn += 1
        if frame.initial and self.state == INITIALISING:
            self._set_state(READY)
            if self._run_when_ready:
                self._run_when_ready = False
                self.run_or_pause()
        else:
            self._update_actions()

    @Slot(str)
    def _on_job_finished(self, reason: str) -> None:
        if reason == em_worker.CONVERGED:
            self._set_state(CONVERGED)
        else:
            self._stop_note = "max_iter reached" if reason == em_worker.MAX_ITER else ""
            self._set_state(STOPPED)

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        self._run_when_ready = False
        self.error_message = message
        self.message_label.setText(message)
        self.message_label.setToolTip(message)
        self._set_state(ERROR)

    def is_converged(self) -> bool:
        """True when the current fit has converged."""
        return self.state == CONVERGED

    # -- drawing and status -----------------------------------------------------------------
    def _draw_fit(self) -> None:
        doc = self.document
        self.canvas.components.draw(doc.mixture, doc.axes)
        self._draw_point_colors(force=False)
        self.ll_plot.set_history(doc.log_likelihood_history)
        self._update_status()

    def _draw_point_colors(self, force: bool = True) -> None:
        points = self.canvas.points
        doc = self.document
        new = self._point_colours
        usable = new is not None and len(new[0]) == doc.n_points and doc.mixture is not None
        if not usable or (not force and new is self._drawn_point_colours):
            points.set_hard_labels(self.settings_store.get(HARD_LABELS))  # redraws only if toggled
            return
        self._drawn_point_colours = new
        colours, labels = new
        points.set_hard_labels(self.settings_store.get(HARD_LABELS), redraw=False)
        points.set_colors(colours, labels, component_colors(doc.mixture.n_components))

    def _set_state(self, state: str) -> None:
        changed = state != self.state
        self.state = state
        self._update_status()
        self._update_actions()
        if changed:
            self.fitStateChanged.emit(state)

    def _update_status(self) -> None:
        doc = self.document
        snap = self._last_snapshot
        labels = self.status_labels
        labels["n"].setText(f"N = {doc.n_points:,}")
        labels["k"].setText(f"K = {doc.settings.n_components}")
        has_fit = doc.mixture is not None and snap is not None
        labels["iteration"].setText(f"iteration {doc.iteration}" if has_fit else "iteration –")
        if has_fit:
            labels["ll"].setText(f"log-likelihood {snap.log_likelihood:.6g}")
            change = snap.change
            labels["change"].setText(
                "change –" if change is None or not np.isfinite(change) else f"change {change:.2e}"
            )
        else:
            labels["ll"].setText("log-likelihood –")
            labels["change"].setText("change –")
        text = self.state
        if self.state == STOPPED and self._stop_note:
            text = f"stopped ({self._stop_note})"
        if self.state == EMPTY:
            text = f"need ≥ {doc.settings.n_components} points"
        labels["state"].setText(text)
        colors = {RUNNING: "#0072b2", CONVERGED: "#007a57", ERROR: "#b00020", PAUSED: "#b35a00"}
        labels["state"].setStyleSheet(
            f"font-weight: bold; color: {colors.get(self.state, '#1e1e1e')};"
        )

    def _update_actions(self) -> None:
        doc = self.document
        has_fit = doc.mixture is not None
        running = self.state == RUNNING
        can_go = has_fit and self.state not in (CONVERGED, EMPTY, INITIALISING)
        self.run_action.setEnabled(can_go or self.state == INITIALISING)
        self.run_action.setText("Pause" if running else "Run")
        self.step_action.setEnabled(can_go and not running)
        self.stop_action.setEnabled(self.state in (RUNNING, PAUSED))
        self.reset_action.setEnabled(
            doc.initial_mixture is not None and self.state != INITIALISING and doc.iteration > 0
        )
        self.clear_action.setEnabled(doc.n_points > 0)
        self.panel.new_init.setEnabled(doc.n_points >= doc.settings.n_components)

    @Slot()
    def _update_title(self, *_args) -> None:
        self.setWindowTitle(self.document.title())

    # -- closing ----------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Stop the EM thread (bounded wait) and remember the view preferences."""
        self.controller.shutdown()
        self.settings_store.set(GEOMETRY, self.saveGeometry())
        self.settings_store.sync()
        super().closeEvent(event)
