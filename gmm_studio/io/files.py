"""Opening a user's file safely: clear errors for missing, unreadable and oversized files."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from gmm_studio.io.errors import DataFileError

# Parsing text needs several times the file's size while it runs (the bytes, the decoded
# text, the cells); refuse files that would not fit, instead of thrashing or dying half-way.
TEXT_MEMORY_FACTOR = 6.0
BINARY_MEMORY_FACTOR = 1.5


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


def check_fits_in_memory(path: Path, needed: float) -> None:
    """Raise `DataFileError` if ``needed`` bytes are more than the memory available now."""
    available = available_memory()
    if available is not None and needed > available:
        raise DataFileError(
            path,
            f"too large to load: reading it needs about {format_size(needed)} of memory "
            f"but only {format_size(available)} is available",
        )


def os_error_problem(error: OSError) -> str:
    """Word an `OSError` from opening or reading a file for the user."""
    code = error.errno
    if isinstance(error, FileNotFoundError) or code == errno.ENOENT:
        return "file not found"
    if isinstance(error, IsADirectoryError) or code == errno.EISDIR:
        return "is a folder, not a file"
    if isinstance(error, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return "no permission to read this file"
    if isinstance(error, NotADirectoryError) or code == errno.ENOTDIR:
        return "file not found (a folder in its path is a file)"
    return f"cannot read the file ({error.strerror or error})"


def check_regular_file(path: Path) -> int:
    """Check ``path`` names a readable regular file and return its size in bytes.

    Raises
    ------
    DataFileError
        If it is missing, a folder, not a regular file (a FIFO or device, which could block
        forever), or cannot be inspected.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataFileError(path, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise DataFileError(path, "is not a regular file (a pipe, socket or device)")
    return info.st_size


def read_head(path: Path, n: int) -> bytes:
    """Return the first ``n`` bytes of ``path``, with `DataFileError` for OS problems."""
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None


def read_all(path: Path) -> bytes:
    """Return all the bytes of ``path``, with `DataFileError` for OS problems."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except MemoryError:
        raise DataFileError(path, "too large to load: ran out of memory reading it") from None
    except OSError as error:
        raise DataFileError(path, os_error_problem(error)) from None
