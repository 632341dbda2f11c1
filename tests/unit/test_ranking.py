"""domain.ranking: the order, each tie-break level, exact pass lines, the unranked and the verified."""

from __future__ import annotations

from qbdesk.domain.aggregation import ApplicationScores, aggregate_program
from qbdesk.domain.ranking import rank_program, verified_order
from qbdesk.domain.rubric import default_rubric

RUBRIC = default_rubric("P2")  # key criterion: quality_results (max 25)


def _values(total: float, key: float) -> dict:
    out, left = {"quality_results": key}, total - key
    for c in RUBRIC.score_criteria:
        if c.id != "quality_results":
            out[c.id] = v = min(c.max, left)
            left -= v
    assert abs(left) < 1e-9
    return out | {c.id: True for c in RUBRIC.check_criteria}


def _program(rows: dict[str, list[tuple[float, float]]]):
    apps = [ApplicationScores(a, {f"E{n}": _values(t, k) for n, (t, k) in enumerate(marks)}) for a, marks in rows.items()]
    return aggregate_program("P2", RUBRIC, apps).applications


def test_higher_aggregate_then_key_criterion_then_earlier_id():
    aggs = _program({"A3": [(80, 20)] * 3, "A1": [(80, 20)] * 3, "A2": [(80, 24)] * 3, "A0": [(80.5, 6)] * 3,
                     "A9": []})
    ranked = rank_program(aggs, method="trimmed_mean", key_criterion="quality_results", pass_threshold=70)
    assert [(r.application, r.rank, r.tie_break) for r in ranked] == [
        ("A0", 1, None), ("A2", 2, "key_criterion"), ("A1", 3, "key_criterion"), ("A3", 4, "application_id"),
        ("A9", None, None)]
    by = {r.application: r for r in ranked}
    assert "ranked ahead of A1" in by["A2"].reasons[-1].en and "(24 against 20)" in by["A2"].reasons[-1].en
    assert "按申报编号先后排在 A1 之后" in by["A3"].reasons[-1].zh
    assert by["A9"].reasons[0].en == "no expert counted: not ranked" and not by["A9"].passed_threshold


def test_the_order_is_exact_not_floating_point():
    # 0.1 + 0.2 = 0.3 in decimals; in floats 20 + 20.1 + 20.2 + 10 is 70.30000000000001 and 20.2 + 20.1 + 20 + 10
    # is 70.3: the decimals are equal, so the key criterion decides, and both reach a 70.3 line
    a = {"quality_results": 20, "problem_significance": 20.1, "innovation": 20.2, "application": 10, "team_basis": 0}
    b = {"quality_results": 21, "problem_significance": 19.1, "innovation": 20.2, "application": 10, "team_basis": 0}
    apps = [ApplicationScores("B1", {"E1": a, "E2": a}), ApplicationScores("B2", {"E1": b, "E2": b})]
    aggs = aggregate_program("P2", RUBRIC, apps).applications
    ranked = rank_program(aggs, method="mean", key_criterion="quality_results", pass_threshold=70.3)
    assert [(r.application, r.tie_break) for r in ranked] == [("B2", "key_criterion"), ("B1", "key_criterion")]
    assert all(r.passed_threshold for r in ranked)


def test_pass_line_and_key_minimum_at_the_boundary():
    aggs = _program({"C1": [(70, 19)] * 3, "C2": [(69.5, 25)] * 3})
    ranked = {r.application: r for r in rank_program(aggs, method="mean", key_criterion="quality_results",
                                                      pass_threshold=70, key_minimum=19)}
    assert ranked["C1"].passed_threshold and ranked["C1"].key_criterion_met
    assert not ranked["C2"].passed_threshold and ranked["C2"].key_criterion_met


def test_a_verified_program_is_listed_by_id_without_ranks():
    aggs = _program({"V2": [(90, 20)], "V1": [(10, 1)]})
    listed = verified_order(aggs, method="mean", key_criterion="quality_results")
    assert [(r.application, r.rank, r.passed_threshold) for r in listed] == [("V1", None, True), ("V2", None, True)]
