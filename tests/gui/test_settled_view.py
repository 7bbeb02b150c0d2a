"""A pan or a new log-likelihood curve is painted once, not twice."""

import numpy as np
from PySide6.QtCore import QEvent, QObject

from gmm_studio.gui.ll_plot import LogLikelihoodPlot


class PaintCounter(QObject):
    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        widget.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def paints_after(qtbot, view, change) -> int:
    counter = PaintCounter(view)
    qtbot.wait(50)  # whatever was pending is painted
    counter.count = 0
    change()
    qtbot.waitUntil(lambda: counter.count > 0)
    qtbot.wait(50)  # a second paint would follow the first at once
    return counter.count


def test_a_pan_of_the_canvas_is_painted_once(qtbot, window):
    box = window.canvas.view_box
    (x0, x1), _ = box.viewRange()
    step = 0.01 * (x1 - x0)
    for dx in (step, -step, step):
        assert paints_after(qtbot, window.canvas, lambda dx=dx: box.translateBy(x=dx)) == 1


def test_a_new_log_likelihood_curve_is_painted_once(qtbot):
    plot = LogLikelihoodPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 160)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_history(-1000 * np.exp(-np.arange(5, dtype=float)))  # sets the axes' widths
    for n in (9, 30, 31):
        y = -1000 * np.exp(-np.arange(n, dtype=float))

        def change(y=y):
            plot.set_segments([(np.arange(len(y), dtype=float), y)])
            plot.settle()

        assert paints_after(qtbot, plot, change) == 1
        assert plot.getPlotItem().vb.viewRange()[1][0] <= y.min()  # the range followed
