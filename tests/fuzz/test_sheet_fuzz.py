"""Fuzz the offline score sheet import: any file ends in a SheetError or a report (accepted, or
problems by row, column and reason, with nothing imported), never a traceback.

One real workspace (review_snapshot) serves every example; imports that are accepted change it,
which only widens what later examples meet.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from fuzzing import ODD_NUMBERS, ODD_TEXTS, fuzz, mutate, mutations
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from review_snapshot import PASSPHRASE, coordinator, make_snapshot

from qbdesk.formats.sheet import COLUMNS, LETTERS, SheetError, SheetImportReport, export_sheet, import_sheet
from qbdesk.services.reviewer import open_snapshot

CODES = ["K7Q2M", "01234", "ZX9DA", "1234", "Ｋ７Ｑ２Ｍ", "NOPE1"]  # review_snapshot's, and near misses
CRITERIA = ["eligibility", "materials", "certificates", "coverage", "maintenance", "opinion", "leadership", "results",
            "nope"]
ITEMS = ["", "C1", "C2", "C9", "ｃ1"]
WORDS = ["pass", "fail", "通过", "不通过", "accept", "reject", "接受", "不接受", " PASS ", "true", "maybe"]
NUMBERS = ["0", "10", "10.5", "20", "-0", "1e1", "1E+1", "１２", "12.000000000000001", "1_0", "0x10", "sNaN", "-sNaN",
           "NaN", "inf", "-Infinity", "1e999999", "1e999999999999999999", "1" * 400, "0." + "0" * 400 + "5", "½"]
texts = st.sampled_from(WORDS + NUMBERS) | ODD_TEXTS | st.text(max_size=40)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("sheet")
    make_snapshot(root / "s.qbsnap", coordinator())
    with open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1) as workspace:
        export_sheet(workspace, root / "exported.csv")
        export_sheet(workspace, root / "exported.xlsx")
        yield workspace


@pytest.fixture(scope="module")
def work(ws) -> Path:
    return ws.home.parent


def imported(ws, path: Path) -> None:
    before = (ws.home / "state.age").read_bytes()
    try:
        report = import_sheet(ws, path)
    except SheetError as e:
        assert e.msg.zh and e.msg.en
        assert (ws.home / "state.age").read_bytes() == before
        return
    assert isinstance(report, SheetImportReport)
    for p in report.problems:
        assert p.row >= 0 and p.column in ("", *LETTERS) and p.msg.zh and p.msg.en
        assert p.text("zh") and p.text("en")
    assert report.summary().zh and report.summary().en
    if not report.ok:
        assert report.changed == 0 and (ws.home / "state.age").read_bytes() == before


def csv_bytes(rows, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


@fuzz(60)
@given(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"application,criterion,item,value,comment\n"]),
       st.binary(max_size=512))
def test_random_csv_bytes(ws, work, prefix, data):
    path = work / "random.csv"
    path.write_bytes(prefix + data)
    imported(ws, path)


@fuzz(60)
@given(mutations)
def test_mutated_exported_csv(ws, work, changes):
    path = work / "mutated.csv"
    path.write_bytes(mutate((work / "exported.csv").read_bytes(), changes))
    imported(ws, path)


row = st.tuples(st.sampled_from(CODES) | texts, st.sampled_from(CRITERIA) | texts, st.sampled_from(ITEMS) | texts,
                texts, texts)


@fuzz(100)
@given(st.lists(st.one_of(row, st.lists(texts, max_size=7)), max_size=6), st.booleans(),
       st.sampled_from(["utf-8-sig", "utf-8", "gb18030", "utf-16"]), st.sampled_from([",", "\t", ";"]))
def test_csv_of_odd_rows(ws, work, rows, with_header, encoding, delimiter):
    """Known codes, criteria and items with values of every wrong kind; or rows of any width."""
    path = work / "rows.csv"
    path.write_bytes(csv_bytes(([COLUMNS] if with_header else []) + rows, encoding, delimiter))
    imported(ws, path)


# What a cell of an .xlsx holds once openpyxl has read it.
cell = (texts | st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False)
        | ODD_NUMBERS.filter(lambda x: abs(x) < 2**1023)  # openpyxl cannot write a larger int
        | st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1))
        | st.dates(min_value=date(1900, 3, 1)) | st.sampled_from([time(12, 30), timedelta(days=2)]))


@fuzz(15)
@given(st.lists(st.tuples(st.sampled_from(CODES), st.sampled_from(CRITERIA), st.sampled_from(ITEMS), cell, cell)
                | st.lists(cell, max_size=7), min_size=1, max_size=5),
       st.sampled_from(["", "qbdesk-sheet:", "qbdesk-sheet:other", None]))
def test_xlsx_with_cells_of_wrong_types(ws, work, rows, subject):
    """Numbers, dates, times, bools and formulas where text belongs, and the reverse."""
    wb = Workbook()
    wb.active.append(list(COLUMNS))
    for r in rows:  # a workbook cannot hold control characters or lone surrogates at all
        wb.active.append([ILLEGAL_CHARACTERS_RE.sub("", c).encode("utf-8", "replace").decode() if isinstance(c, str)
                          else c for c in r])
    if subject is not None:
        wb.properties.subject = subject + (ws.snapshot_id if subject == "qbdesk-sheet:" else "")
    path = work / "typed.xlsx"
    wb.save(path)
    imported(ws, path)


@fuzz(25)
@given(mutations)
def test_mutated_exported_xlsx(ws, work, changes):
    path = work / "mutated.xlsx"
    path.write_bytes(mutate((work / "exported.xlsx").read_bytes(), changes))
    imported(ws, path)


# --- what the fuzz found: each case once, plainly -------------------------------------------------


def test_exported_files_import_cleanly(ws, work):
    for name in ("exported.csv", "exported.xlsx"):
        report = import_sheet(ws, work / name)
        assert report.ok, [p.text("en") for p in report.problems]


def _zip_version(data: bytes, version: int) -> bytes:
    """Every local and central header of a zip claiming it needs ``version`` (64 = 6.4) to extract."""
    out = bytearray(data)
    for magic, offset in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        i = 0
        while (i := out.find(magic, i)) >= 0:
            out[i + offset] = version
            i += 4
    return bytes(out)


def test_a_zip_claiming_a_newer_version_is_a_clear_error(ws, work):
    """zipfile raised NotImplementedError("zip file version 6.4") past the xlsx pre-check (found by the fuzz)."""
    path = work / "version64.xlsx"
    path.write_bytes(_zip_version((work / "exported.xlsx").read_bytes(), 64))
    with pytest.raises(SheetError) as e:
        import_sheet(ws, path)
    assert e.value.msg.zh and e.value.msg.en


@pytest.mark.parametrize("value", ["sNaN", "-sNaN"])
def test_score_that_is_no_number_at_all_is_a_row_problem(ws, work, value):
    """Decimal("sNaN") parses; math.isfinite then raised ValueError (cannot convert signaling NaN)."""
    path = work / "snan.csv"
    path.write_bytes(csv_bytes([COLUMNS, ("K7Q2M", "coverage", "", value, "")]))
    report = import_sheet(ws, path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "D")] and report.problems[0].msg.zh


def test_score_too_large_for_a_float_is_a_row_problem(ws, work):
    """openpyxl reads a number cell without a point or exponent as an int of any length: math.isfinite raised
    OverflowError."""
    wb = Workbook()
    wb.active.append(list(COLUMNS))
    wb.active.append(["K7Q2M", "coverage", None, 123456789, None])
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(work / "huge.xlsx", "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info).replace(b">123456789<", b">" + b"9" * 400 + b"<"))
    report = import_sheet(ws, work / "huge.xlsx")
    assert [(p.row, p.column) for p in report.problems] == [(2, "D")] and "not a finite" in report.problems[0].msg.en
