"""The expert's window (objectName ``reviewWindow``): work list | document | scoring panel.

The declaration comes first: until it is accepted the window shows only its text, and the
reading and scoring widgets are not even made. Then the work list on the left, and on the
right the reading splitter (``readingSplitter``: DocumentPane | ScoringPanel, remembered)
and "My overview" in a second tab. The idle lock replaces all of it and clears the title.

The work list is what the window opens to, so it is made first and shown at once; the reading
pane and the scoring panel (QtPdf, the rubric's form) are made just after, in the event loop's
next turn, and show the application the list has current — or at once, whenever something asks
for them first (a selection, a shortcut). "My overview" is made when its tab is first shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from qbdesk.gui import i18n
from qbdesk.gui.review import shell_panels, shell_settings
from qbdesk.gui.review.declaration import DeclarationView, RecusalDialog
from qbdesk.gui.review.lock import IdleLock, LockView
from qbdesk.gui.review.worklist import WorkList
from qbdesk.services.reviewer import ReviewWorkspace


def is_finalised(ws: ReviewWorkspace) -> bool:
    return bool(getattr(ws, "finalised", False))


class ReviewWindow(QMainWindow):
    DECLARATION, WORK, LOCKED = 0, 1, 2
    READING, NOTICE = 0, 1
    languageChosen = Signal(str)
    purged = Signal(list)
    workListShown = Signal()

    def __init__(self, workspace: ReviewWorkspace, *, lock_minutes: float | None = None,
                 choose_folder: Callable[[], str] | None = None, choose_pdf: Callable[[], str] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewWindow")
        self.ws = workspace
        self._choose_folder = choose_folder
        self._choose_pdf = choose_pdf or self._pdf_dialog
        self._page_before_lock = self.DECLARATION
        self._dialogs: list[QWidget] = []
        self.worklist: WorkList | None = None
        self._document = self._scoring = self.overview = None
        self._pending = ""  # the application to show once the panels are made
        self.stack = QStackedWidget()
        self.stack.setObjectName("reviewStack")
        self.declaration = DeclarationView(workspace)
        self.declaration.accepted.connect(self._declared)
        self.stack.addWidget(self.declaration)
        self.work = QWidget()  # replaced by the work page once the declaration is accepted
        self.stack.addWidget(self.work)
        self.lock_view = LockView(workspace)
        self.lock_view.unlocked.connect(self.unlock)
        self.stack.addWidget(self.lock_view)
        self.setCentralWidget(self.stack)
        self._build_status_bar()
        self._build_menus()
        self.idle = IdleLock(lock_minutes or shell_settings.lock_minutes(), self)
        self.idle.idle.connect(self.lock)
        self.resize(1280, 760)
        if workspace.declaration.accepted:
            self._build_work()
        else:
            self.stack.setCurrentIndex(self.DECLARATION)
        self._enable_actions()
        self._update_title()
        self._update_export_state()

    # ----- construction
    def _build_status_bar(self) -> None:
        self.saved_label = QLabel()
        self.saved_label.setObjectName("savedState")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("progressState")
        self.export_label = QLabel()
        self.export_label.setObjectName("exportState")
        bar = self.statusBar()
        bar.addWidget(self.saved_label)
        bar.addWidget(self.progress_label, 1)
        bar.addPermanentWidget(self.export_label)

    def _action(self, menu, text: str, slot, shortcut=None, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        review = self.menuBar().addMenu(self.tr("&Review"))
        self.finalise_action = self._action(review, self.tr("&Finalise and export…"), self.open_finalise,
                                            "Ctrl+E", "finaliseAction")
        self.print_action = self._action(review, self.tr("&Print my scorecards…"), self.print_preview,
                                         QKeySequence.StandardKey.Print, "printAction")
        self.pdf_action = self._action(review, self.tr("Save my scorecards as P&DF…"), self.save_pdf, None, "pdfAction")
        self.reopen_action = self._action(review, self.tr("Re&open for correction"), self.reopen_for_correction,
                                          None, "reopenAction")
        review.addSeparator()
        self.purge_action = self._action(review, self.tr("Re&move the review from this computer…"),
                                         self.open_purge, None, "purgeAction")
        review.addSeparator()
        self.lock_action = self._action(review, self.tr("&Lock now"), self.lock, "Ctrl+L", "lockAction")
        self._action(review, self.tr("&Close"), self.close, QKeySequence.StandardKey.Quit, "closeAction")
        app = self.menuBar().addMenu(self.tr("&Application"))
        self.next_action = self._action(app, self.tr("&Next incomplete application"), self.next_incomplete, "F8",
                                        "nextIncompleteAction")
        self.recuse_action = self._action(app, self.tr("&Recuse (conflict of interest)…"), self.recuse, "Ctrl+R",
                                          "recuseAction")
        self.withdraw_action = self._action(app, self.tr("&Withdraw the recusal"), self.withdraw_recusal, None,
                                            "withdrawAction")
        view = self.menuBar().addMenu(self.tr("&View"))
        self.list_action = self._action(view, self.tr("&Work list"), self.focus_work_list, "Ctrl+1", "workListAction")
        self.reading_action = self._action(view, self.tr("&Reading and scoring"), self.show_reading, "Ctrl+2",
                                           "readingAction")
        self.overview_action = self._action(view, self.tr("My &overview"), self.show_overview, "Ctrl+3",
                                            "overviewAction")
        view.addSeparator()
        languages = view.addMenu(self.tr("&Language"))
        group = QActionGroup(self)
        for lang, label in (("zh", "中文"), ("en", "English")):
            action = QAction(label, self)
            action.setObjectName(f"language_{lang}")
            action.setCheckable(True)
            action.setChecked(i18n.current_language() == lang)
            action.triggered.connect(lambda _=False, lang=lang: self._choose_language(lang))
            group.addAction(action)
            languages.addAction(action)
        self.work_actions = [self.finalise_action, self.print_action, self.pdf_action, self.reopen_action,
                             self.next_action, self.recuse_action, self.withdraw_action, self.list_action,
                             self.reading_action, self.overview_action]

    @property
    def document(self) -> QWidget | None:
        """The reading pane (made on first use); None before the declaration is signed."""
        self._ensure_panels()
        return self._document

    @property
    def scoring(self) -> QWidget | None:
        """The scoring panel (made on first use); None before the declaration is signed."""
        self._ensure_panels()
        return self._scoring

    def _ensure_panels(self) -> None:
        """Make the reading splitter (DocumentPane | ScoringPanel) and show the application waiting for it."""
        if self._scoring is not None or self.worklist is None:
            return
        ws = self.ws
        self._document = shell_panels.document_pane(ws)
        self._scoring = shell_panels.scoring_panel(ws)
        self._scoring.changed.connect(self._saved)
        self._scoring.savedStateChanged.connect(self.saved_label.setText)
        self._scoring.set_read_only(is_finalised(ws))
        self.reading_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.reading_splitter.setObjectName("readingSplitter")
        self.reading_splitter.addWidget(self._document)
        self.reading_splitter.addWidget(self._scoring)
        self.reading_splitter.setStretchFactor(0, 3)
        self.reading_splitter.setStretchFactor(1, 2)
        self.reading_splitter.setChildrenCollapsible(False)
        state = shell_settings.splitter_state()
        if state is not None:
            self.reading_splitter.restoreState(state)
        self.reading_splitter.splitterMoved.connect(
            lambda *_: shell_settings.set_splitter_state(self.reading_splitter.saveState()))
        showing = self.reading.currentIndex()
        placeholder = self.reading.widget(self.READING)
        self.reading.insertWidget(self.READING, self.reading_splitter)
        self.reading.removeWidget(placeholder)
        placeholder.deleteLater()
        self.reading.setCurrentIndex(showing)
        pending, self._pending = self._pending, ""
        if pending and pending == self.worklist.current_code():
            self.show_application(pending)

    def _build_work(self) -> None:
        ws = self.ws
        self.worklist = WorkList(ws)
        self.worklist.currentChanged.connect(self.show_application)
        self.notice = QLabel()
        self.notice.setObjectName("readingNotice")
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.reading = QStackedWidget()
        self.reading.setObjectName("readingStack")
        self.reading.addWidget(QWidget())  # the reading splitter's place, until _ensure_panels
        self.reading.addWidget(self.notice)
        self.overview = None  # made when its tab is first shown: 500 × 12 cells need not slow the start
        self.overview_page = QStackedWidget()
        self.overview_page.setObjectName("overviewPage")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("reviewTabs")
        self.tabs.addTab(self.reading, self.tr("Reading and scoring"))
        self.tabs.addTab(self.overview_page, self.tr("My overview"))
        self.tabs.currentChanged.connect(self._tab_changed)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.setObjectName("mainSplitter")
        body.addWidget(self.worklist)
        body.addWidget(self.tabs)
        body.setStretchFactor(1, 1)
        body.setSizes([260, 1020])
        old = self.work
        self.stack.insertWidget(self.WORK, body)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.work = body
        self.stack.setCurrentIndex(self.WORK)
        self._update_progress()
        self._say_notice(self.tr("Choose an application in the work list (F8: the next incomplete one)."))
        first = self.worklist.next_incomplete() or (self.worklist.visible_codes() or [""])[0]
        if first:
            self._pending = first  # current in the list now; shown once the panels are made, just below
            self.worklist.select(first)
        self.worklist.view.setFocus()
        QTimer.singleShot(0, self.workListShown)
        QTimer.singleShot(0, self._ensure_panels)

    def _tab_changed(self, index: int) -> None:
        if index != 1:
            return
        if self.overview is None:
            self.overview = shell_panels.overview_view(self.ws)
            self.overview.applicationActivated.connect(self._overview_activated)
            self.overview_page.addWidget(self.overview)
        else:
            self.overview.refresh()

    def _say_notice(self, text: str) -> None:
        if self.worklist is None:
            return
        self.notice.setText(text)
        self.reading.setCurrentIndex(self.NOTICE)

    # ----- state shown
    def _update_title(self) -> None:
        if self.stack.currentIndex() == self.LOCKED:
            self.setWindowTitle("qbdesk")
            return
        _, name, year = self.ws.round
        self.setWindowTitle(self.tr("qbdesk — expert review — {round} ({year}) — {expert}").format(
            round=name, year=year, expert=self.ws.expert_id))

    def _update_progress(self) -> None:
        if self.worklist is not None:
            self.progress_label.setText(self.worklist.summary.text())

    def _update_export_state(self) -> None:
        seq = self.ws.sequence
        if is_finalised(self.ws):
            text = self.tr("Finalised: score file sequence {sequence}. To change anything, reopen for "
                           "correction.").format(sequence=seq)
        elif seq:
            text = self.tr("Changed since score file {sequence}: the next export will be a new file, sequence "
                           "{next}.").format(sequence=seq, next=seq + 1)
        else:
            text = self.tr("Not finalised yet.")
        self.export_label.setText(text)
        if self._scoring is not None:
            self._scoring.set_read_only(is_finalised(self.ws))
        self._enable_actions()

    def _enable_actions(self) -> None:
        declared = self.worklist is not None and self.stack.currentIndex() != self.LOCKED
        for action in self.work_actions:
            action.setEnabled(declared)
        if declared:
            self.reopen_action.setEnabled(is_finalised(self.ws))
            code = self.worklist.current_code()
            recused = bool(code) and code in self.ws.recusals
            self.recuse_action.setEnabled(bool(code) and not recused)
            self.withdraw_action.setEnabled(recused)
        self.lock_action.setEnabled(self.stack.currentIndex() != self.LOCKED)
        self.purge_action.setEnabled(self.stack.currentIndex() != self.LOCKED)

    # ----- reacting
    def _declared(self) -> None:
        self._build_work()
        self._enable_actions()

    def _saved(self, code: str) -> None:
        self.worklist.refresh()
        self._update_progress()
        self._update_export_state()

    def show_application(self, code: str) -> None:
        if not code or self.worklist is None:
            return
        if code in self.ws.recusals:
            self._say_notice(self.tr("You recused from {code}: {reason}\nApplication ▸ Withdraw the recusal, "
                                     "to score it after all.").format(code=code, reason=self.ws.recusals[code]))
        elif self._scoring is None and self._pending == code:
            pass  # the first one, while the window opens: _ensure_panels shows it
        else:
            self._pending = ""
            self.document.show_application(code)
            self.scoring.show_application(code)
            self.reading.setCurrentIndex(self.READING)
        self._enable_actions()

    def focus_work_list(self) -> None:
        if self.worklist is not None:
            self.worklist.view.setFocus()

    def show_reading(self) -> None:
        if self.worklist is not None:
            self.tabs.setCurrentIndex(0)
            self.scoring.setFocus()

    def show_overview(self) -> None:
        if self.worklist is not None:
            self.tabs.setCurrentIndex(1)
            self.overview.setFocus()  # made by the tab change

    def _overview_activated(self, code: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.worklist.select(code)

    def next_incomplete(self) -> None:
        code = self.worklist.next_incomplete()
        if not code:
            self.statusBar().showMessage(self.tr("Every application is complete (or recused)."), 8000)
            return
        self.tabs.setCurrentIndex(0)
        self.worklist.select(code)
        self.scoring.focus_next_incomplete()

    def jump_to(self, code: str, criterion: str, item: str = "") -> None:
        """Show ``code`` and put the cursor on one of its criteria (the finalise checklist's jump)."""
        self.tabs.setCurrentIndex(0)
        self.worklist.select(code)
        self.scoring.focus_criterion(criterion, item)

    # ----- recusal
    def _finalised_refusal(self) -> bool:
        if is_finalised(self.ws):
            QMessageBox.information(self, self.tr("Finalised"), self.tr(
                "Your scores are finalised. Reopen for correction (Review menu) to change anything."))
            return True
        return False

    def recuse(self) -> None:
        code = self.worklist.current_code() if self.worklist else ""
        if not code or code in self.ws.recusals or self._finalised_refusal():
            return
        dialog = RecusalDialog(code, self)
        self._track(dialog)

        def done(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            try:
                self.ws.recuse(code, dialog.text())
            except Exception as exc:
                QMessageBox.warning(self, self.tr("Recusal not recorded"), i18n.error_text(exc))
                return
            self._after_recusal_change()
            self.statusBar().showMessage(self.tr("Recused from {code}.").format(code=code), 8000)
            following = self.worklist.next_incomplete()
            if following:
                self.worklist.select(following)
            else:
                self._say_notice(self.tr("Every application is complete (or recused)."))

        dialog.finished.connect(done)
        dialog.open()

    def withdraw_recusal(self) -> None:
        code = self.worklist.current_code() if self.worklist else ""
        if not code or code not in self.ws.recusals or self._finalised_refusal():
            return
        try:
            self.ws.withdraw_recusal(code)
        except Exception as exc:
            QMessageBox.warning(self, self.tr("Recusal not withdrawn"), i18n.error_text(exc))
            return
        self._after_recusal_change()
        self.worklist.select(code)
        self.show_application(code)

    def _after_recusal_change(self) -> None:
        self.worklist.refresh()
        self.worklist.proxy.refilter()
        self._update_progress()
        self._update_export_state()

    # ----- finalise, print, purge
    def _track(self, dialog: QWidget) -> None:
        """Dialogs are closed when the window locks."""
        self._dialogs = [d for d in self._dialogs if shiboken6.isValid(d) and d.isVisible()] + [dialog]
        dialog.finished.connect(dialog.deleteLater) if isinstance(dialog, QDialog) else None

    def open_finalise(self):
        from qbdesk.gui.review.finalise import FinaliseDialog

        if self.worklist is None:
            return None
        dialog = FinaliseDialog(self.ws, choose_folder=self._choose_folder, parent=self)
        self._track(dialog)
        dialog.jumpTo.connect(self.jump_to)
        dialog.finalised.connect(lambda result: self._update_export_state())
        dialog.open()
        self.finalise_dialog = dialog
        return dialog

    def reopen_for_correction(self) -> None:
        if not is_finalised(self.ws):
            return
        self.ws.reopen_for_correction()
        self._update_export_state()
        seq = self.ws.sequence
        self.export_label.setText(self.tr("Reopened for correction: the next export will be a new score file, "
                                          "sequence {next}, which replaces sequence {sequence}.")
                                  .format(next=seq + 1, sequence=seq))

    def print_preview(self):
        from qbdesk.gui.review import printing

        if self.worklist is None:
            return None
        dialog = printing.preview(self.ws, self)
        self._track(dialog)
        self.preview_dialog = dialog
        return dialog

    def _pdf_dialog(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save my scorecards as PDF"),
                                              f"{self.ws.expert_id}-scorecards.pdf", self.tr("PDF (*.pdf)"))
        return path

    def save_pdf(self) -> None:
        from qbdesk.gui.review import printing

        chosen = self._choose_pdf()
        if chosen:
            printing.save_pdf(self.ws, Path(chosen))
            self.statusBar().showMessage(self.tr("Saved {path}.").format(path=chosen), 8000)

    def open_purge(self):
        from qbdesk.gui.review.purge import PurgeDialog

        try:
            dialog = PurgeDialog(self.ws.home, finalised=is_finalised(self.ws), before=self.ws.close, parent=self)
        except Exception as exc:
            QMessageBox.warning(self, self.tr("Cannot remove the review"), i18n.error_text(exc))
            return None
        self._track(dialog)
        dialog.purged.connect(self.purged)
        dialog.open()
        self.purge_dialog = dialog
        return dialog

    # ----- lock
    def lock(self) -> None:
        if self.stack.currentIndex() == self.LOCKED:
            return
        self._page_before_lock = self.stack.currentIndex()
        dialogs, self._dialogs = self._dialogs, []
        for dialog in dialogs:  # nothing of an application stays on screen
            if shiboken6.isValid(dialog) and dialog.isVisible():
                dialog.reject() if isinstance(dialog, QDialog) else dialog.close()
        self.stack.setCurrentIndex(self.LOCKED)
        self.lock_view.reset()
        self.idle.pause()
        self.saved_label.clear()
        self.statusBar().hide()
        self._update_title()
        self._enable_actions()

    def unlock(self) -> None:
        self.stack.setCurrentIndex(self._page_before_lock)
        self.statusBar().show()
        self.idle.resume()
        self._update_title()
        self._enable_actions()

    def is_locked(self) -> bool:
        return self.stack.currentIndex() == self.LOCKED

    # ----- language, closing
    def _choose_language(self, lang: str) -> None:
        if lang != i18n.current_language():
            shell_settings.set_language(lang)
            self.languageChosen.emit(lang)

    def closeEvent(self, event) -> None:
        if self._scoring is not None:
            shell_settings.set_splitter_state(self.reading_splitter.saveState())
        self.idle.stop()
        super().closeEvent(event)

