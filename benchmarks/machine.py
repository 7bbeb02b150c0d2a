"""What every benchmark figure is measured on: the CPU, numpy's SIMD level and the BLAS."""

from __future__ import annotations

import os
import platform
import time


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


def settle(most_seconds: float = 0.5) -> None:
    """Wait, busy on this thread, until no other thread of this process is using a CPU.

    A BLAS library's threads spin for a while after each call (OpenBLAS here: about 70 ms of a
    whole core after a scikit-learn fit); an engine timed in that window shares the cores with
    them. Waiting busy, not asleep, keeps the cores as awake as a running program keeps them
    (a core that slept half a second ran the next fit measurably slower).
    """
    end = time.perf_counter() + most_seconds
    quiet = 0
    while quiet < 2 and time.perf_counter() < end:
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < 0.01:
            pass
        # This thread accounts for the wall time; anything beyond it is another thread's.
        quiet = quiet + 1 if time.process_time() - cpu < 1.2 * (time.perf_counter() - wall) else 0
