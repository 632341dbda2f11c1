"""The expert's session through the CLI only, on a snapshot the coordinator's build service made.

open → sheet export → fill the sheet as an expert would (openpyxl / csv) → sheet import → recuse →
declare → finalize, then the coordinator imports the score file. Also: refusals while anything is
missing, wrong or absent passphrase, and no application content in clear anywhere under HOME.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from pathlib import Path

import openpyxl
import pytest
from leak_pdfs import text_pdf

from qbdesk.cli.main import main
from qbdesk.domain import credit_code
from qbdesk.domain.orgname import normalise_org
from qbdesk.domain.rubric import default_rubric
from qbdesk.formats.scorefile import key_binding, read_score_file
from qbdesk.formats.sheet import DATA_TITLE
from qbdesk.formats.snapshot import read_manifest
from qbdesk.services.coordinator_keys import load_or_create_keys
from qbdesk.services.rounds import init_round
from qbdesk.services.snapshots import build_snapshots
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Attachment,
    Blob,
    Expert,
    Snapshot,
)

PDF = text_pdf(("blind test attachment",))  # a real PDF: snapshots build cleans it
APPS = [  # program, number of items, title, summary: distinctive, so that a leak is found by grep
    ("P3", 2, "光伏逆变器绿色产品认证推广", "公司围绕光伏逆变器开展绿色产品认证，覆盖三条产线和两家供应商。"),
    ("P8", 0, "卓越绩效模式导入与标杆培育", "以GB/T 19580为框架，建立覆盖研发、制造和服务的质量经营体系。"),
    ("P3", 1, "电池包碳足迹核查与低碳认证", "完成动力电池包全生命周期碳足迹核查，取得低碳产品认证证书。"),
]
CRITERIA = {c.id: c for p in ("P3", "P8") for c in default_rubric(p).criteria}
OPINION = ("【优点】申报材料完整，技术路线清晰，效益测算可信，认证与体系建设成效明显。【不足】部分数据缺少第三方佐证，"
           "推广计划尚欠具体。【结论】符合条件，建议予以支持。")


def _make_round(db) -> int:
    rid = init_round(db.sessions, name="2026年第一批", year=2026, programs=["P3", "P8"])
    rng = random.Random(11)
    sha = hashlib.sha256(PDF).hexdigest()
    with db.sessions.begin() as s:
        s.add(Blob(sha256=sha, size=len(PDF), data=PDF))
        apps = []
        for i, (program, n_items, title, summary) in enumerate(APPS):
            name = f"深圳市第{i}测试科技有限公司"
            a = Applicant(credit_code=credit_code.generate(rng), name=name, normalized_name=normalise_org(name),
                          contact={"contact": "王五", "phone": "0755-26880000", "address": "深圳市南山区某路1号"})
            s.add(a)
            s.flush()
            app = Application(
                round_id=rid, external_id=f"2026-{program}-{i:04d}", program=program, year=2026, applicant_id=a.id,
                title=title, requested_amount=50_000, summary=summary, package_digest="0" * 64,
                items=[{"id": f"C{k + 1}", "kind": "certificate", "title": f"认证证书{k + 1}", "reference": "X-1"}
                       for k in range(n_items)],
                attachments=[Attachment(position=0, file="a.pdf", title="技术方案", blind=True, sha256=sha, size=len(PDF))])
            s.add(app)
            apps.append(app)
        s.flush()
        e = Expert(round_id=rid, external_id="E01", name="张专家", organisation="某大学",
                   normalized_organisation="某大学", programs=["P3", "P8"])
        s.add(e)
        s.flush()
        for app in apps:
            s.add(Assignment(round_id=rid, expert_id=e.id, application_id=app.id, seed=0))
    return rid


@pytest.fixture(scope="module")
def coordinator_side(tmp_path_factory):
    """A round with three applications for E01, and E01's snapshot from the build service."""
    root = tmp_path_factory.mktemp("review")
    url = f"sqlite:///{root / 'round.sqlite'}"
    db = open_database(url)
    rid = _make_round(db)
    keys = load_or_create_keys(root / "keys", kdf_rounds=1)  # TEST ONLY: cheap to unlock
    report = build_snapshots(db.sessions, rid, root / "snap", keys=keys, passphrases_out=root / "pp.csv",
                             rng=random.Random(3), kdf_rounds=1)
    with db.sessions() as s:
        secret = bytes.fromhex(s.query(Snapshot).one().binding_secret)
    db.dispose()
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    (root / "passphrase.txt").write_text(row["passphrase"] + "\n", encoding="utf-8")
    return {"root": root, "url": url, "keys": keys, "snapshot": report.snapshots[0].path, "secret": secret,
            "passphrase": row["passphrase"], "pfile": root / "passphrase.txt"}


def cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(["--lang", "en", *map(str, argv)])
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def review(capsys, c, home, *argv):
    return cli(capsys, "review", *argv[:1], *argv[1:], "--home", home, "--passphrase-file", c["pfile"])


def sheet_rows(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[DATA_TITLE].iter_rows(min_row=2, values_only=True))


def fill(path: Path, *, skip: tuple[str, str] | None = None) -> list[str]:
    """Fill every row of the exported xlsx as an expert would in Excel; return the codes in sheet order."""
    wb = openpyxl.load_workbook(path)
    sheet = wb[DATA_TITLE]
    codes: list[str] = []
    for row in sheet.iter_rows(min_row=2):
        code, cid = row[0].value, row[1].value
        codes += [code] if code not in codes else []
        if (code, cid) == skip:
            continue
        c = CRITERIA[cid]
        if c.kind == "score":
            row[3].value = round(c.max * 0.7 / c.step) * c.step
        elif c.kind == "check":
            row[3].value = "通过"
        elif c.kind == "items":
            row[3].value, row[4].value = ("reject", "证书不在有效期内") if row[2].value == "I2" else ("accept", None)  # I2: the package's C2
        else:
            row[3].value = OPINION * 2
    wb.save(path)
    return codes


def test_an_expert_session_end_to_end(coordinator_side, tmp_path, capsys):
    c = coordinator_side
    home, snap = tmp_path / "home", c["snapshot"]
    manifest = read_manifest(snap)

    code, out, err = review(capsys, c, home, "open", snap)
    assert code == 0, err
    assert manifest.coordinator_fingerprint in out and "3 applications" in out
    groups = [manifest.digest[i:i + 4] for i in range(0, 64, 4)]
    assert " ".join(groups[:8]) in out and " ".join(groups[8:]) in out  # as the slip groups it

    code, _, err = review(capsys, c, home, "finalize", "--out", tmp_path / "early.qbscore")
    assert code == 1 and "declaration is not accepted" in err and "eligibility" in err and "is not filled in yet" in err
    assert not (tmp_path / "early.qbscore").exists()

    sheet = tmp_path / "sheet.xlsx"
    code, out, err = review(capsys, c, home, "sheet", "export", "--out", sheet)
    assert code == 0 and sheet.exists(), err
    p8 = next(r[0] for r in sheet_rows(sheet) if r[1] == "leadership")
    codes = fill(sheet, skip=(p8, "results"))  # one value left empty: finalize must name it
    assert len(codes) == 3
    code, out, err = review(capsys, c, home, "sheet", "import", sheet)
    assert code == 0 and "nothing was imported" not in out, out + err

    code, out, _ = review(capsys, c, home, "status")
    assert code == 0 and "0 recused" in out and f"{p8}  P8  1 missing" in out

    recused = next(x for x in codes if x != p8)
    code, out, err = review(capsys, c, home, "recuse", recused, "--reason", "曾为该单位提供咨询服务")
    assert code == 0 and recused in out, err
    code, out, _ = review(capsys, c, home, "declare", "--conflicts", "无", "--yes")
    assert code == 0 and "Expert reviewer's declaration" in out and "declaration accepted" in out

    code, _, err = review(capsys, c, home, "finalize", "--out", tmp_path / "s.qbscore")
    assert code == 1 and f"{p8} results" in err and "is not filled in yet" in err and "declaration" not in err

    fix = tmp_path / "fix.csv"  # the last value, from a csv as WPS saves it on Chinese Windows
    fix.write_bytes(f"application,criterion,item,value,comment\r\n{p8},results,,280,\r\n".encode("gb18030"))
    code, out, err = review(capsys, c, home, "sheet", "import", fix)
    assert code == 0 and "1 value changed" in out, out + err

    code, out, err = review(capsys, c, home, "finalize", "--out", tmp_path / "s.qbscore")
    assert code == 0, err
    score = read_score_file(tmp_path / "s.qbscore", receiving_identity=c["keys"].receiving_identity)
    d = score.data
    assert d["sequence"] == 1 and score.digest[:4] in out and score.fingerprint in out
    assert d["key_binding"] == key_binding(c["secret"], d["expert_key"])
    assert d["recusals"] == [{"application": recused, "reason": "曾为该单位提供咨询服务"}]
    assert {s["application"] for s in d["scores"]} == set(codes) - {recused}
    assert any(s["item"] == "I2" and s["value"] == {"accepted": False, "reason": "证书不在有效期内"} for s in d["scores"])

    # the coordinator takes it in; then a second finalise replaces it with sequence 2
    db_copy = tmp_path / "round.sqlite"
    db_copy.write_bytes((c["root"] / "round.sqlite").read_bytes())
    keys = ["--keys", c["root"] / "keys"]
    code, out, err = cli(capsys, "scores", "import", "--db", f"sqlite:///{db_copy}", tmp_path / "s.qbscore", *keys)
    assert code == 0 and "1 score file: 1 accepted" in out, out + err
    code, out, err = review(capsys, c, home, "finalize", "--out", tmp_path / "s2.qbscore")
    assert code == 0, err
    again = read_score_file(tmp_path / "s2.qbscore", receiving_identity=c["keys"].receiving_identity)
    assert again.data["sequence"] == 2 and again.digest != score.digest
    code, out, err = cli(capsys, "scores", "import", "--db", f"sqlite:///{db_copy}", tmp_path / "s2.qbscore", *keys)
    assert code == 0, out + err

    # a score file offered as a snapshot is named for what it is
    code, _, err = review(capsys, c, tmp_path / "home2", "open", tmp_path / "s2.qbscore")
    assert code == 1 and "this is a score file (.qbscore), not a snapshot" in err
    # rebuilding the snapshots once score files came back: warned
    code, out, err = cli(capsys, "snapshots", "build", "--db", f"sqlite:///{db_copy}", "--out", tmp_path / "usb2", *keys)
    assert code == 0 and "2 score files already came back" in err, out + err

    # nothing of an application in clear anywhere under HOME
    secrets = [t for _, _, title, summary in APPS for t in (title, summary[:12], summary[-12:])]
    secrets += ["认证证书1", "技术方案", OPINION[:10]]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {p.name for p in files} == {"snapshot.qbsnap", "workspace.json", "expert.key", "state.age", "journal.age-log"}
    for p in files:
        data = p.read_bytes()
        for s in secrets:
            assert s.encode("utf-8") not in data and s.encode("gb18030") not in data, (p.name, s)


def test_csv_sheet_with_mistakes_is_refused_with_rows_and_columns(coordinator_side, tmp_path, capsys):
    c = coordinator_side
    home = tmp_path / "home"
    assert review(capsys, c, home, "open", c["snapshot"])[0] == 0
    out_csv = tmp_path / "s.csv"
    assert review(capsys, c, home, "sheet", "export", "--out", out_csv)[0] == 0
    rows = list(csv.reader(out_csv.read_text("utf-8-sig").splitlines()))
    rows[1][3] = "maybe"  # eligibility
    rows[5][3] = "99"  # a score beyond its maximum
    out_csv.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8-sig")
    code, out, _ = review(capsys, c, home, "sheet", "import", out_csv)
    assert code == 1 and "nothing was imported" in out
    assert "row 2, column D (value)" in out and "needs pass or fail" in out
    assert "row 6, column D (value)" in out and "outside 0–" in out
    code, out, _ = review(capsys, c, home, "status")
    assert "0 done" in out


def test_wrong_or_missing_passphrase_is_a_clear_message(coordinator_side, tmp_path, capsys, monkeypatch):
    c = coordinator_side
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("AAAAA-BBBBB-CCCCC-DDDDD-EEE\n", encoding="utf-8")
    code, _, err = cli(capsys, "review", "open", c["snapshot"], "--home", tmp_path / "home", "--passphrase-file", wrong)
    assert code == 1 and "wrong passphrase" in err and "Traceback" not in err
    assert not (tmp_path / "home").exists()

    monkeypatch.delenv("QBDESK_PASSPHRASE", raising=False)
    code, _, err = cli(capsys, "review", "open", c["snapshot"], "--home", tmp_path / "home")
    assert code == 1 and "--passphrase-file" in err and "QBDESK_PASSPHRASE" in err  # stdin is no terminal here

    monkeypatch.setenv("QBDESK_PASSPHRASE", c["passphrase"].lower())  # typed loosely: still fine
    code, _, err = cli(capsys, "review", "open", c["snapshot"], "--home", tmp_path / "home")
    assert code == 0, err
    code, _, err = cli(capsys, "review", "status", "--home", tmp_path / "home", "--passphrase-file", wrong)
    assert code == 1 and "wrong passphrase" in err
    code, _, err = cli(capsys, "review", "status", "--home", tmp_path / "nothing-here")
    assert code == 1 and "holds no review workspace" in err


def test_recusal_needs_a_reason_and_a_known_code(coordinator_side, tmp_path, capsys):
    c = coordinator_side
    home = tmp_path / "home"
    assert review(capsys, c, home, "open", c["snapshot"])[0] == 0
    code, _, err = cli(capsys, "review", "recuse", "--home", home, "XXXXX", "--passphrase-file", c["pfile"])
    assert code == 2  # --reason is required
    code, _, err = review(capsys, c, home, "recuse", "XXXXX", "--reason", "亲属任职")
    assert code == 1 and "no application XXXXX" in err
    code, out, _ = review(capsys, c, home, "status")
    real = out.splitlines()[3].split()[0]  # the first application's code
    code, _, err = review(capsys, c, home, "recuse", real, "--reason", "  ")
    assert code == 1 and "needs a reason" in err


class _Terminal(io.StringIO):
    """Standard input as a terminal the expert types into."""

    def isatty(self) -> bool:
        return True


def test_declare_shows_the_text_and_signs_only_on_an_explicit_yes(coordinator_side, tmp_path, capsys, monkeypatch):
    c = coordinator_side
    home = tmp_path / "home"
    assert review(capsys, c, home, "open", c["snapshot"])[0] == 0
    code, out, err = review(capsys, c, home, "declare")  # stdin is no terminal here, and no --yes
    assert code == 1 and "Expert reviewer's declaration" in out and "--yes" in err and "not signed" in err
    assert "not accepted" in review(capsys, c, home, "status")[1]
    code, out, err = cli(capsys, "review", "declare", "--home", home, "--passphrase-file", c["pfile"])
    monkeypatch.setattr("sys.stdin", _Terminal("no\n"))
    code, out, err = review(capsys, c, home, "declare")
    assert code == 1 and "no yes was typed" in err
    assert "not accepted" in review(capsys, c, home, "status")[1]
    monkeypatch.setattr("sys.stdin", _Terminal("yes\n"))
    code, out, err = review(capsys, c, home, "declare")
    assert code == 0 and "Type yes to sign" in out and "declaration accepted" in out, err
    code, out, err = cli(capsys, "review", "declare", "--home", home, "--passphrase-file", c["pfile"], "--yes")
    assert code == 0 and "declaration accepted" in out


def test_readme_and_handover_slip_say_the_declaration_comes_first_in_the_same_words(coordinator_side):
    from qbdesk.paths import project_root
    from qbdesk.reports.slips import DECLARATION_FIRST_EN, DECLARATION_FIRST_ZH, INSTRUCTIONS_EN, INSTRUCTIONS_ZH

    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    assert DECLARATION_FIRST_ZH in readme and DECLARATION_FIRST_EN in readme
    assert any(DECLARATION_FIRST_ZH in line for line in INSTRUCTIONS_ZH)
    assert any(DECLARATION_FIRST_EN in line for line in INSTRUCTIONS_EN)


def _ready_to_finalize(c, home, tmp_path, capsys):
    assert review(capsys, c, home, "open", c["snapshot"])[0] == 0
    sheet = tmp_path / "sheet.xlsx"
    assert review(capsys, c, home, "sheet", "export", "--out", sheet)[0] == 0
    fill(sheet)
    assert review(capsys, c, home, "sheet", "import", sheet)[0] == 0
    assert review(capsys, c, home, "declare", "--yes")[0] == 0


def test_failed_finalizes_use_up_no_sequence_number_and_say_why_in_chinese(coordinator_side, tmp_path, capsys):
    c = coordinator_side
    home = tmp_path / "home"
    _ready_to_finalize(c, home, tmp_path, capsys)
    code, out, err = review(capsys, c, home, "finalize", "--out", tmp_path / "first.qbscore")
    assert code == 0 and "sequence 1" in out, err
    for _ in range(2):  # a folder that does not exist (a USB stick not mounted)
        code, out, err = cli(capsys, "review", "finalize", "--home", home, "--passphrase-file", c["pfile"],
                             "--out", tmp_path / "no-such-stick" / "s.qbscore")
        assert code == 1 and "no such file or folder" in err and "Traceback" not in err
    code = main(["review", "finalize", "--home", str(home), "--passphrase-file", str(c["pfile"]),
                 "--out", str(tmp_path / "no-such-stick" / "s.qbscore")])
    _, err = capsys.readouterr()
    assert code == 1 and "文件或文件夹不存在" in err and "No such file" not in err
    code, out, err = review(capsys, c, home, "finalize", "--out", tmp_path / "second.qbscore")
    assert code == 0 and "sequence 2" in out, err
    score = read_score_file(tmp_path / "second.qbscore", receiving_identity=c["keys"].receiving_identity)
    assert score.data["sequence"] == 2
    code, out, _ = review(capsys, c, home, "status")
    assert "last finalised: sequence 2" in out


def test_score_sheet_names_the_program_and_criterion_and_old_sheets_still_import(coordinator_side, tmp_path, capsys):
    c = coordinator_side
    home = tmp_path / "home"
    assert review(capsys, c, home, "open", c["snapshot"])[0] == 0
    xlsx, old_csv = tmp_path / "s.xlsx", tmp_path / "old.csv"
    assert review(capsys, c, home, "sheet", "export", "--out", xlsx)[0] == 0
    sheet = openpyxl.load_workbook(xlsx)[DATA_TITLE]
    assert [cell.value for cell in sheet[1]] == ["application", "criterion", "item", "value", "comment",
                                                 "program", "criterion_name"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    eligibility = [r for r in rows if r[1] == "eligibility"]
    assert {r[5] for r in eligibility} == {"P3", "P8"}  # the same id in two programs, told apart
    for r in rows:
        assert r[6] == f"{CRITERIA[r[1]].name.zh} {CRITERIA[r[1]].name.en}"
    # the context columns are read-only: what an expert types there is not read
    filled = fill(xlsx)
    wb = openpyxl.load_workbook(xlsx)
    for row in wb[DATA_TITLE].iter_rows(min_row=2):
        row[5].value, row[6].value = "P9", "随便写写"
    wb.save(xlsx)
    code, out, err = review(capsys, c, home, "sheet", "import", xlsx)
    assert code == 0 and "nothing was imported" not in out, out + err
    assert len(filled) == 3
    # a sheet of the five columns only, as sheets were before, still imports
    p3 = next(r[0] for r in rows if r[5] == "P3")
    old_csv.write_text(f"application,criterion,item,value,comment\r\n{p3},eligibility,,fail,不在深圳市注册\r\n",
                       encoding="utf-8-sig")
    code, out, err = review(capsys, c, home, "sheet", "import", old_csv)
    assert code == 0 and "1 value changed" in out, out + err
