"""Screenshots of every screen of the expert's window, on the real xcb platform under Xvfb.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python docs/screenshots/review_screens.py \
        --snapshot R1-E01.qbsnap --passphrase-file pp.txt --lang zh --out docs/screenshots

writes review-<screen>-<lang>-<width>.png for start, passphrase, check, declaration, worklist,
reading, overview, missing, finalised, print, lock. It makes a workspace in a temporary folder
(removed after) and fills the scores in through the workspace so that "finalised" can be shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--snapshot", type=Path, required=True)
    p.add_argument("--passphrase-file", type=Path, required=True)
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = p.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="qbdesk-shots-"))
    os.environ["XDG_CONFIG_HOME"] = str(scratch / "config")  # fresh QSettings: no recent workspaces
    os.environ["XDG_DATA_HOME"] = str(scratch / "data")
    try:
        return _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, scratch: Path) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from qbdesk.gui import i18n
    from qbdesk.gui.app import create_application
    from qbdesk.gui.review.app import ReviewShell
    from tests.unit.review_snapshot import complete

    app = create_application(["qbdesk"], args.lang)
    i18n.install(app, args.lang)
    QSettings().clear()
    screen = app.primaryScreen().geometry()
    width = screen.width()
    passphrase = args.passphrase_file.read_text(encoding="utf-8").strip()
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(cond, ms: int = 20000) -> None:
        for _ in range(ms // 50):
            if cond():
                return
            QTest.qWait(50)
        raise SystemExit(f"timed out waiting: {cond}")

    def shot(name: str) -> None:
        QTest.qWait(400)
        path = args.out / f"review-{name}-{args.lang}-{width}.png"
        app.primaryScreen().grabWindow(0).save(str(path), "PNG")
        print(path)

    def fill(widget) -> None:
        widget.setGeometry(screen)
        widget.show()

    home = scratch / "home"
    shell = ReviewShell(home=home)
    fill(shell.start)
    shot("start")
    shell.start.open_path(args.snapshot)
    wait(lambda: shell.start.dialog is not None and shell.start.dialog.isVisible())
    QTest.keyClicks(shell.start.dialog.field, passphrase)
    shot("passphrase")
    shell.start.dialog.buttons.accepted.emit()
    wait(lambda: shell.start.stack.currentIndex() == shell.start.CHECK)
    shot("check")
    shell.start.check.match_button.click()
    wait(lambda: shell.window is not None)
    win = shell.window
    fill(win)
    shot("declaration")
    win.declaration.text.verticalScrollBar().setValue(win.declaration.text.verticalScrollBar().maximum())
    win.declaration.read.setChecked(True)
    win.declaration.sign.click()
    wait(lambda: win.worklist is not None)
    shot("worklist")
    codes = win.worklist.visible_codes()
    with_pdf = next((c for c in codes if win.ws.application(c).attachments), codes[0])
    win.worklist.select(with_pdf)
    QTest.qWait(800)
    shot("reading")
    complete(win.ws, skip=tuple(codes[:2]))
    win._after_recusal_change()  # the work list and status bar re-read, as after a save in the panel
    win.show_overview()
    shot("overview")
    win.tabs.setCurrentIndex(0)
    dialog = win.open_finalise()
    shot("missing")
    dialog.reject()
    complete(win.ws)
    win._after_recusal_change()
    usb = scratch / "usb"
    usb.mkdir()
    win._choose_folder = lambda: str(usb)
    dialog = win.open_finalise()
    dialog.finalise()
    wait(lambda: dialog.result_ is not None)
    shot("finalised")
    dialog.accept()
    preview = win.print_preview()
    preview.setGeometry(screen.adjusted(40, 30, -40, -30))
    QTest.qWait(1500)
    shot("print")
    preview.reject()
    win.lock()
    shot("lock")
    shell.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
