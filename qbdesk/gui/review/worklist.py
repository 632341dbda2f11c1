"""The work list (objectName ``workList``): the expert's applications by program, under their opaque codes.

A table model over :meth:`ReviewWorkspace.progress` (state and counts per application) behind
a filter proxy (program, state); recused applications leave the list unless the state filter
asks for them. Only codes, program codes and counts are shown: never a title or an applicant.

Built for a quick start on 500 rows: each row's texts and sort keys are made once (``data`` and
``lessThan`` only look them up), the list is sorted once, and the column widths come from the
font's metrics of the longest texts, not from asking every row (``resizeColumnToContents``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from qbdesk.domain.programs import program as program_info
from qbdesk.gui import i18n
from qbdesk.services.reviewer import ReviewWorkspace

AnyIndex = QModelIndex | QPersistentModelIndex
CODE_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
translate = QCoreApplication.translate

NOT_STARTED, IN_PROGRESS, COMPLETE, RECUSED = "not_started", "in_progress", "complete", "recused"
STATES = (NOT_STARTED, IN_PROGRESS, COMPLETE, RECUSED)
STATE_NAMES = {
    NOT_STARTED: QT_TRANSLATE_NOOP("WorkListModel", "not started"),
    IN_PROGRESS: QT_TRANSLATE_NOOP("WorkListModel", "in progress"),
    COMPLETE: QT_TRANSLATE_NOOP("WorkListModel", "complete"),
    RECUSED: QT_TRANSLATE_NOOP("WorkListModel", "recused"),
}


@dataclass(frozen=True)
class WorkRow:
    code: str
    program: str
    state: str
    done: int  # required values given
    total: int  # required values in the rubric (an items criterion: one per item)


def _required(ws: ReviewWorkspace, code: str) -> int:
    app = ws.application(code)
    return sum((len(app.item_ids) if c.kind == "items" else 1) for c in ws.rubric(code).criteria if c.required)


def work_rows(ws: ReviewWorkspace, totals: dict[str, int] | None = None) -> list[WorkRow]:
    totals = totals if totals is not None else {}
    rows = []
    for p in ws.progress():
        total = totals.get(p.code)
        if total is None:
            total = totals[p.code] = _required(ws, p.code)
        if p.recused:
            state = RECUSED
        elif p.missing == 0:
            state = COMPLETE
        elif p.missing >= total:  # every required value still missing (no copy of the values needed)
            state = NOT_STARTED
        else:
            state = IN_PROGRESS
        rows.append(WorkRow(p.code, p.program, state, 0 if p.recused else max(total - p.missing, 0), total))
    return rows


class WorkListModel(QAbstractTableModel):
    CODE, PROGRAM, STATE, PROGRESS = range(4)
    HEADERS = (
        QT_TRANSLATE_NOOP("WorkListModel", "Code"),
        QT_TRANSLATE_NOOP("WorkListModel", "Program"),
        QT_TRANSLATE_NOOP("WorkListModel", "State"),
        QT_TRANSLATE_NOOP("WorkListModel", "Done"),
    )

    def __init__(self, workspace: ReviewWorkspace, parent=None):
        super().__init__(parent)
        self._ws = workspace
        self._totals: dict[str, int] = {}
        self.rows: list[WorkRow] = work_rows(workspace, self._totals)
        self._index = {r.code: i for i, r in enumerate(self.rows)}
        self._state_names = {s: translate("WorkListModel", STATE_NAMES[s]) for s in STATES}
        self.texts: list[tuple[str, str, str, str]] = [self._texts(r) for r in self.rows]
        self.sort_keys: list[tuple] = [self._sort_key(r) for r in self.rows]

    def _texts(self, row: WorkRow) -> tuple[str, str, str, str]:
        """What each column shows, made once per row (``data`` is asked for it thousands of times)."""
        done = "—" if row.state == RECUSED else f"{row.done}/{row.total}"
        return row.code, row.program, self._state_names[row.state], done

    @staticmethod
    def _sort_key(row: WorkRow) -> tuple:
        """Per column, what the list sorts by: code, (program, code), state in order, share done."""
        share = row.done / row.total if row.total else 1.0
        return row.code, (row.program, row.code), STATES.index(row.state), share

    def refresh(self) -> None:
        """Re-read the states (after a save, a recusal); only the rows that changed are signalled."""
        fresh = work_rows(self._ws, self._totals)
        for i, (old, new) in enumerate(zip(self.rows, fresh)):
            if old != new:
                self.rows[i] = new
                self.texts[i] = self._texts(new)
                self.sort_keys[i] = self._sort_key(new)
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))

    def column_texts(self, column: int) -> set[str]:
        """Every text the column may show: its rows' now, and (the state column) every state's name."""
        texts = {t[column] for t in self.texts}
        if column == self.STATE:
            texts.update(self._state_names.values())
        return texts

    def row_of(self, code: str) -> int:
        return self._index.get(code, -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("WorkListModel", self.HEADERS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts[i][col]
        row = self.rows[i]
        if role == CODE_ROLE:
            return row.code
        if role == STATE_ROLE:
            return row.state
        if role == SORT_ROLE:
            return self.sort_keys[i][col]
        if role == Qt.ItemDataRole.ToolTipRole and col == self.PROGRAM:
            return program_info(row.program).name(i18n.current_language())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return translate("WorkListModel", "{code}, {program}, {state}, {done} of {total} done").format(
                code=row.code, program=row.program, state=self.texts[i][self.STATE], done=row.done, total=row.total)
        if role == Qt.ItemDataRole.ForegroundRole and row.state == RECUSED:
            from PySide6.QtGui import QColor

            return QColor("#808080")
        return None


class WorkListFilter(QSortFilterProxyModel):
    """Program and state filters; ``ACTIVE`` (the default) is every state but recused."""

    ACTIVE, ALL = "active", "all"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.program = ""
        self.state = self.ACTIVE
        self.setSortRole(SORT_ROLE)

    def set_filters(self, program: str, state: str) -> None:
        self.refilter(lambda: setattr(self, "program", program) or setattr(self, "state", state))

    def refilter(self, change=None) -> None:
        """Apply a filter change (or the rows' new states) the way this Qt wants it."""
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            if change is not None:
                change()
            self.endFilterChange()
        else:
            if change is not None:
                change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        row = self.sourceModel().rows[source_row]
        if self.program and row.program != self.program:
            return False
        if self.state == self.ACTIVE:
            return row.state != RECUSED
        return self.state == self.ALL or row.state == self.state

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        keys, column = self.sourceModel().sort_keys, left.column()  # the rows' keys, made once
        return keys[left.row()][column] < keys[right.row()][column]


class WorkList(QWidget):
    """Filters, the list, and a one-line summary; ``currentChanged(code)`` as the selection moves."""

    currentChanged = Signal(str)

    def __init__(self, workspace: ReviewWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workListPane")
        self._ws = workspace
        self.model = WorkListModel(workspace, self)
        self.proxy = WorkListFilter(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.program_filter = QComboBox()
        self.program_filter.setObjectName("programFilter")
        self.program_filter.setAccessibleName(self.tr("Filter by program"))
        self.program_filter.addItem(self.tr("All programs"), "")
        lang = i18n.current_language()
        for code in sorted({r.program for r in self.model.rows}):
            self.program_filter.addItem(code, code)
            self.program_filter.setItemData(self.program_filter.count() - 1, program_info(code).name(lang),
                                            Qt.ItemDataRole.ToolTipRole)
        self.state_filter = QComboBox()
        self.state_filter.setObjectName("stateFilter")
        self.state_filter.setAccessibleName(self.tr("Filter by state"))
        self.state_filter.addItem(self.tr("To review (not recused)"), WorkListFilter.ACTIVE)
        for state in STATES:
            self.state_filter.addItem(translate("WorkListModel", STATE_NAMES[state]), state)
        self.state_filter.addItem(self.tr("All states"), WorkListFilter.ALL)
        for combo in (self.program_filter, self.state_filter):
            combo.currentIndexChanged.connect(self._filter)  # connected once filled: filling filters nothing
            filters.addWidget(combo, 1)
        layout.addLayout(filters)
        self.view = QTreeView()
        self.view.setObjectName("workList")
        self.view.setAccessibleName(self.tr("Work list"))
        self.view.setModel(self.proxy)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # The indicator first: turning sorting on then sorts once, by program (not by code, then again).
        self.view.header().setSortIndicator(WorkListModel.PROGRAM, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.header().setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._current)
        layout.addWidget(self.view, 1)
        self.summary = QLabel()
        self.summary.setObjectName("workSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self._update_summary()
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each column as wide as its longest text (and its header) in the list's font, plus the cell's margins.

        From the font's metrics of each distinct text: what ``resizeColumnToContents`` finds by asking
        every row for its size, at a fraction of the cost; the last column stretches.
        """
        metrics = self.view.fontMetrics()
        margin = self.view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view)
        pad = 2 * (margin + 1) + metrics.horizontalAdvance("  ")  # the delegate's margins, and some air
        header = self.view.header()
        for col in range(WorkListModel.PROGRESS):
            widest = max((metrics.horizontalAdvance(t) for t in self.model.column_texts(col)), default=0)
            self.view.setColumnWidth(col, max(widest + pad, header.sectionSizeHint(col)))

    def _filter(self) -> None:
        self.proxy.set_filters(self.program_filter.currentData() or "", self.state_filter.currentData())

    def _current(self, current: QModelIndex, previous: QModelIndex) -> None:
        if current.isValid():
            self.currentChanged.emit(current.data(CODE_ROLE))

    def _update_summary(self) -> None:
        counts = {s: sum(1 for r in self.model.rows if r.state == s) for s in STATES}
        self.summary.setText(self.tr("{total} applications: {done} complete, {started} in progress, {new} not "
                                     "started, {recused} recused").format(
            total=len(self.model.rows), done=counts[COMPLETE], started=counts[IN_PROGRESS],
            new=counts[NOT_STARTED], recused=counts[RECUSED]))

    def refresh(self) -> None:
        self.model.refresh()
        self._update_summary()

    def current_code(self) -> str:
        index = self.view.currentIndex()
        return index.data(CODE_ROLE) if index.isValid() else ""

    def visible_codes(self) -> list[str]:
        return [self.proxy.index(r, 0).data(CODE_ROLE) for r in range(self.proxy.rowCount())]

    def select(self, code: str) -> bool:
        """Make ``code`` current (widening the filters if it is hidden); False if it is not in the list."""
        row = self.model.row_of(code)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.program_filter.setCurrentIndex(0)
            self.state_filter.setCurrentIndex(self.state_filter.findData(WorkListFilter.ALL))
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(index)
        return True

    def next_incomplete(self) -> str:
        """The next application (in the list's order, after the current one, wrapping) not complete nor recused."""
        codes = [self.proxy.index(r, 0).data(CODE_ROLE) for r in range(self.proxy.rowCount())]
        states = {r.code: r.state for r in self.model.rows}
        if not codes:
            codes = [r.code for r in self.model.rows]
        start = codes.index(self.current_code()) + 1 if self.current_code() in codes else 0
        for code in codes[start:] + codes[:start]:
            if states[code] in (NOT_STARTED, IN_PROGRESS):
                return code
        return ""
