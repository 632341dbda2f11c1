"""The embedded PDF viewer of the reading pane: one blind attachment, from memory, with search.

The bytes come from ``ReviewWorkspace.read_attachment`` and go into a QBuffer that this widget
keeps referenced for as long as the document is shown (QPdfDocument reads from the device
lazily); nothing is ever written to disk. A document Qt cannot open (damaged, not a PDF, or
encrypted) shows a message in place of the pages.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QModelIndex, QPointF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.25, 6.0


class PdfViewer(QWidget):
    """QPdfView with page navigation, zoom, fit width/page and text search (hits highlighted)."""

    documentReady = Signal()  # the document loaded and its first page can be drawn
    documentFailed = Signal(str)  # what the user is told

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pdfViewer")
        self._buffer: QBuffer | None = None  # referenced while the document reads from it
        self._bytes: QByteArray | None = None
        self._waiting = False
        self.document = QPdfDocument(self)
        self.search_model = QPdfSearchModel(self)
        self.search_model.setDocument(self.document)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setSearchModel(self.search_model)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.message = QLabel(self)
        self.message.setObjectName("pdfMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.message)
        self._build_bars()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._nav_bar)
        layout.addLayout(self._search_bar)
        layout.addWidget(self.stack, 1)
        self._shortcuts()
        nav = self.view.pageNavigator()
        nav.currentPageChanged.connect(self._update_page_label)
        self.document.pageCountChanged.connect(self._update_page_label)
        self.document.statusChanged.connect(self._status_changed)
        self.search_model.rowsInserted.connect(self._update_hits)
        self.search_model.modelReset.connect(self._update_hits)
        self.view.currentSearchResultIndexChanged.connect(self._update_hits)
        self.retranslate()
        self._set_enabled(False)

    # --- building --------------------------------------------------------------------------

    def _button(self, name: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setObjectName(name)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    def _build_bars(self) -> None:
        self.prev_page = self._button("prevPage", self.previous_page)
        self.next_page = self._button("nextPage", self.next_page_)
        self.page_label = QLabel(self)
        self.page_label.setObjectName("pageLabel")
        self.zoom_out_button = self._button("zoomOut", self.zoom_out)
        self.zoom_in_button = self._button("zoomIn", self.zoom_in)
        self.fit_width_button = self._button("fitWidth", self.fit_width)
        self.fit_page_button = self._button("fitPage", self.fit_page)
        for b in (self.fit_width_button, self.fit_page_button):
            b.setCheckable(True)
        self.fit_width_button.setChecked(True)
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("zoomLabel")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.prev_page, self.page_label, self.next_page):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_width_button, self.fit_page_button):
            bar.addWidget(w)
        self._nav_bar = bar
        self.search_field = QLineEdit(self)
        self.search_field.setObjectName("pdfSearch")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.search_field.textChanged.connect(self._search)
        self.search_field.returnPressed.connect(self.next_hit)
        self.prev_hit_button = self._button("prevHit", self.previous_hit)
        self.next_hit_button = self._button("nextHit", self.next_hit)
        self.hits_label = QLabel(self)
        self.hits_label.setObjectName("hitsLabel")
        search = QHBoxLayout()
        search.setContentsMargins(0, 0, 0, 0)
        for w in (self.search_field, self.prev_hit_button, self.next_hit_button, self.hits_label):
            search.addWidget(w)
        self._search_bar = search

    def _shortcuts(self) -> None:
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut

        def add(keys, slot) -> None:
            sequences: dict[str, QKeySequence] = {}  # one shortcut per key: two would be ambiguous and neither fire
            for k in keys:
                for seq in (QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) else [QKeySequence(k)]):
                    sequences.setdefault(seq.toString(), seq)
            for seq in sequences.values():
                QShortcut(seq, self, context=ctx).activated.connect(slot)

        add([QKeySequence.StandardKey.Find], self.focus_search)
        add([QKeySequence.StandardKey.FindNext, "F3"], self.next_hit)
        add([QKeySequence.StandardKey.FindPrevious, "Shift+F3"], self.previous_hit)
        add([QKeySequence.StandardKey.ZoomIn, "Ctrl+="], self.zoom_in)
        add([QKeySequence.StandardKey.ZoomOut], self.zoom_out)
        add(["PgDown"], self.next_page_)
        add(["PgUp"], self.previous_page)
        add(["Ctrl+0"], self.fit_width)

    def retranslate(self) -> None:
        for button, text, tip in (
            (self.prev_page, self.tr("◀"), self.tr("Previous page (PgUp)")),
            (self.next_page, self.tr("▶"), self.tr("Next page (PgDn)")),
            (self.zoom_out_button, self.tr("−"), self.tr("Zoom out (Ctrl+-)")),
            (self.zoom_in_button, self.tr("+"), self.tr("Zoom in (Ctrl++)")),
            (self.fit_width_button, self.tr("Fit width"), self.tr("Fit the page width to the pane (Ctrl+0)")),
            (self.fit_page_button, self.tr("Fit page"), self.tr("Show the whole page")),
            (self.prev_hit_button, self.tr("▲"), self.tr("Previous hit (Shift+F3)")),
            (self.next_hit_button, self.tr("▼"), self.tr("Next hit (F3)")),
        ):
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip)
        self.search_field.setPlaceholderText(self.tr("Search the document (Ctrl+F)"))
        self.search_field.setAccessibleName(self.tr("Search the document"))
        self.view.setAccessibleName(self.tr("Attachment pages"))
        self.page_label.setAccessibleName(self.tr("Page"))
        self._update_page_label()
        self._update_hits()
        self._update_zoom_label()

    # --- loading ---------------------------------------------------------------------------

    def load_bytes(self, data: bytes) -> bool:
        """Show a PDF from memory; False (and a message in the pane) when Qt cannot open it."""
        self.clear()
        self._bytes = QByteArray(data)
        self._buffer = QBuffer(self._bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)  # the QIODevice overload: the outcome is in status() and error()
        if self.document.status() == QPdfDocument.Status.Loading:  # a device not read in full yet
            self._waiting = True
            return True
        return self._loaded()

    def _status_changed(self, status: QPdfDocument.Status) -> None:
        if self._waiting and status in (QPdfDocument.Status.Ready, QPdfDocument.Status.Error):
            self._waiting = False
            self._loaded()

    def _loaded(self) -> bool:
        if self.document.status() != QPdfDocument.Status.Ready or self.document.pageCount() < 1:
            self.show_message(self._error_text(self.document.error()))
            self.documentFailed.emit(self.message.text())
            return False
        self.stack.setCurrentWidget(self.view)
        self._set_enabled(True)
        self.go_to_page(0)
        self._search(self.search_field.text())
        self._update_page_label()
        self.documentReady.emit()
        return True

    def _error_text(self, error: QPdfDocument.Error) -> str:
        if error == QPdfDocument.Error.IncorrectPassword or error == QPdfDocument.Error.UnsupportedSecurityScheme:
            return self.tr("This attachment is password-protected and cannot be shown. Tell the coordinator.")
        return self.tr("This attachment cannot be shown: it is damaged or not a PDF. Tell the coordinator; "
                       "the other attachments and the scoring are not affected.")

    def show_message(self, text: str) -> None:
        self.clear()
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def clear(self) -> None:
        self._waiting = False
        self.search_model.setSearchString("")
        self.document.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
        self._buffer = None
        self._bytes = None
        self._set_enabled(False)
        self._update_page_label()
        self._update_hits()

    @property
    def device(self) -> QIODevice | None:
        """The in-memory device the document reads from (None when nothing is shown)."""
        return self._buffer

    def _set_enabled(self, on: bool) -> None:
        for w in (self.prev_page, self.next_page, self.zoom_in_button, self.zoom_out_button, self.fit_width_button,
                  self.fit_page_button, self.search_field, self.prev_hit_button, self.next_hit_button):
            w.setEnabled(on)

    # --- pages and zoom --------------------------------------------------------------------

    def page_count(self) -> int:
        return self.document.pageCount() if self.document.status() == QPdfDocument.Status.Ready else 0

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage()

    def go_to_page(self, page: int) -> None:
        n = self.page_count()
        if n:
            nav = self.view.pageNavigator()
            nav.jump(max(0, min(page, n - 1)), QPointF(), nav.currentZoom())

    def next_page_(self) -> None:
        self.go_to_page(self.current_page() + 1)

    def previous_page(self) -> None:
        self.go_to_page(self.current_page() - 1)

    def _set_zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(ZOOM_MIN, min(ZOOM_MAX, factor)))
        self.fit_width_button.setChecked(False)
        self.fit_page_button.setChecked(False)
        self._update_zoom_label()

    def zoom_in(self) -> None:
        if self.page_count():
            self._set_zoom(self.view.zoomFactor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        if self.page_count():
            self._set_zoom(self.view.zoomFactor() / ZOOM_STEP)

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.fit_width_button.setChecked(True)
        self.fit_page_button.setChecked(False)
        self._update_zoom_label()

    def fit_page(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        self.fit_page_button.setChecked(True)
        self.fit_width_button.setChecked(False)
        self._update_zoom_label()

    def _update_zoom_label(self) -> None:
        mode = self.view.zoomMode()
        if mode == QPdfView.ZoomMode.Custom:
            self.zoom_label.setText(f"{round(self.view.zoomFactor() * 100)}%")
        else:
            self.zoom_label.setText("")

    def _update_page_label(self, *_: object) -> None:
        n = self.page_count()
        self.page_label.setText(self.tr("Page {page} of {count}").format(page=self.current_page() + 1, count=n)
                                if n else "")

    # --- search ----------------------------------------------------------------------------

    def focus_search(self) -> None:
        if self.search_field.isEnabled():
            self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.search_field.selectAll()

    def _search(self, text: str) -> None:
        self.search_model.setSearchString(text.strip())
        self.view.setCurrentSearchResultIndex(-1)
        self._update_hits()

    def hit_count(self) -> int:
        return self.search_model.rowCount(QModelIndex()) if self.search_model.searchString() else 0

    def current_hit(self) -> int:
        return self.view.currentSearchResultIndex()

    def _go_to_hit(self, index: int) -> None:
        n = self.hit_count()
        if not n:
            self._update_hits()
            return
        index %= n
        self.view.setCurrentSearchResultIndex(index)
        link = self.search_model.resultAtIndex(index)
        nav = self.view.pageNavigator()
        nav.jump(link.page(), link.location(), nav.currentZoom())
        self._update_hits()

    def next_hit(self) -> None:
        self._go_to_hit(self.current_hit() + 1)

    def previous_hit(self) -> None:
        current = self.current_hit()
        self._go_to_hit((current if current >= 0 else 0) - 1)

    def _update_hits(self, *_: object) -> None:
        if not self.search_model.searchString():
            self.hits_label.setText("")
            return
        n = self.hit_count()
        if not n:
            self.hits_label.setText(self.tr("No hits"))
        elif self.current_hit() < 0:
            self.hits_label.setText(self.tr("{count} hits").format(count=n))
        else:
            self.hits_label.setText(self.tr("Hit {index} of {count}").format(index=self.current_hit() + 1, count=n))
