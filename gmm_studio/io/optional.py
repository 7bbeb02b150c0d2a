"""Optional readers' libraries: imported on first use, with the extra to install named."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from gmm_studio.io.errors import DataFileError


def import_optional(module: str, extra: str, what: str, path: Path | None) -> ModuleType:
    """Import ``module`` or raise `DataFileError` saying which extra of GMM Studio provides it.

    Parameters
    ----------
    module : str
        For example ``"openpyxl"``.
    extra : str
        The extra that installs it: ``pip install 'gmm-studio[extra]'``.
    what : str
        What it reads, for the message (``".xlsx workbooks"``).
    path : pathlib.Path or None
        The file being read.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DataFileError(
            path,
            f"reading {what} needs the {module} package, which is not installed; install it "
            f"with: pip install 'gmm-studio[{extra}]'",
        ) from None
