"""The results workbook (评审结果.xlsx): a summary sheet and one sheet per program.

Each sheet has a frozen, bilingual header row (中文 English), number formats for points (0.00)
and yuan (#,##0), and column widths that fit their Chinese headings and values (a CJK character
counts two). Experts appear by id, with their names only when the document carries them
(``--with-names``). docs/formats.md, "Results".
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from qbdesk.domain.text import xml_safe

POINTS, YUAN, RATIO = "0.00", "#,##0", "0.000"
SUMMARY_TITLE = "汇总 Summary"
MAX_WIDTH = 60


def _width(v: Any) -> int:
    text = "" if v is None else str(v)
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.split("\n")),
               default=0)


def _fit(ws, rows: Sequence[Sequence[Any]], formats: Mapping[int, str]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=xml_safe(v))
            if r == 1:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(vertical="center", wrap_text=False)
            elif c in formats and isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = formats[c]
            widths[c] = max(widths.get(c, 0), _width(v))
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(MAX_WIDTH, w + 2)
    ws.freeze_panes = "A2"


def _expert(e: str, names: Mapping[str, str]) -> str:
    n = names.get(e)
    return f"{e} {n}" if n else e


def _yes(v: bool) -> str:
    return "是 yes" if v else "否 no"


def program_rows(p: Mapping[str, Any], names: Mapping[str, str], calibrated: bool) -> tuple[list[list[Any]], dict[int, str]]:
    head = ["排名 Rank", "申报编号 Application", "申报单位 Applicant", "项目名称 Title", "汇总分 Aggregate"]
    if calibrated:
        head.append("校准汇总分 Calibrated")
    head += ["计分专家 Counted", "各专家总分 Expert totals", "关键评分项 Key criterion", "是否通过 Passed",
             "申报金额（元） Requested (yuan)", "建议资助（元） Amount (yuan)", "标记 Flags", "理由 Reasons"]
    formats = {5: POINTS}
    off = 1 if calibrated else 0
    if calibrated:
        formats[6] = POINTS
    formats[8 + off] = POINTS
    formats[10 + off] = YUAN
    formats[11 + off] = YUAN
    rows: list[list[Any]] = [head]
    for a in p["applications"]:
        totals = "; ".join(f"{_expert(e, names)}: {t:g}" for e, t in a["totals"].items())
        flags = "; ".join(f["zh"] for f in a["flags"])
        reasons = "；".join(r["zh"] for r in a["reasons"])
        row = [a["rank"], a["application"], a.get("applicant", ""), a.get("title", ""), a["aggregate"]]
        if calibrated:
            row.append(a.get("calibrated_aggregate"))
        row += [len(a["counted"]), totals, a.get("key_score"), _yes(a["passed"]), a.get("requested_amount"),
                a["amount"], flags, reasons]
        rows.append(row)
    return rows, formats


def summary_rows(doc: Mapping[str, Any], names: Mapping[str, str]) -> tuple[list[list[Any]], dict[int, str], list[list[Any]]]:
    head = ["项目 Program", "名称 Name", "类型 Mode", "汇总规则 Rule", "预算（元） Budget (yuan)",
            "已分配（元） Allocated (yuan)", "余额（元） Left (yuan)", "申报 Applications", "通过 Passed",
            "获资助 Funded", "ICC(2,k)", "Kendall W", "一致性依据 Agreement basis"]
    rows: list[list[Any]] = [head]
    for p in doc["programs"]:
        ag = p["agreement"]
        basis = f"{ag['applications']} × {ag['experts']}" + (f"（{ag['reason']['zh']}）" if ag.get("reason") else "")
        rows.append([p["program"], p["name"]["zh"], "核准类 verified" if p["mode"] == "verified" else "评审类 scored",
                     p["rule"], p["budget"], p["allocated"], p["left"], len(p["applications"]),
                     sum(1 for a in p["applications"] if a["passed"]), sum(1 for a in p["applications"] if a["amount"]),
                     ag["icc"], ag["kendall_w"], basis])
    experts: list[list[Any]] = [["专家 Expert", "项目 Program", "评审数 Scored", "平均z分 Mean z", "偏移 Offset"]]
    for x in doc["experts"]:
        experts.append([_expert(x["expert"], names), x["program"], x["scored"], x["mean_z"], x["offset"]])
    return rows, {5: YUAN, 6: YUAN, 7: YUAN, 11: RATIO, 12: RATIO}, experts


def results_xlsx(doc: Mapping[str, Any]) -> bytes:
    """The workbook of a results document, as bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    names = {x["expert"]: x["name"] for x in doc.get("experts", []) if x.get("name")}
    wb = Workbook()
    ws = wb.active
    ws.title = SUMMARY_TITLE
    rows, formats, experts = summary_rows(doc, names)
    gap = [[], ["专家评分宽严度（仅供参考，不用于排序） Expert leniency (shown, never applied)"]]
    notes = [[], ["说明 Notes"], *[[n["zh"]] for n in doc.get("notes", [])]] if doc.get("notes") else []
    _fit(ws, rows + gap + experts + notes, formats)
    start = len(rows) + len(gap) + 1
    ws.cell(row=start - 1, column=1).font = Font(bold=True)
    for r in range(start + 1, start + len(experts)):
        for c, fmt in ((4, RATIO), (5, POINTS)):
            cell = ws.cell(row=r, column=c)
            if isinstance(cell.value, (int, float)):
                cell.number_format = fmt
    for c in range(1, 6):
        ws.cell(row=start, column=c).font = Font(bold=True)
    for p in doc["programs"]:
        sheet = wb.create_sheet(title=p["program"])
        prow, pformats = program_rows(p, names, bool(doc.get("calibrated")))
        _fit(sheet, prow, pformats)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
