"""``gmm-studio --smoke-test``: prove that an installed GMM Studio really works, then exit.

Run by CI against the frozen bundle, the extracted ``.deb`` and a wheel installed in a fresh
virtual environment. Each step exercises the real application, prints one line, and the
first failure stops the run with its reason::

    smoke: resources: ok (frozen; 2 samples, 7 icons in /opt/gmm-studio/_internal/gmm_studio)
    smoke: window: ok (shown 0.84 s after process start)
    ...
    smoke: passed

The exit code is 0 only if every step passed. Where there is no display the window is
created on Qt's ``offscreen`` platform.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from gmm_studio.model import FitState

__all__ = ["SmokeFailure", "run_smoke_test", "seconds_since_process_start"]

#: Upper bound for anything the smoke test waits for (the window, the EM worker).
WAIT_SECONDS = 60.0
#: EM iterations run through the worker thread.
EM_ITERATIONS = 5


class SmokeFailure(Exception):
    """A smoke-test step found the application not working; the message says why."""


def seconds_since_process_start() -> float:
    """Return the seconds elapsed since this process was started by the operating system.

    Uses the kernel's record of the process start (Linux ``/proc``), so for a frozen bundle it
    includes the bootloader and the unpacking of Python before any of our code ran. Elsewhere
    it falls back to the time since this module was imported.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # Field 22 (after the parenthesised command name) is the start time in clock ticks
            # since boot, on the same clock as CLOCK_BOOTTIME.
            fields = stat.read().rsplit(")", 1)[1].split()
        start = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED_AT


_IMPORTED_AT = time.perf_counter()


@dataclass
class SmokeContext:
    """What the steps hand on to each other."""

    workdir: str
    app: Any = None
    window: Any = None
    shown_after: float | None = None
    samples: dict[str, Any] = field(default_factory=dict)
    last_snapshot: Any = None


def _use_offscreen_without_display() -> None:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _isolate_user_folders(workdir: str) -> None:
    """Keep the user's settings, recent files and autosaves out of the smoke test (and the
    test independent of them): every per-user folder points into ``workdir``."""
    for variable, name in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("GMM_STUDIO_DATA_DIR", "gmm-studio-data"),
    ):
        os.environ[variable] = os.path.join(workdir, name)


def _step_resources(ctx: SmokeContext) -> str:
    from gmm_studio import resources

    names = resources.sample_names()
    if not names:
        raise SmokeFailure(f"no bundled samples in {resources.package_root() / 'samples'}")
    for name in names:
        if resources.sample_path(name).stat().st_size == 0:
            raise SmokeFailure(f"bundled sample {name} is empty")
    icons = resources.icon_paths()
    resources.icon_path(None)
    return (
        f"{resources.install_kind()}; {len(names)} samples, {len(icons)} icons "
        f"in {resources.package_root()}"
    )


def _wait_until(app: Any, done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def _step_window(ctx: SmokeContext) -> str:
    from PySide6.QtCore import QEvent, QObject

    from gmm_studio.gui.app import create_main_window, ensure_application

    # The same start-up path as `gmm-studio`: application, start-up sample, main window.
    ctx.app = ensure_application()
    ctx.window = create_main_window()

    class ShowWatcher(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Show and ctx.shown_after is None:
                ctx.shown_after = seconds_since_process_start()
            return False

    watcher = ShowWatcher(ctx.window)
    ctx.window.installEventFilter(watcher)
    ctx.window.show()
    _wait_until(ctx.app, lambda: ctx.shown_after is not None, "the main window to show")
    from PySide6.QtGui import QGuiApplication

    from gmm_studio.resources import APP_ID

    sizes = sorted(s.width() for s in ctx.window.windowIcon().availableSizes())
    if not sizes:
        raise SmokeFailure("the main window has no icon")
    if QGuiApplication.desktopFileName() != APP_ID:
        raise SmokeFailure(f"desktop file name is {QGuiApplication.desktopFileName()!r}")
    platform = ctx.app.platformName()
    return (
        f"shown {ctx.shown_after:.2f} s after process start (Qt platform {platform}; "
        f"icon {sizes[0]}-{sizes[-1]} px)"
    )


def _step_samples(ctx: SmokeContext) -> str:
    from gmm_studio import resources
    from gmm_studio.io import read_points

    for name in resources.sample_names():
        table = read_points(resources.sample_path(name))
        if table.data.ndim != 2 or len(table.data) < 10:
            raise SmokeFailure(f"{name}: read points of shape {table.data.shape}")
        ctx.samples[name] = table
    shown = "old_faithful.csv" if "old_faithful.csv" in ctx.samples else next(iter(ctx.samples))
    table = ctx.samples[shown]
    ctx.window.document.set_points(table.data, table.columns)
    _wait_until(
        ctx.app, lambda: ctx.window.fit.state is FitState.READY, "EM to initialise on the sample"
    )
    loaded = ", ".join(f"{n} {t.data.shape[0]}x{t.data.shape[1]}" for n, t in ctx.samples.items())
    return f"{loaded}; showing {shown}"


def _step_em(ctx: SmokeContext) -> str:
    from PySide6.QtCore import QThread

    window = ctx.window
    doc = window.document
    worker_thread = window.controller.thread
    if not worker_thread.isRunning() or worker_thread is QThread.currentThread():
        raise SmokeFailure("the EM worker thread is not running beside the GUI thread")
    for expected in range(1, EM_ITERATIONS + 1):
        window.step_action.trigger()
        _wait_until(
            ctx.app,
            lambda n=expected: (
                doc.iteration >= n or window.fit.state in (FitState.CONVERGED, FitState.ERROR)
            ),
            f"EM iteration {expected} from the worker",
        )
        if window.fit.state is FitState.ERROR:
            raise SmokeFailure(f"EM failed: {window.error_message}")
    history = [snapshot.log_likelihood for snapshot in doc.fit.history]
    if len(history) < 2 or any(b < a - 1e-6 * abs(a) for a, b in itertools.pairwise(history)):
        raise SmokeFailure(f"log-likelihood did not climb: {history}")
    return (
        f"{doc.iteration} iterations on thread {worker_thread.objectName() or 'worker'}, "
        f"log-likelihood {history[0]:.4f} -> {history[-1]:.4f}"
    )


def _step_big_em(ctx: SmokeContext) -> str:
    from gmm_studio.core import PRESETS
    from gmm_studio.core.pass_process import PROCESS_MIN_TERMS

    window = ctx.window
    doc = window.document
    k = doc.settings.n_components
    X, _, _ = PRESETS["overlapping"](PROCESS_MIN_TERMS // k + 1, seed=0)
    doc.set_points(X, ["x", "y"])
    _wait_until(ctx.app, lambda: window.fit.state is FitState.READY, "EM to initialise")
    window.run_or_pause()
    _wait_until(
        ctx.app,
        lambda: window.controller.pass_process_id is not None or window.fit.state is FitState.ERROR,
        "the EM pass process to start",
    )
    started_at, child = doc.iteration, window.controller.pass_process_id
    _wait_until(ctx.app, lambda: doc.iteration >= started_at + 3, "EM iterations in the process")
    window.run_or_pause()
    _wait_until(ctx.app, lambda: window.fit.state is not FitState.RUNNING, "EM to pause")
    if window.fit.state is FitState.ERROR:
        raise SmokeFailure(f"EM failed: {window.error_message}")
    if window.controller.pass_process_id != child:
        raise SmokeFailure(f"the EM pass process {child} stopped while EM ran")
    return f"{len(X):,} points: iterations {started_at} to {doc.iteration} in process {child}"


def _step_session(ctx: SmokeContext) -> str:
    import numpy as np

    from gmm_studio.io import Session, load_session, save_session

    doc = ctx.window.document
    session = Session(
        points=np.array(doc.points),
        columns=list(doc.columns),
        axes=tuple(doc.axes),
        settings=doc.settings,
        fit=doc.fit.saved(),
    )
    path = os.path.join(ctx.workdir, "smoke.gmms")
    save_session(path, session)
    loaded = load_session(path)
    if not np.array_equal(loaded.points, doc.points) or list(loaded.columns) != doc.columns:
        raise SmokeFailure("the reloaded session has different points")
    if loaded.settings != doc.settings:
        raise SmokeFailure(f"the reloaded session has settings {loaded.settings}")
    if loaded.mixture is None or not np.allclose(loaded.mixture.means, doc.mixture.means):
        raise SmokeFailure("the reloaded session lost the fitted mixture")
    return f"saved and reloaded {os.path.getsize(path)} bytes"


def _step_close(ctx: SmokeContext) -> str:
    import multiprocessing

    thread = ctx.window.controller.thread
    ctx.window.close()
    ctx.app.processEvents()
    if thread.isRunning():
        raise SmokeFailure("the EM worker thread still runs after the window closed")
    if multiprocessing.active_children():
        raise SmokeFailure("the EM pass process still runs after the window closed")
    return "window closed, worker thread and pass process stopped"


def _close_quietly(ctx: SmokeContext) -> None:
    """After a failure: still stop the worker thread, so the exit code stays ours."""
    if ctx.window is None:
        return
    try:
        ctx.window.close()
        ctx.app.processEvents()
    except Exception:  # reporting the first failure matters more than a second one
        traceback.print_exc(file=sys.stderr)


STEPS: tuple[tuple[str, Callable[[SmokeContext], str]], ...] = (
    ("resources", _step_resources),
    ("window", _step_window),
    ("samples", _step_samples),
    ("em", _step_em),
    ("big em", _step_big_em),
    ("session", _step_session),
    ("close", _step_close),
)


def run_smoke_test(out: TextIO | None = None) -> int:
    """Run every smoke-test step in order, printing one line per step.

    Parameters
    ----------
    out : text stream, optional
        Where the report goes; standard output by default.

    Returns
    -------
    int
        0 if every step passed, 1 at the first failure (its reason is printed).
    """
    out = sys.stdout if out is None else out
    _use_offscreen_without_display()
    with tempfile.TemporaryDirectory(prefix="gmm-studio-smoke-") as workdir:
        _isolate_user_folders(workdir)
        ctx = SmokeContext(workdir=workdir)
        for name, step in STEPS:
            try:
                detail = step(ctx)
            except Exception as exc:  # the reason is the report; never a traceback-only exit
                reason = str(exc) if isinstance(exc, SmokeFailure) else repr(exc)
                print(f"smoke: {name}: FAILED: {reason}", file=out, flush=True)
                if not isinstance(exc, SmokeFailure):
                    traceback.print_exc(file=sys.stderr)
                _close_quietly(ctx)
                return 1
            print(f"smoke: {name}: ok ({detail})", file=out, flush=True)
    print("smoke: passed", file=out, flush=True)
    return 0
