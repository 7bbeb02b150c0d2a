"""How much memory there is, and how much a fit needs: checked before allocating anything."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gmm_studio.core.blockwise import choose_form, n_quadratic
from gmm_studio.core.errors import FitError

#: Bytes per value of the engine's float64 arrays.
VALUE_BYTES = 8
#: How many (D, D) matrices a fit keeps alive at once, per covariance type (measured:
#: initialisation builds K full covariances from the data's covariance whatever the type; an
#: EM pass keeps per component the current covariance and its precision factor, the new sums
#: (the next covariances are computed in their place) and the second pass's scatter, with a
#: margin of a matrix per component for full).
DD_MATRICES = {
    "full": lambda k: 3 * k + 2,
    "tied": lambda k: 5 * k + 3,
    "diag": lambda k: k + 2,
    "spherical": lambda k: k + 2,
}
#: The EM pass (`gmm_studio.core.blockwise`) works on blocks of rows: in the expanded form each
#: row becomes 1 + D + D(D+1)/2 numbers (full, tied), 1 + 2D (diag) or 2 + D (spherical),
#: with a few per-component arrays of that width; in the direct form a block holds a few
#: (rows, D) arrays. A block holds at most the larger of `PASS_BLOCK_VALUES` numbers (the large
#: blocks of a pass over many rows, and wide rows shared by threads) and `PASS_BLOCK_ROWS` rows.
PASS_BLOCK_ROWS = 256
PASS_BLOCK_VALUES = 1 << 18
PASS_BLOCK_COPIES = {"expanded": 2, "direct": 4}
PASS_COMPONENT_COPIES = 3
PASS_SLACK_VALUES = 1 << 20


def available_memory() -> int | None:
    """Return the bytes of memory this process can still use, or ``None`` if unknown.

    Reads ``MemAvailable`` from ``/proc/meminfo`` and a cgroup memory limit where there is
    one (Linux), else the available physical pages (other Unixes), else asks Windows.
    """
    candidates: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            limit_text = Path(limit_file).read_text().strip()
            if limit_text != "max" and int(limit_text) < 1 << 60:
                used = int(Path(usage_file).read_text().strip())
                candidates.append(max(int(limit_text) - used, 0))
            break
        except (OSError, ValueError):
            continue
    if not candidates and hasattr(os, "sysconf"):
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    if not candidates and sys.platform == "win32":  # pragma: no cover - Windows only
        candidates.extend(_windows_available_memory())
    return min(candidates) if candidates else None


def _windows_available_memory() -> list[int]:  # pragma: no cover - Windows only
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatus()
    status.dwLength = ctypes.sizeof(MemoryStatus)
    if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return [int(status.ullAvailPhys)]
    return []


def format_size(n: float) -> str:
    """Return a byte count as a short human-readable string (``"1.5 GB"``)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def fit_memory_bytes(
    n_samples: int, n_features: int, n_components: int, covariance_type: str
) -> int:
    """Estimate the peak memory, in bytes, of fitting ``n_components`` Gaussians to an
    ``(n_samples, n_features)`` table with ``covariance_type`` covariances.

    Counts the (D, D) matrices of initialisation and EM (see `DD_MATRICES`), the blocks of the
    EM pass (see `PASS_BLOCK_ROWS`), a centred copy of the data and the (N, K)
    responsibilities with their scratch arrays; not the data itself, which the caller holds.
    tests/core/test_fit_memory.py checks it against the peak measured while fitting.
    """
    n, d, k = int(n_samples), int(n_features), int(n_components)
    matrices = DD_MATRICES[covariance_type](k)
    form = choose_form(k, d, covariance_type)
    width = 1 + d + n_quadratic(d, covariance_type) if form == "expanded" else max(d, k)
    block = max(PASS_BLOCK_VALUES, PASS_BLOCK_ROWS * width)
    pass_values = (
        PASS_BLOCK_COPIES[form] * block + PASS_COMPONENT_COPIES * k * width + PASS_SLACK_VALUES
    )
    return VALUE_BYTES * (matrices * d * d + pass_values + 2 * n * d + 3 * n * k)


def check_fit_memory(
    n_samples: int, n_features: int, n_components: int, covariance_type: str
) -> None:
    """Raise `FitError` before a fit that would need more memory than is available.

    Raises
    ------
    FitError
        Naming the memory needed and available, and what to change.
    """
    needed = fit_memory_bytes(n_samples, n_features, n_components, covariance_type)
    available = available_memory()
    if available is None or needed <= available:
        return
    per_matrix = format_size(VALUE_BYTES * n_features * n_features)
    raise FitError(
        f"{n_components} components in {n_features} dimensions need about "
        f"{format_size(needed)} of memory (each {n_features}×{n_features} covariance takes "
        f"{per_matrix}) but only {format_size(available)} is available; choose fewer columns "
        "or components"
    )
