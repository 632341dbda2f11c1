"""One row of the scoring panel per rubric criterion: score, check, items, opinion.

A row shows what the rubric says (bands, step, range, minimum length), holds the inputs and
emits ``edited(item, value, comment)`` for the panel to validate and save; it never saves itself.
``show_problem`` and ``require_comment`` are how the panel tells the expert what is still needed.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Criterion
from qbdesk.gui import i18n
from qbdesk.gui.review.panel_inputs import ScoreEdit, fmt

STATUS = {"empty": "○", "incomplete": "!", "complete": "✓"}


RED, GREEN, GREY = QColor("#c0392b"), QColor("#1e8449"), QColor("#7f8c8d")


def _mark(widget: QWidget, needed: bool) -> None:
    """Mark an input as needing attention (red frame via the ``needed`` property)."""
    if bool(widget.property("needed")) == needed:
        return  # style sheets cost a re-polish: only when it changes
    widget.setProperty("needed", needed)
    widget.setStyleSheet("[needed=\"true\"] { border: 2px solid #c0392b; }" if needed else "")


def colour(widget: QWidget, color: QColor | None) -> None:
    """Text colour through the palette (a style sheet per label would re-polish on every change)."""
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, color if color is not None else
                     widget.parentWidget().palette().color(QPalette.ColorRole.WindowText) if widget.parentWidget()
                     else palette.color(QPalette.ColorRole.WindowText))
    widget.setPalette(palette)


class CriterionRow(QFrame):
    edited = Signal(str, object, str)  # item ("" unless items), value (None clears), comment / reason
    advance = Signal()  # the expert pressed Enter: go to the next criterion

    def __init__(self, criterion: Criterion, parent: QWidget | None = None):
        super().__init__(parent)
        self.criterion = criterion
        self.setObjectName(f"criterion_{criterion.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("criterionStatus")
        bold = self.status_label.font()
        bold.setBold(True)
        self.status_label.setFont(bold)
        self.title = QLabel(self)
        self.title.setObjectName("criterionTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.problem = QLabel(self)
        self.problem.setObjectName("criterionProblem")
        self.problem.setWordWrap(True)
        colour(self.problem, RED)
        self.problem.hide()
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.status_label, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(6, 4, 6, 4)
        self.body.setSpacing(3)
        self.body.addLayout(head)
        self.state = "empty"

    def name(self) -> str:
        return i18n.text(self.criterion.name)

    def header_html(self, extra: str = "") -> str:
        c = self.criterion
        req = "" if c.required else " " + html.escape(self.tr("(optional)"))
        return f"<b>{html.escape(self.name())}</b>{req}{extra}"

    def set_state(self, state: str, problem: Msg | None, *, show_problem: bool) -> None:
        self.state = state
        self.status_label.setText(STATUS[state])
        self.status_label.setToolTip({"empty": self.tr("not filled in yet"), "incomplete": self.tr("incomplete"),
                                      "complete": self.tr("complete")}[state])
        self.status_label.setAccessibleName(self.status_label.toolTip())
        colour(self.status_label, {"empty": GREY, "incomplete": RED, "complete": GREEN}[state])
        self.show_problem(i18n.text(problem) if (problem and show_problem) else "")

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # overridden
    def load(self, value: Any, comment: str) -> None: ...
    def inputs(self) -> list[QWidget]: return []
    def focus_input(self, item: str = "") -> None:
        if self.inputs():
            self.inputs()[0].setFocus(Qt.FocusReason.OtherFocusReason)
    def require_comment(self, item: str = "") -> None: ...
    def set_read_only(self, on: bool) -> None:
        for w in self.inputs():
            if isinstance(w, (QLineEdit, QPlainTextEdit)):
                w.setReadOnly(on)
            else:
                w.setEnabled(not on)


class CommentField(QLineEdit):
    """A comment or reason: committed when Enter is pressed or focus leaves, if it changed."""

    committed = Signal(str)
    advance = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._stored = ""
        self.setMaxLength(2000)

    def set_stored(self, text: str) -> None:
        self._stored = text
        self.setText(text)

    def _commit(self) -> None:
        if self.text().strip() != self._stored.strip():
            self._stored = self.text()
            self.committed.emit(self.text().strip())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._commit()
            self.advance.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if not self.isReadOnly():
            self._commit()
        super().focusOutEvent(event)


class ScoreRow(CriterionRow):
    def __init__(self, criterion: Criterion, parent: QWidget | None = None):
        super().__init__(criterion, parent)
        c = criterion
        self.edit = ScoreEdit(c.max, c.step, self)
        self.edit.setObjectName("scoreInput")
        self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0000.00") + 24)
        self.range_label = QLabel(self)
        self.bands = QLabel(self)
        self.bands.setObjectName("bands")
        self.bands.setWordWrap(True)
        self.bands.setTextFormat(Qt.TextFormat.RichText)
        self.bands.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.comment_button = QToolButton(self)
        self.comment_button.setObjectName("addComment")
        self.comment_button.clicked.connect(lambda: self._show_comment(True))
        self.comment = CommentField(self)
        self.comment.setObjectName("scoreComment")
        self.comment.hide()
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.edit, 0, 0)
        grid.addWidget(self.range_label, 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.comment_button, 2, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.bands, 0, 1, 3, 1)
        grid.setColumnStretch(1, 1)
        self.body.addLayout(grid)
        self.body.addWidget(self.comment)
        self.body.addWidget(self.problem)
        self.edit.committed.connect(lambda v: self.edited.emit("", v, self.comment.text().strip()))
        self.edit.refused.connect(self._refused)
        self.edit.advance.connect(self.advance)
        self.edit.textChanged.connect(self._highlight_band)
        self.comment.committed.connect(lambda text: self.edited.emit("", self.edit.stored(), text)
                                       if self.edit.stored() is not None else None)
        self.comment.advance.connect(self.advance)
        self.retranslate()

    def retranslate(self) -> None:
        c = self.criterion
        self.title.setText(self.header_html(html.escape(self.tr(" — up to {max} points").format(max=fmt(c.max)))))
        self.range_label.setText(self.tr("0–{max}, step {step}").format(max=fmt(c.max), step=fmt(c.step)))
        self.edit.setAccessibleName(self.tr("Score for {name} (0 to {max}, step {step})").format(
            name=self.name(), max=fmt(c.max), step=fmt(c.step)))
        self.edit.setToolTip(i18n.text(c.guidance) or self.edit.accessibleName())
        self.edit.setPlaceholderText("—")
        self.comment_button.setText(self.tr("Comment…"))
        self.comment_button.setAccessibleName(self.tr("Add a comment on {name}").format(name=self.name()))
        self.comment.setAccessibleName(self.tr("Comment on the score for {name}").format(name=self.name()))
        self.comment.setPlaceholderText(self.tr("Comment (why this score)"))
        self._highlight_band(self.edit.text())

    def _refused(self, why: str) -> None:
        self.show_problem(self.tr("Not accepted: {why}").format(why=why))

    def _highlight_band(self, text: str = "") -> None:
        try:
            value = float(text) if text.strip() else None
        except ValueError:
            value = None
        rows = []
        for b in self.criterion.bands:
            here = value is not None and b.contains(value)
            line = (f"{html.escape(i18n.text(b.label))} {fmt(b.min)}–{fmt(b.max)}："
                    f"{html.escape(i18n.text(b.meaning))}")
            rows.append(f"<b>▶ {line}</b>" if here else line)
        self.bands.setText("<br>".join(rows))
        self.bands.setAccessibleName(self.tr("Bands for {name}").format(name=self.name()))

    def _show_comment(self, focus: bool) -> None:
        self.comment.show()
        self.comment_button.hide()
        if focus:
            self.comment.setFocus(Qt.FocusReason.OtherFocusReason)

    def load(self, value: Any, comment: str) -> None:
        self.edit.set_stored(value if isinstance(value, (int, float)) and not isinstance(value, bool) else None)
        self.comment.set_stored(comment)
        self.comment.setVisible(bool(comment))
        self.comment_button.setVisible(not comment)
        _mark(self.comment, False)

    def require_comment(self, item: str = "") -> None:
        self._show_comment(True)
        _mark(self.comment, True)

    def comment_needed(self, on: bool) -> None:
        _mark(self.comment, on and not self.comment.text().strip())

    def inputs(self) -> list[QWidget]:
        return [self.edit, self.comment_button, self.comment]


class CheckRow(CriterionRow):
    """A pass/fail gate; a fail asks for its reason at once."""

    def __init__(self, criterion: Criterion, parent: QWidget | None = None):
        super().__init__(criterion, parent)
        self.choice = QComboBox(self)
        self.choice.setObjectName("checkInput")
        self.reason = CommentField(self)
        self.reason.setObjectName("checkReason")
        self.reason.hide()
        self.guidance = QLabel(self)
        self.guidance.setWordWrap(True)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.choice)
        line.addWidget(self.guidance, 1)
        self.body.addLayout(line)
        self.body.addWidget(self.reason)
        self.body.addWidget(self.problem)
        self.choice.activated.connect(self._chosen)
        self.reason.committed.connect(lambda text: self.edited.emit("", False, text))
        self.reason.advance.connect(self.advance)
        self.retranslate()

    def retranslate(self) -> None:
        current = self.choice.currentIndex()
        self.choice.clear()
        for text, value in (("—", None), (self.tr("Pass"), True), (self.tr("Fail"), False)):
            self.choice.addItem(text, value)
        self.choice.setCurrentIndex(max(0, current))
        self.title.setText(self.header_html())
        self.guidance.setText(i18n.text(self.criterion.guidance))
        self.choice.setAccessibleName(self.tr("{name}: pass or fail").format(name=self.name()))
        self.reason.setAccessibleName(self.tr("Reason for failing {name}").format(name=self.name()))
        self.reason.setPlaceholderText(self.tr("Reason for the fail (required)"))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.advance.emit()
            return
        super().keyPressEvent(event)

    def _chosen(self, index: int) -> None:
        value = self.choice.itemData(index)
        self.reason.setVisible(value is False)
        self.edited.emit("", value, self.reason.text().strip() if value is False else "")

    def load(self, value: Any, comment: str) -> None:
        self.choice.setCurrentIndex({None: 0, True: 1, False: 2}.get(value if isinstance(value, bool) else None, 0))
        self.reason.set_stored(comment)
        self.reason.setVisible(value is False)
        _mark(self.reason, False)

    def require_comment(self, item: str = "") -> None:
        self.reason.show()
        _mark(self.reason, True)
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def inputs(self) -> list[QWidget]:
        return [self.choice, self.reason]


class OpinionRow(CriterionRow):
    """The written opinion, with its length counted live against the minimum."""

    def __init__(self, criterion: Criterion, parent: QWidget | None = None):
        super().__init__(criterion, parent)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("opinionInput")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(self.fontMetrics().lineSpacing() * 5)
        self.count = QLabel(self)
        self.count.setObjectName("opinionCount")
        self.body.addWidget(self.text)
        self.body.addWidget(self.count)
        self.body.addWidget(self.problem)
        self._stored = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(600)
        self._timer.timeout.connect(self.commit)
        self.text.textChanged.connect(self._typed)
        self.text.installEventFilter(self)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.header_html())
        self.text.setAccessibleName(self.tr("Opinion: {name}").format(name=self.name()))
        self.text.setPlaceholderText(i18n.text(self.criterion.guidance))
        self._count()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.text:
            if event.type() == event.Type.FocusOut:
                self.commit()
            elif (event.type() == event.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                  and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                self.commit()
                self.advance.emit()
                return True
        return super().eventFilter(obj, event)

    def characters(self) -> int:
        return sum(1 for ch in self.text.toPlainText() if not ch.isspace())

    def _count(self) -> None:
        n, need = self.characters(), self.criterion.min_length
        if need:
            self.count.setText(self.tr("{n} characters (at least {min})").format(n=n, min=need))
            colour(self.count, None if n >= need else RED)
        else:
            self.count.setText(self.tr("{n} characters").format(n=n))
        self.count.setAccessibleName(self.count.text())

    def _typed(self) -> None:
        self._count()
        if not self.text.isReadOnly():
            self._timer.start()

    def commit(self) -> None:
        self._timer.stop()
        text = self.text.toPlainText()
        if text != self._stored and not self.text.isReadOnly():
            self._stored = text
            self.edited.emit("", text if text.strip() else None, "")

    def load(self, value: Any, comment: str) -> None:
        self._timer.stop()
        self._stored = value if isinstance(value, str) else ""
        self.text.blockSignals(True)
        self.text.setPlainText(self._stored)
        self.text.blockSignals(False)
        self._count()

    def inputs(self) -> list[QWidget]:
        return [self.text]
