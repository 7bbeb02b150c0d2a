"""Where GMM Studio's shipped files are at run time: bundled samples and application icons.

The same code path finds them in a source checkout, an installed wheel and the PyInstaller
bundle: every case goes through :mod:`importlib.resources` on the ``gmm_studio`` package,
which PyInstaller's frozen importer also serves (the files live under ``sys._MEIPASS``). The
functions return real filesystem paths, because Qt and the readers open files by name.

No Qt here: this module is imported by the command line, the data layer and the GUI alike.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
import pathlib
import sys
from dataclasses import dataclass

from gmm_studio.io.session import SESSION_SUFFIX

__all__ = [
    "APP_ID",
    "ICON_NAME",
    "ICON_SIZES",
    "MIME_TYPE",
    "SAMPLES",
    "SESSION_SUFFIX",
    "STARTUP_SAMPLE",
    "Sample",
    "icon_path",
    "icon_paths",
    "install_kind",
    "package_root",
    "sample_names",
    "sample_path",
]

#: Reverse-DNS application id: desktop entry, AppStream component, Qt desktop file name.
APP_ID = "io.github.gmm_studio.GMMStudio"
#: Icon name in the freedesktop icon theme (``Icon=`` in the desktop entry).
ICON_NAME = "gmm-studio"
#: MIME type registered for saved sessions.
MIME_TYPE = "application/x-gmm-studio-session"
#: Pixel sizes of the PNG renders shipped in ``gmm_studio/resources/icons``.
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)

_PACKAGE = "gmm_studio"
_keep_extracted = contextlib.ExitStack()
atexit.register(_keep_extracted.close)


def install_kind() -> str:
    """Say how GMM Studio is running.

    Returns
    -------
    str
        ``"frozen"`` inside a PyInstaller bundle, ``"installed"`` when the package sits in a
        ``site-packages`` folder (a wheel), ``"source"`` otherwise (a checkout).
    """
    if getattr(sys, "frozen", False):
        return "frozen"
    parts = pathlib.Path(__file__).resolve().parts
    return "installed" if "site-packages" in parts or "dist-packages" in parts else "source"


def package_root() -> pathlib.Path:
    """Return the folder holding the ``gmm_studio`` package's files, as a real path.

    Raises
    ------
    FileNotFoundError
        If the package's files cannot be reached on the filesystem.
    """
    root = importlib.resources.files(_PACKAGE)
    if isinstance(root, pathlib.Path):
        return root
    # A zipped install: extract once for the life of the process.
    path = _keep_extracted.enter_context(importlib.resources.as_file(root))
    if not path.is_dir():
        raise FileNotFoundError(f"{_PACKAGE} package files not found (looked in {root})")
    return path


def _existing(path: pathlib.Path, what: str) -> pathlib.Path:
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path} ({install_kind()} install)")
    return path


@dataclass(frozen=True)
class Sample:
    """A data set shipped in ``gmm_studio/samples``.

    Attributes
    ----------
    file_name : str
        The CSV file's name.
    title : str
        What File ▸ Open Sample calls it.
    n_components : int
        The number of components it is shown with.
    """

    file_name: str
    title: str
    n_components: int

    def path(self) -> pathlib.Path:
        """The sample's file (see :func:`sample_path`)."""
        return sample_path(self.file_name)


#: Every shipped sample, in menu order.
SAMPLES = (
    Sample("seed_example.csv", "The notebook's 100 points", 3),
    Sample("old_faithful.csv", "Old Faithful geyser eruptions", 2),
)
#: The sample the window opens with.
STARTUP_SAMPLE = SAMPLES[0]


def sample_names() -> list[str]:
    """Return the file names of the bundled sample data sets, sorted (e.g. ``old_faithful.csv``)."""
    folder = package_root() / "samples"
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".csv")


def sample_path(name: str) -> pathlib.Path:
    """Return the path of the bundled sample ``name`` (with or without ``.csv``).

    Raises
    ------
    FileNotFoundError
        If no such sample ships with this copy of GMM Studio.
    """
    file_name = name if name.endswith(".csv") else f"{name}.csv"
    return _existing(package_root() / "samples" / file_name, "sample")


def icon_path(size: int | None = None) -> pathlib.Path:
    """Return the application icon: the PNG render of ``size`` pixels, or the SVG if ``None``.

    Raises
    ------
    ValueError
        If ``size`` is not one of :data:`ICON_SIZES`.
    FileNotFoundError
        If the icon file is missing from this copy of GMM Studio.
    """
    folder = package_root() / "resources" / "icons"
    if size is None:
        return _existing(folder / f"{ICON_NAME}.svg", "icon")
    if size not in ICON_SIZES:
        raise ValueError(f"no {size} px icon; sizes are {', '.join(map(str, ICON_SIZES))}")
    return _existing(folder / f"{ICON_NAME}-{size}.png", "icon")


def icon_paths() -> dict[int, pathlib.Path]:
    """Return every PNG render of the application icon, keyed by pixel size."""
    return {size: icon_path(size) for size in ICON_SIZES}
