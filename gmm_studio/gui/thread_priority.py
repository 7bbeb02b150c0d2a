"""Background threads of the window run a little nicer than the GUI thread (Linux only)."""

from __future__ import annotations

import contextlib
import os
import threading

_LOWERED_THREADS: set[int] = set()
#: Niceness a background thread has above the process's main (GUI) thread, so that the GUI
#: thread gets the CPU first: against one such thread on its core it gets 90% (CFS weights
#: 1024 and 110; 75% at a niceness of 5, which measured about half the redraws while panning
#: with EM on both cores, benchmarks/bench_gui.py).
WORKER_NICENESS = 10


def lower_this_thread_priority() -> None:
    """Make the calling (background) thread :data:`WORKER_NICENESS` nicer than the main
    thread, once (a thread started by a lowered one starts lowered: it is not lowered twice)."""
    tid = threading.get_native_id()
    if tid in _LOWERED_THREADS or not hasattr(os, "setpriority"):
        return
    _LOWERED_THREADS.add(tid)
    with contextlib.suppress(OSError):
        main = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's, on Linux
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, min(19, main + WORKER_NICENESS)))
