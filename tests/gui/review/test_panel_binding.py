"""The Qt binding survives a day of clicks: PySide6 6.12.0 on CPython 3.11 drops a reference to None on
every void call (and to True/False on every Signal(bool)), which aborted the process ("deallocating None") after some thousands of calls; importing
qbdesk.gui makes None immortal (as CPython 3.12 does), so it never does."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui

DAY = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import qbdesk.gui  # noqa: F401  (what every qbdesk window imports first)
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QToolButton
app = QApplication([])
label, combo, button = QLabel(), QComboBox(), QToolButton()
combo.addItems(["—", "通过", "不通过"])
button.setCheckable(True)
button.toggled.connect(lambda on: None)
for i in range(300_000):  # more void calls and bool signals than a long day of scoring makes
    label.setText("x")
    combo.setCurrentIndex(i % 3)
    button.toggle()
print("alive")
"""


def test_many_void_qt_calls_do_not_abort_the_process():
    done = subprocess.run([sys.executable, "-c", DAY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "alive", done.stderr[-500:]
