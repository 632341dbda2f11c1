"""Worker processes for CPU-bound batches (reading score files, drawing the demo round's PDFs):
how many, and whether they may be forked here at all."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import sys
import threading


def default_workers() -> int:
    """One worker process per CPU this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return min(cpus, 8)


def fork_context() -> multiprocessing.context.BaseContext | None:
    """Workers are forked: they start at once with everything imported. Only on Linux (macOS and
    Windows do not fork safely or at all), and only with no other thread running, since a fork
    copies locks another thread may hold (a GUI runs its batches on a worker thread: they run
    serially there). None: do the work in this process."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")
