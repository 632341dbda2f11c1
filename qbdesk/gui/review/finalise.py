"""Finalise and export: the checklist of what is still missing, then the signed score file.

The list comes from :meth:`ReviewWorkspace.missing`; Enter or a double-click on a line jumps to
that criterion. :meth:`ReviewWorkspace.finalize` writes the file atomically, reads it back and
verifies its signature before sealing it; the dialog then shows the digest and the expert key
fingerprint that the paper scorecards carry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qbdesk.gui import i18n
from qbdesk.gui.review.shell_common import grouped, mono_label
from qbdesk.services.reviewer import FinalizeResult, ReviewWorkspace

JUMP_ROLE = Qt.ItemDataRole.UserRole


def score_file_name(ws: ReviewWorkspace) -> str:
    """``E01-2.qbscore``: the expert and the sequence the next export gets."""
    return f"{ws.expert_id}-{ws.sequence + 1}.qbscore"


def missing_lines(ws: ReviewWorkspace) -> list[tuple[str, tuple[str, str, str]]]:
    """(text, (code, criterion, item)) for every value still missing, in the work list's terms."""
    lang = i18n.current_language()  # each message already names its criterion (and item)
    return [(f"{m.code}  {m.msg.text(lang)}", (m.code, m.criterion, m.item)) for m in ws.missing()]


class FinaliseDialog(QDialog):
    jumpTo = Signal(str, str, str)
    finalised = Signal(object)  # FinalizeResult

    def __init__(self, workspace: ReviewWorkspace, *, choose_folder: Callable[[], str] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("finaliseDialog")
        self.setWindowTitle(self.tr("Finalise and export"))
        self._ws = workspace
        self._choose_folder = choose_folder or self._folder_dialog
        self.result_: FinalizeResult | None = None
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setObjectName("finaliseStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.missing = QListWidget()
        self.missing.setObjectName("missingList")
        self.missing.setAccessibleName(self.tr("What is still missing"))
        self.missing.itemActivated.connect(self._jump)
        layout.addWidget(self.missing, 1)
        self.result_box = QWidget()
        self.result_box.setObjectName("finaliseResult")
        form = QFormLayout(self.result_box)
        self.file_label = QLabel()
        self.file_label.setObjectName("scoreFilePath")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("Score file:"), self.file_label)
        self.sequence_label = QLabel()
        self.sequence_label.setObjectName("scoreFileSequence")
        form.addRow(self.tr("Sequence:"), self.sequence_label)
        self.digest_label = mono_label("", name="scoreFileDigest")
        self.digest_label.setAccessibleName(self.tr("Score file digest"))
        form.addRow(self.tr("Score file digest:"), self.digest_label)
        self.fingerprint_label = mono_label("", name="expertFingerprint")
        self.fingerprint_label.setAccessibleName(self.tr("Expert key fingerprint"))
        form.addRow(self.tr("Expert key fingerprint:"), self.fingerprint_label)
        self.result_box.hide()
        layout.addWidget(self.result_box)
        self.error = QLabel()
        self.error.setObjectName("finaliseError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        layout.addWidget(self.error)
        layout.addStretch(0)  # takes the list's room once it is hidden: the result stays at the top
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.finalise_button = QPushButton(self.tr("&Finalise and export…"))
        self.finalise_button.setObjectName("finaliseButton")
        self.finalise_button.clicked.connect(self.finalise)
        buttons.addButton(self.finalise_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, 480)
        self.refresh()

    def refresh(self) -> None:
        """List what is missing; finalising is possible only when nothing is."""
        self.missing.clear()
        lines = missing_lines(self._ws)
        declared = self._ws.declaration.accepted
        if not declared:
            self.missing.addItem(self.tr("The declaration is not accepted yet."))
        for text, where in lines:
            item = QListWidgetItem(text)
            item.setData(JUMP_ROLE, where)
            self.missing.addItem(item)
        if lines or not declared:
            apps = len({where[0] for _, where in lines})
            self.status.setText(self.tr("Not ready to finalise: {count} values are still missing in {apps} "
                                        "applications. Press Enter (or double-click) on a line to go there.")
                                .format(count=len(lines), apps=apps))
            self.finalise_button.setEnabled(False)
            self.missing.setCurrentRow(0)
            self.missing.setFocus()
        else:
            self.status.setText(self.tr("Everything is filled in. Finalising signs your scores and writes the "
                                        "score file (sequence {sequence}) to the folder or USB stick you choose.")
                                .format(sequence=self._ws.sequence + 1))
            self.missing.hide()
            self.finalise_button.setEnabled(True)
            self.finalise_button.setFocus()

    def _jump(self, item: QListWidgetItem) -> None:
        where = item.data(JUMP_ROLE)
        if where:
            self.jumpTo.emit(*where)
            self.accept()

    def _folder_dialog(self) -> str:
        return QFileDialog.getExistingDirectory(self, self.tr("Where to write the score file (a USB stick)"))

    def finalise(self) -> None:
        folder = self._choose_folder()
        if not folder:
            return
        target = Path(folder) / score_file_name(self._ws)
        self.finalise_button.setEnabled(False)
        self.error.hide()
        self.status.setText(self.tr("Signing and writing {file}…").format(file=str(target)))
        # On this thread: the workspace is not shared with a worker while the panel may still save.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()
        try:
            result = self._ws.finalize(target)
        except Exception as exc:
            self._failed(exc)
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._written(result)

    def _written(self, result: FinalizeResult) -> None:
        self.result_ = result
        self.status.setText(self.tr("The score file was written, read back and verified. Hand it to the "
                                    "coordinator; your printed scorecards carry the same digest and fingerprint."))
        self.file_label.setText(result.path)
        self.sequence_label.setText(str(result.sequence))
        self.digest_label.setText(grouped(result.digest))
        self.fingerprint_label.setText(result.fingerprint)
        self.missing.hide()
        self.result_box.show()
        self.layout().setStretch(self.layout().count() - 2, 1)
        self.finalised.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.finalise_button.setEnabled(True)
        self.error.setText(i18n.error_text(exc))
        self.error.show()
        self.refresh()
