"""GMM Studio's application icon and desktop identity for Qt."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from gmm_studio import resources


def application_icon() -> QIcon:
    """Return the application icon with every shipped PNG size (16 to 512 px) added."""
    icon = QIcon()
    for path in resources.icon_paths().values():
        icon.addFile(str(path))
    return icon


def apply_desktop_identity(app: QGuiApplication) -> None:
    """Give ``app`` the icon and desktop file name the installed desktop entry expects.

    The desktop file name lets Wayland compositors and docks match running windows to
    ``io.github.gmm_studio.GMMStudio.desktop`` (its icon, its pinned launcher).
    """
    app.setWindowIcon(application_icon())
    QGuiApplication.setDesktopFileName(resources.APP_ID)
