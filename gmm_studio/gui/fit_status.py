"""The status bar's view of the fit: N, the K of the mixture drawn, iteration, log-likelihood,
its change, BIC and AIC, and the fit's state, all read from the document's fit model."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QStatusBar

from gmm_studio.core.criteria import aic, bic, n_parameters
from gmm_studio.gui.document import Document
from gmm_studio.model import FitState

#: Labels left out, in this order, when the status bar is too narrow for all of them (the
#: component table shows K, the log-likelihood, BIC and AIC of the same fit).
DROP_WHEN_NARROW = ("change", "n", "aic", "bic")

STATE_COLORS = {
    FitState.RUNNING: "#0072b2",
    FitState.CONVERGED: "#007a57",
    FitState.ERROR: "#b00020",
    FitState.PAUSED: "#b35a00",
}


class FitStatus:
    """Labels in a status bar showing the fit of ``document``.

    Attributes
    ----------
    labels : dict of str to QLabel
        ``n``, ``k``, ``iteration``, ``ll``, ``change``, ``next`` (the half-step due),
        ``bic``, ``aic``, ``state``.
    message : QLabel
        The error message of a failed fit (empty otherwise).
    """

    def __init__(self, bar: QStatusBar, font: QFont) -> None:
        font = QFont(font)
        font.setPointSize(13)
        bar.setFont(font)
        self.labels: dict[str, QLabel] = {}
        for key in ("n", "k", "iteration", "ll", "change", "next", "bic", "aic", "state"):
            label = QLabel()
            label.setFont(font)
            label.setContentsMargins(4, 2, 4, 2)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self.message = QLabel()
        self.message.setFont(font)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;")
        bar.addWidget(self.message, 1)
        self._bar = bar
        self._weights = (None, 0.0)  # (sample weights, their sum): BIC's N
        self._quiet: set[str] = set()
        self._fitter = _WidthFitter(self)
        bar.installEventFilter(self._fitter)
        bar.messageChanged.connect(lambda _text: self.fit_width())

    def set_quiet(self, keys, quiet: bool) -> None:
        """Leave the labels ``keys`` out (presentation mode) or bring them back."""
        self._quiet = self._quiet | set(keys) if quiet else self._quiet - set(keys)
        self.fit_width()

    def fit_width(self) -> None:
        """Show every label that fits: drop :data:`DROP_WHEN_NARROW` ones, in order, until the
        rest fit the bar's width, so no label is ever cut off (a temporary message, such as a
        drag's, keeps the room it needs)."""
        shown = [k for k, label in self.labels.items() if k not in self._quiet and label.text()]
        room = self._bar.width() - 32  # the size grip and the bar's margins
        message = self._bar.currentMessage()
        if message:
            room -= self._bar.fontMetrics().horizontalAdvance(message) + 16

        def needed():
            return sum(self.labels[k].sizeHint().width() + 8 for k in shown)  # + spacing

        for key in DROP_WHEN_NARROW:
            if needed() <= room:
                break
            if key in shown:
                shown.remove(key)
        for key, label in self.labels.items():
            label.setVisible(key in shown)

    def show(self, document: Document) -> None:
        """Show the fit as it is now."""
        self._show_texts(document)
        self.fit_width()

    def _show_texts(self, document: Document) -> None:
        fit = document.fit
        labels = self.labels
        ref = document.data_file  # the points shown are a sample of the file fitted
        labels["n"].setText(
            f"N = {document.n_points:,}"
            if ref is None
            else f"N = {ref.n_samples:,} ({document.n_points:,} shown)"
        )
        mixture = fit.mixture
        labels["k"].setText("K –" if mixture is None else f"K = {mixture.n_components}")
        current, evaluated = fit.current, fit.evaluated
        labels["iteration"].setText(
            "iteration –" if current is None else f"iteration {fit.iteration}"
        )
        phase = fit.next_phase if fit.can_continue else None  # nothing is next once EM ended
        labels["next"].setText("" if phase is None else f"{phase.value} next")
        if current is not None and not current.evaluated:  # an M half-step: not yet evaluated
            labels["ll"].setText("log-likelihood –")
            labels["change"].setText("change –")
        elif evaluated is not None:
            labels["ll"].setText(f"log-likelihood {evaluated.log_likelihood:.6g}")
            change = evaluated.change
            labels["change"].setText(
                f"change {change:.2e}" if math.isfinite(change) else "change –"
            )
        else:
            labels["ll"].setText("log-likelihood –")
            labels["change"].setText("change –")
        self._show_criteria(fit if current is evaluated else None)
        state = fit.state
        text = state.value
        if state is FitState.EMPTY:
            text = f"need ≥ {fit.settings.n_components} points"
        elif fit.message and state is FitState.STOPPED:
            text = f"stopped ({fit.message})"
        labels["state"].setText(text)
        style = f"font-weight: bold; color: {STATE_COLORS.get(state, '#1e1e1e')};"
        if labels["state"].styleSheet() != style:  # restyling costs more than the rest
            labels["state"].setStyleSheet(style)
        error = fit.message if state is FitState.ERROR else ""
        if self.message.text() != error:
            self.message.setText(error)
            self.message.setToolTip(error)

    def _show_criteria(self, fit) -> None:
        """BIC and AIC of the evaluated fit on screen (lower is better), or dashes."""
        snapshot = None if fit is None else fit.evaluated
        if snapshot is None or not math.isfinite(snapshot.log_likelihood):
            self.labels["bic"].setText("BIC –")
            self.labels["aic"].setText("AIC –")
            return
        mixture = snapshot.mixture
        p = n_parameters(mixture.covariance_type, mixture.n_components, mixture.n_features)
        ll = snapshot.log_likelihood
        n = snapshot.n_samples if fit.sample_weight is None else self._total_weight(fit)
        self.labels["bic"].setText(f"BIC {bic(ll, p, n):.6g}")
        self.labels["aic"].setText(f"AIC {aic(ll, p):.6g}")

    def _total_weight(self, fit) -> float:
        """The sum of the fit's sample weights (BIC's N, as in the core), summed once."""
        known, total = self._weights
        if known is not fit.sample_weight:
            known, total = fit.sample_weight, float(fit.sample_weight.sum())
            self._weights = (known, total)
        return total


class _WidthFitter(QObject):
    """Refits the status labels whenever the bar is resized."""

    def __init__(self, status: FitStatus) -> None:
        super().__init__()
        self._status = status

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._status.fit_width()
        return False
