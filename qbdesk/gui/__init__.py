"""qbdesk's Qt face: the only package that may import PySide6.

Importing ``qbdesk.gui`` itself stays Qt-free, so ``qbdesk.cli`` can offer
the ``gui``/``demo`` commands without loading Qt until one of them runs.
"""

from __future__ import annotations

import sys


def _keep_none_alive() -> None:
    """Make None, True and False immortal, as CPython 3.12 does, before any Qt call.

    PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of a void method
    (``label.setText(…)``: ``sys.getrefcount(None)`` falls by one per call), and to True/False
    when a ``Signal(bool)`` is emitted, so after some thousands of clicks the interpreter aborts
    ("none_dealloc: deallocating None", "bool_dealloc") — a day of scoring would crash the window.
    These singletons are never freed anyway; a huge count keeps them so.
    """
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    import ctypes

    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40  # ob_refcnt, the first field of an object


_keep_none_alive()


def run(db_url: str | None = None, *, lang: str = "zh", argv: list[str] | None = None) -> int:
    """Show the main window on ``db_url`` and run the event loop; see :func:`qbdesk.gui.app.run`."""
    from qbdesk.gui.app import run as _run

    return _run(db_url, lang=lang, argv=argv)
