"""The log-likelihood plot's x axis grows in steps, not with every iteration."""

import numpy as np

from gmm_studio.gui.ll_plot import LogLikelihoodPlot, x_end


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
