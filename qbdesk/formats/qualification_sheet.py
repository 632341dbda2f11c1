"""The qualification checklist (资格审查表): the coordinator's check results in an .xlsx or .csv file.

One row per application and check. Columns are found by their header, in any order, in English
or Chinese (``application``/申报编号, ``check``/审查项, ``result``/结果, ``source``/来源,
``date``/审查日期, ``note``/备注); other columns (the template's applicant name and credit code,
there for the look-up) are ignored. A row whose ``result`` is empty is skipped: that check stays
as it is. Every other row is checked cell by cell; each problem is named by row and column, and
while there is any, nothing is recorded.

Reading goes through the offline score sheet's readers (``formats.sheet``): the same size and
row limits, xlsx through openpyxl, csv as UTF-8 (with or without BOM), UTF-16 or GB18030.
The template is written atomically (``formats.atomic``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.qualification import CHECKS, Entry, validate_entry
from qbdesk.domain.text import xml_safe
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.sheet import SheetError, _read_bytes, _read_csv, _read_xlsx  # one reader for both sheets

COLUMNS = ("application", "check", "result", "source", "date", "note")
REQUIRED = ("application", "check", "result", "source", "date")
ALIASES: dict[str, tuple[str, ...]] = {
    "application": ("application", "application_id", "申报编号", "申报"),
    "check": ("check", "审查项", "审查项目"),
    "result": ("result", "结果", "审查结果"),
    "source": ("source", "来源", "依据来源", "查询来源"),
    "date": ("date", "审查日期", "日期", "查询日期"),
    "note": ("note", "备注", "说明"),
}
ZH_COLUMN = {"application": "申报编号", "check": "审查项", "result": "结果", "source": "来源", "date": "审查日期", "note": "备注"}
REFERENCE_COLUMNS = ("applicant (reference) 申报单位", "credit_code (reference) 统一社会信用代码", "label 审查内容")
DATA_TITLE = "资格审查 Checks"
GUIDE_TITLE = "说明 Guide"


def _key(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if text is None else str(text))).lstrip("\ufeff").casefold()


_BY_ALIAS = {_key(a): col for col, aliases in ALIASES.items() for a in aliases}


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFC", str(v)).strip()


@dataclass(frozen=True)
class ChecklistProblem:
    row: int  # as the spreadsheet numbers it; 0: the file as a whole
    column: str  # the header as written in the file, or ""
    msg: Msg

    def text(self, lang: str = "zh") -> str:
        if self.row == 0:
            return self.msg.text(lang)
        if lang == "en":
            return f"row {self.row}" + (f", column “{self.column}”" if self.column else "") + f": {self.msg.en}"
        return f"第 {self.row} 行" + (f"“{self.column}”列" if self.column else "") + f"：{self.msg.zh}"


@dataclass
class ChecklistParse:
    entries: list[Entry] = field(default_factory=list)
    problems: list[ChecklistProblem] = field(default_factory=list)
    skipped: int = 0  # rows with an empty result

    @property
    def ok(self) -> bool:
        return not self.problems


def read_rows(path: Path) -> list[Sequence[Any]]:
    """The rows of an .xlsx (its first sheet) or .csv file; SheetError when the file cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise SheetError(Msg(f"资格审查表须为 .xlsx 或 .csv 文件：{path.name}", f"a checklist is an .xlsx or .csv file: {path.name}"))
    data = _read_bytes(path)
    return _read_xlsx(data, path)[0] if suffix == ".xlsx" else _read_csv(data, path)


def parse_checklist(rows: Sequence[Sequence[Any]], *, applications: Iterable[str], today: date) -> ChecklistParse:
    """Check every row against the round's application ids and the checks; collect the entries."""
    out = ChecklistParse()
    known = set(applications)
    header_at = next((i for i, cells in enumerate(rows[:10]) if sum(_key(c) in _BY_ALIAS for c in cells) >= 2), None)
    if header_at is None:
        out.problems.append(ChecklistProblem(1 if rows else 0, "", Msg(
            f"找不到表头；第一行应为 {','.join(COLUMNS)}", f"no header found; the first row must be {','.join(COLUMNS)}")))
        return out
    columns: dict[str, int] = {}
    shown: dict[str, str] = {}
    for j, cell in enumerate(rows[header_at]):
        col = _BY_ALIAS.get(_key(cell))
        if col is None:
            continue
        if col in columns:
            out.problems.append(ChecklistProblem(header_at + 1, _text(cell), Msg(
                f"与“{shown[col]}”列重复", f"repeats column “{shown[col]}”")))
            continue
        columns[col], shown[col] = j, _text(cell)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        out.problems.append(ChecklistProblem(header_at + 1, "", Msg(
            "表头缺少必需的列：" + "、".join(f"{ZH_COLUMN[c]}（{c}）" for c in missing),
            "the header lacks required columns: " + ", ".join(missing))))
    if out.problems:
        return out
    seen: dict[tuple[str, str], int] = {}
    for n in range(header_at + 1, len(rows)):
        cells = list(rows[n])
        raw = {c: (cells[j] if j < len(cells) else None) for c, j in columns.items()}
        if all(_text(v) == "" for v in raw.values()):
            continue
        row_no = n + 1
        if not _text(raw["result"]):
            out.skipped += 1
            continue
        entry, problems = validate_entry(_text(raw["application"]), _text(raw["check"]), _text(raw["result"]),
                                         _text(raw["source"]), raw["date"] if not isinstance(raw["date"], str) else _text(raw["date"]),
                                         _text(raw.get("note")), today=today)
        app = unicodedata.normalize("NFKC", _text(raw["application"]))
        if app and app not in known:
            problems.insert(0, ("application", Msg(f"申报编号“{app}”不在本评审批次中", f"application “{app}” is not in this round")))
        for col, msg in problems:
            out.problems.append(ChecklistProblem(row_no, shown.get(col, col), msg))
        if entry is None or problems:
            continue
        key = (entry.application, entry.check)
        if key in seen:
            out.problems.append(ChecklistProblem(row_no, "", Msg(
                f"与第 {seen[key]} 行重复（同一申报、同一审查项）", f"repeats row {seen[key]} (same application and check)")))
            continue
        seen[key] = row_no
        out.entries.append(entry)
    if not out.entries and not out.problems:
        out.problems.append(ChecklistProblem(0, "", Msg("表中没有填写任何审查结果（result 列全为空）",
                                                        "the file records no result (the result column is empty)")))
    return out


# --- the blank template ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateApplication:
    external_id: str
    program: str
    applicant: str
    credit_code: str
    recorded: Mapping[str, Entry]  # check id -> what is on record, to show and keep


def _template_rows(apps: Sequence[TemplateApplication]) -> list[list[Any]]:
    rows = []
    for a in apps:
        for c in CHECKS:
            e = a.recorded.get(c.id)
            rows.append([a.external_id, c.id, e.result if e else None, e.source if e else None,
                         e.checked_on.isoformat() if e else None, e.note if e else None,
                         a.applicant, a.credit_code, c.label.zh])
    return rows


def _guide() -> list[list[Any]]:
    lines: list[list[Any]] = [
        ["填写说明 How to fill in"],
        ["每行是一份申报的一个审查项。result 填 pass（通过：未发现问题）或 fail（不通过：发现问题）；"
         "source 写明查询来源（如“信用中国”网站），date 写审查日期 YYYY-MM-DD；fail 须在 note 中写明发现了什么。"],
        ["One row per application and check. result: pass (nothing found) or fail (something found); source: where it "
         "was looked up; date: YYYY-MM-DD; a fail needs a note saying what was found."],
        ["result 留空的行不导入（该项保持原状，未审查即无记录）。导入时逐格校验，有任何错误则不导入任何内容。"],
        ["Rows with an empty result are skipped. Every cell is checked; if anything is wrong, nothing is recorded."],
        ["一票否决项不通过的申报，无论评分多少均不予资助。 A failed veto check gives 0 whatever the scores."],
        [],
        ["check", "审查内容", "Check", "一票否决 Veto", "来源提示", "Where to look"],
    ]
    for c in CHECKS:
        lines.append([c.id, c.label.zh, c.label.en, "是 yes" if c.veto else "否 no", c.source_hint.zh, c.source_hint.en])
    return lines


def _xlsx(apps: Sequence[TemplateApplication]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    sheet = wb.active
    sheet.title = DATA_TITLE
    sheet.append([*COLUMNS, *REFERENCE_COLUMNS])
    rows = _template_rows(apps)
    for row in rows:
        sheet.append([xml_safe(v) for v in row])
        for cell in sheet[sheet.max_row]:
            cell.number_format = "@"  # ids, dates and texts stay text (01234 keeps its zeros)
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # never a formula
    if rows:
        dv = DataValidation(type="list", formula1='"pass,fail,通过,不通过"', allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", errorTitle="qbdesk", error="pass / fail")
        dv.add(f"C2:C{len(rows) + 1}")
        sheet.add_data_validation(dv)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (14, 18, 8, 30, 12, 40, 30, 22, 50)):
        sheet.column_dimensions[letter].width = width
    guide = wb.create_sheet(GUIDE_TITLE)
    for line in _guide():
        guide.append(line)
    guide["A1"].font = Font(bold=True)
    wb.properties.title = "qbdesk qualification checklist 资格审查表"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(apps: Sequence[TemplateApplication]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*COLUMNS, *REFERENCE_COLUMNS])
    for row in _template_rows(apps):
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8-sig")  # the BOM: Excel and WPS then read UTF-8


def write_template(path: Path, apps: Sequence[TemplateApplication]) -> int:
    """Write the checklist for these applications (what is on record filled in); return the rows written."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise SheetError(Msg(f"资格审查表须为 .xlsx 或 .csv 文件：{path.name}", f"a checklist is an .xlsx or .csv file: {path.name}"))
    data = _xlsx(apps) if suffix == ".xlsx" else _csv(apps)
    try:
        atomic_write(path, data, read_back=True)
    except OSError as e:
        raise SheetError(Msg(f"无法写入 {path}：{e.strerror or e}", f"cannot write {path}: {e.strerror or e}")) from None
    return len(apps) * len(CHECKS)
