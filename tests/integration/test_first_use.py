"""What a first-time user hit, driven the way they drove it: the CLI, from a shell or main()."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qbdesk.cli.main import main

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def shell(*argv, env_lang: str | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **({"QBDESK_LANG": env_lang} if env_lang else {})}
    env.pop("QBDESK_LANG", None) if env_lang is None else None
    return subprocess.run([sys.executable, "-m", "qbdesk.cli.main", *map(str, argv)],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def round_db(tmp_path_factory) -> Path:
    """A round with no applications: a real qbdesk database, made by round init."""
    path = tmp_path_factory.mktemp("round") / "round.sqlite"
    r = shell("round", "init", "--db", path, "--name", "2026年度评审", "--year", "2026", "--programs", "P3")
    assert r.returncode == 0, r.stderr
    return path


# --- demo --out never deletes what qbdesk did not make ---------------------------------------


def test_demo_refuses_a_folder_holding_the_users_files_and_keeps_them(tmp_path):
    mine = tmp_path / "work"
    pdf = mine / "packages" / "MY-REAL-PACKAGE" / "申报书.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.4 my real application\n%%EOF\n")
    (mine / "experts.csv").write_text("id,name\nX1,我的专家\n", encoding="utf-8")
    r = shell("demo", "--out", mine, "--no-gui")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "不是空文件夹" in r.stderr and "未作任何修改" in r.stderr and "--out" in r.stderr
    assert pdf.read_bytes() == b"%PDF-1.4 my real application\n%%EOF\n"
    assert (mine / "experts.csv").read_text(encoding="utf-8") == "id,name\nX1,我的专家\n"
    assert sorted(p.name for p in mine.iterdir()) == ["experts.csv", "packages"]
    r = shell("--lang", "en", "demo", "--out", mine, "--no-gui")
    assert r.returncode == 1 and "is not empty" in r.stderr and "nothing was changed" in r.stderr


def test_demo_writes_into_a_new_folder_and_rebuilds_its_own(tmp_path, capsys):
    out = tmp_path / "new" / "demo"
    assert run(capsys, "demo", "--out", out, "--no-gui")[0] == 0
    assert (out / ".qbdesk-demo.json").is_file() and (out / "demo.sqlite").is_file()
    (out / "usb").mkdir()  # something the user made inside the demo folder stays
    (out / "usb" / "note.txt").write_text("mine", encoding="utf-8")
    code, stdout, err = run(capsys, "--lang", "en", "demo", "--out", out, "--no-gui")
    assert code == 0 and "demo round built: 63 applications" in stdout, err
    # the ~10 s of drawing PDFs is not a silent wait: a line as it starts, and one as it ends
    assert "1/167 PDF 2026-P1-0001 申报书.pdf" in err and "167/167 PDF 2026-P9-0007" in err, err
    assert (out / "usb" / "note.txt").read_text(encoding="utf-8") == "mine"
    file = tmp_path / "a-file"
    file.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "--lang", "en", "demo", "--out", file, "--no-gui")
    assert code == 1 and "is a file, not a folder" in err and file.read_text(encoding="utf-8") == "x"


# --- a bad --db: one clear line, never a traceback; a mistyped one is never created ----------


def test_bad_db_gets_one_clear_bilingual_line(tmp_path, round_db):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(round_db.read_bytes()[: 5 * 4096])  # a copy cut short
    cases = [
        (folder, "是一个文件夹，不是数据库文件", "is a folder, not a database file"),
        (VECTORS / "snapshot-0001.pdf", "这不是数据库文件", "it is not a database file"),
        (truncated, "数据库文件已损坏", "the database file is damaged"),
        ("postgresql://qb@127.0.0.1:1/qbdesk", "无法连接数据库服务器", "cannot reach the database server"),
        ("nosuch://x/y", "无法识别的数据库地址", "not a database URL"),
    ]
    for db, zh, en in cases:
        for lang, text in (("zh", zh), ("en", en)):
            r = shell("--lang", lang, "status", "--db", db)
            assert r.returncode == 1, (db, r.stderr)
            assert "Traceback" not in r.stderr and text in r.stderr, (db, lang, r.stderr)
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == []


def test_only_round_init_and_demo_create_a_database(tmp_path, capsys):
    typo = tmp_path / "typo-folder" / "typo.sqlite"
    for argv in (["status"], ["assign"], ["applications", "import", tmp_path], ["experts", "import", tmp_path / "x.csv"],
                 ["snapshots", "build", "--out", tmp_path / "usb"], ["scores", "recheck"]):
        code, out, err = run(capsys, "--lang", "en", *argv[:2], "--db", typo, *argv[2:]) if len(argv) > 1 and \
            argv[0] in ("applications", "experts", "scores") else run(capsys, "--lang", "en", *argv, "--db", typo)
        assert code == 1, (argv, out, err)
        assert f"the database file does not exist: {typo}" in err and "only qbdesk round init" in err, (argv, err)
        assert not typo.parent.exists(), argv
    code, _, err = run(capsys, "status", "--db", typo)
    assert code == 1 and "数据库文件不存在" in err
    code, out, err = run(capsys, "round", "init", "--db", typo, "--name", "批次", "--year", "2026")
    assert code == 0 and typo.exists(), err


# --- empty input is no success ------------------------------------------------------------------


def test_importing_an_empty_folder_says_nothing_was_found_where(tmp_path, round_db, capsys):
    empty = tmp_path / "returned"
    empty.mkdir()
    code, out, err = run(capsys, "--lang", "en", "applications", "import", "--db", round_db, empty)
    assert code == 1 and f"no application packages found in {empty}" in err and "nothing was imported" in err
    code, out, err = run(capsys, "applications", "import", "--db", round_db, empty)
    assert code == 1 and f"在 {empty} 中没有找到申报包" in err
    keys = tmp_path / "keys"
    from qbdesk.services.coordinator_keys import load_or_create_keys

    load_or_create_keys(keys)
    code, out, err = run(capsys, "--lang", "en", "scores", "import", "--db", round_db, "--keys", keys, empty)
    assert code == 1 and f"no score files (.qbscore) found in {empty}" in err
    code, out, err = run(capsys, "scores", "import", "--db", round_db, "--keys", keys, empty)
    assert code == 1 and "没有找到评分文件" in err
    with sqlite3.connect(round_db) as con:
        assert con.execute("select count(*) from application").fetchone() == (0,)


# --- applications remove ---------------------------------------------------------------------------


def test_remove_an_application_to_import_a_corrected_package(tmp_path, capsys, copy_demo):
    import json
    import shutil

    from qbdesk.store.audit import verify_chain
    from qbdesk.store.engine import open_database

    demo = copy_demo(tmp_path / "demo")
    packages = tmp_path / "p3"
    for d in sorted((demo / "packages").glob("*-P3-*")):
        shutil.copytree(d, packages / d.name)
    db = tmp_path / "round.sqlite"
    assert run(capsys, "round", "init", "--db", db, "--name", "P3 批次", "--year", "2026", "--programs", "P3")[0] == 0
    assert run(capsys, "applications", "import", "--db", db, packages)[0] == 0

    first = sorted(packages.iterdir())[0]
    manifest = json.loads((first / "application.json").read_text(encoding="utf-8"))
    manifest["title"] += "（更正）"
    (first / "application.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "--lang", "en", "applications", "import", "--db", db, first)
    assert code == 1 and f"qbdesk applications remove {first.name} --reason" in out

    code, out, err = run(capsys, "--lang", "en", "applications", "remove", "--db", db, first.name, "--reason", "申报单位更正了项目名称")
    assert code == 0 and f"removed application {first.name} (P3," in out, err
    code, out, err = run(capsys, "--lang", "en", "applications", "remove", "--db", db, first.name)
    assert code == 1 and f"there is no application {first.name}" in err
    code, out, _ = run(capsys, "--lang", "en", "applications", "import", "--db", db, first)
    assert code == 0 and "1 imported" in out

    assert run(capsys, "experts", "import", "--db", db, demo / "experts.csv")[0] == 0
    assert run(capsys, "assign", "--db", db)[0] == 0
    assert run(capsys, "snapshots", "build", "--db", db, "--out", tmp_path / "usb", "--keys", tmp_path / "keys")[0] == 0
    second = sorted(packages.iterdir())[1].name
    code, out, err = run(capsys, "applications", "remove", "--db", db, second)
    assert code == 1 and "已包含在专家" in err and "--force" in err
    code, out, err = run(capsys, "--lang", "en", "applications", "remove", "--db", db, second, "--force", "--reason", "撤回")
    assert code == 0 and "build them again" in out, err

    database = open_database(str(db), create=False)
    try:
        from sqlalchemy import select

        from qbdesk.store.models import Application, AuditEntry

        with database.sessions() as s:
            removed = [e.detail for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "applications.remove"))]
            assert [(d["application"], d["forced"], d["reason"]) for d in removed] == [
                (first.name, False, "申报单位更正了项目名称"), (second, True, "撤回")]
            assert second not in set(s.scalars(select(Application.external_id)))
            assert verify_chain(s) == []
    finally:
        database.dispose()


# --- the roster: experts on no panel are named ------------------------------------------------------


def test_roster_without_programs_or_with_an_expert_on_no_panel_is_warned(tmp_path, capsys):
    db = tmp_path / "round.sqlite"
    assert run(capsys, "round", "init", "--db", db, "--name", "批次", "--year", "2026", "--programs", "P3")[0] == 0
    bare = tmp_path / "bare.csv"
    bare.write_text("编号,姓名,单位\nE01,张三,某大学\nE02,李四,某研究院\n", encoding="utf-8")
    code, out, err = run(capsys, "experts", "import", "--db", db, bare)
    assert code == 0, err
    assert "名单没有“评审项目”（programs）列" in out and "E01、E02" in out and "不会被分配" in out
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("id,name,organisation,programs\nE01,张三,某大学,P3\nE02,李四,某研究院,\n", encoding="gb18030")
    code, out, err = run(capsys, "--lang", "en", "experts", "import", "--db", db, mixed)
    assert code == 0, err
    assert "these experts have no programs, sit on no panel and will not be assigned: E02" in out
    assert "E01" not in out.split("will not be assigned:")[1]


def test_english_counts_of_one(tmp_path, capsys, copy_demo):
    import shutil

    demo = copy_demo(tmp_path / "demo")
    one = tmp_path / "one"
    shutil.copytree(sorted((demo / "packages").glob("*-P3-*"))[0], one / "pkg")
    db = tmp_path / "round.sqlite"
    assert run(capsys, "round", "init", "--db", db, "--name", "批次", "--year", "2026", "--programs", "P3")[0] == 0
    code, out, _ = run(capsys, "--lang", "en", "applications", "import", "--db", db, one)
    assert code == 0 and "1 package: 1 imported" in out
    assert run(capsys, "experts", "import", "--db", db, demo / "experts.csv")[0] == 0
    code, out, _ = run(capsys, "--lang", "en", "assign", "--db", db)
    assert code == 0 and "P3: 1 application," in out and "1 applications" not in out


@pytest.mark.slow
@pytest.mark.parametrize("presses", [1, 2, 3])
def test_ctrl_c_while_the_demo_draws_its_pdfs_stops_it_cleanly(tmp_path, presses):
    """Ctrl-C (once, or two or three times in a row) while worker processes draw the PDFs: one
    "cancelled" line, an exit by Ctrl-C within seconds, no worker's traceback, no process left
    behind, nothing half-written."""
    import os
    import signal
    import time

    out = tmp_path / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "qbdesk.cli.main", "--lang", "en", "demo", "--out", str(out), "--no-gui"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first = proc.stderr.readline()  # the first PDF drawn: the workers are running
        assert "1/167 PDF" in first, first
        for _ in range(presses):
            os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
            time.sleep(0.05)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode in (130, -signal.SIGINT), err  # -SIGINT: a second Ctrl-C ended it as Ctrl-C does
    assert "cancelled" in err and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes of the demo still running: {left}"
    assert not (out / "packages").exists() and not (out / "demo.sqlite").exists()
