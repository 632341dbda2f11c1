"""The coordinator's main window: a round's applications, per program.

Left the programs (with counts), right the applications table behind a
sort/filter proxy. Data comes from :func:`qbdesk.services.overview.round_overview`,
read on a worker thread; the window never touches the database itself.
The workspaces of later steps plug in beside this shell.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

import qbdesk
from qbdesk.gui import i18n
from qbdesk.gui.common.events import CoreEvents
from qbdesk.gui.common.models import ROW_ROLE, ApplicationFilterProxy, ApplicationTableModel, ProgramListModel
from qbdesk.gui.common.tasks import Task, TaskContext, run_task
from qbdesk.services.overview import RoundOverview, round_overview
from qbdesk.store.engine import Database, open_database


def _read_overview(db: Database, round_id: int | None, context: TaskContext) -> RoundOverview:
    context.check()
    with db.sessions() as session:
        return round_overview(session, round_id)


def _open(opener: Callable[[str], Database], path: str, context: TaskContext) -> Database:
    return opener(path)


class MainWindow(QMainWindow):
    CONTENT_PAGE, MESSAGE_PAGE = 0, 1
    loaded = Signal()  # a refresh ended: the round is shown, or a message says why not

    def __init__(self, database: Database | None = None, *,
                 opener: Callable[[str], Database] = partial(open_database, create=False), parent: QWidget | None = None):
        super().__init__(parent)
        self._db = database
        self._opener = opener
        self._round_id: int | None = None  # None: the latest round
        self._load: Task | None = None
        self.overview: RoundOverview | None = None
        self._program_list_fitted = False
        self.events = CoreEvents(self)  # later steps' services report here; see _wire_events
        self.program_model = ProgramListModel(self)
        self.application_model = ApplicationTableModel(self)
        self.proxy = ApplicationFilterProxy(self)
        self.proxy.setSourceModel(self.application_model)
        self._build_body()
        self._build_menus()
        self._wire_events()
        self.resize(1200, 720)
        self._update_title()
        self.refresh()

    # ----- construction
    def _build_body(self) -> None:
        self.program_view = QListView()
        self.program_view.setModel(self.program_model)
        self.program_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.program_view.selectionModel().currentChanged.connect(self._program_chosen)
        programs_label = QLabel(self.tr("&Programs"))
        programs_label.setBuddy(self.program_view)

        self.filter_edit = QLineEdit()
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setPlaceholderText(self.tr("ID, title, applicant or credit code"))
        self.filter_edit.textChanged.connect(self._filter_changed)
        search_label = QLabel(self.tr("&Search:"))
        search_label.setBuddy(self.filter_edit)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ApplicationTableModel.ID, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.horizontalHeader().setHighlightSections(False)
        table_label = QLabel(self.tr("&Applications"))
        table_label.setBuddy(self.table)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(programs_label)
        lv.addWidget(self.program_view)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        search = QHBoxLayout()
        search.addWidget(search_label)
        search.addWidget(self.filter_edit, 1)
        rv.addLayout(search)
        rv.addWidget(table_label)
        rv.addWidget(self.table, 1)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([270, 930])
        body = QWidget()
        QVBoxLayout(body).addWidget(self.splitter)

        self.message = QLabel()  # empty state and errors, in place of the lists
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pages = QStackedWidget()
        self.pages.insertWidget(self.CONTENT_PAGE, body)
        self.pages.insertWidget(self.MESSAGE_PAGE, self.message)
        self.setCentralWidget(self.pages)
        self.setTabOrder(self.program_view, self.filter_edit)
        self.setTabOrder(self.filter_edit, self.table)

        self.round_label = QLabel()
        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.round_label)
        self.statusBar().addPermanentWidget(self.count_label)

    def _action(self, menu: QMenu, text: str, shortcut: QKeySequence | str | None, slot) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        file = self.menuBar().addMenu(self.tr("&File"))
        self.open_action = self._action(file, self.tr("&Open database…"), "Ctrl+O", self.choose_database)
        file.addSeparator()
        self.quit_action = self._action(file, self.tr("&Quit"), "Ctrl+Q", self.close)
        view = self.menuBar().addMenu(self.tr("&View"))
        self.refresh_action = self._action(view, self.tr("&Refresh"), "F5", self.refresh)
        self.search_action = self._action(view, self.tr("&Find"), "Ctrl+F", self._focus_search)
        self.round_menu = view.addMenu(self.tr("R&ound"))
        self.round_group = QActionGroup(self)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.about_action = self._action(help_menu, self.tr("&About qbdesk"), None, self.about)

    def _wire_events(self) -> None:
        self.events.notice.connect(lambda msg: self.statusBar().showMessage(i18n.text(msg), 8000))
        self.events.progress.connect(self._show_progress)
        self.events.changed.connect(lambda what, _ident: self.refresh())

    # ----- loading
    def database(self) -> Database | None:
        return self._db

    def refresh(self) -> None:
        """Re-read the round in the background; a refresh still running is abandoned."""
        if self._load is not None:
            self._load.cancel()
        if self._db is None:
            self._show_message(self.tr("No database is open.\n\nOpen one with File → Open database… (Ctrl+O)."))
            self.loaded.emit()
            return
        self.statusBar().showMessage(self.tr("Loading…"))
        # A cancelled task delivers neither result nor error, so an older refresh never lands late.
        self._load = run_task(partial(_read_overview, self._db, self._round_id), owner=self, name="overview",
                              on_result=self._loaded, on_error=self._load_failed)

    def _loaded(self, ov: RoundOverview) -> None:
        self._load = None
        self.overview = ov
        self.statusBar().clearMessage()
        self._fill_round_menu(ov)
        if ov.summary is None:
            self.program_model.set_summary(None)
            self.application_model.set_rows([])
            self._show_message(self.tr(
                "This database has no review round yet.\n\n"
                "Create one from a terminal:\n"
                "qbdesk demo — a demonstration round with sample applications\n"
                "qbdesk round init — a new round of your own\n\n"
                "then press F5 to refresh, or open another database with Ctrl+O."))
            self.loaded.emit()
            return
        self._round_id = ov.summary.id
        self.program_model.set_summary(ov.summary)
        self.application_model.set_rows(ov.rows)
        self.program_view.setCurrentIndex(self.program_model.index(self.program_model.row_of(self.proxy.program())))
        self.pages.setCurrentIndex(self.CONTENT_PAGE)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        widest_columns = ((ApplicationTableModel.APPLICANT, 240), (ApplicationTableModel.TITLE, 320),
                          (ApplicationTableModel.TIER, 200))
        for column, widest in widest_columns:
            header.resizeSection(column, min(header.sectionSize(column), widest))  # tooltips show the rest
        self._fit_program_list()
        self._update_status()
        self.loaded.emit()

    def _fit_program_list(self) -> None:
        """Once, when the names are known: wide enough for them (English ones are long), within reason."""
        if self._program_list_fitted:
            return
        self._program_list_fitted = True
        view = self.program_view
        wanted = min(view.sizeHintForColumn(0) + 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width(), 420)
        total = sum(self.splitter.sizes())
        self.splitter.setSizes([wanted, max(total - wanted, 400)])

    def _load_failed(self, exc: BaseException) -> None:
        self._load = None
        self.statusBar().clearMessage()
        self._show_message(self.tr("Could not read the database:\n{reason}").format(reason=i18n.error_text(exc)))
        self.loaded.emit()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentIndex(self.MESSAGE_PAGE)
        self.round_label.clear()
        self.count_label.clear()

    def _show_progress(self, done: int, total: int, label: str) -> None:
        self.statusBar().showMessage(f"{label} {done}/{total}".strip(), 3000)

    def _fill_round_menu(self, ov: RoundOverview) -> None:
        self.round_menu.clear()
        for action in self.round_group.actions():
            self.round_group.removeAction(action)
        chosen = ov.summary.id if ov.summary else None
        for info in ov.rounds:
            action = self.round_menu.addAction(f"{info.name} ({info.year})")
            action.setCheckable(True)
            action.setChecked(info.id == chosen)
            action.triggered.connect(lambda _checked=False, rid=info.id: self.choose_round(rid))
            self.round_group.addAction(action)
        self.round_menu.setEnabled(bool(ov.rounds))

    # ----- user actions
    def choose_round(self, round_id: int) -> None:
        self._round_id = round_id
        self.refresh()

    def _program_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.proxy.set_program(current.data(ROW_ROLE) if current.isValid() else None)
        self._update_status()

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_status()

    def _focus_search(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def choose_database(self) -> None:
        start = str(Path(self._db.engine.url.database).parent) if self._db and self._db.engine.url.database else ""
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open database"), start, self.tr("qbdesk databases (*.sqlite *.db);;All files (*)"))
        if path:
            self.open_database(path)

    def open_database(self, path: str) -> Task:
        """Open (and migrate) another database on the write path; the current one stays on failure."""
        self.statusBar().showMessage(self.tr("Opening {path}…").format(path=path))
        return run_task(partial(_open, self._opener, path), owner=self, name="open database", serial=True,
                        on_result=self._database_opened, on_error=partial(self._open_failed, path))

    def _open_failed(self, path: str, exc: BaseException) -> None:
        self.statusBar().clearMessage()
        QMessageBox.warning(self, self.tr("Open database"), self.tr("Could not open {path}:\n{reason}").format(
            path=path, reason=i18n.error_text(exc)))

    def _database_opened(self, db: Database) -> None:
        if self._load is not None:
            self._load.cancel()
            self._load = None
        old, self._db, self._round_id = self._db, db, None
        if old is not None:
            old.dispose()
        self._update_title()
        self.refresh()

    def about(self) -> None:
        QMessageBox.about(self, self.tr("About qbdesk"), self.tr(
            "<b>qbdesk</b> {version}<p>Expert review desk for the quality-and-brand special fund "
            "of the Shenzhen Administration for Market Regulation.</p>").format(
                version=getattr(qbdesk, "__version__", "")))

    # ----- display
    def _update_title(self) -> None:
        title = self.tr("qbdesk — quality-brand review desk")
        if self._db is not None:
            name = Path(self._db.engine.url.database).name if self._db.engine.url.database else self._db.url
            title = f"{name} — {title}"
        self.setWindowTitle(title)

    def _update_status(self) -> None:
        s = self.overview.summary if self.overview else None
        if s is None:
            return
        self.round_label.setText(self.tr("Round: {name} ({year})").format(name=s.name, year=s.year))
        self.count_label.setText(self.tr("{shown} of {total} applications shown").format(
            shown=self.proxy.rowCount(), total=s.applications))

    def closeEvent(self, event) -> None:
        if self._load is not None:
            self._load.cancel()
        super().closeEvent(event)
