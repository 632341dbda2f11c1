"""Reading the expert roster: encodings, xlsx, headers in either language, one message per problem."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from openpyxl import Workbook

from qbdesk.domain import credit_code
from qbdesk.formats.roster import read_csv, read_roster, split_conflicts, valid_phone

CODE = credit_code.generate(random.Random(7))
CODE2 = credit_code.generate(random.Random(8))

ZH_HEADER = ["编号", "姓名", "单位", "职称", "电话", "评审项目", "回避"]
EN_HEADER = ["id", "name", "organisation", "title", "phone", "programs", "conflicts"]
ROWS = [
    ["E01", "张三", "深圳大学", "教授", "138 0013 8000", "P1；P2、p3", f"{CODE}、深圳市某某科技有限公司"],
    ["E02", "李四", "深圳市计量质量检测研究院", "高级工程师", "0755-86001234", "P5 P6", ""],
    ["E03", "Wang Wu", "Acme Testing Co., Ltd.", "", "", "P9", "Foo Bar Co., Ltd.; " + CODE2.lower()],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def check_rows(parsed) -> None:
    assert parsed.ok, [p.text("en") for p in parsed.problems]
    e1, e2, e3 = parsed.rows
    assert (e1.row, e1.external_id, e1.name, e1.organisation, e1.title) == (2, "E01", "张三", "深圳大学", "教授")
    assert e1.programs == ("P1", "P2", "P3")
    assert e1.conflict_codes == (CODE,)
    assert e1.conflict_orgs == ("深圳市某某科技有限公司",)
    assert e2.programs == ("P5", "P6") and e2.phone == "0755-86001234"
    assert e3.organisation == "Acme Testing Co., Ltd."
    assert e3.conflict_orgs == ("Foo Bar Co., Ltd.",)
    assert e3.conflict_codes == (CODE2,)  # upper-cased by validation


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    check_rows(read_roster(write_csv(tmp_path / "r.csv", ZH_HEADER, ROWS, encoding)))


def test_english_header_in_any_order(tmp_path: Path) -> None:
    order = [6, 2, 0, 5, 1, 4, 3]
    header = [EN_HEADER[i] for i in order]
    rows = [[r[i] for i in order] for r in ROWS]
    check_rows(read_roster(write_csv(tmp_path / "r.csv", header, rows, "utf-8")))


def test_xlsx_with_a_title_row_and_numeric_cells(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["2025年度质量品牌专项资金评审专家名单"])
    ws.append(ZH_HEADER)
    for r in ROWS:
        ws.append(r)
    ws.append([4, "赵六", "某某大学", None, 13912345678, "P2", None])  # numbers as Excel keeps them
    ws.append([None] * 7)  # trailing blank row
    wb.save(tmp_path / "r.xlsx")
    parsed = read_roster(tmp_path / "r.xlsx")
    assert parsed.ok, [p.text("en") for p in parsed.problems]
    assert [r.row for r in parsed.rows] == [3, 4, 5, 6]
    last = parsed.rows[-1]
    assert (last.external_id, last.phone, last.title) == ("4", "13912345678", "")


def test_every_row_error_names_row_and_column(tmp_path: Path) -> None:
    rows = [
        ["E01", "张三", "深圳大学", "", "13800138000", "P1", ""],
        ["", "", "", "", "", "P1", ""],  # missing id, name, organisation
        ["E01", "王五", "某单位", "", "12345", "P10，X", ""],  # duplicate id, bad phone, unknown programs
        ["E04", "钱七", "某单位", "", "", "P2", CODE[:-1] + ("0" if CODE[-1] != "0" else "1")],  # bad code
        ["E05", "孙八" * 60, "某单位", "", "", "", ""],  # too long
    ]
    parsed = read_roster(write_csv(tmp_path / "r.csv", ZH_HEADER, rows, "utf-8"))
    assert not parsed.ok
    where = sorted((p.row, p.column) for p in parsed.problems)
    assert where == [
        (3, "单位"), (3, "姓名"), (3, "编号"),
        (4, "电话"), (4, "编号"), (4, "评审项目"), (4, "评审项目"),
        (5, "回避"),
        (6, "姓名"),
    ]
    texts = {(p.row, p.column): (p.text("zh"), p.text("en")) for p in parsed.problems}
    zh, en = texts[(4, "编号")]
    assert zh.startswith("第4行“编号”列：") and "第2行" in zh
    assert en.startswith("row 4, column “编号”: ") and "row 2" in en
    program_msgs = [p.text("en") for p in parsed.problems if p.column == "评审项目"]
    assert any("“P10”" in m for m in program_msgs) and any("“X”" in m for m in program_msgs)
    assert "check character" in texts[(5, "回避")][1]
    assert [r.external_id for r in parsed.rows] == ["E01"]


def test_missing_and_repeated_columns(tmp_path: Path) -> None:
    parsed = read_roster(write_csv(tmp_path / "r.csv", ["编号", "姓名", "name"], [["1", "a", "b"]], "utf-8"))
    [p1, p2] = parsed.problems
    assert (p1.row, p1.column) == (1, "name") and "姓名" in p1.msg.en
    assert "organisation" in p2.msg.en and "单位" in p2.msg.zh
    assert parsed.rows == []


@pytest.mark.parametrize(("name", "content", "expect"), [
    ("r.csv", b"", "empty"),
    ("r.csv", b"\xff\xfe\x00\xd8garbage\x81", "encoding"),
    ("r.xlsx", b"not a zip", "not a valid xlsx"),
    ("r.pdf", b"%PDF", "unsupported file type"),
    ("r.csv", "编号,姓名,单位\n".encode(), "lists no experts"),
])
def test_bad_files_get_a_message(tmp_path: Path, name: str, content: bytes, expect: str) -> None:
    (tmp_path / name).write_bytes(content)
    parsed = read_roster(tmp_path / name)
    assert not parsed.ok
    assert expect in parsed.problems[0].text("en")


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in read_roster(tmp_path / "nope.csv").problems[0].text("en")


def test_tab_separated_csv() -> None:
    data = "id\tname\torganisation\n7\t甲\t乙\n".encode("gb18030")
    parsed = read_csv(data)
    assert parsed.ok and parsed.rows[0].organisation == "乙"


@pytest.mark.parametrize("phone", ["13800138000", "+86 138-0013-8000", "0755-86001234", "86001234",
                                   "(0755)86001234", "0755-86001234转123", "400-800-1234", "１３８００１３８０００"])
def test_good_phones(phone: str) -> None:
    assert valid_phone(phone)


@pytest.mark.parametrize("phone", ["12345", "1380013800", "23800138000", "phone", "0755-8600", "138001380001"])
def test_bad_phones(phone: str) -> None:
    assert not valid_phone(phone)


def test_conflict_entries() -> None:
    assert split_conflicts(f"{CODE} 某某公司  另一公司") == [CODE, "某某公司", "另一公司"]
    assert split_conflicts("Acme Co., Ltd.，某某公司；") == ["Acme Co., Ltd.", "某某公司"]
    assert split_conflicts("Big Corp Inc") == ["Big Corp Inc"]


def test_damaged_workbook_gets_a_message(tmp_path: Path) -> None:
    import zipfile

    wb = Workbook()
    wb.active.append(EN_HEADER)
    wb.save(tmp_path / "ok.xlsx")
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as src, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if "sheet1" in name else data)
    parsed = read_roster(tmp_path / "bad.xlsx")
    assert "not a valid xlsx workbook" in parsed.problems[0].text("en")


def test_an_xlsx_claiming_a_newer_zip_version_is_a_file_problem(tmp_path: Path) -> None:
    """zipfile's NotImplementedError("zip file version 6.4") is a clear refusal, not a traceback."""
    wb = Workbook()
    wb.active.append(ZH_HEADER)
    wb.save(tmp_path / "r.xlsx")
    data = bytearray((tmp_path / "r.xlsx").read_bytes())
    for magic, offset in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        i = 0
        while (i := data.find(magic, i)) >= 0:
            data[i + offset] = 64
            i += 4
    (tmp_path / "v64.xlsx").write_bytes(bytes(data))
    parsed = read_roster(tmp_path / "v64.xlsx")
    assert not parsed.ok and parsed.problems[0].text("zh") and parsed.problems[0].text("en")
