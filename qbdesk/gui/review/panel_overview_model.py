"""The table model behind "My overview": one program's applications × its criteria, and the total.

Built from the workspace's own values (``ReviewWorkspace.values``); read-only. The sort role
(``SORT_ROLE``) gives numbers for the score and total columns so that the proxy sorts 9 < 10.
Ties (two or more applications with the same total) and criteria never filled in are marked
with a background and a tooltip saying why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from qbdesk.domain.rubric import Criterion
from qbdesk.gui import i18n
from qbdesk.gui.review.panel_inputs import fmt

SORT_ROLE = Qt.ItemDataRole.UserRole
CODE_ROLE = Qt.ItemDataRole.UserRole + 1
COL_CODE, COL_TITLE = 0, 1
FIXED = 2  # columns before the criteria
TIE = QColor("#fde2b3")
EMPTY = QColor("#f6d5d5")
RECUSED = QColor("#e5e5e5")


translate = QCoreApplication.translate


@dataclass(frozen=True)
class Row:
    code: str
    title: str
    recused: bool
    values: dict[str, Any]
    total: float | None  # None: no score given yet (or recused)


class OverviewModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.criteria: tuple[Criterion, ...] = ()
        self.rows: list[Row] = []
        self._ties: Counter = Counter()

    def load(self, workspace, program: str) -> None:
        self.beginResetModel()
        apps = [a for a in workspace.applications if a.program == program]
        self.criteria = tuple(c for c in workspace.rubric(apps[0].code).criteria if c.kind != "opinion") if apps else ()
        recused = workspace.recusals
        rows = []
        for a in apps:
            values = workspace.values(a.code)
            rubric = workspace.rubric(a.code)
            has_score = any(isinstance(values.get(c.id), (int, float)) for c in rubric.score_criteria)
            total = rubric.weighted_total(values) if has_score and a.code not in recused else None
            rows.append(Row(a.code, a.title, a.code in recused, values, total))
        self.rows = rows
        self._ties = Counter(r.total for r in rows if r.total is not None)
        self.endResetModel()

    # --- shape -----------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else FIXED + len(self.criteria) + 1

    def total_column(self) -> int:
        return FIXED + len(self.criteria)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if section == COL_CODE:
            return translate("OverviewModel", "Code")
        if section == COL_TITLE:
            return translate("OverviewModel", "Title")
        if section == self.total_column():
            return translate("OverviewModel", "Total")
        c = self.criteria[section - FIXED]
        name = i18n.text(c.name)
        if c.kind == "score" and role == Qt.ItemDataRole.DisplayRole:
            return f"{name} ({fmt(c.max)})"
        return name

    # --- cells -----------------------------------------------------------------------------

    def _cell(self, row: Row, c: Criterion) -> tuple[str, Any, bool]:
        """(text, sort key, left empty)."""
        v = row.values.get(c.id)
        if c.kind == "score":
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
            return (fmt(v), float(v), False) if ok else ("—", -1.0, True)
        if c.kind == "check":
            if v is None:
                return "—", -1, True
            return (translate("OverviewModel", "pass"), 1, False) if v else (translate("OverviewModel", "fail"), 0, False)
        decided = v if isinstance(v, dict) else {}
        accepted = sum(1 for d in decided.values() if isinstance(d, dict) and d.get("accepted"))
        if not decided:
            return "—", -1, True
        return translate("OverviewModel", "{accepted} accepted of {decided}").format(accepted=accepted, decided=len(decided)), accepted, False

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role == CODE_ROLE:
            return row.code
        if col == COL_CODE:
            return {Qt.ItemDataRole.DisplayRole: row.code, SORT_ROLE: row.code,
                    Qt.ItemDataRole.BackgroundRole: QBrush(RECUSED) if row.recused else None,
                    Qt.ItemDataRole.ToolTipRole: translate("OverviewModel", "recused") if row.recused else None}.get(role)
        if col == COL_TITLE:
            return row.title if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.ToolTipRole) else None
        if col == self.total_column():
            return self._total_data(row, role)
        if row.recused:
            return {Qt.ItemDataRole.DisplayRole: "", SORT_ROLE: -2}.get(role)
        text, key, empty = self._cell(row, self.criteria[col - FIXED])
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == SORT_ROLE:
            return key
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if empty and role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(EMPTY)
        if empty and role == Qt.ItemDataRole.ToolTipRole:
            return translate("OverviewModel", "not filled in yet")
        return None

    def is_tie(self, row: Row) -> bool:
        return row.total is not None and self._ties[row.total] > 1

    def _total_data(self, row: Row, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return translate("OverviewModel", "recused") if row.recused else ("—" if row.total is None else fmt(row.total))
        if role == SORT_ROLE:
            return -2.0 if row.recused else (-1.0 if row.total is None else float(row.total))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self.is_tie(row):
            return QBrush(TIE)
        if role == Qt.ItemDataRole.ToolTipRole and self.is_tie(row):
            others = [r.code for r in self.rows if r is not row and r.total == row.total]
            return translate("OverviewModel", "Tie: the same total as {codes}").format(codes=", ".join(others))
        return None
