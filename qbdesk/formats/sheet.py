"""The offline score sheet (离线评分表) for experts who prefer Excel or WPS: export, fill in, import.

One row per application, criterion and item, the five contract columns
``application,criterion,item,value,comment``, then two read-only context columns, ``program`` and
``criterion_name`` (ignored on import; sheets without them import just the same):

- ``score``: a number on the rubric's grid in ``value``; the comment where the rubric wants one;
- ``check``: ``pass``/``fail`` (also 通过/不通过, 是/否 …); a fail needs its reason in ``comment``;
- ``items``: one row per item, ``accept``/``reject`` (also 接受/不接受 …), the reason in ``comment``;
  for P5 and P7, ``accept:TIERKEY`` accepts the item at that tier of the round's table (the
  expert's correction); a plain ``accept`` keeps the tier the application declared;
- ``opinion``: the text itself in ``value``.

An empty ``value`` leaves the value as it is. Import checks every row against the rubric and
reports each problem by row and column, in Chinese and English; if there is any, nothing is
imported. The file lands on the expert's disk in clear, so it holds no application content: only
opaque codes, criterion and item ids, the expert's own entries, and (xlsx) a guide sheet with the
rubric text. xlsx is read and written with openpyxl; csv is written UTF-8 with a BOM (so Excel
and WPS show the Chinese) and read as UTF-8, UTF-16 or GB18030 (what WPS saves on Chinese Windows).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import math
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.rubric import Criterion, Rubric
from qbdesk.domain.text import xml_safe
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.regular import FileRefused, read_regular
from qbdesk.formats.xlsx_limits import xlsx_problem

COLUMNS = ("application", "criterion", "item", "value", "comment")
# Read-only context after the contract columns (criterion ids such as ``eligibility`` recur across
# programs): written on export, ignored on import; a sheet without them imports as well.
CONTEXT_COLUMNS = ("program", "criterion_name")
LETTERS = "ABCDE"
DATA_TITLE = "评分 Scores"
GUIDE_TITLE = "说明 Guide"
MARKER = "qbdesk-sheet:"  # xlsx "subject": the snapshot the sheet was exported from
MAX_FILE = 64 * 1024 * 1024
MAX_ROWS = 200_000
YES = frozenset({"pass", "passed", "accept", "accepted", "yes", "y", "true", "通过", "接受", "是", "合格", "同意"})
NO = frozenset({"fail", "failed", "reject", "rejected", "no", "n", "false", "不通过", "不接受", "否", "不合格", "不同意"})


class SheetWorkspace(Protocol):
    """What the sheet needs of a workspace (``services.reviewer.ReviewWorkspace`` has it)."""

    snapshot_id: str
    applications: Sequence[Any]  # .code, .program, .item_ids
    recusals: dict[str, str]

    def rubric(self, code: str) -> Rubric: ...
    def value(self, code: str, criterion: str, item: str = "") -> Any: ...
    def comment(self, code: str, criterion: str, item: str = "") -> str: ...
    def check_edit(self, code: str, criterion: str, item: str, value: Any, comment: str = "") -> Msg | None: ...
    def apply(self, edits: Iterable[tuple]) -> int: ...


class SheetError(QbdeskError):
    """The file as a whole cannot be used (unreadable, not a spreadsheet, wrong type)."""


@dataclass(frozen=True)
class SheetProblem:
    row: int  # as the spreadsheet numbers it (the header is row 1); 0: the file as a whole
    column: str  # "A".."E", or "" for the whole row or file
    msg: Msg

    def text(self, lang: str = "zh") -> str:
        name = COLUMNS[LETTERS.index(self.column)] if self.column and self.column in LETTERS else ""
        if lang == "en":
            where = f"row {self.row}" + (f", column {self.column}" + (f" ({name})" if name else "") if self.column else "")
        else:
            where = f"第 {self.row} 行" + (f" {self.column} 列" + (f"（{name}）" if name else "") if self.column else "")
        return (f"{where}{': ' if lang == 'en' else '：'}{self.msg.text(lang)}") if self.row else self.msg.text(lang)


@dataclass
class SheetImportReport:
    path: str
    problems: list[SheetProblem] = field(default_factory=list)
    changed: int = 0  # values set (each one an edit-log entry)
    unchanged: int = 0  # rows whose value was already so
    left_empty: int = 0  # rows with an empty value: left as they were

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> Msg:
        if self.problems:
            n = len(self.problems)
            return Msg(f"{self.path}：发现 {n} 处问题，未导入任何内容；请改正后重新导入",
                       f"{self.path}: {n} problem{'s' if n != 1 else ''} found; nothing was imported. "
                       f"Correct them and import again")
        return Msg(f"{self.path}：已导入 {self.changed} 项修改（{self.unchanged} 项与原值相同，{self.left_empty} 行留空未改）",
                   f"{self.path}: {self.changed} value{'s' if self.changed != 1 else ''} changed "
                   f"({self.unchanged} already so, {self.left_empty} empty rows left as they were)")


# --- export ---------------------------------------------------------------------------------


def _fmt(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return format(Decimal(str(x)).normalize(), "f") if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def _pct(fraction: float) -> str:
    return format((Decimal(str(fraction)) * 100).normalize(), "f") + "%"


def sheet_rows(ws: SheetWorkspace) -> list[tuple[str, str, str, Any, str]]:
    """The rows to export, values as the sheet shows them (numbers stay numbers)."""
    rows: list[tuple[str, str, str, Any, str]] = []
    recused = ws.recusals
    for app in ws.applications:
        if app.code in recused:
            continue
        for c in ws.rubric(app.code).criteria:
            if c.kind == "items":
                for item in app.item_ids:
                    d = ws.value(app.code, c.id, item)
                    shown = ("accept" if d["accepted"] else "reject") if isinstance(d, dict) else None
                    if isinstance(d, dict) and d.get("accepted") and d.get("tier"):
                        shown = f"accept:{d['tier']}"
                    rows.append((app.code, c.id, item, shown, d.get("reason", "") if isinstance(d, dict) else ""))
                continue
            v = ws.value(app.code, c.id)
            if c.kind == "check" and isinstance(v, bool):
                v = "pass" if v else "fail"
            rows.append((app.code, c.id, "", v, ws.comment(app.code, c.id)))
    return rows


def _how(c: Criterion, rubric: Rubric) -> Msg:
    if c.kind == "score":
        rule = c.comment_rule
        extreme = ""
        extreme_en = ""
        if rule and (rule.at_or_below is not None or rule.at_or_above is not None):
            parts = [f"≤{_pct(rule.at_or_below)}" if rule.at_or_below is not None else "",
                     f"≥{_pct(rule.at_or_above)}" if rule.at_or_above is not None else ""]
            limits = " / ".join(p for p in parts if p)
            extreme, extreme_en = f"；得分 {limits} 满分时须填 comment", f"; a comment is required at {limits} of the maximum"
        return Msg(f"0–{_fmt(c.max)}，步长 {_fmt(c.step)}{extreme}", f"0–{_fmt(c.max)} in steps of {_fmt(c.step)}{extreme_en}")
    if c.kind == "check":
        return Msg("pass / fail（通过 / 不通过）；fail 须在 comment 中说明理由", "pass / fail; a fail needs its reason in comment")
    if c.kind == "items":
        what = c.item or Msg("条目", "item")
        return Msg(f"每个{what.zh}一行：accept / reject（接受 / 不接受）；reject 须在 comment 中说明理由；"
                   "分档项目（P5、P7）可填 accept:档次键 更正该条目的档次，只填 accept 即按申报的档次",
                   f"one row per {what.en}: accept / reject; a reject needs its reason in comment; in tiered "
                   "programs (P5, P7) accept:TIERKEY corrects the item's tier, a plain accept keeps the declared one")
    need = Msg(f"，至少 {c.min_length} 字", f", at least {c.min_length} characters") if c.min_length else Msg("", "")
    return Msg(f"在 value 中填写意见{need.zh}" + ("" if c.required else "（选填）"),
               f"the opinion itself in value{need.en}" + ("" if c.required else " (optional)"))


GUIDE_INTRO = (
    "填写说明 How to fill in",
    "每行对应一份申报（匿名编号）的一个评分项；只需填写 value 列和 comment 列，不要改动前三列和表头。program 和 criterion_name 两列仅供对照（项目与评分项名称），导入时不读取。",
    "One row per application (opaque code) and criterion: fill in value and comment only; leave the first three columns and the header as they are. The program and criterion_name columns are there for reference only and are not read on import.",
    "value 留空表示保持原值不变；导入时逐格校验，有任何错误则不导入任何内容，并指出行、列和原因。",
    "An empty value leaves the value as it is. Import checks every cell; if anything is wrong, nothing is imported and each problem is named by row, column and reason.",
    "本文件以明文保存在本机，导入后请删除。 This file is stored in clear on this computer: delete it after importing.",
    "资格审查（信用记录、重大事故、抽查、重复申报、以往资助结项、材料真伪）由评审组织方完成，结果见评审窗口或 qbdesk review status，"
    "本表不含（它以明文保存）。 The coordinator's qualification check (credit records, accidents, spot checks, double "
    "funding, earlier grants, forged material) is shown in the review window and by qbdesk review status, not in this file.",
)
GUIDE_HEADER = ("项目 Program", "评分项 criterion", "名称", "Name", "类型 Kind", "满分 Max", "步长 Step",
                "填写方法", "How to fill in", "评分指引", "Guidance")


def _guide_rows(ws: SheetWorkspace) -> list[tuple[Any, ...]]:
    seen: dict[int, Rubric] = {}
    for app in ws.applications:
        if app.code not in ws.recusals:
            r = ws.rubric(app.code)
            seen.setdefault(id(r), r)
    rows: list[tuple[Any, ...]] = []
    for r in sorted(seen.values(), key=lambda r: (r.program, r.version)):
        for c in r.criteria:
            how = _how(c, r)
            rows.append((f"{r.program} {r.title.zh} ({r.version})", c.id, c.name.zh, c.name.en, c.kind,
                         c.max if c.kind == "score" else None, c.step if c.kind == "score" else None,
                         how.zh, how.en, c.guidance.zh, c.guidance.en))
    return rows


def _ranges(rows: list[int]) -> list[str]:
    """Row numbers as compact D-column ranges: ['D2:D5', 'D9']."""
    out, start, prev = [], None, None
    for n in sorted(rows) + [None]:
        if start is not None and n != (prev or 0) + 1:
            out.append(f"D{start}" if start == prev else f"D{start}:D{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return out


def _context(ws: SheetWorkspace, code: str, cid: str) -> tuple[str, str]:
    """The read-only context of a row: the program, and the criterion's name in both languages."""
    rubric = ws.rubric(code)
    c = rubric.criterion(cid)
    return rubric.program, f"{c.name.zh} {c.name.en}"


def _xlsx(ws: SheetWorkspace, rows: list[tuple[str, str, str, Any, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    sheet = wb.active
    sheet.title = DATA_TITLE
    sheet.append([*COLUMNS, *CONTEXT_COLUMNS])
    kinds: dict[tuple[str, Any], list[int]] = {}
    grey = Font(color="808080", italic=True)
    for n, (code, cid, item, value, comment) in enumerate(rows, start=2):
        c = ws.rubric(code).criterion(cid)
        sheet.append([xml_safe(v) for v in (code, cid, item, value, comment, *_context(ws, code, cid))])
        for cell in sheet[n]:
            # ids and texts as text (a code like 01234 keeps its zeros); scores as numbers
            cell.number_format = "General" if cell.column_letter == "D" and c.kind == "score" else "@"
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # the expert's text, never a formula
            if cell.column > len(COLUMNS):
                cell.font = grey  # context, not to be filled in
        kinds.setdefault((c.kind, c.max), []).append(n)
    lists = {"check": '"pass,fail,通过,不通过"', "items": '"accept,reject,接受,不接受"'}
    for (kind, top), numbers in kinds.items():
        if kind in lists:
            dv = DataValidation(type="list", formula1=lists[kind], allow_blank=True, showErrorMessage=True,
                                errorStyle="warning", error="pass/fail, accept/reject", errorTitle="qbdesk")
        elif kind == "score":
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=_fmt(top), allow_blank=True,
                                showErrorMessage=True, errorStyle="warning", errorTitle="qbdesk",
                                error=f"0–{_fmt(top)}")
        else:
            continue
        for cells in _ranges(numbers):
            dv.add(cells)
        sheet.add_data_validation(dv)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip(LETTERS + "FG", (12, 30, 10, 16, 70, 8, 30)):
        sheet.column_dimensions[letter].width = width
    guide = wb.create_sheet(GUIDE_TITLE)
    for line in GUIDE_INTRO:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    guide.append([])
    guide.append(list(GUIDE_HEADER))
    header_row = guide.max_row
    for cell in guide[header_row]:
        cell.font = Font(bold=True)
    for row in _guide_rows(ws):
        guide.append([xml_safe(v) for v in row])
        for cell in guide[guide.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.freeze_panes = f"A{header_row + 1}"
    for letter, width in zip("ABCDEFGHIJK", (22, 26, 18, 26, 9, 8, 8, 36, 36, 50, 50)):
        guide.column_dimensions[letter].width = width
    wb.properties.title = "qbdesk score sheet 评分表"
    wb.properties.subject = MARKER + ws.snapshot_id
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(ws: SheetWorkspace, rows: list[tuple[str, str, str, Any, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*COLUMNS, *CONTEXT_COLUMNS])
    for code, cid, item, value, comment in rows:
        w.writerow([code, cid, item, "" if value is None else _fmt(value), comment, *_context(ws, code, cid)])
    return buf.getvalue().encode("utf-8-sig")  # the BOM: Excel and WPS then read UTF-8


_TEMP_LOCK = threading.Lock()


@contextlib.contextmanager
def _temp_files_inside(folder: Path) -> Iterator[None]:
    """openpyxl writes each worksheet to a temporary file (``tempfile``'s default folder) before
    zipping it: while the workbook is built, that default is a fresh 0700 folder inside ``folder``
    (the workspace HOME), removed afterwards, so none of the expert's work lands in $TMPDIR."""
    try:
        private = tempfile.mkdtemp(prefix=".sheet-", dir=folder)
    except OSError as e:
        raise SheetError(Msg(f"无法在 {folder} 中创建临时文件夹：{e.strerror or e}",
                             f"cannot make a temporary folder in {folder}: {e.strerror or e}")) from None
    with _TEMP_LOCK:
        before = tempfile.tempdir
        tempfile.tempdir = private
        try:
            yield
        finally:
            tempfile.tempdir = before
            shutil.rmtree(private, ignore_errors=True)


def export_sheet(ws: SheetWorkspace, path: str | Path) -> int:
    """Write the sheet (``.xlsx`` or ``.csv`` by the name) atomically; return the number of rows."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise SheetError(Msg(f"评分表须为 .xlsx 或 .csv 文件：{target.name}", f"a score sheet is an .xlsx or .csv file: {target.name}"))
    rows = sheet_rows(ws)
    if suffix == ".xlsx":
        with _temp_files_inside(Path(getattr(ws, "home", None) or target.parent)):
            data = _xlsx(ws, rows)
    else:
        data = _csv(ws, rows)
    try:
        atomic_write(target, data, mode=0o600)
    except OSError as e:
        raise SheetError(Msg(f"无法写入 {target}：{os_reason(e).zh}", f"cannot write {target}: {os_reason(e).en}")) from None
    return len(rows)


# --- import ---------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:  # a regular file only (a FIFO or /dev/zero is refused at once), bounded
        return read_regular(path, MAX_FILE)
    except FileRefused as e:
        if e.code == "too_large":
            raise SheetError(Msg(f"{path} 过大（超过 {MAX_FILE // 1048576} MB），不是评分表", f"{path} is too large for a score sheet")) from None
        raise SheetError(e.msg) from None


def _read_xlsx(data: bytes, path: Path) -> tuple[list[Sequence[Any]], str]:
    from openpyxl import load_workbook

    rows: list[Sequence[Any]] = []
    bomb = xlsx_problem(data, str(path))  # sizes and string counts inside the zip, before openpyxl sees it
    if bomb is not None:
        raise SheetError(bomb)
    # openpyxl raises many kinds of exception on a damaged file (zip, XML, KeyError, …): all mean the same here.
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = wb[DATA_TITLE] if DATA_TITLE in wb.sheetnames else wb.worksheets[0]
            marker = wb.properties.subject or ""
            for row in sheet.iter_rows(values_only=True):
                rows.append(row)
                if len(rows) > MAX_ROWS:
                    raise SheetError(Msg(f"{path} 超过 {MAX_ROWS} 行，不是评分表", f"{path} has more than {MAX_ROWS} rows"))
        finally:
            wb.close()
    except SheetError:
        raise
    except Exception:
        raise SheetError(Msg(f"{path} 不是有效的 .xlsx 文件（已损坏，或是其他格式改了扩展名）",
                             f"{path} is not a valid .xlsx file (damaged, or another format renamed)")) from None
    return rows, marker


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "gb18030")  # WPS and Excel on Chinese Windows save "CSV" in GBK/GB18030
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(Msg(f"{path} 的文字编码无法识别（应为 UTF-8 或 GB18030）", f"{path}: unknown text encoding (expected UTF-8 or GB18030)"))


def _read_csv(data: bytes, path: Path) -> list[Sequence[Any]]:
    text = _decode(data, path)
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", "\t", ";") if d in first), ",")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise SheetError(Msg(f"{path} 不是有效的 CSV 文件（{e}）", f"{path} is not a valid CSV file ({e})")) from None
    if len(rows) > MAX_ROWS + 1:
        raise SheetError(Msg(f"{path} 超过 {MAX_ROWS} 行，不是评分表", f"{path} has more than {MAX_ROWS} rows"))
    return rows


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _shown(v: Any) -> str:
    text = _fmt(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
    return text if len(text) <= 40 else text[:40] + "…"


def _token(v: Any) -> str:
    """An id cell: trimmed, full-width forms folded (ＡＢ１ -> AB1)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFKC", str(v)).strip()


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _fmt(v)
    return str(v).strip()


def _parse_value(c: Criterion, raw: Any) -> tuple[Any, Msg | None]:
    """The cell as the value the rubric expects, or why it cannot be one."""
    zh, en, shown = c.name.zh, c.name.en, _shown(raw)
    if isinstance(raw, (datetime, date, time)):
        return None, Msg(f"「{zh}」的值被表格软件当成了日期/时间（{shown}）；请把单元格设为文本或数字后重填",
                         f"“{en}”: the spreadsheet turned this value into a date/time ({shown}); set the cell to "
                         f"text or number and enter it again")
    if c.kind == "score":
        if isinstance(raw, bool):
            return None, Msg(f"「{zh}」应填分数（数字），而不是 {shown}", f"“{en}” needs a score (a number), not {shown}")
        if isinstance(raw, (int, float)):
            number: Any = raw
        else:
            try:
                number = Decimal(unicodedata.normalize("NFKC", str(raw)).strip())
            except InvalidOperation:
                return None, Msg(f"「{zh}」应填分数（数字），而不是“{shown}”", f"“{en}” needs a score (a number), not “{shown}”")
        try:
            f = float(number)
        except (OverflowError, ValueError):  # an integer cell of hundreds of digits; a signalling NaN ("sNaN")
            f = math.nan
        if not math.isfinite(f):
            return None, Msg(f"「{zh}」的分数不是有限数值", f"“{en}”: the score is not a finite number")
        return (int(f) if f.is_integer() else f), None
    if c.kind in ("check", "items"):
        if isinstance(raw, bool):
            return raw, None
        word = unicodedata.normalize("NFKC", str(raw)).strip().lower()
        head, colon, tier = word.partition(":")
        if c.kind == "items" and colon and head.strip() in YES:
            if not tier.strip():
                return None, Msg(f"「{zh}」的 accept: 后应写档次键，而不是“{shown}”", f"“{en}”: accept: needs a tier key after it, not “{shown}”")
            return {"accepted": True, "tier": tier.strip()}, None
        if word in YES:
            return True, None
        if word in NO:
            return False, None
        if c.kind == "check":
            return None, Msg(f"「{zh}」应填 pass 或 fail（通过 / 不通过），而不是“{shown}”",
                             f"“{en}” needs pass or fail, not “{shown}”")
        return None, Msg(f"「{zh}」应填 accept 或 reject（接受 / 不接受），而不是“{shown}”",
                         f"“{en}” needs accept or reject, not “{shown}”")
    return _text(raw), None


def _header(cells: Sequence[Any], report: SheetImportReport) -> int:
    """The number of columns a row may fill (the five, plus the context columns the header has); 0: refused."""
    found = [_token(c).lstrip("\ufeff").lower() for c in cells]
    found += [""] * (len(COLUMNS) - len(found))
    for j, want in enumerate(COLUMNS):
        if found[j] != want:
            report.problems.append(SheetProblem(1, LETTERS[j], Msg(
                f"表头应为“{want}”，实际为“{found[j] or '（空）'}”；表头须为 {','.join(COLUMNS)}",
                f"the header should be “{want}”, found “{found[j] or '(empty)'}”; the header must be {','.join(COLUMNS)}")))
    width = len(COLUMNS)
    for name in CONTEXT_COLUMNS:
        if width < len(found) and found[width] == name:
            width += 1
        else:
            break
    for j in range(width, len(found)):
        if found[j]:
            report.problems.append(SheetProblem(1, "", Msg(
                f"第 {j + 1} 列“{found[j]}”多余；评分表只有 {','.join(COLUMNS)} 五列",
                f"column {j + 1} “{found[j]}” is not expected; a score sheet has exactly {','.join(COLUMNS)}")))
    return 0 if report.problems else width


class _Rows:
    """Row-by-row checks of one import; collects problems and the edits to apply."""

    def __init__(self, ws: SheetWorkspace, report: SheetImportReport, width: int = len(COLUMNS)):
        self.ws = ws
        self.width = width  # the contract columns, plus any context columns (read, never checked)
        self.report = report
        self.apps = {a.code: a for a in ws.applications}
        self.recused = ws.recusals
        self.seen: dict[tuple[str, str, str], int] = {}
        self.edits: list[tuple[str, str, str, Any, str]] = []

    def problem(self, row: int, column: str, zh: str, en: str) -> None:
        self.report.problems.append(SheetProblem(row, column, Msg(zh, en)))

    def code(self, raw: Any) -> str:
        code = _token(raw)
        if code not in self.apps and code.isdigit():  # a spreadsheet ate the leading zeros of 01234
            code = next((c for c in self.apps if c.isdigit() and c.lstrip("0") == code.lstrip("0")), code)
        return code

    def row(self, n: int, cells: Sequence[Any]) -> None:
        cells = list(cells) + [None] * (len(COLUMNS) - len(cells))
        if all(_blank(c) for c in cells[:len(COLUMNS)]) and all(_blank(c) for c in cells[self.width:]):
            return
        for j in range(self.width, len(cells)):
            if not _blank(cells[j]):
                self.problem(n, "", f"第 {j + 1} 列有内容；评分表只有五列", f"column {j + 1} has content; a score sheet has five columns")
                return
        code, cid, item = self.code(cells[0]), _token(cells[1]), _token(cells[2])
        app = self.apps.get(code)
        if app is None:
            return self.problem(n, "A", f"申报编号“{code or '（空）'}”不在本快照中", f"application code “{code or '(empty)'}” is not in this snapshot")
        if code in self.recused:
            return self.problem(n, "A", f"申报 {code} 已回避，不能评分", f"application {code} is recused and cannot be scored")
        rubric = self.ws.rubric(code)
        try:
            c = rubric.criterion(cid)
        except KeyError:
            ids = ", ".join(x.id for x in rubric.criteria)
            return self.problem(n, "B", f"申报 {code} 的评分细则中没有评分项“{cid or '（空）'}”（应为 {ids} 之一）",
                                f"the rubric of application {code} has no criterion “{cid or '(empty)'}” (expected one of {ids})")
        if c.kind == "items" and item not in app.item_ids:
            ids = ", ".join(app.item_ids)
            return self.problem(n, "C", f"「{c.name.zh}」须填写条目编号（{ids} 之一），而不是“{item or '（空）'}”",
                                f"“{c.name.en}” needs an item id (one of {ids}), not “{item or '(empty)'}”")
        if c.kind != "items" and item:
            return self.problem(n, "C", f"「{c.name.zh}」不按条目评分，item 列应为空", f"“{c.name.en}” has no items: leave item empty")
        key = (code, cid, item)
        if key in self.seen:
            return self.problem(n, "", f"与第 {self.seen[key]} 行重复（同一申报、评分项和条目）",
                                f"repeats row {self.seen[key]} (same application, criterion and item)")
        self.seen[key] = n
        self.value(n, code, c, item, cells[3], _text(cells[4]))

    def value(self, n: int, code: str, c: Criterion, item: str, raw: Any, comment: str) -> None:
        if _blank(raw):  # leave the value as it is; a new comment still counts
            current = self.ws.value(code, c.id, item)
            if not comment or comment == self.ws.comment(code, c.id, item):
                self.report.left_empty += 1
                return
            if current is None:
                return self.problem(n, "E", "填写了 comment 但 value 为空；请同时填写 value",
                                    "a comment without a value: fill in value as well")
            value: Any = current if not item else (
                {"accepted": current["accepted"], "tier": current["tier"]} if current.get("tier") else current["accepted"])
        else:
            value, msg = _parse_value(c, raw)
            if msg is not None:
                return self.report.problems.append(SheetProblem(n, "D", msg))
        msg = self.ws.check_edit(code, c.id, item, value, comment)
        if msg is not None:
            # When a stand-in comment makes it acceptable, what is wrong is the comment.
            column = "E" if self.ws.check_edit(code, c.id, item, value, comment or "·") is None else "D"
            return self.report.problems.append(SheetProblem(n, column, msg))
        self.edits.append((code, c.id, item, value, comment))


def import_sheet(ws: SheetWorkspace, path: str | Path) -> SheetImportReport:
    """Check every row of the sheet; apply all its values (one save) only when none is wrong."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix == ".xls":
        raise SheetError(Msg(f"不支持旧的 .xls 格式：请在 Excel/WPS 中另存为 .xlsx 或 .csv（{source.name}）",
                             f"the old .xls format is not supported: save it as .xlsx or .csv in Excel/WPS ({source.name})"))
    if suffix not in (".xlsx", ".csv"):
        raise SheetError(Msg(f"评分表须为 .xlsx 或 .csv 文件：{source.name}", f"a score sheet is an .xlsx or .csv file: {source.name}"))
    data = _read_bytes(source)
    marker = ""
    if suffix == ".xlsx":
        rows, marker = _read_xlsx(data, source)
    else:
        rows = _read_csv(data, source)
    report = SheetImportReport(str(source))
    if marker.startswith(MARKER) and marker != MARKER + ws.snapshot_id:
        report.problems.append(SheetProblem(0, "", Msg(
            f"{source.name} 是从另一个快照导出的评分表，不能导入本工作区", f"{source.name} was exported from another snapshot; "
            f"it cannot be imported into this workspace")))
        return report
    if not rows:
        report.problems.append(SheetProblem(1, "", Msg(f"文件是空的；第一行应为表头 {','.join(COLUMNS)}",
                                                       f"the file is empty; the first row must be the header {','.join(COLUMNS)}")))
        return report
    width = _header(rows[0], report)
    if not width:
        return report
    check = _Rows(ws, report, width)
    for n, cells in enumerate(rows[1:], start=2):
        check.row(n, cells)
    if report.problems:
        report.left_empty = 0
        return report
    report.changed = ws.apply(check.edits)
    report.unchanged = len(check.edits) - report.changed
    return report
