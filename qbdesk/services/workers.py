"""Worker processes for CPU-bound batches (reading score files, drawing the demo round's PDFs):
how many, and whether they may be forked here at all."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor


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


def ignore_interrupts() -> None:
    """In a worker process: Ctrl-C is for the parent, which stops the pool (``stop_pool``). A worker
    that took it too would die mid-job with a traceback, and a second Ctrl-C could then leave the
    parent waiting on it for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_pool(pool: ProcessPoolExecutor, *, abandon: bool) -> None:
    """Shut a pool down: after its work, or (``abandon``: the batch was interrupted or failed) at
    once, its workers ended. Ending them is the only sure stop: a pool left to wind down on its own
    can be caught by the interpreter's exit half-way (a second Ctrl-C), and then waits for ever on
    workers that never get told to stop. The pool's jobs must not have been cancelled (Python
    3.11's pool then fails on them: use ``submit``, not ``map``). Ctrl-C waits until this returns."""
    if not abandon:
        pool.shutdown(wait=True, cancel_futures=True)
        return
    with _interrupts_held():
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True)  # the pool sees its workers gone, fails what was pending, and ends


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT held back in this thread meanwhile, and delivered after (where the platform can)."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, OSError, ValueError):  # not POSIX
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
