"""Work around a reference-count bug of PySide6 6.12 on Python 3.11.

Measured here with PySide6 6.12.0 on CPython 3.11.7: many bindings drop one reference to
``None`` (e.g. every call of a ``void`` method such as ``QPen.setCosmetic``) or to ``True``
(e.g. pyqtgraph's ``PlotCurveItem.setData``) per call. After a few thousand calls the count
reaches zero and the interpreter aborts with "none_dealloc: deallocating None" or
"bool_dealloc". Python 3.12 made these objects immortal (PEP 683), which hides the bug there.
On older Pythons we give the three singletons a reference count so large that they can never
reach zero, which is what 3.12 does.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def protect_singletons() -> bool:
    """Make ``None``, ``True`` and ``False`` effectively immortal on CPython < 3.12.

    Returns True if anything was changed.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    changed = False
    for obj in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        if refcount.value < _HEADROOM:
            refcount.value += _HEADROOM
            changed = True
    return changed
