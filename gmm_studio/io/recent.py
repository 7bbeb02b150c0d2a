"""The "recent files" list: pure Python; the GUI stores the list in QSettings."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

MAX_RECENT = 10


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def add_recent(
    recent: Iterable[str], path: str | os.PathLike[str], limit: int = MAX_RECENT
) -> list[str]:
    """Return ``recent`` with ``path`` (made absolute) moved or added to the front, at most
    ``limit`` entries, without duplicates."""
    new = os.path.abspath(os.fspath(path))
    out = [new]
    for item in recent:
        if (
            isinstance(item, str)
            and item
            and _key(item) != _key(new)
            and _key(item) not in map(_key, out)
        ):
            out.append(item)
    return out[:limit]


def existing_recent(recent: Iterable[str]) -> list[str]:
    """Return the entries of ``recent`` that still name existing files."""
    return [item for item in recent if isinstance(item, str) and item and Path(item).is_file()]


def remove_recent(recent: Iterable[str], path: str | os.PathLike[str]) -> list[str]:
    """Return ``recent`` without ``path``."""
    key = _key(os.fspath(path))
    return [item for item in recent if _key(item) != key]
