"""Purge: once the coordinator has confirmed receipt of the score file, remove the workspace from the laptop.

The dialog names exactly what will be removed (``purge_plan``: the state, the key, the snapshot
copy, … — only what qbdesk made) and removes it only after the expert ticks that the
coordinator confirmed receipt and presses the button.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qbdesk.gui import i18n


class PurgeDialog(QDialog):
    purged = Signal(list)  # the paths removed

    def __init__(self, home: Path, *, finalised: bool, before: Callable[[], None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        from qbdesk.services.reviewer.purge import purge_plan

        self.setObjectName("purgeDialog")
        self.setWindowTitle(self.tr("Remove the review from this computer"))
        self._home = home
        self._before = before  # closes the workspace: its files are in use until then
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Only after the coordinator has confirmed that they received your score file: "
                               "this removes the following from this computer, for good. Your scores cannot be "
                               "exported again afterwards."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if not finalised:
            warn = QLabel(self.tr("Warning: your current scores are not finalised; nothing of them would be kept."))
            warn.setObjectName("purgeWarning")
            warn.setWordWrap(True)
            warn.setStyleSheet("color: #b00020;")
            layout.addWidget(warn)
        self.plan = [Path(p) for p in purge_plan(home)]
        self.list = QListWidget()
        self.list.setObjectName("purgePlan")
        self.list.setAccessibleName(self.tr("What will be removed"))
        for path in self.plan:
            self.list.addItem(str(path))
        layout.addWidget(self.list, 1)
        self.confirm = QCheckBox(self.tr("The coordinator has &confirmed receipt of my score file"))
        self.confirm.setObjectName("purgeConfirm")
        layout.addWidget(self.confirm)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.remove = QPushButton(self.tr("&Remove these files"))
        self.remove.setObjectName("purgeButton")
        self.remove.setEnabled(False)
        self.confirm.toggled.connect(self.remove.setEnabled)
        self.remove.clicked.connect(self._purge)
        buttons.addButton(self.remove, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def _purge(self) -> None:
        from qbdesk.services.reviewer.purge import purge

        if not self.confirm.isChecked():
            return
        try:
            if self._before is not None:
                self._before()
                self._before = None
            removed = purge(self._home)
        except Exception as exc:  # a file that cannot be removed: said; the rest of the plan stays listed
            self.error.setText(i18n.error_text(exc))
            self.error.show()
            return
        self.purged.emit([str(p) for p in removed])
        self.accept()
