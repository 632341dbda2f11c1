"""The declaration (承诺书) first, and recusal (回避) at any time.

The declaration's text is the one the snapshot carries: it must be scrolled to its end and
accepted before any application is shown. A recusal needs a reason; it takes the application
out of the work list and can be withdrawn until the scores are finalised.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from qbdesk.gui import i18n
from qbdesk.services.reviewer import ReviewWorkspace


class DeclarationView(QWidget):
    """The 承诺书 to read to the end and accept; ``accepted`` once it is signed (saved)."""

    accepted = Signal()

    def __init__(self, workspace: ReviewWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("declarationView")
        self._ws = workspace
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Declaration of impartiality and confidentiality"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)
        layout.addWidget(title)
        intro = QLabel(self.tr("Read the declaration to its end. No application is shown before you accept it."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.text = QTextBrowser()
        self.text.setObjectName("declarationText")
        self.text.setAccessibleName(self.tr("Declaration text"))
        self.text.setPlainText(i18n.text(workspace.declaration.text))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)  # Ctrl+End reads on
        f = self.text.font()
        f.setPointSizeF(f.pointSizeF() * 1.15)
        self.text.setFont(f)
        layout.addWidget(self.text, 1)
        self.scroll_hint = QLabel(self.tr("Scroll to the end of the text to accept it."))
        self.scroll_hint.setObjectName("declarationHint")
        layout.addWidget(self.scroll_hint)
        self.conflicts_label = QLabel(self.tr("&Conflicts of interest to declare (leave empty if none):"))
        layout.addWidget(self.conflicts_label)
        self.conflicts = QLineEdit()
        self.conflicts.setObjectName("declarationConflicts")
        self.conflicts.setAccessibleName(self.tr("Conflicts of interest to declare"))
        self.conflicts_label.setBuddy(self.conflicts)
        layout.addWidget(self.conflicts)
        self.read = QCheckBox(self.tr("&I have read the declaration and accept it"))
        self.read.setObjectName("declarationAccept")
        self.read.setEnabled(False)
        layout.addWidget(self.read)
        self.sign = QPushButton(self.tr("&Sign and start reviewing"))
        self.sign.setObjectName("declarationSign")
        self.sign.setEnabled(False)
        self.read.toggled.connect(self.sign.setEnabled)
        self.sign.clicked.connect(self._sign)
        layout.addWidget(self.sign)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        layout.addWidget(self.error)
        bar = self.text.verticalScrollBar()
        bar.valueChanged.connect(self._check_end)
        bar.rangeChanged.connect(lambda *_: self._check_end())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._check_end()
        self.text.setFocus()

    def _check_end(self) -> None:
        bar = self.text.verticalScrollBar()
        slack = self.text.fontMetrics().lineSpacing()  # the last line is in view: read to the end
        if self.text.isVisible() and bar.value() >= bar.maximum() - slack:
            self.read.setEnabled(True)
            self.scroll_hint.setText(self.tr("You have read to the end."))

    def _sign(self) -> None:
        if not self.read.isChecked():
            return
        try:
            self._ws.declare(True, self.conflicts.text())
        except Exception as exc:  # a disk that refuses the save: said, and the text stays for another try
            self.error.setText(i18n.error_text(exc))
            self.error.show()
            return
        self.accepted.emit()


class RecusalDialog(QDialog):
    """回避: the reason is required; the application leaves the work list."""

    def __init__(self, code: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recusalDialog")
        self.setWindowTitle(self.tr("Recuse from {code}").format(code=code))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Recuse from application {code} (conflict of interest). It leaves your work list "
                               "and its scores are not exported. You can withdraw this until you finalise.")
                       .format(code=code))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        label = QLabel(self.tr("&Reason (required):"))
        layout.addWidget(label)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("recusalReason")
        self.reason.setAccessibleName(self.tr("Reason for the recusal"))
        self.reason.setTabChangesFocus(True)
        label.setBuddy(self.reason)
        layout.addWidget(self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("&Recuse"))
        self.ok.setObjectName("recusalOk")
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(lambda: self.ok.setEnabled(bool(self.reason.toPlainText().strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(460, 260)

    def text(self) -> str:
        return self.reason.toPlainText().strip()
