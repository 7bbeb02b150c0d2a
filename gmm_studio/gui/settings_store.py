"""Every per-user preference, with its default, in one QSettings store.

The store is the only place that opens QSettings (INI format in the user scope, so tests can
redirect it). :data:`PREFERENCES` lists each key the application remembers between runs and
what it is when missing or malformed; widgets read and write preferences through a
:class:`SettingsStore` and redraw on its :attr:`SettingsStore.changed` signal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from gmm_studio.core import FitError, FitSettings

ORGANIZATION = "GMM Studio"
APPLICATION = "gmm-studio"


@dataclasses.dataclass(frozen=True, eq=False)
class Preference:
    """One remembered value.

    Attributes
    ----------
    key : str
        The QSettings key.
    default : object
        The value when nothing (or nothing valid) is stored.
    parse : callable
        Stored value -> value; raises ``ValueError`` or ``TypeError`` for a bad one.
    dump : callable
        Value -> what QSettings stores.
    """

    key: str
    default: Any
    parse: Callable[[Any], Any]
    dump: Callable[[Any], Any] = lambda value: value


def _parse_bool(value) -> bool:
    text = str(value).lower()
    if text not in ("true", "false"):
        raise ValueError(f"not a boolean: {value!r}")
    return text == "true"


def _parse_radii(value) -> tuple[float, ...]:
    if isinstance(value, list):
        value = ",".join(str(r) for r in value)
    parsed = tuple(float(r) for r in str(value).split(",") if r.strip())
    return tuple(r for r in parsed if r in (1.0, 2.0, 3.0))


def _parse_bytes(value) -> QByteArray:
    if not isinstance(value, QByteArray):
        raise TypeError("not saved window bytes")
    return value


def _parse_recent(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise TypeError("not a list of files")
    return [str(v) for v in value if v]


def _parse_fit_settings(value) -> FitSettings:
    try:
        return FitSettings.from_dict(json.loads(str(value)))
    except FitError as error:
        raise ValueError(str(error)) from None


#: Position of the speed slider (see :func:`gmm_studio.gui.control_panel.speed_from_position`).
SPEED = Preference("view/speed", 24, int, int)
#: Mahalanobis radii of the drawn ellipses.
RADII = Preference(
    "view/radii", (1.0, 2.0, 3.0), _parse_radii, lambda radii: ",".join(f"{r:g}" for r in radii)
)
#: Colour points by their most likely component instead of blending.
HARD_LABELS = Preference(
    "view/hard_labels", False, _parse_bool, lambda on: "true" if on else "false"
)
#: Saved window geometry (QMainWindow.saveGeometry).
GEOMETRY = Preference("window/geometry", None, _parse_bytes)
#: Saved toolbar layout (QMainWindow.saveState).
WINDOW_STATE = Preference("window/state", None, _parse_bytes)
#: Folder of the last file opened or saved ("" = the home folder).
LAST_FOLDER = Preference("files/last_folder", "", str, str)
#: Recently opened files, newest first.
RECENT_FILES = Preference("files/recent", (), _parse_recent, list)
#: The fit settings a new document starts with (the last ones used).
EM_DEFAULTS = Preference(
    "em/defaults",
    FitSettings(),
    _parse_fit_settings,
    lambda settings: json.dumps(settings.to_dict()),
)
#: The start-up hint on the canvas has been shown once (it is not shown again by itself).
HINT_SEEN = Preference(
    "teaching/hint_seen", False, _parse_bool, lambda on: "true" if on else "false"
)

#: The Dask scheduler of the last fit on a cluster ("" = a local cluster on this machine).
CLUSTER_ADDRESS = Preference("cluster/address", "", str, str)

#: Every preference GMM Studio keeps.
PREFERENCES = (SPEED, RADII, HARD_LABELS, GEOMETRY, WINDOW_STATE, LAST_FOLDER, RECENT_FILES)
PREFERENCES += (EM_DEFAULTS, HINT_SEEN, CLUSTER_ADDRESS)


def open_settings() -> QSettings:
    """The application's QSettings file (user scope, INI format)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


class SettingsStore(QObject):
    """Reads and writes :data:`PREFERENCES`.

    Signals
    -------
    changed(Preference)
        A preference whose value changed (one of :data:`PREFERENCES`).
    """

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = open_settings()

    def get(self, preference: Preference):
        """The stored value, or the default when it is missing or malformed."""
        stored = self._settings.value(preference.key)
        if stored is None:
            return preference.default
        try:
            return preference.parse(stored)
        except (TypeError, ValueError):
            return preference.default

    def set(self, preference: Preference, value) -> None:
        """Remember ``value`` (emits :attr:`changed` if it differs from the stored one)."""
        if self._settings.contains(preference.key) and self.get(preference) == value:
            return
        self._settings.setValue(preference.key, preference.dump(value))
        self.changed.emit(preference)

    def sync(self) -> None:
        """Write everything to disk now."""
        self._settings.sync()

    def file_name(self) -> str:
        """Where the preferences are kept."""
        return self._settings.fileName()

    # -- the file preferences ---------------------------------------------------------------
    def last_folder(self) -> str:
        """The folder of the last file opened or saved (the home folder at first)."""
        folder = self.get(LAST_FOLDER)
        return folder if folder and os.path.isdir(folder) else str(pathlib.Path.home())

    def remember_folder(self, path: os.PathLike[str] | str) -> None:
        """Remember the folder of ``path`` for the next file dialog."""
        self.set(LAST_FOLDER, str(pathlib.Path(path).resolve().parent))
