"""Fuzz the qualification checklist reader: any .xlsx or .csv ends in entries or named problems, never a traceback."""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache

import pytest
from fuzzing import ODD_NUMBERS, ODD_TEXTS, fuzz, mutate, mutations
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from qbdesk.domain.messages import QbdeskError
from qbdesk.domain.qualification import CHECK_IDS
from qbdesk.formats.qualification_sheet import ALIASES, ChecklistParse, parse_checklist, read_rows

TODAY = date(2026, 12, 1)
APPS = {"2026-P3-0001", "01234"}
GOOD = [["application", "check", "result", "source", "date", "note"],
        ["2026-P3-0001", "credit_record", "pass", "信用中国", "2026-11-20", ""],
        ["01234", "spot_check", "不通过", "抽查公告", "2026/11/21", "2025年抽查不合格"]]
texts = (st.sampled_from([a for v in ALIASES.values() for a in v] + list(CHECK_IDS) + sorted(APPS))
         | st.sampled_from(["pass", "fail", "通过", "不通过", "2026-11-20", "2026年2月30日", "99999999", "=1/0"])
         | ODD_TEXTS | st.text(max_size=12))
cells = (texts | st.none() | st.booleans() | st.integers() | ODD_NUMBERS | st.floats() | st.dates() | st.datetimes()
         | st.times() | st.timedeltas() | st.decimals())


def checked(parsed: ChecklistParse) -> None:
    for p in parsed.problems:
        assert p.row >= 0 and isinstance(p.column, str) and p.text("zh") and p.text("en")
    assert parsed.ok == (not parsed.problems)
    if parsed.ok:
        assert parsed.entries and all(e.application in APPS and e.checked_on <= TODAY for e in parsed.entries)


def test_the_unmutated_rows_are_good():
    parsed = parse_checklist(GOOD, applications=APPS, today=TODAY)
    assert parsed.ok and len(parsed.entries) == 2


@fuzz(60)
@given(st.lists(st.lists(cells, max_size=8), max_size=8), st.booleans())
def test_odd_cells(rows, with_header):
    checked(parse_checklist([GOOD[0], *rows] if with_header else rows, applications=APPS, today=TODAY))


@lru_cache(maxsize=1)
def good_xlsx() -> bytes:
    wb = Workbook()
    for row in GOOD:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("checklist")


@fuzz(20)
@given(mutations, st.sampled_from(["c.xlsx", "c.csv"]))
def test_mutated_files(work, changes, name):
    original = good_xlsx() if name.endswith(".xlsx") else "\r\n".join(",".join(r) for r in GOOD).encode("utf-8-sig")
    path = work / name
    path.write_bytes(mutate(original, changes))
    try:
        rows = read_rows(path)
    except QbdeskError as e:  # the file as a whole is unusable: a message, no traceback
        assert e.msg.zh and e.msg.en
        return
    checked(parse_checklist(rows, applications=APPS, today=TODAY))
