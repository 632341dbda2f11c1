"""``qbdesk review purge`` and ``qbdesk review reopen`` as the expert runs them, and status's finalised line."""

from __future__ import annotations

import shutil

import pytest

from qbdesk.services.reviewer import ReviewWorkspace, open_snapshot
from tests.integration.cli_run import cli
from tests.unit.review_snapshot import PASSPHRASE, complete, coordinator, make_snapshot

MADE = ["snapshot.qbsnap", "expert.key", "state.age", "journal.age-log", "workspace.json"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("purge")
    make_snapshot(root / "s.qbsnap", coordinator())
    open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1).close()
    (root / "pp.txt").write_text(PASSPHRASE + "\n", "utf-8")
    return root


@pytest.fixture
def home(template, tmp_path):
    shutil.copytree(template / "home", tmp_path / "home")
    return tmp_path / "home"


def review(capsys, template, home, *argv):
    return cli(capsys, "review", *argv, "--home", home, "--passphrase-file", template / "pp.txt")


def test_purge_asks_then_removes_exactly_what_it_listed(home, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, out, err = cli(capsys, "review", "purge", "--home", home)  # no terminal, no --yes: nothing removed
    assert code == 1 and "needs an explicit yes" in err
    for name in MADE:
        assert f"{home / name}\n" in out
    assert "never finalised" in out and sorted(p.name for p in home.iterdir()) == sorted(MADE)

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    code, _, err = cli(capsys, "review", "purge", "--home", home)
    assert code == 1 and "no yes was typed" in err and home.exists()
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    code, out, err = cli(capsys, "review", "purge", "--home", home)
    assert code == 0 and "removed 6" in out, err
    assert not home.exists()


def test_purge_keeps_a_strangers_file_and_says_so(home, capsys):
    (home / "notes-of-my-own.txt").write_text("mine", "utf-8")
    code, out, err = cli(capsys, "review", "purge", "--home", home, "--yes")
    assert code == 0, err
    assert "were not made by qbdesk and stay" in out and str(home / "notes-of-my-own.txt") in out
    assert [p.name for p in home.iterdir()] == ["notes-of-my-own.txt"]


def test_purge_in_chinese_by_default_and_refuses_a_folder_that_is_not_a_workspace(tmp_path, capsys):
    from qbdesk.cli.main import main

    (tmp_path / "keep.txt").write_text("x", "utf-8")
    code = main(["review", "purge", "--home", str(tmp_path), "--yes"])
    _, err = capsys.readouterr()
    assert code != 0 and "不是评审工作区" in err and "Traceback" not in err
    assert (tmp_path / "keep.txt").exists()
    code, _, err = cli(capsys, "review", "purge", "--home", tmp_path / "nowhere", "--yes")
    assert code != 0 and "is not a review workspace" in err and "nothing was removed" in err


def test_reopen_for_correction_and_the_next_sequence(home, template, tmp_path, capsys):
    code, _, err = review(capsys, template, home, "reopen")
    assert code != 0 and "nothing to reopen" in err
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        complete(ws)
        ws.declare(True)
    code, out, err = review(capsys, template, home, "finalize", "--out", tmp_path / "1.qbscore")
    assert code == 0, err
    code, out, _ = review(capsys, template, home, "status")
    assert "finalised, unchanged since (to correct it: qbdesk review reopen)" in out
    code, out, err = review(capsys, template, home, "reopen")
    assert code == 0 and "Finalising again writes sequence 2, which supersedes sequence 1" in out, err
    code, out, _ = review(capsys, template, home, "status")
    assert "changed since it was finalised" in out
    code, out, err = review(capsys, template, home, "finalize", "--out", tmp_path / "2.qbscore")
    assert code == 0 and "sequence 2" in out, err
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        assert ws.finalised and [e["criterion"] for e in ws.edit_log][-1] == "reopen"
