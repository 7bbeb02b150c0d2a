"""The side panel: fit settings (scikit-learn names), speed and display options."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.core import COVARIANCE_TYPES, INIT_METHODS, FitSettings

#: Friendly names for the initialisation methods.
INIT_LABELS = {"random-points": "random points", "kmeans++": "k-means++", "kmeans": "k-means"}

#: Speed slider: positions 0..SPEED_MAX-1 map log-uniformly onto 1..SPEED_TOP iterations/s,
#: the last position means "as fast as possible".
SPEED_MAX = 40
SPEED_TOP = 200.0


def speed_from_position(position: int) -> float | None:
    """Iterations per second for a slider position (None = as fast as possible)."""
    if position >= SPEED_MAX:
        return None
    return float(round(SPEED_TOP ** (position / (SPEED_MAX - 1)), 1))


def speed_label(position: int) -> str:
    """Text describing a slider position."""
    speed = speed_from_position(position)
    if speed is None:
        return "as fast as possible"
    if speed <= 1.0:
        return "1 iteration/s"
    return f"{speed:g} iterations/s"


class ControlPanel(QWidget):
    """Fit settings, "new initialisation", speed and display options.

    Signals
    -------
    settingsEdited(FitSettings)
        The user changed a fit setting.
    newInitialisationRequested()
    speedChanged(int)
        Slider position (see :func:`speed_from_position`).
    radiiChanged(tuple)
        Mahalanobis radii of the drawn ellipses.
    hardLabelsToggled(bool)
    """

    settingsEdited = Signal(object)
    newInitialisationRequested = Signal()
    speedChanged = Signal(int)
    radiiChanged = Signal(tuple)
    hardLabelsToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = FitSettings()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)

        model = QGroupBox("Model")
        form = QFormLayout(model)
        self.n_components = QSpinBox()
        self.n_components.setRange(1, 20)
        self.n_components.setToolTip("n_components: number of Gaussian components (K)")
        form.addRow("n_components", self.n_components)
        self.covariance_type = QComboBox()
        self.covariance_type.addItems(list(COVARIANCE_TYPES))
        self.covariance_type.setToolTip(
            "covariance_type: full (any ellipse), tied (one shared ellipse), "
            "diag (axis-aligned), spherical (circles)"
        )
        form.addRow("covariance_type", self.covariance_type)
        self.init = QComboBox()
        for method in INIT_METHODS:
            self.init.addItem(INIT_LABELS.get(method, method), method)
        self.init.setToolTip("init_params: how the starting parameters are chosen")
        form.addRow("init", self.init)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("random seed of the initialisation")
        form.addRow("seed", self.seed)
        self.new_init = QPushButton("New initialisation")
        self.new_init.setToolTip("Draw a new starting point (next seed)")
        form.addRow(self.new_init)
        layout.addWidget(model)

        stopping = QGroupBox("Stopping and regularisation")
        form2 = QFormLayout(stopping)
        self.tol = _scientific_edit("tol: stop when the mean log-likelihood changes by less")
        form2.addRow("tol", self.tol)
        self.max_iter = QSpinBox()
        self.max_iter.setRange(1, 1_000_000)
        self.max_iter.setToolTip("max_iter: most EM iterations per run")
        form2.addRow("max_iter", self.max_iter)
        self.reg_covar = _scientific_edit("reg_covar: added to every covariance diagonal", True)
        form2.addRow("reg_covar", self.reg_covar)
        layout.addWidget(stopping)

        speed_box = QGroupBox("Speed")
        speed_layout = QVBoxLayout(speed_box)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, SPEED_MAX)
        self.speed.setToolTip("From one iteration per second (teaching) to as fast as possible")
        self.speed_text = QLabel()
        speed_layout.addWidget(self.speed)
        speed_layout.addWidget(self.speed_text)
        layout.addWidget(speed_box)

        display = QGroupBox("Display")
        display_layout = QVBoxLayout(display)
        radii_row = QHBoxLayout()
        radii_row.addWidget(QLabel("ellipses at"))
        self.radius_boxes = []
        for r in (1, 2, 3):
            box = QCheckBox(f"{r}σ")
            box.setToolTip(f"Draw each component's ellipse at Mahalanobis radius {r}")
            self.radius_boxes.append(box)
            radii_row.addWidget(box)
        radii_row.addStretch(1)
        display_layout.addLayout(radii_row)
        self.hard_labels = QCheckBox("hard labels (most likely component)")
        self.hard_labels.setToolTip("Off: blend colours by responsibility. On: one colour each.")
        display_layout.addWidget(self.hard_labels)
        layout.addWidget(display)
        layout.addStretch(1)

        for box in (self.n_components, self.seed, self.max_iter):
            box.setKeyboardTracking(False)  # typing "12" must not fit with K=1 on the way

        self.set_settings(self._settings)
        self.set_speed_position(SPEED_MAX)
        self.set_radii((1.0, 2.0, 3.0))

        self.n_components.valueChanged.connect(self._emit_settings)
        self.covariance_type.currentIndexChanged.connect(self._emit_settings)
        self.init.currentIndexChanged.connect(self._emit_settings)
        self.seed.valueChanged.connect(self._emit_settings)
        self.max_iter.valueChanged.connect(self._emit_settings)
        self.tol.editingFinished.connect(self._emit_settings)
        self.reg_covar.editingFinished.connect(self._emit_settings)
        self.new_init.clicked.connect(self.newInitialisationRequested)
        self.speed.valueChanged.connect(self._on_speed)
        for box in self.radius_boxes:
            box.toggled.connect(self._emit_radii)
        self.hard_labels.toggled.connect(self.hardLabelsToggled)

    # -- reading and writing ----------------------------------------------------------------
    def settings(self) -> FitSettings:
        """The settings the widgets show (invalid text falls back to the last good value)."""
        return self._settings.replace(
            n_components=self.n_components.value(),
            covariance_type=self.covariance_type.currentText(),
            init=self.init.currentData(),
            seed=self.seed.value(),
            max_iter=self.max_iter.value(),
            tol=_parse(self.tol.text(), self._settings.tol, allow_zero=False),
            reg_covar=_parse(self.reg_covar.text(), self._settings.reg_covar, allow_zero=True),
        )

    def set_settings(self, settings: FitSettings) -> None:
        """Show ``settings`` without emitting :attr:`settingsEdited`."""
        self._settings = settings
        widgets = (self.n_components, self.covariance_type, self.init, self.seed, self.max_iter)
        for w in widgets:
            w.blockSignals(True)
        self.n_components.setValue(settings.n_components)
        self.covariance_type.setCurrentText(settings.covariance_type)
        self.init.setCurrentIndex(max(0, self.init.findData(settings.init)))
        self.seed.setValue(settings.seed if settings.seed is not None else 0)
        self.max_iter.setValue(settings.max_iter)
        self.tol.setText(f"{settings.tol:g}")
        self.reg_covar.setText(f"{settings.reg_covar:g}")
        for w in widgets:
            w.blockSignals(False)

    def set_speed_position(self, position: int) -> None:
        """Move the speed slider (emits :attr:`speedChanged`)."""
        self.speed.setValue(position)
        self.speed_text.setText(speed_label(self.speed.value()))

    def radii(self) -> tuple[float, ...]:
        """Checked Mahalanobis radii."""
        return tuple(float(i + 1) for i, b in enumerate(self.radius_boxes) if b.isChecked())

    def set_radii(self, radii) -> None:
        """Check the boxes of ``radii`` (each of 1, 2, 3)."""
        wanted = {round(float(r)) for r in radii}
        for i, box in enumerate(self.radius_boxes):
            box.setChecked(i + 1 in wanted)

    # -- signals ----------------------------------------------------------------------------
    def _emit_settings(self, *_args) -> None:
        settings = self.settings()
        self.tol.setText(f"{settings.tol:g}")
        self.reg_covar.setText(f"{settings.reg_covar:g}")
        if settings != self._settings:
            self._settings = settings
            self.settingsEdited.emit(settings)

    def _on_speed(self, position: int) -> None:
        self.speed_text.setText(speed_label(position))
        self.speedChanged.emit(position)

    def _emit_radii(self, *_args) -> None:
        self.radiiChanged.emit(self.radii())


def _scientific_edit(tooltip: str, allow_zero: bool = False) -> QLineEdit:
    edit = QLineEdit()
    validator = QDoubleValidator(0.0 if allow_zero else 1e-300, 1e6, 12)
    validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
    edit.setValidator(validator)
    edit.setToolTip(tooltip)
    return edit


def _parse(text: str, fallback: float, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        return fallback
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        return fallback
    return value
