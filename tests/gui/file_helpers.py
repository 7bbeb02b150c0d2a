"""Shared pieces of the file-handling tests: data, waiting for a loaded document."""

from __future__ import annotations

import numpy as np

from gmm_studio.core import FitSettings
from gmm_studio.gui.document import Document
from gmm_studio.model import FitState

from .conftest import blobs
from .modal_driver import choose_file, drive


def three_columns(seed: int = 0) -> np.ndarray:
    """Three blobs in 2-D plus a third, noisy column: 120 points in 3 dimensions."""
    rng = np.random.default_rng(seed)
    xy = blobs(seed=seed + 1)
    return np.column_stack([xy, rng.standard_normal(len(xy)) * 2 + 10]).round(6)


def three_column_document(**settings) -> Document:
    """A 3-D document (columns a, b, c) with small, fast fit settings."""
    options = {"n_components": 3, "max_iter": 60, "tol": 1e-4, "seed": 5}
    options.update(settings)
    return Document(
        three_columns(), ["a", "b", "c"], name="three.csv", settings=FitSettings(**options)
    )


def write_csv(path, header, rows) -> None:
    """A small CSV file."""
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wait_shown(qtbot, window, before: int) -> None:
    """Wait until the window has drawn a frame of the new document (or it has no fit)."""
    doc = window.document

    def shown() -> bool:
        if doc.n_points < doc.settings.n_components:
            return window.fit.state is FitState.EMPTY
        shown = (FitState.READY, FitState.PAUSED, FitState.STOPPED, FitState.CONVERGED)
        return window.frames_drawn > before and window.fit.state in shown

    qtbot.waitUntil(shown, timeout=20_000)


def open_with_dialog(qtbot, window, path, choose) -> None:
    """File ▸ Open ``path``; ``choose(dialog)`` answers the import dialog; wait until shown."""
    before = window.frames_drawn
    driver = drive(qtbot, choose_file(path), choose)
    window.file_menu.open_action.trigger()
    assert driver.done
    wait_shown(qtbot, window, before)


def run_to_the_end(qtbot, window) -> None:
    """Run EM until it converges or stops (max_iter)."""
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()


def snapshot_of(doc: Document) -> dict:
    """Everything the document holds, for 'unchanged' checks."""
    return {
        "points": doc.points.copy(),
        "points_object": doc.points,
        "columns": list(doc.columns),
        "axes": doc.axes,
        "settings": doc.settings,
        "mixture": doc.mixture,
        "history": doc.fit.history,
        "iteration": doc.iteration,
        "path": doc.path,
        "name": doc.name,
        "dirty": doc.dirty,
        "undo_count": doc.undo_stack.count(),
        "undo_index": doc.undo_stack.index(),
    }


def assert_unchanged(doc: Document, before: dict) -> None:
    """The document is exactly as `snapshot_of` recorded it."""
    after = snapshot_of(doc)
    assert after["points_object"] is before["points_object"]
    np.testing.assert_array_equal(after["points"], before["points"])
    for key in ("columns", "axes", "settings", "history", "iteration", "path", "name", "dirty"):
        assert after[key] == before[key], key
    assert after["mixture"] is before["mixture"]
    assert (after["undo_count"], after["undo_index"]) == (
        before["undo_count"],
        before["undo_index"],
    )


def add_point_and_settle(qtbot, window, xy=(1.0, 1.0)) -> None:
    """Add one point (an unsaved, undoable edit) and wait for the live refit's frame."""
    from gmm_studio.gui.commands import AddPointsCommand

    doc = window.document
    before = window.frames_drawn
    doc.undo_stack.push(AddPointsCommand(doc, doc.lift_to_features([list(xy)])))
    qtbot.waitUntil(
        lambda: window.frames_drawn > before and window.controller.is_idle_waiting(),
        timeout=20_000,
    )
