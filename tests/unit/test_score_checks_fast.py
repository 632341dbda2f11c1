"""check_scores' fast path (``_fast_rows``) against the exact, row-by-row one (``_checked_rows``).

The fast path may only ever answer what the exact path answers: on an honest file it must answer
(else the import is slow for nothing), and on every damaged one it must either step aside or give
the very same rows. Hundreds of random damages, over programs with and without items, tiers and
snapshot-local item ids, hold it to that.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from qbdesk.domain.rubric import default_rubric
from qbdesk.services import score_checks
from qbdesk.services.score_checks import DECLARATION_SHA256, AppContext, Rejection, check_scores

TIERS = frozenset({"national", "provincial"})


def _contexts() -> dict[str, AppContext]:
    apps: dict[str, AppContext] = {}
    n = 0
    for program, count in (("P1", 3), ("P3", 2), ("P5", 2), ("P9", 1)):
        rubric = default_rubric(program)
        for _ in range(count):
            n += 1
            items = tuple(f"I{k}" for k in range(1, 1 + n % 3 + (1 if program != "P1" else 0)))
            item_map = {i: f"CERT-{n}-{i}" for i in items} if program == "P5" else None
            apps[f"C{n:02d}"] = AppContext(n, f"APP-{n}", f"hash-{program}", rubric, items,
                                           TIERS if program == "P5" else frozenset(), item_map)
    return apps


def _value(c, rng: random.Random) -> Any:
    if c.kind == "check":
        return True
    if c.kind == "score":  # away from the extremes, which need a comment
        steps = round(c.max / c.step)
        value = rng.randint(steps * 13 // 20, steps * 4 // 5) * c.step
        return int(value) if float(value).is_integer() else value
    return "评审意见：" + "材料齐全，数据翔实，方案可行。" * 12


def _honest(apps: dict[str, AppContext], rng: random.Random) -> dict[str, Any]:
    scores = []
    for code, app in apps.items():
        for c in app.rubric.criteria:
            if c.kind == "items":
                for item in app.item_ids:
                    decision: dict[str, Any] = {"accepted": True, "reason": ""}
                    if app.tiers and rng.random() < 0.5:
                        decision["tier"] = "provincial"
                    scores.append({"application": code, "criterion": c.id, "item": item, "value": decision, "comment": ""})
            else:
                scores.append({"application": code, "criterion": c.id, "item": "", "value": _value(c, rng), "comment": ""})
    return {"declaration": {"accepted": True, "text_sha256": DECLARATION_SHA256},
            "rubrics": {code: app.rubric_hash for code, app in apps.items()}, "recusals": [], "scores": scores}


def _outcome(data: dict[str, Any], apps: dict[str, AppContext]) -> tuple:
    try:
        checked = check_scores(data, apps)
    except Rejection as r:
        return ("rejected", r.code, str(r.msg))
    return ("accepted", checked.scores, checked.recusals)


def _exact_outcome(data, apps, monkeypatch) -> tuple:
    """The exact path alone, with a memo of its own: what the fast path memoised cannot sway it."""
    with monkeypatch.context() as m:
        m.setattr(score_checks, "_fast_rows", lambda *a: None)
        m.setattr(score_checks, "VALIDATOR", score_checks._Validator())
        return _outcome(data, apps)


def test_an_honest_file_takes_the_fast_path_and_gets_the_exact_rows(monkeypatch):
    apps = _contexts()
    data = _honest(apps, random.Random(1))
    fast = score_checks._fast_rows(data["scores"], apps, {}, data["rubrics"])
    assert fast is not None
    assert _outcome(data, apps) == _exact_outcome(data, apps, monkeypatch) == ("accepted", fast, [])
    # snapshot-local item ids became the package's, as the exact path maps them
    for code in ("C06", "C07"):
        app = apps[code]
        assert {row[2] for row in fast if row[0] == app.application_id} - {""} == {f"CERT-{app.application_id}-{i}" for i in app.item_ids}


def _damage(data: dict[str, Any], apps: dict[str, AppContext], rng: random.Random) -> str:
    scores = data["scores"]
    i = rng.randrange(len(scores))
    row = scores[i]
    kind = rng.choice(["value", "value", "value", "comment", "order", "drop", "move", "split", "recuse",
                       "criterion", "item", "tier", "unscored", "duplicate_run"])
    if kind == "value":
        row["value"] = rng.choice([-1, 0, 1, 2.5, 3, 7, 10, 99, 1e9, True, False, "", "短", "x" * 200,
                                   {"accepted": True, "reason": ""}, {"accepted": False, "reason": ""},
                                   {"accepted": False, "reason": "不符合"}, {"accepted": True, "reason": "", "tier": "national"},
                                   {"accepted": True, "reason": "", "tier": "city"}, {}])
    elif kind == "comment":
        row["comment"] = rng.choice(["", " ", "理由充分", "\n"])
        row["value"] = rng.choice([False, 0, row["value"]])
    elif kind == "order":
        j = rng.randrange(len(scores))
        scores[i], scores[j] = scores[j], scores[i]
    elif kind == "drop":
        del scores[i]
    elif kind == "move":
        row["application"] = rng.choice(list(apps))
    elif kind == "split":
        scores.append(scores.pop(i))
    elif kind == "recuse":
        data["recusals"].append({"application": row["application"], "reason": "亲属关系"})
        if rng.random() < 0.5:
            code = row["application"]
            data["scores"] = [s for s in scores if s["application"] != code]
    elif kind == "criterion":
        row["criterion"] = rng.choice(["opinion", "eligibility", "nothing", row["criterion"] + "x"])
    elif kind == "item":
        row["item"] = rng.choice(["", "I1", "I9", "CERT-6-I1"])
    elif kind == "tier":
        if isinstance(row["value"], dict):
            row["value"]["tier"] = rng.choice(["city", "national", ""])
    elif kind == "unscored":
        code = rng.choice(list(apps))
        data["scores"] = [s for s in scores if s["application"] != code]
    elif kind == "duplicate_run":
        code = row["application"]
        scores.extend(copy.deepcopy([s for s in scores if s["application"] == code][:1]))
    return kind


@pytest.mark.parametrize("seed", range(8))
def test_the_fast_path_never_answers_otherwise_than_the_exact_one(seed, monkeypatch):
    apps = _contexts()
    rng = random.Random(seed)
    honest = _honest(apps, rng)
    answered = 0
    for _ in range(60):
        data = copy.deepcopy(honest)
        kinds = [_damage(data, apps, rng) for _ in range(rng.choice([1, 1, 2]))]
        if not data["scores"]:
            continue
        expected = _exact_outcome(data, apps, monkeypatch)
        assert _outcome(data, apps) == expected, kinds
        recused = {r["application"]: r["reason"] for r in data["recusals"]}
        answered += score_checks._fast_rows(data["scores"], apps, recused, data["rubrics"]) is not None
        if expected[0] == "rejected":  # what the exact path refuses, the fast one never accepts
            assert score_checks._fast_rows(data["scores"], apps, recused, data["rubrics"]) is None, kinds
    assert answered  # some damage leaves a file fine (a valid value for another): the fast path still answers


BAD_VALUES = [-1, 0, 2.5, 7, 99, True, False, "", "短", {"accepted": False, "reason": ""},
              {"accepted": True, "reason": "", "tier": "national"}, {"accepted": True, "reason": "", "tier": "city"}, {}]


def test_every_value_in_every_place(monkeypatch):
    """Each row of an honest file given each of a dozen values, valid or not for it: both paths agree."""
    apps = _contexts()
    honest = _honest(apps, random.Random(2))
    rejected = 0
    for i in range(len(honest["scores"])):
        for bad in BAD_VALUES:
            for comment in ("", "理由充分"):
                data = copy.deepcopy(honest)
                data["scores"][i].update(value=copy.deepcopy(bad), comment=comment)
                expected = _exact_outcome(data, apps, monkeypatch)
                assert _outcome(data, apps) == expected, (i, bad, comment)
                rejected += expected[0] == "rejected"
    assert rejected > len(honest["scores"]) * len(BAD_VALUES)


def test_an_item_id_that_reads_as_no_item_is_left_to_the_exact_path(monkeypatch):
    apps = _contexts()
    apps["C04"] = AppContext(4, "APP-4", apps["C04"].rubric_hash, apps["C04"].rubric, ("", "I2"))
    data = _honest(apps, random.Random(3))
    assert score_checks._fast_rows(data["scores"], apps, {}, data["rubrics"]) is None
    assert _outcome(data, apps) == _exact_outcome(data, apps, monkeypatch)
