"""The expert draw as a pure algorithm: reproducible, conflict-free, balanced, reserves in order."""

from __future__ import annotations

import hashlib
import random
from collections import Counter

import pytest

from qbdesk.domain.draw import Candidate, draw, rng_for
from qbdesk.domain.messages import QbdeskError
from qbdesk.domain.orgname import normalise_org

APPS = [("P3-001", "91440300MA5DC0QX1A", normalise_org("深圳市甲科技有限公司")),
        ("P3-002", "91440300MA5DC0QX2B", normalise_org("乙电子（深圳）有限公司"))]


def pool(n: int, orgs: int) -> list[Candidate]:
    return [Candidate(f"E{i:02d}", normalise_org(f"第{i % orgs}研究院")) for i in range(n)]


def test_same_seed_same_pool_same_panel_whatever_the_order():
    experts = pool(12, 12)
    a = draw("P3", experts, APPS, count=5, reserve=2, seed=20261201)
    b = draw("P3", list(reversed(experts)), list(reversed(APPS)), count=5, reserve=2, seed=20261201)
    assert a == b
    assert len(set(a.drawn + a.reserve)) == 7


def test_different_seeds_differ():
    experts = pool(20, 20)
    panels = {draw("P3", experts, APPS, count=5, seed=s).drawn for s in range(20)}
    assert len(panels) > 15


def test_the_documented_recipe_reproduces_the_draw():
    """An auditor with Python alone: sort, shuffle with the derived seed, one per organisation first."""
    experts = pool(9, 9)
    got = draw("P5", experts, APPS, count=4, reserve=3, seed=7)
    n = int.from_bytes(hashlib.sha256(b"qbdesk.draw/1\nP5\n7").digest(), "big")
    order = sorted(c.id for c in experts)
    random.Random(n).shuffle(order)
    assert got.drawn == tuple(order[:4]) and got.reserve == tuple(order[4:7])
    assert rng_for("P5", 7).random() == random.Random(n).random()


def test_conflicted_experts_are_skipped_with_the_reason():
    experts = [
        Candidate("E01", normalise_org("甲科技（深圳）有限公司")),  # works for the applicant of P3-001
        Candidate("E02", normalise_org("深圳大学"), declared_codes=frozenset({"91440300MA5DC0QX2B"})),
        Candidate("E03", normalise_org("清华大学"), declared_orgs=frozenset({normalise_org("乙电子有限公司")})),
        Candidate("E04", normalise_org("某研究院")),
        Candidate("E05", normalise_org("某协会")),
        Candidate("E06", normalise_org("某检测中心")),  # recused on record
        Candidate("E07", normalise_org("某计量院")),
    ]
    d = draw("P3", experts, APPS, count=2, reserve=1, seed=1, recorded=[("E06", "P3-002", "recusal")])
    assert [(s.expert, s.reason, s.applications) for s in d.skipped] == [
        ("E01", "same_org", ("P3-001",)), ("E02", "declared_code", ("P3-002",)),
        ("E03", "declared_org", ("P3-002",)), ("E06", "recusal", ("P3-002",))]
    assert set(d.drawn + d.reserve) == {"E04", "E05", "E07"}
    assert d.pool == tuple(f"E0{i}" for i in range(1, 8))
    assert "与申报单位同单位（P3-001）" in d.skipped[0].msg().zh


def test_organisations_balanced_where_the_pool_allows():
    experts = pool(12, 4)  # 4 organisations, 3 experts each
    for seed in range(30):
        d = draw("P3", experts, APPS, count=4, reserve=4, seed=seed)
        org = {c.id: c.org for c in experts}
        assert len({org[e] for e in d.drawn}) == 4  # no two from one organisation
        assert len({org[e] for e in d.reserve}) == 4  # reserves: the second of each, in order
    six = draw("P3", experts, APPS, count=6, seed=3)
    assert sorted(Counter({c.id: c.org for c in experts}[e] for e in six.drawn).values()) == [1, 1, 2, 2]


def test_no_organisation_is_never_a_match():
    experts = [Candidate(f"E{i}", "") for i in range(4)]
    assert len(draw("P3", experts, APPS, count=4, seed=0).drawn) == 4


def test_too_small_a_pool_says_so():
    experts = pool(4, 4) + [Candidate("E99", normalise_org("甲科技有限公司"))]
    with pytest.raises(QbdeskError) as e:
        draw("P3", experts, APPS, count=4, reserve=2, seed=1)
    assert e.value.msg.zh == "P3 的专家库不足：共 5 人，回避 1 人，可抽 4 人，而需要抽取 4 人、候补 2 人"
    assert "the P3 pool is too small: 5 experts, 1 skipped for conflicts, 4 eligible" in e.value.msg.en
    with pytest.raises(QbdeskError):
        draw("P3", experts, APPS, count=0, seed=1)


def test_the_recipe_in_the_docs_reproduces_a_balanced_draw():
    """docs/results.md gives an auditor a Python function; it must give what qbdesk drew."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "results.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scope: dict = {}
    exec(code, scope)  # our own documentation, run as written
    experts = pool(14, 5) + [Candidate("E90", ""), Candidate("E91", "")]
    for seed in (0, 7, 20261201):
        d = draw("P5", experts, APPS, count=6, reserve=4, seed=seed)
        expected = scope["order"]("P5", seed, [(c.id, c.org) for c in experts])
        assert list(d.drawn + d.reserve) == expected[:10]
