"""The reading pane (阅读): one application's blind summary and items, and its blind attachments.

Everything shown comes from the snapshot's blind metadata (``ApplicationView``) and its blind,
cleaned attachments (``ReviewWorkspace.read_attachment``, decrypted into memory). The PDF bytes
live in a QBuffer inside :class:`~qbdesk.gui.review.panel_pdf.PdfViewer` and never touch the disk.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from qbdesk.gui import i18n
from qbdesk.gui.review.panel_pdf import PdfViewer
from qbdesk.services.reviewer import ApplicationView, ReviewWorkspace


def _money(yuan: int) -> str:
    return f"{yuan:,}"


class DocumentPane(QWidget):
    """Summary and items above, the chosen attachment's pages below (``show_application(code)``)."""

    attachmentShown = Signal(str)  # the snapshot entry now shown ("" when none could be)

    def __init__(self, workspace: ReviewWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("documentPane")
        self.workspace = workspace
        self.code = ""
        self._app: ApplicationView | None = None
        self.summary = QTextBrowser(self)
        self.summary.setObjectName("applicationSummary")
        self.summary.setOpenLinks(False)
        self.summary.setTabChangesFocus(True)
        self.attachment_label = QLabel(self)
        self.attachments = QComboBox(self)
        self.attachments.setObjectName("attachmentChooser")
        self.attachments.currentIndexChanged.connect(self._attachment_chosen)
        self.attachment_label.setBuddy(self.attachments)
        self.viewer = PdfViewer(self)
        chooser = QHBoxLayout()
        chooser.setContentsMargins(0, 0, 0, 0)
        chooser.addWidget(self.attachment_label)
        chooser.addWidget(self.attachments, 1)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(chooser)
        lower_layout.addWidget(self.viewer, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("documentSplitter")
        self.splitter.addWidget(self.summary)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        for keys, slot in ((("Ctrl+Shift+A",), self.next_attachment),):
            for k in keys:
                QShortcut(QKeySequence(k), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut).activated.connect(slot)
        self.retranslate()

    @property
    def pdf_view(self):
        return self.viewer.view

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.attachment_label.setText(self.tr("&Attachment:"))
        self.attachments.setAccessibleName(self.tr("Attachment"))
        self.attachments.setToolTip(self.tr("Choose the attachment to read (Ctrl+Shift+A: the next one)"))
        self.summary.setAccessibleName(self.tr("Application summary and items"))
        self.viewer.retranslate()
        if self._app is not None:
            self.summary.setHtml(self._summary_html(self._app))

    # --- showing an application ------------------------------------------------------------

    def show_application(self, code: str) -> None:
        app = self.workspace.application(code)
        self.code, self._app = code, app
        self.summary.setHtml(self._summary_html(app))
        self.attachments.blockSignals(True)
        self.attachments.clear()
        for n, a in enumerate(app.attachments, start=1):
            self.attachments.addItem(self.tr("{n}. {title} ({size} KB)").format(
                n=n, title=a.title or self.tr("Attachment"), size=max(1, round(a.size / 1024))), a.entry)
        self.attachments.blockSignals(False)
        self.attachments.setEnabled(len(app.attachments) > 1)
        if app.attachments:
            self.attachments.setCurrentIndex(0)
            self._attachment_chosen(0)
        else:
            self.viewer.show_message(self.tr("This application has no blind attachments."))
            self.attachmentShown.emit("")

    def focus_search(self) -> None:
        """Put the keyboard in the document's search field (for a window-wide Ctrl+F)."""
        self.viewer.focus_search()

    def next_attachment(self) -> None:
        n = self.attachments.count()
        if n > 1:
            self.attachments.setCurrentIndex((self.attachments.currentIndex() + 1) % n)

    def _attachment_chosen(self, index: int) -> None:
        if self._app is None or not 0 <= index < len(self._app.attachments):
            return
        entry = self._app.attachments[index].entry
        try:
            data = self.workspace.read_attachment(entry)
        except Exception as exc:  # a damaged entry: say so in the pane; the rest of the snapshot still works
            self.viewer.show_message(self.tr("This attachment cannot be read from the snapshot: {reason}").format(
                reason=i18n.error_text(exc)))
            self.attachmentShown.emit("")
            return
        shown = self.viewer.load_bytes(data)
        del data
        self.attachmentShown.emit(entry if shown else "")

    def _summary_html(self, app: ApplicationView) -> str:
        e = html.escape
        parts = [f"<h3>{e(app.title)}</h3>",
                 "<p>" + e(self.tr("Code {code} · program {program} · requested {amount} yuan").format(
                     code=app.code, program=app.program, amount=_money(app.requested_amount))) + "</p>"]
        tiers = self.workspace.program_view(app.program).tiers
        if app.tier:
            name = tiers.get(app.tier)
            parts.append("<p>" + e(self.tr("Declared tier: {tier}").format(tier=i18n.text(name) if name else app.tier)) + "</p>")
        summary, items, none = self.tr("Summary"), self.tr("Items"), self.tr("(none)")
        parts.append(f"<h4>{e(summary)}</h4><p>{e(app.summary) or e(none)}</p>")
        if app.items:
            parts.append(f"<h4>{e(items)}</h4><ol>")
            for it in app.items:
                line = f"{it.id} · {it.title}"
                if it.date:
                    line += f" · {it.date}"
                if it.tier:
                    name = tiers.get(it.tier)
                    line += " · " + self.tr("tier: {tier}").format(tier=i18n.text(name) if name else it.tier)
                parts.append(f"<li>{e(line)}</li>")
            parts.append("</ol>")
        return "".join(parts)
