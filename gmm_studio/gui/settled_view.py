"""A plot view that applies a change of its range at once, not in the middle of a paint."""

from __future__ import annotations

import pyqtgraph as pg


class SettledViewBox(pg.ViewBox):
    """A ViewBox whose items take a new range when it is set, before the next paint.

    pyqtgraph defers the transform of a new range (and a pending auto range) to the start of
    the next paint; the items it moves then mark the scene changed while it is painted, which
    asks for a second paint right after the first (measured: every pan, every new
    log-likelihood curve painted twice, and the event loop's timers held back meanwhile by
    the chain of paints; benchmarks/bench_gui.py). Here the transform follows the range at
    once; :meth:`settle` does the same for a pending auto range.
    """

    def updateViewRange(self, forceX: bool = False, forceY: bool = False) -> None:
        """Set the range, then the items' transform (pyqtgraph would wait for the paint)."""
        super().updateViewRange(forceX, forceY)
        self.updateMatrix()

    def settle(self) -> None:
        """Apply a pending auto range and transform now (after a change of the items).

        A new range may change the items again (a curve re-clips its data to the view), which
        asks for the auto range once more; the second round finds the range unchanged.
        """
        for _ in range(3):
            if not (self._autoRangeNeedsUpdate or self._matrixNeedsUpdate):
                return
            self.prepareForPaint()
