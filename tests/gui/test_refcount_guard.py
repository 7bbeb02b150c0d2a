"""The guard against PySide6 6.12's lost references to None/True/False on Python 3.11."""

import sys

import pytest
from PySide6.QtGui import QPen

import gmm_studio.gui  # noqa: F401 - importing the GUI package installs the guard


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and bools are immortal on 3.12+")
def test_singletons_survive_many_void_qt_calls():
    assert sys.getrefcount(None) > 2**39 and sys.getrefcount(True) > 2**39
    pen = QPen()
    for _ in range(20_000):  # each call may drop a reference to None with PySide6 6.12
        pen.setCosmetic(True)
    assert sys.getrefcount(None) > 2**39
