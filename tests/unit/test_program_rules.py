"""Verified and scored programs, items that drive the money, key criteria: hand-computed cases."""

from __future__ import annotations

import pytest

from qbdesk.domain.funding import (
    CAP_CODES,
    FundingRequest,
    PriorGrants,
    accepted_tiers,
    allocate,
    recommend,
)
from qbdesk.domain.programs import PROGRAM_CODES, ProgramSettings, default_mode, default_pass_fraction
from qbdesk.domain.verified import allocate_verified

# Three enterprises (valid credit codes) applying to P3.
A, B, C = "91440300MA5DC1234W", "914403004JURQ283F0", "9144030071526726XG"


def p3_requests() -> list[FundingRequest]:
    return [FundingRequest("a", A, True, accepted_items=2),  # 2 × 50,000
            FundingRequest("b", B, True, accepted_items=1),  # 1 × 50,000
            FundingRequest("c", C, True, accepted_items=3)]  # 3 × 50,000


def test_modes_and_blindness_default_as_documented():
    assert [c for c in PROGRAM_CODES if default_mode(c) == "verified"] == ["P3", "P4", "P5", "P7"]
    for code in PROGRAM_CODES:
        s = ProgramSettings(code)
        assert s.blind is (s.mode == "scored")
        assert s.shortfall == "pro_rata" and s.max_activities is None
    assert default_pass_fraction("P1") == 0.75 and default_pass_fraction("P2") == 0.70
    assert default_pass_fraction("P3") is None


def test_verified_program_under_budget_pays_every_amount_in_full():
    out = allocate_verified(ProgramSettings("P3", budget=500_000), p3_requests())
    assert out.amounts() == {"a": 100_000, "b": 50_000, "c": 150_000}
    assert (out.eligible_total, out.granted_total, out.remainder) == (300_000, 300_000, 200_000)
    assert "足额资助" in out.note.zh and "paid in full" in out.note.en
    assert all("pro_rata" not in d.capped_by for _, d in out.decisions)


def test_verified_program_over_budget_is_scaled_pro_rata_to_the_yuan_and_the_remainder_stated():
    # 250,000 / 300,000: 100,000 -> 83,333.33 -> 83,333; 50,000 -> 41,666; 150,000 -> 125,000
    out = allocate_verified(ProgramSettings("P3", budget=250_000), p3_requests())
    assert out.amounts() == {"a": 83_333, "b": 41_666, "c": 125_000}
    assert out.granted_total == 249_999 and out.remainder == 1
    assert "1元未分配" in out.note.zh and "1 yuan left over" in out.note.en
    _, d = out.decisions[0]
    assert d.capped_by == ("pro_rata",) and d.rule_amount == 100_000
    assert "10万元折算为8.3333万元" in d.explain("zh")
    assert "scaled by budget ÷ total" in d.explain("en") and d.explain("en").endswith("Recommended: 83,333 yuan")


def test_verified_program_rank_order_shortfall_pays_in_the_order_given():
    out = allocate_verified(ProgramSettings("P3", budget=120_000, shortfall="rank_order"), p3_requests())
    assert out.amounts() == {"a": 100_000, "b": 20_000, "c": 0}
    assert out.remainder == 0 and "按排序" in out.note.zh


def test_a_verified_program_has_no_pass_threshold():
    d = recommend(ProgramSettings("P3"), gate_passed=True, passed_threshold=False, accepted_items=1)
    assert d.amount == 50_000 and "threshold" not in d.capped_by
    assert ProgramSettings("P3", pass_threshold=60).validate()[0].en.startswith("P3.pass_threshold: a verified program")
    # a scored program still applies it
    d = recommend(ProgramSettings("P2"), gate_passed=True, passed_threshold=False)
    assert d.amount == 0 and d.capped_by == ("threshold",)


def test_p5_sums_the_accepted_activities_at_their_own_tiers():
    # Declared: M1 national lead (500,000), M2 municipal standard certificate (30,000), M3 provincial lead;
    # the experts accepted M1 and M2 and rejected M3: only the accepted tiers are passed in.
    d = recommend(ProgramSettings("P5"), gate_passed=True,
                  accepted_tiers=["national_regulation_lead", "municipal_standard_certificate"])
    assert d.amount == d.rule_amount == 530_000 and d.items_granted == 2 and not d.capped_by
    assert "认可2项" in d.explain("zh") and "共53万元" in d.explain("zh")
    # the expert found the applicant only joined the national drafting: corrected tier, 200,000 + 30,000
    d = recommend(ProgramSettings("P5"), gate_passed=True,
                  accepted_tiers=["national_regulation_join", "municipal_standard_certificate"])
    assert d.amount == 230_000
    # nothing accepted: nothing paid
    d = recommend(ProgramSettings("P5"), gate_passed=True, accepted_tiers=[])
    assert d.amount == 0 and d.capped_by == ("no_items",)


def test_p5_activity_cap_per_enterprise_per_year_counts_earlier_rounds():
    s = ProgramSettings("P5", max_activities=2)
    d = recommend(s, gate_passed=True, prior_grants=PriorGrants(1, 200_000),
                  accepted_tiers=["municipal_standard_certificate", "national_regulation_lead"])
    assert d.amount == 500_000 and d.capped_by == ("year_cap",) and d.items_granted == 1
    assert ProgramSettings("P7", max_activities=1).validate()[0].en.startswith("P7.max_activities: applies to P5 only")


def test_p7_pays_the_highest_honour_of_the_year_and_a_move_up_gets_the_difference():
    s = ProgramSettings("P7")
    d = recommend(s, gate_passed=True, accepted_tiers=["municipal_award", "provincial_award"])
    assert d.amount == 500_000 and "同年多项按最高一项计" in d.explain("zh")
    # an earlier round of the year paid the municipal award (300,000); now the national nomination (1,000,000)
    d = recommend(s, gate_passed=True, accepted_tiers=["national_nomination"], prior_grants=PriorGrants(1, 300_000))
    assert d.amount == d.rule_amount == 700_000 and "晋升补足差额70万元" in d.explain("zh")
    # no move up: nothing more this year
    d = recommend(s, gate_passed=True, accepted_tiers=["municipal_award"], prior_grants=PriorGrants(1, 300_000))
    assert d.amount == 0 and d.capped_by == ("already_granted",)
    # allocate keeps the bookkeeping inside one round too
    out = allocate(s, [FundingRequest("x", A, True, accepted_tiers=("municipal_award",)),
                       FundingRequest("y", A, True, accepted_tiers=("provincial_award",))])
    assert [d.amount for _, d in out] == [300_000, 200_000]


def test_an_unknown_accepted_tier_is_not_counted_and_says_why():
    d = recommend(ProgramSettings("P5"), gate_passed=True, accepted_tiers=["nope", "municipal_standard_certificate"])
    assert d.amount == 30_000 and "tier_unknown" in d.capped_by and "nope" in d.explain("en")


def test_key_criterion_minimum_zeroes_a_passing_total():
    s = ProgramSettings("P1", pass_threshold=75, key_minimum=19)
    d = recommend(s, gate_passed=True, passed_threshold=True, key_criterion_met=False)
    assert d.amount == 0 and d.capped_by == ("key_criterion",)
    assert "关键评分项得分未达到本轮最低要求19分" in d.explain("zh")
    assert "below this round's minimum of 19" in d.explain("en")
    assert recommend(s, gate_passed=True, key_criterion_met=True).amount == 3_000_000
    assert {"key_criterion", "already_granted", "pro_rata"} <= set(CAP_CODES)


def test_2026_1_rules_keep_one_declared_tier_per_application():
    s = ProgramSettings("P5", mode="scored", rules="2026.1")
    d = recommend(s, gate_passed=True, passed_threshold=True, accepted_items=3, tier="national_regulation_lead")
    assert d.amount == 500_000 and d.items_granted == 1


@pytest.mark.parametrize(("field", "value", "en"), [
    ("mode", "competitive", "P3.mode: must be verified or scored"),
    ("shortfall", "lottery", "P3.shortfall: must be pro_rata or rank_order"),
    ("blind", "yes", "P3.blind: must be true or false"),
])
def test_bad_mode_settings_are_named(field, value, en):
    errors = ProgramSettings("P3", **{field: value}).validate()
    assert [e.en for e in errors if e.en.startswith(f"P3.{field}")][0].startswith(en)


def test_pass_threshold_above_the_rubric_total_is_refused():
    errors = ProgramSettings("P2", pass_threshold=170).validate(rubric_total=100)
    assert errors[0].zh == "P2.pass_threshold：及格线 170 超过评分细则总分 100"
    assert errors[0].en == "P2.pass_threshold: 170 is above the rubric's total of 100"


def test_accepted_tiers_keep_the_declared_tier_unless_the_expert_names_one():
    declared = {"M1": "national_regulation_lead", "M2": "municipal_standard_certificate", "M3": "provincial_regulation_lead"}
    decisions = {"M1": {"accepted": True, "reason": "", "tier": "national_regulation_join"},  # only joined
                 "M2": {"accepted": True, "reason": ""},
                 "M3": {"accepted": False, "reason": "不是近三年发布"}}
    tiers = accepted_tiers(declared, decisions)
    assert tiers == ("national_regulation_join", "municipal_standard_certificate")
    assert recommend(ProgramSettings("P5"), gate_passed=True, accepted_tiers=tiers).amount == 230_000
    assert accepted_tiers(declared, {}) == ()
