"""The whole-day test's child: the review window on HOME, scored from the keyboard until it is killed.

    python shell_day_child.py HOME PASSPHRASE_FILE

prints one JSON line per value as soon as the workspace has saved it durably ("saved" lines),
and never finishes on its own before the parent kills it (SIGKILL).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))


def main() -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from qbdesk.gui.review.window import ReviewWindow
    from qbdesk.services.reviewer import ReviewWorkspace
    from tests.gui.review.shell_keyboard import score_application

    app = QApplication(["qbdesk"])
    home, passphrase = Path(sys.argv[1]), Path(sys.argv[2]).read_text(encoding="utf-8").strip()
    ws = ReviewWorkspace.load(home, passphrase)
    window = ReviewWindow(ws)
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowExposed(window)

    def saved(key, value) -> None:
        print(json.dumps({"saved": list(key), "value": value}, ensure_ascii=False), flush=True)

    typed: dict = {}
    print("ready", flush=True)
    for _ in range(50):
        QTest.keyClick(window, Qt.Key.Key_F8)
        if window.worklist.next_incomplete() == "" and not ws.missing():
            break
        score_application(window, typed, on_saved=saved)
    print("all done", flush=True)  # the parent kills well before this
    QTest.qWait(60_000)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
