"""The GUI harness protects itself: a test that leaks a window or a task fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LEAKY_TESTS = '''
import threading
import pytest
from PySide6.QtWidgets import QWidget
from qbdesk.gui.common.tasks import run_task

pytestmark = pytest.mark.gui
release = threading.Event()

def test_leaks_a_window(qapp):
    window = QWidget()
    window.show()
    test_leaks_a_window.keep = window  # not registered with qtbot, still referenced

def test_leaks_a_task(qtbot):
    run_task(lambda ctx: release.wait(2))

def test_clean(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    release.set()
'''

INI = '''[pytest]
qt_api = pyside6
addopts = --strict-markers -p no:cacheprovider
markers =
    gui: needs a QApplication
'''


@pytest.mark.slow
def test_leaks_fail_the_test(tmp_path):
    shutil.copyfile(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text(INI)
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rE", str(tmp_path)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "top-level widgets leaked" in out and "QWidget" in out
    assert "background tasks still running" in out
    assert "3 passed, 2 errors" in out, out  # the leaks are teardown errors; test_clean stays clean
