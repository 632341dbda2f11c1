"""The expert roster (专家名单): a .csv or .xlsx file, one expert a row.

Columns are found by their header, in any order, in English or Chinese:

=============  ==========  ==================================================
English        中文         value
=============  ==========  ==================================================
id             编号         the expert's id in the roster (required, unique)
name           姓名         required
organisation   单位         employer (required): same-organisation conflicts
title          职称         optional
phone          电话         optional; a mainland mobile or landline number
programs       评审项目     program codes (P1..P9)
conflicts      回避         declared conflicts: credit codes or organisations
=============  ==========  ==================================================

Lists are separated by ``;`` ``,`` ``；`` ``，`` ``、`` or spaces. In
``conflicts`` an English name keeps its spaces (and "Co., Ltd." its comma).
A CSV file may be UTF-8 (with or without BOM) or GB18030, the encoding Excel
and WPS write on Chinese Windows. Every problem is reported with its row and
column; a caller imports nothing while there is any.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qbdesk.domain import credit_code
from qbdesk.domain.messages import Msg
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.domain.text import unstorable
from qbdesk.formats.regular import FileRefused, read_regular
from qbdesk.formats.xlsx_limits import XlsxLimits, xlsx_problem

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "专家编号"),
    "name": ("name", "姓名", "专家姓名"),
    "organisation": ("organisation", "organization", "org", "单位", "工作单位", "所在单位"),
    "title": ("title", "职称"),
    "phone": ("phone", "电话", "联系电话", "手机", "手机号码"),
    "programs": ("programs", "program", "评审项目", "项目类别"),
    "conflicts": ("conflicts", "conflict", "回避", "回避单位", "申明回避"),
}
REQUIRED = ("id", "name", "organisation")
MAX_FILE = 16 * 1024 * 1024  # a roster of a few thousand experts is well under 1 MB
# A roster workbook is small: a few hundred rows of short text.
XLSX_LIMITS = XlsxLimits(max_part_bytes=16 << 20, max_total_bytes=32 << 20, max_strings=100_000)
MAX_LENGTH = {"id": 64, "name": 100, "organisation": 300, "title": 100, "phone": 40}
_ZH_FIELD = {"id": "编号", "name": "姓名", "organisation": "单位", "title": "职称", "phone": "电话",
             "programs": "评审项目", "conflicts": "回避"}

_LIST_SEP = re.compile(r"[;,；，、\s]+")
_CONFLICT_SEP = re.compile(r"[;,；，、\n]+")
_EN_TAIL = re.compile(r"^\s*(ltd|limited|inc|llc|corp|co)\.?\s*$", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}|[48]00\d{7}")
_LANDLINE = re.compile(r"(?:\+?86)?(?:0\d{2,3})?[2-9]\d{6,7}(?:(?:转|ext\.?|x|#)\d{1,6})?")
_LOOKS_LIKE_CODE = re.compile(r"[0-9A-Za-z]{18}")


@dataclass(frozen=True)
class RosterRow:
    row: int  # as the spreadsheet numbers it (the first line is row 1)
    external_id: str
    name: str
    organisation: str
    title: str = ""
    phone: str = ""
    programs: tuple[str, ...] = ()
    conflict_codes: tuple[str, ...] = ()
    conflict_orgs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterProblem:
    row: int  # 0: the file as a whole
    column: str  # the header as written in the file, or "" for the whole row
    msg: Msg

    def text(self, lang: str = "zh") -> str:
        if self.row == 0:
            return self.msg.text(lang)
        if lang == "en":
            where = f"row {self.row}" + (f", column “{self.column}”" if self.column else "")
        else:
            where = f"第{self.row}行" + (f"“{self.column}”列" if self.column else "")
        return f"{where}: {self.msg.en}" if lang == "en" else f"{where}：{self.msg.zh}"


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # the columns found, by their English key

    @property
    def ok(self) -> bool:
        return not self.problems


def _cell(value: Any) -> str:
    """A cell as text: spreadsheets hand back numbers for ids and phone numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


_ALIASES = {_header_key(alias): key for key, aliases in COLUMNS.items() for alias in aliases}


def split_list(text: str) -> list[str]:
    return [p for p in _LIST_SEP.split(text) if p]


def split_conflicts(text: str) -> list[str]:
    """Entries of a conflicts cell; spaces separate only entries that are codes or Chinese names."""
    pieces: list[str] = []
    for piece in _CONFLICT_SEP.split(text):
        if _EN_TAIL.match(piece) and pieces:  # "Foo Co., Ltd." was cut at its comma
            pieces[-1] = f"{pieces[-1]}, {piece.strip()}"
            continue
        tokens = piece.split()
        if len(tokens) > 1 and all(_CJK.search(t) or credit_code.is_valid(t) for t in tokens):
            pieces.extend(tokens)
        elif piece.strip():
            pieces.append(piece.strip())
    return pieces


def valid_phone(phone: str) -> bool:
    compact = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", phone))
    return bool(_MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact))


def parse_table(header: Sequence[Any], body: Iterable[tuple[int, Sequence[Any]]], *,
                header_row: int = 1) -> RosterParse:
    """Parse rows already read from a file: ``header`` cells and ``(row number, cells)`` pairs."""
    result = RosterParse()
    columns: dict[str, int] = {}
    shown: dict[str, str] = {}
    for i, cell in enumerate(header):
        text = _cell(cell)
        key = _ALIASES.get(_header_key(text))
        if key is None:
            continue
        if key in columns:
            result.problems.append(RosterProblem(header_row, text, Msg(
                f"与“{shown[key]}”列重复（都表示{_ZH_FIELD[key]}）",
                f"repeats column “{shown[key]}” (both mean {key})")))
            continue
        columns[key] = i
        shown[key] = text
    missing = [k for k in REQUIRED if k not in columns]
    if missing:
        result.problems.append(RosterProblem(header_row, "", Msg(
            "表头缺少必需的列：" + "、".join(f"{_ZH_FIELD[k]}（{k}）" for k in missing),
            "the header lacks required columns: " + ", ".join(f"{k} ({_ZH_FIELD[k]})" for k in missing))))
    result.columns = tuple(columns)
    if result.problems:
        return result

    seen_ids: dict[str, int] = {}
    for row_no, cells in body:
        values = {k: _cell(cells[i]) if i < len(cells) else "" for k, i in columns.items()}
        if not any(values.values()):
            continue  # blank rows between blocks are common in hand-kept sheets
        row, problems = _parse_row(row_no, values, shown, seen_ids)
        result.problems.extend(problems)
        if row is not None:
            result.rows.append(row)
    if not result.rows and not result.problems:
        result.problems.append(RosterProblem(0, "", Msg("名单中没有专家", "the roster lists no experts")))
    return result


def _parse_row(row_no: int, v: dict[str, str], shown: dict[str, str],
               seen_ids: dict[str, int]) -> tuple[RosterRow | None, list[RosterProblem]]:
    problems: list[RosterProblem] = []

    def bad(key: str, zh: str, en: str) -> None:
        problems.append(RosterProblem(row_no, shown.get(key, key), Msg(zh, en)))

    for key in REQUIRED:
        if not v.get(key):
            bad(key, "不能为空", "must not be empty")
    for key, limit in MAX_LENGTH.items():
        if len(v.get(key, "")) > limit:
            bad(key, f"过长（最多{limit}个字符）", f"too long (at most {limit} characters)")
    for key, cell in v.items():
        if isinstance(cell, str) and (problem := unstorable(cell)) is not None:
            bad(key, problem.zh, problem.en)
    ext_id = v.get("id", "")
    if ext_id:
        if ext_id in seen_ids:
            bad("id", f"编号“{ext_id}”与第{seen_ids[ext_id]}行重复",
                f"id “{ext_id}” repeats the one in row {seen_ids[ext_id]}")
        else:
            seen_ids[ext_id] = row_no
    phone = v.get("phone", "")
    if phone and not valid_phone(phone):
        bad("phone", f"电话号码格式不正确：{phone}", f"malformed phone number: {phone}")

    programs: list[str] = []
    for code in split_list(v.get("programs", "")):
        norm = unicodedata.normalize("NFKC", code).upper()
        if norm not in PROGRAM_CODES:
            bad("programs", f"未知的项目代码“{code}”（应为 P1–P9）",
                f"unknown program code “{code}” (expected P1–P9)")
        elif norm not in programs:
            programs.append(norm)

    codes: list[str] = []
    orgs: list[str] = []
    for entry in split_conflicts(v.get("conflicts", "")):
        compact = unicodedata.normalize("NFKC", entry).strip()
        if _LOOKS_LIKE_CODE.fullmatch(compact) and sum(ch.isdigit() for ch in compact) >= 6:
            try:
                code = credit_code.validate(compact)
            except credit_code.CreditCodeError as e:  # a mistyped code would silently match nothing
                bad("conflicts", f"“{entry}”像统一社会信用代码但无效：{e.zh}",
                    f"“{entry}” looks like a credit code but is not valid: {e.en}")
                continue
            if code not in codes:
                codes.append(code)
        elif entry not in orgs:
            orgs.append(entry)

    if problems:
        return None, problems
    return RosterRow(row=row_no, external_id=ext_id, name=v["name"], organisation=v["organisation"],
                     title=v.get("title", ""), phone=phone, programs=tuple(programs),
                     conflict_codes=tuple(codes), conflict_orgs=tuple(orgs)), []


def parse_rows(rows: Sequence[Sequence[Any]], name: str = "") -> RosterParse:
    """Find the header (a title row above it is allowed) and parse what follows it."""
    header_at = None
    for i, cells in enumerate(rows[:10]):
        if sum(_header_key(_cell(c)) in _ALIASES for c in cells) >= 2:
            header_at = i
            break
    if header_at is None:  # report against the first non-blank row
        header_at = next((i for i, cells in enumerate(rows) if any(_cell(c) for c in cells)), None)
    if header_at is None:
        return _file_problem(f"{name}：文件为空", f"{name}: the file is empty")
    body = ((i + 1, rows[i]) for i in range(header_at + 1, len(rows)))
    return parse_table(rows[header_at], body, header_row=header_at + 1)


def _decode(data: bytes) -> str | None:
    encodings = ["utf-8-sig", "gb18030"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        encodings.insert(0, "utf-16")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _file_problem(zh: str, en: str) -> RosterParse:
    return RosterParse(problems=[RosterProblem(0, "", Msg(zh, en))])


def read_csv(data: bytes, name: str = "roster.csv") -> RosterParse:
    text = _decode(data)
    if text is None:
        return _file_problem(f"{name}：无法识别文件编码（应为 UTF-8 或 GB18030）",
                             f"{name}: unknown text encoding (expected UTF-8 or GB18030)")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        return _file_problem(f"{name}：CSV 格式错误：{e}", f"{name}: malformed CSV: {e}")
    return parse_rows(records, name)


def read_xlsx(path: Path, data: bytes | None = None) -> RosterParse:
    from openpyxl import load_workbook  # only when a workbook is read

    if data is None:
        try:
            data = read_regular(path, MAX_FILE)
        except FileRefused as e:
            return _file_problem(e.msg.zh, e.msg.en)
    bomb = xlsx_problem(data, path.name, XLSX_LIMITS)  # sizes and string counts, before openpyxl sees it
    if bomb is not None:
        return _file_problem(bomb.zh, bomb.en)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = list(wb.worksheets[0].iter_rows(values_only=True)) if wb.worksheets else []
        finally:
            wb.close()
    except Exception as e:
        return _file_problem(f"{path.name}：不是有效的 xlsx 工作簿（{type(e).__name__}: {e}）",
                             f"{path.name}: not a valid xlsx workbook ({type(e).__name__}: {e})")
    return parse_rows(rows, path.name)


def read_roster(path: Path | str) -> RosterParse:
    """Read and check a roster file (.csv or .xlsx): a regular file of at most ``MAX_FILE`` bytes."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        return _file_problem(f"{path.name}：不支持的文件类型（应为 .csv 或 .xlsx）",
                             f"{path.name}: unsupported file type (expected .csv or .xlsx)")
    try:  # a FIFO or a device is refused at once, a huge file before it is read
        data = read_regular(path, MAX_FILE)
    except FileRefused as e:
        if e.code == "not_found":
            return _file_problem(f"找不到文件：{path}", f"no such file: {path}")
        return _file_problem(e.msg.zh, e.msg.en)
    if suffix == ".xlsx":
        return read_xlsx(path, data)
    return read_csv(data, path.name)
