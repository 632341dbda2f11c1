"""The coordinator's CLI end to end, as a user types it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from qbdesk.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse: --version, usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_round(tmp_path_factory, copy_demo):
    """The demo round, built through the CLI as a user would (once per session: copy_demo)."""
    return copy_demo(tmp_path_factory.mktemp("cli") / "demo")


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("qbdesk ")


def test_python_dash_m_qbdesk_is_the_qbdesk_command(demo_round):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "qbdesk", "--lang", "en", "status", "--db", str(demo_round / "demo.sqlite")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "coverage: 63/63 applications fully assigned" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "qbdesk", "--lang", "en", "status", "--db", "nosuch://x"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "not a database URL" in r.stderr and "Traceback" not in r.stderr


def test_usage_error_exits_2(capsys):
    code, _, err = run(capsys, "assign", "--per-application", "many")
    assert code == 2
    assert "用法错误" in err and "usage" not in err
    code, _, err = run(capsys, "--lang", "en", "assign", "--per-application", "many")
    assert code == 2 and "usage error: argument --per-application: invalid int value" in err


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "round" in out


def test_entry_point_runs_without_qt(tmp_path):
    """The installed script works, and a plain command never loads Qt."""
    probe = ("import sys, qbdesk.cli.main as m; rc = m.main(['--lang','en','status','--db', sys.argv[1]]);"
             "assert not any(k.startswith('PySide6') for k in sys.modules), 'Qt was imported'; sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "empty.sqlite")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "the database file does not exist" in r.stderr and not (tmp_path / "empty.sqlite").exists()


def test_demo_then_status_json_shows_nine_programs_fully_covered(demo_round, capsys):
    code, out, _ = run(capsys, "status", "--db", str(demo_round / "demo.sqlite"), "--json")
    assert code == 0
    st = json.loads(out)
    assert list(st["programs"]) == [f"P{i}" for i in range(1, 10)]
    assert all(p["applications"] >= 1 for p in st["programs"].values())
    assert st["coverage"]["applications"] >= 60
    assert st["coverage"]["complete"] is True
    assert not [p for p in st["problems"] if p["code"] == "uncovered"]


def test_status_text_in_english(demo_round, capsys):
    code, out, _ = run(capsys, "--lang", "en", "status", "--db", str(demo_round / "demo.sqlite"))
    assert code == 0
    assert "coverage:" in out and "Industry quality improvement" in out


def test_round_init_and_import_reports_each_broken_package(demo_round, tmp_path, capsys):
    db = str(tmp_path / "r.sqlite")
    code, out, _ = run(capsys, "round", "init", "--db", db, "--name", "测试批次", "--year", "2026", "--programs", "P3,P8")
    assert code == 0 and "测试批次" in out

    src = demo_round / "packages"
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    good = [p for p in sorted(src.iterdir()) if json.loads((p / "application.json").read_text("utf-8"))["program"] in ("P3", "P8")][:3]
    for p in good:
        shutil.copytree(p, mixed / p.name)
    broken_json = mixed / "broken-json"
    shutil.copytree(good[0], broken_json)
    (broken_json / "application.json").write_text('{"format": "qbdesk.application/1", "id": ', encoding="utf-8")
    wrong_year = mixed / "wrong-year"
    shutil.copytree(good[1], wrong_year)
    m = json.loads((wrong_year / "application.json").read_text("utf-8"))
    m["year"], m["id"] = 2019, "wrong-year-1"
    (wrong_year / "application.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")

    code, out, _ = run(capsys, "--lang", "en", "applications", "import", "--db", db, str(mixed))
    assert code == 1
    assert out.count("imported  ") == 3
    assert "broken-json" in out and "wrong-year" in out
    assert "2019" in out  # the reason names the wrong year

    # Importing the same folder again changes nothing and still names the broken ones.
    code, out, _ = run(capsys, "--lang", "en", "applications", "import", "--db", db, str(mixed))
    assert code == 1
    assert out.count("unchanged  ") == 3


def test_round_init_rejects_unknown_program(tmp_path, capsys):
    code, _, err = run(capsys, "round", "init", "--db", str(tmp_path / "x.sqlite"), "--name", "x", "--year", "2026",
                       "--programs", "P3,P12")
    assert code == 1
    assert "P12" in err


def test_round_init_config_tier_outside_seed_range_is_rejected(tmp_path, capsys):
    cfg = tmp_path / "round.toml"
    cfg.write_text("[programs.P5]\nbudget = 100\n[programs.P5.tiers]\nnational_regulation_lead = 900000\n", encoding="utf-8")
    code, _, err = run(capsys, "--lang", "en", "round", "init", "--db", str(tmp_path / "x.sqlite"), "--name", "x",
                       "--year", "2026", "--config", str(cfg))
    assert code == 1
    assert "P5.tiers.national_regulation_lead" in err and "the range the Operating Procedures set, 30,000–800,000 yuan" in err


def test_status_without_round_explains_what_to_do(tmp_path, capsys):
    code, _, err = run(capsys, "status", "--db", str(tmp_path / "none.sqlite"))
    assert code == 1
    assert "qbdesk round init" in err
