"""qbdesk's Qt face: the only package that may import PySide6.

Importing ``qbdesk.gui`` itself stays Qt-free, so ``qbdesk.cli`` can offer
the ``gui``/``demo`` commands without loading Qt until one of them runs.
"""

from __future__ import annotations

from qbdesk.gui.none_refcount import keep_none_alive

keep_none_alive()  # before any Qt call: PySide6 6.12.0 on Python 3.11 (see the module)


def run(db_url: str | None = None, *, lang: str = "zh", argv: list[str] | None = None) -> int:
    """Show the main window on ``db_url`` and run the event loop; see :func:`qbdesk.gui.app.run`."""
    from qbdesk.gui.app import run as _run

    return _run(db_url, lang=lang, argv=argv)
