"""Fixtures for the expert window's shell tests: a small real snapshot, its workspace, clean settings.

Import them into a test module with ``from tests.gui.review.shell_fixtures import *``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from qbdesk.services.reviewer import ReviewWorkspace, open_snapshot
from tests.unit.review_snapshot import PASSPHRASE, complete, coordinator, make_snapshot

__all__ = ["PASSPHRASE", "Opened", "clean_settings", "complete", "opened", "snapshot_file", "type_text", "window"]


@dataclass
class Opened:
    snapshot: Path
    home: Path
    passphrase: str

    def load(self) -> ReviewWorkspace:
        return ReviewWorkspace.load(self.home, self.passphrase)


@pytest.fixture(autouse=True)
def clean_settings(qapp):
    """What the window remembers lives in QSettings (test mode): each test starts with none of it."""
    QSettings().remove("review")
    yield
    QSettings().remove("review")


@pytest.fixture
def snapshot_file(tmp_path) -> Path:
    path = tmp_path / "usb" / "R1-E01.qbsnap"
    path.parent.mkdir()
    make_snapshot(path, coordinator())
    return path


@pytest.fixture
def opened(tmp_path, snapshot_file) -> Opened:
    """A workspace made as `qbdesk review open` makes it (the expert key's work factor lowered: TEST ONLY)."""
    home = tmp_path / "home"
    open_snapshot(snapshot_file, home, PASSPHRASE, kdf_rounds=1).close()
    return Opened(snapshot_file, home, PASSPHRASE)


@pytest.fixture
def window(qtbot, opened):
    """The review window on a workspace whose declaration is signed; the workspace is closed after."""
    from qbdesk.gui.review.window import ReviewWindow

    ws = opened.load()
    ws.declare(True)
    win = ReviewWindow(ws, choose_folder=lambda: str(opened.home.parent / "usb"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    ws.close()


def type_text(widget, text: str) -> None:
    """Type ``text`` into ``widget`` as key events, Chinese included (QTest.keyClicks takes Latin-1 only)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        if ch.isascii():
            from PySide6.QtTest import QTest

            QTest.keyClicks(widget, ch)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))
