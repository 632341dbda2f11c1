"""The offline score sheet: export (xlsx, csv), import with every validation case, nothing imported on error."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime

import openpyxl
import pytest
from review_snapshot import (
    PASSPHRASE,
    SUMMARIES,
    TITLES,
    complete,
    coordinator,
    make_snapshot,
)

from qbdesk.formats.sheet import (
    COLUMNS,
    CONTEXT_COLUMNS,
    DATA_TITLE,
    GUIDE_TITLE,
    SheetError,
    export_sheet,
    import_sheet,
)
from qbdesk.services.reviewer import ReviewWorkspace, open_snapshot

P3, P8, P3B = "K7Q2M", "01234", "ZX9DA"  # the codes review_snapshot gives its three applications


@pytest.fixture(scope="module")
def home_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("sheet")
    coord = coordinator()
    make_snapshot(root / "s.qbsnap", coord)
    open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1).close()
    return root / "home"


@pytest.fixture
def ws(home_template, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(home_template, home)
    with ReviewWorkspace.load(home, PASSPHRASE) as workspace:
        yield workspace


def state_bytes(ws) -> bytes:
    return (ws.home / "state.age").read_bytes()


def write_csv(path, rows, *, header=COLUMNS, encoding="utf-8-sig", delimiter=","):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def refused(ws, path, *expected: tuple[int, str, str]):
    """Import ``path``; it must fail with exactly these (row, column, English fragment) and change nothing."""
    before, log = state_bytes(ws), len(ws.edit_log)
    report = import_sheet(ws, path)
    assert not report.ok and report.changed == 0
    got = [(p.row, p.column, p.msg.en) for p in report.problems]
    assert len(got) == len(expected), got
    for (row, col, fragment), (grow, gcol, text) in zip(expected, got):
        assert (grow, gcol) == (row, col) and fragment in text, got
    for p in report.problems:  # both languages, naming row and column
        assert p.msg.zh and f"第 {p.row} 行" in p.text("zh") and f"row {p.row}" in p.text("en")
    assert state_bytes(ws) == before and len(ws.edit_log) == log
    assert "nothing was imported" in report.summary().en and "未导入任何内容" in report.summary().zh
    return report


# --- export ---------------------------------------------------------------------------------


def test_csv_export_has_exactly_the_columns_and_one_row_per_criterion_and_item(ws, tmp_path):
    n = export_sheet(ws, tmp_path / "s.csv")
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel/WPS read UTF-8
    rows = read_csv(tmp_path / "s.csv")
    assert tuple(rows[0]) == COLUMNS + CONTEXT_COLUMNS and len(rows) == n + 1
    expected = []
    for app in ws.applications:
        for c in ws.rubric(app.code).criteria:
            expected += [(app.code, c.id, i) for i in app.item_ids] if c.kind == "items" else [(app.code, c.id, "")]
    assert [tuple(r[:3]) for r in rows[1:]] == expected
    assert ("K7Q2M", "certificates", "C2") in expected and not any(r[1] == "certificates" for r in rows if r[0] == P8)


def test_export_prefills_current_values_and_leaves_recused_out(ws, tmp_path):
    ws.set_value(P3, "eligibility", False, "申报主体不在深圳市注册")
    ws.set_value(P3, "certificates", False, "证书已过期", item="C2")
    ws.set_value(P3, "coverage", 12.5)
    ws.set_value(P3, "opinion", "材料齐全，论证充分，认证覆盖面广。" * 2)
    ws.recuse(P3B, "曾为该单位提供咨询服务")
    export_sheet(ws, tmp_path / "s.csv")
    rows = {tuple(r[:3]): r[3:5] for r in read_csv(tmp_path / "s.csv")[1:]}
    assert rows[(P3, "eligibility", "")] == ["fail", "申报主体不在深圳市注册"]
    assert rows[(P3, "certificates", "C2")] == ["reject", "证书已过期"]
    assert rows[(P3, "certificates", "C1")] == ["", ""]
    assert rows[(P3, "coverage", "")] == ["12.5", ""]
    assert rows[(P3, "opinion", "")][0].startswith("材料齐全")
    assert not any(k[0] == P3B for k in rows)

    export_sheet(ws, tmp_path / "s.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx")[DATA_TITLE]
    values = {(r[0], r[1], r[2] or ""): r[3] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[(P3, "coverage", "")] == 12.5 and values[(P3, "eligibility", "")] == "fail"
    assert not any(k[0] == P3B for k in values)


def test_xlsx_has_guide_validation_frozen_header_and_no_application_content(ws, tmp_path):
    ws.set_value(P3, "opinion", "=SUM(A1:A2) 不是公式，而是专家写下的意见文字，认证覆盖面广，持续有效。")
    export_sheet(ws, tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert wb.sheetnames == [DATA_TITLE, GUIDE_TITLE]
    data, guide = wb[DATA_TITLE], wb[GUIDE_TITLE]
    assert [c.value for c in data[1]] == [*COLUMNS, *CONTEXT_COLUMNS]
    assert data.freeze_panes == "A2" and data.column_dimensions["E"].width >= 40
    opinion = next(r for r in data.iter_rows(min_row=2) if r[0].value == P3 and r[1].value == "opinion")
    assert opinion[3].data_type == "s" and opinion[3].value.startswith("=SUM")  # text, never a formula
    validations = data.data_validations.dataValidation
    assert any(dv.type == "list" and "pass" in dv.formula1 for dv in validations)
    assert any(dv.type == "list" and "accept" in dv.formula1 for dv in validations)
    assert any(dv.type == "decimal" and dv.formula2 == "400" for dv in validations)  # P8 results: 0–400
    text = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value is not None)
    for name in ("领导", "Leadership", "认证证书认定", "步长", "Guidance", "in steps of 0.5"):
        assert name in text
    everything = text + " ".join(str(c.value) for row in data.iter_rows() for c in row if c.value is not None)
    for secret in TITLES + SUMMARIES + ("绿色产品认证证书", "技术方案"):
        assert secret not in everything


# --- import: the good cases -------------------------------------------------------------------


def fill_xlsx(path, values):
    """Fill the exported sheet as an expert would in Excel: ``values`` maps (code, criterion, item) -> (value, comment)."""
    wb = openpyxl.load_workbook(path)
    sheet = wb[DATA_TITLE]
    for row in sheet.iter_rows(min_row=2):
        key = (row[0].value, row[1].value, row[2].value or "")
        if key in values:
            row[3].value, row[4].value = values[key]
    wb.save(path)


def expert_answers(ws):
    answers = {}
    for app in ws.applications:
        for c in ws.rubric(app.code).criteria:
            if c.kind == "score":
                answers[(app.code, c.id, "")] = (round(c.max * 0.5 / c.step) * c.step, None)
            elif c.kind == "check":
                answers[(app.code, c.id, "")] = ("通过", None)
            elif c.kind == "items":
                for i in app.item_ids:
                    answers[(app.code, c.id, i)] = ("接受", None)
            else:
                answers[(app.code, c.id, "")] = ("申报材料完整，技术路线清晰，效益测算可信，建议予以支持。" * 2, None)
    return answers


def test_xlsx_round_trip_fills_everything(ws, tmp_path):
    path = tmp_path / "s.xlsx"
    export_sheet(ws, path)
    answers = expert_answers(ws)
    answers[(P3, "certificates", "C2")] = ("reject", "证书不在有效期内")
    answers[(P3, "materials", "")] = (True, None)  # Excel's TRUE
    fill_xlsx(path, answers)
    report = import_sheet(ws, path)
    assert report.ok, [p.text("en") for p in report.problems]
    assert report.changed == len(answers) and ws.missing() == []
    assert ws.value(P3, "certificates", "C2") == {"accepted": False, "reason": "证书不在有效期内"}
    assert ws.value(P8, "leadership") == 55 and ws.value(P3, "eligibility") is True
    again = import_sheet(ws, path)  # nothing new: no edits logged
    assert again.ok and again.changed == 0 and again.unchanged == len(answers)


def test_csv_round_trip_and_gb18030_from_wps(ws, tmp_path):
    rows = [(P3, "eligibility", "", "是", ""), (P3, "materials", "", "不通过", "缺少审计报告"),
            (P3, "certificates", "C1", "接受", ""), (P3, "certificates", "C2", "不接受", "证书范围不符"),
            (P3, "coverage", "", "10", ""), (P8, "leadership", "", "66.0", ""),
            (P8, "opinion", "", "企业质量管理体系健全，自评报告翔实，结果指标有说服力。" * 2, "")]
    report = import_sheet(ws, write_csv(tmp_path / "wps.csv", rows, encoding="gb18030"))
    assert report.ok, [p.text("en") for p in report.problems]
    assert report.changed == len(rows)
    assert ws.value(P3, "eligibility") is True and ws.value(P3, "materials") is False
    assert ws.comment(P3, "materials") == "缺少审计报告"
    assert ws.value(P3, "certificates", "C2") == {"accepted": False, "reason": "证书范围不符"}
    assert ws.value(P8, "leadership") == 66 and isinstance(ws.value(P8, "leadership"), int)

    export_sheet(ws, tmp_path / "s.csv")  # and what we write reads back unchanged
    back = import_sheet(ws, tmp_path / "s.csv")
    assert back.ok and back.changed == 0


def test_utf16_tab_separated_text_is_read(ws, tmp_path):
    path = write_csv(tmp_path / "u.csv", [(P3, "coverage", "", "15", "")], encoding="utf-16", delimiter="\t")
    assert import_sheet(ws, path).ok and ws.value(P3, "coverage") == 15


def test_empty_value_leaves_it_as_it_is_and_a_new_comment_still_counts(ws, tmp_path):
    ws.set_value(P3, "coverage", 12)
    ws.set_value(P3, "eligibility", False, "未在深圳注册")
    rows = [(P3, "coverage", "", "", ""), (P3, "eligibility", "", "", "注册地不在深圳市"), (P3, "maintenance", "", "", "")]
    report = import_sheet(ws, write_csv(tmp_path / "e.csv", rows))
    assert report.ok and report.changed == 1 and report.left_empty == 2
    assert ws.value(P3, "coverage") == 12 and ws.value(P3, "maintenance") is None
    assert ws.value(P3, "eligibility") is False and ws.comment(P3, "eligibility") == "注册地不在深圳市"


def test_codes_whose_leading_zero_a_spreadsheet_ate_still_match(ws, tmp_path):
    assert import_sheet(ws, write_csv(tmp_path / "z.csv", [("1234", "leadership", "", "50", "")])).ok
    assert ws.value(P8, "leadership") == 50


def test_full_width_ids_and_case_of_words_do_not_matter(ws, tmp_path):
    rows = [("Ｋ７Ｑ２Ｍ", "eligibility", "", " PASS ", ""), (P3, "certificates", "ｃ1".upper(), "Accept", "")]
    assert import_sheet(ws, write_csv(tmp_path / "w.csv", rows)).ok
    assert ws.value(P3, "eligibility") is True and ws.value(P3, "certificates", "C1")["accepted"] is True


# --- import: every way a cell can be wrong ------------------------------------------------------

CASES = {
    "unknown application": ([("NOPE1", "coverage", "", "10", "")], [(2, "A", "is not in this snapshot")]),
    "empty application": ([("", "coverage", "", "10", "")], [(2, "A", "(empty)")]),
    "unknown criterion": ([(P3, "leadership", "", "10", "")], [(2, "B", "has no criterion “leadership”")]),
    "unknown item": ([(P3, "certificates", "C9", "accept", "")], [(2, "C", "needs an item id (one of C1, C2)")]),
    "items row without item": ([(P3, "certificates", "", "accept", "")], [(2, "C", "needs an item id")]),
    "item on a score criterion": ([(P3, "coverage", "C1", "10", "")], [(2, "C", "has no items")]),
    "out of range": ([(P3, "coverage", "", "21", "")], [(2, "D", "outside 0–20")]),
    "negative": ([(P3, "coverage", "", "-1", "")], [(2, "D", "outside 0–20")]),
    "off step": ([(P3, "coverage", "", "10.3", "")], [(2, "D", "not a multiple of the step 0.5")]),
    "off step on an integer grid": ([(P8, "leadership", "", "50.5", "")], [(2, "D", "not a multiple of the step 1")]),
    "not a number": ([(P3, "coverage", "", "十分", "")], [(2, "D", "needs a score (a number)")]),
    "infinite": ([(P3, "coverage", "", "inf", "")], [(2, "D", "not a finite number")]),
    "check word": ([(P3, "eligibility", "", "maybe", "")], [(2, "D", "needs pass or fail")]),
    "item word": ([(P3, "certificates", "C1", "ok", "")], [(2, "D", "needs accept or reject")]),
    "check fail without reason": ([(P3, "eligibility", "", "fail", "")], [(2, "E", "a fail needs a reason")]),
    "item rejected without reason": ([(P3, "certificates", "C1", "reject", "")], [(2, "E", "needs a reason")]),
    "opinion too short": ([(P3, "opinion", "", "同意", "")], [(2, "D", "at least 30 characters")]),
    "comment required at the top": ([(P3, "coverage", "", "20", "")], [(2, "E", "a comment is required")]),
    "comment required at the bottom": ([(P8, "results", "", "0", "")], [(2, "E", "a comment is required")]),
    "comment without a value": ([(P3, "coverage", "", "", "很好")], [(2, "E", "a comment without a value")]),
    "duplicate rows": ([(P3, "coverage", "", "10", ""), (P3, "coverage", "", "12", "")], [(3, "", "repeats row 3 (same application, criterion and item)")]),
    "content beyond the five columns": ([(P3, "coverage", "", "10", "", "x")], [(2, "", "column 6 has content")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_bad_cell_is_reported_and_nothing_imported(ws, tmp_path, case):
    rows, expected = CASES[case]
    good = [(P3, "maintenance", "", "10", "")]  # a good row: still not imported
    refused(ws, write_csv(tmp_path / "bad.csv", good + rows), *[(r + 1, c, t) for r, c, t in expected])
    assert ws.value(P3, "maintenance") is None


def test_recused_application_is_refused(ws, tmp_path):
    ws.recuse(P3B, "亲属在该单位任职")
    refused(ws, write_csv(tmp_path / "r.csv", [(P3B, "coverage", "", "10", "")]), (2, "A", "is recused"))


def test_wrong_header_is_reported(ws, tmp_path):
    path = write_csv(tmp_path / "h.csv", [(P3, "coverage", "", "10", "")],
                     header=("application", "criterion", "value", "item", "comment"))
    refused(ws, path, (1, "C", "should be “item”"), (1, "D", "should be “value”"))
    refused(ws, write_csv(tmp_path / "h2.csv", [], header=COLUMNS + ("note",)), (1, "", "“note” is not expected"))
    (tmp_path / "empty.csv").write_bytes(b"")
    refused(ws, tmp_path / "empty.csv", (1, "", "the file is empty"))


def test_all_problems_are_listed_at_once(ws, tmp_path):
    rows = [(P3, "coverage", "", "99", ""), (P3, "coverage", "", "1", ""), ("NOPE1", "x", "", "1", ""),
            (P3, "maintenance", "", "10", ""), (P8, "opinion", "", "短", "")]
    refused(ws, write_csv(tmp_path / "m.csv", rows), (2, "D", "outside"), (3, "", "repeats row 2"),
            (4, "A", "not in this snapshot"), (6, "D", "at least 50"))


def test_xlsx_cells_excel_made_into_dates_or_bools_are_named(ws, tmp_path):
    path = tmp_path / "s.xlsx"
    export_sheet(ws, path)
    fill_xlsx(path, {(P3, "coverage", ""): (datetime(2026, 3, 1), None), (P3, "maintenance", ""): (True, None)})
    # P3's rows: eligibility 2, materials 3, certificates C1 4 and C2 5, certification_level 6, coverage 7, …
    refused(ws, path, (7, "D", "date/time"), (8, "D", "needs a score"))


def test_xlsx_with_a_wrong_header(ws, tmp_path):
    path = tmp_path / "s.xlsx"
    export_sheet(ws, path)
    wb = openpyxl.load_workbook(path)
    wb[DATA_TITLE]["D1"] = "score"
    wb.save(path)
    refused(ws, path, (1, "D", "should be “value”"))


def test_sheet_of_another_snapshot_is_refused(ws, tmp_path):
    path = tmp_path / "s.xlsx"
    export_sheet(ws, path)
    wb = openpyxl.load_workbook(path)
    wb.properties.subject = "qbdesk-sheet:another-snapshot"
    wb.save(path)
    report = import_sheet(ws, path)
    assert not report.ok and "another snapshot" in report.problems[0].text("en")


@pytest.mark.parametrize("name, content, fragment", [
    ("s.xlsx", b"PK\x03\x04 not really a workbook", "not a valid .xlsx"),
    ("s.xlsx", b"", "not a valid .xlsx"),
    ("s.xls", b"\xd0\xcf\x11\xe0", ".xls format is not supported"),
    ("s.ods", b"x", ".xlsx or .csv"),
    ("s.csv", b"application,criterion\n\xff\xfe\xfa", "unknown text encoding"),
])
def test_unusable_files_are_a_clear_error(ws, tmp_path, name, content, fragment):
    (tmp_path / name).write_bytes(content)
    before = state_bytes(ws)
    with pytest.raises(SheetError) as e:
        import_sheet(ws, tmp_path / name)
    assert fragment in e.value.msg.en and e.value.msg.zh
    assert state_bytes(ws) == before
    with pytest.raises(SheetError):
        import_sheet(ws, tmp_path / "missing.csv")


def test_export_to_an_unwritable_place_is_a_clear_error(ws, tmp_path):
    with pytest.raises(SheetError) as e:
        export_sheet(ws, tmp_path / "no" / "such" / "dir" / "s.xlsx")
    assert "cannot write" in e.value.msg.en


def test_a_filled_sheet_lets_the_workspace_finalise(ws, tmp_path):
    complete(ws, skip=(P8,))
    path = tmp_path / "s.xlsx"
    export_sheet(ws, path)
    answers = {k: v for k, v in expert_answers(ws).items() if k[0] == P8}
    fill_xlsx(path, answers)
    assert import_sheet(ws, path).ok and ws.missing() == []


def test_a_rubric_text_with_a_control_character_does_not_break_the_xlsx(ws, tmp_path, monkeypatch):
    """A rubric may hold a form feed or a vertical tab (a JSON "\\f"); a workbook cannot: U+FFFD shows."""
    from openpyxl import load_workbook

    from qbdesk.formats import sheet

    real = sheet._guide_rows
    monkeypatch.setattr(sheet, "_guide_rows", lambda w: [tuple(v + "\x0b\x0c" if isinstance(v, str) else v for v in row)
                                                          for row in real(w)])
    export_sheet(ws, tmp_path / "s.xlsx")
    texts = [c for s in load_workbook(tmp_path / "s.xlsx") for row in s.iter_rows(values_only=True) for c in row
             if isinstance(c, str)]
    assert any(t.endswith("\ufffd\ufffd") for t in texts) and not any("\x0b" in t for t in texts)
