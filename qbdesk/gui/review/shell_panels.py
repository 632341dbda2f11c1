"""The reading pane, the scoring panel and "My overview", made for the window.

They are separate widgets (``reading.DocumentPane``, ``scoring.ScoringPanel``,
``overview.OverviewView``). FALLBACK: while one of them is not importable (a checkout
without it), a clearly marked placeholder with the same methods and signals stands in, so the
rest of the window still opens; it shows a line saying what is missing and scores nothing.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from qbdesk.services.reviewer import ReviewWorkspace

log = logging.getLogger(__name__)


class Placeholder(QLabel):
    """FALLBACK ONLY: stands in for a widget that is not available in this build."""

    changed = Signal(str)
    savedStateChanged = Signal(str)
    applicationActivated = Signal(str)

    def __init__(self, object_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setText(self.tr("This part of the window is not available in this build."))

    def show_application(self, code: str) -> None:
        pass

    def focus_criterion(self, criterion_id: str, item: str = "") -> None:
        pass

    def focus_next_incomplete(self) -> bool:
        return False

    def set_read_only(self, read_only: bool) -> None:
        pass

    def refresh(self) -> None:
        pass


def document_pane(ws: ReviewWorkspace, parent: QWidget | None = None) -> QWidget:
    try:
        from qbdesk.gui.review.reading import DocumentPane
    except ImportError as exc:
        log.warning("reading pane unavailable: %s", exc)
        return Placeholder("documentPane", parent)
    return DocumentPane(ws, parent)


def scoring_panel(ws: ReviewWorkspace, parent: QWidget | None = None) -> QWidget:
    try:
        from qbdesk.gui.review.scoring import ScoringPanel
    except ImportError as exc:
        log.warning("scoring panel unavailable: %s", exc)
        return Placeholder("scoringPanel", parent)
    return ScoringPanel(ws, parent)


def overview_view(ws: ReviewWorkspace, parent: QWidget | None = None) -> QWidget:
    try:
        from qbdesk.gui.review.overview import OverviewView
    except ImportError as exc:
        log.warning("overview unavailable: %s", exc)
        return Placeholder("overview", parent)
    return OverviewView(ws, parent)
