"""A whole round through the CLI only: coordinator → expert → coordinator.

The coordinator sets up a round from the demo packages and roster, assigns, builds the
snapshots; two experts open theirs, read the guide in their score sheet, fill it in as they
would in Excel, recuse, declare and finalise; the coordinator verifies and imports the score
files, re-imports one (duplicate), gets a re-submission (replaces) and a replay (rejected).
Everything is driven by ``qbdesk …`` commands; the database is read only to check the result.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from cli_run import cli, ok

from qbdesk.cli.main import main
from qbdesk.formats.sheet import DATA_TITLE, GUIDE_TITLE

pytestmark = pytest.mark.slow

OPINION = "【优点】申报材料完整，技术路线清晰，实施效果有数据支撑，对行业质量提升有明显带动作用，服务覆盖面广，质量指标改善可以核实。【不足】绩效目标的量化程度仍可提高，部分成效数据的第三方佐证不足，后续运营机制和资金保障的说明偏简略，推广计划尚欠具体。【结论】符合资助条件，建议予以支持，资助后请加强绩效跟踪，按期报送实施进展和成效数据。"  # three parts, over 150 characters (P1, P8)


@pytest.fixture(scope="module")
def office(tmp_path_factory, copy_demo):
    """The coordinator's side up to the snapshots, all by CLI."""
    root = tmp_path_factory.mktemp("roundtrip")
    copy_demo(root / "demo")  # its packages and roster
    db = f"sqlite:///{root / 'round.sqlite'}"
    for argv in (["round", "init", "--db", db, "--name", "2026年度第一批", "--year", "2026"],
                 ["applications", "import", "--db", db, str(root / "demo" / "packages")],
                 ["experts", "import", "--db", db, str(root / "demo" / "experts.csv")],
                 ["assign", "--db", db, "--per-application", "2", "--seed", "7"],
                 ["snapshots", "build", "--db", db, "--out", str(root / "usb"), "--keys", str(root / "keys"),
                  "--passphrases-out", str(root / "passphrases.csv")]):
        assert main(["--lang", "en", *argv]) == 0, argv
    with open(root / "passphrases.csv", encoding="utf-8-sig") as f:
        slips = {row["expert_id"]: row for row in csv.DictReader(f)}
    return {"root": root, "db": db, "db_path": root / "round.sqlite", "keys": root / "keys", "slips": slips}


def _guide(xlsx: Path) -> dict[tuple[str, str], tuple[str, float | None, float | None]]:
    """(program, criterion) → (kind, max, step), read from the sheet's guide as an expert would."""
    ws = openpyxl.load_workbook(xlsx, read_only=True)[GUIDE_TITLE]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "项目 Program")
    out = {}
    for r in rows[head + 1:]:
        if r and r[0] and r[1]:
            out[(str(r[0]).split()[0], r[1])] = (r[4], r[5], r[6])
    return out


def _programs_of(status_text: str) -> dict[str, str]:
    """Code → program, from `qbdesk review status`."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s+([0-9A-Z]{5})\s+(P[1-9])\b", status_text, re.M)}


def _fill(xlsx: Path, programs: dict[str, str], score_share: float) -> int:
    guide = _guide(xlsx)
    wb = openpyxl.load_workbook(xlsx)
    sheet = wb[DATA_TITLE]
    n = 0
    for row in sheet.iter_rows(min_row=2):
        code, cid = row[0].value, row[1].value
        kind, top, step = guide[(programs[code], cid)]
        if kind == "score":
            row[3].value = round(top * score_share / step) * step
        elif kind == "check":
            row[3].value = "通过"
        elif kind == "items":
            row[3].value = "接受"
        else:
            row[3].value = OPINION
        n += 1
    wb.save(xlsx)
    return n


def _expert_session(capsys, office, expert: str, home: Path, *, recuse: bool, share: float) -> dict[str, str]:
    slip = office["slips"][expert]
    pfile = home.parent / f"{expert}.passphrase"
    pfile.write_text(slip["passphrase"] + "\n", encoding="utf-8")
    common = ("--home", home, "--passphrase-file", pfile)
    out = ok(capsys, "review", "open", office["root"] / "usb" / slip["file"], *common)
    # What the expert compares with the handover slip.
    grouped = " ".join(slip["digest"][i:i + 4] for i in range(0, 32, 4))
    assert grouped in out
    # The key made on the laptop is wrapped as hard as the snapshot identity (fixed 64 rounds).
    from qbdesk.formats.keys import _read_header
    from qbdesk.formats.snapshot import IDENTITY_KDF_ROUNDS

    assert _read_header((home / "expert.key").read_bytes()).rounds == IDENTITY_KDF_ROUNDS == 64
    code, out, err = cli(capsys, "review", "finalize", "--out", home.parent / "early.qbscore", *common)
    assert code == 1 and "still missing" in err and re.search(r"… and \d+ more", err), err
    assert len(err.splitlines()) < 50 and not (home.parent / "early.qbscore").exists()
    programs = _programs_of(ok(capsys, "review", "status", *common))
    assert programs, "review status lists the applications"
    recused = None
    if recuse:
        recused = sorted(programs)[0]
        ok(capsys, "review", "recuse", recused, "--reason", "本人曾为该单位提供咨询服务", *common)
    sheet = home.parent / f"{expert}.xlsx"
    ok(capsys, "review", "sheet", "export", "--out", sheet, *common)
    assert _fill(sheet, programs, share) > 0
    ok(capsys, "review", "sheet", "import", sheet, *common)
    code, out, err = cli(capsys, "review", "finalize", "--out", home.parent / f"{expert}.qbscore", *common)
    assert code == 1 and "declaration" in (out + err), "finalize refuses before the declaration"
    ok(capsys, "review", "declare", "--yes", *common)
    out = ok(capsys, "review", "finalize", "--out", home.parent / f"{expert}.qbscore", *common)
    return {"programs": json.dumps(programs), "recused": recused or "", "finalize": out, "sheet": str(sheet),
            "pfile": str(pfile)}


def test_round_trip_through_the_cli(office, tmp_path, capsys):
    db = office["db"]
    laptop1, laptop2 = tmp_path / "laptop1", tmp_path / "laptop2"
    laptop1.mkdir()
    laptop2.mkdir()
    e1 = _expert_session(capsys, office, "E01", laptop1 / "home", recuse=False, share=0.7)
    e2 = _expert_session(capsys, office, "E02", laptop2 / "home", recuse=True, share=0.8)
    f1, f2 = laptop1 / "E01.qbscore", laptop2 / "E02.qbscore"

    # The coordinator checks what arrived on the USB sticks, then imports.
    out = ok(capsys, "verify", f1, "--keys", office["keys"])
    assert "E01" in out
    out = ok(capsys, "scores", "import", "--db", db, "--keys", office["keys"], f1, f2)
    assert out.count("accepted") >= 2 and "0 rejected" in out

    con = sqlite3.connect(office["db_path"])
    try:
        per_expert = dict(con.execute("select e.external_id, count(*) from score s join expert e on e.id = s.expert_id "
                                      "group by e.external_id"))
        recusals = con.execute("select e.external_id, r.reason from recusal r join expert e on e.id = r.expert_id").fetchall()
        assigned = dict(con.execute("select e.external_id, count(*) from assignment a join expert e on e.id = a.expert_id "
                                    "group by e.external_id"))
    finally:
        con.close()
    assert set(per_expert) == {"E01", "E02"}
    assert recusals == [("E02", "本人曾为该单位提供咨询服务")]

    status = json.loads(ok(capsys, "status", "--db", db, "--json"))
    scoring = status["scoring"]
    assert scoring["score_files"]["accepted"] == 2
    assert scoring["scored"] == assigned["E01"] + assigned["E02"]  # the recusal counts as done
    assert not scoring["complete"]
    # ... but the application E02 stepped aside from now has one expert of the two asked for
    assert scoring["recused"] == 1
    (rec,) = status["recusals"]
    assert rec["expert"] == "E02" and rec["reason"] == "本人曾为该单位提供咨询服务"
    short = [p for p in status["problems"] if p["code"] == "short_after_recusal"]
    assert [p["application"] for p in short] == [rec["application"]] and "1 left (2 wanted)" in short[0]["en"]
    out = ok(capsys, "status", "--db", db)
    assert "no problems found" not in out and "(1 of them recused)" in out
    assert f"expert E02 recused from {rec['application']}" in out and "1 left (2 wanted)" in out

    # The same file again: a duplicate, nothing changes, exit 0.
    out = ok(capsys, "scores", "import", "--db", db, "--keys", office["keys"], f1)
    assert "duplicate" in out

    # E01 changes their mind and sends a second file: it replaces the first.
    home1, pfile1 = laptop1 / "home", e1["pfile"]
    _fill(Path(e1["sheet"]), json.loads(e1["programs"]), 0.6)
    ok(capsys, "review", "sheet", "import", e1["sheet"], "--home", home1, "--passphrase-file", pfile1)
    f1b = laptop1 / "E01-2.qbscore"
    ok(capsys, "review", "finalize", "--out", f1b, "--home", home1, "--passphrase-file", pfile1)
    out = ok(capsys, "scores", "import", "--db", db, "--keys", office["keys"], f1b)
    assert "replaces the earlier file" in out
    status = json.loads(ok(capsys, "status", "--db", db, "--json"))
    assert status["scoring"]["score_files"] == {"accepted": 2, "superseded": 1}

    # The first file offered once more: the same digest as a file already imported, so a
    # duplicate (reported, nothing re-applied), even though it has since been superseded.
    out = ok(capsys, "scores", "import", "--db", db, "--keys", office["keys"], f1)
    assert "duplicate" in out and "since superseded" in out

    # E02 finalises twice more; the newer file arrives first, then the older one: a replay.
    home2, pfile2 = laptop2 / "home", e2["pfile"]
    older, newer = laptop2 / "E02-2.qbscore", laptop2 / "E02-3.qbscore"
    ok(capsys, "review", "finalize", "--out", older, "--home", home2, "--passphrase-file", pfile2)
    ok(capsys, "review", "finalize", "--out", newer, "--home", home2, "--passphrase-file", pfile2)
    ok(capsys, "scores", "import", "--db", db, "--keys", office["keys"], newer)
    code, out, err = cli(capsys, "scores", "import", "--db", db, "--keys", office["keys"], older)
    assert code == 1 and "rejected" in out and "replay" in out

    # Tamper with the newer file in transit: rejected with a reason, exit 1, nothing changes.
    bad = laptop1 / "E01-tampered.qbscore"
    data = bytearray(f1b.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    code, out, err = cli(capsys, "scores", "import", "--db", db, "--keys", office["keys"], bad)
    assert code == 1 and "rejected" in out
    assert json.loads(ok(capsys, "status", "--db", db, "--json"))["scoring"]["score_files"] == {
        "accepted": 2, "superseded": 2}

    # Re-checking the round: the stored signed files and the score rows agree, the audit chain holds.
    out = ok(capsys, "scores", "recheck", "--db", db, "--keys", office["keys"])
    assert "2 match the database, 0 do not" in out and "chain holds" in out
    # Someone edits a score in the database behind qbdesk's back: found and named.
    con = sqlite3.connect(office["db_path"])
    try:
        with con:
            sheet, place = con.execute("select s.sheet_id, s.id % 100000 from score s join expert e on e.id = s.expert_id "
                                       "where e.external_id = 'E02' and s.value glob '[0-9]*' order by s.id").fetchone()
            con.execute(f"update score_sheet set entries = json_set(entries, '$[{place}][2]', '0') where id = ?", (sheet,))
            con.execute("update audit_log set actor = 'someone else' where id = (select max(id) from audit_log)")
    finally:
        con.close()
    code, out, err = cli(capsys, "scores", "recheck", "--db", db, "--keys", office["keys"])
    assert code == 1, out + err
    assert "DIFFERS  E02" in out and "missing or changed in the database" in out and "in the database but not in the file" in out
    assert "matches  E01" in out and "chain is broken" in out


def test_the_experts_files_hold_no_applicant_identity(office, tmp_path, capsys):
    """Blind: nothing the expert's laptop holds in clear names an applicant."""
    home = tmp_path / "laptop" / "home"
    home.parent.mkdir()
    _expert_session(capsys, office, "E03", home, recuse=False, share=0.7)
    con = sqlite3.connect(office["db_path"])
    try:
        names = [r[0] for r in con.execute("select name from applicant")]
        codes = [r[0] for r in con.execute("select credit_code from applicant")]
    finally:
        con.close()
    assert names and codes
    outputs = []
    for f in home.parent.rglob("*"):
        if f.is_file() and f.suffix != ".qbscore":
            data = f.read_bytes()
            if f.suffix == ".xlsx":  # the text inside the zip
                wb = openpyxl.load_workbook(f, read_only=True)
                data = "\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c)\
                    .encode()
            outputs.append((f, data))
    for needle in names + codes:
        for f, data in outputs:
            assert needle.encode() not in data, f"{needle} found in {f}"


def test_output_into_a_closed_pipe_is_quiet(office):
    """`qbdesk status | head -1`: the reader leaves early; no traceback, no hang."""
    import subprocess
    import sys

    cmd = f"{sys.executable} -m qbdesk.cli.main --lang en status --db {office['db']}"
    r = subprocess.run(["bash", "-c", f"{cmd} | head -1"], capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("Round 1")
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
    r = subprocess.run(["bash", "-c", f"{cmd} | true"], capture_output=True, text=True, timeout=120)  # never reads
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
