"""The start with --passphrase-file: the load begun before Qt, a wrong passphrase, the panels made after the
work list, and the work list's columns, order and sorting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

from tests.gui.review.shell_fixtures import *  # noqa: F403

pytestmark = pytest.mark.gui

# Runs `qbdesk review gui` as the command does, and says whether Qt was imported when the load began.
SPY = """
import sys
from qbdesk.services.reviewer import prepared
real = prepared.PreparedLoad._run
def _run(self, passphrase):
    print("load began; Qt imported:", "PySide6" in sys.modules, file=sys.stderr, flush=True)
    real(self, passphrase)
prepared.PreparedLoad._run = _run
from qbdesk.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _run(argv, tmp_path, timeout=120):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True, timeout=timeout, env=env)


def _contents(root):
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_load_begins_before_qt_is_imported(opened, tmp_path):
    pfile = tmp_path / "pp.txt"
    pfile.write_text(opened.passphrase, encoding="utf-8")
    done = _run(["-c", SPY, "review", "gui", "--home", opened.home, "--passphrase-file", pfile, "--exit-when-ready"],
                tmp_path)
    assert done.returncode == 0, done.stderr
    assert "load began; Qt imported: False" in done.stderr
    assert [ln for ln in done.stdout.splitlines() if ln.startswith("ready ")], done.stdout


def test_a_wrong_passphrase_file_says_so_writes_nothing_and_is_never_ready(opened, tmp_path):
    pfile = tmp_path / "wrong.txt"
    pfile.write_text("WRONG-WRONG-WRONG-WRONG", encoding="utf-8")
    before = _contents(opened.home)
    done = _run(["-m", "qbdesk.cli.main", "--lang", "en", "review", "gui", "--home", opened.home,
                 "--passphrase-file", pfile, "--exit-when-ready", "--exit-after", "6",
                 "--screenshot", tmp_path / "start.png"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ready" not in done.stdout and "Traceback" not in done.stderr
    assert _contents(opened.home) == before
    assert (tmp_path / "start.png").stat().st_size > 0  # the start screen was up, asking again


def test_the_start_screen_takes_the_prepared_loads_error_as_its_own(qtbot, opened):
    from qbdesk.gui.review.app import ReviewShell
    from qbdesk.services.reviewer.prepared import PreparedLoad

    before = _contents(opened.home)
    shell = ReviewShell(home=opened.home)
    try:
        shell.begin(None, opened.home, "WRONG-WRONG-WRONG-WRONG",
                    PreparedLoad(opened.home, "WRONG-WRONG-WRONG-WRONG"))
        qtbot.waitUntil(lambda: shell.start.dialog is not None, timeout=20000)
        assert shell.start.isVisible() and shell.window is None
        error = shell.start.dialog.error  # asked again, saying why
        assert error.isVisibleTo(shell.start.dialog) and "口令不正确" in error.text() and "没有写入任何文件" in error.text()
        assert _contents(opened.home) == before
    finally:
        shell.close()


def test_the_start_screen_opens_the_prepared_workspace(qtbot, opened):
    from qbdesk.gui.review import shell_settings
    from qbdesk.gui.review.app import ReviewShell
    from qbdesk.services.reviewer.prepared import PreparedLoad

    with opened.load() as ws:
        ws.declare(True)
        shell_settings.confirm(ws.snapshot_digest)
    ready = []
    shell = ReviewShell(home=opened.home, on_ready=lambda: ready.append(shell.window))
    try:
        shell.begin(None, opened.home, opened.passphrase, PreparedLoad(opened.home, opened.passphrase))
        qtbot.waitUntil(lambda: bool(ready), timeout=20000)
        window = ready[0]
        assert window.isVisible() and window.worklist.model.rowCount() == 3
        assert window.worklist.view.hasFocus() or QApplication.focusWidget() is None
    finally:
        shell.close()


def test_the_panels_come_after_the_work_list_and_show_its_current_application(qtbot, opened):
    from qbdesk.gui.review.window import ReviewWindow

    ws = opened.load()
    ws.declare(True)
    try:
        win = ReviewWindow(ws)
        qtbot.addWidget(win)
        first = win.worklist.current_code()
        assert first and win._scoring is None  # the list is made and current; the panels just after
        win.show()
        qtbot.waitUntil(lambda: win._scoring is not None)
        assert win.scoring.code == first and win.document.code == first
        assert win.reading.currentWidget() is win.reading_splitter
        win.close()
    finally:
        ws.close()


def test_a_selection_before_the_panels_exist_makes_them_and_shows_it(qtbot, opened):
    from qbdesk.gui.review.window import ReviewWindow

    ws = opened.load()
    ws.declare(True)
    try:
        win = ReviewWindow(ws)
        qtbot.addWidget(win)
        other = next(c for c in win.worklist.visible_codes() if c != win.worklist.current_code())
        assert win._scoring is None
        assert win.worklist.select(other)  # before the event loop ran once
        assert win._scoring is not None and win.scoring.code == other and win.document.code == other
        assert win.reading.currentWidget() is win.reading_splitter
        win.show()
        qtbot.wait(50)  # the deferred build finds the panels made and the user's choice kept
        assert win.scoring.code == other and win.worklist.current_code() == other
        win.close()
    finally:
        ws.close()


def test_work_list_columns_fit_their_texts_at_150_percent(qtbot, opened):
    from qbdesk.gui.review.worklist import STATE_NAMES, WorkList, WorkListModel, translate

    app = QApplication.instance()
    normal = app.font()
    big = QFont(normal)
    big.setPointSizeF(normal.pointSizeF() * 1.5)
    app.setFont(big)
    ws = opened.load()
    try:
        wl = WorkList(ws)
        qtbot.addWidget(wl)
        wl.resize(600, 400)
        wl.show()
        qtbot.waitExposed(wl)
        view, header = wl.view, wl.view.header()
        metrics = view.fontMetrics()
        assert metrics.height() > QFontMetrics(normal).height() * 1.3  # the bigger font is in use
        for col in range(WorkListModel.PROGRESS):
            assert view.columnWidth(col) >= view.sizeHintForColumn(col), col  # every row's text fits
            assert view.columnWidth(col) >= header.sectionSizeHint(col), col  # and the header's
        longest = max(metrics.horizontalAdvance(translate("WorkListModel", n)) for n in STATE_NAMES.values())
        assert view.columnWidth(WorkListModel.STATE) > longest  # a state no row has yet fits too
        wl.close()
    finally:
        app.setFont(normal)
        ws.close()


def test_work_list_sorts_by_program_and_by_any_column_after_a_change(qtbot, opened):
    from qbdesk.gui.review.worklist import IN_PROGRESS, WorkList, WorkListModel

    ws = opened.load()
    try:
        wl = WorkList(ws)
        qtbot.addWidget(wl)
        programs = [ws.application(c).program for c in wl.visible_codes()]
        assert programs == sorted(programs)
        assert wl.view.header().sortIndicatorSection() == WorkListModel.PROGRAM
        last = wl.visible_codes()[-1]
        criterion = next(c for c in ws.rubric(last).criteria if c.kind == "score")
        ws.set_value(last, criterion.id, criterion.max, "理由充分" * 5, draft=True)
        wl.refresh()
        assert wl.model.rows[wl.model.row_of(last)].state == IN_PROGRESS
        wl.view.sortByColumn(WorkListModel.STATE, Qt.SortOrder.DescendingOrder)
        assert wl.visible_codes()[0] == last  # its new state, in the sort keys at once
        wl.view.sortByColumn(WorkListModel.CODE, Qt.SortOrder.AscendingOrder)
        assert wl.visible_codes() == sorted(wl.visible_codes())
        wl.close()
    finally:
        ws.close()
