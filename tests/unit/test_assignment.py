"""Assignment: never a conflict, balanced loads, deterministic for a seed, honest about gaps."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdesk.domain.assignment import ApplicationIn, ExpertIn, assign, find_conflicts

PROGRAMS = ("P1", "P2")


@st.composite
def rounds(draw, max_apps: int = 5, max_experts: int = 5, conflicts: bool = True):
    """Applications, experts and per-program k; conflicts through codes, declared names and employers."""
    n_apps = draw(st.integers(1, max_apps))
    n_experts = draw(st.integers(0, max_experts))
    orgs = [f"org{i}" for i in range(4)]
    apps = [ApplicationIn(id=10 + i, program=draw(st.sampled_from(PROGRAMS)), credit_code=f"CODE{i}",
                          org=draw(st.sampled_from(orgs))) for i in range(n_apps)]
    experts = []
    for j in range(n_experts):
        programs = frozenset(draw(st.lists(st.sampled_from(PROGRAMS), min_size=1, max_size=2)))
        codes = draw(st.frozensets(st.sampled_from([a.credit_code for a in apps]), max_size=2)) if conflicts else frozenset()
        declared = draw(st.frozensets(st.sampled_from(orgs), max_size=1)) if conflicts else frozenset()
        org = draw(st.sampled_from(orgs)) if conflicts else f"elsewhere{j}"
        experts.append(ExpertIn(id=100 + j, programs=programs, org=org, declared_codes=codes, declared_orgs=declared))
    modes = {p: draw(st.one_of(st.none(), st.integers(1, 3))) for p in PROGRAMS}
    return apps, experts, modes


def conflicted_pairs(apps, experts) -> set[tuple[int, int]]:
    """An independent statement of the conflict rule."""
    pairs = set()
    for e in experts:
        for a in apps:
            if a.credit_code in e.declared_codes or a.org in e.declared_orgs or a.org == e.org:
                pairs.add((e.id, a.id))
    return pairs


def allowed_experts(app, apps, experts) -> list[int]:
    bad = conflicted_pairs(apps, experts)
    return [e.id for e in experts if app.program in e.programs and (e.id, app.id) not in bad]


def spread(loads: dict[int, int]) -> int:
    return max(loads.values()) - min(loads.values()) if loads else 0


def best_by_brute_force(program, k, apps, experts) -> tuple[int, int]:
    """(least sum of squared loads, least spread) over every valid assignment of one program."""
    panel = [e.id for e in experts if program in e.programs]
    mine = [a for a in apps if a.program == program]
    choices = []
    for a in mine:
        ok = allowed_experts(a, apps, experts)
        choices.append(list(itertools.combinations(ok, min(k, len(ok)))))
    best_sq, best_spread = None, None
    for combo in itertools.product(*choices):
        load = Counter({e: 0 for e in panel})
        for chosen in combo:
            load.update(chosen)
        sq = sum(v * v for v in load.values())
        sp = spread(dict(load))
        best_sq = sq if best_sq is None else min(best_sq, sq)
        best_spread = sp if best_spread is None else min(best_spread, sp)
    return best_sq or 0, best_spread or 0


@settings(max_examples=300, deadline=None)
@given(rounds(), st.integers(0, 2**32))
def test_properties_against_brute_force(case, seed) -> None:
    apps, experts, modes = case
    result = assign(apps, experts, modes, seed)
    bad = conflicted_pairs(apps, experts)
    assert {(c.expert_id, c.application_id) for c in result.conflicts} == bad
    assigned = [(e, a) for a, e in result.assignments]
    assert not set(assigned) & bad, "a conflicted expert was assigned"
    assert len(assigned) == len(set(assigned)), "an expert was assigned twice to one application"

    uncovered = {u.application_id: u for u in result.uncovered}
    by_id = {e.id: e for e in experts}
    for a in apps:
        mine = result.experts_of(a.id)
        ok = allowed_experts(a, apps, experts)
        assert all(a.program in by_id[e].programs for e in mine)
        k = modes[a.program]
        if k is None:
            assert sorted(mine) == sorted(ok)
            assert (a.id in uncovered) == (not ok)
        else:
            assert len(mine) == min(k, len(ok))
            assert (a.id in uncovered) == (len(ok) < k)
            if a.id in uncovered:
                u = uncovered[a.id]
                assert (u.needed, u.available) == (k, len(ok))

    for program in PROGRAMS:
        k = modes[program]
        if k is None or not any(a.program == program for a in apps):
            continue
        loads = result.loads[program]
        best_sq, best_spread = best_by_brute_force(program, k, apps, experts)
        assert sum(v * v for v in loads.values()) == best_sq
        if best_spread <= 1:  # balance is feasible: we must reach it
            assert spread(loads) <= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1, 12), st.integers(1, 4), st.integers(0, 1000))
def test_without_conflicts_loads_differ_by_at_most_one(n_apps, n_experts, k, seed) -> None:
    apps = [ApplicationIn(i, "P1", f"C{i}", f"applicant{i}") for i in range(n_apps)]
    experts = [ExpertIn(100 + j, frozenset({"P1"}), f"expert-org{j}") for j in range(n_experts)]
    result = assign(apps, experts, {"P1": k}, seed)
    assert spread(result.loads["P1"]) <= 1
    assert len(result.assignments) == n_apps * min(k, n_experts)


@settings(max_examples=100, deadline=None)
@given(rounds(max_apps=8, max_experts=6), st.integers(0, 2**32), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_input_order(case, seed, shuffler) -> None:
    apps, experts, modes = case
    first = assign(apps, experts, modes, seed)
    apps2, experts2 = list(apps), list(experts)
    shuffler.shuffle(apps2)
    shuffler.shuffle(experts2)
    second = assign(apps2, experts2, modes, seed)
    assert first == second


def test_different_seeds_can_differ() -> None:
    apps = [ApplicationIn(i, "P1", f"C{i}", f"a{i}") for i in range(10)]
    experts = [ExpertIn(100 + j, frozenset({"P1"}), f"e{j}") for j in range(7)]
    results = {tuple(assign(apps, experts, {"P1": 2}, seed).assignments) for seed in range(10)}
    assert len(results) > 1


def test_overall_load_is_balanced_across_programs() -> None:
    # Three experts on both panels, one application each needing one expert in P1 and P2 (two each):
    # every program is balanced whichever two get the work, overall only (2,1,1) is even.
    apps = [ApplicationIn(1, "P1", "C1", "a1"), ApplicationIn(2, "P1", "C2", "a2"),
            ApplicationIn(3, "P2", "C3", "a3"), ApplicationIn(4, "P2", "C4", "a4")]
    experts = [ExpertIn(100 + j, frozenset({"P1", "P2"}), f"e{j}") for j in range(3)]
    for seed in range(20):
        result = assign(apps, experts, {"P1": 1, "P2": 1}, seed)
        totals = Counter(e for _, e in result.assignments)
        assert sorted(totals[e.id] for e in experts) == [1, 1, 2]


def test_later_programs_even_out_earlier_choices() -> None:
    # P1 may go to any of three experts; P2 only to expert 100. Whoever got P1 first,
    # the final answer leaves 100 with P2 alone.
    apps = [ApplicationIn(1, "P1", "C1", "a1"), ApplicationIn(2, "P2", "C2", "a2")]
    experts = [ExpertIn(100, frozenset({"P1", "P2"}), "e0"), ExpertIn(101, frozenset({"P1"}), "e1"),
               ExpertIn(102, frozenset({"P1"}), "e2")]
    for seed in range(20):
        result = assign(apps, experts, {"P1": 1, "P2": 1}, seed)
        assert result.experts_of(2) == [100]
        assert result.experts_of(1) != [100]


def test_uncovered_application_says_why() -> None:
    apps = [ApplicationIn(1, "P1", "91440300000000000X", "acme"), ApplicationIn(2, "P1", "C2", "other"),
            ApplicationIn(3, "P4", "C3", "third")]
    experts = [
        ExpertIn(100, frozenset({"P1"}), "acme"),  # works for applicant 1
        ExpertIn(101, frozenset({"P1"}), "x", declared_codes=frozenset({"91440300000000000x"})),
        ExpertIn(102, frozenset({"P1"}), "y"),
    ]
    result = assign(apps, experts, {"P1": 2, "P4": 2}, seed=5)
    sources = {(c.expert_id, c.application_id): c.source for c in result.conflicts}
    assert sources == {(100, 1): "same_org", (101, 1): "declared_code"}
    assert result.experts_of(1) == [102]  # what can be assigned still is
    assert sorted(result.experts_of(2)) != []
    [u1, u3] = result.uncovered
    assert (u1.application_id, u1.needed, u1.panel_size, u1.conflicted, u1.available) == (1, 2, 3, 2, 1)
    assert "2 of them conflicted" in u1.reason().en and "须回避" in u1.reason().zh
    assert (u3.application_id, u3.panel_size) == (3, 0)
    assert "no experts" in u3.reason().en


def test_whole_panel_mode_and_recusals() -> None:
    apps = [ApplicationIn(1, "P8", "C1", "a"), ApplicationIn(2, "P8", "C2", "b")]
    experts = [ExpertIn(100 + j, frozenset({"P8"}), f"e{j}") for j in range(4)]
    result = assign(apps, experts, {}, excluded=[(101, 2)])
    assert result.experts_of(1) == [100, 101, 102, 103]
    assert result.experts_of(2) == [100, 102, 103]
    assert result.loads["P8"] == {100: 2, 101: 1, 102: 2, 103: 2}


def test_empty_names_never_conflict() -> None:
    apps = [ApplicationIn(1, "P1", "", "")]
    experts = [ExpertIn(100, frozenset({"P1"}), "", declared_codes=frozenset({""}), declared_orgs=frozenset({""}))]
    assert find_conflicts(apps, experts) == []


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        assign([ApplicationIn(1, "P1", "C", "a")], [], {"P1": 0})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_realistic_round_is_fast_and_balanced(seed: int) -> None:
    rng = random.Random(seed)
    apps = [ApplicationIn(i, f"P{1 + i % 9}", f"C{i}", f"org{rng.randrange(300)}") for i in range(900)]
    experts = [ExpertIn(1000 + j, frozenset(rng.sample([f"P{p}" for p in range(1, 10)], 3)),
                        f"org{rng.randrange(300)}", frozenset({f"C{rng.randrange(900)}"})) for j in range(60)]
    result = assign(apps, experts, {f"P{p}": 5 for p in range(1, 10)}, seed)
    assert not result.uncovered
    for loads in result.loads.values():
        assert spread(loads) <= 1
