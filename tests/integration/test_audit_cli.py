"""qbdesk audit verify / audit show on the demo round: the chain holds, edits and truncations show."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from qbdesk.cli.main import main

pytestmark = pytest.mark.slow


def cli(capsys, *argv, lang: str = "en") -> tuple[int, str, str]:
    try:
        code = main(["--lang", lang, *map(str, argv)])
    except SystemExit as e:  # usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, copy_demo) -> Path:
    return copy_demo(tmp_path_factory.mktemp("audit") / "demo") / "demo.sqlite"


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    """A copy of the demo database each test may tamper with."""
    path = tmp_path / "round.sqlite"
    shutil.copy(demo_db, path)
    return path


def _sql(path: Path, statement: str, params: tuple = ()) -> None:
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(statement, params)
    finally:
        con.close()


def _status_head(capsys, url: str) -> dict:
    code, out, _ = cli(capsys, "status", "--db", url, "--json")
    assert code == 0
    return json.loads(out)["audit_head"]


def test_verify_passes_on_the_demo_round_and_prints_the_status_head(capsys, db):
    url = f"sqlite:///{db}"
    head = _status_head(capsys, url)
    code, out, err = cli(capsys, "audit", "verify", "--db", url)
    assert code == 0, err
    assert "audit log intact" in out
    assert f"audit chain head: #{head['entry']} {head['hash']}" in out
    code, out, _ = cli(capsys, "audit", "verify", "--db", url, lang="zh")
    assert code == 0 and "审计日志完整" in out and f"#{head['entry']} {head['hash']}" in out


def test_an_entry_edited_by_hand_fails_verify_naming_it(capsys, db):
    url = f"sqlite:///{db}"
    _sql(db, "update audit_log set detail = ? where id = 2", (json.dumps({"forged": True}),))
    code, out, _ = cli(capsys, "audit", "verify", "--db", url)
    assert code == 1
    assert "audit log broken: the first bad entry is #2" in out
    code, out, _ = cli(capsys, "audit", "verify", "--db", url, lang="zh")
    assert code == 1 and "第一条不符的记录是 #2" in out


def test_deleting_the_last_entries_keeps_the_chain_but_changes_the_head(capsys, db):
    url = f"sqlite:///{db}"
    code, before, _ = cli(capsys, "audit", "verify", "--db", url)
    assert code == 0
    head = _status_head(capsys, url)
    _sql(db, "delete from audit_log where id >= ?", (head["entry"] - 1,))
    code, after, _ = cli(capsys, "audit", "verify", "--db", url)
    assert code == 0 and "audit log intact" in after  # the chain itself still holds …
    printed = next(line for line in after.splitlines() if line.startswith("audit chain head: "))
    assert head["hash"] not in after and printed not in before  # … but the head is not the one on paper


def test_show_lists_entries_in_both_languages_and_filters_by_action(capsys, db):
    url = f"sqlite:///{db}"
    code, out, _ = cli(capsys, "audit", "show", "--db", url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "time", "actor", "action", "round", "detail"]
    assert any(" round.init " in line for line in lines) and any(" assign " in line for line in lines)
    assert all("\n" not in line and len(line) < 200 for line in lines)  # one short line per entry
    total = len(lines) - 2
    assert lines[-1] == f"{total} entries"
    code, out, _ = cli(capsys, "audit", "show", "--db", url, lang="zh")
    assert code == 0 and out.splitlines()[0].startswith("编号") and f"共 {total} 条记录" in out
    code, out, _ = cli(capsys, "audit", "show", "--db", url, "--action", "round.")
    rows = out.splitlines()[1:-1]
    assert rows and all(row.split()[3].startswith("round.") for row in rows)
    code, out, _ = cli(capsys, "audit", "show", "--db", url, "--limit", "2")
    assert code == 0 and out.splitlines()[-1] == "2 entries"


def test_show_json_keys_are_exact_and_match_the_head(capsys, db):
    url = f"sqlite:///{db}"
    head = _status_head(capsys, url)
    code, out, _ = cli(capsys, "audit", "show", "--db", url, "--json")
    assert code == 0
    entries = json.loads(out)
    assert entries and all(list(e) == ["id", "at", "actor", "action", "round", "detail", "hash"] for e in entries)
    assert entries[-1]["id"] == head["entry"] and entries[-1]["hash"] == head["hash"]
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    code, out, _ = cli(capsys, "audit", "show", "--db", url, "--json", "--action", "assign", "--round", "1")
    picked = json.loads(out)
    assert code == 0 and picked and all(e["action"].startswith("assign") and e["round"] == 1 for e in picked)
    code, out, _ = cli(capsys, "audit", "show", "--db", url, "--json", "--action", "no.such.")
    assert code == 0 and json.loads(out) == []


def test_bad_input_is_refused_in_words(capsys, db, tmp_path):
    missing = tmp_path / "nowhere.sqlite"
    for sub in ("verify", "show"):
        code, out, err = cli(capsys, "audit", sub, "--db", missing)
        assert code == 1 and "error:" in err and "Traceback" not in err
        assert not missing.exists()
    code, _, err = cli(capsys, "audit", "show", "--db", db, "--round", "99")
    assert code == 1 and "there is no round 99" in err
    code, _, err = cli(capsys, "audit", "show", "--db", db, "--limit", "0", lang="zh")
    assert code == 1 and "--limit 必须是正整数" in err


@pytest.mark.parametrize(("column", "value"), [("detail", "not json {"), ("at", "yesterday")])
def test_an_entry_edited_into_garbage_is_named_not_a_traceback(capsys, db, column, value):
    url = f"sqlite:///{db}"
    head = _status_head(capsys, url)
    _sql(db, f"update audit_log set {column} = ? where id = ?", (value, head["entry"]))
    code, out, err = cli(capsys, "audit", "verify", "--db", url)
    assert code == 1 and f"the first bad entry is #{head['entry']}" in out, err
    code, out, err = cli(capsys, "audit", "show", "--db", url, "--json")
    assert code == 0 and value in json.dumps(json.loads(out)[-1], ensure_ascii=False)
    assert _status_head(capsys, url) == head  # status still runs and shows the same head
