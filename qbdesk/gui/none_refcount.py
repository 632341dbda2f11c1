"""A workaround for PySide6 6.12.0 on CPython 3.11: None, True and False made immortal, as Python 3.12 makes them.

PySide6 6.12.0 drops one reference to ``None`` each time Python calls a Qt method that returns
nothing (``QLabel.setText``, ``QTimer.start``, …). On Python 3.11 ``None`` is an ordinary
object with a few thousand references, so after a few thousand such calls its count reaches
zero and the interpreter aborts ("Fatal Python error: none_dealloc: deallocating None") — an
expert typing an opinion for an hour would lose the window. From Python 3.12 on ``None`` is
immortal (PEP 683) and the bug is harmless; here its count is raised once, far beyond what any
session can drop; True and False likewise (a whole scored day ended in "deallocating True or
False" at exit). Nothing else is touched. ``tests/gui/review/test_shell_pyside.py`` holds it.
"""

from __future__ import annotations

import sys

HEADROOM = 1 << 40  # references; a leak of one per call would need years of calls to use them up


def keep_none_alive() -> None:
    if sys.version_info >= (3, 12):
        return  # None is immortal
    import ctypes

    for singleton in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt, the first field of every object
        if count.value < HEADROOM:
            count.value += HEADROOM
