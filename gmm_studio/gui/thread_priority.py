"""Background threads of the window run a little nicer than the GUI thread (Linux only)."""

from __future__ import annotations

import contextlib
import os
import threading

_LOWERED_THREADS: set[int] = set()
#: Niceness added to a background thread, so that on a busy machine the GUI thread gets the CPU
#: first.
WORKER_NICENESS = 5


def lower_this_thread_priority() -> None:
    """Make the calling (background) thread a little nicer than the GUI thread, once."""
    tid = threading.get_native_id()
    if tid in _LOWERED_THREADS or not hasattr(os, "setpriority"):
        return
    _LOWERED_THREADS.add(tid)
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + WORKER_NICENESS))
