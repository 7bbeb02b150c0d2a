"""The log-likelihood plot's axes move in steps, not with every iteration."""

import numpy as np

from gmm_studio.gui.ll_plot import (
    EMPTY_Y_RANGE,
    Y_FILL,
    Y_HOLD_PX,
    LogLikelihoodPlot,
    x_end,
    y_range,
)  # fmt: skip


def test_the_x_axis_grows_a_quarter_at_a_time_and_always_shows_the_last_iteration(qtbot):
    plot = LogLikelihoodPlot()
    qtbot.addWidget(plot)
    y = -1000 - 500 * np.exp(-np.arange(3000) / 300)
    ends = []
    for n in range(1, 3001, 7):
        plot.set_history(y[:n])
        (_, x1), _ = plot.getPlotItem().vb.viewRange()
        last = n - 1
        assert last <= x1  # the newest iteration is in view
        if last >= 5:
            assert last >= 0.7 * x1  # and the curve fills most of the width
        ends.append(x1)
    # A new x range repaints the axis and its grid: it changes a few dozen times, not 429.
    assert len(set(ends)) <= 25


def test_x_end_is_a_round_number_at_or_after_the_last_iteration():
    assert [x_end(v) for v in (0, 3, 5, 5.5, 7, 12, 99, 100, 101, 1001)] == [
        5.0, 5.0, 5.0, 6.0, 8.0, 12.5, 100.0, 100.0, 125.0, 1250.0,
    ]  # fmt: skip


def test_the_y_range_holds_a_climbing_curve_and_moves_only_now_and_then(qtbot):
    plot = LogLikelihoodPlot()
    qtbot.addWidget(plot)
    y = -1000 - 500 * np.exp(-np.arange(400) / 40)  # EM's climb: fast, then flattening
    ranges = []
    for n in range(1, 401):
        plot.set_history(y[:n])
        _, (y0, y1) = plot.getPlotItem().vb.viewRange()
        low, high = y[:n].min(), y[:n].max()
        assert y0 < low <= high < y1  # the whole curve, with room to spare
        if n > 1:
            assert high - low >= Y_FILL * (y1 - y0) * 0.99  # and filling most of the height
        ranges.append((y0, y1))
    # Every new range repaints the y axis and the grid: a few dozen times, not 400.
    assert len(set(ranges)) <= 40
    plot.set_history([])
    assert tuple(plot.getPlotItem().vb.viewRange()[1]) == EMPTY_Y_RANGE


def test_y_range_keeps_the_range_shown_while_it_holds_and_fits_the_curve():
    assert y_range(-10.0, 0.0, (-11.0, 1.0)) == (-11.0, 1.0)  # holds, filled 83 %
    assert y_range(-10.0, 0.0, (-30.0, 1.0)) == (-10.8, 0.8)  # filled a third: refit
    assert y_range(-10.0, 2.0, (-11.0, 1.0)) == (-10.96, 2.96)  # the curve left it
    assert y_range(-5.0, -5.0, None) == (-6.0, -4.0)  # flat: at least 1 either side


def test_a_curve_creeping_up_keeps_the_ring_where_the_fit_stands_inside_the_plot(qtbot):
    plot = LogLikelihoodPlot()
    qtbot.addWidget(plot)
    plot.resize(650, 130)  # as short as at 1024x768
    plot.show()
    qtbot.waitExposed(plot)
    box = plot.getPlotItem().vb
    # EM's climb, then a slow creep that stays inside any range with room to spare.
    y = -1000 - 500 * np.exp(-np.arange(300) / 5) + 0.05 * np.arange(300)
    ranges = []
    for n in range(1, 301):
        plot.set_history(y[:n])
        _, (y0, y1) = box.viewRange()
        pixels_per_unit = box.height() / (y1 - y0)
        newest = y[n - 1]
        assert (y1 - newest) * pixels_per_unit >= Y_HOLD_PX, f"iteration {n - 1}"
        assert (newest - y0) * pixels_per_unit >= Y_HOLD_PX, f"iteration {n - 1}"
        ranges.append((y0, y1))
    assert len(set(ranges)) <= 60  # refitted now and then, not on every frame


def test_y_range_moves_when_the_curve_comes_within_the_room_it_must_keep():
    assert y_range(-10.0, 0.0, (-11.0, 1.0), room=0.5) == (-11.0, 1.0)  # 1 to spare: holds
    assert y_range(-10.0, 0.7, (-11.0, 1.0), room=0.5) == (-10.856, 1.556)  # 0.3: refit
