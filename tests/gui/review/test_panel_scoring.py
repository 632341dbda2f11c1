"""The scoring panel, driven from the keyboard alone, on snapshots the build service made.

What the expert types is checked twice: what the panel shows, and what the workspace stored.
"""

from __future__ import annotations

import pytest
from panel_fixtures import open_workspace, panel_round  # noqa: F401  (fixtures)
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QToolButton

from qbdesk.gui.review.scoring import ScoringPanel

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def first(ws, program: str):
    return next(a for a in ws.applications if a.program == program)


def show_panel(qtbot, ws, code: str, *, width: int = 620, height: int = 760) -> ScoringPanel:
    panel = ScoringPanel(ws)
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    panel.show_application(code)
    return panel


def focused():
    w = QApplication.focusWidget()
    assert w is not None, "nothing has the keyboard focus"
    return w


def key(k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), k, modifier)


def type_(text: str) -> None:
    """Type into the focused widget: ASCII key by key; Chinese as an input method commits it (QTest cannot)."""
    if text.isascii():
        QTest.keyClicks(focused(), text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(focused(), event)


def row(panel: ScoringPanel, cid: str):
    return next(r for r in panel.rows if r.criterion.id == cid)


def test_score_range_and_step_are_enforced_as_typed_and_saved_at_once(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = first(ws, "P6")
    panel = show_panel(qtbot, ws, app.code)
    r = row(panel, "direction_fit")  # 0–30, step 0.5
    assert panel.focus_criterion("direction_fit")
    assert focused() is r.edit
    saves = []
    panel.changed.connect(saves.append)
    type_("40")  # the 0 would make 40 > 30: refused, and the panel says why
    assert r.edit.text() == "4"
    assert r.problem.isVisible() and "30" in r.problem.text() and "最高分" in r.problem.text()
    QTest.keyClick(r.edit, Qt.Key.Key_Backspace)
    type_("22.3")  # off the 0.5 grid: the 3 is refused
    assert r.edit.text() == "22."
    assert "0.5" in r.problem.text()
    type_("5")
    key(Qt.Key.Key_Return)
    assert ws.value(app.code, "direction_fit") == 22.5
    assert saves == [app.code]
    assert panel.saved.text().startswith("已保存 ")
    assert "22.5" in panel.total.text()
    assert focused() is row(panel, "service_model").edit  # Enter went on to the next criterion
    assert r.status_label.text() == "✓"


def test_up_down_step_and_an_unfinished_value_is_never_saved(qtbot, open_workspace):
    ws = open_workspace("E03")
    app = first(ws, "P8")
    panel = show_panel(qtbot, ws, app.code)
    r = row(panel, "leadership")  # 0–110, step 5.5; no comment needed between 60.5 and 99
    panel.focus_criterion("leadership")
    type_("7")  # not on the grid yet (77 or 7.7 might be): kept while typing, not saved
    key(Qt.Key.Key_Return)
    assert ws.value(app.code, "leadership") is None
    assert "5.5" in r.problem.text() and focused() is r.edit
    type_("7")
    key(Qt.Key.Key_Return)
    assert ws.value(app.code, "leadership") == 77
    panel.focus_criterion("leadership")
    key(Qt.Key.Key_Up)
    assert r.edit.text() == "82.5" and ws.value(app.code, "leadership") == 82.5
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Down)
    assert ws.value(app.code, "leadership") == 71.5
    type_("3")  # 71.53: one decimal too many for the grid, refused as typed
    assert r.edit.text() == "71.5"


def test_a_required_comment_is_asked_for_the_moment_it_is_required(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = first(ws, "P6")
    panel = show_panel(qtbot, ws, app.code)
    r = row(panel, "service_model")  # 0–25; a comment is required at or below 55 % and at or above 90 %
    assert not r.comment.isVisible()
    panel.focus_criterion("service_model")
    type_("24")
    key(Qt.Key.Key_Return)
    # the score is kept (draft) and the comment field appears, focused and marked
    assert ws.value(app.code, "service_model") == 24
    assert r.comment.isVisible() and focused() is r.comment and r.comment.property("needed") is True
    assert r.status_label.text() == "!" and "理由" in r.problem.text()
    assert any((m.code, m.criterion) == (app.code, "service_model") for m in ws.missing())
    type_("服务模式成熟，已在三个区复制推广")
    key(Qt.Key.Key_Return)
    assert ws.comment(app.code, "service_model") == "服务模式成熟，已在三个区复制推广"
    assert not any((m.code, m.criterion) == (app.code, "service_model") for m in ws.missing())
    assert r.status_label.text() == "✓" and not r.problem.isVisible()
    assert focused() is row(panel, "service_results").edit


def test_a_failed_gate_asks_for_its_reason(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = first(ws, "P6")
    panel = show_panel(qtbot, ws, app.code)
    r = row(panel, "materials")
    panel.focus_criterion("materials")
    assert isinstance(focused(), QComboBox)
    key(Qt.Key.Key_Down)  # — → 通过
    assert ws.value(app.code, "materials") is True
    key(Qt.Key.Key_Down)  # 通过 → 不通过
    assert ws.value(app.code, "materials") is False
    assert r.reason.isVisible() and focused() is r.reason and r.reason.property("needed") is True
    type_("服务合同缺少盖章页")
    key(Qt.Key.Key_Return)
    assert ws.comment(app.code, "materials") == "服务合同缺少盖章页"
    assert r.status_label.text() == "✓"


def test_items_rejected_with_a_reason_and_a_tier_corrected(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = first(ws, "P5")
    tiers = list(ws.program_view("P5").tiers)
    item = app.items[0]
    panel = show_panel(qtbot, ws, app.code)
    r = row(panel, "activities")
    panel.focus_criterion("activities")
    assert focused() is r.decisions[item.id]
    key(Qt.Key.Key_Down)  # accept
    assert ws.value(app.code, "activities", item.id)["accepted"] is True
    assert r.tier_boxes[item.id].currentData() == item.tier  # the declared tier, to confirm or correct
    QTest.keyClick(r.decisions[item.id], Qt.Key.Key_Tab)
    assert focused() is r.tier_boxes[item.id]
    key(Qt.Key.Key_Up)  # correct the tier to the one before in the table
    corrected = tiers[tiers.index(item.tier) - 1]
    assert ws.value(app.code, "activities", item.id) == {"accepted": True, "reason": "", "tier": corrected}
    # reject another way round: the reason is asked for at once
    r.decisions[item.id].setFocus()
    key(Qt.Key.Key_Down)
    assert focused() is r.reasons[item.id] and r.reasons[item.id].property("needed") is True
    type_("发布文件不在近三年内")
    key(Qt.Key.Key_Return)
    assert ws.value(app.code, "activities", item.id) == {"accepted": False, "reason": "发布文件不在近三年内"}
    assert not r.tier_boxes[item.id].isEnabled()


def test_opinion_counts_live_and_is_saved(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = first(ws, "P6")
    panel = show_panel(qtbot, ws, app.code)
    r = row(panel, "opinion")
    panel.focus_criterion("opinion")
    type_("方案 可行")  # the space does not count
    assert r.count.text() == "4 字（至少 80 字）"
    QTest.keyClick(r.text, Qt.Key.Key_Tab)  # leaving saves at once (typing pauses save too)
    assert ws.value(app.code, "opinion") == "方案 可行"
    assert r.status_label.text() == "!" and "80" in r.problem.text()
    r.text.setFocus()
    type_("服务对象明确，" * 12)
    qtbot.waitUntil(lambda: ws.value(app.code, "opinion") == "方案 可行" + "服务对象明确，" * 12, timeout=3000)
    assert r.status_label.text() == "✓"


def test_next_incomplete_shortcut_and_read_only(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = first(ws, "P6")
    panel = show_panel(qtbot, ws, app.code)
    panel.focus_criterion("eligibility")
    key(Qt.Key.Key_Down)  # pass
    key(Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert focused() is row(panel, "materials").choice
    key(Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert focused() is row(panel, "projects").decisions["I1"]
    panel.set_read_only(True)
    panel.focus_criterion("direction_fit")
    type_("12")
    key(Qt.Key.Key_Return)
    assert ws.value(app.code, "direction_fit") is None
    assert not row(panel, "materials").choice.isEnabled()


def test_program_kind_and_qualification_facts_are_plain_to_see(qtbot, open_workspace):
    ws = open_workspace("E05")
    verified = first(ws, "P7")
    panel = show_panel(qtbot, ws, verified.code)
    assert "核准类" in panel.kind.text() and "公开评审" in panel.kind.text()
    assert verified.qualification
    toggle = panel.qualification_toggle
    assert toggle.isVisible() and "只读" in toggle.text()
    assert f"{len(verified.qualification)} 项中 {len(verified.qualification)} 项通过" in toggle.text()
    assert not panel.qualification.isVisible()  # all passed: one line, opened on request
    toggle.setFocus()
    key(Qt.Key.Key_Space)
    facts = panel.qualification.text()
    assert panel.qualification.isVisible() and all(f.label.zh in facts for f in verified.qualification)
    panel.show_application(first(ws, "P6").code)
    assert "评审类" in panel.kind.text() and "盲评" in panel.kind.text()


def test_every_input_has_an_accessible_name_in_both_languages(qtbot, open_workspace, english):
    ws = open_workspace("E05")
    panel = show_panel(qtbot, ws, first(ws, "P5").code)
    inputs = [w for t in (QLineEdit, QComboBox, QPlainTextEdit, QToolButton) for w in panel.findChildren(t)]
    assert len(inputs) > 10
    for w in inputs:
        if w.parent() is not None and isinstance(w.parent(), QComboBox):
            continue
        assert w.accessibleName().strip(), w.objectName()
    assert "Score for" in row(panel, "technical_level").edit.accessibleName()


def test_150_percent_text_scaling_clips_nothing(qtbot, open_workspace, tmp_path):
    ws = open_workspace("E05")
    panel = ScoringPanel(ws)
    qtbot.addWidget(panel)
    font = QFont(QApplication.font())
    font.setPointSizeF(font.pointSizeF() * 1.5)
    panel.setFont(font)
    panel.resize(700, 760)
    panel.show()
    qtbot.waitExposed(panel)
    for app in (first(ws, "P5"), first(ws, "P6")):
        panel.show_application(app.code)
        QApplication.processEvents()
        panel.form.adjustSize()
        QApplication.processEvents()
        for w in [w for t in (QLabel, QLineEdit, QComboBox, QToolButton) for w in panel.form.findChildren(t)]:
            if not w.isVisibleTo(panel):
                continue
            hint = w.minimumSizeHint()
            if isinstance(w, QLabel) and w.wordWrap():
                assert w.height() >= w.heightForWidth(w.width()) - 1, (w.objectName(), w.text()[:30])
            else:
                assert w.width() >= hint.width() and w.height() >= hint.height(), (type(w).__name__, w.objectName())
        assert panel.grab().save(str(tmp_path / f"scaled-{app.program}.png"))


def test_private_notes_are_saved_as_typed_and_come_back(qtbot, open_workspace):
    ws = open_workspace("E05")
    a, b = [x.code for x in ws.applications[:2]]
    panel = show_panel(qtbot, ws, a)
    notes = panel.notes
    assert notes.supported and notes.toggle.isEnabled() and not notes.text.isVisible()
    notes.toggle.setFocus()
    key(Qt.Key.Key_Space)  # open the box: the text gets the focus
    assert notes.text.isVisible() and focused() is notes.text
    type_("第三页的数据与附件二不一致，待核对")
    QTest.keyClick(notes.text, Qt.Key.Key_Tab)  # leaving saves
    assert ws.note(a) == "第三页的数据与附件二不一致，待核对"
    assert panel.saved.text().startswith("已保存 ")
    panel.show_application(b)
    assert notes.text.toPlainText() == ""
    panel.show_application(a)
    assert notes.text.toPlainText() == "第三页的数据与附件二不一致，待核对" and notes.text.isVisible()
