"""The coordinator's main window over a small round (see conftest.build_demo_round)."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QInputMethodEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from qbdesk.gui.common.models import ROW_ROLE, SORT_ROLE, ApplicationTableModel
from qbdesk.gui.main_window import MainWindow
from qbdesk.services.overview import ApplicationRow
from qbdesk.store.models import Round

pytestmark = pytest.mark.gui
COL = ApplicationTableModel


def make_window(qtbot, db) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=5000):
        window.show()
    return window


@pytest.fixture
def window(qtbot, demo_db, open_db) -> MainWindow:
    return make_window(qtbot, open_db(demo_db.url))


def shown_rows(window: MainWindow) -> list[ApplicationRow]:
    proxy = window.proxy
    return [proxy.index(r, 0).data(ROW_ROLE) for r in range(proxy.rowCount())]


def click_program(qtbot, window: MainWindow, code: str | None) -> None:
    view = window.program_view
    rect = view.visualRect(window.program_model.index(window.program_model.row_of(code)))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def type_text(qtbot, widget, text: str) -> None:
    """Type as a user would: keys for ASCII, an input-method commit for Chinese (QTest has no CJK keys)."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def click_header(qtbot, window: MainWindow, column: int) -> None:
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_shows_the_rounds_applications(window, demo_db):
    assert window.pages.currentIndex() == MainWindow.CONTENT_PAGE
    assert sorted(r.external_id for r in shown_rows(window)) == sorted(demo_db.external_ids)
    assert window.program_model.index(0).data() == "全部 (6)"
    assert window.program_model.index(window.program_model.row_of("P5")).data() == "P5 先进计量支撑体系扶持项目 (2)"
    assert "2025年度质量品牌专项第一批" in window.round_label.text()
    assert window.count_label.text() == "显示 6 / 共 6 项申报"
    assert window.windowTitle().startswith("demo.sqlite")


def test_cells_headers_and_roles(window):
    model = window.application_model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in (COL.ID, COL.TITLE, COL.AMOUNT)] == \
        ["编号", "项目名称", "申请金额"]
    row = next(r for r in range(model.rowCount()) if model.row_at(r).external_id == "P7-2025-001")
    amount = model.index(row, COL.AMOUNT)
    assert amount.data() == "3,000,000 元"
    assert amount.data(SORT_ROLE) == 3_000_000
    assert amount.data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert not model.index(row, COL.TITLE).data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert model.index(row, COL.TIER).data().startswith("国家级")
    assert model.index(row, COL.ATTACHMENTS).data() == "1 / 1"
    assert "盲审附件 1 份" in model.index(row, COL.ATTACHMENTS).data(Qt.ItemDataRole.ToolTipRole)
    assert isinstance(model.index(row, COL.ID).data(ROW_ROLE), ApplicationRow)
    first = next(r for r in range(model.rowCount()) if model.row_at(r).external_id == "P2-2025-001")
    assert model.index(first, COL.EXPERTS).data() == "3"


def test_clicking_a_program_filters_to_it(qtbot, window):
    click_program(qtbot, window, "P5")
    assert {r.program for r in shown_rows(window)} == {"P5"} and len(shown_rows(window)) == 2
    assert window.count_label.text() == "显示 2 / 共 6 项申报"
    qtbot.keyClick(window.program_view, Qt.Key.Key_Down)  # the keyboard moves the filter too: P6, empty
    assert shown_rows(window) == []
    click_program(qtbot, window, None)
    assert len(shown_rows(window)) == 6


def test_program_filter_survives_a_refresh(qtbot, window):
    click_program(qtbot, window, "P2")
    with qtbot.waitSignal(window.loaded, timeout=5000):
        window.refresh_action.trigger()
    assert {r.program for r in shown_rows(window)} == {"P2"}
    assert window.program_view.currentIndex().data(ROW_ROLE) == "P2"


@pytest.mark.parametrize("text, expected", [
    ("鹏城", {"P2-2025-001", "P7-2025-001"}),  # applicant
    ("p5-2025-002", {"P5-2025-002"}),  # id, any case
    ("认证", {"P3-2025-001"}),  # title
    ("没有这个", set()),
])
def test_filter_box_narrows_rows(qtbot, window, text, expected):
    type_text(qtbot, window.filter_edit, text)
    assert {r.external_id for r in shown_rows(window)} == expected
    window.filter_edit.clear()
    assert len(shown_rows(window)) == 6


def test_filter_combines_with_program(qtbot, window):
    click_program(qtbot, window, "P7")
    type_text(qtbot, window.filter_edit, "鹏城")
    assert [r.external_id for r in shown_rows(window)] == ["P7-2025-001"]


def test_sorting_by_amount_is_numeric(qtbot, window):
    click_header(qtbot, window, COL.AMOUNT)
    amounts = [r.requested_amount for r in shown_rows(window)]
    assert amounts == sorted(amounts) == [30000, 150000, 300000, 300000, 800000, 3000000]
    click_header(qtbot, window, COL.AMOUNT)
    assert [r.requested_amount for r in shown_rows(window)] == sorted(amounts, reverse=True)


def test_menus_and_shortcuts(window):
    assert window.open_action.shortcut() == QKeySequence("Ctrl+O")
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    assert window.refresh_action.shortcut() == QKeySequence("F5")
    assert window.search_action.shortcut() == QKeySequence("Ctrl+F")
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["文件(&F)", "视图(&V)", "帮助(&H)"]
    assert window.open_action.text() == "打开数据库(&O)…"


def test_keyboard_reaches_everything(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.program_view.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.filter_edit
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.table
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.filter_edit
    with qtbot.waitSignal(window.loaded, timeout=5000):
        qtbot.keyClick(window.filter_edit, Qt.Key.Key_F5)


def test_english_mode_shows_english(qtbot, english, demo_db, open_db):
    window = make_window(qtbot, open_db(demo_db.url))
    model = window.application_model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "ID", "Program", "Applicant", "Credit code", "Title", "Requested", "Tier", "Items", "Attachments", "Experts"]
    assert window.program_model.index(0).data() == "All (6)"
    assert window.program_model.index(window.program_model.row_of("P5")).data() == "P5 Advanced metrology support (2)"
    assert window.proxy.index(0, COL.AMOUNT).data().startswith("¥")
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&View", "&Help"]
    assert window.count_label.text() == "6 of 6 applications shown"


def test_empty_database_says_how_to_create_a_round(qtbot, tmp_path, open_db):
    window = make_window(qtbot, open_db(str(tmp_path / "empty.sqlite")))
    assert window.pages.currentIndex() == MainWindow.MESSAGE_PAGE
    text = window.message.text()
    assert "还没有评审批次" in text and "qbdesk demo" in text and "qbdesk round init" in text
    assert not window.round_menu.isEnabled()
    assert window.round_label.text() == ""


def test_no_database_points_to_open(qtbot):
    window = MainWindow(None)
    qtbot.addWidget(window)
    assert window.pages.currentIndex() == MainWindow.MESSAGE_PAGE
    assert "Ctrl+O" in window.message.text()


def test_rounds_menu_switches_round(qtbot, window):
    db = window.database()
    with db.sessions.begin() as s:
        s.add(Round(name="2024年度旧批次", year=2024))
    with qtbot.waitSignal(window.loaded, timeout=5000):
        window.refresh()
    actions = window.round_menu.actions()
    assert [a.text() for a in actions] == ["2025年度质量品牌专项第一批 (2025)", "2024年度旧批次 (2024)"]
    assert actions[0].isChecked()
    with qtbot.waitSignal(window.loaded, timeout=5000):
        actions[1].trigger()
    assert shown_rows(window) == [] and window.program_model.index(0).data() == "全部 (0)"
    assert window.round_menu.actions()[1].isChecked()


def test_open_database_switches_and_keeps_old_on_failure(qtbot, window, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    bad = tmp_path / "not-a-database.sqlite"
    bad.write_bytes(b"%PDF-1.4 this is no database" * 100)
    old = window.database()
    with qtbot.waitSignal(window.open_database(str(bad)).finished, timeout=5000):
        pass
    assert len(warnings) == 1 and "not-a-database.sqlite" in warnings[0]
    assert window.database() is old and len(shown_rows(window)) == 6

    from qbdesk.store.engine import open_database as create_database

    create_database(str(tmp_path / "fresh.sqlite")).dispose()  # an empty qbdesk database, as `round init` leaves it
    task = window.open_database(str(tmp_path / "fresh.sqlite"))
    with qtbot.waitSignal(window.loaded, timeout=5000):
        pass
    assert task.done and window.database() is not old
    assert window.pages.currentIndex() == MainWindow.MESSAGE_PAGE and window.windowTitle().startswith("fresh.sqlite")
    window.database().dispose()


def test_unreadable_database_shows_a_message_not_a_traceback(qtbot, window, demo_db):
    with sqlite3.connect(demo_db.url) as con:
        con.execute("DROP TABLE attachment")
    with qtbot.waitSignal(window.loaded, timeout=5000):
        window.refresh()
    assert window.pages.currentIndex() == MainWindow.MESSAGE_PAGE
    assert window.message.text().startswith("无法读取数据库")


def test_a_programs_tooltip_says_how_it_is_reviewed(window):
    model = window.program_view.model()
    tip = model.index(model.row_of("P5"), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "核准类 · 公开评审（材料载明申报单位）" in tip
    tip = model.index(model.row_of("P2"), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "评审类 · 盲评" in tip


def _cut_short(demo_db, tmp_path) -> str:
    import shutil as _shutil

    with sqlite3.connect(demo_db.url) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    full = tmp_path / "full.sqlite"
    _shutil.copyfile(demo_db.url, full)
    cut = tmp_path / "cut-short.sqlite"
    cut.write_bytes(full.read_bytes()[: 5 * 4096])
    return str(cut)


def test_a_damaged_database_is_explained_in_the_ui_language(qtbot, window, demo_db, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    cut = _cut_short(demo_db, tmp_path)
    for path in (cut, str(tmp_path)):
        with qtbot.waitSignal(window.open_database(path).finished, timeout=5000):
            pass
    assert len(warnings) == 2
    assert "数据库文件已损坏" in warnings[0] and "malformed" not in warnings[0] and "sqlite3" not in warnings[0]
    assert "是一个文件夹，不是数据库文件" in warnings[1]


def test_the_app_refuses_a_bad_database_with_a_translated_dialog(qapp, demo_db, tmp_path, monkeypatch, english):
    from qbdesk.gui import app as gui_app

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[2]))
    assert gui_app.run(_cut_short(demo_db, tmp_path), lang="en") == 1
    assert gui_app.run(str(tmp_path / "typo.sqlite"), lang="en") == 1
    assert "the database file is damaged" in shown[0]
    assert "the database file does not exist" in shown[1] and not (tmp_path / "typo.sqlite").exists()
    gui_app.i18n.install(qapp, "zh")
    assert gui_app.run(_cut_short(demo_db, tmp_path), lang="zh") == 1
    assert "数据库文件已损坏" in shown[2] and "malformed" not in shown[2]
