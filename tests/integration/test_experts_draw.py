"""`qbdesk experts draw` end to end: a real round, a real roster, the CLI as a user types it."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from sqlalchemy import select

from qbdesk.cli.main import main
from qbdesk.domain import credit_code
from qbdesk.domain.orgname import normalise_org
from qbdesk.store.audit import verify_chain
from qbdesk.store.engine import open_database
from qbdesk.store.models import Applicant, Application, AuditEntry, Conflict, Expert, Round

RNG = random.Random(5)
ACME, BETA = credit_code.generate(RNG), credit_code.generate(RNG)

ROSTER = "编号,姓名,单位,职称,电话,评审项目,回避\n" + "".join([
    "E01,张一,深圳市甲科技有限公司,高级工程师,13800000001,P3,\n",  # an applicant's organisation
    f"E02,张二,深圳大学,教授,,P3,{BETA}\n",  # declared the credit code of P3-002's applicant
    "E03,张三,深圳大学,教授,,P3,\n",
    "E04,张四,清华大学,教授,,P3,\n",
    "E05,张五,清华大学,研究员,,P3,\n",
    "E06,张六,中国计量科学研究院,研究员,,P3,\n",
    "E07,张七,中国计量科学研究院,研究员,,P3,\n",
    "E08,张八,某检测中心,高级工程师,,P3,\n",  # recused on record below
    "E09,张九,某协会,,,P3,\n",
    "E10,张十,某协会,,,P8,\n",  # not in the P3 pool
])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def round_db(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    assert run(capsys, "round", "init", "--db", url, "--name", "2026年度评审", "--year", "2026",
               "--programs", "P3,P8")[0] == 0
    roster = tmp_path / "experts.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert run(capsys, "experts", "import", "--db", url, str(roster))[0] == 0
    db = open_database(url)
    with db.sessions.begin() as s:
        rid = s.scalars(select(Round.id)).one()
        for i, (code, name) in enumerate([(ACME, "甲科技（深圳）有限公司"), (BETA, "乙电子有限公司")], start=1):
            a = Applicant(credit_code=code, name=name, normalized_name=normalise_org(name), contact={})
            s.add(a)
            s.flush()
            s.add(Application(round_id=rid, external_id=f"P3-00{i}", program="P3", year=2026, applicant_id=a.id,
                              title=f"申报{i}", requested_amount=50_000, package_digest="0" * 64))
        s.flush()
        e08 = s.scalars(select(Expert).where(Expert.external_id == "E08")).one()
        app2 = s.scalars(select(Application).where(Application.external_id == "P3-002")).one()
        s.add(Conflict(expert_id=e08.id, application_id=app2.id, source="recusal", detail="亲属任职"))
    db.dispose()
    return url


def draw_json(capsys, url: str, *extra: str) -> dict:
    code, out, err = run(capsys, "experts", "draw", "--db", url, "--program", "P3", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_json_is_the_contract_and_conflicted_experts_are_skipped(round_db, capsys):
    got = draw_json(capsys, round_db, "--count", "3", "--reserve", "2", "--seed", "20261201")
    assert list(got) == ["program", "seed", "drawn", "reserve", "skipped"]
    assert got["program"] == "P3" and got["seed"] == 20261201
    assert got["skipped"] == [{"expert": "E01", "reason": "same_org"}, {"expert": "E02", "reason": "declared_code"},
                              {"expert": "E08", "reason": "recusal"}]
    chosen = got["drawn"] + got["reserve"]
    assert len(chosen) == len(set(chosen)) == 5
    assert not {"E01", "E02", "E08", "E10"} & set(chosen)


def test_same_seed_same_panel_and_each_draw_is_audited(round_db, capsys):
    first = draw_json(capsys, round_db, "--count", "3", "--reserve", "1", "--seed", "42")
    again = draw_json(capsys, round_db, "--count", "3", "--reserve", "1", "--seed", "42")
    other = [draw_json(capsys, round_db, "--count", "3", "--reserve", "1", "--seed", str(s))["drawn"] for s in range(8)]
    assert first == again
    assert any(d != first["drawn"] for d in other)
    db = open_database(round_db)
    with db.sessions() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "experts.draw").order_by(AuditEntry.id)).all()
        assert len(entries) == 10
        rec = entries[0].detail
        assert rec["seed"] == 42 and rec["drawn"] == first["drawn"] and rec["reserve"] == first["reserve"]
        assert rec["pool"] == [f"E0{i}" for i in range(1, 10)]
        assert {"expert": "E01", "reason": "same_org", "applications": ["P3-001"]} in rec["skipped"]
        assert verify_chain(s) == []
        settings = s.scalars(select(Round)).one().settings
        assert settings["draws"]["P3"]["seed"] == 7  # the last draw of the program
    db.dispose()


def test_organisations_balanced(round_db, capsys):
    """Eligible: 深圳大学 (E03), 清华大学 (E04, E05), 计量院 (E06, E07), 某协会 (E09); E08 is recused."""
    orgs = {"E03": "szu", "E04": "thu", "E05": "thu", "E06": "nim", "E07": "nim", "E09": "assoc"}
    for seed in range(15):
        got = draw_json(capsys, round_db, "--count", "4", "--reserve", "2", "--seed", str(seed))
        assert len({orgs[e] for e in got["drawn"]}) == 4
        assert sorted(orgs[e] for e in got["reserve"]) == ["nim", "thu"]


def test_text_output_in_both_languages(round_db, capsys):
    code, out, _ = run(capsys, "experts", "draw", "--db", round_db, "--program", "p3", "--count", "2", "--seed", "9")
    assert code == 0
    assert "P3 专家抽取（随机种子 9）：专家库 9 人，回避 3 人" in out and "抽取：" in out
    assert "回避 E01：与申报单位同单位（P3-001）" in out
    code, out, _ = run(capsys, "--lang", "en", "experts", "draw", "--db", round_db, "--program", "P3",
                       "--count", "2", "--reserve", "1", "--seed", "9")
    assert code == 0 and "P3 expert draw (seed 9): pool of 9, 3 skipped" in out and "reserves: " in out
    assert "skipped E02: declared an applicant's credit code (P3-002)" in out


def test_too_small_a_pool_is_a_clear_message_and_changes_nothing(round_db, capsys):
    code, out, err = run(capsys, "experts", "draw", "--db", round_db, "--program", "P3", "--count", "6",
                         "--reserve", "1", "--seed", "1")
    assert code == 1 and out == ""
    assert "P3 的专家库不足：共 9 人，回避 3 人，可抽 6 人，而需要抽取 6 人、候补 1 人" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "--lang", "en", "experts", "draw", "--db", round_db, "--program", "P3",
                       "--count", "7", "--seed", "1")
    assert code == 1 and "the P3 pool is too small" in err
    db = open_database(round_db)
    with db.sessions() as s:
        assert not s.scalars(select(AuditEntry).where(AuditEntry.action == "experts.draw")).all()
    db.dispose()


@pytest.mark.parametrize(("argv", "needle"), [
    (["--program", "P9", "--count", "1", "--seed", "1"], "round 1 has no program P9"),
    (["--program", "P8", "--count", "1", "--seed", "1"], "P8 has no applications yet"),
    (["--program", "PX", "--count", "1", "--seed", "1"], "unknown program PX"),
])
def test_wrong_program(round_db, capsys, argv, needle):
    code, _, err = run(capsys, "--lang", "en", "experts", "draw", "--db", round_db, *argv)
    assert code == 1 and needle in err


def test_usage_errors(round_db, capsys):
    assert run(capsys, "experts", "draw", "--db", round_db, "--program", "P3", "--count", "0", "--seed", "1")[0] == 2
    assert run(capsys, "experts", "draw", "--db", round_db, "--program", "P3", "--count", "2", "--reserve", "-1",
               "--seed", "1")[0] == 2
    code, _, err = run(capsys, "experts", "draw", "--db", round_db, "--program", "P3", "--count", "2")
    assert code == 2 and "--seed" in err


def test_help_describes_every_argument_in_both_languages(capsys):
    code, out, _ = run(capsys, "experts", "draw", "--help")
    assert code == 0 and "随机抽取" in out and "docs/results.md" in out
    for flag, zh in [("--program", "项目代码"), ("--count", "抽取专家人数"), ("--reserve", "候补"),
                     ("--seed", "随机种子"), ("--json", "输出 JSON")]:
        assert flag in out and zh in out
    code, out, _ = run(capsys, "--lang", "en", "experts", "draw", "--help")
    assert code == 0 and "reproducibly from a seed announced" in out
    for flag, en in [("--program", "program code"), ("--count", "number of experts"), ("--reserve", "reserves"),
                     ("--seed", "seed announced"), ("--json", "print JSON")]:
        assert flag in out and en in out


def test_the_installed_command_in_a_subprocess(round_db):
    r = subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "experts", "draw", "--db", round_db,
                        "--program", "P3", "--count", "3", "--seed", "20261201", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["drawn"]) == 3
