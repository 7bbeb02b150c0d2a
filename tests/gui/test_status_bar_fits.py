"""The status bar never cuts a label off: on a narrow window the least needed ones go."""

import pytest

from gmm_studio.model import FitState


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1280, 720), (1600, 900)])
def test_every_shown_label_is_whole(qtbot, make_window, width, height):
    window = make_window()
    window.resize(width, height)
    qtbot.keyClick(window.canvas, " ")
    qtbot.waitUntil(lambda: window.fit.state is FitState.CONVERGED, timeout=30_000)
    qtbot.wait(50)
    shown = {k: lab for k, lab in window.status_labels.items() if lab.isVisible()}
    for key, label in shown.items():
        assert label.width() >= label.sizeHint().width(), key
    bar = window.statusBar()
    right = max(lab.geometry().right() for lab in shown.values())
    assert right <= bar.width()
    assert {"iteration", "ll", "state"} <= set(shown)  # what a lecturer needs stays
    if width >= 1600:  # room for every label that has something to say
        assert set(shown) == {k for k, lab in window.status_labels.items() if lab.text()}


def test_no_half_step_is_announced_once_em_has_converged(qtbot, make_window):
    window = make_window()
    assert window.status_labels["next"].text().endswith("-step next")
    qtbot.keyClick(window.canvas, " ")
    qtbot.waitUntil(lambda: window.fit.state is FitState.CONVERGED, timeout=30_000)
    assert window.status_labels["next"].text() == ""
