"""The expert's whole day, through the window only, on a snapshot built from the demo round by the CLI.

Wrong passphrase first (nothing written), the slip compared, the declaration read and signed,
one recusal, scoring from the keyboard alone; a child process scoring the same workspace is
killed (SIGKILL) mid-way and everything it reported saved is there on reopening; finalising
with a value missing is refused and its checklist line jumps to it; then complete, export, print,
and `qbdesk scores import` takes the file with exactly the values typed. All along: no
applicant identity in any text of the window, and nothing in clear on disk.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.review.shell_fixtures import clean_settings  # noqa: F401 (autouse)
from tests.gui.review.shell_keyboard import OPINION, score_application, type_text
from tests.gui.review.shell_texts import widget_texts

pytestmark = [pytest.mark.gui, pytest.mark.slow]
CHILD = Path(__file__).with_name("shell_day_child.py")
COORDINATOR_PASSPHRASE = "Tide-Lantern-Orchid-4817"  # TEST ONLY


@pytest.fixture(scope="module")
def office(tmp_path_factory, copy_demo):
    """The coordinator's side by CLI: the demo round's packages and roster, assigned, one snapshot per expert."""
    from qbdesk.cli.main import main

    root = tmp_path_factory.mktemp("office")
    before = os.environ.get("QBDESK_COORDINATOR_PASSPHRASE")
    os.environ["QBDESK_COORDINATOR_PASSPHRASE"] = COORDINATOR_PASSPHRASE
    try:
        copy_demo(root / "demo")
        db = f"sqlite:///{root / 'round.sqlite'}"
        for argv in (["round", "init", "--db", db, "--name", "2026年度第一批", "--year", "2026"],
                     ["applications", "import", "--db", db, str(root / "demo" / "packages")],
                     ["experts", "import", "--db", db, str(root / "demo" / "experts.csv")],
                     ["assign", "--db", db, "--per-application", "2", "--seed", "7"],
                     ["snapshots", "build", "--db", db, "--out", str(root / "usb"), "--keys", str(root / "keys"),
                      "--passphrases-out", str(root / "passphrases.csv")]):
            assert main(["--lang", "en", *argv]) == 0, argv
    finally:  # as it was: other tests' set-up may have put it there
        if before is None:
            os.environ.pop("QBDESK_COORDINATOR_PASSPHRASE", None)
        else:
            os.environ["QBDESK_COORDINATOR_PASSPHRASE"] = before
    with open(root / "passphrases.csv", encoding="utf-8-sig") as f:
        slip = next(row for row in csv.DictReader(f) if row["expert_id"] == "E01")
    identities, texts = set(), set()
    for package in (root / "demo" / "packages").glob("*/application.json"):
        data = json.loads(package.read_text(encoding="utf-8"))
        a = data["applicant"]
        name = a["name"]
        short = name.removeprefix("深圳市").removeprefix("深圳").removesuffix("股份有限公司").removesuffix("有限公司")
        identities |= {name, short, a["credit_code"], a.get("phone", ""), a.get("address", ""), a.get("contact", "")}
        texts |= {data["title"], data["summary"][:40]}
    return {"root": root, "db": db, "keys": root / "keys", "slip": slip,
            "snapshot": root / "usb" / slip["file"], "identities": {s for s in identities if len(s) >= 2},
            "texts": {t for t in texts if len(t) >= 8}}


def _wait(cond, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        QTest.qWait(25)
    assert cond(), f"timed out: {cond}"


def _blind(office, texts: list[str], where: str) -> None:
    leaked = sorted({s for s in office["identities"] for t in texts if s in t})
    assert not leaked, f"{where}: applicant identity on screen: {leaked}"


def _all_texts(window) -> list[str]:
    out = widget_texts(window)
    for w in QApplication.topLevelWidgets():
        if w.isVisible() and w is not window:
            out += widget_texts(w)
    return out


def _enter_passphrase(shell, text: str) -> None:
    _wait(lambda: shell.start.dialog is not None and shell.start.dialog.isVisible())
    field = shell.start.dialog.field
    field.setFocus()
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, text)
    QTest.keyClick(field, Qt.Key.Key_Return)


def _activate(qtbot, window) -> None:
    """Offscreen, a window can lose activation when another one hides; the keyboard goes to the active one."""
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        window.raise_()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def _files(*roots: Path) -> list[Path]:
    return sorted(p for r in roots if r.exists() for p in r.rglob("*") if p.is_file())


def test_the_experts_whole_day(qtbot, office, tmp_path, monkeypatch):
    from qbdesk.gui.review.app import ReviewShell
    from qbdesk.gui.review.declaration import RecusalDialog
    from qbdesk.gui.review.panel_rows import CriterionRow
    from qbdesk.gui.review.shell_common import grouped

    home, usb, session_tmp = tmp_path / "home", tmp_path / "usb-out", tmp_path / "session-tmp"
    usb.mkdir()
    session_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(session_tmp))
    monkeypatch.setenv("TMPDIR", str(session_tmp))
    passphrase = office["slip"]["passphrase"]
    pfile = tmp_path / "passphrase.txt"
    pfile.write_text(passphrase, encoding="utf-8")
    before = set(_files(tmp_path))

    # --- open: a wrong passphrase first, and nothing is written
    shell = ReviewShell(home=home)
    try:
        shell.start.show()
        _activate(qtbot, shell.start)
        shell.start.open_path(office["snapshot"])
        _enter_passphrase(shell, "WRONG-WRONG-WRONG-WRONG")
        dialog = shell.start.dialog
        _wait(lambda: dialog.error.isVisible())
        assert "口令不正确" in dialog.error.text() and "没有写入任何文件" in dialog.error.text()
        assert not home.exists() and set(_files(tmp_path)) == before
        _enter_passphrase(shell, passphrase)
        _wait(lambda: shell.start.stack.currentIndex() == shell.start.CHECK, 30)
        _activate(qtbot, shell.start)
        check = shell.start.check
        assert check.digest.text() == grouped(office["slip"]["digest"])  # as on the slip
        assert check.fingerprint.text().startswith("SHA256:")
        assert check.match_button.hasFocus() or QApplication.focusWidget() is None  # the default answer
        QTest.keyClick(check.match_button, Qt.Key.Key_Space)
        _wait(lambda: shell.window is not None)
        window = shell.window
        _activate(qtbot, window)

        # --- the declaration first
        assert window.worklist is None
        _blind(office, _all_texts(window), "declaration")
        view = window.declaration
        view.text.setFocus()
        QTest.keyClick(view.text, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        _wait(view.read.isEnabled)
        QTest.keyClick(view.read, Qt.Key.Key_Space)  # 我已阅读并同意
        assert view.read.isChecked()
        QTest.keyClick(view.sign, Qt.Key.Key_Space)  # 签署并开始评审
        _wait(lambda: window.worklist is not None)
        ws = window.ws
        assert ws.declaration.accepted

        # --- recuse from the first application
        recused = window.worklist.current_code()
        _activate(qtbot, window)
        QTest.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        recusal = window.findChild(RecusalDialog, "recusalDialog")
        assert recusal is not None and recusal.isVisible()
        type_text(recusal.reason, "本人曾为该单位提供技术咨询")
        assert recusal.ok.isEnabled()
        QTest.keyClick(recusal.ok, Qt.Key.Key_Space)  # 回避(&R)
        _wait(lambda: recused in ws.recusals)
        assert recused not in window.worklist.visible_codes()
        shell.close()  # the workspace is handed to the child
    finally:
        if shell.window is not None or shell.ws is not None:
            shell.close()

    # --- a child scores from the keyboard and is killed mid-way
    child = subprocess.Popen([sys.executable, str(CHILD), str(home), str(pfile)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(session_tmp)})
    reported: dict[tuple, object] = {}
    try:
        deadline = time.monotonic() + 240
        for line in child.stdout:
            if line.startswith("{"):
                d = json.loads(line)
                reported[tuple(d["saved"])] = d["value"]
            if len(reported) >= 22 or time.monotonic() > deadline:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert len(reported) >= 22, child.stderr.read()[-3000:]
    assert child.returncode == -signal.SIGKILL

    # --- reopen: only the passphrase, and everything the child reported saved is there
    shell = ReviewShell(home=home)
    try:
        shell.start.show()
        shell.start.reopen(home)
        _enter_passphrase(shell, passphrase)
        _wait(lambda: shell.window is not None, 30)
        window = shell.window
        _activate(qtbot, window)
        ws = window.ws
        assert window.worklist is not None, "declaration already signed: straight to the work list"
        assert ws.recusals == {recused: "本人曾为该单位提供技术咨询"}
        for (code, criterion, item), value in reported.items():
            got = ws.value(code, criterion, item) if item else ws.value(code, criterion)
            assert (got["accepted"] is True) if item else got == value, (code, criterion, item, got, value)
        code, criterion, _ = next(k for k in reported if not k[2] and isinstance(reported[k], (int, float))
                                  and not isinstance(reported[k], bool))
        window.worklist.select(code)
        row = window.scoring.findChild(CriterionRow, f"criterion_{criterion}")
        assert row is not None and row.edit.text() == f"{reported[(code, criterion, '')]:g}"  # shown as saved

        # --- score the rest from the keyboard, leaving one opinion empty
        _activate(qtbot, window)
        typed: dict[tuple, object] = dict(reported)
        states = {r.code: r.state for r in window.worklist.model.rows}
        pending = [c for c in window.worklist.visible_codes() if states[c] in ("not_started", "in_progress")]
        assert pending, "the child was killed before it finished"
        last = pending[-1]
        stop = {(last, "opinion")}
        for _ in range(3 * len(pending) + 3):
            left = {m.code for m in ws.missing()}
            if left <= {last} and {m.criterion for m in ws.missing()} <= {"opinion"}:
                break
            if window.worklist.current_code() not in left or window.worklist.current_code() == last:
                QTest.keyClick(window, Qt.Key.Key_F8)
            score_application(window, typed, stop_at=stop)
        missing = ws.missing()
        assert [(m.code, m.criterion) for m in missing] == [(last, "opinion")]
        for code in ws.recusals:
            assert not ws.values(code)

        # --- finalising with something missing: refused, the checklist names it, Enter jumps to it
        _activate(qtbot, window)
        window._choose_folder = lambda: str(usb)
        QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        final = window.finalise_dialog
        _wait(final.isVisible)
        assert not final.finalise_button.isEnabled()
        lines = [final.missing.item(i).text() for i in range(final.missing.count())]
        opinion_name = ws.rubric(last).criterion("opinion").name.zh
        assert len(lines) == 1 and last in lines[0] and opinion_name in lines[0]
        assert final.focusWidget() is final.missing  # the checklist has the keyboard
        QTest.keyClick(final.missing, Qt.Key.Key_Return)
        _wait(lambda: not final.isVisible())
        assert window.worklist.current_code() == last
        focus = window.focusWidget()  # where the jump put the cursor
        assert focus is not None and focus.objectName() == "opinionInput"
        type_text(focus, OPINION)
        QTest.keyClick(focus, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        _wait(lambda: not ws.missing())
        typed[(last, "opinion", "")] = OPINION

        # --- complete: finalise and export
        _activate(qtbot, window)
        QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        final = window.finalise_dialog
        _wait(final.isVisible)
        assert final.focusWidget() is final.finalise_button
        QTest.keyClick(final.finalise_button, Qt.Key.Key_Space)
        _wait(lambda: final.result_ is not None or final.error.isVisible(), 60)
        assert final.result_ is not None, (final.error.text(), ws.edit_log[-3:])
        result = final.result_
        assert ws.finalised, ws.edit_log[-3:]
        assert final.digest_label.text() == grouped(result.digest)
        assert final.fingerprint_label.text() == ws.expert_fingerprint == result.fingerprint
        score_file = Path(result.path)
        assert score_file.parent == usb and score_file.is_file()
        QTest.keyClick(final, Qt.Key.Key_Escape)
        QApplication.processEvents()
        assert ws.finalised, ws.edit_log[-3:]
        assert "已定稿" in window.export_label.text() and "1" in window.export_label.text()

        # --- print: the scorecards as PDF where the expert chose, blind, with digest and fingerprint
        pdf = usb / "E01-scorecards.pdf"
        window._choose_pdf = lambda: str(pdf)
        window.pdf_action.trigger()
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        compact = "".join(text.split())
        assert "".join(grouped(result.digest).split())[:24] in compact
        assert ws.expert_fingerprint.replace(" ", "") in compact
        for code in {k[0] for k in typed} - set(ws.recusals):
            assert code in text
        _blind(office, [text], "printed scorecards")
        preview = window.print_preview()
        _wait(preview.isVisible)
        _blind(office, _all_texts(window), "print preview")
        preview.reject()

        # --- blind: every text of the window, for every application, all roles of every model
        for code in [r.code for r in window.worklist.model.rows]:
            window.worklist.select(code)
            QApplication.processEvents()
            _blind(office, _all_texts(window), f"application {code}")
        window.show_overview()
        _blind(office, _all_texts(window), "overview")
        window.lock()
        _blind(office, _all_texts(window), "lock")
    finally:
        shell.close()

    # --- the coordinator takes the file, with exactly the values typed
    from qbdesk.cli.main import main

    monkeypatch.setenv("QBDESK_COORDINATOR_PASSPHRASE", COORDINATOR_PASSPHRASE)  # the one the keys were made with
    assert main(["--lang", "en", "scores", "import", "--db", office["db"], "--keys", str(office["keys"]),
                 str(score_file)]) == 0
    con = sqlite3.connect(office["root"] / "round.sqlite")
    try:
        rows = con.execute("SELECT s.criterion, s.item, s.value FROM score s JOIN expert e ON e.id = s.expert_id "
                           "WHERE e.external_id = 'E01'").fetchall()
    finally:
        con.close()

    def norm(v):
        return bool(v["accepted"]) if isinstance(v, dict) else v

    imported = sorted((c, bool(i), json.dumps(norm(json.loads(v)), ensure_ascii=False)) for c, i, v in rows)
    expected = sorted((c, bool(i), json.dumps(norm(v), ensure_ascii=False)) for (_, c, i), v in typed.items())
    assert imported == expected

    # --- nothing in clear on disk: no PDF and no application text under HOME, the temp dir, Qt's folders
    qt_dirs = [Path(QStandardPaths.writableLocation(loc)) for loc in (
        QStandardPaths.StandardLocation.CacheLocation, QStandardPaths.StandardLocation.GenericCacheLocation,
        QStandardPaths.StandardLocation.ConfigLocation, QStandardPaths.StandardLocation.AppDataLocation)]
    needles = [t.encode("utf-8") for t in office["texts"]] + [s.encode("utf-8") for s in office["identities"]
                                                               if len(s) >= 6]
    for path in _files(home, session_tmp, *qt_dirs):
        data = path.read_bytes()
        assert b"%PDF" not in data, f"a PDF in clear: {path}"
        assert not [n for n in needles if n in data], f"application text in clear: {path}"
