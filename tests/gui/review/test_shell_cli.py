"""`qbdesk review gui`: the command, --exit-when-ready, its refusals; the language menu; purge; finalise."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.review.shell_fixtures import *  # noqa: F403

pytestmark = pytest.mark.gui


def _run(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "qbdesk.cli.main", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})})


def test_exit_when_ready_prints_one_line_and_quits(opened, tmp_path):
    pfile = tmp_path / "pp.txt"
    pfile.write_text(opened.passphrase + "\n", encoding="utf-8")
    done = _run("review", "gui", "--home", opened.home, "--passphrase-file", pfile, "--exit-when-ready",
                env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"ready \d+\.\d{3}", lines[0]), done.stdout
    assert 0 < float(lines[0].split()[1]) < 120


def test_refusals_are_clear_and_bilingual(tmp_path):
    done = _run("review", "gui", tmp_path / "missing.qbsnap")
    assert done.returncode == 1 and "找不到快照文件" in done.stderr and "Traceback" not in done.stderr
    done = _run("--lang", "en", "review", "gui", "--home", tmp_path, "--exit-when-ready")
    assert done.returncode == 1 and "--exit-when-ready needs --passphrase-file" in done.stderr
    done = _run("--lang", "en", "review", "gui", "--lock-minutes", "0")
    assert done.returncode == 1 and "positive" in done.stderr


def test_the_language_menu_rebuilds_the_window_and_is_remembered(qtbot, opened):
    from qbdesk.gui import i18n
    from qbdesk.gui.review import shell_settings
    from qbdesk.gui.review.app import ReviewShell

    ws = opened.load()
    ws.declare(True)
    shell = ReviewShell(home=opened.home)
    try:
        shell._opened(ws)
        first = shell.window
        assert first.menuBar().actions()[0].text() == "评审(&R)"
        first.findChild(type(first.lock_action), "language_en").trigger()
        assert shell.window is not first and shell_settings.language() == "en"
        assert shell.window.menuBar().actions()[0].text() == "&Review"
        assert shell.window.worklist is not None  # same workspace, nothing asked again
    finally:
        shell.close()
        i18n.install(QApplication.instance(), "zh")


def test_purge_names_what_it_removes_and_needs_the_confirmation(qtbot, window):
    from qbdesk.services.reviewer.purge import purge_plan

    plan = {str(p) for p in purge_plan(window.ws.home)}
    dialog = window.open_purge()
    assert {dialog.list.item(i).text() for i in range(dialog.list.count())} == plan
    assert window.findChild(type(dialog), "purgeDialog") is dialog
    assert not dialog.remove.isEnabled()
    QTest.keyClick(dialog.confirm, Qt.Key.Key_Space)
    assert dialog.remove.isEnabled()
    removed = []
    window.purged.connect(removed.append)
    QTest.keyClick(dialog.remove, Qt.Key.Key_Space)
    assert removed and not (window.ws.home / "workspace.json").exists()


def test_finalise_then_reopen_for_correction_says_the_next_sequence(qtbot, window, tmp_path):
    ws = window.ws
    complete(ws)
    window.worklist.refresh()
    dialog = window.open_finalise()
    assert dialog.finalise_button.isEnabled()
    dialog.finalise()
    assert dialog.result_ is not None and dialog.result_.sequence == 1
    assert "已定稿" in window.export_label.text()
    assert window.reopen_action.isEnabled()
    window.reopen_action.trigger()
    assert not ws.finalised and "第 2 版" in window.export_label.text()


@pytest.mark.tools
def test_the_printed_scorecards_are_the_experts_values_blind_and_in_chinese(qtbot, window, tmp_path, need_tool):
    from qbdesk.gui.review.shell_common import grouped

    ws = window.ws
    complete(ws)
    dialog = window.open_finalise()
    dialog.finalise()
    pdf = tmp_path / "cards.pdf"
    window._choose_pdf = lambda: str(pdf)
    window.save_pdf()
    text = subprocess.run([need_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    assert flat.count("评分表—") == len(ws.applications) and "专家签名" in flat
    for app in ws.applications:
        assert app.code in flat and app.title not in flat  # codes, never the titles
    assert "".join(grouped(dialog.result_.digest).split()) in flat and ws.expert_fingerprint in flat
    assert "Criterion" not in text and "Signature" not in text
