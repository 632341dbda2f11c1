"""Verified programs through the CLI: P5/P7 items carry their tiers into the snapshot, the expert
corrects a tier in the offline sheet (``accept:TIERKEY``), and the score file brings it back."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3

import pytest
from cli_run import cli, ok

from qbdesk.cli.main import main

pytestmark = pytest.mark.slow

OPINION = ("【优点】证明材料齐全，活动级别与起草单位排序相符，发布文件在近三年内。【不足】个别证明的日期需要核对，"
           "应用效益的数据偏少。【结论】予以认定，建议按核实的档次资助。")


@pytest.fixture(scope="module")
def verified_round(tmp_path_factory, copy_demo):
    root = tmp_path_factory.mktemp("tiers")
    copy_demo(root / "demo")  # its packages and roster
    packages = root / "packages"
    packages.mkdir()
    for p in (root / "demo" / "packages").iterdir():
        if json.loads((p / "application.json").read_text("utf-8"))["program"] in ("P5", "P7"):
            shutil.copytree(p, packages / p.name)
    db = f"sqlite:///{root / 'round.sqlite'}"
    for argv in (["round", "init", "--db", db, "--name", "核准类", "--year", "2026", "--programs", "P5,P7"],
                 ["applications", "import", "--db", db, packages],
                 ["experts", "import", "--db", db, root / "demo" / "experts.csv"],
                 ["assign", "--db", db, "--per-application", "2", "--seed", "3"],
                 ["snapshots", "build", "--db", db, "--out", root / "usb", "--keys", root / "keys",
                  "--passphrases-out", root / "pp.csv"]):
        assert main(["--lang", "en", *map(str, argv)]) == 0, argv
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        slips = list(csv.DictReader(f))
    return {"root": root, "db": db, "db_path": root / "round.sqlite", "slips": slips}


def test_an_expert_corrects_a_tier_and_the_coordinator_receives_it(verified_round, tmp_path, capsys):
    import openpyxl

    from qbdesk.formats.sheet import DATA_TITLE

    r = verified_round
    slip = r["slips"][0]
    home, pfile = tmp_path / "home", tmp_path / "pp"
    pfile.write_text(slip["passphrase"] + "\n", encoding="utf-8")
    common = ("--home", home, "--passphrase-file", pfile)
    ok(capsys, "review", "open", r["root"] / "usb" / slip["file"], *common)
    status = ok(capsys, "review", "status", *common)
    # an open program's expert is told so
    assert re.search(r"^P[57]: This program is reviewed openly", status, re.M)

    sheet = tmp_path / "s.xlsx"
    ok(capsys, "review", "sheet", "export", "--out", sheet, *common)
    wb = openpyxl.load_workbook(sheet)
    rows = list(wb[DATA_TITLE].iter_rows(min_row=2))
    item_rows = [row for row in rows if row[2].value]
    assert item_rows
    corrected = item_rows[0]
    for row in rows:
        cid = row[1].value
        if row[2].value:
            row[3].value = "accept"
        elif cid in ("eligibility", "materials"):
            row[3].value = "pass"
        elif cid == "opinion":
            row[3].value = OPINION
        else:  # the scores of a verified program are information: mid-range
            row[3].value = None
    corrected[3].value = "accept:nope"
    wb.save(sheet)
    code, out, err = cli(capsys, "review", "sheet", "import", sheet, *common)
    assert code == 1 and "tier “nope”" in out + err and "not in the program's tier table" in out + err, out + err
    target = "municipal_other" if corrected[1].value == "honours" else "municipal_standard_certificate"
    corrected[3].value = f"接受：{target}"  # full-width colon and the Chinese word, as WPS users type them
    wb.save(sheet)
    # fill the score rows mid-range from the guide's maxima
    from qbdesk.formats.sheet import GUIDE_TITLE

    guide = {}
    for g in openpyxl.load_workbook(sheet, read_only=True)[GUIDE_TITLE].iter_rows(values_only=True):
        if g and g[0] and g[1] and g[4] == "score":
            guide[(str(g[0]).split()[0], g[1])] = (g[5], g[6])
    programs = {m.group(1): m.group(2) for m in re.finditer(r"^\s+([0-9A-Z]{5})\s+(P[1-9])\b", status, re.M)}
    wb = openpyxl.load_workbook(sheet)
    for row in wb[DATA_TITLE].iter_rows(min_row=2):
        key = (programs[row[0].value], row[1].value)
        if key in guide:
            top, step = guide[key]
            row[3].value = round(top * 0.7 / step) * step
    wb.save(sheet)
    ok(capsys, "review", "sheet", "import", sheet, *common)
    # the export shows the corrected tier back
    again = tmp_path / "again.csv"
    ok(capsys, "review", "sheet", "export", "--out", again, *common)
    assert f"accept:{target}" in again.read_text(encoding="utf-8-sig")

    ok(capsys, "review", "declare", *common, "--yes")
    score = tmp_path / "E.qbscore"
    ok(capsys, "review", "finalize", "--out", score, *common)
    out = ok(capsys, "scores", "import", "--db", r["db"], "--keys", r["root"] / "keys", score)
    assert "1 accepted" in out
    con = sqlite3.connect(r["db_path"])
    try:
        values = [json.loads(v) for (v,) in con.execute("select value from score where item != ''")]
    finally:
        con.close()
    assert {"accepted": True, "reason": "", "tier": target} in values
    assert all(v["accepted"] for v in values) and sum("tier" in v for v in values) == 1


def test_the_snapshot_says_how_each_program_is_reviewed(verified_round, tmp_path, capsys):

    r = verified_round
    slip = r["slips"][-1]
    home, pfile = tmp_path / "home", tmp_path / "pp"
    pfile.write_text(slip["passphrase"] + "\n", encoding="utf-8")
    ok(capsys, "review", "open", r["root"] / "usb" / slip["file"], "--home", home, "--passphrase-file", pfile)
    out = ok(capsys, "review", "status", "--home", home, "--passphrase-file", pfile)
    assert "reviewed openly" in out and "conflict-of-interest rules still apply" in out
    code, out, _ = cli(capsys, "review", "status", "--home", home, "--passphrase-file", pfile)
    zh = main(["review", "status", "--home", str(home), "--passphrase-file", str(pfile)])
    assert zh == 0 and "本项目为公开评审" in capsys.readouterr().out


def test_the_handover_slip_says_which_programs_are_open(verified_round, need_tool):
    import subprocess

    pdftotext = need_tool("pdftotext")
    text = subprocess.run([pdftotext, "-raw", "-enc", "UTF-8", str(verified_round["root"] / "usb" / "handover.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode("utf-8")
    flat = "".join(text.split())
    assert "公开评审Openreview" in flat and "证明材料载明申报单位，不实行盲评" in flat
