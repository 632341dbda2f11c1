"""My overview: the expert's own scores per program, sorted as numbers, ties and empty criteria marked,
Enter opens an application; and it follows what the scoring panel saves."""

from __future__ import annotations

import pytest
from panel_fixtures import open_workspace, panel_round  # noqa: F401  (fixtures)
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest

from qbdesk.gui.review.overview import OverviewView
from qbdesk.gui.review.panel_overview_model import EMPTY, SORT_ROLE, TIE

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def scores(ws, code: str, fraction: float) -> list[tuple]:
    """Every score criterion of ``code`` at ``fraction`` of its maximum (on the step grid, no comment needed)."""
    return [(code, c.id, "", round(c.max * fraction / c.step) * c.step, "") for c in ws.rubric(code).score_criteria]


def cell(view: OverviewView, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return view.proxy.index(row, column).data(role)


def test_scores_sorted_as_numbers_ties_and_empty_criteria_marked(qtbot, open_workspace):
    ws = open_workspace("E03")
    codes = [a.code for a in ws.applications if a.program == "P9"]  # 7 criteria of 5..30 points
    a, b, c, d = codes[:4]
    ws.apply(scores(ws, a, 0.7))
    ws.apply(scores(ws, b, 0.8))
    ws.apply(scores(ws, c, 0.7))  # the same total as a: a tie
    ws.apply(scores(ws, d, 0.8)[:-1])  # one criterion left empty
    ws.set_value(d, "brand_strategy", 1, "品牌战略尚未形成文件")  # a single-digit score: 1 sorts below 9
    view = OverviewView(ws)
    qtbot.addWidget(view)
    view.show()
    view.show_program("P9")
    model = view.model
    total = model.total_column()
    assert model.headerData(total, Qt.Orientation.Horizontal) == "总分"
    rows = {view.proxy.index(r, 0).data(): r for r in range(view.proxy.rowCount())}
    assert set(rows) == set(codes)
    tied = [cell(view, rows[x], total, Qt.ItemDataRole.BackgroundRole) for x in (a, c)]
    assert all(t is not None and t.color() == TIE for t in tied)
    assert c in cell(view, rows[a], total, Qt.ItemDataRole.ToolTipRole)
    assert cell(view, rows[b], total, Qt.ItemDataRole.BackgroundRole) is None
    last = model.total_column() - 1  # the last score criterion, left empty for d
    assert cell(view, rows[d], last) == "—" and cell(view, rows[d], last, Qt.ItemDataRole.BackgroundRole).color() == EMPTY
    assert cell(view, rows[d], last, Qt.ItemDataRole.ToolTipRole) == "尚未填写"
    # numeric sort on the first score column (brand_strategy): 1 < 7 < 8, and "—" (never scored) first
    column = 2 + [x.id for x in model.criteria].index("brand_strategy")
    view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    keys = [cell(view, r, column, SORT_ROLE) for r in range(view.proxy.rowCount())]
    assert keys == sorted(keys) and keys[-1] > 1
    assert cell(view, keys.index(1.0), 0) == d
    view.table.sortByColumn(total, Qt.SortOrder.DescendingOrder)
    assert cell(view, 0, 0) == b


def test_enter_opens_the_application_and_refresh_follows_the_workspace(qtbot, open_workspace):
    ws = open_workspace("E05")
    view = OverviewView(ws)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.show_program("P6")
    first = view.proxy.index(0, 0)
    code = first.data()
    assert view.proxy.index(0, view.model.total_column()).data() == "—"
    ws.apply(scores(ws, code, 0.7))
    view.refresh()
    assert view.proxy.index(0, view.model.total_column()).data() != "—"
    opened = []
    view.applicationActivated.connect(opened.append)
    view.table.setFocus()
    view.table.selectionModel().setCurrentIndex(view.proxy.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                                 | QItemSelectionModel.SelectionFlag.Rows)
    QTest.keyClick(view.table, Qt.Key.Key_Up)
    QTest.keyClick(view.table, Qt.Key.Key_Return)
    assert opened == [code]
