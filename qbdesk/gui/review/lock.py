"""The idle lock: after some minutes without a key or a click, every application is hidden until the
passphrase is typed again.

``IdleLock`` watches the application's input events; ``LockView`` is what the window shows
instead of its content (its title cleared). The passphrase is checked by unwrapping the
expert's own key with it, as opening does: nothing new is stored to compare against.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from qbdesk.gui.review.shell_common import in_background
from qbdesk.services.reviewer import ReviewWorkspace

ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                      QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class IdleLock(QObject):
    """Emits ``idle`` once ``minutes`` pass with no input anywhere in the application."""

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes
        self.timer.setInterval(max(int(minutes * 60_000), 1))
        self.timer.start()

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self.timer.isActive():
            self.timer.start()  # restart the countdown
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


def passphrase_opens(ws: ReviewWorkspace, typed: str) -> bool:
    """Whether ``typed`` unwraps this workspace's expert key (a second or so of key derivation)."""
    from qbdesk.formats import sshsig
    from qbdesk.services.reviewer import WorkspaceError
    from qbdesk.services.reviewer.opening import load_expert_key

    try:
        key = load_expert_key(ws.home, typed)
    except WorkspaceError:
        return False
    return sshsig.fingerprint(key.public_key()) == ws.expert_fingerprint


class LockView(QWidget):
    """Shown instead of the window's content while locked; ``unlocked`` once the passphrase is right."""

    unlocked = Signal()

    def __init__(self, workspace: ReviewWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lockView")
        self._ws = workspace
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(self.tr("Locked"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        intro = QLabel(self.tr("The review was locked because nothing was typed for a while. Everything you "
                               "entered is saved. Type the snapshot passphrase to continue."))
        intro.setWordWrap(True)
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(intro)
        self.field = QLineEdit()
        self.field.setObjectName("unlockPassphrase")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName(self.tr("Snapshot passphrase"))
        self.field.setMaximumWidth(420)
        self.field.returnPressed.connect(self._try)
        layout.addWidget(self.field, 0, Qt.AlignmentFlag.AlignHCenter)
        self.button = QPushButton(self.tr("&Unlock"))
        self.button.setObjectName("unlockButton")
        self.button.clicked.connect(self._try)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.error = QLabel()
        self.error.setObjectName("unlockError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.error)
        layout.addStretch(2)

    def reset(self) -> None:
        self.field.clear()
        self.error.clear()
        self.field.setEnabled(True)
        self.button.setEnabled(True)
        self.field.setFocus()

    def _try(self) -> None:
        typed = self.field.text()
        if not typed.strip():
            return
        self.field.setEnabled(False)
        self.button.setEnabled(False)
        self.error.setText(self.tr("Checking…"))
        in_background(lambda: passphrase_opens(self._ws, typed), self, self._checked, self._failed, "unlock")

    def _checked(self, ok: bool) -> None:
        if ok:
            self.field.clear()
            self.error.clear()
            self.unlocked.emit()
            return
        self._failed(None)

    def _failed(self, exc: BaseException | None) -> None:
        self.field.setEnabled(True)
        self.button.setEnabled(True)
        self.error.setText(self.tr("Wrong passphrase. Type the passphrase from your handover slip."))
        self.field.selectAll()
        self.field.setFocus()
