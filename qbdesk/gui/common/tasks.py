"""The one way the GUI runs work off the UI thread.

``run_task(work, on_result=..., on_error=...)`` runs ``work(context)`` on a
``QThreadPool`` and delivers the result, the error or the cancellation on the
main thread, through signals of a :class:`Task` that lives there (the idea
of Picard's ``run_task`` and Anki's ``taskman``). ``context.progress`` has
the core's callback shape ``progress(done, total, label)`` and goes through
:class:`~qbdesk.gui.common.events.CoreEvents`, so a service function can be
handed it directly; ``context.check()`` raises :class:`Cancelled` once
someone called ``task.cancel()``. Call ``run_task`` from the main thread.

Reads may run side by side on the global pool; ``serial=True`` puts a task
on a one-thread pool, the single path for writes, so two writes never race.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QMetaMethod, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from qbdesk.gui.common.events import CoreEvents

log = logging.getLogger(__name__)

_PROGRESS_INTERVAL = 0.05  # seconds; a worker reporting every row must not flood the event queue


class Cancelled(Exception):
    """Raised inside work by :meth:`TaskContext.check` after the task was cancelled."""


class TaskContext:
    """What the work function receives; safe to use from the worker thread."""

    def __init__(self, events: CoreEvents):
        self._cancelled = threading.Event()
        self._events = events
        self._last_report = 0.0
        self.notice = events.notice_callback  # the core's callback shapes, relayed to the GUI thread
        self.changed = events.changed_callback

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, label: str = "") -> None:
        """Report progress; throttled, except the last step, which always arrives."""
        now = time.monotonic()
        if done >= total or now - self._last_report >= _PROGRESS_INTERVAL:
            self._last_report = now
            self._events.progress_callback(done, total, label)


class Task(QObject):
    """A running piece of work; its public signals fire on the main thread, exactly one outcome each."""

    succeeded = Signal(object)
    failed = Signal(object)  # the exception, with its __traceback__
    cancelled = Signal()
    progress = Signal(int, int, str)
    finished = Signal()  # after whichever outcome

    # Emitted on the worker thread; queued so the slot runs on this object's (the main) thread.
    _outcome = Signal(str, object)

    def __init__(self, name: str, owner: QObject | None):
        super().__init__()
        self.name = name
        self._owner = owner
        self._done = threading.Event()
        self.events = CoreEvents(self)  # progress and notices take the one core→GUI path
        self.events.progress.connect(self.progress)
        self.context = TaskContext(self.events)
        self._outcome.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self.context.cancel()

    @property
    def done(self) -> bool:
        """True once the outcome was delivered on the main thread."""
        return self._done.is_set()

    def _owner_gone(self) -> bool:
        return self._owner is not None and not shiboken6.isValid(self._owner)

    @Slot(str, object)
    def _deliver(self, kind: str, value: Any) -> None:
        _pending.discard(self)
        self._done.set()
        # Cancelled (here, or the owner went away) beats whatever the work produced: a caller that
        # cancelled a stale refresh never sees its result or its error.
        if self.context.cancelled or self._owner_gone():
            self.cancelled.emit()
        elif kind == "ok":
            self.succeeded.emit(value)
        elif kind == "error":
            if not self.isSignalConnected(QMetaMethod.fromSignal(self.failed)):  # nobody listens: leave a trace
                log.error("task %s failed", self.name, exc_info=(type(value), value, value.__traceback__))
            self.failed.emit(value)
        else:
            self.cancelled.emit()
        self.finished.emit()


class _Runnable(QRunnable):
    def __init__(self, task: Task, work: Callable[[TaskContext], Any]):
        super().__init__()
        self.setAutoDelete(False)  # the Task keeps it; Python and Qt must not both free it
        self._task = task
        self._work = work

    def run(self) -> None:
        task = self._task
        try:
            result = self._work(task.context)
            outcome = ("cancelled", None) if task.context.cancelled else ("ok", result)
        except Cancelled:
            outcome = ("cancelled", None)
        except Exception as exc:
            outcome = ("error", exc)
        task._outcome.emit(*outcome)


_pending: set[Task] = set()
_serial_pool: QThreadPool | None = None


def _pool(serial: bool) -> QThreadPool:
    global _serial_pool
    if not serial:
        return QThreadPool.globalInstance()
    if _serial_pool is None:
        _serial_pool = QThreadPool()
        _serial_pool.setMaxThreadCount(1)
    return _serial_pool


def run_task(
    work: Callable[[TaskContext], Any],
    *,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    owner: QObject | None = None,
    name: str = "",
    serial: bool = False,
) -> Task:
    """Run ``work(context)`` in the background; callbacks run on the main thread.

    When ``owner`` (usually the widget that asked) has been destroyed by the
    time the work ends, the result is dropped and only ``cancelled`` fires.
    """
    task = Task(name or getattr(work, "__name__", "task"), owner)
    for signal, slot in ((task.succeeded, on_result), (task.failed, on_error),
                         (task.progress, on_progress), (task.cancelled, on_cancelled)):
        if slot is not None:
            signal.connect(slot)
    task._runnable = _Runnable(task, work)  # type: ignore[attr-defined]
    _pending.add(task)
    _pool(serial).start(task._runnable)  # type: ignore[attr-defined]
    return task


def pending() -> list[Task]:
    """Tasks whose outcome has not been delivered yet."""
    return list(_pending)


def wait_all(timeout_ms: int = 5000) -> bool:
    """Block until every task has run and its outcome was delivered (shutdown, tests)."""
    deadline = time.monotonic() + timeout_ms / 1000
    pools = [QThreadPool.globalInstance()] + ([_serial_pool] if _serial_pool else [])
    for pool in pools:
        if not pool.waitForDone(max(0, int((deadline - time.monotonic()) * 1000))):
            return False
    QCoreApplication.sendPostedEvents()  # delivers the queued outcomes
    return not _pending


def cancel_all() -> None:
    for task in list(_pending):
        task.cancel()
