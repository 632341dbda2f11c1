"""What the CLI prints: messages in the chosen language, progress on stderr.

Everything printed goes through :func:`escape_controls` (the streams are wrapped), so no text a
file brought in (an applicant's name, a JSON key, a snapshot's round name) can carry a terminal
control sequence: ``ESC[8m`` cannot hide the real fingerprint lines behind a fake pair, ``\\r``
cannot overwrite a line, a bidi override cannot reorder one. Only ``\\n`` and ``\\t`` pass.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any, TextIO

from qbdesk.domain.messages import Msg

# C0 but tab and newline, DEL, C1, the bidi embeddings, overrides and isolates, and lone surrogates
# (a file name that is not UTF-8: no stream could write them).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:  # the byte that was not UTF-8, as Python's surrogateescape kept it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN`` / ``\\uNNNN`` (tab and newline kept)."""
    return _CONTROL.sub(_escaped, text)


class _Escaping:
    """A text stream whose every write is escaped; the rest is the wrapped stream's."""

    def __init__(self, stream: TextIO):
        self.raw = stream

    def write(self, text: str) -> int:
        return self.raw.write(escape_controls(text))

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, …
        return getattr(self.raw, name)


class Console:
    def __init__(self, lang: str = "zh", out: TextIO | None = None, err: TextIO | None = None):
        self.lang = lang
        self.out: TextIO = _Escaping(out or sys.stdout)  # type: ignore[assignment]
        self.err: TextIO = _Escaping(err or sys.stderr)  # type: ignore[assignment]
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
        label = escape_controls(label)
        raw = self.err.raw  # type: ignore[attr-defined]  # the one place a \r is ours to write
        if raw.isatty():
            if final or now - self._last_progress > 0.1:
                width = 30
                filled = width * done // max(total, 1)
                bar = "#" * filled + "." * (width - filled)
                print(f"\r[{bar}] {done}/{total} {label[:40]:<40}", end="\n" if final else "", file=raw, flush=True)
                self._last_progress = now
        elif final or now - self._last_progress > 2.0:
            print(f"{done}/{total} {label}", file=raw, flush=True)
            self._last_progress = now
