"""Text no database can store — a NUL (U+0000), a lone surrogate — and control characters XML cannot
hold, through every coordinator input, on SQLite and on PostgreSQL alike (``domain.text``).

PostgreSQL's ``text`` cannot hold a NUL, which SQLite keeps: so each input refuses it with the field
named, the same on both backends, and the database engine refuses any that gets past with a clear
message, never a driver's traceback. A score file is the expert's signed work: it is kept whole, and
the database's copy of its comments and reasons drops the NULs (the reviewer drops them as typed)."""

from __future__ import annotations

import json
import os
import random

import pytest
from leak_pdfs import text_pdf
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from test_scores_import import AT, env, templates  # noqa: F401  (the score-import tests' round)

from qbdesk.cli.main import main
from qbdesk.domain.credit_code import generate
from qbdesk.formats import scorefile as sf
from qbdesk.formats.package import FORMAT
from qbdesk.paths import resource_path
from qbdesk.services.score_recheck import recheck_scores
from qbdesk.store.audit import verify_chain
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    AuditEntry,
    Expert,
    QualificationRecord,
    Recusal,
    Round,
    ScoreFileRecord,
)
from qbdesk.store.score_sheets import value_rows

pytestmark = pytest.mark.postgresql


def run(capsys, *argv) -> tuple[int, str]:
    """The command in English, in process (no traceback may come out); its exit code and what it printed."""
    code = main(["--lang", "en", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out + err


def count(url: str, model, *where) -> int:
    db = open_database(url)
    try:
        with db.sessions() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0
    finally:
        db.dispose()


def package(dest, n, program, *, name=None, tier=None, **fields) -> str:
    m = {"format": FORMAT, "id": f"2026-{program}-{n:04d}", "program": program, "year": 2026,
         "applicant": {"name": name or f"深圳市第{n}科技有限公司", "credit_code": generate(random.Random(n)),
                       "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区"},
         "title": f"申报 {n}", "requested_amount": 50000, "summary": "摘要",
         "items": [{"id": "C1", "kind": "certificate", "title": "证书"}],
         "attachments": [{"file": "a.pdf", "title": "方案", "blind": True}], **fields}
    if tier:
        m["tier"] = tier
    dest.mkdir(parents=True)
    (dest / "application.json").write_text(json.dumps(m, ensure_ascii=True), encoding="ascii")
    (dest / "a.pdf").write_bytes(text_pdf(("本项目围绕关键工序开展质量提升工作。",)))
    return m["id"]


@pytest.fixture
def office(db_url, tmp_path, capsys):
    code, out = run(capsys, "round", "init", "--db", db_url, "--name", "r", "--year", "2026", "--programs", "P3,P8")
    assert code == 0, out
    plain = package(tmp_path / "p2", 2, "P3")
    code, out = run(capsys, "applications", "import", "--db", db_url, tmp_path / "p2")
    assert code == 0, out
    return {"url": db_url, "tmp": tmp_path, "plain": plain}


# --- score files ---------------------------------------------------------------------------------------


def _relogged(p: dict) -> dict:
    log: list = []
    for row in p["scores"]:
        sf.append_edit(log, row, AT)
    p["edit_log"], p["log_head"] = log, sf.log_head(log)
    return p


def test_a_score_file_with_nuls_is_imported_its_text_stored_without_them_and_still_verifies(env, capsys):  # noqa: F811
    """A NUL in a recusal reason crashed the import on PostgreSQL and took the good file of the same
    batch with it. The signed file keeps its NULs (and, kept whole, still verifies on recheck); the
    database's copy of its comments and reasons drops them, on both backends alike."""
    good = env.write(env.payload("E02"), "e02.qbscore", expert="E02")
    code = env.metas["E01"]["applications"][0]["code"]
    p = env.payload(recuse=(code,))
    p["recusals"][0]["reason"] = "曾为该单位\x00提供咨询"
    row = next(r for r in p["scores"] if type(r["value"]) in (int, float))
    row["comment"] = "理由\x00见材料"
    # written past the reviewer, which drops NULs as they are typed (a file of an older version, say)
    bad = env.seal(_relogged(p), "e01.qbscore", sign_with=env.expert_keys["E01"])
    rc, out = run(capsys, "scores", "import", "--db", env.url, "--keys", env.keys.directory, good, bad)
    assert rc == 0 and out.count("accepted") >= 2, out
    assert env.count(ScoreFileRecord) == 2
    with env.db.sessions() as s:
        assert s.scalars(select(Recusal.reason)).all() == ["曾为该单位提供咨询"]
        comments = [c for *_, c in value_rows(s)]
        assert "理由见材料" in comments and not any("\x00" in c for c in comments)
        assert verify_chain(s) == []
        report = recheck_scores(s, env.rid, keys=env.keys)
    assert report.ok, report
    with env.db.engine.connect() as c:  # the view over the sheets (JSON on PostgreSQL) reads them all
        assert c.execute(text("SELECT count(*) FROM score")).scalar() == env.values()


# --- packages, roster, checklist, configuration ----------------------------------------------------------


@pytest.mark.parametrize("field", ["applicant.name", "title", "summary", "attachments[0].title"])
def test_a_package_field_with_a_nul_is_refused_naming_the_field(office, field, capsys):
    d = office["tmp"] / "nul"
    package(d, 40, "P3")
    m = json.loads((d / "application.json").read_text())
    where, key = {"applicant.name": (m["applicant"], "name"), "attachments[0].title": (m["attachments"][0], "title"),
                  "title": (m, "title"), "summary": (m, "summary")}[field]
    where[key] += "\x00x"
    (d / "application.json").write_text(json.dumps(m, ensure_ascii=True))
    code, out = run(capsys, "applications", "import", "--db", office["url"], d)
    assert code == 1 and "NUL (U+0000)" in out and key in out, out
    assert count(office["url"], Application) == 1  # the one imported before


def test_a_roster_cell_with_a_nul_is_refused_naming_row_and_column(office, capsys):
    f = office["tmp"] / "roster.csv"
    f.write_text("id,name,organisation,title,programs\nE01,王五,某大学,教授,P3\nE02,赵\x00六,某学院,教授,P3\n",
                 encoding="utf-8")
    code, out = run(capsys, "experts", "import", "--db", office["url"], f)
    assert code == 1 and "NUL (U+0000)" in out and "3" in out and "name" in out, out
    assert count(office["url"], Expert) == 0


@pytest.mark.parametrize("col", ["source", "note"])
def test_a_checklist_cell_with_a_nul_is_refused(office, col, capsys):
    vals = {"source": "信用中国", "note": "列入名录"}
    vals[col] = vals[col][:2] + "\x00" + vals[col][2:]
    f = office["tmp"] / "c.csv"
    f.write_text(f"application,check,result,source,date,note\n{office['plain']},credit_record,fail,"
                 f"{vals['source']},2026-01-05,{vals['note']}\n", encoding="utf-8")
    code, out = run(capsys, "applications", "check", "--db", office["url"], "--from", f)
    assert code == 1 and "NUL (U+0000)" in out and col in out, out
    assert count(office["url"], QualificationRecord) == 0


def test_a_rubric_or_a_configuration_with_a_nul_is_refused(office, capsys):
    data = json.loads(resource_path("rubrics", "P8.json").read_text(encoding="utf-8"))
    data["version"] = "2026\x00"
    (office["tmp"] / "rub.json").write_text(json.dumps(data))
    (office["tmp"] / "cfg.toml").write_text('[programs.P8]\nrubric = "rub.json"\n')
    code, out = run(capsys, "round", "init", "--db", office["url"], "--name", "r2", "--year", "2026",
                    "--programs", "P8", "--config", office["tmp"] / "cfg.toml")
    assert code == 1 and "version" in out and "NUL (U+0000)" in out, out
    cfg = office["tmp"] / "cfg.json"
    cfg.write_text('{"programs": {"P7": {"tiers": {"hon\\u0000our": {"amount": 100000, "zh": "z", "en": "e"}}}}}')
    code, out = run(capsys, "round", "init", "--db", office["url"], "--name", "r7", "--year", "2026",
                    "--programs", "P7", "--config", cfg)
    assert code == 1 and "NUL (U+0000)" in out, out
    cfg.write_text('{"programs": {"P7": {"tiers": {"honour": {"amount": 100000, "zh": "\\ud800", "en": "e"}}}}}')
    code, out = run(capsys, "round", "init", "--db", office["url"], "--name", "r7", "--year", "2026",
                    "--programs", "P7", "--config", cfg)
    assert code == 1 and "lone surrogate U+D800" in out, out
    assert count(office["url"], Round) == 1


# --- what gets past the parsers: the engine's own refusal ----------------------------------------------


ARG_SURROGATE = os.fsdecode(b"\xff")  # an argument byte that is not UTF-8 becomes "\udcff"


@pytest.mark.parametrize("bad", ["批\x00次", "批" + ARG_SURROGATE + "次"])
def test_text_no_database_can_store_gets_a_clear_message_not_a_traceback(office, bad, capsys):
    code, out = run(capsys, "round", "init", "--db", office["url"], "--name", bad, "--year", "2026", "--programs", "P3")
    assert code == 1 and "cannot store the text" in out and ("NUL" in out or "surrogate" in out), out
    code, out = run(capsys, "applications", "check", "--db", office["url"], office["plain"], "credit_record",
                    "--result", "fail", "--date", "2026-01-05", "--source", "信用中国", "--note", bad)
    assert code == 1 and "Traceback" not in out and ("NUL" in out or "surrogate" in out), out
    code, out = run(capsys, "applications", "remove", "--db", office["url"], office["plain"] + bad[1], "--reason", "x")
    assert code == 1 and "Traceback" not in out, out
    assert count(office["url"], Round) == 1 and count(office["url"], QualificationRecord) == 0
    assert count(office["url"], Application) == 1


def test_a_file_name_that_is_not_utf8_is_recorded_escaped_in_the_audit_log(office, capsys):
    name = os.fsdecode(b"\xc3\xfb\xb5\xa5.csv")  # 名单.csv in GBK, on a UTF-8 file system
    f = office["tmp"] / name
    f.write_text("id,name,organisation,title,programs\nE01,王五,某大学,教授,P3\n", encoding="utf-8")
    code, out = run(capsys, "experts", "import", "--db", office["url"], f)
    assert code == 0 and "\\xc3\\xfb\\xb5\\xa5.csv: 1 added" in out, out
    db = open_database(office["url"])
    try:
        with db.sessions() as s:
            assert verify_chain(s) == []
            details = json.dumps([e.detail for e in s.scalars(select(AuditEntry))], ensure_ascii=False)
        assert "\\\\xc3\\\\xfb\\\\xb5\\\\xa5.csv" in details, details
    finally:
        db.dispose()
    assert run(capsys, "audit", "verify", "--db", office["url"])[0] == 0


def test_control_characters_xml_cannot_hold_do_not_break_the_xlsx(office, capsys):
    """\\x01 and \\x1b are stored (they are text); a workbook cannot hold them, so it shows U+FFFD."""
    package(office["tmp"] / "p3", 3, "P3", name="深圳市\x01某\x1b公司")
    assert run(capsys, "applications", "import", "--db", office["url"], office["tmp"] / "p3")[0] == 0
    assert count(office["url"], Applicant, Applicant.name == "深圳市\x01某\x1b公司") == 1
    out = office["tmp"] / "r.xlsx"
    code, text = run(capsys, "results", "--db", office["url"], "--with-names", "--out", out)
    assert code == 0, text
    cells = [c for ws in load_workbook(out) for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "深圳市\ufffd某\ufffd公司" in cells
    sheet = office["tmp"] / "check.xlsx"
    code, text = run(capsys, "applications", "check", "--db", office["url"], "--template", sheet)
    assert code == 0 and sheet.exists(), text
