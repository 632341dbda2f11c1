"""The ``items`` criterion: accept or reject each countable item, with a reason on reject, and for a
tiered program (P5, P7) the item's tier confirmed or corrected from the round's tier table."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Criterion
from qbdesk.gui import i18n
from qbdesk.gui.review.panel_rows import CommentField, CriterionRow, _mark
from qbdesk.services.reviewer import ItemView


class _Combo(QComboBox):
    """Enter moves on instead of opening the list (the arrow keys choose)."""

    def __init__(self, row: ItemsRow, parent: QWidget):
        super().__init__(parent)
        self._row = row

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._row.advance.emit()
            return
        super().keyPressEvent(event)


class ItemsRow(CriterionRow):
    def __init__(self, criterion: Criterion, items: tuple[ItemView, ...], tiers: Mapping[str, Msg],
                 parent: QWidget | None = None):
        super().__init__(criterion, parent)
        self.items = items
        self.tiers = dict(tiers)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        self.labels: dict[str, QLabel] = {}
        self.decisions: dict[str, QComboBox] = {}
        self.tier_boxes: dict[str, QComboBox] = {}
        self.reasons: dict[str, CommentField] = {}
        for r, it in enumerate(items):
            label = QLabel(self)
            label.setWordWrap(True)
            decision = _Combo(self, self)
            decision.setObjectName(f"itemDecision_{it.id}")
            decision.activated.connect(lambda _i, item=it.id: self._changed(item))
            reason = CommentField(self)
            reason.setObjectName(f"itemReason_{it.id}")
            reason.hide()
            reason.committed.connect(lambda _t, item=it.id: self._changed(item))
            reason.advance.connect(self.advance)
            # the item on its own line, then its decision and tier, then the reason (when rejected)
            self.grid.addWidget(label, 3 * r, 0, 1, 2)
            self.grid.addWidget(decision, 3 * r + 1, 0)
            if self.tiers:
                tier = _Combo(self, self)
                tier.setObjectName(f"itemTier_{it.id}")
                tier.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                tier.setMinimumContentsLength(12)  # long tier names are elided, not pushing the panel wider
                tier.activated.connect(lambda _i, item=it.id: self._changed(item))
                self.grid.addWidget(tier, 3 * r + 1, 1)
                self.tier_boxes[it.id] = tier
            self.grid.addWidget(reason, 3 * r + 2, 0, 1, 2)
            self.labels[it.id], self.decisions[it.id], self.reasons[it.id] = label, decision, reason
        self.none = QLabel(self)
        self.none.setVisible(not items)
        self.body.addLayout(self.grid)
        self.body.addWidget(self.none)
        self.body.addWidget(self.problem)
        self.retranslate()

    def _what(self) -> str:
        return i18n.text(self.criterion.item or Msg("条目", "item"))

    def tier_name(self, key: str) -> str:
        name = self.tiers.get(key)
        return i18n.text(name) if name else key

    def retranslate(self) -> None:
        what = self._what()
        self.title.setText(self.header_html(html.escape(self.tr(" — accept or reject each {what}").format(what=what))))
        self.none.setText(self.tr("The application lists no {what}.").format(what=what))
        for it in self.items:
            text = f"{it.id} · {it.title}" + (f" · {it.date}" if it.date else "")
            if it.tier:
                text += " · " + self.tr("declared: {tier}").format(tier=self.tier_name(it.tier))
            self.labels[it.id].setText(text)
            d = self.decisions[it.id]
            current = d.currentIndex()
            d.clear()
            for label, value in (("—", None), (self.tr("Accept"), True), (self.tr("Reject"), False)):
                d.addItem(label, value)
            d.setCurrentIndex(max(0, current))
            d.setAccessibleName(self.tr("{what} {id}: accept or reject").format(what=what, id=it.id))
            r = self.reasons[it.id]
            r.setAccessibleName(self.tr("Reason for rejecting {what} {id}").format(what=what, id=it.id))
            r.setPlaceholderText(self.tr("Reason for the rejection (required)"))
            if it.id in self.tier_boxes:
                t = self.tier_boxes[it.id]
                current = t.currentData()
                t.clear()
                if it.tier not in self.tiers:
                    t.addItem(self.tr("(choose the tier)"), "")
                for key in self.tiers:
                    t.addItem(self.tier_name(key), key)
                t.setCurrentIndex(max(0, t.findData(current if current is not None else it.tier)))
                t.setAccessibleName(self.tr("Tier of {what} {id} (declared: {tier})").format(
                    what=what, id=it.id, tier=self.tier_name(it.tier) if it.tier else "—"))
                t.setToolTip(t.accessibleName())

    def _decision(self, item: str) -> Any:
        accepted = self.decisions[item].currentData()
        if accepted is None:
            return None
        value: dict[str, Any] = {"accepted": accepted, "reason": "" if accepted else self.reasons[item].text().strip()}
        if accepted and item in self.tier_boxes and self.tier_boxes[item].currentData():
            value["tier"] = self.tier_boxes[item].currentData()
        return value

    def _changed(self, item: str) -> None:
        rejected = self.decisions[item].currentData() is False
        self.reasons[item].setVisible(rejected)
        if item in self.tier_boxes:
            self.tier_boxes[item].setEnabled(self.decisions[item].currentData() is not False)
        self.edited.emit(item, self._decision(item), "")

    def load(self, value: Any, comment: str) -> None:
        decisions = value if isinstance(value, dict) else {}
        for it in self.items:
            d = decisions.get(it.id)
            accepted = d.get("accepted") if isinstance(d, dict) else None
            self.decisions[it.id].setCurrentIndex({True: 1, False: 2}.get(accepted, 0))
            self.reasons[it.id].set_stored(d.get("reason", "") if isinstance(d, dict) else "")
            self.reasons[it.id].setVisible(accepted is False)
            _mark(self.reasons[it.id], False)
            if it.id in self.tier_boxes:
                box = self.tier_boxes[it.id]
                tier = (d.get("tier") if isinstance(d, dict) else None) or it.tier
                box.setCurrentIndex(max(0, box.findData(tier)))
                box.setEnabled(accepted is not False)

    def item_state(self, item: str) -> str:
        return "empty" if self.decisions[item].currentData() is None else "set"

    def require_comment(self, item: str = "") -> None:
        if item in self.reasons:
            self.reasons[item].show()
            _mark(self.reasons[item], True)
            self.reasons[item].setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_input(self, item: str = "") -> None:
        target = self.decisions.get(item) or next(iter(self.decisions.values()), None)
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def inputs(self) -> list[QWidget]:
        out: list[QWidget] = []
        for it in self.items:
            out.append(self.decisions[it.id])
            if it.id in self.tier_boxes:
                out.append(self.tier_boxes[it.id])
            out.append(self.reasons[it.id])
        return out
