"""What reaches the screen: every ellipse ring is painted whole, after a run with many redraws."""

from PySide6.QtGui import QColor

from gmm_studio.core import ellipse_points
from gmm_studio.gui.control_panel import SPEED_MAX
from gmm_studio.gui.palette import component_colors
from gmm_studio.model import FitState

from .conftest import blobs, document_of, pixel_of

NEIGHBOURHOOD = 3  # pixels around the ideal position that may carry the line


def _ring_is_painted(image, window, polyline, color) -> float:
    """Fraction of sampled ring points whose neighbourhood holds the component's colour."""
    hits = total = 0
    width, height = image.width(), image.height()
    for x, y in polyline[::4]:
        p = pixel_of(window, x, y)
        if not (NEIGHBOURHOOD <= p.x() < width - NEIGHBOURHOOD):
            continue
        if not (NEIGHBOURHOOD <= p.y() < height - NEIGHBOURHOOD):
            continue
        total += 1
        for dx in range(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1):
            for dy in range(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1):
                c = QColor(image.pixel(p.x() + dx, p.y() + dy))
                if max(abs(c.red() - color[0]), abs(c.green() - color[1]),
                       abs(c.blue() - color[2])) < 60:  # fmt: skip
                    hits += 1
                    break
            else:
                continue
            break
    assert total > 10
    return hits / total


def test_rings_are_painted_whole_after_a_slow_then_fast_run(qtbot, make_window):
    window = make_window(
        document_of(blobs(), n_components=3, init="random-points", seed=3), speed=None
    )
    window.panel.set_speed_position(0)  # one iteration per second: the rings move a lot
    for _ in range(3):
        with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
            window.step_action.trigger()
        qtbot.waitUntil(window.controller.is_idle_waiting)
    window.panel.set_speed_position(SPEED_MAX)
    with qtbot.waitSignal(window.controller.halted, timeout=30_000):
        window.run_action.trigger()
    qtbot.wait(50)
    image = window.canvas.viewport().grab().toImage()
    mixture = window.document.mixture
    covariances = mixture.full_covariances()
    colors = component_colors(mixture.n_components)
    for k in range(mixture.n_components):
        for radius in (1.0, 2.0, 3.0):
            ring = ellipse_points(mixture.means[k], covariances[k], radius, n=256)
            painted = _ring_is_painted(image, window, ring, [int(v) for v in colors[k]])
            assert painted > 0.9, f"component {k}, {radius}σ ring: {painted:.0%} painted"


def test_rings_are_unsmoothed_while_em_runs_fast_and_smoothed_whole_otherwise(qtbot, make_window):
    document = document_of(
        blobs(), n_components=3, init="random-points", seed=3, tol=0.0, max_iter=100_000
    )
    window = make_window(document)  # the fastest speed

    def smoothed() -> list[bool]:
        return [ring.opts["antialias"] for ring in window.canvas.components.curves]

    with qtbot.waitSignal(window.controller.frameReady, timeout=10_000):
        window.run_action.trigger()
    assert window.fit.state is FitState.RUNNING
    assert smoothed() == [False] * 3
    window.panel.set_speed_position(0)  # one iteration a second: each step glides
    assert window.fit.state is FitState.RUNNING
    assert smoothed() == [True] * 3
    window.panel.set_speed_position(SPEED_MAX)
    assert smoothed() == [False] * 3
    # Far enough that the blobs' rings have parted (early on they cross and cover each other).
    qtbot.waitUntil(lambda: window.fit.iteration >= 40, timeout=30_000)

    window.run_action.trigger()  # pause
    assert window.fit.state is FitState.PAUSED
    assert smoothed() == [True] * 3
    qtbot.waitUntil(window.controller.is_idle_waiting)
    # A step taken at the slow speed may still be gliding to the fit's parameters.
    qtbot.waitUntil(lambda: not window.glide.animating)
    image = window.canvas.viewport().grab().toImage()
    mixture = window.fit.mixture
    covariances = mixture.full_covariances()
    colors = component_colors(mixture.n_components)
    for k in range(mixture.n_components):
        ring = ellipse_points(mixture.means[k], covariances[k], 2.0, n=256)
        painted = _ring_is_painted(image, window, ring, [int(v) for v in colors[k]])
        assert painted > 0.9, f"component {k}: {painted:.0%} of its 2σ ring painted"
