"""A whole day of Qt calls does not abort the interpreter (PySide6 6.12.0 drops a reference to None per
void call on Python 3.11; qbdesk.gui makes None immortal before any Qt call)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui

CALLS = 200_000  # far more than None's few thousand references on a bare interpreter

SCRIPT = f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import qbdesk.gui.review.app  # what `qbdesk review gui` imports first
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for i in range({CALLS}):
    label.setText("x")  # returns nothing
print("alive", sys.getrefcount(None) > 1000)
"""


def test_a_day_of_void_qt_calls_does_not_kill_the_window():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["alive", "True"]
