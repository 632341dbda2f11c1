"""Small pieces the expert's screens share: grouped digests, monospaced labels, opening in the background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QWidget

from qbdesk.gui.common.tasks import Task, run_task
from qbdesk.reports.slips import group_hex


def grouped(digest: str) -> str:
    """A SHA-256 digest as on the handover slip: groups of four, eight groups to a line."""
    groups = group_hex(digest)
    return "\n".join("  ".join(groups[i:i + 8]) for i in range(0, len(groups), 8))


def mono_label(text: str, parent: QWidget | None = None, *, name: str = "") -> QLabel:
    """A selectable label in a fixed-width face, for fingerprints and digests (0/O, 1/l apart)."""
    label = QLabel(text, parent)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), QFont().pointSizeF()) * 1.15)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def in_background(work: Callable[[], Any], owner: QObject, on_result: Callable[[Any], None],
                  on_error: Callable[[BaseException], None], name: str) -> Task:
    """Run a slow reviewer call (a passphrase's key derivation takes a second or two) off the UI thread."""
    return run_task(lambda context: work(), on_result=on_result, on_error=on_error, owner=owner, name=name,
                    serial=True)
