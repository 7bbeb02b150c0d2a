"""Per-user view preferences kept with QSettings (INI format, so tests can redirect them)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "GMM Studio"
APPLICATION = "gmm-studio"


def open_settings() -> QSettings:
    """The application's QSettings (user scope, INI format)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


@dataclasses.dataclass
class ViewPreferences:
    """What the window remembers between sessions.

    Attributes
    ----------
    speed_position : int
        Position of the speed slider.
    radii : tuple of float
        Mahalanobis radii of the ellipses.
    hard_labels : bool
        Colour points by their most likely component instead of blending.
    geometry : QByteArray or None
        Saved window geometry.
    """

    speed_position: int = 24
    radii: tuple[float, ...] = (1.0, 2.0, 3.0)
    hard_labels: bool = False
    geometry: QByteArray | None = None

    @classmethod
    def load(cls, settings: QSettings) -> ViewPreferences:
        """Read preferences, falling back to defaults for anything missing or malformed."""
        prefs = cls()
        try:
            prefs.speed_position = int(settings.value("view/speed", prefs.speed_position))
            radii = settings.value("view/radii", "1,2,3")
            if isinstance(radii, list):
                radii = ",".join(str(r) for r in radii)
            parsed = tuple(float(r) for r in str(radii).split(",") if r.strip())
            prefs.radii = tuple(r for r in parsed if r in (1.0, 2.0, 3.0))
            prefs.hard_labels = str(settings.value("view/hard_labels", "false")).lower() == "true"
        except (TypeError, ValueError):
            prefs = cls()
        geometry = settings.value("window/geometry")
        prefs.geometry = geometry if isinstance(geometry, QByteArray) else None
        return prefs

    def save(self, settings: QSettings) -> None:
        """Write preferences."""
        settings.setValue("view/speed", int(self.speed_position))
        settings.setValue("view/radii", ",".join(f"{r:g}" for r in self.radii))
        settings.setValue("view/hard_labels", "true" if self.hard_labels else "false")
        if self.geometry is not None:
            settings.setValue("window/geometry", self.geometry)
        settings.sync()
