"""The scoring panel (评分): the program's rubric as a form, saved at once on every change.

Generated from the application's rubric (``ReviewWorkspace.rubric``): one row per criterion
(panel_rows, panel_items), the program's kind (verified / scored, blind / open) and the
coordinator's qualification facts above, the running total and each criterion's state at a
glance. Every change goes through ``ReviewWorkspace.check_edit`` / ``set_value`` (as a draft, so
that a score waiting for its required comment is kept) the moment it is made; what is still
needed is asked for then and there.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Criterion
from qbdesk.gui import i18n
from qbdesk.gui.review.panel_inputs import fmt
from qbdesk.gui.review.panel_items import ItemsRow
from qbdesk.gui.review.panel_notes import NotesBox
from qbdesk.gui.review.panel_rows import CheckRow, CriterionRow, OpinionRow, ScoreRow
from qbdesk.services.reviewer import ApplicationView, ReviewWorkspace


def criterion_problems(c: Criterion, app: ApplicationView, values: dict[str, Any], comments: dict[str, str]
                       ) -> list[tuple[str, Msg]]:
    """What a criterion still needs, as (item, message): the rubric's own judgement of the stored value."""
    if c.kind != "items":
        problem = c.validate_value(values.get(c.id), comments.get(c.id, ""))
        return [("", problem)] if problem else []
    decisions = values.get(c.id) or {}
    what = c.item or Msg("条目", "item")
    out = []
    for item in app.item_ids:
        if item not in decisions:
            if c.required:
                out.append((item, Msg(f"「{c.name.zh}」中 {what.zh} {item} 尚未判定",
                                      f"“{c.name.en}”: no decision yet on {what.en} {item}")))
            continue
        problem = c.validate_value({item: decisions[item]})
        if problem:
            out.append((item, problem))
    return out


FORMS_KEPT = 6  # rubric forms kept built (one per rubric and item layout)


class ScoringPanel(QWidget):
    changed = Signal(str)  # the application code, after each durable save
    savedStateChanged = Signal(str)  # what the saved-state label now says

    def __init__(self, workspace: ReviewWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scoringPanel")
        self.workspace = workspace
        self.code = ""
        self.app: ApplicationView | None = None
        self.rows: list[CriterionRow] = []
        self.read_only = False
        self._pending: tuple[CriterionRow, str] | None = None  # a comment asked for and not yet given
        self.kind = QLabel(self)
        self.kind.setObjectName("programKind")
        self.kind.setWordWrap(True)
        self.kind.setFrameShape(QFrame.Shape.StyledPanel)
        self.kind.setStyleSheet("QLabel#programKind { background: #fdf6e3; padding: 4px; }")
        self.qualification_toggle = QToolButton(self)
        self.qualification_toggle.setObjectName("qualificationToggle")
        self.qualification_toggle.setCheckable(True)
        self.qualification_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.qualification_toggle.setAutoRaise(True)
        self.qualification_toggle.toggled.connect(self._show_facts)
        self.qualification = QLabel(self)
        self.qualification.setObjectName("qualificationFacts")
        self.qualification.setWordWrap(True)
        self.qualification.setTextFormat(Qt.TextFormat.RichText)
        self.total = QLabel(self)
        self.total.setObjectName("runningTotal")
        self.progress = QLabel(self)
        self.progress.setObjectName("criteriaProgress")
        self.saved = QLabel(self)
        self.saved.setObjectName("savedState")
        self.error = QLabel(self)
        self.error.setObjectName("saveError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.hide()
        status = QHBoxLayout()
        status.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.total)
        status.addWidget(self.progress, 1)
        status.addWidget(self.saved)
        self.form = QWidget(self)
        self.form.setObjectName("rubricForm")
        self.form_layout = QVBoxLayout(self.form)
        self.form_layout.setContentsMargins(2, 2, 2, 2)
        self.form_layout.addWidget(self.qualification_toggle)
        self.form_layout.addWidget(self.qualification)  # then the rubric's rows (one page per rubric), notes
        self._forms: OrderedDict[tuple, tuple[QWidget, list[CriterionRow]]] = OrderedDict()
        self.notes = NotesBox(workspace, self.form)
        self.form_layout.addWidget(self.notes)
        self.form_layout.addStretch(1)
        self.notes.saved.connect(lambda: self._saved_now())
        self.notes.failed.connect(self._show_error)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("rubricScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        layout.addLayout(status)
        layout.addWidget(self.error)
        layout.addWidget(self.scroll, 1)
        shortcut = QShortcut(QKeySequence("Ctrl+J"), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.focus_next_incomplete)
        app = QApplication.instance()
        app.focusChanged.connect(self._focus_changed)
        self._set_saved_text(self.tr("Every change is saved at once"))
        self.retranslate()

    # --- language --------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.total.setAccessibleName(self.tr("Running total"))
        self.progress.setAccessibleName(self.tr("Criteria completed"))
        self.saved.setAccessibleName(self.tr("Saved state"))
        self.qualification.setAccessibleName(self.tr("Qualification check by the coordinator (read-only)"))
        self.kind.setAccessibleName(self.tr("How this program is reviewed"))
        self.notes.retranslate()
        for _page, rows in self._forms.values():
            for row in rows:
                row.retranslate()
        if self.app is not None:
            self._header()
            self._refresh_states()

    # --- showing an application ------------------------------------------------------------

    def show_application(self, code: str) -> None:
        app = self.workspace.application(code)
        self.notes.commit()
        self._commit_focused()
        self.code, self.app, self._pending = code, app, None
        self.setUpdatesEnabled(False)
        try:
            page, self.rows = self._form_for(app)
            for other, _rows in self._forms.values():
                if other is not page:
                    other.hide()
            page.show()
            self.qualification_toggle.setVisible(bool(app.qualification))
            # the facts open by themselves when one failed; all passed: one line, open on request
            self.qualification_toggle.setChecked(any(f.result != "pass" for f in app.qualification))
            self._show_facts(self.qualification_toggle.isChecked())
            self._load_values()
            self.notes.show_application(code)
            self._header()
            self._refresh_states()
            self.set_read_only(self.read_only)
            self.error.hide()
            self._set_saved_text(self.tr("Every change is saved at once"))
        finally:
            self.setUpdatesEnabled(True)
        self.scroll.verticalScrollBar().setValue(0)

    def _form_for(self, app: ApplicationView) -> tuple[QWidget, list[CriterionRow]]:
        """The rows for this application's rubric and items: built once, then reused (switching stays fast)."""
        key = (app.rubric_hash, tuple((it.id, it.tier) for it in app.items))
        if key in self._forms:
            self._forms.move_to_end(key)
            page, rows = self._forms[key]
            for row in rows:
                if isinstance(row, ItemsRow):
                    row.items = app.items
                    row.retranslate()  # this application's item titles
            return page, rows
        page = QWidget(self.form)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        tiers = self.workspace.program_view(app.program).tiers
        rows = []
        for c in self.workspace.rubric(app.code).criteria:
            row = self._make_row(c, app, tiers, page)
            row.edited.connect(lambda item, value, comment, row=row: self._edited(row, item, value, comment))
            row.advance.connect(lambda row=row: self._advance(row))
            rows.append(row)
            page_layout.addWidget(row)
        self.form_layout.insertWidget(1, page)
        self._forms[key] = (page, rows)
        while len(self._forms) > FORMS_KEPT:
            old, _ = self._forms.popitem(last=False)[1]
            old.hide()
            old.deleteLater()
        return page, rows

    def _make_row(self, c: Criterion, app: ApplicationView, tiers, parent: QWidget) -> CriterionRow:
        if c.kind == "score":
            return ScoreRow(c, parent)
        if c.kind == "check":
            return CheckRow(c, parent)
        if c.kind == "items":
            return ItemsRow(c, app.items, tiers, parent)
        return OpinionRow(c, parent)

    def _load_values(self) -> None:
        values, comments = self.workspace.values(self.code), self.workspace.comments(self.code)
        for row in self.rows:
            row.load(values.get(row.criterion.id), comments.get(row.criterion.id, ""))

    def _header(self) -> None:
        app = self.app
        assert app is not None
        pv = self.workspace.program_view(app.program)
        if pv.mode == "verified":
            text = self.tr("Verified program (核准类): you check the items and the gates against the evidence; "
                           "the scores are not a competition between applications.")
        else:
            text = self.tr("Scored program (评审类): score each criterion against its bands; applications are ranked "
                           "by their totals.")
        notice = pv.notice
        if notice is not None:
            text += "\n" + i18n.text(notice)
        else:
            text += "\n" + self.tr("Blind review: the applicant is not named in anything you see.")
        self.kind.setText(text)
        if app.qualification:
            lang = i18n.current_language()
            facts = "".join(f"<li>{html.escape(f.text(lang))}</li>" for f in app.qualification)
            self.qualification.setText(f"<ul style='margin:0'>{facts}</ul>")
            passed = sum(f.result == "pass" for f in app.qualification)
            self.qualification_toggle.setText(self.tr(
                "Qualification check by the coordinator (read-only): {passed} of {count} passed").format(
                    passed=passed, count=len(app.qualification)))
            self.qualification_toggle.setAccessibleName(self.qualification_toggle.text())

    def _show_facts(self, on: bool) -> None:
        self.qualification_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.qualification.setVisible(on and bool(self.app and self.app.qualification))

    # --- states ----------------------------------------------------------------------------

    def criterion_state(self, row: CriterionRow, values: dict, comments: dict) -> tuple[str, list[tuple[str, Msg]]]:
        assert self.app is not None
        c = row.criterion
        problems = criterion_problems(c, self.app, values, comments)
        value = values.get(c.id)
        empty = value is None or value == {} or (isinstance(value, str) and not value.strip())
        if empty:
            return ("empty" if problems or not c.required else "complete"), problems
        return ("incomplete" if problems else "complete"), problems

    def _refresh_states(self) -> None:
        if self.app is None:
            return
        values, comments = self.workspace.values(self.code), self.workspace.comments(self.code)
        done = 0
        for row in self.rows:
            state, problems = self.criterion_state(row, values, comments)
            done += not problems
            row.set_state(state, problems[0][1] if problems else None, show_problem=state == "incomplete")
            if isinstance(row, ScoreRow):
                row.comment_needed(bool(problems) and state == "incomplete")
        rubric = self.workspace.rubric(self.code)
        total = rubric.weighted_total(values)
        top = sum(c.weight * c.max for c in rubric.score_criteria)
        self.total.setText(self.tr("Total {total} / {max}").format(total=fmt(total), max=fmt(top)) if top else "")
        self.progress.setText(self.tr("{done} of {count} criteria complete").format(done=done, count=len(self.rows)))

    def _set_saved_text(self, text: str) -> None:
        self.saved.setText(text)
        self.savedStateChanged.emit(text)

    def _saved_now(self) -> None:
        self._set_saved_text(self.tr("Saved {time}").format(time=datetime.now().strftime("%H:%M:%S")))
        self.error.hide()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self._set_saved_text(self.tr("Not saved"))

    # --- editing ---------------------------------------------------------------------------

    def _edited(self, row: CriterionRow, item: str, value: Any, comment: str) -> None:
        if self.read_only or not self.code:
            return
        cid = row.criterion.id
        problem = self.workspace.check_edit(self.code, cid, item, value, comment, draft=True)
        if problem is not None:
            self._revert(row)
            row.show_problem(self.tr("Not saved: {why}").format(why=i18n.text(problem)))
            return
        try:
            changed = self.workspace.set_value(self.code, cid, value, comment, item=item, draft=True)
        except Exception as exc:  # the disk said no: the stored value stays the truth and is shown again
            self._show_error(self.tr("Not saved: {why}").format(why=i18n.error_text(exc)))
            self._load_values()
            self._refresh_states()
            return
        if changed:
            self._saved_now()
            self.changed.emit(self.code)
        self._refresh_states()
        self._ask_for_comment(row, item, value)

    def _revert(self, row: CriterionRow) -> None:
        """Show what is stored again (an opinion keeps its text: the expert is still typing it)."""
        if not isinstance(row, OpinionRow):
            cid = row.criterion.id
            row.load(self.workspace.value(self.code, cid), self.workspace.comment(self.code, cid))

    def _ask_for_comment(self, row: CriterionRow, item: str, value: Any) -> None:
        """A comment or reason that has just become required is asked for at once."""
        values, comments = self.workspace.values(self.code), self.workspace.comments(self.code)
        problems = dict(criterion_problems(row.criterion, self.app, values, comments))
        kind = row.criterion.kind
        needs = value is not None and item in problems and kind in ("score", "check", "items") and (
            kind != "items" or value.get("accepted") is False)
        if needs:
            self._pending = (row, item)
            row.require_comment(item)
        elif self._pending and self._pending[0] is row and self._pending[1] == item:
            self._pending = None

    def _advance(self, row: CriterionRow) -> None:
        if self._pending and self._pending[0] is row:
            row.require_comment(self._pending[1])
            return
        i = self.rows.index(row)
        if i + 1 < len(self.rows):
            self.rows[i + 1].focus_input()
        else:
            self.notes.toggle.setFocus(Qt.FocusReason.OtherFocusReason)

    def _commit_focused(self) -> None:
        """Before the form is replaced, what is being typed is committed like any focus change."""
        w = QApplication.focusWidget()
        if w is not None and self.form.isAncestorOf(w):
            w.clearFocus()

    # --- navigation ------------------------------------------------------------------------

    def focus_criterion(self, criterion_id: str, item: str = "") -> bool:
        for row in self.rows:
            if row.criterion.id == criterion_id:
                row.focus_input(item)
                self.scroll.ensureWidgetVisible(row, 0, 20)
                return True
        return False

    def focus_next_incomplete(self) -> bool:
        """Focus the first criterion (after the focused one, wrapping) that still needs something."""
        if self.app is None:
            return False
        values, comments = self.workspace.values(self.code), self.workspace.comments(self.code)
        focused = QApplication.focusWidget()
        start = next((i for i, r in enumerate(self.rows) if focused is not None and r.isAncestorOf(focused)), -1)
        order = self.rows[start + 1:] + self.rows[:start + 1]
        for row in order:
            problems = criterion_problems(row.criterion, self.app, values, comments)
            if problems:
                item = problems[0][0]
                row.focus_input(item)
                self.scroll.ensureWidgetVisible(row, 0, 20)
                return True
        return False

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self.form.isAncestorOf(new):
            self.scroll.ensureWidgetVisible(new, 10, 30)
            # again once the layout has settled (a form just shown has no final geometry yet)
            QTimer.singleShot(0, new, lambda: self.scroll.ensureWidgetVisible(new, 10, 30) if new.isVisible() else None)

    def set_read_only(self, on: bool) -> None:
        self.read_only = on
        for row in self.rows:
            row.set_read_only(on)
