"""Undoable point edits: every change to the points goes through one of these commands."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand

from gmm_studio.gui.document import Document

_SPRAY_ID = 1001


class AddPointsCommand(QUndoCommand):
    """Append points to the document.

    Parameters
    ----------
    document : Document
    rows : ndarray of shape (M, D)
        Full rows to append.
    text : str
        Label shown in the Edit menu ("Add point", "Spray points").
    stroke : int or None
        Spray strokes pass an id; consecutive commands of one stroke merge into one undo step.
    """

    def __init__(self, document: Document, rows: np.ndarray, text: str = "Add point", stroke=None):
        super().__init__(text)
        self._document = document
        self._rows = np.atleast_2d(np.asarray(rows, dtype=np.float64)).copy()
        self._stroke = stroke

    def id(self) -> int:
        return _SPRAY_ID if self._stroke is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, AddPointsCommand) or other._stroke != self._stroke:
            return False
        # `other` has already been redone; our rows and its rows are now contiguous at the end.
        self._rows = np.vstack([self._rows, other._rows])
        return True

    def redo(self) -> None:
        self._document.append_rows(self._rows)

    def undo(self) -> None:
        n = self._document.n_points
        self._document.remove_rows(np.arange(n - len(self._rows), n))


class RemovePointsCommand(QUndoCommand):
    """Remove points by index (also used by Clear).

    Parameters
    ----------
    document : Document
    indices : array of int
        Rows to remove.
    text : str
        Label shown in the Edit menu.
    """

    def __init__(self, document: Document, indices, text: str = "Remove point"):
        super().__init__(text)
        self._document = document
        self._indices = np.unique(np.asarray(indices, dtype=np.intp))
        self._rows: np.ndarray | None = None
        self._weights: np.ndarray | None = None

    def redo(self) -> None:
        self._weights = self._document.row_weights(self._indices)
        self._rows = self._document.remove_rows(self._indices)

    def undo(self) -> None:
        self._document.insert_rows(self._indices, self._rows, self._weights)
