"""Zip bombs in the shapes a security review used (issue 7, items 9 and 10), through the CLI.

Item 9: a package split into many entries each under the old 1 MiB per-entry floor (801 KB of zip
held 490 distinct ~1 MiB PDFs) is refused by the whole-package ratio, and a single entry is judged
from 64 KiB up. Item 10: an .xlsx (score sheet or roster) whose shared strings expand to
gigabytes, or number millions, is refused before openpyxl reads it; rosters have a size cap.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from qbdesk.cli.main import main
from qbdesk.domain.credit_code import generate
from qbdesk.formats import roster
from qbdesk.formats.package import FORMAT, MANIFEST
from qbdesk.formats.sheet import MAX_FILE as SHEET_MAX_FILE
from qbdesk.store.engine import open_database
from qbdesk.store.models import Application
from tests.unit.review_snapshot import PASSPHRASE, coordinator, make_snapshot

PDF_HEAD = b"%PDF-1.4\n"


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    root = tmp_path_factory.mktemp("zips")
    url = f"sqlite:///{root / 'round.sqlite'}"
    assert main(["round", "init", "--db", url, "--name", "2026年第一批", "--year", "2026"]) == 0
    make_snapshot(root / "E01.qbsnap", coordinator())
    pfile = root / "passphrase.txt"
    pfile.write_text(PASSPHRASE + "\n", encoding="utf-8")
    home = root / "home"
    assert main(["review", "open", str(root / "E01.qbsnap"), "--home", str(home), "--passphrase-file", str(pfile)]) == 0
    return {"root": root, "url": url, "home": home, "pfile": pfile}


def run(capsys, *argv) -> tuple[int, str]:
    try:
        code = main(["--lang", "en", *map(str, argv)])
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def applications(url: str) -> int:
    db = open_database(url)
    try:
        with db.sessions() as s:
            return s.scalar(select(func.count()).select_from(Application)) or 0
    finally:
        db.dispose()


def bomb_package(path: Path, n: int, size: int) -> Path:
    """A package whose attachments are ``n`` distinct PDFs of ``size`` bytes that compress to nothing."""
    names = [f"附件{i:03d}.pdf" for i in range(n)]
    manifest = {
        "format": FORMAT, "id": f"2026-P3-{n:04d}", "program": "P3", "year": 2026,
        "applicant": {"name": "深圳市某某科技有限公司", "credit_code": generate(random.Random(9)),
                      "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区科技园"},
        "title": "绿色产品认证", "requested_amount": 150000, "summary": "摘要",
        "items": [{"id": "C1", "kind": "certificate", "title": "绿色产品认证", "reference": "X-1"}],
        "attachments": [{"file": n_, "title": n_, "blind": True} for n_ in names],
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False))
        for i, name in enumerate(names):
            head = PDF_HEAD + f"% distinct {i}\n".encode()
            zf.writestr(name, head + bytes(size - len(head)))
    return path


def test_a_bomb_split_into_small_entries_is_refused_as_a_whole(setting, tmp_path, capsys):
    # 200 entries of 60 KiB (each under every per-entry floor): 12 MiB from a zip of ~40 KB
    z = bomb_package(tmp_path / "split.zip", 200, 60 * 1024)
    assert z.stat().st_size < 100_000
    code, text = run(capsys, "applications", "import", "--db", setting["url"], z)
    assert code == 1 and "the zip as a whole expands from" in text and "a likely zip bomb" in text, text
    assert applications(setting["url"]) == 0


def test_entries_just_under_the_old_floor_are_each_refused(setting, tmp_path, capsys):
    # the review's shape: distinct PDFs of just under 1 MiB, each ~1,000 times its compressed size
    z = bomb_package(tmp_path / "under.zip", 8, (1 << 20) - 4096)
    code, text = run(capsys, "applications", "import", "--db", setting["url"], z)
    assert code == 1 and text.count("a likely zip bomb") >= 8, text
    assert applications(setting["url"]) == 0


# --- xlsx ---------------------------------------------------------------------------------------


def xlsx_with_strings(sheet_rows: list[list], shared: bytes) -> bytes:
    """A real workbook (openpyxl) whose xl/sharedStrings.xml is replaced by ``shared``."""
    wb = openpyxl.Workbook()
    for row in sheet_rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/sharedStrings.xml":
                dst.writestr(info, src.read(info))
        dst.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def many_strings(n: int) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + b"<si><t>a</t></si>" * n + b"</sst>")


def one_huge_string(size: int) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<si><t>" + b"a" * size + b"</t></si></sst>")


@pytest.fixture
def openpyxl_must_not_load(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("openpyxl was asked to load the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.mark.parametrize("shared, words", [
    (many_strings(250_000), "more than 200000 shared strings"),
    (one_huge_string(40 << 20), "expands to"),
])
def test_score_sheet_bombs_are_refused_before_openpyxl(setting, tmp_path, capsys, openpyxl_must_not_load, shared, words):
    data = xlsx_with_strings([["application", "criterion", "item", "value", "comment"]], shared)
    assert len(data) < 2_000_000  # the review's bomb was 1.8 MB
    path = tmp_path / "scores.xlsx"
    path.write_bytes(data)
    code, text = run(capsys, "review", "sheet", "import", "--home", setting["home"], "--passphrase-file",
                     setting["pfile"], path)
    assert code == 1 and words in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("shared, words", [
    (many_strings(120_000), "more than 100000 shared strings"),
    (one_huge_string(20 << 20), "expands to"),
])
def test_roster_bombs_are_refused_before_openpyxl(setting, tmp_path, capsys, openpyxl_must_not_load, shared, words):
    data = xlsx_with_strings([["编号", "姓名", "单位", "项目"]], shared)
    assert len(data) < 700_000  # the review's roster bomb was 0.6 MB
    path = tmp_path / "experts.xlsx"
    path.write_bytes(data)
    code, text = run(capsys, "experts", "import", "--db", setting["url"], path)
    assert code == 1 and words in text, text


def test_rosters_have_a_size_cap(setting, tmp_path, capsys):
    path = tmp_path / "experts.csv"
    with open(path, "wb") as f:
        f.write("编号,姓名,单位,项目\n".encode())
        f.truncate(roster.MAX_FILE + 1)
    code, text = run(capsys, "experts", "import", "--db", setting["url"], path)
    assert code == 1 and f"above the limit of {roster.MAX_FILE} bytes" in text, text


def test_the_same_package_without_the_bomb_imports(setting, tmp_path, capsys):
    z = bomb_package(tmp_path / "fine.zip", 3, 20 * 1024)  # small: no ratio is judged below the floors
    code, text = run(capsys, "applications", "import", "--db", setting["url"], z)
    assert code == 0, text


def test_an_ordinary_workbook_still_loads(setting, tmp_path, capsys):
    path = tmp_path / "experts.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "姓名", "单位", "项目"])
    wb.active.append(["E01", "张三", "深圳大学", "P3"])
    wb.save(path)
    code, text = run(capsys, "experts", "import", "--db", setting["url"], path)
    assert code == 0, text
    assert SHEET_MAX_FILE > roster.MAX_FILE
