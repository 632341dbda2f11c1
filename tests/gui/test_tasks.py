"""The background-task helper and the core-event adapter deliver on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QObject

from qbdesk.domain.messages import Msg
from qbdesk.gui.common import tasks
from qbdesk.gui.common.events import CoreEvents
from qbdesk.gui.common.tasks import run_task

pytestmark = pytest.mark.gui
MAIN = threading.get_ident()


def test_result_arrives_on_the_main_thread(qtbot):
    seen = {}

    def work(ctx):
        seen["worker"] = threading.get_ident()
        return 41 + 1

    results = []
    task = run_task(work, on_result=lambda r: results.append((r, threading.get_ident())))
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert seen["worker"] != MAIN
    assert results == [(42, MAIN)]
    assert task.done and tasks.pending() == []


def test_error_arrives_on_the_main_thread(qtbot):
    def work(ctx):
        raise ValueError("broken package")

    errors = []
    task = run_task(work, on_error=lambda e: errors.append((e, threading.get_ident())),
                    on_result=lambda r: pytest.fail("no result expected"))
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    (exc, thread), = errors
    assert isinstance(exc, ValueError) and str(exc) == "broken package" and thread == MAIN
    assert exc.__traceback__ is not None  # kept for the log


def test_progress_is_relayed_in_order_and_the_last_step_always_arrives(qtbot):
    def work(ctx):
        for i in range(1, 501):
            ctx.progress(i, 500, "导入")
        return "ok"

    steps = []
    task = run_task(work, on_progress=lambda d, t, label: steps.append((d, t, label, threading.get_ident())))
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert steps and steps[-1][:3] == (500, 500, "导入")
    assert [s[0] for s in steps] == sorted(s[0] for s in steps)
    assert len(steps) < 500  # throttled
    assert {s[3] for s in steps} == {MAIN}


def test_cancel_stops_the_work_and_drops_the_result(qtbot):
    started = threading.Event()

    def work(ctx):
        started.set()
        while True:
            ctx.check()
            time.sleep(0.005)

    cancelled = []
    task = run_task(work, on_result=lambda r: pytest.fail("cancelled work has no result"),
                    on_cancelled=lambda: cancelled.append(True))
    assert started.wait(3)
    with qtbot.waitSignal(task.finished, timeout=3000):
        task.cancel()
    assert cancelled == [True]


def test_cancelled_flag_wins_over_a_returned_value(qtbot):
    def work(ctx):
        ctx.cancel()
        return "too late"

    task = run_task(work, on_result=lambda r: pytest.fail("no result after cancel"))
    with qtbot.waitSignal(task.cancelled, timeout=3000):
        pass


def test_result_is_dropped_when_the_owner_is_gone(qtbot):
    owner = QObject()
    release = threading.Event()
    task = run_task(lambda ctx: release.wait(3) and "late", owner=owner,
                    on_result=lambda r: pytest.fail("the owner is gone"))
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    with qtbot.waitSignal(task.cancelled, timeout=3000):
        release.set()


def _alive(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_serial_tasks_never_overlap(qtbot):
    running, peak, lock = [0], [0], threading.Lock()

    def write(ctx):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    started = [run_task(write, serial=True) for _ in range(4)]
    qtbot.waitUntil(lambda: all(t.done for t in started), timeout=3000)
    assert peak[0] == 1


def test_wait_all_delivers_pending_outcomes(qtbot):
    results = []
    run_task(lambda ctx: time.sleep(0.05) or "done", on_result=results.append)
    assert tasks.wait_all(3000)
    assert results == ["done"] and tasks.pending() == []


def test_core_callbacks_from_a_thread_become_signals_on_the_gui_thread(qtbot):
    events = CoreEvents()
    got = []
    events.progress.connect(lambda d, t, label: got.append(("progress", d, t, label, threading.get_ident())))
    events.notice.connect(lambda msg: got.append(("notice", msg, threading.get_ident())))
    events.changed.connect(lambda what, ident: got.append(("changed", what, ident, threading.get_ident())))
    msg = Msg("已导入", "imported")

    def core():  # a plain Python thread, as a service's worker would be
        events.progress_callback(1, 2, "包")
        events.notice_callback(msg)
        events.changed_callback("applications", 7)

    worker = threading.Thread(target=core)
    worker.start()
    worker.join()
    assert got == []  # nothing ran on the worker thread
    qtbot.waitUntil(lambda: len(got) == 3, timeout=3000)
    assert got == [("progress", 1, 2, "包", MAIN), ("notice", msg, MAIN), ("changed", "applications", 7, MAIN)]

