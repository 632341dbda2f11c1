"""Funding rules of the nine programs: one test per seed sentence, then caps, boundaries, properties.

The seed sentences are quoted from chapter 4 of the Operating Procedures
(seed/000_a90d96f41d9d39c4.txt).
"""

from __future__ import annotations

from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qbdesk.domain.funding import (
    CAP_CODES,
    FundingRequest,
    PriorGrants,
    allocate,
    article_label,
    describe_rule,
    format_amount,
    recommend,
)
from qbdesk.domain.messages import QbdeskError
from qbdesk.domain.programs import PROGRAM_CODES, ProgramSettings, Tier, program


def rec(code: str, **kw):
    kw.setdefault("gate_passed", True)
    return recommend(ProgramSettings(code, budget=kw.pop("budget", None)), **kw)


# --- one test per seed sentence --------------------------------------------------------


def test_p1_fixed_3_million():
    """P1 (第八条第一款): "…有效增强产业竞争力的组织，予以300万元资助。" """
    d = rec("P1")
    assert d.amount == d.rule_amount == 3_000_000
    assert d.capped_by == ()
    assert "第八条第一款" in d.reasons[0].zh and "300万元" in d.reasons[0].zh
    assert "Art. 8(1)" in d.reasons[0].en and "3,000,000 yuan" in d.reasons[0].en


def test_p2_fixed_300_thousand():
    """P2 (第八条第二款): "对开展关键共性质量技术攻关和质量管理理论与方法创新的组织，予以30万元资助。" """
    assert rec("P2").amount == 300_000


def test_p3_per_certificate_at_most_50_thousand_three_a_year():
    """P3 (第八条第三款): "每获一张认证证书，予以不超过5万元资助，每家企业每年资助不超过3项。" """
    d = rec("P3", accepted_items=2)
    assert d.amount == 100_000
    assert d.items_granted == 2
    assert d.reasons[0].zh == "按第八条第三款，每张认证证书不超过5万元，认可2张，计10万元"
    assert d.reasons[0].en == "Art. 8(3): at most 50,000 yuan per certificate, 2 accepted, 100,000 yuan"


def test_p4_per_accreditation_at_most_300_thousand_two_a_year():
    """P4 (第九条第一款): "每获得一个国家或国际机构认可资质，予以不超过30万元资助，每家企业每年资助不超过2项。" """
    assert rec("P4", accepted_items=1).amount == 300_000
    assert rec("P4", accepted_items=2).amount == 600_000


def test_p5_tiers_between_30_thousand_and_800_thousand():
    """P5 (第九条第二款): "…市级社会公用计量标准证书的组织，分别予以3万元至80万元资助。" """
    amounts = {key: rec("P5", tier=key).amount for key in program("P5").funding.default_tiers}
    assert all(30_000 <= a <= 800_000 for a in amounts.values())
    assert amounts["intl_regulation_lead"] == 800_000
    assert amounts["municipal_standard_certificate"] == 30_000


def test_p6_exactly_200_thousand_per_project_two_a_year():
    """P6 (第九条第三款): "每个项目资助20万元，每年每家单位资助不超过2项。" """
    d = rec("P6", accepted_items=1)
    assert d.amount == 200_000
    assert "每个项目资助20万元" in d.reasons[0].zh and "不超过" not in d.reasons[0].zh
    assert rec("P6", accepted_items=2).amount == 400_000


def test_p7_tiers_between_100_thousand_and_3_million():
    """P7 (第十条第一款): "对获得国家、省、市政府质量品牌荣誉的单位，分别予以10万元至300万元质量工作资助。" """
    amounts = {key: rec("P7", tier=key).amount for key in program("P7").funding.default_tiers}
    assert all(100_000 <= a <= 3_000_000 for a in amounts.values())
    assert amounts["national_award"] == 3_000_000
    assert amounts["municipal_other"] == 100_000


def test_p8_fixed_300_thousand():
    """P8 (第十条第二款): "对按照卓越绩效管理国家标准评价达到较高成熟度的组织，予以30万元资助。" """
    assert rec("P8").amount == 300_000


def test_p9_fixed_500_thousand():
    """P9 (第十条第三款): "…品牌要素高端、品牌价值领先的组织，予以50万元支持。" """
    assert rec("P9").amount == 500_000


# --- per-year caps and boundaries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "per", "cap"), [("P3", 50_000, 3), ("P4", 300_000, 2), ("P6", 200_000, 2)]
)
def test_year_cap_boundary(code, per, cap):
    at_cap = rec(code, accepted_items=cap)
    assert at_cap.amount == cap * per and "year_cap" not in at_cap.capped_by
    over = rec(code, accepted_items=cap + 1)
    assert over.amount == cap * per and over.capped_by == ("year_cap",)
    assert over.items_granted == cap


def test_p3_third_certificate_granted_fourth_not():
    third = rec("P3", accepted_items=1, prior_grants=PriorGrants(items=2, amount=100_000))
    assert third.amount == 50_000 and third.capped_by == ()
    fourth = rec("P3", accepted_items=1, prior_grants=PriorGrants(items=3, amount=150_000))
    assert fourth.amount == 0 and fourth.capped_by == ("year_cap",)


def test_prior_grants_earlier_in_year_reduce_the_cap():
    d = rec("P3", accepted_items=3, prior_grants=PriorGrants(items=2, amount=80_000))
    assert d.amount == 50_000 and d.items_granted == 1
    assert "已获本项目资助2项" in d.reasons[0].zh and "尚可资助1项" in d.reasons[0].zh
    assert "1 left" in d.reasons[0].en


def test_p4_two_versus_three():
    assert rec("P4", accepted_items=2).amount == 600_000
    assert rec("P4", accepted_items=3).amount == 600_000
    assert rec("P4", accepted_items=1, prior_grants=PriorGrants(1, 300_000)).amount == 300_000
    assert rec("P4", accepted_items=1, prior_grants=PriorGrants(2, 600_000)).amount == 0


def test_p6_two_projects_a_year():
    assert rec("P6", accepted_items=3).amount == 400_000
    assert rec("P6", accepted_items=2, prior_grants=PriorGrants(1, 200_000)).amount == 200_000
    assert rec("P6", accepted_items=1, prior_grants=PriorGrants(2, 400_000)).amount == 0


def test_per_item_program_with_no_accepted_items_gets_nothing():
    d = rec("P3", accepted_items=0)
    assert d.amount == 0 and d.capped_by == ("no_items",)


def test_fixed_programs_note_prior_grants_but_have_no_year_cap():
    d = rec("P2", prior_grants=PriorGrants(1, 300_000))
    assert d.amount == 300_000 and d.capped_by == ()
    assert any("规程未对本项目设年度上限" in r.zh for r in d.reasons)


# --- tiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["P5", "P7"])
def test_every_default_tier_gives_its_amount(code):
    f = program(code).funding
    for key, tier in f.default_tiers.items():
        d = rec(code, tier=key)
        assert d.amount == tier.amount
        assert f.min <= d.amount <= f.max
        assert tier.zh in d.reasons[0].zh and tier.en in d.reasons[0].en


def test_round_tier_table_overrides_the_default():
    tiers = MappingProxyType(
        {"gold": Tier("gold", 2_000_000, "金", "gold"), "silver": Tier("silver", 150_000, "银", "silver")}
    )
    s = ProgramSettings("P7", tiers=tiers)
    assert s.validate() == []
    assert recommend(s, gate_passed=True, tier="gold").amount == 2_000_000
    d = recommend(s, gate_passed=True, tier="national_award")  # a default key, not in this round's table
    assert d.amount == 0 and d.capped_by == ("tier_unknown",)
    assert "gold" in describe_rule("P7", s).en and "national_award" not in describe_rule("P7", s).en


@pytest.mark.parametrize(("code", "amount"), [("P5", 29_999), ("P5", 800_001), ("P7", 99_999), ("P7", 3_000_001)])
def test_tier_override_outside_seed_range_is_rejected(code, amount):
    s = ProgramSettings(code, tiers={"x": Tier("x", amount, "x", "x")})
    errors = s.validate()
    assert len(errors) == 1 and "outside the range the Operating Procedures set" in errors[0].en and "超出" in errors[0].zh
    with pytest.raises(QbdeskError) as e:
        recommend(s, gate_passed=True, tier="x")
    assert "本轮项目配置无效" in e.value.msg.zh and "invalid program settings" in e.value.msg.en


@pytest.mark.parametrize("code", ["P5", "P7"])
def test_tier_override_at_the_seed_range_ends_is_accepted(code):
    f = program(code).funding
    s = ProgramSettings(code, tiers={"lo": Tier("lo", f.min, "低", "low"), "hi": Tier("hi", f.max, "高", "high")})
    assert s.validate() == []
    assert recommend(s, gate_passed=True, tier="lo").amount == f.min
    assert recommend(s, gate_passed=True, tier="hi").amount == f.max


def test_tier_table_on_a_non_tiered_program_is_rejected():
    assert ProgramSettings("P1", tiers={"x": Tier("x", 100_000, "x", "x")}).validate()


@pytest.mark.parametrize("tier", [None, "no_such_tier"])
def test_missing_or_unknown_tier_gives_nothing_with_a_reason(tier):
    d = rec("P5", tier=tier)
    assert d.amount == 0 and d.capped_by == ("tier_unknown",)
    assert "不予资助" in d.reasons[0].zh and "not funded" in d.reasons[0].en


# --- gates, requested, budget ---------------------------------------------------------------


@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_gate_fail_gives_nothing(code):
    d = recommend(ProgramSettings(code), gate_passed=False, accepted_items=2, tier="national_award")
    assert d.amount == 0 and d.capped_by == ("gate",)
    assert "资格审查" in d.reasons[0].zh


def test_below_threshold_gives_nothing_and_names_the_threshold():
    d = recommend(ProgramSettings("P2", pass_threshold=75), gate_passed=True, passed_threshold=False)
    assert d.amount == 0 and d.capped_by == ("threshold",)
    assert "75分" in d.reasons[0].zh and "75" in d.reasons[0].en


def test_gate_and_threshold_both_reported():
    assert rec("P1", gate_passed=False, passed_threshold=False).capped_by == ("gate", "threshold")


def test_requested_below_rule_gives_requested():
    d = rec("P1", requested_amount=2_000_000)
    assert d.amount == 2_000_000 and d.rule_amount == 3_000_000 and d.capped_by == ("requested",)
    # "不超过5万元" per certificate: asking less per certificate is granted as asked
    assert rec("P3", accepted_items=3, requested_amount=90_000).amount == 90_000
    assert rec("P3", accepted_items=1, requested_amount=60_000).amount == 50_000  # asking more changes nothing


def test_requested_zero_gives_zero():
    assert rec("P9", requested_amount=0).amount == 0


def test_budget_exhausted_gives_nothing():
    for remaining in (0, -5):
        d = rec("P2", remaining_budget=remaining)
        assert d.amount == 0 and d.capped_by == ("budget",)
        assert "预算已用完" in d.reasons[-2].zh


def test_partial_budget_gives_partial_amount():
    d = rec("P7", tier="national_award", remaining_budget=1_234_500)
    assert d.amount == 1_234_500 and d.capped_by == ("budget",)
    assert "123.45万元" in d.reasons[-2].zh and "1,234,500 yuan" in d.reasons[-2].en


def test_settings_budget_applies_when_no_remainder_is_given():
    assert rec("P1", budget=1_000_000).amount == 1_000_000
    assert rec("P1", budget=1_000_000, remaining_budget=400_000).amount == 400_000


def test_caps_apply_in_order_requested_then_budget():
    d = rec("P4", accepted_items=3, requested_amount=500_000, remaining_budget=450_000)
    assert d.amount == 450_000 and d.capped_by == ("year_cap", "requested", "budget")
    assert d.reasons[-1].zh == "建议资助45万元" and d.reasons[-1].en == "Recommended: 450,000 yuan"


def test_a_cut_per_item_grant_counts_only_the_items_it_pays_for():
    d = rec("P3", accepted_items=3, remaining_budget=60_000)
    assert d.amount == 60_000 and d.items_granted == 2


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"accepted_items": -1},
        {"requested_amount": -100},
        {"requested_amount": 1.5},
        {"prior_grants": PriorGrants(items=-1)},
        {"prior_grants": PriorGrants(amount=-1)},
    ],
)
def test_bad_numbers_are_clear_errors(kw):
    with pytest.raises(QbdeskError) as e:
        rec("P3", **kw)
    assert "非负整数" in e.value.msg.zh and "non-negative integer" in e.value.msg.en


def test_unknown_program_is_a_clear_error():
    with pytest.raises(QbdeskError) as e:
        recommend(ProgramSettings("P10"), gate_passed=True)
    assert "P10" in e.value.msg.zh and "P10" in e.value.msg.en
    with pytest.raises(QbdeskError):
        describe_rule("X")


# --- allocation over a ranked list ---------------------------------------------------------


def test_allocate_shares_the_year_cap_between_applications_of_one_enterprise():
    code = "91440300708461136T"
    ranked = [
        FundingRequest("a", code, True, accepted_items=2),
        FundingRequest("b", " 91440300708461136t ", True, accepted_items=2),  # same code, unnormalised
        FundingRequest("c", "9144030071526726XG", True, accepted_items=2),
    ]
    out = allocate(ProgramSettings("P3"), ranked, prior={code: PriorGrants(0, 0)})
    assert [d.amount for _, d in out] == [100_000, 50_000, 100_000]
    assert out[1][1].capped_by == ("year_cap",)


def test_allocate_counts_earlier_rounds_of_the_year():
    out = allocate(
        ProgramSettings("P4"), [FundingRequest("a", "9144030071526726XG", True, accepted_items=2)],
        prior={"9144030071526726xg": PriorGrants(1, 300_000)},
    )
    assert out[0][1].amount == 300_000


def test_allocate_spends_the_budget_in_rank_order():
    ranked = [FundingRequest(str(i), f"code{i}", True) for i in range(4)]
    out = allocate(ProgramSettings("P2", budget=700_000), ranked)
    assert [d.amount for _, d in out] == [300_000, 300_000, 100_000, 0]
    assert out[3][1].capped_by == ("budget",)


def test_allocate_skips_failed_applications_without_spending():
    ranked = [FundingRequest("x", "c1", False), FundingRequest("y", "c2", True, passed_threshold=False),
              FundingRequest("z", "c3", True)]
    out = allocate(ProgramSettings("P8", budget=300_000), ranked)
    assert [d.amount for _, d in out] == [0, 0, 300_000]


# --- wording --------------------------------------------------------------------------------


def test_article_and_amount_wording():
    assert article_label("8(3)").zh == "第八条第三款" and article_label("10(1)").zh == "第十条第一款"
    assert article_label("9(2)").en == "Art. 9(2)"
    assert [format_amount(a).zh for a in (50_000, 3_000_000, 15_000, 500, 0)] == ["5万元", "300万元", "1.5万元", "500元", "0元"]
    assert format_amount(3_000_000).en == "3,000,000 yuan"


@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_every_rule_is_described_in_both_languages(code):
    m = describe_rule(code)
    assert m.zh.startswith(article_label(program(code).article).zh)
    assert m.en.startswith(article_label(program(code).article).en)
    assert "万元" in m.zh and "yuan" in m.en


# --- properties ------------------------------------------------------------------------------

tiered_keys = sorted(set(program("P5").funding.default_tiers) | set(program("P7").funding.default_tiers))
amounts = st.none() | st.integers(min_value=0, max_value=5_000_000)


@given(
    code=st.sampled_from(PROGRAM_CODES),
    gate=st.booleans(),
    passed=st.booleans(),
    items=st.integers(min_value=0, max_value=10),
    tier=st.none() | st.sampled_from(tiered_keys) | st.text(max_size=5),
    requested=amounts,
    prior_items=st.integers(min_value=0, max_value=5),
    budget=st.none() | st.integers(min_value=-1_000_000, max_value=5_000_000),
)
def test_amount_stays_inside_every_cap(code, gate, passed, items, tier, requested, prior_items, budget):
    f = program(code).funding
    d = recommend(
        ProgramSettings(code),
        gate_passed=gate,
        passed_threshold=passed,
        accepted_items=items,
        tier=tier,
        requested_amount=requested,
        prior_grants=PriorGrants(prior_items, prior_items * 10_000),
        remaining_budget=budget,
    )
    assert isinstance(d.amount, int) and d.amount >= 0
    assert d.amount <= d.rule_amount
    assert budget is None or d.amount <= max(budget, 0)
    assert requested is None or d.amount <= requested
    assert set(d.capped_by) <= set(CAP_CODES)
    assert d.reasons and all(r.zh and r.en for r in d.reasons)
    if not (gate and (passed or ProgramSettings(code).verified)):  # a verified program has no pass threshold
        assert d.amount == 0
    if f.kind == "per_item":
        assert d.amount <= f.max_items_per_year * f.max_per_item
        assert d.amount <= max(0, f.max_items_per_year - prior_items) * f.max_per_item
        assert prior_items + d.items_granted <= max(prior_items, f.max_items_per_year)
        assert d.amount <= d.items_granted * f.max_per_item
    elif f.kind == "fixed":
        assert d.amount <= f.amount
    else:
        assert d.amount <= f.max
    # nothing capped it: the rule amount is granted whole
    if not d.capped_by:
        assert d.amount == d.rule_amount > 0


@given(
    ranked=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.booleans(), st.integers(0, 4), amounts), max_size=12
    ),
    budget=st.none() | st.integers(min_value=0, max_value=2_000_000),
)
def test_allocation_never_exceeds_budget_or_year_cap(ranked, budget):
    reqs = [FundingRequest(str(i), c, g, accepted_items=n, requested_amount=r) for i, (c, g, n, r) in enumerate(ranked)]
    out = allocate(ProgramSettings("P3", budget=budget), reqs)
    total = sum(d.amount for _, d in out)
    assert budget is None or total <= budget
    for c in "ABC":
        mine = [d for r, d in out if r.credit_code == c]
        assert sum(d.items_granted for d in mine) <= 3
        assert sum(d.amount for d in mine) <= 150_000
