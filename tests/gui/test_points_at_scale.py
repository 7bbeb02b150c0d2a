"""Points at scale: the raster looks like the markers, lands where the points are, follows the
hard-label toggle; the worker sends compact colours; a million-point window runs and closes."""

import mmap
import os
import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from gmm_studio.core import EMRun, FitSettings, Mixture
from gmm_studio.core.point_colors import blended_colors
from gmm_studio.core.point_raster import point_diameter
from gmm_studio.gui.canvas import Canvas
from gmm_studio.gui.document import Document
from gmm_studio.gui.em_worker import EMController
from gmm_studio.gui.palette import BACKGROUND, component_colors
from gmm_studio.gui.point_layer import RASTER_PAD, SCATTER_LIMIT, VIEW_IDLE_MS, _raster_executor

from .conftest import blobs, document_of
from .file_helpers import wait_shown


@pytest.fixture
def canvas(qtbot):
    c = Canvas()
    qtbot.addWidget(c)
    c.resize(700, 500)
    c.show()
    qtbot.waitExposed(c)
    return c


def grid_points(n_side=5):
    """Points on a grid, far enough apart that their markers never touch."""
    g = np.arange(n_side, dtype=float)
    x, y = np.meshgrid(g, g)
    return np.column_stack([x.ravel(), y.ravel()])


def marker_colours(n, seed=0):
    """Colours the scatter shows exactly (its brushes keep 5 bits a channel: 8·q + 4)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 32, size=(n, 3)) * 8 + 4).astype(np.uint8)


def pixel_rgb(image, canvas, x, y, dx=0, dy=0):
    p = canvas.data_to_widget(x, y)
    c = image.pixelColor(p.x() + dx, p.y() + dy)
    return (c.red(), c.green(), c.blue())


def visible_points_show_their_colours(canvas, xy, colours) -> int:
    """Check that every point inside the view shows its colour; return how many there are."""
    image = canvas.grab().toImage()
    (x0, x1), (y0, y1) = canvas.view_box.viewRange()
    shown = 0
    for (x, y), colour in zip(xy, colours, strict=True):
        if x0 < x < x1 and y0 < y < y1:
            assert pixel_rgb(image, canvas, x, y) == tuple(int(c) for c in colour)
            shown += 1
    return shown


def show(qtbot, canvas, xy, colours, raster, labels=None, palette=None):
    layer = canvas.points
    layer.scatter_limit = 0 if raster else SCATTER_LIMIT
    layer.set_points(xy)
    canvas.view_box.setRange(xRange=(-0.5, 4.5), yRange=(-0.5, 4.5), padding=0)
    layer.set_colors(colours, labels, palette)
    assert layer.uses_raster == raster
    qtbot.wait(30)  # the axes take their new widths: the same layout in both modes
    if raster:
        qtbot.waitUntil(layer.raster_is_current)
    return canvas.grab().toImage()


def test_raster_and_markers_show_the_same_colours_at_the_same_size(qtbot, canvas):
    xy = grid_points()
    colours = marker_colours(len(xy))
    scatter = show(qtbot, canvas, xy, colours, raster=False)
    raster = show(qtbot, canvas, xy, colours, raster=True)
    assert canvas.points.image.isVisible() and not len(canvas.points.scatter.data)
    radius = point_diameter(len(xy)) / 2
    for (x, y), colour in zip(xy, colours, strict=True):
        expected = tuple(int(c) for c in colour)
        assert pixel_rgb(scatter, canvas, x, y) == expected
        assert pixel_rgb(raster, canvas, x, y) == expected
        # Similar size: both cover a pixel a little inside the marker's radius, neither one
        # a little outside it.
        inside, outside = int(radius * 0.5), int(radius + 3)
        for image in (scatter, raster):
            assert pixel_rgb(image, canvas, x, y, dx=inside) == expected
            assert pixel_rgb(image, canvas, x, y, dy=-inside) == expected
            assert pixel_rgb(image, canvas, x, y, dx=outside) == BACKGROUND


def test_raster_pixels_land_on_the_points_after_pan_and_zoom(qtbot, canvas):
    xy = grid_points()
    colours = marker_colours(len(xy), seed=1)
    show(qtbot, canvas, xy, colours, raster=True)
    layer = canvas.points
    vb = canvas.view_box
    for x_range, y_range in [((0.7, 2.9), (1.2, 3.3)), ((-3.0, 7.0), (-1.0, 4.2))]:
        vb.setRange(xRange=x_range, yRange=y_range, padding=0)
        qtbot.waitUntil(layer.raster_is_current)
        rect = layer.image.mapRectToView(layer.image.boundingRect())
        (x0, x1), (y0, y1) = vb.viewRange()
        # The raster reaches RASTER_PAD of the view beyond each side, in whole pixels.
        pad = RASTER_PAD * (x1 - x0)
        assert rect.left() < x0 and rect.right() > x1 and rect.top() < y0 and rect.bottom() > y1
        np.testing.assert_allclose([rect.left(), rect.right()], [x0 - pad, x1 + pad], rtol=0.01)
        assert visible_points_show_their_colours(canvas, xy, colours) >= 4


def test_a_view_change_is_re_rasterised_once_the_view_rests(qtbot, canvas):
    xy = grid_points()
    show(qtbot, canvas, xy, marker_colours(len(xy)), raster=True)
    layer = canvas.points
    before = layer.rasters_drawn
    for step in range(5):  # a drag: several view changes in a row, past the raster's border
        canvas.view_box.translateBy(x=0.1 * (step + 1))
    assert not layer.raster_is_current()
    qtbot.waitUntil(layer.raster_is_current)
    assert 1 <= layer.rasters_drawn - before < 5


def test_a_pan_within_the_rasters_border_needs_no_new_raster(qtbot, canvas):
    xy = grid_points()
    colours = marker_colours(len(xy), seed=3)
    show(qtbot, canvas, xy, colours, raster=True)
    layer = canvas.points
    before = layer.rasters_drawn
    vb = canvas.view_box
    (x0, x1), _ = vb.viewRange()
    vb.translateBy(x=0.5 * RASTER_PAD * (x1 - x0))
    assert layer.raster_is_current()
    qtbot.wait(2 * VIEW_IDLE_MS)
    assert layer.rasters_drawn == before
    assert visible_points_show_their_colours(canvas, xy, colours) >= 10


def test_hard_labels_toggle_in_both_drawing_modes(qtbot, canvas):
    xy = grid_points()
    palette = marker_colours(3, seed=5)
    labels = (np.arange(len(xy)) % 3).astype(np.uint8)
    blended = marker_colours(len(xy), seed=6)
    for raster in (False, True):
        show(qtbot, canvas, xy, blended, raster, labels, palette)
        layer = canvas.points
        for hard in (True, False, True):
            layer.set_hard_labels(hard)
            expected = palette[labels] if hard else blended
            np.testing.assert_array_equal(layer.colors, expected)
            if raster:
                qtbot.waitUntil(layer.raster_is_current)
            image = canvas.grab().toImage()
            for (x, y), colour in zip(xy, expected, strict=True):
                assert pixel_rgb(image, canvas, x, y) == tuple(int(c) for c in colour)
        layer.set_hard_labels(False)


def test_the_worker_sends_compact_colours_and_labels_from_the_core_kernel(qtbot):
    X = blobs(n_per=200)
    settings = FitSettings(n_components=3, init="random-points", seed=2, max_iter=5)
    controller = EMController()
    frames = []
    controller.frameReady.connect(frames.append)
    try:
        with qtbot.waitSignal(controller.halted, timeout=30_000):
            controller.drive(EMRun(X, settings), component_colors(3))
            controller.run()
    finally:
        controller.shutdown()
    coloured = [f for f in frames if f.colors is not None]
    assert coloured and coloured[-1] is frames[-1]  # the final state always has colours
    for frame in coloured:
        assert frame.colors.shape == (len(X), 3) and frame.colors.dtype == np.uint8
        assert frame.labels.shape == (len(X),) and frame.labels.dtype == np.uint8
        assert not hasattr(frame, "responsibilities")
    last = frames[-1]
    mixture: Mixture = last.snapshot.mixture
    expected, _ = blended_colors(X, mixture, component_colors(3))
    np.testing.assert_array_equal(last.colors, expected)
    np.testing.assert_array_equal(last.labels, mixture.predict(X))


def test_above_the_limit_the_window_draws_a_raster_and_toggles_hard_labels(qtbot, make_window):
    window = make_window(document_of(blobs(n_per=2000), n_components=3, seed=1, max_iter=20))
    layer = window.canvas.points
    assert layer.uses_raster
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    qtbot.waitUntil(layer.raster_is_current)
    palette = component_colors(3)
    blended = layer.colors.copy()
    window.hard_labels_action.trigger()
    qtbot.waitUntil(layer.raster_is_current)
    labels = window.document.mixture.predict(window.document.points)
    np.testing.assert_array_equal(layer.colors, palette[labels])
    image = window.canvas.grab().toImage()
    means = window.document.mixture.means
    far = np.linalg.norm(window.document.points[:, None] - means[None], axis=2).min(axis=1)
    lone = np.flatnonzero(far > 2.5)[:20]  # points away from the mean markers
    assert len(lone) == 20
    for i in lone:
        x, y = window.document.points[i]
        p = window.canvas.data_to_widget(x, y)
        c = image.pixelColor(p)
        # A pixel may average two overlapping points' discs, so only near-equality is asked.
        assert np.abs(np.subtract((c.red(), c.green(), c.blue()), palette[labels[i]])).max() < 60
    window.hard_labels_action.trigger()
    np.testing.assert_array_equal(layer.colors, blended)


def test_a_million_point_window_runs_em_and_closes_cleanly(qtbot, make_window):
    rng = np.random.default_rng(0)
    centres = rng.uniform(-10, 10, size=(8, 2))
    points = centres[rng.integers(0, 8, 1_000_000)] + rng.standard_normal((1_000_000, 2))
    settings = FitSettings(n_components=8, init="random-points", seed=1, max_iter=3)
    window = make_window(Document(points, ["x", "y"], name="big.csv", settings=settings))
    layer = window.canvas.points
    assert layer.uses_raster
    with qtbot.waitSignal(window.controller.halted, timeout=60_000):
        window.run_action.trigger()
    assert window.document.iteration == 3
    assert window.status_labels["n"].text() == "N = 1,000,000"  # readable from the back row
    qtbot.waitUntil(layer.raster_is_current, timeout=10_000)
    assert len(layer.colors) == 1_000_000 and layer.colors.dtype == np.uint8
    # Pan: the raster follows, then the window closes with nothing left running.
    window.canvas.view_box.translateBy(QPointF(1.0, 0.5))
    qtbot.waitUntil(layer.raster_is_current, timeout=10_000)
    window.close()
    assert not window.controller.thread.isRunning()


def coloured_area(image, canvas, x, y, colour, reach=40):
    """Pixels of exactly ``colour`` within ``reach`` screen pixels of the point (x, y)."""
    p = canvas.data_to_widget(x, y)
    return sum(
        pixel_rgb(image, canvas, x, y, dx, dy) == colour
        for dx in range(-reach, reach + 1, 1)
        for dy in range(-reach, reach + 1, 1)
        if 0 <= p.x() + dx < image.width() and 0 <= p.y() + dy < image.height()
    )


def test_the_raster_draws_weighted_points_with_areas_like_the_markers(qtbot, canvas):
    xy = grid_points()
    colours = marker_colours(len(xy), seed=7)
    weights = np.ones(len(xy))
    weights[6], weights[18] = 4.0, 0.25
    chosen = [6, 12, 18]  # heavy, ordinary, light
    layer = canvas.points
    layer.scatter_limit = SCATTER_LIMIT
    canvas.show_points(xy, colours, weights)
    marker_sizes = layer.scatter.data["size"][chosen]  # diameters in screen pixels
    layer.scatter_limit = 0
    canvas.show_points(xy, colours, weights)
    canvas.view_box.setRange(xRange=(-0.5, 4.5), yRange=(-0.5, 4.5), padding=0)
    assert layer.uses_raster
    qtbot.waitUntil(layer.raster_is_current)
    image = canvas.grab().toImage()
    areas = [
        coloured_area(image, canvas, *xy[i], tuple(int(c) for c in colours[i])) for i in chosen
    ]
    heavy, ordinary, light = areas
    assert heavy > 2.5 * ordinary > 2.5 * 2.5 * light > 0
    # The discs cover the markers' areas, to the whole pixels they are made of.
    np.testing.assert_allclose(areas, np.pi / 4 * marker_sizes**2, rtol=0.15)


def test_a_large_npy_file_opens_memory_mapped_and_runs_live_from_the_raster(
    qtbot, make_window, tmp_path
):
    # The path of benchmarks/bench_big_window.py (10,000,000 points), with fewer points.
    rng = np.random.default_rng(3)
    centres = rng.uniform(-10, 10, size=(3, 2))
    path = tmp_path / "big.npy"
    np.save(path, centres[rng.integers(0, 3, 3 * SCATTER_LIMIT)] + rng.normal(size=(15_000, 2)))
    window = make_window(document_of(blobs(n_per=20), n_components=3, seed=1, max_iter=3))
    before = window.frames_drawn
    assert window.file_menu.commands.open_path(path)
    wait_shown(qtbot, window, before)
    points = window.document.points
    base = points
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    assert base is not None  # the points are the file's pages, not a copy
    layer = window.canvas.points
    assert layer.uses_raster and np.shares_memory(layer.positions, points)  # no copy
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    assert window.document.iteration == 3
    qtbot.waitUntil(layer.raster_is_current, timeout=10_000)
    assert layer.image.isVisible() and layer.rasters_drawn >= 1
    np.testing.assert_array_equal(layer.colors, window.fit_control.point_colors[0])


def test_unchanged_axes_are_not_drawn_again_when_the_plot_repaints(qtbot, canvas, monkeypatch):
    import pyqtgraph as pg

    painted = []
    original = pg.AxisItem.paint
    monkeypatch.setattr(
        pg.AxisItem, "paint", lambda self, *args: (painted.append(self), original(self, *args))
    )
    show(qtbot, canvas, grid_points(), marker_colours(25), raster=False)
    canvas.grab()
    axes = {canvas.getPlotItem().getAxis(name) for name in ("left", "bottom")}
    assert axes <= set(painted)  # drawn once
    painted.clear()
    canvas.points.set_colors(marker_colours(25, seed=9))  # the points change, the axes do not
    canvas.grab()
    assert not axes & set(painted)
    canvas.view_box.translateBy(x=0.3)  # a new horizontal range: that axis is drawn again
    canvas.grab()
    assert set(painted) & axes == {canvas.getPlotItem().getAxis("bottom")}


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread niceness is Linux's")
def test_the_raster_thread_runs_nicer_than_the_gui_thread():
    def niceness():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert _raster_executor().submit(niceness).result() > niceness()
