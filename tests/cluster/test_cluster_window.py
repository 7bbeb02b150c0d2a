"""File ▸ Fit on a cluster… in the real window, driven through its dialog, on real clusters."""

import json
import sys

import numpy as np
import psutil
import pytest

from gmm_studio.cluster import full_data, lazy_files
from gmm_studio.core import FitSettings, fit
from gmm_studio.core.criteria import bic
from gmm_studio.gui.app import create_main_window
from gmm_studio.gui.control_panel import SPEED_MAX
from gmm_studio.gui.document import Document
from gmm_studio.gui.settings_store import CLUSTER_ADDRESS
from gmm_studio.model import FitState
from tests.gui.modal_driver import ModalDriver


def blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n // 2, 2)) @ np.array([[1.0, 0.3], [0.0, 0.6]])
    b = rng.normal(size=(n - n // 2, 2)) * 0.5 + [4.0, 1.0]
    return rng.permutation(np.concatenate([a, b]))


def make_window(qtbot, **settings):
    window = create_main_window(Document(settings=FitSettings(**settings)))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.panel.set_speed_position(SPEED_MAX)
    return window


def fill_dialog(path, address=None, k=2, columns="", weights=""):
    def act(dialog):
        dialog.path.setText(str(path))
        dialog.columns.setText(columns)
        dialog.weights.setText(weights)
        if address is None:
            dialog.local.setChecked(True)
        else:
            dialog.address.setText(address)
            dialog.remote.setChecked(True)
        dialog.n_components.setValue(k)
        dialog.buttons.accepted.emit()

    return act


def close_box(texts):
    def act(box):
        texts.append(box.text())
        box.close()

    return act


def in_memory_fit(X, settings):
    return fit(
        X, settings.n_components, covariance_type=settings.covariance_type, init=settings.init,
        tol=settings.tol, max_iter=settings.max_iter, reg_covar=settings.reg_covar,
        seed=settings.seed,
    )  # fmt: skip


@pytest.fixture
def points_file(tmp_path):
    X = blobs(3001)
    path = tmp_path / "points.npy"
    np.save(path, X)
    return X, path


def test_the_dialog_fits_the_whole_file_over_a_sample_as_in_memory(
    client, qtbot, points_file, tmp_path, monkeypatch
):
    monkeypatch.setattr(full_data, "SAMPLE_ROWS", 500)
    X, path = points_file
    window = make_window(qtbot, init="random-points", tol=1e-10, seed=2)
    fitting = window.cluster_fitting
    driver = ModalDriver(fill_dialog(path, client.scheduler.address))
    window.cluster_fitting.action.trigger()
    assert driver.done
    assert window.settings_store.get(CLUSTER_ADDRESS) == client.scheduler.address
    doc = window.document
    # The canvas shows a seeded uniform sample of the file's rows.
    assert doc.n_points == 500
    rows = full_data.sample_rows(len(X), 500)
    np.testing.assert_array_equal(doc.points, X[rows])
    # Pause, then one step: exactly one iteration more, then run to convergence.
    assert window.fit.state in (FitState.RUNNING, FitState.INITIALISING)
    with qtbot.waitSignal(window.controller.halted, timeout=20_000):  # every frame is in
        window.run_action.trigger()  # Pause
    paused_at = window.fit.iteration
    assert window.fit.state is FitState.PAUSED and window.fit.history
    with qtbot.waitSignal(window.controller.halted, timeout=20_000):
        window.step_action.trigger()
    assert window.fit.iteration == paused_at + 1 and window.fit.state is FitState.PAUSED
    assert fitting.progress.text().startswith("Dask: chunks 1/1 · ")
    assert fitting.progress.isVisible()
    window.run_action.trigger()
    qtbot.waitUntil(lambda: window.fit.state is FitState.CONVERGED, timeout=60_000)
    # The curve and the ellipses are the full data's fit: the in-memory fit from the same seed.
    expected = in_memory_fit(X, doc.settings)
    trace = [s.log_likelihood for s in window.fit.history]
    assert len(trace) > 8  # many more iterations than the pause and the step
    np.testing.assert_allclose(trace, expected.log_likelihood_trace, rtol=1e-10, atol=0)
    final = window.fit.mixture
    np.testing.assert_allclose(final.means, expected.means, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(final.covariances, expected.covariances, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(final.weights, expected.weights, rtol=1e-8, atol=1e-12)
    assert window.fit.history[-1].n_samples == len(X)
    # N, BIC and the components' counts are those of the rows fitted, not of the sample.
    assert window.status_labels["n"].text() == "N = 3,001 (500 shown)"
    window.component_table.refresh()
    summary = window.component_table.summary
    assert summary.bic == pytest.approx(bic(expected.log_likelihood, 11, len(X)), rel=1e-12)
    assert sum(c.count for c in summary.components) == pytest.approx(len(X))

    # Saved as a session, the data are referred to by path: the sample is all it holds.
    session = tmp_path / "fit.gmms"
    assert window.file_commands.save_session_to(session)
    saved = json.loads(session.read_text())
    assert saved["data_file"] == {
        "path": str(path), "columns": ["x", "y"], "weights": None, "n_samples": len(X),
    }  # fmt: skip
    assert len(saved["points"]) == 500
    # Reopened, it shows the fit and says where the data are.
    window.file_commands.open_path(window.file_commands.document.path)  # the same session
    assert window.document.data_file.path == str(path)
    np.testing.assert_allclose(window.fit.mixture.means, expected.means, rtol=1e-8, atol=1e-10)
    assert window.fit.state is FitState.CONVERGED
    assert str(path) in window.statusBar().currentMessage()
    # Fit on a cluster… offers that file and continues the fit, keeping its history.
    history = window.fit.history

    def offered(dialog):
        assert dialog.path.text() == str(path) and dialog.remote.isChecked()
        dialog.buttons.accepted.emit()

    driver = ModalDriver(offered)
    window.cluster_fitting.action.trigger()
    assert driver.done
    assert window.fit.full_data is window.cluster_fitting.data is not None
    assert window.fit.history == history and window.fit.state is FitState.CONVERGED
    # With the data file gone, the message says so and the fit still opens.
    path.unlink()
    texts = []
    driver = ModalDriver(close_box(texts))
    assert window.file_commands.open_path(session)
    assert driver.done
    assert len(texts) == 1 and f"the data file {path} is missing" in texts[0]
    assert window.fit.state is FitState.CONVERGED and window.document.n_points == 500


def child_processes():
    """Processes started by this one, but multiprocessing's own resource tracker (which
    lives as long as this process once anything used multiprocessing)."""
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "multiprocessing.resource_tracker" not in " ".join(p.cmdline())
    }


def test_stop_cancels_the_tasks_and_closing_leaves_no_process(qtbot, tmp_path, monkeypatch):
    # Many small chunks, read again on every pass: a pass takes long enough to stop inside it.
    monkeypatch.setattr(lazy_files, "CHUNK_BYTES", 2_000)  # 125 rows
    monkeypatch.setattr(full_data, "PERSIST_SHARE", 0.0)
    path = tmp_path / "points.npy"
    np.save(path, blobs(4000))  # 32 chunks
    before = child_processes()
    window = make_window(qtbot, init="random-points", tol=0.0, max_iter=3)
    driver = ModalDriver(fill_dialog(path))  # a local cluster on this machine
    window.cluster_fitting.action.trigger()
    assert driver.done
    data = window.cluster_fitting.data
    assert data.local and child_processes() - before
    watch = data.watch

    def inside_a_pass():
        return window.fit.iteration >= 1 and 0 < watch.chunks_done < watch.n_chunks - 8

    qtbot.waitUntil(inside_a_pass, timeout=30_000)
    passes, stopped_at = watch.passes, len(window.fit.history)
    window.stop_action.trigger()
    assert window.fit.state is FitState.STOPPED

    def gmm_tasks(dask_scheduler):
        return [str(k) for k in dask_scheduler.tasks if "gmm-" in str(k)]

    qtbot.waitUntil(lambda: window.controller.is_idle_waiting(), timeout=10_000)
    qtbot.waitUntil(lambda: not data.client.run_on_scheduler(gmm_tasks), timeout=10_000)
    # The pass in progress was cancelled: it never finished, and nothing was recorded.
    assert watch.passes == passes and len(window.fit.history) == stopped_at
    # Run continues from there; the end of the fit (max_iter) closes the local cluster.
    window.run_action.trigger()
    qtbot.waitUntil(lambda: data.closed, timeout=60_000)
    assert window.fit.state is FitState.STOPPED and window.fit.iteration == 3
    assert len(window.fit.history) == 4  # iterations 0..3, each once
    wait_for_exit(child_processes() - before)
    assert not child_processes() - before
    window.close()


def wait_for_exit(pids):
    psutil.wait_procs([psutil.Process(pid) for pid in pids], timeout=10)


def test_closing_the_window_mid_fit_stops_its_thread_and_its_client(client, qtbot, points_file):
    _X, path = points_file
    window = make_window(qtbot, init="random-points", tol=0.0)
    driver = ModalDriver(fill_dialog(path, client.scheduler.address))
    window.cluster_fitting.action.trigger()
    assert driver.done
    data = window.cluster_fitting.data
    qtbot.waitUntil(lambda: window.fit.iteration >= 1, timeout=30_000)
    assert window.fit.state is FitState.RUNNING
    window.close()
    assert data.closed and data.client.status == "closed"
    assert not window.controller.thread.isRunning()
    # A cluster the window did not start keeps running for its other clients.
    assert client.status == "running" and client.scheduler_info()["workers"]


def test_edited_points_are_fitted_in_memory_and_free_the_cluster(client, qtbot, points_file):
    X, path = points_file
    window = make_window(qtbot, max_iter=2)
    driver = ModalDriver(fill_dialog(path, client.scheduler.address))
    window.cluster_fitting.action.trigger()
    assert driver.done
    data = window.cluster_fitting.data
    qtbot.waitUntil(lambda: window.fit.state is FitState.STOPPED, timeout=30_000)  # max_iter
    window.document.append_rows([[0.0, 0.0]])
    assert window.fit.full_data is None and window.document.data_file is None
    assert data.closed and window.cluster_fitting.data is None
    assert window.status_labels["n"].text() == f"N = {len(X) + 1:,}"


def test_an_unreachable_scheduler_is_one_clear_message(qtbot, points_file):
    _X, path = points_file
    window = make_window(qtbot)
    texts = []
    driver = ModalDriver(fill_dialog(path, "tcp://127.0.0.1:9"), close_box(texts))
    assert not window.cluster_fitting.ask()
    assert driver.done
    assert (
        "cannot reach the Dask scheduler at tcp://127.0.0.1:9"
        in window.statusBar().currentMessage()
    )
    assert window.cluster_fitting.data is None and window.document.n_points == 0


def test_without_the_dask_extra_the_menu_item_names_it(qtbot, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    window = make_window(qtbot)
    action = window.cluster_fitting.action
    assert not action.isEnabled()
    assert "gmm-studio[dask]" in action.text()
    assert 'pip install "gmm-studio[dask]"' in action.statusTip()
