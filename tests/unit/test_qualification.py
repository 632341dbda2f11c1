"""The qualification check (资格审查) as rules: checks and vetoes, one entry, a checklist's cells, the veto in funding."""

from __future__ import annotations

from datetime import date, datetime

from review_snapshot import PASSPHRASE, coordinator, make_snapshot

from qbdesk.domain.funding import CAP_CODES, recommend
from qbdesk.domain.programs import ProgramSettings
from qbdesk.domain.qualification import (
    CHECK_IDS,
    CHECKS,
    VETO_IDS,
    find_check,
    parse_result,
    validate_entry,
    veto_reason,
)
from qbdesk.formats.qualification_sheet import parse_checklist
from qbdesk.services.reviewer.views import parse_meta

TODAY = date(2026, 12, 1)


def test_the_checks_the_seed_practice_asks_for_with_stable_ids_and_both_languages():
    assert CHECK_IDS == ("credit_record", "major_accident", "spot_check", "double_funding", "grants_closed",
                         "forged_material", "platform_verified")
    assert VETO_IDS == CHECK_IDS[:6]  # the platform look-up informs the experts' item decisions, it vetoes nothing
    for c in CHECKS:
        assert c.label.zh and c.label.en and c.source_hint.zh and c.source_hint.en
    credit = find_check("credit_record").label
    assert "严重违法失信" in credit.zh and "经营异常名录" in credit.zh and "失信被执行人" in credit.zh
    assert "三年" in find_check("major_accident").label.zh and "多头申报" in find_check("double_funding").label.zh


def test_ids_and_results_as_people_type_them():
    assert find_check(" Credit-Record ").id == "credit_record"
    assert find_check("ｓｐｏｔ＿ｃｈｅｃｋ").id == "spot_check"  # full-width, as a Chinese IME types it
    assert find_check("申报材料无弄虚作假").id == "forged_material"
    assert find_check("credit") is None
    assert [parse_result(w) for w in ("pass", "PASS", "通过", "合格", "fail", "不通过", "不合格")] == ["pass"] * 4 + ["fail"] * 3
    assert parse_result("是") is None and parse_result("") is None  # "yes" to which question? refused


def test_one_entry_names_each_bad_field():
    entry, problems = validate_entry("A1", "credit_record", "pass", " 信用中国  网站 ", "2026/11/20", "", today=TODAY)
    assert problems == [] and entry.source == "信用中国 网站" and entry.checked_on == date(2026, 11, 20)
    _, problems = validate_entry("", "credit", "maybe", "", "2026-13-01", "", today=TODAY)
    assert [f for f, _ in problems] == ["application", "check", "result", "source", "date"]
    _, problems = validate_entry("A1", "spot_check", "fail", "抽查公告", "2026-12-02", "", today=TODAY)
    fields = dict(problems)
    assert "晚于今天" in fields["date"].zh and "later than today" in fields["date"].en
    assert "fail needs a note" in fields["note"].en  # a fail says what was found


def test_a_failed_veto_gives_zero_whatever_the_scores():
    settings = ProgramSettings("P1", budget=10_000_000, pass_threshold=75)
    full = recommend(settings, gate_passed=True, passed_threshold=True, requested_amount=3_000_000)
    assert full.amount == 3_000_000  # a high score, every gate passed: the full amount
    d = recommend(settings, gate_passed=True, passed_threshold=True, requested_amount=3_000_000,
                  veto=[veto_reason("credit_record"), veto_reason("double_funding")])
    assert d.amount == 0 and d.rule_amount == 0 and d.items_granted == 0
    assert d.capped_by == ("veto",) and "veto" in CAP_CODES
    assert "一票否决" in d.explain("zh") and "严重违法失信" in d.explain("zh") and "多头申报" in d.explain("zh")
    assert "veto" in d.explain("en") and "not funded" in d.explain("en")
    single = recommend(settings, gate_passed=False, passed_threshold=False, veto=veto_reason("forged_material"))
    assert single.amount == 0 and single.capped_by == ("veto",)  # the veto comes first; one Msg is accepted too


def _rows(*body):
    return [("application", "check", "result", "source", "date", "note"), *body]


def test_checklist_cells_each_named_and_nothing_taken_when_any_is_wrong():
    rows = _rows(
        ("A1", "credit_record", "pass", "信用中国", "2026-11-20", ""),
        ("A9", "credit_record", "pass", "信用中国", "2026-11-20", ""),  # not in the round
        ("A1", "spot_check", "perhaps", "公告", "2026-11-20", ""),
        ("A1", "major_accident", "fail", "应急管理局", datetime(2026, 11, 21), ""),  # fail without a note
        ("A2", "no_such_check", "pass", "x", "2026-11-20", ""),
        ("A1", "credit_record", "fail", "信用中国", "2026-11-22", "经营异常名录"),  # repeats row 2
        ("A2", "grants_closed", "", "", "", ""),  # empty result: skipped
        ("A2", "forged_material", "pass", "", "yesterday", ""),
    )
    parsed = parse_checklist(rows, applications={"A1", "A2"}, today=TODAY)
    where = sorted((p.row, p.column) for p in parsed.problems)
    assert where == [(3, "application"), (4, "result"), (5, "note"), (6, "check"), (7, ""), (9, "date"), (9, "source")]
    assert parsed.skipped == 1
    assert any(p.text("zh").startswith("第 3 行“application”列：申报编号“A9”不在本评审批次中") for p in parsed.problems)
    assert any(p.text("en").startswith("row 7: repeats row 2") for p in parsed.problems)


def test_checklist_headers_in_chinese_any_order_and_spreadsheet_dates():
    rows = [("资格审查表",), ("备注", "审查日期", "来源", "结果", "审查项", "申报编号", "申报单位"),
            ("", datetime(2026, 11, 20), "信用中国", "通过", "credit_record", "A1", "某公司")]
    parsed = parse_checklist(rows, applications={"A1"}, today=TODAY)
    assert parsed.ok and parsed.entries[0].checked_on == date(2026, 11, 20) and parsed.entries[0].result == "pass"
    missing = parse_checklist([("application", "check", "result")], applications=set(), today=TODAY)
    assert "source" in missing.problems[0].msg.en and "date" in missing.problems[0].msg.en


def test_a_snapshot_without_qualification_facts_still_opens_and_a_malformed_fact_is_refused(tmp_path):
    """Snapshots built before the check existed carry no ``qualification``: no facts, no error."""
    import copy

    import pytest

    from qbdesk.formats.snapshot import SnapshotReader
    from qbdesk.services.reviewer.state import WorkspaceError

    path = tmp_path / "old.qbsnap"
    make_snapshot(path, coordinator())
    with SnapshotReader(path, PASSPHRASE) as r:
        meta = r.meta
    assert all("qualification" not in a for a in meta["applications"])
    assert all(a.qualification == () for a in parse_meta(meta).applications)
    fact = {"check": "credit_record", "label": {"zh": "信用", "en": "credit"}, "veto": True, "result": "fail",
            "date": "2026-11-20", "source": "信用中国"}
    good = copy.deepcopy(meta)
    good["applications"][0]["qualification"] = [fact]
    (shown,) = parse_meta(good).applications[0].qualification
    assert shown.text("en") == "credit: FAIL (veto) — checked 2026-11-20, 信用中国"
    bad = copy.deepcopy(meta)
    bad["applications"][0]["qualification"] = [dict(fact, result="maybe")]
    with pytest.raises(WorkspaceError) as e:
        parse_meta(bad)
    assert "qualification" in e.value.msg.en
