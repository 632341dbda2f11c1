"""Core callbacks → Qt signals on the GUI thread, in one place.

The core (services, formats) knows nothing of Qt: it reports through plain
callables such as ``progress(done, total, label)``. A :class:`CoreEvents`
hands out such callables; whichever thread calls them, the matching signal
fires on the GUI thread, so a slot may touch widgets (the idea of
Electrum's ``QtEventListener``). Widgets connect to the signals; the core
is handed ``events.progress_callback`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from qbdesk.domain.messages import Msg

ProgressCallback = Callable[[int, int, str], None]
NoticeCallback = Callable[[Msg], None]
ChangedCallback = Callable[[str, Any], None]


class CoreEvents(QObject):
    """Lives on the GUI thread; its public signals are always emitted there."""

    progress = Signal(int, int, str)  # done, total, label
    notice = Signal(object)  # Msg: something the user should read (status bar)
    changed = Signal(str, object)  # what changed ("round", "applications", ...), and its id

    # Every core call lands here first, from any thread; the queued connection is the thread hop.
    _relay = Signal(str, tuple)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._relay.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # Plain callables for the core; safe from any thread.
    def progress_callback(self, done: int, total: int, label: str = "") -> None:
        self._relay.emit("progress", (int(done), int(total), str(label)))

    def notice_callback(self, msg: Msg) -> None:
        self._relay.emit("notice", (msg,))

    def changed_callback(self, what: str, ident: Any = None) -> None:
        self._relay.emit("changed", (what, ident))

    @Slot(str, tuple)
    def _dispatch(self, name: str, args: tuple) -> None:
        getattr(self, name).emit(*args)
