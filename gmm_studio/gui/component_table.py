"""The component table: every component of the fit on screen in numbers, with fixes.

One row per component: its colour, weight, effective count N_k, mean, standard deviations and
correlation (the whole covariance for D > 2), condition number and health
(:mod:`gmm_studio.core.component_health`), three lock boxes (mean μ, covariance Σ, weight w:
the fit model's locks, the same as the canvas menu's) and a Fix menu: raise ``reg_covar``
×10, re-seed the component at the worst-explained point, or remove it. With weighted points
every figure is weighted (N_k and the criteria's N are sums of weights). During a run the
table follows the fit at most :data:`REFRESHES_PER_SECOND` times a second, so the view never
waits for it; each refresh tells the canvas which components are degenerate
(:attr:`ComponentTable.degenerateChanged`), so both show the same marks.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QSignalBlocker, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.core import FitError
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.component_health import (
    FitSummary,
    Health,
    reseeded,
    summarize,
    without_component,
    z_scores_of,
)
from gmm_studio.core.degenerate import DistinctRows
from gmm_studio.gui.document import Document
from gmm_studio.gui.fit_commands import SetFitCommand, SetLocksCommand, SetParametersCommand
from gmm_studio.gui.palette import component_colors

REFRESHES_PER_SECOND = 4

COLUMNS = ("", "weight", "N_k", "mean", "std", "corr", "cond.", "health", "locks", "")
#: Columns of the health mark, the lock boxes and the Fix button.
HEALTH_COLUMN, LOCKS_COLUMN, FIX_COLUMN = 7, 8, 9

#: The lock boxes of a row: (kind, text, tooltip), in the fit model's words.
LOCK_BOXES = (
    ("mean", "μ", "Lock the mean: EM leaves it where it is"),
    ("covariance", "Σ", "Lock the covariance: EM leaves its shape"),
    ("weight", "w", "Lock the weight: EM leaves it as it is"),
)

HEALTH_COLORS = {
    Health.FINE: "#007a57",
    Health.NEARLY_EMPTY: "#b35a00",
    Health.DEGENERATE: "#b00020",
}


def _numbers(values) -> str:
    return ", ".join(f"{v:.4g}" for v in values)


class ComponentTable(QWidget):
    """The table of the components of ``document``'s fit on screen.

    Parameters
    ----------
    document : Document
        Read only; fixes are asked of it (settings, undoable commands, the fit model).

    Signals
    -------
    degenerateChanged(tuple)
        After each refresh: the indices of the degenerate components of the fit shown.
    """

    degenerateChanged = Signal(tuple)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        #: What the table shows now (None without a fit).
        self.summary: FitSummary | None = None
        self.refreshes = 0
        self._prepared = (None, None, None, None)  # (data, weights, BlockData, DistinctRows)
        self._z: tuple[BlockData | None, BlockData | None] = (None, None)  # (data, z-scores)
        self._degenerate: tuple[int, ...] = ()
        self._shown = None  # (mixture, log-likelihood, reg_covar) the table shows
        font = QFont(self.font())
        font.setPointSize(max(font.pointSize(), 12))
        self.setFont(font)
        self.caption = QLabel()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(1000 // REFRESHES_PER_SECOND)
        self._timer.timeout.connect(self.refresh)
        document.fitChanged.connect(self._schedule)
        document.fitChanged.connect(self._sync_locks)
        document.replaced.connect(self._schedule)
        self.refresh()

    def changeEvent(self, event) -> None:
        """A new font (presentation mode): show the rows again in it."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.summary is not None:
            self._shown = None
            self._schedule()

    def sizeHint(self) -> QSize:
        """Room for the caption, the header and about three rows: the canvas keeps the rest."""
        row = self.table.verticalHeader().defaultSectionSize()
        header = max(self.table.horizontalHeader().sizeHint().height(), row)
        height = self.caption.sizeHint().height() + header + 3 * row
        return QSize(super().sizeHint().width(), height + 24)

    # -- following the fit ------------------------------------------------------------------
    @Slot()
    def _schedule(self, *_args) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def refresh(self) -> None:
        """Show the fit as it is now (the timer calls this after changes)."""
        fit = self.document.fit
        mixture, snapshot = fit.mixture, fit.evaluated
        ll = math.nan
        if snapshot is not None and fit.current is snapshot:
            ll = snapshot.log_likelihood
        shown = (mixture, ll, fit.settings.reg_covar)
        if self._shown is not None and all(
            a is b or a == b for a, b in zip(shown, self._shown, strict=True)
        ):
            return
        self._shown = shown
        self.refreshes += 1
        if mixture is None or mixture.n_features != fit.data.shape[1] or len(fit.data) == 0:
            self.summary = None
            self.caption.setText("No fit yet.")
            self.table.setRowCount(0)
            self._tell_degenerate(())
            return
        data, distinct = self._prepare(fit.data, fit.sample_weight)
        ref = self.document.data_file  # the points are a sample of the rows fitted
        self.summary = summarize(
            fit.data, mixture, fit.settings.reg_covar, ll, data=data, distinct=distinct,
            n_fitted=None if ref is None else ref.n_samples,
            z_data=self._z_scores(data) if fit.settings.standardize else None,
        )  # fmt: skip
        self._show(self.summary, mixture.covariance_type)
        self._sync_locks()
        self._tell_degenerate(
            tuple(
                k
                for k, component in enumerate(self.summary.components)
                if component.health is Health.DEGENERATE
            )
        )

    @property
    def degenerate(self) -> tuple[int, ...]:
        """The degenerate components of the fit the table shows."""
        return self._degenerate

    def _tell_degenerate(self, degenerate: tuple[int, ...]) -> None:
        if degenerate != self._degenerate:
            self._degenerate = degenerate
            self.degenerateChanged.emit(degenerate)

    def _z_scores(self, data: BlockData) -> BlockData:
        known, z = self._z
        if known is not data:
            z = z_scores_of(data)
            self._z = (data, z)
        return z

    def _prepare(self, X: np.ndarray, weights) -> tuple[BlockData, DistinctRows]:
        known, known_weights, data, distinct = self._prepared
        if known is not X or known_weights is not weights:
            data = BlockData(X, weights)
            if known is not X:  # equal rows do not depend on the weights
                distinct = DistinctRows(data.X)
            self._prepared = (X, weights, data, distinct)
        return data, distinct

    def _show(self, summary: FitSummary, covariance_type: str) -> None:
        components = summary.components
        k = len(components)
        d = len(components[0].mean)
        ll = summary.log_likelihood
        self.caption.setText(
            f"K = {k} ({covariance_type})   "
            + (
                f"log-likelihood {ll:.6g}   BIC {summary.bic:.6g}   AIC {summary.aic:.6g}"
                "   (lower is better)"
                if math.isfinite(ll)
                else "log-likelihood – (not evaluated yet)"
            )
        )
        self.table.setHorizontalHeaderItem(5, QTableWidgetItem("corr" if d == 2 else "covariance"))
        self.table.setRowCount(k)
        colors = component_colors(k)
        for row, component in enumerate(components):
            swatch = QTableWidgetItem("   ")
            swatch.setBackground(QBrush(QColor(*(int(c) for c in colors[row]))))
            swatch.setToolTip(f"component {row + 1}")
            if d == 2:
                spread = f"{component.correlation:+.3f}"
            else:
                spread = "; ".join(_numbers(line) for line in component.covariance)
            cells = [
                f"{component.weight:.3f}",
                f"{component.count:.1f}",
                _numbers(component.mean),
                _numbers(component.std),
                spread,
                f"{component.condition:.3g}",
                component.health.value,
            ]
            self.table.setItem(row, 0, swatch)
            for column, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    if column <= 2 or column == 6
                    else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                )
                self.table.setItem(row, column, item)
            health = self.table.item(row, HEALTH_COLUMN)
            health.setForeground(QBrush(QColor(HEALTH_COLORS[component.health])))
            bold = QFont(self.font())
            bold.setBold(component.health is not Health.FINE)
            health.setFont(bold)
            if self.table.cellWidget(row, LOCKS_COLUMN) is None:
                self.table.setCellWidget(row, LOCKS_COLUMN, self._lock_boxes(row))
            if self.table.cellWidget(row, FIX_COLUMN) is None:
                self.table.setCellWidget(row, FIX_COLUMN, self._fix_button(row))

    # -- locks ------------------------------------------------------------------------------
    def _lock_boxes(self, row: int) -> QWidget:
        holder = QWidget()
        layout = QHBoxLayout(holder)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        for kind, text, tip in LOCK_BOXES:
            box = QCheckBox(text)
            box.setObjectName(f"lock-{kind}")
            box.setToolTip(f"{tip} (component {row + 1})")
            box.toggled.connect(lambda on, kind=kind: self.lock(row, kind, on))
            layout.addWidget(box)
        return holder

    def lock_box(self, row: int, kind: str) -> QCheckBox | None:
        """The check box of component ``row``'s ``kind`` lock (None before it is shown)."""
        holder = self.table.cellWidget(row, LOCKS_COLUMN)
        return None if holder is None else holder.findChild(QCheckBox, f"lock-{kind}")

    @Slot()
    def _sync_locks(self, *_args) -> None:
        """Tick the boxes as the fit model's locks are (cheap: on every change, unthrottled)."""
        locks = self.document.fit.locks
        if locks.n_components != self.table.rowCount():
            return
        for row in range(self.table.rowCount()):
            for kind, _text, _tip in LOCK_BOXES:
                box = self.lock_box(row, kind)
                if box is not None and box.isChecked() != getattr(locks, kind)[row]:
                    with QSignalBlocker(box):
                        box.setChecked(getattr(locks, kind)[row])

    def lock(self, k: int, kind: str, locked: bool) -> None:
        """Hold component ``k``'s ``kind`` fixed (or free it) from the next M-step on, as one
        undoable step (the canvas menu's locks come here too)."""
        fit = self.document.fit
        locks = fit.locks
        if not 0 <= k < locks.n_components or getattr(locks, kind)[k] == locked:
            return
        verb = "Lock" if locked else "Unlock"
        text = f"{verb} the {kind} of component {k + 1}"
        self.document.undo_stack.push(
            SetLocksCommand(fit, locks, locks.with_lock(k, kind, locked), text)
        )

    def _fix_button(self, row: int) -> QToolButton:
        button = QToolButton()
        button.setText("Fix ▾")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        for text, how in (
            ("Raise reg_covar ×10", self.raise_reg_covar),
            ("Re-seed at the worst-explained point", lambda: self.reseed(row)),
            ("Remove this component", lambda: self.remove(row)),
        ):
            action = QAction(text, menu)
            action.triggered.connect(how)
            menu.addAction(action)
        button.setMenu(menu)
        return button

    # -- fixes ------------------------------------------------------------------------------
    def raise_reg_covar(self) -> None:
        """Ten times the ``reg_covar`` (a floor of 1e-6 when it was 0); EM goes on."""
        settings = self.document.settings
        value = settings.reg_covar * 10 if settings.reg_covar > 0 else 1e-6
        self.document.set_settings(settings.replace(reg_covar=value))

    def reseed(self, k: int) -> None:
        """Move component ``k`` onto the worst-explained point; EM continues from there."""
        fit = self.document.fit
        mixture = fit.mixture
        if mixture is None or not 0 <= k < mixture.n_components:
            return
        text = f"Component {k + 1} re-seeded"
        try:
            command = SetParametersCommand(fit, mixture, reseeded(fit.data, mixture, k), text)
            self.document.undo_stack.push(command)
        except FitError as error:
            fit.fail(str(error))

    def remove(self, k: int) -> None:
        """Remove component ``k`` (K becomes K − 1), as one undoable step."""
        doc = self.document
        mixture = doc.fit.mixture
        if mixture is None or mixture.n_components < 2 or not 0 <= k < mixture.n_components:
            return
        smaller = without_component(mixture, k)
        settings = doc.settings.replace(n_components=smaller.n_components)
        doc.undo_stack.push(SetFitCommand(doc, settings, smaller, f"Remove component {k + 1}"))


def install_component_table(window: QMainWindow) -> QDockWidget:
    """Put a :class:`ComponentTable` of ``window.document`` in a dock below the canvas; the
    canvas marks the components the table finds degenerate.

    The table follows ``window.document`` when a file or session replaces it in place.
    """
    dock = QDockWidget("Components", window)
    dock.setObjectName("components-dock")
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    dock.setWidget(ComponentTable(window.document, dock))
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    table = dock.widget()
    table.degenerateChanged.connect(window.canvas.components.mark_degenerate)
    # Once the window has its size: the dock at its hint, the canvas keeps the rest.
    QTimer.singleShot(
        0,
        window,
        lambda: window.resizeDocks([dock], [table.sizeHint().height()], Qt.Orientation.Vertical),
    )
    return dock
