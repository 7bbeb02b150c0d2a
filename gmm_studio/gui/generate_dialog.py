"""The "Generate data" dialog: the notebook's mixture generator, with presets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.core import PRESETS, Mixture, generate_mixture_data
from gmm_studio.gui.dialog_parts import ok_cancel_buttons, show_status, status_label

MAX_COMPONENTS = 10
MAX_POINTS = 1_000_000
#: Preset names as shown, in menu order; "custom" means the parameters typed in the grid.
PRESET_LABELS = {
    "custom": "Custom (typed in or random)",
    "notebook": "The notebook's own",
    "well-separated": "Well separated",
    "overlapping": "Overlapping",
    "anisotropic": "Anisotropic",
    "unequal-sizes": "Unequal sizes",
}
FIELDS = ("weight", "mean x", "mean y", "var x", "var y", "cov xy")


@dataclass(frozen=True, eq=False)
class GeneratedData:
    """Points drawn by the generator.

    Attributes
    ----------
    points : ndarray, shape (n, 2)
    labels : ndarray, shape (n,)
        The component each point was drawn from.
    mixture : Mixture
        The true mixture (full covariances).
    preset : str
        The preset used, or ``"custom"``.
    seed : int
    """

    points: np.ndarray
    labels: np.ndarray
    mixture: Mixture
    preset: str
    seed: int


def random_mixture(n_components: int, rng: np.random.Generator) -> Mixture:
    """A random 2-D mixture: means spread over a square, random orientations and shapes,
    weights from a Dirichlet distribution kept away from zero."""
    spread = 3.0 * np.sqrt(n_components)
    means = rng.uniform(-spread, spread, size=(n_components, 2))
    covariances = []
    for _ in range(n_components):
        angle = rng.uniform(0, np.pi)
        c, s = np.cos(angle), np.sin(angle)
        rotation = np.array([[c, -s], [s, c]])
        scales = rng.uniform(0.3, 1.5, size=2)
        covariances.append(rotation @ np.diag(scales) @ rotation.T)
    weights = rng.dirichlet(np.full(n_components, 4.0))
    return Mixture(weights, means, np.array(covariances), "full")


def _fmt(value: float) -> str:
    return f"{value:.6g}"


class GenerateDialog(QDialog):
    """Choose a mixture (preset, random or typed in), the number of points and a seed.

    After ``exec()`` returns ``Accepted``, `generated` holds the points. OK is enabled only
    when the typed parameters make a valid mixture (positive weights, positive-definite
    covariances); the line above the buttons says what is wrong otherwise.
    """

    parametersChanged = Signal()

    def __init__(self, parent: QWidget | None = None, *, n_points: int = 300, seed: int = 0):
        super().__init__(parent)
        self.setWindowTitle("Generate data")
        self.setObjectName("generateDialog")
        self.generated: GeneratedData | None = None
        self._filling = False

        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("preset")
        for key, label in PRESET_LABELS.items():
            self.preset_combo.addItem(label, key)
        self.points_spin = QSpinBox()
        self.points_spin.setObjectName("nPoints")
        self.points_spin.setRange(1, MAX_POINTS)
        self.points_spin.setGroupSeparatorShown(True)
        self.points_spin.setValue(n_points)
        self.components_spin = QSpinBox()
        self.components_spin.setObjectName("nComponents")
        self.components_spin.setRange(1, MAX_COMPONENTS)
        self.components_spin.setValue(3)
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seed")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(seed)
        self.random_button = QPushButton("Random parameters")
        self.random_button.setObjectName("randomize")
        self.random_button.setToolTip("Draw random weights, means and covariances (uses the seed)")

        form = QFormLayout()
        form.addRow("Preset:", self.preset_combo)
        form.addRow("Number of points:", self.points_spin)
        form.addRow("Components:", self.components_spin)
        form.addRow("Seed:", self.seed_spin)

        grid_box = QGroupBox("Mixture parameters")
        self.grid = QGridLayout(grid_box)
        for column, name in enumerate(FIELDS, start=1):
            self.grid.addWidget(QLabel(name), 0, column)
        self.edits: list[list[QLineEdit]] = []
        validator = QDoubleValidator(self)
        validator.setLocale(QLocale.c())  # numbers typed and shown with a decimal point
        for k in range(MAX_COMPONENTS):
            self.grid.addWidget(QLabel(f"{k}"), k + 1, 0)
            row = []
            for column, name in enumerate(FIELDS, start=1):
                edit = QLineEdit()
                edit.setObjectName(f"{name.replace(' ', '_')}_{k}")
                edit.setValidator(validator)
                edit.setMaximumWidth(90)
                edit.textEdited.connect(self._typed)
                self.grid.addWidget(edit, k + 1, column)
                row.append(edit)
            self.edits.append(row)

        self.status = status_label()
        self.buttons = ok_cancel_buttons(self, "Generate")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.random_button)
        layout.addWidget(grid_box)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self.components_spin.valueChanged.connect(self._components_changed)
        self.seed_spin.valueChanged.connect(self._seed_changed)
        self.points_spin.valueChanged.connect(self._validate)
        self.random_button.clicked.connect(self.randomize)
        self.randomize()

    # -- parameters -----------------------------------------------------------------------

    @property
    def preset(self) -> str:
        """The selected preset's key (``"custom"`` for typed-in or random parameters)."""
        return self.preset_combo.currentData()

    def set_mixture(self, mixture: Mixture) -> None:
        """Show ``mixture``'s parameters in the grid (its number of components too)."""
        full = mixture.full_covariances()
        self._filling = True
        try:
            self.components_spin.setValue(mixture.n_components)
            for k in range(mixture.n_components):
                values = [
                    mixture.weights[k], *mixture.means[k],
                    full[k, 0, 0], full[k, 1, 1], full[k, 0, 1],
                ]  # fmt: skip
                for edit, value in zip(self.edits[k], values, strict=True):
                    edit.setText(_fmt(float(value)))
        finally:
            self._filling = False
        self._show_rows()
        self._validate()

    def randomize(self) -> None:
        """Fill the grid with a random mixture of the chosen size and switch to custom."""
        rng = np.random.default_rng(self.seed_spin.value())
        mixture = random_mixture(self.components_spin.value(), rng)
        self._select_preset("custom")
        self.set_mixture(mixture)

    def typed_mixture(self) -> Mixture:
        """The mixture typed in the grid.

        Raises
        ------
        ValueError
            With a message for the user: an empty cell, a non-positive weight or a
            covariance that is not positive definite.
        """
        k = self.components_spin.value()
        values = np.empty((k, len(FIELDS)))
        for i in range(k):
            for j, edit in enumerate(self.edits[i]):
                text = edit.text().strip()
                try:
                    values[i, j] = float(text)
                except ValueError:
                    values[i, j] = np.nan
                if not np.isfinite(values[i, j]):
                    raise ValueError(f"component {i}: enter a number for {FIELDS[j]}")
        weights, means = values[:, 0], values[:, 1:3]
        if np.any(weights <= 0):
            bad = int(np.flatnonzero(weights <= 0)[0])
            raise ValueError(f"component {bad}: the weight must be positive")
        covariances = np.empty((k, 2, 2))
        for i, (vx, vy, cxy) in enumerate(values[:, 3:]):
            if vx <= 0 or vy <= 0 or vx * vy - cxy * cxy <= 0:
                raise ValueError(
                    f"component {i}: the covariance is not positive definite "
                    "(variances must be positive and cov xy² < var x · var y)"
                )
            covariances[i] = [[vx, cxy], [cxy, vy]]
        return Mixture(weights / weights.sum(), means, covariances, "full")

    # -- reactions ------------------------------------------------------------------------

    def _select_preset(self, key: str) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(key))
        self.preset_combo.blockSignals(False)

    def _preset_changed(self) -> None:
        if self.preset == "custom":
            self._validate()
            return
        _, _, mixture = PRESETS[self.preset](1, self.seed_spin.value())
        self.set_mixture(mixture)

    def _seed_changed(self) -> None:
        if self.preset != "custom":
            self._preset_changed()  # random presets depend on the seed

    def _components_changed(self) -> None:
        if self._filling:
            return
        if self.preset != "custom":
            self._select_preset("custom")
        k = self.components_spin.value()
        for i in range(k):
            if not all(edit.text().strip() for edit in self.edits[i]):
                fresh = random_mixture(k, np.random.default_rng(self.seed_spin.value() + i))
                full = fresh.full_covariances()
                values = [1.0 / k, *fresh.means[i], full[i, 0, 0], full[i, 1, 1], full[i, 0, 1]]
                for edit, value in zip(self.edits[i], values, strict=True):
                    edit.setText(_fmt(float(value)))
        self._show_rows()
        self._validate()

    def _typed(self) -> None:
        if self._filling:
            return
        self._select_preset("custom")
        self._validate()

    def _show_rows(self) -> None:
        k = self.components_spin.value()
        for i in range(MAX_COMPONENTS):
            for column in range(len(FIELDS) + 1):
                item = self.grid.itemAtPosition(i + 1, column)
                if item is not None and item.widget() is not None:
                    item.widget().setVisible(i < k)

    def _validate(self) -> bool:
        try:
            self.typed_mixture()
        except ValueError as error:
            problem = str(error)
        else:
            problem = None
        n = self.points_spin.value()
        source = PRESET_LABELS[self.preset].lower()
        show_status(self.status, self.buttons, problem, f"{n:,} points from {source} parameters.")
        self.parametersChanged.emit()
        return problem is None

    # -- result ---------------------------------------------------------------------------

    def generate(self) -> GeneratedData:
        """Draw the points: the preset's own generator, or the typed-in mixture.

        Raises
        ------
        ValueError
            If the typed parameters are not a valid mixture.
        """
        n, seed = self.points_spin.value(), self.seed_spin.value()
        if self.preset != "custom":
            X, labels, mixture = PRESETS[self.preset](n, seed)
        else:
            mixture = self.typed_mixture()
            X, labels = generate_mixture_data(
                n, mixture.weights, mixture.means, mixture.covariances, seed=seed
            )
        return GeneratedData(np.asarray(X), np.asarray(labels), mixture, self.preset, seed)

    def accept(self) -> None:
        """Generate the points and close, only if the parameters are valid."""
        if not self._validate():
            return
        self.generated = self.generate()
        super().accept()
