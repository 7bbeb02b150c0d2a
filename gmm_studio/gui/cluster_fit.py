"""File ▸ Fit on a cluster…: a file fitted on Dask while the canvas shows a sample of it.

:class:`ClusterFitting` asks (:class:`~gmm_studio.gui.cluster_dialog.ClusterDialog`), opens
the file on the cluster off the GUI thread (:class:`gmm_studio.cluster.full_data.ClusterData`:
connect or start a local cluster, read lazily, describe, draw the sample and the start), and
makes the document the fit of the whole file shown over its sample. From then on the window's
own worker thread steps the fit (Run, Pause, Step and Stop as for any fit; Stop cancels the
pass running on the cluster), and :class:`ClusterProgress` shows the cluster's progress
beside the history bar. A local cluster started here closes when its fit ends (converged or
``max_iter``), when the document is replaced or its points edited, or when the window
closes.
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow

from gmm_studio.core import FitError
from gmm_studio.gui.cluster_dialog import LOCAL_CLUSTER, ClusterDialog, ClusterRequest
from gmm_studio.gui.document import default_axes
from gmm_studio.gui.settings_store import CLUSTER_ADDRESS
from gmm_studio.io import DataFileError, DataFileRef
from gmm_studio.model import Change, FitState, SavedFit

#: The optional extra of Dask, and the packages it brings that fitting on a cluster imports.
DASK_EXTRA = "gmm-studio[dask]"
DASK_PACKAGES = ("dask", "distributed", "pandas")
#: How often the progress label reads the cluster's counters while a fit runs.
PROGRESS_INTERVAL_MS = 200


def dask_missing() -> str | None:
    """Why fitting on a cluster is not possible here (the extra to install), or None.

    Looks for the packages without importing them (importing distributed takes a second).
    """
    for name in DASK_PACKAGES:
        try:
            there = (
                sys.modules[name] is not None
                if name in sys.modules
                else importlib.util.find_spec(name) is not None
            )
        except (ImportError, ValueError):
            there = False
        if not there:
            return (
                f"fitting on a cluster needs the optional dependencies of {DASK_EXTRA} ({name} "
                f'is missing): pip install "{DASK_EXTRA}"'
            )
    return None


class ClusterProgress(QLabel):
    """A line about the cluster in the history bar's row, after the iteration it shows:
    chunks done and seconds per iteration (the last pass over the data: one per iteration)."""

    def __init__(self, document) -> None:
        super().__init__()
        self.setObjectName("clusterProgress")
        self.setContentsMargins(12, 0, 0, 0)
        self._document = document
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        document.fitChanged.connect(self._on_fit_changed)
        self.hide()

    def _on_fit_changed(self, _change) -> None:
        running = self._document.fit.state in (FitState.RUNNING, FitState.INITIALISING)
        if running and self._document.fit.full_data is not None:
            self._timer.start()
        else:
            self._timer.stop()
        self.refresh()

    def refresh(self) -> None:
        """Show the counters of the cluster fit now (hidden without one)."""
        data = self._document.fit.full_data
        if data is None:
            self._timer.stop()
            self.hide()
            return
        watch = data.watch
        seconds = watch.last_pass_seconds
        per_pass = "– s/iteration" if math.isnan(seconds) else f"{seconds:.2g} s/iteration"
        # Short: it shares the history bar's row, beside the iteration the bar shows.
        where = " (closed)" if data.closed else ""
        self.setText(f"Dask{where}: chunks {watch.chunks_done}/{watch.n_chunks} · {per_pass}")
        self.setToolTip(
            f"{data.n_samples:,} points of {data.path} on {data.n_workers} Dask workers "
            f"at {data.scheduler}, iteration {self._document.fit.iteration}; the canvas shows "
            f"{len(data.sample):,} of them"
        )
        self.show()


class ClusterFitting(QObject):
    """The window's fits on a Dask cluster (see the module notes).

    Parameters
    ----------
    window : QMainWindow
        Needs ``document``, ``fit_control``, ``settings_store``, ``file_commands`` and
        ``file_menu``.

    Attributes
    ----------
    action : QAction
        File ▸ Fit on a cluster… (disabled, naming the extra, without Dask).
    progress : ClusterProgress
    data : ClusterData or None
        The file on the cluster the document fits, while there is one.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.commands = window.file_commands
        self.data = None
        self.action = QAction("Fit on a &cluster…", window)
        self.action.setObjectName("fitOnClusterAction")
        self.missing = dask_missing()
        if self.missing is None:
            self.action.setStatusTip("Fit a big file on a Dask cluster, watching a sample of it")
            self.action.triggered.connect(lambda _checked=False: self.ask())
        else:
            self.action.setText("Fit on a cluster… (needs gmm-studio[dask])")
            self.action.setStatusTip(self.missing)
            self.action.setEnabled(False)
        self.action.setToolTip(self.action.statusTip())
        menu = window.file_menu
        actions = menu.file_menu.actions()
        after_generate = actions[actions.index(menu.generate_action) + 1]
        menu.file_menu.insertAction(after_generate, self.action)
        self.progress = ClusterProgress(self.document)
        window.history_bar.layout().addWidget(self.progress)
        self.document.replaced.connect(self._on_replaced)
        self.document.pointsChanged.connect(self._on_replaced)  # edited: fitted in memory
        self.document.fitChanged.connect(self._on_fit_changed)

    # -- asking -----------------------------------------------------------------------------
    def ask(self) -> bool:
        """File ▸ Fit on a cluster…: the dialog, then :meth:`fit`."""
        try:
            import gmm_studio.cluster  # noqa: F401
        except ImportError as error:  # a part of the extra is missing: it says which
            self.commands.questions.show_error("Cannot fit on a cluster", str(error))
            return False
        store = self.window.settings_store
        ref = self.document.data_file
        dialog = ClusterDialog(
            self.document.settings,
            store.get(CLUSTER_ADDRESS),
            "" if ref is None else ref.path,
            store.last_folder(),
            self.window,
        )
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            request = dialog.request()
        finally:
            dialog.deleteLater()
        return self.fit(request)

    def fit(self, request: ClusterRequest) -> bool:
        """Open ``request``'s file on its cluster and fit it; False when it could not start.

        A fit of the same file (a session saved from a cluster fit, say) with the same K and
        covariance type continues from the parameters shown, keeping its history.
        """
        from gmm_studio.cluster.client import ClusterError
        from gmm_studio.cluster.em import cluster_start
        from gmm_studio.cluster.full_data import ClusterData

        if not self.commands.confirm_discard(f"fitting {pathlib.Path(request.path).name}"):
            return False
        self.window.settings_store.set(CLUSTER_ADDRESS, request.address or "")
        settings = self.document.settings.replace(n_components=request.n_components)
        kept = self._continuable(request, settings)
        where = LOCAL_CLUSTER if request.address is None else request.address

        def open_on_cluster():
            data = ClusterData(request.path, request.columns, request.weights, request.address)
            try:
                return data, None if kept is not None else cluster_start(data.data, settings)
            except BaseException:
                data.close()
                raise

        try:
            data, start = self.commands.questions.busy(
                f"Reading {request.path} on the {where}…", open_on_cluster
            )
        except (DataFileError, ClusterError, FitError) as error:
            self.commands.questions.show_error(
                "Cannot fit on the cluster", f"{request.path}: {_problem(error)}"
            )
            return False
        if kept is not None and data.n_samples != self.document.data_file.n_samples:
            kept, start = None, cluster_start(data.data, settings)  # the file changed
        previous, self.data = self.data, data
        self.commands.source_table = None
        self.document.replace_contents(
            points=data.sample,
            columns=data.columns,
            axes=self.document.axes if kept is not None else default_axes(len(data.columns)),
            settings=settings,
            fit=kept if kept is not None else SavedFit(start),
            sample_weight=data.sample_weight,
            name=f"{data.name} on Dask",
            full_data=data,
            data_file=DataFileRef(
                request.path, tuple(data.columns), request.weights, data.n_samples
            ),
        )
        if previous is not None:
            previous.close()
        shown = "all of them" if len(data.sample) == data.n_samples else f"{len(data.sample):,}"
        notes = "".join(f"; {note}" for note in data.notes)
        self.commands.questions.show_status(
            f"Fitting {data.n_samples:,} points of {request.path} on {data.n_workers} Dask "
            f"workers at {data.scheduler}; the canvas shows {shown}{notes}"
        )
        self.window.fit_control.run()
        return True

    def _continuable(self, request: ClusterRequest, settings) -> SavedFit | None:
        ref, fit = self.document.data_file, self.document.fit
        if ref is None or ref.path != request.path or ref.weights != request.weights:
            return None
        if request.columns is not None and tuple(request.columns) != ref.columns:
            return None
        if fit.start is None or settings.n_components != fit.settings.n_components:
            return None
        return fit.saved()

    # -- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the cluster of the fit (the window closes; its worker has stopped)."""
        if self.data is not None:
            self.data.close()
            self.data = None
        self.progress.refresh()

    def _on_replaced(self) -> None:
        if self.data is not None and self.document.fit.full_data is not self.data:
            self.close()

    def _on_fit_changed(self, change: Change) -> None:
        data = self.data
        if data is None or not data.local or Change.STATE not in change:
            return
        if self.document.fit.state is FitState.CONVERGED or (
            self.document.fit.state is FitState.STOPPED and self.document.fit.message
        ):  # the fit ended (converged or max_iter): free this machine's workers
            QTimer.singleShot(0, self._close_ended)

    def _close_ended(self) -> None:
        data = self.data
        if data is None or self.document.fit.state not in (FitState.CONVERGED, FitState.STOPPED):
            return
        data.close()
        self.progress.refresh()


def _problem(error: Exception) -> str:
    return error.problem if isinstance(error, DataFileError) else str(error)


def install_cluster_fitting(window: QMainWindow) -> ClusterFitting:
    """Give ``window`` File ▸ Fit on a cluster… (sets ``window.cluster_fitting``)."""
    window.cluster_fitting = ClusterFitting(window)
    return window.cluster_fitting
