"""The reading pane, driven from the keyboard: the blind summary, the attachments from memory, pages,
zoom, fit, search with hits; a damaged attachment says so in the pane."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from panel_fixtures import open_workspace, panel_round  # noqa: F401  (fixtures)
from PySide6.QtCore import QBuffer, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from qbdesk.domain.messages import Msg
from qbdesk.gui.review.reading import DocumentPane
from qbdesk.services.reviewer import WorkspaceError

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def pdfs_under(*roots: Path) -> set[Path]:
    found = set()
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                p = Path(dirpath, f)
                try:
                    with open(p, "rb") as fh:
                        head = fh.read(5)
                except OSError:
                    continue
                if p.suffix.lower() == ".pdf" or head == b"%PDF-":
                    found.add(p)
    return found


def show_pane(qtbot, ws) -> DocumentPane:
    pane = DocumentPane(ws)
    qtbot.addWidget(pane)
    pane.resize(700, 760)
    pane.show()
    qtbot.waitExposed(pane)
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow)
    return pane


def key(k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    w = QApplication.focusWidget()
    assert w is not None
    QTest.keyClick(w, k, modifier)


def test_summary_items_and_the_first_attachment_from_memory(qtbot, open_workspace, tmp_path, monkeypatch):
    home, temp = tmp_path / "user-home", tmp_path / "temp"
    home.mkdir()
    temp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(temp))  # Qt's and Python's temporary folder, watched below
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    ws = open_workspace("E05")
    app = next(a for a in ws.applications if a.program == "P5")
    before = pdfs_under(tmp_path)
    loads = []
    original = QPdfDocument.load

    def spy(self, source):
        loads.append(source)
        return original(self, source)

    monkeypatch.setattr(QPdfDocument, "load", spy)
    pane = show_pane(qtbot, ws)
    pane.show_application(app.code)
    assert pane.objectName() == "documentPane" and pane.pdf_view.objectName() == "pdfView"
    text = pane.summary.toPlainText()
    assert app.title in text and app.summary[:20] in text and app.code in text
    assert all(it.title in text for it in app.items)
    tier_name = ws.program_view("P5").tiers[app.items[0].tier].zh
    assert tier_name in text  # the declared tier, by its name
    viewer = pane.viewer
    assert viewer.document.status() == QPdfDocument.Status.Ready and viewer.page_count() >= 2
    assert loads and all(isinstance(s, QBuffer) for s in loads)  # fed a QIODevice, never a file name
    assert viewer.device is loads[-1] and viewer.device.isOpen()
    assert viewer.page_label.text() == f"第 1 页，共 {viewer.page_count()} 页"
    pane.next_attachment()
    assert pdfs_under(tmp_path) == before, "a PDF was written to disk"
    assert not any(temp.iterdir()) and not any(home.iterdir())


def test_pages_zoom_fit_and_search_from_the_keyboard(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = next(a for a in ws.applications if a.program == "P6")
    pane = show_pane(qtbot, ws)
    pane.show_application(app.code)
    viewer = pane.viewer
    viewer.view.setFocus()
    key(Qt.Key.Key_PageDown)
    assert viewer.current_page() == 1 and viewer.page_label.text().startswith("第 2 页")
    key(Qt.Key.Key_PageUp)
    assert viewer.current_page() == 0
    assert viewer.view.zoomMode() == QPdfView.ZoomMode.FitToWidth
    key(Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert viewer.view.zoomMode() == QPdfView.ZoomMode.Custom and viewer.zoom_label.text().endswith("%")
    zoomed = viewer.view.zoomFactor()
    key(Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert viewer.view.zoomFactor() < zoomed
    key(Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert viewer.view.zoomMode() == QPdfView.ZoomMode.FitToWidth and viewer.fit_width_button.isChecked()
    viewer.fit_page_button.setFocus()
    key(Qt.Key.Key_Space)
    assert viewer.view.zoomMode() == QPdfView.ZoomMode.FitInView
    # search: a word the pages really hold, typed into the search field that Ctrl+F focuses
    page_text = viewer.document.getAllText(0).text()
    word = "质量" if "质量" in page_text else page_text.split()[0]
    key(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is viewer.search_field
    from PySide6.QtGui import QInputMethodEvent

    event = QInputMethodEvent()
    event.setCommitString(word)
    QApplication.sendEvent(viewer.search_field, event)
    qtbot.waitUntil(lambda: viewer.hit_count() >= 2, timeout=5000)
    assert viewer.view.searchModel() is viewer.search_model  # hits highlighted by the view
    key(Qt.Key.Key_F3)
    assert viewer.current_hit() == 0 and viewer.hits_label.text().startswith("第 1 处")
    key(Qt.Key.Key_F3)
    assert viewer.current_hit() == 1
    link = viewer.search_model.resultAtIndex(1)
    assert viewer.current_page() == link.page()
    key(Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert viewer.current_hit() == 0
    viewer.view.setFocus()
    pane.focus_search()  # what a window-wide Ctrl+F calls
    assert QApplication.focusWidget() is viewer.search_field and viewer.search_field.selectedText() == word
    QTest.keyClicks(viewer.search_field, "zzqqxx")
    qtbot.waitUntil(lambda: viewer.hits_label.text() == "未找到", timeout=5000)


def test_the_attachment_chooser(qtbot, open_workspace):
    ws = open_workspace("E05")
    app = next(a for a in ws.applications if len(a.attachments) >= 2)
    pane = show_pane(qtbot, ws)
    shown = []
    pane.attachmentShown.connect(shown.append)
    pane.show_application(app.code)
    assert shown == [app.attachments[0].entry]
    pane.attachments.setFocus()
    key(Qt.Key.Key_Down)
    assert shown[-1] == app.attachments[1].entry and pane.viewer.page_count() >= 1
    pane.viewer.view.setFocus()
    key(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert shown[-1] == app.attachments[2 % len(app.attachments)].entry


def test_a_damaged_attachment_shows_a_message_never_a_crash(qtbot, open_workspace, monkeypatch, english):
    ws = open_workspace("E05")
    app = next(a for a in ws.applications if len(a.attachments) >= 2)
    bad, unreadable = app.attachments[0].entry, app.attachments[1].entry
    real = ws.read_attachment

    def read(entry: str) -> bytes:
        if entry == bad:
            return b"%PDF-1.4\n1 0 obj <<>> garbage, truncated"
        if entry == unreadable:
            raise WorkspaceError(Msg("快照条目已损坏", "the snapshot entry is damaged"), "snapshot")
        return real(entry)

    monkeypatch.setattr(ws, "read_attachment", read)
    pane = show_pane(qtbot, ws)
    pane.show_application(app.code)
    viewer = pane.viewer
    assert viewer.stack.currentWidget() is viewer.message
    assert "damaged or not a PDF" in viewer.message.text() and viewer.message.isVisible()
    assert not viewer.search_field.isEnabled() and viewer.page_count() == 0
    pane.attachments.setCurrentIndex(1)
    assert "cannot be read from the snapshot: the snapshot entry is damaged" in viewer.message.text()
    other = next(a for a in ws.applications if a.code != app.code)
    pane.show_application(other.code)  # the next application reads normally
    assert viewer.stack.currentWidget() is viewer.view and viewer.page_count() >= 1
