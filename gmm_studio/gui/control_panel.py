"""The side panel: fit settings (scikit-learn names), speed and display options."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, Qt, Signal
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
from gmm_studio.gui.settings_store import HARD_LABELS, RADII, SPEED, Preference, SettingsStore

NO_MODIFIER = Qt.KeyboardModifier.NoModifier

#: Friendly names for the initialisation methods.
INIT_LABELS = {"random-points": "random points", "kmeans++": "k-means++", "kmeans": "k-means"}

COVARIANCE_TIP = (
    "covariance_type: full (any ellipse), tied (one shared ellipse), "
    "diag (axis-aligned), spherical (circles)"
)
#: For one column, where the ellipses are intervals.
COVARIANCE_TIP_1D = (
    "covariance_type: with one column, full, diag and spherical are the same model "
    "(a variance per component); tied shares one variance"
)

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

    The panel shows what it is bound to (:meth:`bind`): the document's fit settings and the
    view preferences of the settings store, redrawn whenever they change. A fit setting the
    user edits is asked of the document (:meth:`Document.set_settings`, which hands it to the
    fit model); speed, ellipse radii and hard labels are preferences, written to the store.

    Enter in a field commits it and gives the keyboard back to the canvas; the window's
    single-key shortcuts (Space, N, R, ...) commit the field and then act, wherever the
    keyboard focus is in the panel (see :meth:`pass_keys_to`).

    Signals
    -------
    newInitialisationRequested()
    """

    newInitialisationRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = None
        self._store: SettingsStore | None = None
        self._focus_home: QWidget | None = None
        self._window_keys: frozenset[int] = frozenset()
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
        self.covariance_type.setToolTip(COVARIANCE_TIP)
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
        self.n_init = QSpinBox()
        self.n_init.setRange(1, 1000)
        self.n_init.setToolTip("n_init: how many starts to run, keeping the best")
        form.addRow("n_init", self.n_init)
        self.standardize = QCheckBox("standardize columns")
        self.standardize.setToolTip(
            "Fit on z-scored columns (a new start); the canvas, the table and every number "
            "stay in the data's own units"
        )
        form.addRow(self.standardize)
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

        for box in (self.n_components, self.seed, self.n_init, self.max_iter):
            box.setKeyboardTracking(False)  # typing "12" must not fit with K=1 on the way
        self._fields = (
            self.n_components,
            self.covariance_type,
            self.init,
            self.seed,
            self.n_init,
            self.standardize,
            self.tol,
            self.max_iter,
            self.reg_covar,
        )
        for field in self._fields:
            field.installEventFilter(self)
        self._show_settings(FitSettings())
        self.speed_text.setText(speed_label(self.speed.value()))

        self.n_components.valueChanged.connect(lambda v: self._edit(n_components=v))
        self.covariance_type.currentTextChanged.connect(lambda v: self._edit(covariance_type=v))
        self.init.currentIndexChanged.connect(lambda i: self._edit(init=self.init.itemData(i)))
        self.seed.valueChanged.connect(lambda v: self._edit(seed=v))
        self.n_init.valueChanged.connect(lambda v: self._edit(n_init=v))
        self.standardize.toggled.connect(lambda on: self._edit(standardize=bool(on)))
        self.max_iter.valueChanged.connect(lambda v: self._edit(max_iter=v))
        self.tol.editingFinished.connect(self._commit_tol)
        self.reg_covar.editingFinished.connect(self._commit_reg_covar)
        self.new_init.clicked.connect(self.newInitialisationRequested)
        self.speed.valueChanged.connect(self._on_speed)
        for box in self.radius_boxes:
            box.toggled.connect(self._on_radii)
        self.hard_labels.toggled.connect(self._on_hard_labels)

    # -- binding ----------------------------------------------------------------------------
    def bind(self, document, store: SettingsStore) -> None:
        """Show ``document``'s fit settings and ``store``'s view preferences, and follow them.

        Parameters
        ----------
        document : Document
        store : SettingsStore
        """
        self._document, self._store = document, store
        document.settingsChanged.connect(self._show_document_settings)
        document.replaced.connect(self._show_document_settings)
        store.changed.connect(self._show_preference)
        self._show_document_settings()
        for preference in (SPEED, RADII, HARD_LABELS):
            self._show_preference(preference)

    def pass_keys_to(self, home: QWidget, actions) -> None:
        """Hand the keyboard back to ``home`` after Enter, and let the single-key shortcuts
        of ``actions`` (printable keys without modifiers, such as Space and N) act from any
        field."""
        self._focus_home = home
        keys = set()
        for action in actions:
            for sequence in action.shortcuts():
                combined = sequence[0] if sequence.count() == 1 else None
                if (
                    combined is not None
                    and combined.keyboardModifiers() == NO_MODIFIER
                    and Qt.Key.Key_Space <= combined.key() <= Qt.Key.Key_AsciiTilde
                ):
                    keys.add(combined.key())  # typed keys only: arrows and Esc stay the field's
        self._window_keys = frozenset(keys)

    def settings(self) -> FitSettings:
        """The fit settings shown (those of the bound document)."""
        return self._shown

    def set_speed_position(self, position: int) -> None:
        """Move the speed slider (the store remembers it)."""
        self.speed.setValue(position)

    def radii(self) -> tuple[float, ...]:
        """Checked Mahalanobis radii."""
        return tuple(float(i + 1) for i, b in enumerate(self.radius_boxes) if b.isChecked())

    # -- showing ----------------------------------------------------------------------------
    def _show_document_settings(self, *_args) -> None:
        self._show_settings(self._document.settings)
        one = self._document.one_dimensional
        self.covariance_type.setToolTip(COVARIANCE_TIP_1D if one else COVARIANCE_TIP)

    def _show_settings(self, settings: FitSettings) -> None:
        # Each field shows its own value; the edit handlers ignore a value equal to the
        # shown settings, so showing never reads back as an edit.
        self._shown = settings
        self.n_components.setValue(settings.n_components)
        self.covariance_type.setCurrentText(settings.covariance_type)
        self.init.setCurrentIndex(max(0, self.init.findData(settings.init)))
        self.seed.setValue(settings.seed if settings.seed is not None else 0)
        self.n_init.setValue(settings.n_init)
        self.standardize.setChecked(settings.standardize)
        self.max_iter.setValue(settings.max_iter)
        self.tol.setText(f"{settings.tol:g}")
        self.reg_covar.setText(f"{settings.reg_covar:g}")

    def _show_preference(self, preference: Preference) -> None:
        store = self._store
        if preference is SPEED:
            self.speed.setValue(store.get(SPEED))
        elif preference is RADII:
            wanted = {round(float(r)) for r in store.get(RADII)}
            for i, box in enumerate(self.radius_boxes):
                box.setChecked(i + 1 in wanted)
        elif preference is HARD_LABELS:
            self.hard_labels.setChecked(store.get(HARD_LABELS))

    # -- edits ------------------------------------------------------------------------------
    def _edit(self, **change) -> None:
        edited = any(getattr(self._shown, name) != value for name, value in change.items())
        if edited and self._document is not None:
            self._document.set_settings(self._shown.replace(**change))

    def _commit_tol(self) -> None:
        value = _parse(self.tol.text(), self._shown.tol, allow_zero=False)
        self.tol.setText(f"{value:g}")
        self._edit(tol=value)

    def _commit_reg_covar(self) -> None:
        value = _parse(self.reg_covar.text(), self._shown.reg_covar, allow_zero=True)
        self.reg_covar.setText(f"{value:g}")
        self._edit(reg_covar=value)

    def _on_speed(self, position: int) -> None:
        self.speed_text.setText(speed_label(position))
        if self._store is not None:
            self._store.set(SPEED, position)

    def _on_radii(self, *_args) -> None:
        if self._store is not None:
            self._store.set(RADII, self.radii())

    def _on_hard_labels(self, on: bool) -> None:
        if self._store is not None:
            self._store.set(HARD_LABELS, bool(on))

    # -- keyboard ---------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter commits a field and leaves it; the window's keys act from any field."""
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        key, modifiers = event.key(), event.modifiers()
        if kind == QEvent.Type.KeyPress and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._commit(watched)
            self._leave()
            return True
        if (
            kind == QEvent.Type.ShortcutOverride
            and modifiers == NO_MODIFIER
            and key in self._window_keys
        ):
            # Commit what was typed, then let the shortcut run instead of typing the key.
            self._commit(watched)
            self._leave()
            event.ignore()
            return True
        return False

    def _commit(self, field: QObject) -> None:
        if field is self.tol:
            self._commit_tol()
        elif field is self.reg_covar:
            self._commit_reg_covar()
        elif isinstance(field, QSpinBox):
            field.interpretText()

    def _leave(self) -> None:
        if self._focus_home is not None:
            self._focus_home.setFocus(Qt.FocusReason.OtherFocusReason)


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
