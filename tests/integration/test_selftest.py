"""``qbdesk selftest``: the installation checked end to end on the bundled TEST-ONLY snapshot.

Run from source as a user runs it (a child process, its own temporary folder); each check shown
ok, exit 0, nothing left behind; ``--json`` and ``--keep``; and the self-test really fails when
what it checks is broken (a wrong passphrase, a snapshot not marked TEST-ONLY, a score file that
does not verify against the coordinator's side).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qbdesk.services import selftest
from qbdesk.services.selftest import COORDINATOR_FILE, PASSPHRASE_FILE, fixture_dir, run_selftest

STEPS = ["resources", "database", "open", "attachment", "score", "finalize", "verify", "qt", "fonts", "pdf", "cleanup"]


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp), "QT_QPA_PLATFORM": "offscreen", "QBDESK_LANG": "zh"}
    return subprocess.run([sys.executable, "-m", "qbdesk.cli.main", *argv], capture_output=True, text=True,
                          env=env, timeout=300)


def test_selftest_passes_from_source_and_leaves_nothing_behind(tmp_path):
    r = _run(tmp_path, "selftest")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(STEPS) + 1
    assert all(line.startswith("[ 通过 ]") for line in lines[:-1]), r.stdout
    assert "核验评分文件" in r.stdout and "全部" in r.stdout and "QtPdf" in r.stdout
    assert lines[-1].startswith("自检通过")
    assert r.stderr == ""
    assert list((tmp_path / "tmp").iterdir()) == []  # the workspace, its key and the score file are gone


def test_selftest_json_and_keep(tmp_path):
    r = _run(tmp_path, "--lang", "en", "selftest", "--json", "--keep")
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads(r.stdout)
    assert result["ok"] is True and result["frozen"] is False
    assert [s["step"] for s in result["steps"]] == STEPS
    assert {s["status"] for s in result["steps"]} == {"ok"}
    assert next(s for s in result["steps"] if s["step"] == "verify")["detail"].startswith("decrypted; signature")
    kept = Path(result["kept"])
    assert kept.parent == tmp_path / "tmp"
    assert (kept / "out" / "selftest.qbscore").is_file() and (kept / "home" / "workspace.json").is_file()


def _fixture_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "fixture"
    shutil.copytree(fixture_dir(), copy)
    return copy


def _statuses(result) -> dict[str, bool | None]:
    return {s.key: s.ok for s in result.steps}


def test_a_wrong_passphrase_fails_the_open_step_clearly_and_still_cleans_up(tmp_path, monkeypatch):
    monkeypatch.setattr(selftest.tempfile, "tempdir", str(tmp_path))
    fixture = _fixture_copy(tmp_path)
    (fixture / PASSPHRASE_FILE).write_text("AAAAA-BBBBB-CCCCC-DDDDD\n", encoding="utf-8")
    result = run_selftest(fixture=fixture)
    assert not result.ok
    status = _statuses(result)
    assert status["open"] is False and status["score"] is None and status["verify"] is None
    assert status["cleanup"] is True
    opened = next(s for s in result.steps if s.key == "open")
    assert "口令" in opened.detail.zh and "passphrase" in opened.detail.en
    assert [p.name for p in tmp_path.iterdir()] == ["fixture"]


def test_a_coordinator_file_not_marked_test_only_is_refused(tmp_path):
    fixture = _fixture_copy(tmp_path)
    data = json.loads((fixture / COORDINATOR_FILE).read_text("utf-8"))
    data["test_only"] = "a real round"
    (fixture / COORDINATOR_FILE).write_text(json.dumps(data), encoding="utf-8")
    result = run_selftest(fixture=fixture)
    assert _statuses(result)["resources"] is False and _statuses(result)["open"] is None
    assert "TEST-ONLY" in result.steps[0].detail.en


def test_the_score_file_is_verified_against_the_coordinator_side(tmp_path):
    """A binding secret that is not the snapshot's: the file decrypts and its signature holds, but the binding fails."""
    fixture = _fixture_copy(tmp_path)
    data = json.loads((fixture / COORDINATOR_FILE).read_text("utf-8"))
    data["binding_secret"] = "00" * 32
    (fixture / COORDINATOR_FILE).write_text(json.dumps(data), encoding="utf-8")
    result = run_selftest(fixture=fixture)
    status = _statuses(result)
    assert status["finalize"] is True and status["verify"] is False
    assert "key binding" in next(s for s in result.steps if s.key == "verify").detail.en


def test_a_value_the_store_changed_after_entry_is_caught(tmp_path, monkeypatch):
    """The score file's values are compared with those entered, one by one: a store that saved
    another value than the one entered fails the self-test."""
    original = selftest._Run.finalize

    def finalize_after_a_silent_change(self):
        (code, criterion, item), value = next((k, v) for k, v in self.entered.items()
                                              if isinstance(v, float | int) and not isinstance(v, bool) and v > 0)
        self.ws.set_value(code, criterion, value - self.ws.rubric(code).criterion(criterion).step, item=item)
        return original(self)

    monkeypatch.setattr(selftest._Run, "finalize", finalize_after_a_silent_change)
    result = run_selftest()
    assert _statuses(result)["finalize"] is True and _statuses(result)["verify"] is False
    assert "differ from those entered" in next(s for s in result.steps if s.key == "verify").detail.en


def test_without_qt_the_qt_steps_are_skipped_with_a_reason_from_source(tmp_path):
    """Where PySide6 cannot load (no display libraries), from source: skipped, said why, exit 0."""
    blocker = tmp_path / "noqt"
    blocker.mkdir()
    (blocker / "PySide6").mkdir()
    (blocker / "PySide6" / "__init__.py").write_text("raise ImportError('libEGL.so.1: cannot open shared object file')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]),
           "TMPDIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "--lang", "en", "selftest"], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[skip] Qt widgets: not run: Qt cannot be loaded (libEGL.so.1" in r.stdout
    assert "selftest passed" in r.stdout


@pytest.mark.parametrize("lang,word", [("zh", "用法"), ("en", "usage")])
def test_selftest_rejects_unknown_options_as_a_usage_error(tmp_path, lang, word):
    r = _run(tmp_path, "--lang", lang, "selftest", "--nope")
    assert r.returncode == 2 and word in r.stderr
