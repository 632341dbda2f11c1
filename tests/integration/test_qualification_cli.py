"""The coordinator's qualification check through the CLI, and where its results go.

`qbdesk applications check` records one result, lists them (text and JSON), writes the checklist
template and imports it filled in (xlsx and csv; every bad cell named, all or nothing); each change
is in the audit log; `status` counts; a failed veto zeroes the funding; the results reach the
expert's snapshot as read-only facts without anything identifying, and `review status` shows them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random

import openpyxl
import pytest
from leak_pdfs import text_pdf
from sqlalchemy import select

from qbdesk.cli.main import main
from qbdesk.domain import credit_code
from qbdesk.domain.funding import recommend
from qbdesk.domain.orgname import normalise_org
from qbdesk.domain.programs import ProgramSettings
from qbdesk.formats.qualification_sheet import DATA_TITLE
from qbdesk.formats.snapshot import SnapshotReader
from qbdesk.services.coordinator_keys import load_or_create_keys
from qbdesk.services.qualification import failed_vetoes
from qbdesk.services.rounds import init_round
from qbdesk.services.snapshots import build_snapshots
from qbdesk.store import audit
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Attachment,
    AuditEntry,
    Blob,
    Expert,
    QualificationRecord,
)

PDF = text_pdf(("blind test attachment",))  # a real PDF: snapshots build cleans it
APPS = (("P8", "卓越绩效模式导入与标杆培育"), ("P3", "光伏逆变器绿色产品认证推广"), ("P9", "高价值品牌培育"))
IDS = tuple(f"2026-{p}-{i:04d}" for i, (p, _) in enumerate(APPS))


@pytest.fixture
def office(tmp_path):
    """A round of three applications, all assigned to E01; nothing checked yet."""
    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    db = open_database(url)
    rid = init_round(db.sessions, name="2026年第一批", year=2026, programs=["P3", "P8", "P9"])
    rng = random.Random(5)
    sha = hashlib.sha256(PDF).hexdigest()
    names = {}
    with db.sessions.begin() as s:
        s.add(Blob(sha256=sha, size=len(PDF), data=PDF))
        e = Expert(round_id=rid, external_id="E01", name="张专家", organisation="某大学", normalized_organisation="某大学",
                   programs=["P3", "P8", "P9"])
        s.add(e)
        for i, (program, title) in enumerate(APPS):
            name = f"深圳市第{i}测试科技有限公司"
            who = Applicant(credit_code=credit_code.generate(rng), name=name, normalized_name=normalise_org(name), contact={})
            s.add(who)
            s.flush()
            names[IDS[i]] = (name, who.credit_code)
            app = Application(round_id=rid, external_id=IDS[i], program=program, year=2026, applicant_id=who.id, title=title,
                              requested_amount=300_000, summary="摘要", package_digest="0" * 64, items=[],
                              attachments=[Attachment(position=0, file="a.pdf", title="方案", blind=True, sha256=sha,
                                                      size=len(PDF))])
            s.add(app)
            s.flush()
            s.add(Assignment(round_id=rid, expert_id=e.id, application_id=app.id, seed=0))
    yield {"root": tmp_path, "url": url, "db": db, "rid": rid, "names": names}
    db.dispose()


def cli(capsys, *argv, lang: str = "en") -> tuple[int, str, str]:
    try:
        code = main(["--lang", lang, *map(str, argv)])
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def check(capsys, office, *argv, lang: str = "en"):
    return cli(capsys, "applications", "check", "--db", office["url"], *argv, lang=lang)


def _rows(office) -> dict[tuple[str, str], QualificationRecord]:
    with office["db"].sessions() as s:
        return {(ext, r.check): r for r, ext in s.execute(
            select(QualificationRecord, Application.external_id).join(Application))}


def _audit(office, action: str) -> list[AuditEntry]:
    with office["db"].sessions() as s:
        assert audit.verify_chain(s) == []
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_record_list_and_change_a_result_each_step_audited(office, capsys):
    code, out, _ = check(capsys, office, IDS[0], "credit_record", "--result", "pass", "--source", "信用中国网站查询",
                         "--date", "2026-11-20", "--by", "李审查", lang="zh")
    assert code == 0 and "已记录" in out and "通过" in out and "2026-11-20" in out
    code, out, _ = check(capsys, office, IDS[0], "double_funding", "--result", "fail", "--source", "市科创委资助名单",
                         "--date", "2026-11-21", "--note", "同一项目已获2025年市级技术攻关资助", "--by", "李审查")
    assert code == 0 and "veto: this application gets 0 whatever its scores" in out
    code, out, _ = check(capsys, office, IDS[0], "credit_record", "--result", "pass", "--source", "信用中国网站查询",
                         "--date", "2026-11-20", "--by", "李审查")
    assert code == 0 and "nothing changed" in out  # the same again: no new row, no new audit entry

    code, out, _ = check(capsys, office, "--list", IDS[0])
    assert code == 0 and out.startswith(f"{IDS[0]}  P8  VETOED")
    assert "credit_record      pass" in out and "double_funding     fail" in out and "major_accident     not checked" in out
    assert "1 applications: 0 fully checked, 1 missing checks, 1 vetoed" in out
    code, out, _ = check(capsys, office, "--list", "--json")
    listed = {a["application"]: a for a in json.loads(out)}
    assert set(listed) == set(IDS) and listed[IDS[0]]["vetoes"] == ["double_funding"] and listed[IDS[1]]["vetoed"] is False
    fact = next(c for c in listed[IDS[0]]["checks"] if c["check"] == "double_funding")
    assert fact == {"check": "double_funding", "label": fact["label"], "veto": True, "result": "fail",
                    "source": "市科创委资助名单", "date": "2026-11-21", "note": "同一项目已获2025年市级技术攻关资助", "by": "李审查"}
    assert "多头申报" in fact["label"]["zh"] and listed[IDS[1]]["missing"] == [c["check"] for c in listed[IDS[1]]["checks"]]

    code, _, _ = check(capsys, office, IDS[0], "double_funding", "--result", "pass", "--source", "市科创委复核",
                       "--date", "2026-11-25", "--by", "王复核")
    assert code == 0
    row = _rows(office)[(IDS[0], "double_funding")]
    assert (row.result, row.source, row.checked_on.isoformat(), row.note, row.recorded_by) == (
        "pass", "市科创委复核", "2026-11-25", "", "王复核")
    entries = _audit(office, "qualification.set")
    assert len(entries) == 3  # two new results and one change; the repeat left no trace
    assert entries[0].actor == "李审查" and entries[0].detail["check"] == "credit_record"
    assert entries[2].actor == "王复核" and entries[2].detail["result"] == "pass"
    assert entries[2].detail["previous"] == {"result": "fail", "source": "市科创委资助名单", "date": "2026-11-21",
                                             "note": "同一项目已获2025年市级技术攻关资助"}


def test_a_result_recorded_by_mistake_is_removed_and_the_removal_audited(office, capsys):
    check(capsys, office, IDS[1], "grants_closed", "--result", "fail", "--source", "资助记录", "--date", "2026-11-20",
          "--note", "2024年项目未验收", "--by", "李审查")
    code, out, _ = check(capsys, office, IDS[1], "grants_closed", "--clear", "--by", "王复核")
    assert code == 0 and "now not checked" in out and _rows(office) == {}
    code, out, _ = check(capsys, office, IDS[1], "grants_closed", "--clear")
    assert code == 0 and "nothing changed" in out
    (entry,) = _audit(office, "qualification.clear")
    assert entry.actor == "王复核" and entry.detail["previous"]["note"] == "2024年项目未验收"
    code, _, err = check(capsys, office, IDS[1], "grants_closed", "--clear", "--result", "pass")
    assert code == 2 and "--clear goes with APP CHECK alone" in err


def test_bad_values_are_each_named_and_nothing_is_recorded(office, capsys):
    code, _, err = check(capsys, office, "2026-P1-9999", "credit", "--result", "maybe", "--source", " ",
                         "--date", "20261301")
    assert code == 1 and "Traceback" not in err
    for part in ("APP: application “2026-P1-9999” is not in this round", "CHECK: there is no qualification check “credit”",
                 "--result: the result must be pass or fail", "--source: the source must be named",
                 "--date: the check date must be YYYY-MM-DD", "Nothing was recorded"):
        assert part in err
    code, _, err = check(capsys, office, IDS[1], "spot_check", "--result", "不通过", "--source", "抽查公告",
                         "--date", "2026-11-20", lang="zh")
    assert code == 1 and "--note：不通过须在备注中写明发现了什么" in err and "未记录任何内容" in err
    assert _rows(office) == {} and _audit(office, "qualification.set") == []


def test_usage_errors_exit_2(office, capsys):
    for argv in ((), (IDS[0],), (IDS[0], "credit_record", "--result", "pass"), ("--list", "--result", "pass"),
                 ("--json",), ("--from", "x.xlsx", IDS[0]), ("--list", "--from", "x.xlsx")):
        code, _, err = check(capsys, office, *argv)
        assert code == 2 and "usage error" in err, argv


def test_template_filled_in_excel_and_imported(office, capsys):
    target = office["root"] / "checks.xlsx"
    code, out, _ = check(capsys, office, "--template", target)
    assert code == 0 and "21 rows" in out and "never for experts" in out
    wb = openpyxl.load_workbook(target)
    sheet = wb[DATA_TITLE]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["application", "check", "result", "source", "date", "note"]
    rows = list(sheet.iter_rows(min_row=2))
    first = sorted(IDS)[0]
    assert len(rows) == 21 and rows[0][0].value == first and rows[0][1].value == "credit_record"
    assert rows[0][6].value == office["names"][first][0]  # the applicant's name, for the look-up
    for r in rows:
        if r[0].value == IDS[2]:
            continue  # not checked yet: the rows stay empty
        r[2].value, r[3].value, r[4].value = "通过", "信用中国", "2026-11-28"
        if (r[0].value, r[1].value) == (IDS[0], "spot_check"):
            r[2].value, r[5].value = "不通过", "2025年监督抽查不合格，未整改"
    wb.save(target)

    code, out, _ = check(capsys, office, "--from", target, "--by", "李审查")
    assert code == 0 and "14 results recorded (0 already so, 7 rows with an empty result skipped)" in out
    code, out, _ = check(capsys, office, "--from", target)
    assert code == 0 and "0 results recorded (14 already so" in out
    recorded = _rows(office)
    assert len(recorded) == 14 and recorded[(IDS[0], "spot_check")].result == "fail"
    (entry,) = _audit(office, "qualification.import")
    assert entry.actor == "李审查" and entry.detail["file"] == "checks.xlsx" and len(entry.detail["changes"]) == 14

    code, out, _ = cli(capsys, "status", "--db", office["url"])
    assert "qualification check: 2/3 applications fully checked, 1 missing checks, 1 vetoed" in out
    code, out, _ = cli(capsys, "status", "--db", office["url"], "--json")
    assert json.loads(out)["qualification"] == {"applications": 3, "checked": 2, "missing_checks": 1, "vetoed": 1}
    code, out, _ = check(capsys, office, "--template", office["root"] / "again.xlsx", IDS[0])
    again = openpyxl.load_workbook(office["root"] / "again.xlsx")[DATA_TITLE]
    assert ("spot_check", "fail") in [(r[1].value, r[2].value) for r in again.iter_rows(min_row=2)]  # on record, shown
    assert again.max_row == 8  # only the application asked for


def test_a_checklist_with_bad_cells_records_nothing(office, capsys):
    good = ("2026-11-20", "信用中国")
    target = office["root"] / "bad.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["application", "check", "result", "source", "date", "note"],
                [IDS[0], "credit_record", "pass", good[1], good[0], ""],
                ["2026-P1-9999", "credit_record", "pass", good[1], good[0], ""],
                [IDS[0], "major_accident", "yes", good[1], good[0], ""],
                [IDS[1], "credit_record", "pass", good[1], "2026-02-30", ""],
                [IDS[1], "forged_material", "fail", good[1], good[0], ""],
                [IDS[0], "credit_record", "pass", good[1], good[0], ""]):
        ws.append(row)
    wb.save(target)
    code, out, _ = check(capsys, office, "--from", target)
    assert code == 1
    for part in ("row 3, column “application”: application “2026-P1-9999” is not in this round",
                 "row 4, column “result”: the result must be pass or fail, not “yes”",
                 "row 5, column “date”: the check date must be YYYY-MM-DD, not “2026-02-30”",
                 "row 6, column “note”: a fail needs a note", "row 7: repeats row 2",
                 "5 problems found; nothing was recorded"):
        assert part in out
    assert _rows(office) == {} and _audit(office, "qualification.import") == []
    (office["root"] / "notes.txt").write_text("not a checklist")
    code, _, err = check(capsys, office, "--from", office["root"] / "notes.txt")
    assert code == 1 and "a checklist is an .xlsx or .csv file" in err
    (office["root"] / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    code, _, err = check(capsys, office, "--from", office["root"] / "broken.xlsx")
    assert code == 1 and "not a valid .xlsx file" in err and "Traceback" not in err


def test_a_csv_checklist_saved_by_wps_in_gb18030_with_chinese_headers(office, capsys):
    target = office["root"] / "checks.csv"
    with open(target, "w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow(["申报编号", "审查项", "结果", "来源", "审查日期", "备注"])
        w.writerow([IDS[2], "credit_record", "不通过", "信用中国", "2026年11月20日", "列入经营异常名录"])
        w.writerow([IDS[2], "申报材料无弄虚作假", "通过", "原件核对", "2026/11/21", ""])
    code, out, _ = check(capsys, office, "--from", target, lang="zh")
    assert code == 0 and "已记录 2 项审查结果" in out
    recorded = _rows(office)
    assert recorded[(IDS[2], "credit_record")].note == "列入经营异常名录"
    assert recorded[(IDS[2], "forged_material")].checked_on.isoformat() == "2026-11-21"


def test_a_failed_veto_zeroes_a_fully_passed_application(office, capsys):
    check(capsys, office, IDS[0], "forged_material", "--result", "fail", "--source", "发证机构核实", "--date", "2026-11-20",
          "--note", "检测报告编号在机构系统中不存在")
    check(capsys, office, IDS[1], "forged_material", "--result", "pass", "--source", "原件核对", "--date", "2026-11-20")
    with office["db"].sessions() as s:
        ids = dict(s.execute(select(Application.external_id, Application.id)).all())
        vetoes = failed_vetoes(s, ids.values())
    assert set(vetoes) == {ids[IDS[0]]}
    settings = ProgramSettings("P8", budget=3_000_000, pass_threshold=700)
    scored_high = dict(gate_passed=True, passed_threshold=True, requested_amount=300_000)
    assert recommend(settings, **scored_high, veto=vetoes.get(ids[IDS[1]], ())).amount == 300_000
    d = recommend(settings, **scored_high, veto=vetoes[ids[IDS[0]]])
    assert d.amount == 0 and d.capped_by == ("veto",)
    assert "一票否决：资格审查“申报材料无弄虚作假”未通过，不予资助" in d.explain("zh")


def test_the_facts_reach_the_expert_blind_and_show_in_review_status(office, capsys):
    name, cc = office["names"][IDS[0]]
    check(capsys, office, IDS[0], "credit_record", "--result", "fail", "--source", f"信用中国：{name}（{cc}）",
          "--date", "2026-11-20", "--note", f"{name} 列入经营异常名录，决定书编号 深市监异〔2026〕17号")
    check(capsys, office, IDS[0], "platform_verified", "--result", "pass", "--source", "全国认证认可信息公共服务平台",
          "--date", "2026-11-21")
    root = office["root"]
    keys = load_or_create_keys(root / "keys")
    report = build_snapshots(office["db"].sessions, office["rid"], root / "snap", keys=keys,
                             passphrases_out=root / "pp.csv", rng=random.Random(3), kdf_rounds=1)
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        (slip,) = list(csv.DictReader(f))
    path = report.snapshots[0].path
    with SnapshotReader(path, slip["passphrase"]) as r:
        meta = r.meta
    by_title = {a["title"]: a for a in meta["applications"]}
    facts = by_title[APPS[0][1]]["qualification"]
    assert [(f["check"], f["result"], f["date"], f["veto"]) for f in facts] == [
        ("credit_record", "fail", "2026-11-20", True), ("platform_verified", "pass", "2026-11-21", False)]
    assert facts[0]["label"]["zh"].startswith("未列入严重违法失信名单") and facts[0]["source"] == "信用中国：■■■（■■■）"
    assert by_title[APPS[1][1]]["qualification"] == []  # nothing checked: no facts, not "passed"
    text = json.dumps(meta, ensure_ascii=False)
    for _, (who, cc) in office["names"].items():
        assert who not in text and cc not in text and who.removeprefix("深圳市").removesuffix("有限公司") not in text
    assert "决定书" not in text and "经营异常名录，" not in text  # the note stays with the coordinator

    home = root / "home"
    (root / "pp.txt").write_text(slip["passphrase"] + "\n", encoding="utf-8")
    assert cli(capsys, "review", "open", path, "--home", home, "--passphrase-file", root / "pp.txt")[0] == 0
    code, out, _ = cli(capsys, "review", "status", "--home", home, "--passphrase-file", root / "pp.txt")
    assert code == 0
    assert "qualification (coordinator): not on the serious-violation (严重违法失信) list" in out
    assert "FAIL (veto) — checked 2026-11-20, 信用中国：■■■（■■■）" in out
    code, out, _ = cli(capsys, "review", "status", "--home", home, "--passphrase-file", root / "pp.txt", lang="zh")
    assert "资格审查（评审组织方）：申报的证书、认可或荣誉可在官方平台查验：通过——2026-11-21 核查" in out
    assert name not in out and cc not in out


@pytest.mark.slow
def test_the_demo_round_comes_with_a_filled_in_checklist(tmp_path, capsys, copy_demo):
    """`qbdesk demo` imports its checklist through the real path: every state shows, and reaches the snapshots."""
    copy_demo(tmp_path / "demo")
    url = str(tmp_path / "demo" / "demo.sqlite")
    code, out, _ = cli(capsys, "status", "--db", url, "--json")
    q = json.loads(out)["qualification"]
    assert q["vetoed"] == 1 and q["missing_checks"] == 2 and q["checked"] == q["applications"] - 2
    assert (tmp_path / "demo" / "checks.csv").read_bytes().startswith(b"\xef\xbb\xbfapplication,check,result")
    db = open_database(url)
    try:
        report = build_snapshots(db.sessions, 1, tmp_path / "snap", keys=load_or_create_keys(tmp_path / "keys"),
                                 passphrases_out=tmp_path / "pp.csv", rng=random.Random(1), kdf_rounds=1)
    finally:
        db.dispose()
    with open(tmp_path / "pp.csv", encoding="utf-8-sig") as f:
        phrases = {row["file"]: row["passphrase"] for row in csv.DictReader(f)}
    results = set()
    for built in report.snapshots:
        with SnapshotReader(built.path, phrases[built.path.name]) as r:
            results |= {(f["check"], f["result"]) for a in r.meta["applications"] for f in a["qualification"]}
    assert ("double_funding", "fail") in results and ("credit_record", "pass") in results
