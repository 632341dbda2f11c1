"""The self-test's Qt checks (``qbdesk selftest``): the parts of the laptop app a headless run can prove.

Qt's offscreen platform starts a QApplication (our widgets' module loads with it), the shipped CJK
font registers, Qt's and our Chinese catalogues load, and QtPdf opens a decrypted attachment from
memory (a QBuffer: never a file) and renders its first page. The core's self-test
(``services/selftest.py``) runs these as probes; it never imports Qt itself.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QElapsedTimer, QIODevice, QLibraryInfo, QSize, QTranslator
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication, QWidget

from qbdesk.domain.messages import Msg
from qbdesk.gui.i18n import CATALOG
from qbdesk.paths import resource_path
from qbdesk.services.selftest import Probe, SelftestFailure

LOAD_TIMEOUT_MS = 10_000


def _fail(zh: str, en: str) -> SelftestFailure:
    return SelftestFailure(Msg(zh, en))


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        # headless, whatever QT_QPA_PLATFORM says: the self-test never needs a display
        app = QApplication(["qbdesk-selftest", "-platform", "offscreen"])
    if not isinstance(app, QApplication):
        raise _fail("已有一个非 QApplication 的 Qt 应用", "a Qt application other than a QApplication already exists")
    return app


def check_platform(_pdf: bytes) -> Msg:
    app = _application()
    widget = QWidget()
    widget.resize(320, 200)
    widget.show()
    QCoreApplication.processEvents()
    shown = widget.isVisible() and not widget.grab().isNull()
    widget.close()
    widget.deleteLater()
    if not shown:
        raise _fail("Qt 窗口无法显示", "a Qt window could not be shown")
    return Msg(f"Qt {QLibraryInfo.version().toString()}，平台 {app.platformName()}",
               f"Qt {QLibraryInfo.version().toString()}, platform {app.platformName()}")


def check_fonts_and_translations(_pdf: bytes) -> Msg:
    from qbdesk.gui.app import register_fonts

    _application()
    families = register_fonts()
    if not families:
        raise _fail(f"无法加载 {resource_path('fonts')} 中的中文字体", f"the CJK font in {resource_path('fonts')} did not load")
    loaded = []
    for name, directory in (("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
                            (CATALOG, str(resource_path("translations")))):
        if not QTranslator().load(name, directory):
            raise _fail(f"无法加载翻译 {name}（{directory}）", f"the translation {name} did not load from {directory}")
        loaded.append(name)
    return Msg(f"字体 {'、'.join(families)}；翻译 {'、'.join(loaded)}", f"font {', '.join(families)}; translations {', '.join(loaded)}")


def check_pdf(pdf: bytes) -> Msg:
    _application()
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    doc = QPdfDocument()
    doc.load(buffer)
    timer = QElapsedTimer()
    timer.start()
    while doc.status() == QPdfDocument.Status.Loading and timer.elapsed() < LOAD_TIMEOUT_MS:
        QCoreApplication.processEvents()
    if doc.status() != QPdfDocument.Status.Ready or doc.pageCount() < 1:
        raise _fail(f"QtPdf 无法从内存打开附件（{doc.status().name}，{doc.error().name}）",
                    f"QtPdf could not open the attachment from memory ({doc.status().name}, {doc.error().name})")
    image = doc.render(0, QSize(210, 297))
    inked = not image.isNull() and any(image.pixelColor(x, y).lightness() < 128
                                       for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    pages = doc.pageCount()
    doc.close()
    buffer.close()
    if not inked:
        raise _fail("QtPdf 渲染的首页是空白的", "the first page QtPdf rendered is blank")
    return Msg(f"QtPdf 从内存打开附件（{pages} 页）并渲染了首页", f"QtPdf opened the attachment from memory ({pages} page(s)) and drew page 1")


def probes() -> list[Probe]:
    return [
        Probe("qt", Msg("Qt 界面（offscreen 平台）", "Qt widgets (offscreen platform)"), check_platform),
        Probe("fonts", Msg("中文字体与翻译", "CJK font and translations"), check_fonts_and_translations),
        Probe("pdf", Msg("QtPdf 内存中打开 PDF", "QtPdf opens a PDF from memory"), check_pdf, needs_pdf=True),
    ]
