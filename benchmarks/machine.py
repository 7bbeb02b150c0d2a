"""What every benchmark figure is measured on: the CPU, numpy's SIMD level and the BLAS."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux) and the usable cores."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return f"{name}, {cores} cores"


def numpy_simd() -> str:
    """numpy's SIMD extensions: the ones found on this CPU and the ones not found (disabled)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return "unknown"
    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    missing = [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)]
    avx512 = "with" if __cpu_features__.get("AVX512_SKX") else "WITHOUT"
    return (
        f"found {' '.join(found) or '-'}; not found {' '.join(missing) or '-'} "
        f"({avx512} AVX-512 float64 exp/log)"
    )


def blas_description() -> str:
    """Each BLAS library loaded, with its kernel (architecture) and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = []
    for info in threadpool_info():
        parts.append(
            f"{info.get('internal_api')} {info.get('version')} kernel={info.get('architecture')} "
            f"threads={info.get('num_threads')}"
        )
    return "; ".join(parts) or "no BLAS found"


def describe() -> list[str]:
    """Lines to print above every table."""
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        f"CPU: {cpu_model()}   load average: {load}",
        f"numpy SIMD: {numpy_simd()}",
        f"BLAS: {blas_description()}",
    ]
    env = [
        f"{v}={os.environ[v]}"
        for v in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")
        if v in os.environ
    ]
    lines.append(f"environment: {' '.join(env) or '(no numpy/OpenBLAS overrides)'}")
    return lines
