"""Qt item models over the overview service's rows.

Views never read the database: a background task fetches frozen rows
(:mod:`qbdesk.services.overview`) and hands them to these models; sorting
and filtering happen in :class:`ApplicationFilterProxy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from qbdesk.domain.programs import PROGRAM_CODES, blind_label, mode_label
from qbdesk.domain.programs import program as program_info
from qbdesk.gui import i18n
from qbdesk.services.overview import ApplicationRow, RoundSummary

AnyIndex = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole  # the row's dataclass (ApplicationRow) or program code
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # numbers for numeric columns, folded text otherwise


translate = QCoreApplication.translate  # this name, called with literals, is what lupdate extracts


def format_yuan(amount: int) -> str:
    """``¥300,000`` in English, ``300,000 元`` in Chinese (the translation moves the unit)."""
    return translate("Money", "¥{amount}").format(amount=f"{amount:,}")


class ApplicationTableModel(QAbstractTableModel):
    """One row per application; columns are the constants below."""

    ID, PROGRAM, APPLICANT, CREDIT_CODE, TITLE, AMOUNT, TIER, ITEMS, ATTACHMENTS, EXPERTS = range(10)
    HEADERS = (
        QT_TRANSLATE_NOOP("ApplicationTableModel", "ID"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Program"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Applicant"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Credit code"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Title"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Requested"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Tier"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Items"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Attachments"),
        QT_TRANSLATE_NOOP("ApplicationTableModel", "Experts"),
    )
    NUMERIC = frozenset({AMOUNT, ITEMS, ATTACHMENTS, EXPERTS})

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[ApplicationRow] = []

    def set_rows(self, rows: Sequence[ApplicationRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> ApplicationRow:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("ApplicationTableModel", self.HEADERS[section])
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(section)
        return super().headerData(section, orientation, role)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(col)
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role == ROW_ROLE:
            return r
        return None

    def _display(self, r: ApplicationRow, col: int) -> str:
        match col:
            case self.ID: return r.external_id
            case self.PROGRAM: return r.program
            case self.APPLICANT: return r.applicant_name
            case self.CREDIT_CODE: return r.credit_code
            case self.TITLE: return r.title
            case self.AMOUNT: return format_yuan(r.requested_amount)
            case self.TIER: return i18n.text(r.tier_label) if r.tier_label else (r.tier or "")
            case self.ITEMS: return str(r.item_count)
            case self.ATTACHMENTS: return f"{r.blind_attachments} / {r.nonblind_attachments}"
            case self.EXPERTS: return str(r.assigned_experts)
        return ""

    def _tooltip(self, r: ApplicationRow, col: int) -> str:
        match col:
            case self.PROGRAM: return f"{r.program} {program_info(r.program).name(i18n.current_language())}"
            case self.APPLICANT | self.CREDIT_CODE: return f"{r.applicant_name}\n{r.credit_code}"
            case self.TIER: return r.tier or ""
            case self.ATTACHMENTS:
                text = translate("ApplicationTableModel", "{blind} blind (experts may see them), {other} not blind")
                return text.format(blind=r.blind_attachments, other=r.nonblind_attachments)
            case self.EXPERTS:
                return translate("ApplicationTableModel", "{n} experts assigned").format(n=r.assigned_experts)
        return self._display(r, col)

    def _alignment(self, col: int) -> Qt.AlignmentFlag:
        horizontal = Qt.AlignmentFlag.AlignRight if col in self.NUMERIC else Qt.AlignmentFlag.AlignLeft
        return horizontal | Qt.AlignmentFlag.AlignVCenter

    def _sort_key(self, r: ApplicationRow, col: int) -> Any:
        match col:
            case self.PROGRAM: return int(r.program[1:]) if r.program[1:].isdigit() else 0
            case self.AMOUNT: return r.requested_amount
            case self.ITEMS: return r.item_count
            case self.ATTACHMENTS: return r.attachments
            case self.EXPERTS: return r.assigned_experts
        return self._display(r, col)


class ApplicationFilterProxy(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE`; keeps the rows of one program that match a search text."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._program: str | None = None
        self._needle = ""
        self.setSortRole(SORT_ROLE)
        self.setSortLocaleAware(True)  # Chinese names sort by the locale's collation

    def program(self) -> str | None:
        return self._program

    def set_program(self, code: str | None) -> None:
        self._refilter(lambda: setattr(self, "_program", code))

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_needle", text.strip().casefold()))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter() is deprecated there
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        row = self.sourceModel().index(source_row, 0, source_parent).data(ROW_ROLE)
        if row is None:
            return False
        if self._program is not None and row.program != self._program:
            return False
        if not self._needle:
            return True
        haystack = (row.external_id, row.title, row.applicant_name, row.credit_code)
        return any(self._needle in field.casefold() for field in haystack)


class ProgramListModel(QAbstractListModel):
    """“All” followed by P1..P9, each with its application count in the round."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._summary: RoundSummary | None = None
        self._codes: list[str | None] = [None, *PROGRAM_CODES]

    def set_summary(self, summary: RoundSummary | None) -> None:
        self.beginResetModel()
        self._summary = summary
        self.endResetModel()

    def row_of(self, code: str | None) -> int:
        return self._codes.index(code)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._codes)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        code = self._codes[index.row()]
        if role == ROW_ROLE:
            return code
        count = self._count(code)
        if role == Qt.ItemDataRole.DisplayRole:
            name = translate("ProgramListModel", "All") if code is None else f"{code} {self._name(code)}"
            return f"{name} ({count})" if self._summary is not None else name
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(code, count)
        if role == Qt.ItemDataRole.ForegroundRole and code is not None and not self._covered(code):
            return QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def _name(self, code: str) -> str:
        return program_info(code).name(i18n.current_language())

    def _count(self, code: str | None) -> int:
        if self._summary is None:
            return 0
        return self._summary.applications if code is None else self._summary.count(code).applications

    def _covered(self, code: str) -> bool:
        if self._summary is None:
            return False
        c = self._summary.count(code)
        return c.configured or c.applications > 0

    def _tooltip(self, code: str | None, count: int) -> str:
        total = (self._summary.requested_total if code is None else self._summary.count(code).requested_total) \
            if self._summary else 0
        lines = [translate("ProgramListModel", "All programs") if code is None
                 else translate("ProgramListModel", "{code} {name}, article {article}").format(
                     code=code, name=self._name(code), article=program_info(code).article)]
        lines.append(translate("ProgramListModel", "{n} applications, {amount} requested").format(
            n=count, amount=format_yuan(total)))
        if code is not None and self._summary is not None and self._summary.count(code).mode is not None:
            c = self._summary.count(code)  # 核准类 / 评审类, blind or open: the round's choice
            lines.append(f"{i18n.text(mode_label(c.mode))} · {i18n.text(blind_label(bool(c.blind)))}")
        if code is not None and not self._covered(code):
            lines.append(translate("ProgramListModel", "Not part of this round"))
        return "\n".join(lines)


__all__ = ["ApplicationTableModel", "ApplicationFilterProxy", "ProgramListModel", "ROW_ROLE", "SORT_ROLE",
           "format_yuan"]
