"""The review window around the reading and scoring widgets: declaration first, work list, recusal, lock."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from tests.gui.review.shell_fixtures import *  # noqa: F403

pytestmark = pytest.mark.gui


def test_the_declaration_comes_before_any_application(qtbot, opened):
    from qbdesk.gui.review.window import ReviewWindow

    ws = opened.load()
    try:
        win = ReviewWindow(ws)
        qtbot.addWidget(win)
        win.resize(900, 300)  # short: the text needs scrolling
        win.show()
        qtbot.waitExposed(win)
        assert win.stack.currentWidget() is win.declaration
        assert win.worklist is None and win.findChild(object, "workList") is None  # nothing of an application made
        assert not win.finalise_action.isEnabled() and not win.next_action.isEnabled()
        view = win.declaration
        assert ws.declaration.text.zh.splitlines()[0] in view.text.toPlainText()
        bar = view.text.verticalScrollBar()
        if bar.maximum() > 0:
            assert not view.read.isEnabled(), "accepting needs the text read to its end"
        view.text.setFocus()
        QTest.keyClick(view.text, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(view.read.isEnabled)
        assert not view.sign.isEnabled()
        type_text(view.conflicts, "无")
        view.read.setFocus()
        QTest.keyClick(view.read, Qt.Key.Key_Space)
        assert view.sign.isEnabled()
        view.sign.setFocus()
        QTest.keyClick(view.sign, Qt.Key.Key_Space)
        assert ws.declaration.accepted and ws.declaration.conflicts == "无"
        assert win.stack.currentWidget() is win.work and win.findChild(object, "workList") is not None
        assert win.finalise_action.isEnabled()
        win.close()
    finally:
        ws.close()


def test_work_list_states_filters_and_keyboard(qtbot, window):
    ws = window.ws
    wl = window.worklist
    assert wl.view.objectName() == "workList"
    codes = [a.code for a in ws.applications]
    assert sorted(wl.visible_codes()) == sorted(codes)
    assert {r.state for r in wl.model.rows} == {"not_started"}
    # by program: P3 first
    assert [ws.application(c).program for c in wl.visible_codes()] == sorted(ws.application(c).program for c in codes)
    first = wl.current_code()
    assert first in codes
    wl.view.setFocus()
    QTest.keyClick(wl.view, Qt.Key.Key_Down)
    assert wl.current_code() != first
    wl.program_filter.setCurrentIndex(wl.program_filter.findData("P8"))
    assert [ws.application(c).program for c in wl.visible_codes()] == ["P8"]
    wl.program_filter.setCurrentIndex(0)
    complete(ws, skip=tuple(c for c in codes if c != first))
    ws.set_value(codes[1] if codes[1] != first else codes[2], ws.rubric(codes[1]).criteria[0].id, None)
    wl.refresh()
    states = {r.code: r.state for r in wl.model.rows}
    assert states[first] == "complete"
    wl.state_filter.setCurrentIndex(wl.state_filter.findData("complete"))
    assert wl.visible_codes() == [first]
    wl.state_filter.setCurrentIndex(0)
    done = next(r for r in wl.model.rows if r.code == first)
    assert done.done == done.total > 0
    # F8: the next incomplete application, never the complete one
    wl.select(first)
    QTest.keyClick(window, Qt.Key.Key_F8)
    assert wl.current_code() != first and states[wl.current_code()] != "complete"
    assert "1" in wl.summary.text()


def test_recusal_needs_a_reason_leaves_the_list_and_can_be_withdrawn(qtbot, window):
    ws, wl = window.ws, window.worklist
    code = wl.current_code()
    QTest.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(object, "recusalDialog")
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok.isEnabled(), "a recusal needs a reason"
    type_text(dialog.reason, "本人曾为该单位提供咨询")
    assert dialog.ok.isEnabled()
    QTest.keyClick(dialog.reason, Qt.Key.Key_Tab)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert ws.recusals == {code: "本人曾为该单位提供咨询"}
    assert code not in wl.visible_codes() and wl.current_code() != code
    wl.state_filter.setCurrentIndex(wl.state_filter.findData("recused"))
    assert wl.visible_codes() == [code]
    wl.select(code)
    assert window.reading.currentWidget() is window.notice and code in window.notice.text()
    assert window.withdraw_action.isEnabled() and not window.recuse_action.isEnabled()
    window.withdraw_action.trigger()
    assert ws.recusals == {}
    assert wl.current_code() == code and window.reading.currentIndex() == window.READING


def test_idle_lock_hides_everything_and_asks_the_passphrase(qtbot, window):
    title = window.windowTitle()
    assert window.ws.expert_id in title
    window.idle.set_minutes(0.002)  # 120 ms
    qtbot.waitUntil(window.is_locked, timeout=3000)
    assert window.windowTitle() == "qbdesk"
    assert not window.work.isVisible() and not window.statusBar().isVisible()
    assert not window.finalise_action.isEnabled()
    field = window.lock_view.field
    assert field.echoMode() == field.EchoMode.Password
    QTest.keyClicks(field, "WRONG-PASSPHRASE")
    QTest.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: field.isEnabled(), timeout=10000)
    assert window.is_locked() and "passphrase" in window.lock_view.error.text().lower() or "口令" in window.lock_view.error.text()
    field.clear()
    QTest.keyClicks(field, PASSPHRASE.lower())  # as on the slip: case does not matter
    QTest.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=10000)
    assert window.windowTitle() == title and window.work.isVisible()


def test_the_lock_closes_open_dialogs(qtbot, window):
    window.open_finalise()
    dialog = window.finalise_dialog
    assert dialog.isVisible()
    window.lock()
    assert not dialog.isVisible() and window.is_locked()


def test_each_missing_line_names_its_application_and_criterion_once(window):
    from qbdesk.gui.review.finalise import missing_lines

    ws = window.ws
    lines = missing_lines(ws)
    assert lines
    for text, (code, criterion, _item) in lines:
        name = ws.rubric(code).criterion(criterion).name.zh
        assert text.startswith(code) and text.count(name) == 1, text
