"""A shared office on PostgreSQL: every coordinator command on a real server, and the messages a
coordinator sees when the server, the database, the user or the driver is not there.

These run on the PostgreSQL server of ``pg_server`` (QBDESK_TEST_PG, or one the suite starts); the
storage and import tests run on both backends through ``db_url`` (tests marked ``postgresql``).
"""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys

import pytest
from cli_run import cli, ok
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from qbdesk.store.engine import normalise_url
from qbdesk.store.models import ScoreFileRecord, ScoreSheet

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_db(pg_server):
    name = pg_server.create()
    yield pg_server.url(name)
    pg_server.drop(name)


def test_postgresql_urls_use_psycopg_3():
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u:p@h:5433/db") == "postgresql+psycopg://u:p@h:5433/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_every_coordinator_command_runs_on_postgresql(pg_db, tmp_path, capsys, copy_demo):
    from test_round_trip_cli import _expert_session

    root = tmp_path
    copy_demo(root / "demo")  # its packages and roster (demo itself writes only SQLite)
    ok(capsys, "round", "init", "--db", pg_db, "--name", "2026年度共享数据库", "--year", "2026")
    ok(capsys, "applications", "import", "--db", pg_db, root / "demo" / "packages")
    ok(capsys, "experts", "import", "--db", pg_db, root / "demo" / "experts.csv")
    drawn = json.loads(ok(capsys, "experts", "draw", "--db", pg_db, "--program", "P3", "--count", "2", "--seed", "20261201",
                          "--json"))
    assert len(drawn["drawn"]) == 2
    ok(capsys, "assign", "--db", pg_db, "--per-application", "2", "--seed", "7")
    assert "credit_record" in ok(capsys, "applications", "check", "--db", pg_db, "--checks")
    code, out, err = cli(capsys, "leaks", "scan", "--db", pg_db)
    assert code in (0, 1) and "Traceback" not in err, out + err
    ok(capsys, "snapshots", "build", "--db", pg_db, "--out", root / "usb", "--keys", root / "keys",
       "--passphrases-out", root / "pp.csv")
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        slips = {row["expert_id"]: row for row in csv.DictReader(f)}
    office = {"root": root, "slips": slips}
    (root / "laptop").mkdir()
    _expert_session(capsys, office, "E01", root / "laptop" / "home", recuse=False, share=0.7)
    score_file = root / "laptop" / "E01.qbscore"
    out = ok(capsys, "scores", "import", "--db", pg_db, "--keys", root / "keys", score_file)
    assert "1 accepted" in out
    assert "duplicate" in ok(capsys, "scores", "import", "--db", pg_db, "--keys", root / "keys", score_file)
    status = json.loads(ok(capsys, "status", "--db", pg_db, "--json"))
    assert status["scoring"]["score_files"]["accepted"] == 1
    assert "1 match the database, 0 do not" in ok(capsys, "scores", "recheck", "--db", pg_db, "--keys", root / "keys")
    assert "audit log intact" in ok(capsys, "audit", "verify", "--db", pg_db)
    actions = {e["action"] for e in json.loads(ok(capsys, "audit", "show", "--db", pg_db, "--json"))}
    assert {"round.init", "import_packages", "experts.draw", "snapshots.build", "scores.import"} <= actions
    engine = create_engine(normalise_url(pg_db))
    try:
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(ScoreFileRecord)) == 1
            assert c.scalar(select(func.count()).select_from(ScoreSheet)) > 0
            apps = c.scalar(text("select count(*) from application"))
            victim = c.scalar(text("select external_id from application order by external_id desc limit 1"))
        ok(capsys, "applications", "remove", "--db", pg_db, victim, "--force", "--reason", "申报单位撤回")
        with engine.connect() as c:
            assert c.scalar(text("select count(*) from application")) == apps - 1
    finally:
        engine.dispose()
    assert "audit log intact" in ok(capsys, "audit", "verify", "--db", pg_db)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _refused(capsys, url: str, en: str, zh: str) -> None:
    for lang, words in (("en", en), ("zh", zh)):
        from qbdesk.cli.main import main

        code = main(["--lang", lang, "status", "--db", url])
        out, err = capsys.readouterr()
        assert code == 1, out + err
        assert words in err and "Traceback" not in err, err
        assert "TEST-ONLY" not in err  # never the password


def test_an_unreachable_server_is_a_clear_message(capsys):
    _refused(capsys, f"postgresql://qbdesk@127.0.0.1:{_free_port()}/round", "cannot reach the database server", "无法连接数据库服务器")


def test_an_unknown_host_is_a_clear_message(capsys):
    _refused(capsys, "postgresql://qbdesk@no-such-host.invalid/round", "host name is not known", "主机名无法解析")


def test_a_missing_database_is_a_clear_message(pg_server, capsys):
    _refused(capsys, pg_server.url("qbdesk_no_such_database"), "the database does not exist on the server", "没有这个数据库")


def test_an_unknown_user_is_a_clear_message(pg_server, capsys):
    url = make_url(pg_server.admin_url).set(username="qbdesk_nobody").render_as_string(hide_password=False)
    _refused(capsys, url, "has no such user", "没有这个用户")


def test_a_wrong_password_is_a_clear_message(pg_server, capsys):
    import pgserver

    if not pg_server.own:
        pytest.skip("needs the suite's own server, whose pg_hba.conf asks this role for a password")
    url = make_url(pg_server.admin_url).set(username=pgserver.PASSWORD_ROLE, password="wrong TEST-ONLY")
    _refused(capsys, url.render_as_string(hide_password=False), "user name or password is wrong", "用户名或密码错误")
    good = make_url(pg_server.admin_url).set(username=pgserver.PASSWORD_ROLE, password=pgserver.PASSWORD)
    _refused(capsys, good.set(database="qbdesk_no_such_database").render_as_string(hide_password=False),
             "does not exist on the server", "没有这个数据库")  # the password got it past authentication


def test_a_missing_driver_is_a_clear_message(tmp_path):
    code = ("import sys; sys.modules['psycopg'] = None\n"  # as if psycopg were not installed
            "from qbdesk.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))")
    for lang, words in (("en", 'its driver psycopg is not installed (run .venv/bin/pip install "psycopg[binary]"'),
                        ("zh", "未安装数据库驱动 psycopg")):
        done = subprocess.run([sys.executable, "-c", code, "--lang", lang, "status", "--db", "postgresql://qbdesk@127.0.0.1/round"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and words in done.stderr and "Traceback" not in done.stderr, done.stderr
