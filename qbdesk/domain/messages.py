"""Bilingual messages: everything a user reads exists in Simplified Chinese and English.

The core returns :class:`Msg` values; each face (CLI, GUI) picks the
language. Chinese is the default.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Msg:
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:  # logs and exceptions: both, so nobody is left out
        return f"{self.zh} / {self.en}"


class QbdeskError(Exception):
    """An error whose message the user can act on, in both languages."""

    def __init__(self, msg: Msg):
        super().__init__(str(msg))
        self.msg = msg

    def text(self, lang: str = "zh") -> str:
        return self.msg.text(lang)
