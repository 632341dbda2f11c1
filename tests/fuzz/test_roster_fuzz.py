"""Fuzz the expert roster reader: any .csv or .xlsx ends in rows or row/column problems, never a traceback."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest
from fuzzing import ODD_NUMBERS, ODD_TEXTS, fuzz, mutate, mutations
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from qbdesk.domain import credit_code
from qbdesk.formats.roster import COLUMNS, RosterParse, parse_rows, read_csv, read_roster

CODE = credit_code.generate(random.Random(7))
ALIASES = [alias for aliases in COLUMNS.values() for alias in aliases]
GOOD = [["编号", "姓名", "单位", "职称", "电话", "评审项目", "回避"],
        ["E01", "张三", "深圳大学", "教授", "138 0013 8000", "P1；P2、p3", f"{CODE}、深圳市某某科技有限公司"],
        ["E02", "Wang Wu", "Acme Testing Co., Ltd.", "", "0755-86001234", "P9", "Foo Bar Co., Ltd.; " + CODE.lower()]]
BOMS = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "big5", "latin-1", "cp1252"]

# What a hand-kept sheet puts in a cell, and what openpyxl hands back for one.
texts = (st.sampled_from(ALIASES) | ODD_TEXTS | st.text(max_size=16)
         | st.sampled_from([CODE, CODE.lower(), CODE[:-1] + "0", "91440300MA5" + "X" * 7, "P1 P2；p10", "+8613800138000",
                            "0755-8600123 转 12", "Foo Co., Ltd.", "，；、\n\t", '"', "=HYPERLINK(\"x\")", "=1/0"]))
cells = (texts | st.none() | st.booleans() | st.integers() | ODD_NUMBERS
         | st.floats(allow_nan=True, allow_infinity=True) | st.dates() | st.datetimes() | st.times()
         | st.timedeltas() | st.decimals(allow_nan=True))
sheets = st.lists(st.lists(cells, max_size=9), max_size=8)


def checked(result: RosterParse) -> RosterParse:
    assert isinstance(result, RosterParse)
    for p in result.problems:
        assert p.row >= 0 and isinstance(p.column, str) and p.msg.zh and p.msg.en
        assert p.text("zh") and p.text("en")
    if result.ok:
        assert result.rows
    return result


@lru_cache(maxsize=1)
def good_xlsx() -> bytes:
    wb = Workbook()
    for row in GOOD:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("roster")


def test_the_unmutated_files_are_good(work):
    (work / "good.xlsx").write_bytes(good_xlsx())
    assert len(checked(read_roster(work / "good.xlsx")).rows) == 2
    assert len(checked(read_csv("\n".join(",".join(f'"{c}"' for c in r) for r in GOOD).encode())).rows) == 2


@fuzz(100)
@given(st.sampled_from(BOMS), st.binary(max_size=512))
def test_random_csv_bytes(bom, data):
    checked(read_csv(bom + data))


@fuzz(100)
@given(st.lists(st.lists(texts, max_size=8), max_size=6), st.sampled_from([",", "\t", ";", "，"]),
       st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(ENCODINGS), st.booleans())
def test_csv_text_in_any_encoding(rows, delimiter, newline, encoding, with_good_header):
    """Header aliases, lists, codes and stray quotes, joined any way and saved in any encoding."""
    lines = ([delimiter.join(GOOD[0])] if with_good_header else []) + [delimiter.join(r) for r in rows]
    checked(read_csv(newline.join(lines).encode(encoding, errors="replace")))


@fuzz(60)
@given(mutations)
def test_mutated_csv(changes):
    text = "\r\n".join(",".join(f'"{c}"' for c in r) for r in GOOD)
    checked(read_csv(mutate(text.encode("utf-8-sig"), changes)))


@fuzz(100)
@given(sheets, st.integers(min_value=0, max_value=3))
def test_odd_cells(rows, header_at):
    """What openpyxl returns for a sheet: None, numbers, dates, times, bools, formulas as text."""
    checked(parse_rows([*[[None]] * header_at, GOOD[0], *rows]))
    checked(parse_rows(rows))


@fuzz(15)
@given(st.lists(st.lists(texts | st.none() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
                         | st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1))
                         | st.dates(min_value=date(1900, 3, 1)) | st.sampled_from([time(12, 30), timedelta(hours=3)])
                         | st.booleans(), max_size=8), max_size=5))
def test_xlsx_with_odd_cells(work, rows):
    """A real workbook whose cells hold formulas, dates and numbers where text belongs."""
    wb = Workbook()
    for row in [GOOD[0], *rows]:  # control characters cannot be stored in a workbook at all
        wb.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    path = work / "odd.xlsx"
    wb.save(path)
    checked(read_roster(path))


@fuzz(40)
@given(mutations)
def test_mutated_xlsx(work, changes):
    path = work / "mutated.xlsx"
    path.write_bytes(mutate(good_xlsx(), changes))
    checked(read_roster(path))


@fuzz(30)
@given(st.binary(max_size=512), st.sampled_from(["r.xlsx", "r.csv", "r.txt", "r.xls", "r", "r.CSV"]))
def test_random_file_of_any_name(work, data, name):
    path = work / name
    path.write_bytes(data)
    checked(read_roster(path))


def test_decimal_nan_cell():
    # Decimal is not what openpyxl returns, but parse_rows takes any cell value.
    checked(parse_rows([GOOD[0], ["E1", "张三", Decimal("sNaN"), None, None, None, None]]))
