"""My overview (我的评分总览): the expert's own scores per program, to see whether a long day was judged
consistently. Sortable (numerically); ties and criteria never filled in are marked; Enter or a
double-click on a row emits ``applicationActivated(code)`` so the window can open it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSortFilterProxyModel, Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from qbdesk.domain.programs import program as program_info
from qbdesk.gui import i18n
from qbdesk.gui.review.panel_overview_model import CODE_ROLE, COL_TITLE, SORT_ROLE, OverviewModel
from qbdesk.services.reviewer import ReviewWorkspace


class OverviewView(QWidget):
    applicationActivated = Signal(str)

    def __init__(self, workspace: ReviewWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("overview")
        self.workspace = workspace
        self.programs = list(dict.fromkeys(a.program for a in workspace.applications))
        self.program_label = QLabel(self)
        self.program = QComboBox(self)
        self.program.setObjectName("overviewProgram")
        self.program_label.setBuddy(self.program)
        self.legend = QLabel(self)
        self.legend.setWordWrap(True)
        self.model = OverviewModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("overviewTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(self._activated)
        top = QHBoxLayout()
        top.addWidget(self.program_label)
        top.addWidget(self.program, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.legend)
        self.program.currentIndexChanged.connect(lambda _i: self.refresh())
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.program_label.setText(self.tr("&Program:"))
        self.program.setAccessibleName(self.tr("Program"))
        self.table.setAccessibleName(self.tr("My scores in this program"))
        self.legend.setText(self.tr("Orange total: a tie (the same total as another application). Red cell: not filled "
                                    "in yet. Click a column heading to sort; Enter opens the application."))
        current = self.program.currentData()
        self.program.blockSignals(True)
        self.program.clear()
        for code in self.programs:
            self.program.addItem(f"{code} {program_info(code).name(i18n.current_language())}", code)
        self.program.setCurrentIndex(max(0, self.program.findData(current)))
        self.program.blockSignals(False)
        self.refresh()

    def show_program(self, program: str) -> None:
        i = self.program.findData(program)
        if i >= 0:
            self.program.setCurrentIndex(i)

    def refresh(self) -> None:
        """Reload the expert's values (call after changes; cheap for hundreds of applications)."""
        program = self.program.currentData()
        header = self.table.horizontalHeader()
        column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        self.model.load(self.workspace, program) if program else None
        self.table.setColumnWidth(COL_TITLE, 260)
        if 0 <= column < self.model.columnCount():
            self.proxy.sort(column, order)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Interactive)

    def _activated(self, index) -> None:
        code = index.data(CODE_ROLE)
        if code:
            self.applicationActivated.emit(code)
