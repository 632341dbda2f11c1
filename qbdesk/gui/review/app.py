"""``qbdesk review gui``: the expert's application — start screen, then the review window.

The Qt set-up (translators, the CJK font) is :func:`qbdesk.gui.app.create_application`'s.
:class:`ReviewShell` moves the expert from the start screen to the window, rebuilds the
window when the language changes (everything is saved, so nothing is lost), and goes back
to the start screen after a purge.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from qbdesk.domain.messages import QbdeskError
from qbdesk.gui import i18n
from qbdesk.gui.app import create_application
from qbdesk.gui.common import tasks
from qbdesk.gui.review import shell_settings
from qbdesk.gui.review.start import StartWindow
from qbdesk.gui.review.window import ReviewWindow
from qbdesk.services.reviewer import ReviewWorkspace
from qbdesk.services.reviewer.prepared import PreparedLoad

log = logging.getLogger(__name__)


class ReviewShell(QObject):
    """Owns the open workspace and whichever window shows it."""

    def __init__(self, *, home: Path | None = None, lock_minutes: float | None = None,
                 on_ready=None, parent: QObject | None = None):
        super().__init__(parent)
        self.ws: ReviewWorkspace | None = None
        self.window: ReviewWindow | None = None
        self._lock_minutes = lock_minutes
        self._on_ready = on_ready
        self._home = home
        self.start = StartWindow(home)
        self.start.opened.connect(self._opened)

    def begin(self, snapshot: Path | None, home: Path | None, passphrase: str | None,
              prepared: PreparedLoad | None = None) -> None:
        """Open what the command line named; ``prepared``: the load of ``home`` already begun with ``passphrase``."""
        if passphrase is None or (snapshot is None and home is None):
            self.start.show()
        if passphrase is not None and (snapshot is not None or home is not None):  # shown only if it fails
            target = home if home is not None else None
            if snapshot is not None and target is None:
                from qbdesk.gui.review.start import default_home

                target = default_home(snapshot)
            self.start.open_with_passphrase(snapshot, target, passphrase, prepared=prepared)
        elif snapshot is not None:
            self.start.open_path(snapshot)
        elif home is not None and (home / "workspace.json").exists():
            self.start.reopen(home)

    def _opened(self, ws: ReviewWorkspace) -> None:
        self.ws = ws
        self._show_window()

    def _show_window(self) -> None:
        window = ReviewWindow(self.ws, lock_minutes=self._lock_minutes)
        window.languageChosen.connect(self._language)
        window.purged.connect(self._purged)
        if self._on_ready is not None:
            if window.worklist is not None:
                window.workListShown.connect(self._ready)
            else:
                QTimer.singleShot(0, self._ready)
        self.window = window
        window.show()
        self.start.hide()

    def _ready(self) -> None:
        callback, self._on_ready = self._on_ready, None
        if callback is not None:
            callback()

    def _replace_window(self) -> None:
        old, self.window = self.window, None
        if old is not None:
            old.hide()
            old.languageChosen.disconnect()
            old.purged.disconnect()
            old.close()
            old.deleteLater()

    def _language(self, lang: str) -> None:
        """Everything is saved: the window is rebuilt in the other language on the same workspace."""
        i18n.install(QApplication.instance(), lang)
        self._replace_window()
        old, self.start = self.start, StartWindow(self._home)
        self.start.opened.connect(self._opened)
        old.deleteLater()
        self._show_window()

    def _purged(self, removed: list) -> None:
        home = self.ws.home if self.ws is not None else None
        self.ws = None  # closed by the purge dialog before removing its files
        self._replace_window()
        if home is not None:
            shell_settings.forget_workspace(home)
        self.start.refresh_recent()
        self.start.say_purged(len(removed))
        self.start.show()

    def close(self) -> None:
        self._replace_window()
        self.start.close()
        self.start.deleteLater()
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def visible_window(self) -> QWidget:
        return self.window if self.window is not None and self.window.isVisible() else self.start


def run(snapshot: Path | None = None, *, home: Path | None = None, passphrase: str | None = None,
        lang: str | None = None, lock_minutes: float | None = None, exit_when_ready: bool = False,
        exit_after: float | None = None, screenshot: Path | None = None, started: float | None = None,
        argv: list[str] | None = None, prepared: PreparedLoad | None = None) -> int:
    """Run the expert's application; return the exit code.

    ``lang`` None: the language chosen last time in the window, else Chinese. ``exit_when_ready``
    prints ``ready <seconds>`` (since ``started``, a ``time.monotonic()`` taken when the process
    began) once the work list (or, before it is signed, the declaration) is shown, and quits.
    ``prepared``: the load of ``home`` with ``passphrase``, begun before Qt was imported.
    """
    try:
        return _run(snapshot, home=home, passphrase=passphrase, lang=lang, lock_minutes=lock_minutes,
                    exit_when_ready=exit_when_ready, exit_after=exit_after, screenshot=screenshot,
                    started=started if started is not None else time.monotonic(), argv=argv, prepared=prepared)
    finally:
        if prepared is not None:
            prepared.discard()  # closes it unless the shell took it


def _run(snapshot: Path | None, *, home: Path | None, passphrase: str | None, lang: str | None,
         lock_minutes: float | None, exit_when_ready: bool, exit_after: float | None, screenshot: Path | None,
         started: float, argv: list[str] | None, prepared: PreparedLoad | None) -> int:
    app = create_application(argv, "zh")
    try:
        chosen = i18n.normalise_language(lang or shell_settings.language() or "zh")
    except QbdeskError as exc:
        print(exc, file=sys.stderr)
        return 2
    i18n.install(app, chosen)

    def ready() -> None:
        print(f"ready {time.monotonic() - started:.3f}", flush=True)
        app.quit()

    shell = ReviewShell(home=home, lock_minutes=lock_minutes, on_ready=ready if exit_when_ready else None)
    shell.begin(snapshot, home, passphrase, prepared)
    if exit_after is not None:
        def done() -> None:
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                if not shell.visible_window().grab().save(str(screenshot), "PNG"):
                    log.error("could not save the screenshot %s", screenshot)
                    app.exit(1)
                    return
            app.quit()

        QTimer.singleShot(int(exit_after * 1000), done)
    try:
        return app.exec()
    finally:
        tasks.cancel_all()
        tasks.wait_all(5000)
        shell.close()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
