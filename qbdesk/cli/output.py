"""What the CLI prints: messages in the chosen language, progress on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from qbdesk.domain.messages import Msg


class Console:
    def __init__(self, lang: str = "zh", out: TextIO | None = None, err: TextIO | None = None):
        self.lang = lang
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._last_progress = 0.0

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def say(self, msg: Msg | str) -> None:
        print(msg.text(self.lang) if isinstance(msg, Msg) else msg, file=self.out)

    def error(self, msg: Msg | str) -> None:
        text = msg.text(self.lang) if isinstance(msg, Msg) else msg
        print(f"{self.t('错误', 'error')}: {text}", file=self.err)

    def progress(self, done: int, total: int, label: str = "") -> None:
        """A progress line on stderr: redrawn in place on a terminal, sparse lines in a log."""
        now = time.monotonic()
        final = done >= total
        if self.err.isatty():
            if final or now - self._last_progress > 0.1:
                width = 30
                filled = width * done // max(total, 1)
                bar = "#" * filled + "." * (width - filled)
                print(f"\r[{bar}] {done}/{total} {label[:40]:<40}", end="\n" if final else "", file=self.err, flush=True)
                self._last_progress = now
        elif final or now - self._last_progress > 2.0:
            print(f"{done}/{total} {label}", file=self.err, flush=True)
            self._last_progress = now
