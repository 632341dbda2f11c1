"""Starting the Qt application: translators, the CJK font, the database, the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import qbdesk
from qbdesk.domain.messages import QbdeskError
from qbdesk.gui import i18n
from qbdesk.gui.common import tasks
from qbdesk.paths import resource_path

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


def register_fonts(directory: Path | None = None) -> list[str]:
    """Load the shipped fonts (``resources/fonts/*.ttf``); return their family names (none is fine)."""
    directory = directory or resource_path("fonts")
    families: list[str] = []
    for path in sorted([*directory.glob("*.ttf"), *directory.glob("*.otf")]):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("could not load font %s", path)
            continue
        families += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in families]
    return families


def apply_fonts(app: QApplication, families: list[str]) -> None:
    """Keep the platform's face for Latin text; our CJK face fills in wherever it lacks a glyph.

    A bare laptop (the expert's) may have no Chinese font at all; this way
    every machine renders the same characters.
    """
    if not families:
        return
    font = app.font()
    font.setFamilies([font.family(), *[f for f in families if f != font.family()]])
    app.setFont(font)


def create_application(argv: list[str] | None = None, lang: str = "zh") -> QApplication:
    """The QApplication, set up for ``lang``; reuses one that already exists (tests)."""
    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("qbdesk")
    app.setOrganizationName("qbdesk")
    app.setApplicationVersion(qbdesk.__version__)
    i18n.install(app, lang)
    apply_fonts(app, register_fonts())
    return app


def schedule_exit(app: QApplication, window: QWidget, seconds: float, screenshot: Path | None) -> None:
    """Quit after ``seconds`` (for CI and smoke tests), first saving the window's own picture as PNG."""
    def done() -> None:
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot), "PNG"):
                log.error("could not save the screenshot %s", screenshot)
                app.exit(1)
                return
        app.quit()

    QTimer.singleShot(int(seconds * 1000), done)


def run(db_url: str | None, *, lang: str = "zh", argv: list[str] | None = None,
        exit_after: float | None = None, screenshot: Path | None = None) -> int:
    """Show the main window on ``db_url`` (None: the default database, made on first use); return the exit code.

    A database the user named must exist: a mistyped path is refused, never created.
    ``exit_after`` closes the app after that many seconds, saving ``screenshot`` first."""
    try:
        lang = i18n.normalise_language(lang)
    except QbdeskError as exc:
        print(exc, file=sys.stderr)
        return 2
    app = create_application(argv, lang)
    from qbdesk.gui.main_window import MainWindow  # here: the expert's window shares create_application, not these
    from qbdesk.store.engine import open_database

    try:
        db = open_database(db_url, create=db_url is None)
    except Exception as exc:
        QMessageBox.critical(None, "qbdesk", translate("app", "Could not open the database {url}:\n{reason}").format(
            url=db_url or translate("app", "(default)"), reason=i18n.error_text(exc)))
        return 1
    window = MainWindow(db)
    window.show()
    if exit_after is not None:
        schedule_exit(app, window, exit_after, screenshot)
    try:
        return app.exec()
    finally:
        tasks.cancel_all()
        tasks.wait_all(5000)  # no worker may outlive the database it reads
        databases = [d for d in (db, window.database()) if d is not None]
        window.close()
        window.deleteLater()  # the QApplication may live on (tests, an embedding host)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        for database in databases:
            database.dispose()
