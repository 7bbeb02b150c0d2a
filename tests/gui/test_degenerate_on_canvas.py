"""A degenerate component is flagged on the canvas where it is drawn, as the table marks it,
and the flag goes once the component recovers."""

import numpy as np
from PySide6.QtWidgets import QApplication

from gmm_studio.core import Mixture
from gmm_studio.core.component_health import Health
from gmm_studio.gui.component_layer import DEGENERATE_COLOR, DEGENERATE_RING_PX
from gmm_studio.gui.fit_commands import SetFitCommand, SetParametersCommand
from gmm_studio.model import FitState

from .conftest import blobs, document_of, pixel_of

SPOT = (12.0, 2.0)  # ten identical points


def warning_pixels(window, x, y) -> int:
    """Pixels of the warning colour on the ring's circle around data point (x, y)."""
    image = window.canvas.viewport().grab().toImage()
    centre = pixel_of(window, x, y)
    ratio = window.canvas.viewport().devicePixelRatioF()
    count = 0
    for angle in np.linspace(0, 2 * np.pi, 180, endpoint=False):
        for r in (DEGENERATE_RING_PX / 2 - 1, DEGENERATE_RING_PX / 2):
            px = round((centre.x() + r * np.cos(angle)) * ratio)
            py = round((centre.y() + r * np.sin(angle)) * ratio)
            if 0 <= px < image.width() and 0 <= py < image.height():
                c = image.pixelColor(px, py)
                rgb = np.array([c.red(), c.green(), c.blue()])
                count += np.abs(rgb - DEGENERATE_COLOR).max() < 60
    return count


def test_a_component_on_identical_points_is_flagged_until_it_recovers(qtbot, make_window):
    X = np.vstack([blobs(), np.tile(SPOT, (10, 1))])
    window = make_window(document_of(X, n_components=4, seed=1))
    window.canvas.view_box.setRange(xRange=(-4, 16), yRange=(-4, 9), padding=0)
    doc, table, layer = window.document, window.component_table, window.canvas.components
    sick = Mixture(
        weights=np.array([0.3, 0.3, 0.32, 0.08]),
        means=np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0], SPOT]),
        covariances=np.array([np.eye(2)] * 3 + [1e-6 * np.eye(2)]),
        covariance_type="full",
    )
    doc.undo_stack.push(SetFitCommand(doc, doc.settings, sick, "Load a fit"))
    qtbot.waitUntil(lambda: window.fit.state is FitState.READY)
    qtbot.waitUntil(lambda: table.degenerate == (3,), timeout=5000)
    healths = [c.health for c in table.summary.components]
    assert healths == [Health.FINE] * 3 + [Health.DEGENERATE]
    assert table.table.item(3, 7).text() == "degenerate"
    assert layer.degenerate_drawn == (3,)
    x, y = layer.degenerate_rings.getData()
    np.testing.assert_array_equal(np.column_stack([x, y]), [SPOT])
    assert [t.toPlainText() for t in layer.degenerate_tags] == ["degenerate"]
    assert layer.degenerate_tags[0].isVisible()
    QApplication.processEvents()
    assert warning_pixels(window, *SPOT) > 60  # a dashed ring: about half of the circle
    assert warning_pixels(window, 6.0, 0.0) == 0  # a healthy component: no ring

    means = sick.means.copy()
    means[3] = [3.0, 5.5]
    healthy = Mixture(sick.weights, means, np.array([np.eye(2)] * 4), "full")
    doc.undo_stack.push(SetParametersCommand(window.fit, sick, healthy, "Move component 4"))
    qtbot.waitUntil(lambda: table.degenerate == (), timeout=5000)
    assert layer.degenerate_drawn == () and layer.degenerate_tags == []
    assert len(layer.degenerate_rings.getData()[0]) == 0
    QApplication.processEvents()
    assert warning_pixels(window, *SPOT) == 0
    window.undo_action.trigger()  # back on the identical points: flagged again
    qtbot.waitUntil(lambda: layer.degenerate_drawn == (3,), timeout=5000)
