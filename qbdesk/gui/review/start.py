"""The start screen: open a snapshot (file dialog, drag and drop, a recent workspace), the passphrase,
and the comparison of the coordinator fingerprint and snapshot digest with the handover slip.

Nothing is written before the passphrase is right: ``open_snapshot`` checks it before it makes
the workspace. A workspace the window made is compared with the slip before anything else is
shown; reopening it later asks only for the passphrase.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from qbdesk.gui import i18n
from qbdesk.gui.review import shell_settings
from qbdesk.gui.review.shell_common import grouped, in_background, mono_label
from qbdesk.services.reviewer import ReviewWorkspace, WorkspaceError, open_snapshot
from qbdesk.services.reviewer.prepared import PreparedLoad

SNAPSHOT_SUFFIX = ".qbsnap"


def default_home(snapshot: Path) -> Path:
    """Where a snapshot opened without --home gets its workspace: the user data folder, by file name."""
    from qbdesk.paths import default_data_dir

    return default_data_dir() / "reviews" / snapshot.stem


class PassphraseDialog(QDialog):
    """Asks for the snapshot passphrase (masked) and tries it; a wrong one is said, and nothing is written.

    ``attempt(passphrase)`` runs in the background and returns the open workspace.
    """

    def __init__(self, attempt: Callable[[str], ReviewWorkspace], prompt: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle(self.tr("Snapshot passphrase"))
        self._attempt = attempt
        self.workspace: ReviewWorkspace | None = None
        self.passphrase = ""
        layout = QVBoxLayout(self)
        intro = QLabel(prompt)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.field = QLineEdit()
        self.field.setObjectName("passphrase")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName(self.tr("Snapshot passphrase"))
        self.field.setPlaceholderText(self.tr("as printed on the handover slip"))
        self.field.setMinimumWidth(360)
        layout.addWidget(self.field)
        self.error = QLabel()
        self.error.setObjectName("passphraseError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        layout.addWidget(self.error)
        self.busy = QLabel(self.tr("Checking the passphrase…"))
        self.busy.hide()
        layout.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Open"))
        self.buttons.accepted.connect(self._try)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _try(self) -> None:
        typed = self.field.text()
        if not typed.strip():
            self._fail(self.tr("Type the passphrase from the handover slip."))
            return
        self.buttons.setEnabled(False)
        self.field.setEnabled(False)
        self.error.hide()
        self.busy.show()
        in_background(lambda: self._attempt(typed), self, lambda ws: self._opened(ws, typed), self.show_error,
                      "open workspace")

    def _opened(self, workspace: ReviewWorkspace, typed: str) -> None:
        self.workspace, self.passphrase = workspace, typed
        self.accept()

    def show_error(self, exc: BaseException) -> None:
        """Say why ``exc`` stopped the opening (a wrong passphrase: that nothing was written) and ask again."""
        if isinstance(exc, WorkspaceError) and exc.code in ("wrong_passphrase", "key"):
            self._fail(self.tr("Wrong passphrase: this is not the passphrase of this snapshot. Nothing was "
                               "written. Check the handover slip and type it again."))
        else:
            self._fail(i18n.error_text(exc))

    def _fail(self, text: str) -> None:
        self.busy.hide()
        self.buttons.setEnabled(True)
        self.field.setEnabled(True)
        self.error.setText(text)
        self.error.show()
        self.field.selectAll()
        self.field.setFocus()


class SlipCheck(QWidget):
    """The coordinator fingerprint and the snapshot digest, grouped as on the handover slip, to compare."""

    matches = Signal()
    differs = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("slipCheck")
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Compare with your handover slip"))
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)
        layout.addWidget(title)
        intro = QLabel(self.tr("Before anything else, compare these two, character by character, with the "
                               "handover slip the coordinator gave you in person. If anything differs, do not "
                               "review: close the window and call the coordinator."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.round = QLabel()
        self.round.setObjectName("slipRound")
        form.addRow(self.tr("Round:"), self.round)
        self.fingerprint = mono_label("", name="coordinatorFingerprint")
        self.fingerprint.setAccessibleName(self.tr("Coordinator key fingerprint"))
        form.addRow(self.tr("Coordinator key fingerprint:"), self.fingerprint)
        self.digest = mono_label("", name="snapshotDigest")
        self.digest.setAccessibleName(self.tr("Snapshot digest"))
        form.addRow(self.tr("Snapshot digest (SHA-256):"), self.digest)
        self.home = QLabel()
        self.home.setObjectName("slipHome")
        self.home.setWordWrap(True)
        form.addRow(self.tr("Workspace folder:"), self.home)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.match_button = QPushButton(self.tr("&Both match the slip"))
        self.match_button.setObjectName("slipMatches")
        self.match_button.clicked.connect(self.matches)
        self.differ_button = QPushButton(self.tr("They &differ"))
        self.differ_button.setObjectName("slipDiffers")
        self.differ_button.clicked.connect(self.differs)
        buttons.addWidget(self.match_button)
        buttons.addWidget(self.differ_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.warning = QLabel(self.tr("Do not review with this snapshot: it is not the one on your slip. Close "
                                      "the window and call the coordinator."))
        self.warning.setObjectName("slipWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b00020;")
        self.warning.hide()
        layout.addWidget(self.warning)
        layout.addStretch(1)

    def show_workspace(self, ws: ReviewWorkspace) -> None:
        _, name, year = ws.round
        self.round.setText(self.tr("{name} ({year}), expert {expert}, {count} applications").format(
            name=name, year=year, expert=ws.expert_id, count=len(ws.applications)))
        self.fingerprint.setText(ws.coordinator_fingerprint)
        self.digest.setText(grouped(ws.snapshot_digest))
        self.home.setText(str(ws.home))
        self.warning.hide()
        self.match_button.setEnabled(True)
        self.match_button.setFocus()


class StartWindow(QWidget):
    """The first screen: choose a snapshot or a recent workspace, then compare it with the slip."""

    opened = Signal(object)  # the open ReviewWorkspace, compared with the slip (or reopened)
    CHOOSE, CHECK = 0, 1

    def __init__(self, home: Path | None = None, *, choose_file: Callable[[], str] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("startWindow")
        self.setWindowTitle(self.tr("qbdesk — expert review"))
        self.setAcceptDrops(True)
        self._home = home  # --home: the workspace folder to use
        self._choose_file = choose_file or self._file_dialog
        self._workspace: ReviewWorkspace | None = None
        self.dialog: PassphraseDialog | None = None
        self.stack = QStackedWidget()
        self.stack.setMaximumWidth(980)  # a calm column, not a line across a wide screen
        self.stack.setMinimumWidth(640)
        self.stack.addWidget(self._choose_page())
        self.check = SlipCheck()
        self.check.matches.connect(self._confirmed)
        self.check.differs.connect(self._differs)
        self.stack.addWidget(self.check)
        layout = QHBoxLayout(self)
        layout.addWidget(self.stack, 1, Qt.AlignmentFlag.AlignHCenter)
        self.resize(760, 520)
        self.refresh_recent()

    def _choose_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        title = QLabel(self.tr("Expert review"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        title.setFont(font)
        layout.addWidget(title)
        intro = QLabel(self.tr("Open the snapshot (.qbsnap) the coordinator gave you on a USB stick. You will "
                               "need the passphrase from your handover slip."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.open_button = QPushButton(self.tr("&Open a snapshot…"))
        self.open_button.setObjectName("openSnapshot")
        self.open_button.setShortcut(QKeySequence.StandardKey.Open)
        self.open_button.clicked.connect(self.choose_snapshot)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        drop = QLabel(self.tr("…or drop a .qbsnap file onto this window."))
        drop.setObjectName("dropZone")
        drop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        drop.setFrameShape(QFrame.Shape.StyledPanel)
        drop.setMinimumHeight(90)
        layout.addWidget(drop)
        self.recent_label = QLabel(self.tr("&Recent workspaces:"))
        layout.addWidget(self.recent_label)
        self.recent = QListWidget()
        self.recent.setObjectName("recentWorkspaces")
        self.recent.setAccessibleName(self.tr("Recent workspaces"))
        self.recent.itemActivated.connect(lambda item: self.reopen(Path(item.data(Qt.ItemDataRole.UserRole))))
        self.recent_label.setBuddy(self.recent)
        layout.addWidget(self.recent, 1)
        self.message = QLabel()
        self.message.setObjectName("startMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        layout.addWidget(self.message)
        layout.addStretch(1)
        return page

    def refresh_recent(self) -> None:
        self.recent.clear()
        for home in shell_settings.recent_workspaces():
            item = QListWidgetItem(str(home))
            item.setData(Qt.ItemDataRole.UserRole, str(home))
            self.recent.addItem(item)
        has = self.recent.count() > 0
        self.recent.setVisible(has)
        self.recent_label.setVisible(has)
        if has:
            self.recent.setCurrentRow(0)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def say_purged(self, count: int) -> None:
        self.say(self.tr("The review was removed from this computer ({count} files and folders).").format(count=count))

    # ----- drag and drop
    @staticmethod
    def _dropped_snapshot(event) -> Path | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        return files[0] if len(files) == 1 and files[0].suffix.lower() == SNAPSHOT_SUFFIX else None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_snapshot(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self._dropped_snapshot(event)
        if path is not None:
            event.acceptProposedAction()
            self.open_path(path)

    # ----- opening
    def _file_dialog(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open a snapshot"), "",
                                              self.tr("Snapshots (*.qbsnap)"))
        return path

    def choose_snapshot(self) -> None:
        chosen = self._choose_file()
        if chosen:
            self.open_path(Path(chosen))

    def open_path(self, snapshot: Path) -> None:
        """Open a snapshot file: ask for the passphrase, make (or reopen) its workspace, compare with the slip."""
        if not snapshot.is_file():
            self.say(self.tr("{path} is not a file.").format(path=str(snapshot)))
            return
        home = self._home or default_home(snapshot)
        self.say("")
        prompt = self.tr("The passphrase of {file} (on your handover slip). Case, spaces and hyphens do not "
                         "matter.").format(file=snapshot.name)
        self._ask(lambda secret: open_snapshot(snapshot, home, secret), prompt, self._snapshot_opened)

    def _snapshot_opened(self, ws: ReviewWorkspace) -> None:
        self.show()  # the comparison with the slip is on this window
        shell_settings.remember_workspace(ws.home)
        if shell_settings.is_confirmed(ws.snapshot_digest) and not self._pending(ws):
            self._finish(ws)
            return
        shell_settings.mark_pending(ws.snapshot_digest)
        self._show_check(ws)

    def open_with_passphrase(self, snapshot: Path | None, home: Path, passphrase: str, *,
                             prepared: PreparedLoad | None = None) -> None:
        """--passphrase-file: try the given passphrase; if it is wrong, say so and ask as usual.

        ``prepared``: the load of ``home`` with this passphrase, already begun (the command line starts
        it before Qt is imported); its result or error is taken here as this load's own.
        """
        if snapshot is None and prepared is not None and prepared.home == home:
            attempt = prepared.take
            then, again = self._workspace_reopened, (lambda: self.reopen(home))
        elif snapshot is not None:
            def attempt() -> ReviewWorkspace:
                return open_snapshot(snapshot, home, passphrase)
            then, again = self._snapshot_opened, (lambda: self.open_path(snapshot))
        else:
            def attempt() -> ReviewWorkspace:
                return ReviewWorkspace.load(home, passphrase)
            then, again = self._workspace_reopened, (lambda: self.reopen(home))

        def failed(exc: BaseException) -> None:
            self.show()
            self.say(i18n.error_text(exc))
            if isinstance(exc, WorkspaceError) and exc.code in ("wrong_passphrase", "key"):
                again()
                if self.dialog is not None:  # asked again: the dialog says why
                    self.dialog.show_error(exc)

        self.say(self.tr("Opening the workspace…"))
        in_background(attempt, self, lambda ws: (self.say(""), then(ws)), failed, "open workspace")

    def reopen(self, home: Path) -> None:
        """Reopen a workspace: only the passphrase is asked (and the slip, if it was never compared)."""
        self.say("")
        prompt = self.tr("The passphrase of the workspace in {home}.").format(home=str(home))
        self._ask(lambda secret: ReviewWorkspace.load(home, secret), prompt, self._workspace_reopened)

    def _workspace_reopened(self, ws: ReviewWorkspace) -> None:
        shell_settings.remember_workspace(ws.home)
        if self._pending(ws):
            self.show()
            self._show_check(ws)
        else:
            self._finish(ws)

    @staticmethod
    def _pending(ws: ReviewWorkspace) -> bool:
        return shell_settings.is_pending(ws.snapshot_digest)

    def _ask(self, attempt: Callable[[str], ReviewWorkspace], prompt: str,
             then: Callable[[ReviewWorkspace], None]) -> None:
        """Show the passphrase dialog (window-modal, not blocking); ``then`` gets the workspace it opened."""
        if self.dialog is not None:
            self.dialog.deleteLater()
        dialog = self.dialog = PassphraseDialog(attempt, prompt, self)

        def done(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted and dialog.workspace is not None:
                then(dialog.workspace)

        dialog.finished.connect(done)
        dialog.open()

    def _show_check(self, ws: ReviewWorkspace) -> None:
        self._workspace = ws
        self.check.show_workspace(ws)
        self.stack.setCurrentIndex(self.CHECK)
        self.check.match_button.setFocus()  # Space confirms; Tab reaches "They differ"

    def _confirmed(self) -> None:
        ws, self._workspace = self._workspace, None
        if ws is None:
            return
        shell_settings.confirm(ws.snapshot_digest)
        self._finish(ws)

    def _differs(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None
        self.check.match_button.setEnabled(False)
        self.check.warning.show()

    def _finish(self, ws: ReviewWorkspace) -> None:
        self.stack.setCurrentIndex(self.CHOOSE)
        self.opened.emit(ws)

    def current_workspace(self) -> ReviewWorkspace | None:
        return self._workspace

    def closeEvent(self, event) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None
        super().closeEvent(event)

