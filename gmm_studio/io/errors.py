"""The one error type every reader and writer raises for a user-facing file problem."""

from __future__ import annotations

import os
from pathlib import Path

PASTED_TEXT = "pasted text"


class DataFileError(Exception):
    """A problem with a file the user gave us, worded for the user.

    Parameters
    ----------
    path : str, os.PathLike or None
        The file concerned; ``None`` for text pasted from the clipboard.
    problem : str
        What is wrong, in plain words, without the file name (for example
        ``"the file is empty"``).

    Attributes
    ----------
    path : pathlib.Path or None
    problem : str

    Notes
    -----
    ``str(error)`` is ``"<file name>: <problem>"``, one line, ready for a status bar,
    a message box or the command line.
    """

    def __init__(self, path: str | os.PathLike[str] | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = " ".join(str(problem).split())  # always one line
        super().__init__(f"{self.display_name}: {self.problem}")

    @property
    def display_name(self) -> str:
        """The file's name as shown to the user (``"pasted text"`` for the clipboard)."""
        if self.path is None:
            return PASTED_TEXT
        return self.path.name or str(self.path)

    def __reduce__(self):
        return (type(self), (self.path, self.problem))
