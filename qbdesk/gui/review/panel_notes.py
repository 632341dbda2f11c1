"""My notes (我的笔记): the expert's private notes on one application, encrypted, never exported.

Saved through ``ReviewWorkspace.set_note`` as the expert types (after a short pause) and when
focus leaves. A workspace without notes support (an older core) shows the box disabled.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from qbdesk.gui import i18n


class NotesBox(QWidget):
    saved = Signal()
    failed = Signal(str)

    def __init__(self, workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("notesBox")
        self.workspace = workspace
        self.code = ""
        self._stored = ""
        self.supported = callable(getattr(workspace, "note", None)) and callable(getattr(workspace, "set_note", None))
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("notesToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self._expand)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("notesInput")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        self.text.hide()
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.text)
        layout.addWidget(self.hint)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(800)
        self._timer.timeout.connect(self.commit)
        self.text.textChanged.connect(lambda: self._timer.start())
        self.text.installEventFilter(self)
        self.toggle.setEnabled(self.supported)
        self.retranslate()

    def retranslate(self) -> None:
        self.toggle.setText(self.tr("My notes (private, never exported)"))
        self.toggle.setAccessibleName(self.tr("Show or hide my private notes"))
        self.text.setAccessibleName(self.tr("My private notes on this application"))
        self.text.setPlaceholderText(self.tr("Only you see these notes; they are encrypted and never leave this laptop."))
        self.hint.setText(self.tr("Private notes need a newer workspace."))
        if not self.supported:
            self.toggle.setToolTip(self.hint.text())

    def _expand(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.text.setVisible(on)
        if on:
            self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.text and event.type() == QEvent.Type.FocusOut:
            self.commit()
        return super().eventFilter(obj, event)

    def show_application(self, code: str) -> None:
        self.commit()
        self.code = code
        self._stored = self.workspace.note(code) if self.supported else ""
        self.text.blockSignals(True)
        self.text.setPlainText(self._stored)
        self.text.blockSignals(False)
        if self._stored and not self.toggle.isChecked():
            self.toggle.setChecked(True)

    def commit(self) -> None:
        self._timer.stop()
        if not self.supported or not self.code:
            return
        text = self.text.toPlainText()
        if text == self._stored:
            return
        try:
            self.workspace.set_note(self.code, text)
        except Exception as exc:  # a full disk, a closed workspace: say so, keep the text on screen
            self.failed.emit(i18n.error_text(exc))
            return
        self._stored = text
        self.saved.emit()
