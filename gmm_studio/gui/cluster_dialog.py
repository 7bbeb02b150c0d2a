"""The "Fit on a cluster" dialog: which file, which columns, which scheduler, how many K.

The dialog only asks; :mod:`gmm_studio.gui.cluster_fit` reads the file on the cluster and
fits it. The other fit settings are the side panel's (the document's).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.core import FitSettings
from gmm_studio.gui.dialog_parts import ok_cancel_buttons, show_status, status_label

#: What the dialog calls a cluster started on this machine for the fit.
LOCAL_CLUSTER = "local cluster on this machine"
LAZY_FILTER = "Big data files (*.npy *.csv *.tsv *.txt *.parquet);;All files (*)"


@dataclass(frozen=True)
class ClusterRequest:
    """What the dialog asked for.

    Attributes
    ----------
    path : str
        A ``.npy`` file, a CSV file or glob of CSV files, or a Parquet file or folder.
    columns : tuple of str or None
        The columns to fit (None: every numeric column but the weights).
    weights : str or None
    address : str or None
        The scheduler's address; None for a local cluster.
    n_components : int
    """

    path: str
    columns: tuple[str, ...] | None
    weights: str | None
    address: str | None
    n_components: int


class ClusterDialog(QDialog):
    """Asks for a file, its columns and weights, a scheduler and K.

    Parameters
    ----------
    settings : FitSettings
        The side panel's settings (K is the default; the rest is shown for information).
    address : str
        The remembered scheduler address ("" = a local cluster).
    path : str
        The file to suggest ("" for none).
    folder : str
        Where the file browser opens.
    """

    def __init__(
        self,
        settings: FitSettings,
        address: str = "",
        path: str = "",
        folder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("clusterDialog")
        self.setWindowTitle("Fit on a cluster")
        self._folder = folder
        self._settings = settings
        form = QFormLayout()
        self.path = QLineEdit(path)
        self.path.setPlaceholderText("points.npy, part-*.csv or a Parquet folder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Data file", row)
        self.columns = QLineEdit()
        self.columns.setPlaceholderText("every numeric column")
        self.columns.setToolTip("Columns to fit, by name, separated by commas")
        form.addRow("Columns", self.columns)
        self.weights = QLineEdit()
        self.weights.setPlaceholderText("none")
        self.weights.setToolTip("A column of row weights (sample_weight), or nothing")
        form.addRow("Weights column", self.weights)
        self.local = QRadioButton(LOCAL_CLUSTER)
        self.remote = QRadioButton("scheduler at")
        self.address = QLineEdit(address)
        self.address.setPlaceholderText("tcp://host:8786")
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.remote)
        (self.remote if address else self.local).setChecked(True)
        where = QVBoxLayout()
        where.addWidget(self.local)
        remote_row = QHBoxLayout()
        remote_row.addWidget(self.remote)
        remote_row.addWidget(self.address, 1)
        where.addLayout(remote_row)
        form.addRow("Dask cluster", where)
        self.n_components = QSpinBox()
        self.n_components.setRange(1, 20)
        self.n_components.setValue(settings.n_components)
        self.n_components.setToolTip("n_components: number of Gaussian components (K)")
        form.addRow("n_components", self.n_components)
        note = QLabel(
            f"{settings.covariance_type} covariances, init {settings.init}, tol {settings.tol:g}, "
            f"max_iter {settings.max_iter}, reg_covar {settings.reg_covar:g}, seed "
            f"{settings.seed}: the side panel's settings"
        )
        note.setWordWrap(True)
        form.addRow("", note)
        self.status = status_label()
        self.buttons = ok_cancel_buttons(self, "Fit")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        for edit in (self.path, self.address):
            edit.textChanged.connect(self._check)
        self.address.textEdited.connect(lambda _text: self.remote.setChecked(True))
        self.local.toggled.connect(self._check)
        self._check()

    def request(self) -> ClusterRequest:
        """What the dialog asks for now."""
        columns = tuple(c.strip() for c in self.columns.text().split(",") if c.strip())
        return ClusterRequest(
            path=self.path.text().strip(),
            columns=columns or None,
            weights=self.weights.text().strip() or None,
            address=None if self.local.isChecked() else self.address.text().strip(),
            n_components=self.n_components.value(),
        )

    def _problem(self) -> str | None:
        request = self.request()
        if not request.path:
            return "Choose a data file (.npy, CSV or a glob of CSVs, Parquet)."
        if request.address == "":
            return "Type the scheduler's address, or choose the local cluster."
        return None

    def _check(self, *_args) -> None:
        request = self.request()
        where = LOCAL_CLUSTER if request.address is None else request.address
        show_status(self.status, self.buttons, self._problem(), f"Fit {request.path} on {where}.")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Data file", self._folder, LAZY_FILTER)
        if path:
            self.path.setText(path)
