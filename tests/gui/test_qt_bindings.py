"""The installed Qt bindings keep Python's reference counts straight.

PySide6 6.12.0 drops a reference to ``None`` on every call of a ``void`` method (and to
``True`` in pyqtgraph's ``setData``); on Python 3.11 the interpreter aborts after a few
thousand calls, which a short EM run reaches. pyproject.toml excludes that release; this test
catches a binding that brings the bug back.
"""

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPen

CALLS = 500


def test_void_qt_calls_keep_none_alive():
    pen = QPen()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        pen.setCosmetic(True)
    assert sys.getrefcount(None) > before - CALLS // 2


def test_curve_updates_keep_true_alive(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    curve = widget.plot()
    x = np.arange(10.0)
    before = sys.getrefcount(True)
    for _ in range(CALLS):
        curve.setData(x, x)
    assert sys.getrefcount(True) > before - CALLS // 2
