"""Every screen of the expert's window in Chinese: no text is still the English source.

Codes, numbers, digests, fingerprints, paths and file names may be Latin; a run of English
words may not.
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QApplication

from tests.gui.review.shell_fixtures import *  # noqa: F403
from tests.gui.review.shell_texts import widget_texts

pytestmark = pytest.mark.gui

ENGLISH = re.compile(r"\b[A-Za-z]{2,}\b[ ,.;:'’()-]+\b[A-Za-z]{2,}\b")
NOT_WORDS = re.compile(r"\S*[/\\]\S*|\S+\.(?:qbsnap|qbscore|pdf)\b|SHA256:\S+|\b[0-9a-f]{4}\b")


def english_left(texts: list[str]) -> list[str]:
    return sorted({t for t in texts if ENGLISH.search(NOT_WORDS.sub(" ", t))})


def screens(qtbot, opened, tmp_path):
    """(name, top-level widget) for every screen of the expert's window, one after the other."""
    from qbdesk.gui.review.declaration import RecusalDialog
    from qbdesk.gui.review.purge import PurgeDialog
    from qbdesk.gui.review.start import PassphraseDialog, StartWindow
    from qbdesk.gui.review.window import ReviewWindow

    start = StartWindow(opened.home)
    qtbot.addWidget(start)
    start.show()
    yield "start", start
    dialog = PassphraseDialog(lambda s: None, start.tr("The passphrase of the workspace in {home}.").format(home="x"), start)
    dialog._fail(dialog.tr("Wrong passphrase: this is not the passphrase of this snapshot. Nothing was written. "
                           "Check the handover slip and type it again."))
    yield "passphrase", dialog
    ws = opened.load()
    try:
        start.check.show_workspace(ws)
        start.stack.setCurrentIndex(start.CHECK)
        start.check.warning.show()
        yield "slip check", start
        win = ReviewWindow(ws, choose_folder=lambda: str(tmp_path))
        qtbot.addWidget(win)
        win.show()
        yield "declaration", win
        win.declaration.read.setEnabled(True)
        win.declaration.read.setChecked(True)
        win.declaration.sign.click()
        yield "work list and reading", win
        win.show_overview()
        yield "overview", win
        yield "finalise checklist", win.open_finalise()
        complete(ws)
        win.worklist.refresh()
        win.finalise_dialog.reject()
        final = win.open_finalise()
        final.finalise()
        qtbot.waitUntil(lambda: final.result_ is not None, timeout=20000)
        yield "finalised", final
        final.accept()
        win._update_export_state()
        yield "window, finalised", win
        yield "recusal", RecusalDialog("K7Q2M", win)
        yield "purge", PurgeDialog(opened.home, finalised=True, parent=win)
        win.lock()
        yield "lock", win
        win.close()
    finally:
        ws.close()


def test_no_screen_shows_untranslated_english(qtbot, opened, tmp_path):
    seen = 0
    for name, widget in screens(qtbot, opened, tmp_path):
        QApplication.processEvents()
        left = english_left(widget_texts(widget))
        assert not left, f"{name}: untranslated: {left}"
        seen += 1
    assert seen == 12


def test_the_check_itself_catches_english():
    assert english_left(["Finalise and export", "未开始"]) == ["Finalise and export"]
    assert english_left(["K7Q2M", "P3", "21f5 7597 fa55", "SHA256:S1X43ed3r/89a", "/tmp/pytest-of-root/x",
                         "E01-1.qbscore", "0/9", "qbdesk — 评审专家工作台"]) == []
