"""The aggregation engine on hand-computed cases: trimmed mean, recusals, gates, items, tiers, flags."""

from __future__ import annotations

import json

import pytest

from qbdesk.domain.aggregation import (
    AggregationSettings,
    ApplicationScores,
    aggregate_application,
    aggregate_program,
    values_from_score_rows,
    with_calibrated,
)
from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.rubric import Criterion, Rubric, default_rubric


def _c(cid: str, kind: str, **kw) -> Criterion:
    return Criterion(id=cid, kind=kind, name=Msg(f"评分项{cid}", f"criterion {cid}"), guidance=Msg("", ""), **kw)


RUBRIC = Rubric(
    program="P5", version="test", title=Msg("测试细则", "test rubric"), total=100,
    criteria=(
        _c("eligibility", "check"),
        _c("activities", "items", item=Msg("计量活动", "activity")),
        _c("quality", "score", max=60, step=0.5),
        _c("impact", "score", max=40, step=0.5),
        _c("opinion", "opinion"),
    ),
)


def values(total: float, *, gate: bool = True, items: dict | None = None) -> dict:
    """One expert's values whose total is ``total`` (quality up to 60, the rest impact)."""
    quality = min(total, 60)
    v = {"eligibility": gate, "quality": quality, "impact": total - quality, "opinion": "意见"}
    if items is not None:
        v["activities"] = items
    return v


def app(totals: dict[str, float], **kw) -> ApplicationScores:
    return ApplicationScores("A-001", {e: values(t) for e, t in totals.items()}, **kw)


def agg(scores: ApplicationScores, **settings):
    return aggregate_application(RUBRIC, scores, AggregationSettings(**settings))


# ---------------------------------------------------------------- the aggregate


def test_four_experts_fall_back_to_the_mean_and_say_so():
    a = agg(app({"E1": 80, "E2": 70, "E3": 90, "E4": 60}))
    assert a.aggregate == 75  # (80 + 70 + 90 + 60) / 4
    assert a.method == "mean" and a.dropped == ()
    assert "少于 5 位" in a.reasons[0].zh and "fewer than 5" in a.reasons[0].en


def test_five_experts_drop_one_highest_and_one_lowest():
    a = agg(app({"E1": 80, "E2": 70, "E3": 90, "E4": 60, "E5": 75}))
    assert a.aggregate == 75  # (80 + 70 + 75) / 3
    assert a.method == "trimmed_mean" and a.dropped == ("E4", "E3")
    assert "去掉最高分（E3：90）和最低分（E4：60）" in a.reasons[0].zh


def test_seven_experts_drop_one_highest_and_one_lowest():
    a = agg(app({"E1": 88, "E2": 72, "E3": 95, "E4": 60, "E5": 81, "E6": 79, "E7": 85.5}))
    assert a.aggregate == 81.1  # (88 + 72 + 81 + 79 + 85.5) / 5 = 405.5 / 5
    assert a.counted == ("E1", "E2", "E3", "E4", "E5", "E6", "E7")
    assert a.totals["E7"] == 85.5


def test_equal_extremes_drop_exactly_two_experts():
    a = agg(app({"E1": 70, "E2": 70, "E3": 70, "E4": 70, "E5": 70}))
    assert a.aggregate == 70 and a.dropped == ("E1", "E5")


def test_recused_expert_does_not_count():
    """Five assigned, one recused: four count, so the trimmed mean falls back to the mean."""
    scores = {e: values(t) for e, t in {"E1": 80, "E2": 70, "E3": 90, "E4": 60}.items()}
    a = aggregate_application(RUBRIC, ApplicationScores("A-001", scores, recused={"E5"},
                                                        assigned={"E1", "E2", "E3", "E4", "E5"}))
    assert a.counted == ("E1", "E2", "E3", "E4") and a.recused == ("E5",)
    assert a.aggregate == 75 and a.method == "mean"
    assert not a.flagged("missing")
    assert any("E5 已回避" in r.zh for r in a.reasons)


def test_a_recusal_wins_over_values_given():
    a = agg(app({"E1": 80, "E2": 60}, recused={"E2"}))
    assert a.counted == ("E1",) and a.aggregate == 80


@pytest.mark.parametrize(("method", "expected"), [("mean", 76.25), ("median", 77.5), ("trimmed_mean", 76.25)])
def test_the_configured_method(method, expected):
    a = agg(app({"E1": 80, "E2": 75, "E3": 90, "E4": 60}), method=method)
    assert a.aggregate == expected


def test_median_of_an_odd_count_and_exact_decimals():
    a = agg(app({"E1": 80.5, "E2": 60, "E3": 90}), method="median")
    assert a.aggregate == 80.5 and a.method == "median"
    weights = Rubric(program="P1", version="t", title=Msg("", ""), total=1, criteria=(
        _c("x", "score", max=1, step=0.1, weight=0.1), _c("y", "score", max=1, step=0.1, weight=0.2)))
    b = aggregate_application(weights, ApplicationScores("A", {"E1": {"x": 1, "y": 1}}))
    assert b.totals == {"E1": 0.3}  # 0.1 + 0.2 in exact decimals, not 0.30000000000000004


def test_values_that_are_no_finite_number_add_nothing():
    scores = {"E1": {"quality": float("nan"), "impact": 30}, "E2": {"quality": float("inf"), "impact": True},
              "E3": {"quality": "50", "impact": 20}}
    a = aggregate_application(RUBRIC, ApplicationScores("A", scores))
    assert a.totals == {"E1": 30, "E2": 0, "E3": 20} and a.aggregate == pytest.approx(50 / 3)


def test_nobody_counted():
    a = agg(ApplicationScores("A-001", {}, assigned={"E1"}))
    assert a.aggregate is None and a.counted == ()
    assert [f.code for f in a.flags] == ["missing"] and a.flags[0].expert == "E1"


# ---------------------------------------------------------------- flags


def test_deviation_at_the_threshold_is_not_flagged_beyond_it_is():
    """Default threshold: 20 % of the 100-point total = 20 points, from the mean of the others."""
    at = agg(app({"E1": 80, "E2": 60, "E3": 60, "E4": 60}))  # E1 − mean(60, 60, 60) = 20
    assert not at.flagged("deviation")
    beyond = agg(app({"E1": 80.5, "E2": 60, "E3": 60, "E4": 60}))
    [flag] = beyond.flagged("deviation")
    assert flag.expert == "E1"
    assert "+20.5" in flag.msg.zh and "20" in flag.msg.en
    below = agg(app({"E1": 39.5, "E2": 60, "E3": 60, "E4": 60}))
    assert [f.expert for f in below.flagged("deviation")] == ["E1"]


def test_deviation_in_points_and_at_a_repeating_mean():
    # E3 − mean(70, 71, 71) = 80 − 70.666… = 9.333… > 9; E3 in points 9.5 is not beyond
    scores = app({"E1": 70, "E2": 71, "E3": 80, "E4": 71})
    assert [f.expert for f in agg(scores, deviation_points=9).flagged("deviation")] == ["E3"]
    assert not agg(scores, deviation_points=9.5).flagged("deviation")
    # exactly at a threshold that binary floats cannot hold: 79.3 − 70 = 9.3 = 0.093 × 100
    exact = app({"E1": 70, "E2": 70, "E3": 79.3, "E4": 70})
    assert not agg(exact, deviation_points=9.3).flagged("deviation")
    assert not agg(exact, deviation_share=0.093).flagged("deviation")
    assert agg(exact, deviation_share=0.092).flagged("deviation")


def test_missing_and_too_few_experts():
    a = agg(app({"E1": 80, "E2": 70}, assigned={"E1", "E2", "E3"}), min_experts=3)
    assert [(f.code, f.expert) for f in a.flags if f.code in ("missing", "too_few_experts")] == \
        [("missing", "E3"), ("too_few_experts", None)]
    assert "少于配置的 3 位" in a.flagged("too_few_experts")[0].msg.zh
    assert not agg(app({"E1": 80, "E2": 70, "E3": 75}), min_experts=3).flagged("too_few_experts")


# ---------------------------------------------------------------- gates


def gate_app(votes: dict[str, bool]) -> ApplicationScores:
    return ApplicationScores("A-001", {e: values(80, gate=ok) for e, ok in votes.items()})


def test_gate_failed_by_a_majority():
    a = agg(gate_app({"E1": False, "E2": False, "E3": True}))
    [g] = a.gates
    assert not g.passed and not a.gates_passed and g.fails == ("E1", "E2")
    assert a.flagged("gate_failed")[0].criterion == "eligibility"
    assert "E1、E2" in a.flagged("gate_split")[0].msg.zh
    assert any("经多数专家判定不通过（1 位通过、2 位不通过）" in r.zh for r in a.reasons)


def test_gate_passed_by_a_majority_is_split_but_passed():
    a = agg(gate_app({"E1": True, "E2": True, "E3": False}))
    assert a.gates_passed and not a.flagged("gate_failed")
    assert a.flagged("gate_split")[0].msg.en == "gate “criterion eligibility” is split: 2 passed, 1 failed (failed by E3)"


def test_gate_tie_fails_by_default_and_passes_by_rule():
    votes = {"E1": True, "E2": False}
    a = agg(gate_app(votes))
    assert not a.gates_passed and a.gates[0].tie and a.flagged("gate_failed")
    assert any("平票" in r.zh and "视为不通过" in r.zh for r in a.reasons)
    b = agg(gate_app(votes), gate_tie="pass")
    assert b.gates_passed and not b.flagged("gate_failed") and b.flagged("gate_split")


def test_unanimous_gates_give_no_flag():
    a = agg(gate_app({"E1": True, "E2": True}))
    assert a.gates_passed and a.flags == ()
    assert any("均经多数专家判定通过" in r.zh for r in a.reasons)


# ---------------------------------------------------------------- items and tiers


def item(accepted: bool, tier: str | None = None, reason: str = "") -> dict:
    d = {"accepted": accepted, "reason": reason or ("" if accepted else "不符合")}
    if tier is not None:
        d["tier"] = tier
    return d


def items_app(decisions: dict[str, dict[str, dict]], declared: dict[str, str] | None = None) -> ApplicationScores:
    return ApplicationScores("A-001", {e: values(80, items=d) for e, d in decisions.items()},
                             items=("I1", "I2"), declared_tiers=declared or {})


def test_items_accepted_by_majority():
    a = agg(items_app({
        "E1": {"I1": item(True), "I2": item(False)},
        "E2": {"I1": item(True), "I2": item(False)},
        "E3": {"I1": item(False), "I2": item(True)},
    }))
    i1, i2 = a.items
    assert (i1.item, i1.accepted, i1.accepts, i1.rejects) == ("I1", True, ("E1", "E2"), ("E3",))
    assert (i2.item, i2.accepted) == ("I2", False)
    assert [i.item for i in a.accepted_items] == ["I1"]
    assert any("「I2」经多数专家判定不予认定（1 位认可、2 位不认可）" in r.zh for r in a.reasons)


def test_an_item_tie_is_rejected_by_default_and_stated():
    decisions = {"E1": {"I1": item(True), "I2": item(True)}, "E2": {"I1": item(False), "I2": item(True)}}
    a = agg(items_app(decisions))
    assert not a.items[0].accepted and a.items[0].tie and a.items[1].accepted
    [flag] = a.flagged("item_tie")
    assert flag.item == "I1" and "按平票规则不予认定" in flag.msg.zh and "item_tie = reject" in flag.msg.en
    b = agg(items_app(decisions), item_tie="accept")
    assert b.items[0].accepted and "按平票规则予以认定" in b.flagged("item_tie")[0].msg.zh


def test_an_item_tier_corrected_by_the_majority():
    """Declared national_regulation_lead; two of three accepting experts say the applicant only joined."""
    decisions = {
        "E1": {"I1": item(True, "national_regulation_join"), "I2": item(True)},
        "E2": {"I1": item(True, "national_regulation_join"), "I2": item(True)},
        "E3": {"I1": item(True), "I2": item(False)},  # keeps the declared tier
    }
    a = agg(items_app(decisions, {"I1": "national_regulation_lead", "I2": "provincial_regulation_lead"}))
    i1, i2 = a.items
    assert i1.tier == "national_regulation_join"
    assert i1.tier_votes == {"national_regulation_join": 2, "national_regulation_lead": 1}
    assert i2.tier == "provincial_regulation_lead"  # accepted 2 : 1, nobody named another tier
    assert any("由申报的 national_regulation_lead 经多数专家更正为 national_regulation_join" in r.zh for r in a.reasons)


def test_a_rejecting_expert_has_no_say_on_the_tier():
    decisions = {
        "E1": {"I1": item(True, "b")}, "E2": {"I1": item(True, "b")},
        "E3": {"I1": item(False, "a")}, "E4": {"I1": item(True, "a")},
    }
    a = aggregate_application(RUBRIC, ApplicationScores("A", {e: values(80, items=d) for e, d in decisions.items()},
                                                        items=("I1",)))
    assert a.items[0].tier == "b" and a.items[0].tier_votes == {"a": 1, "b": 2}


def test_a_tier_tie_takes_the_lower_tier_or_the_declared_one():
    decisions = {"E1": {"I1": item(True, "national_regulation_lead")}, "E2": {"I1": item(True, "national_regulation_join")}}
    order = ("national_regulation_join", "national_regulation_lead")  # from the lower amount up
    scores = ApplicationScores("A", {e: values(80, items=d) for e, d in decisions.items()}, items=("I1",),
                               declared_tiers={"I1": "national_regulation_lead"})
    low = aggregate_application(RUBRIC, scores, AggregationSettings(), tier_order=order)
    assert low.items[0].tier == "national_regulation_join" and low.items[0].tier_tie
    assert low.flagged("tier_tie")[0].item == "I1"
    declared = aggregate_application(RUBRIC, scores, AggregationSettings(tier_tie="declared"), tier_order=order)
    assert declared.items[0].tier == "national_regulation_lead"


def test_item_decisions_as_the_rubric_reads_them():
    from qbdesk.domain.rubric import ItemDecision

    decisions = {"E1": {"I1": ItemDecision(True, "", "b")}, "E2": {"I1": ItemDecision(True, "", "b")},
                 "E3": {"I1": ItemDecision(False, "过期")}}
    a = aggregate_application(RUBRIC, ApplicationScores("A", {e: values(80, items=d) for e, d in decisions.items()},
                                                        items=("I1",), declared_tiers={"I1": "a"}))
    assert a.items[0].accepted and a.items[0].tier == "b" and a.items[0].rejects == ("E3",)


def test_rubric_without_items_has_no_item_outcomes():
    a = aggregate_application(default_rubric("P8"), ApplicationScores("A", {"E1": {"results": 300}}))
    assert a.items == () and a.totals == {"E1": 300}


# ---------------------------------------------------------------- inputs, settings, program


def test_values_from_stored_score_rows():
    rows = [("quality", "", "55.5"), ("impact", "", "30"), ("eligibility", "", "true"),
            ("activities", "I1", json.dumps({"accepted": True, "reason": "", "tier": "t1"})),
            ("activities", "I2", json.dumps({"accepted": False, "reason": "过期"})), ("opinion", "", json.dumps("好"))]
    v = values_from_score_rows(rows)
    assert v["quality"] == 55.5 and v["eligibility"] is True and v["activities"]["I1"]["tier"] == "t1"
    a = aggregate_application(RUBRIC, ApplicationScores("A", {"E1": v}, items=("I1", "I2")))
    assert a.totals == {"E1": 85.5} and [i.accepted for i in a.items] == [True, False] and a.items[0].tier == "t1"


def test_settings_from_config_and_every_problem_named():
    s = AggregationSettings.from_config({"aggregation": "median", "item_tie": "accept", "deviation_points": 15})
    assert (s.method, s.item_tie, s.deviation_threshold(100)) == ("median", "accept", 15)
    assert AggregationSettings.from_config({}).deviation_threshold(1000) == 200
    with pytest.raises(QbdeskError) as e:
        AggregationSettings.from_config({"aggregation": "max", "item_tie": "coin", "deviation_share": 2,
                                         "min_experts": 0}, "P3")
    zh, en = e.value.text("zh"), e.value.text("en")
    for key in ("P3.aggregation", "P3.item_tie", "P3.deviation_share", "P3.min_experts"):
        assert key in zh and key in en
    assert "应为" in zh and "must be" in en


def test_program_lists_applications_by_id_and_gives_the_matrix():
    apps = [ApplicationScores("A-2", {"E1": values(70), "E2": values(80)}),
            ApplicationScores("A-1", {"E1": values(60), "E3": values(90)})]
    p = aggregate_program("P5", RUBRIC, apps)
    assert [a.application for a in p.applications] == ["A-1", "A-2"]
    assert p.totals_matrix() == {"A-1": {"E1": 60, "E3": 90}, "A-2": {"E1": 70, "E2": 80}}
    with pytest.raises(QbdeskError):
        aggregate_program("P5", RUBRIC, apps, AggregationSettings(method="max"))


def test_calibrated_aggregate_beside_the_raw_one():
    a = agg(app({"E1": 80, "E2": 70, "E3": 90, "E4": 60}))
    value, totals = with_calibrated(a, {"E1": 5, "E2": -5, "E3": 2.5, "E4": None}, "trimmed_mean")
    assert totals == {"E1": 75, "E2": 75, "E3": 87.5, "E4": 60}
    assert value == 74.375 and a.aggregate == 75


def test_plain_data_for_a_results_file():
    a = agg(app({"E1": 80.5, "E2": 60, "E3": 60, "E4": 60}, assigned={"E1", "E2", "E3", "E4", "E5"}))
    d = json.loads(json.dumps(a.to_data(), ensure_ascii=False))
    assert d["application"] == "A-001" and d["aggregate"] == 65.125 and d["counted"] == ["E1", "E2", "E3", "E4"]
    assert d["totals"] == {"E1": 80.5, "E2": 60, "E3": 60, "E4": 60}
    assert [(f["code"], f["expert"]) for f in d["flags"]] == [("missing", "E5"), ("deviation", "E1")]
    assert d["gates"][0] == {"criterion": "eligibility", "passed": True, "passes": ["E1", "E2", "E3", "E4"],
                             "fails": [], "tie": False}
    assert d["reasons"][0]["zh"].startswith("仅 4 位专家计分") and d["reasons"][0]["en"].startswith("only 4 experts")
