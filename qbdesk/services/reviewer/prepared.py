"""A workspace load begun early: ``ReviewWorkspace.load`` started on a Python thread at once.

``qbdesk review gui --home DIR --passphrase-file F`` knows the passphrase before Qt is even
imported. :class:`PreparedLoad` starts the load then (both bcrypt unwraps, which release the GIL,
run on the other core while the window's modules import and the window is built); the start
screen later takes the result exactly as it would take its own load's, on a pool thread, and a
wrong passphrase fails there with the same error, having written nothing (``load`` writes
nothing). Nothing here knows of Qt.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from pathlib import Path

from qbdesk.services.reviewer.workspace import ReviewWorkspace


class PreparedLoad:
    """``ReviewWorkspace.load(home, passphrase)``, running; :meth:`take` waits for it (once)."""

    def __init__(self, home: str | os.PathLike[str], passphrase: str):
        self.home = Path(home)
        self._future: Future[ReviewWorkspace] = Future()
        self._taken = False
        self._lock = threading.Lock()
        # Not a daemon: an interpreter leaving early waits for it (a second at most), then discard() closes it.
        self._thread = threading.Thread(target=self._run, args=(passphrase,), name="qbdesk-prepared-load")
        self._thread.start()

    def _run(self, passphrase: str) -> None:
        try:
            ws = ReviewWorkspace.load(self.home, passphrase)
        except BaseException as exc:  # handed to whoever takes it, as its own load would raise it
            self._future.set_exception(exc)
        else:
            self._future.set_result(ws)

    def take(self) -> ReviewWorkspace:
        """The open workspace (the caller closes it), or the load's error; blocks until the load ends."""
        with self._lock:
            if self._taken:
                raise RuntimeError("the prepared workspace was already taken")
            self._taken = True
        return self._future.result()

    def discard(self) -> None:
        """Close the workspace if nobody took it (the window never started)."""
        with self._lock:
            taken, self._taken = self._taken, True
        if taken:
            return
        self._thread.join()
        if self._future.exception() is None:
            self._future.result().close()
