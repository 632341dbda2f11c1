"""Rubrics: the nine shipped files, the canonical hash, validation errors, value validation."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qbdesk.domain.programs import PROGRAM_CODES, program
from qbdesk.domain.rubric import (
    ItemDecision,
    RubricError,
    canonical_json,
    content_hash,
    default_rubric,
    load_rubric,
    load_rubric_data,
    shipped_rubric,
)
from qbdesk.paths import resource_path

SRC = "resources/rubrics/2026.1/P8.json"
ITEM_PROGRAMS = {"P3", "P4", "P5", "P6", "P7"}
GBT19580 = [("leadership", 110), ("strategy", 90), ("customers_market", 90), ("resources", 130),
            ("process_management", 100), ("measurement_analysis_improvement", 80), ("results", 400)]


def archived(code: str):
    """The 2026.1 rubrics these tests were written against (kept for the rounds made with them)."""
    return shipped_rubric(code, "2026.1")


def data(code: str) -> dict[str, Any]:
    return archived(code).to_data()


def problems(d: Any, source: str = SRC, program: str | None = None) -> list[str]:
    with pytest.raises(RubricError) as e:
        load_rubric_data(d, source, program=program)
    return [str(p) for p in e.value.problems]


def idx(d: dict, cid: str) -> int:
    return next(i for i, c in enumerate(d["criteria"]) if c["id"] == cid)


# ---------------------------------------------------------------- the shipped rubrics


@pytest.mark.parametrize("folder", [(), ("2026.1",)], ids=["2026.2", "2026.1"])
@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_shipped_rubric_loads_and_is_complete(code: str, folder: tuple[str, ...]) -> None:
    r = load_rubric(resource_path("rubrics", *folder, f"{code}.json"), program=code)
    assert r.program == code and r.version == (folder[0] if folder else "2026.2") and r.title.zh and r.title.en
    assert r.source == "/".join(("resources/rubrics", *folder, f"{code}.json"))
    assert sum(c.max * c.weight for c in r.score_criteria) == r.total == (1000 if code == "P8" else 100)
    assert 1 <= len(r.check_criteria) <= 3
    assert len(r.score_criteria) >= 3
    assert (r.items_criterion is not None) == (code in ITEM_PROGRAMS)
    assert any(o.required and o.min_length > 0 for o in r.opinion_criteria)
    for c in r.criteria:
        assert c.name.zh and c.name.en and c.guidance.zh and c.guidance.en
    # every point on every score grid falls in exactly one band
    for c in r.score_criteria:
        n = int(Decimal(str(c.max)) / Decimal(str(c.step)))
        for k in range(n + 1):
            v = float(Decimal(str(c.step)) * k)
            assert sum(b.contains(v) for b in c.bands) == 1, (c.id, v)


def test_items_criterion_names_what_the_funding_counts() -> None:
    for code in ITEM_PROGRAMS:
        item = archived(code).items_criterion.item
        f = program(code).funding
        assert item.zh in (f.item_zh or f.tier_zh) or (f.item_zh or f.tier_zh).startswith(item.zh)


def test_p8_follows_the_seven_gbt19580_categories() -> None:
    r = archived("P8")
    assert [(c.id, c.max) for c in r.score_criteria] == GBT19580
    assert r.total == sum(m for _, m in GBT19580) == 1000
    assert [c.name.zh for c in r.score_criteria] == ["领导", "战略", "顾客与市场", "资源", "过程管理", "测量、分析与改进", "结果"]
    assert "19580" in r.basis.zh


def test_default_rubric_unknown_program() -> None:
    with pytest.raises(KeyError, match="P10"):
        default_rubric("P10")


def test_criterion_lookup() -> None:
    r = archived("P3")
    assert r.criterion("certificates").kind == "items"
    with pytest.raises(KeyError, match="nope"):
        r.criterion("nope")


# ---------------------------------------------------------------- canonical hash


def test_canonical_json_vector() -> None:
    assert canonical_json({"b": 10.0, "a": "中", "c": [1.5, True, None]}) == '{"a":"中","b":10,"c":[1.5,true,null]}'.encode()
    assert content_hash({"x": 1}) == hashlib.sha256(b'{"x":1}').hexdigest()


def test_hash_stable_under_reformatting(tmp_path: Path) -> None:
    original = archived("P8")
    raw = json.loads(resource_path("rubrics", "2026.1", "P8.json").read_text(encoding="utf-8"))

    def floats(v: Any) -> Any:  # 10 -> 10.0 everywhere a number is
        if isinstance(v, dict):
            return {k: floats(x) for k, x in reversed(list(v.items()))}  # and keys in another order
        if isinstance(v, list):
            return [floats(x) for x in v]
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    f = tmp_path / "P8.json"
    f.write_text(json.dumps(floats(raw), indent=7, ensure_ascii=True), encoding="utf-8-sig")
    assert load_rubric(f).content_hash == original.content_hash
    del raw["criteria"][idx(raw, "leadership")]["weight"]  # a default written or not is the same rubric
    assert load_rubric_data(raw, "x").content_hash == original.content_hash
    # a round stores to_data(); reading it back is the same version
    assert load_rubric_data(original.to_data(), "db").content_hash == original.content_hash
    assert load_rubric_data(original.to_data(), "db") == original


def _leaves(v: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(v, dict):
        return [p for k, x in v.items() for p in _leaves(x, (*path, k))]
    if isinstance(v, list):
        return [p for i, x in enumerate(v) for p in _leaves(x, (*path, i))]
    return [path]


def _changed(v: Any) -> Any:
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v + 0.5
    if isinstance(v, str):
        return v + "。"
    return 0  # None


def test_hash_changed_by_any_edit() -> None:
    d = data("P3")
    base = content_hash(d)
    seen = {base}
    for path in _leaves(d):
        e = copy.deepcopy(d)
        target = e
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = _changed(target[path[-1]])
        h = content_hash(e)
        assert h not in seen, path
        seen.add(h)


def test_rubric_hash_changes_with_a_valid_edit() -> None:
    d = data("P1")
    base = load_rubric_data(d, "x").content_hash
    for edit in (lambda e: e.update(version="2026.2"),
                 lambda e: e["criteria"][idx(e, "opinion")].update(min_length=60),
                 lambda e: e["criteria"][idx(e, "eligibility")].update(guidance_zh="另一说法"),
                 lambda e: e["comment_required"].update(at_or_above=0.9)):
        e = copy.deepcopy(d)
        edit(e)
        assert load_rubric_data(e, "x").content_hash != base


# ---------------------------------------------------------------- validation errors


def _crit(cid: str, fn: Callable[[dict], Any]) -> Callable[[dict], Any]:
    return lambda d: fn(d["criteria"][idx(d, cid)])


def _bands(cid: str, fn: Callable[[list], Any]) -> Callable[[dict], Any]:
    return lambda d: fn(d["criteria"][idx(d, cid)]["bands"])


# (mutation of P8's data, the field the problem must point at, a word the English message has)
P8_CASES = [
    ("unknown kind", _crit("strategy", lambda c: c.update(kind="grade")), "criteria[3].kind", "unknown criterion kind"),
    ("missing field", _crit("strategy", lambda c: c.pop("name_zh")), "criteria[3].name_zh", "missing"),
    ("missing max", _crit("strategy", lambda c: c.pop("max")), "criteria[3].max", "missing"),
    ("max zero", _crit("strategy", lambda c: c.update(max=0)), "criteria[3].max", "greater than 0"),
    ("max negative", _crit("strategy", lambda c: c.update(max=-90)), "criteria[3].max", "greater than 0"),
    ("max not a number", _crit("strategy", lambda c: c.update(max="90")), "criteria[3].max", "number"),
    ("step not dividing", _crit("strategy", lambda c: c.update(step=7)), "criteria[3].step", "does not divide"),
    ("weight zero", _crit("strategy", lambda c: c.update(weight=0)), "criteria[3].weight", "greater than 0"),
    ("band gap", _bands("strategy", lambda b: b[1].update(max=70)), "criteria[3].bands[1].max", "falls in no band"),
    ("band overlap", _bands("strategy", lambda b: b[0].update(min=75)), "criteria[3].bands[0].min", "overlapping"),
    ("band above max", _bands("strategy", lambda b: b[0].update(max=95)), "criteria[3].bands[0].max", "outside"),
    ("band below 0", _bands("strategy", lambda b: b[-1].update(min=-1)), "criteria[3].bands[5].min", "outside"),
    ("band not from 0", _bands("strategy", lambda b: b[-1].update(min=1)), "criteria[3].bands[5].min", "start at 0"),
    ("band short of max", _bands("strategy", lambda b: b[0].update(max=89)), "criteria[3].bands[0].max", "end at the maximum"),
    ("band inverted", _bands("strategy", lambda b: b[1].update(min=80, max=63)), "criteria[3].bands[1].max", "below the lower"),
    ("band off step", _bands("strategy", lambda b: b[1].update(max=80.5)), "criteria[3].bands[1].max", "not on the step"),
    ("band label missing", _bands("strategy", lambda b: b[2].pop("label_en")), "criteria[3].bands[2].label_en", "missing"),
    ("bands empty", _crit("strategy", lambda c: c.update(bands=[])), "criteria[3].bands", "non-empty list"),
    ("duplicate id", _crit("strategy", lambda c: c.update(id="leadership")), "criteria[3].id", "duplicates criteria[2].id"),
    ("bad id", _crit("strategy", lambda c: c.update(id="Strategy 2")), "criteria[3].id", "lower-case"),
    ("score sum", lambda d: d.update(total=900), "total", "not the declared total 900"),
    ("field of another kind", _crit("eligibility", lambda c: c.update(max=5)), "criteria[0].max", "does not apply"),
    ("unknown field", _crit("strategy", lambda c: c.update(setp=1)), "criteria[3].setp", "did you mean “step”"),
    ("unknown top field", lambda d: d.update(titel_zh="x"), "titel_zh", "did you mean “title_zh”"),
    ("wrong program code", lambda d: d.update(program="P10"), "program", "unknown program code"),
    ("empty version", lambda d: d.update(version=" "), "version", "non-empty text"),
    ("long version", lambda d: d.update(version="v" * 41), "version", "at most 40"),
    ("required not bool", _crit("eligibility", lambda c: c.update(required="yes")), "criteria[0].required", "true or false"),
    ("min_length negative", _crit("opinion", lambda c: c.update(min_length=-1)), "criteria[9].min_length", "whole number"),
    ("rule above 1", lambda d: d["comment_required"].update(at_or_above=95), "comment_required.at_or_above", "fraction"),
    ("rule inverted", lambda d: d["comment_required"].update(at_or_below=0.96), "comment_required.at_or_above", "greater than"),
    ("rule empty", lambda d: d.update(comment_required={}), "comment_required", "at_or_below"),
    ("criterion rule", _crit("results", lambda c: c.update(comment_required={"at_or_abve": 0.9})),
     "criteria[8].comment_required.at_or_abve", "did you mean"),
    ("items on a fixed program", lambda d: d["criteria"].insert(2, dict(data("P3")["criteria"][2])), "criteria[2].kind", "does not fund per item"),
    ("no criteria", lambda d: d.update(criteria=[]), "criteria", "non-empty list"),
    ("criterion not an object", lambda d: d["criteria"].append("opinion"), "criteria[10]", "JSON object"),
    ("basis alone", lambda d: d.pop("basis_en"), "basis_en", "go together"),
]


@pytest.mark.parametrize("name,mutate,path,word", P8_CASES, ids=[c[0] for c in P8_CASES])
def test_validation_error_names_file_and_field(name: str, mutate: Callable, path: str, word: str) -> None:
    d = data("P8")
    mutate(d)
    found = problems(d)
    hits = [p for p in found if p.startswith(f"{SRC}: {path}: ") and word in p]
    assert hits, f"no problem at {path} mentioning {word!r}; got {found}"
    assert len(found) == 1, found  # one mistake, one message: no cascades


def test_items_criterion_missing_on_a_per_item_program() -> None:
    d = data("P3")
    del d["criteria"][idx(d, "certificates")]
    assert problems(d, "resources/rubrics/2026.1/P3.json") == [
        "resources/rubrics/2026.1/P3.json: criteria: P3 按认证证书计算资助，须有一个 items 评分项逐项认定认证证书 / "
        "P3 funds per certificate, so the rubric needs an items criterion to accept or reject each certificate"
    ]


def test_two_items_criteria() -> None:
    d = data("P5")
    extra = dict(d["criteria"][idx(d, "activities")], id="more_activities")
    d["criteria"].append(extra)
    (p,) = problems(d, "P5.json")
    assert p.startswith(f"P5.json: criteria[{len(d['criteria']) - 1}].kind: ") and "only one items" in p


def test_wrong_program_for_the_slot(tmp_path: Path) -> None:
    f = tmp_path / "P4.json"
    f.write_text(resource_path("rubrics", "2026.1", "P3.json").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(f, program="P4")
    assert [p.path for p in e.value.problems] == ["program"]
    assert "for P3, not for P4" in str(e.value)


@pytest.mark.parametrize("fmt", ["qbdesk.rubric/2", "qbdesk.programs/1", None])
def test_unknown_format_stops_at_the_format(fmt: str | None) -> None:
    d = data("P1")
    d["criteria"] = "garbage"  # not reported: a different format may mean anything
    if fmt is None:
        del d["format"]
    else:
        d["format"] = fmt
    (p,) = problems(d)
    assert p.startswith(f"{SRC}: format: ") and "qbdesk.rubric/1" in p


def test_all_problems_are_reported_not_just_the_first() -> None:
    d = data("P8")
    d["criteria"][idx(d, "strategy")]["step"] = 7
    d["criteria"][idx(d, "resources")]["bands"][1]["max"] = 100
    d["criteria"][idx(d, "results")].pop("guidance_en")
    d["program"] = "P0"
    with pytest.raises(RubricError) as e:
        load_rubric_data(d, SRC)
    paths = [p.path for p in e.value.problems]
    assert paths == ["program", "criteria[3].step", "criteria[5].bands[1].max", "criteria[8].guidance_en"]
    text = e.value.text("en")
    assert text.startswith("the rubric has 4 problems:") and all(f"{SRC}: {p}" in text for p in paths)
    assert e.value.text("zh").startswith("评分细则有 4 处错误")
    for p in e.value.problems:  # both languages, always
        assert p.msg.zh and p.msg.en and any("\u4e00" <= ch <= "\u9fff" for ch in p.msg.zh)


def test_unknown_kind_does_not_cascade_into_the_total() -> None:
    d = data("P8")
    d["criteria"][idx(d, "results")]["kind"] = "scores"
    assert [p.split(": ")[1] for p in problems(d)] == ["criteria[8].kind"]


def test_root_not_an_object() -> None:
    assert problems([1, 2]) == [f"{SRC}: 评分细则应为 JSON 对象 / a rubric must be a JSON object"]


def test_malformed_json_reports_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "P2.json"
    f.write_text('{\n  "format": "qbdesk.rubric/1",\n  "program": "P2"\n  "version": "x"\n}', encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(f)
    (p,) = e.value.problems
    assert (p.line, p.column) == (4, 3)
    assert str(p).startswith(f"{f}:4:3: JSON 语法错误（第 4 行第 3 列）")
    assert "line 4, column 3" in p.msg.en


def test_duplicate_key_in_file(tmp_path: Path) -> None:
    text = resource_path("rubrics", "2026.1", "P8.json").read_text(encoding="utf-8")
    text = text.replace('"max": 110,', '"max": 110, "max": 120,', 1)
    f = tmp_path / "P8.json"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(f)
    assert any(p.path == "criteria[2].max" and "more than once" in p.msg.en for p in e.value.problems)


def test_nan_in_file(tmp_path: Path) -> None:
    text = resource_path("rubrics", "2026.1", "P8.json").read_text(encoding="utf-8").replace('"max": 110,', '"max": NaN,', 1)
    f = tmp_path / "P8.json"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(f)
    assert [(p.path, p.msg.en) for p in e.value.problems] == [("criteria[2].max", "must be a number")]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="cannot read"):
        load_rubric(tmp_path / "missing.json")
    f = tmp_path / "gbk.json"
    f.write_bytes('{"title_zh": "评分细则"}'.encode("gbk"))
    with pytest.raises(RubricError, match="not UTF-8"):
        load_rubric(f)


# ---------------------------------------------------------------- value validation


def test_score_values() -> None:
    c = archived("P3").criterion("coverage")  # max 20, step 0.5, comment at ≤ 4 or ≥ 19
    assert c.validate_value(12.5) is None and c.validate_value(10) is None
    assert "outside 0–20" in c.validate_value(20.5).en
    assert "outside" in c.validate_value(-0.5).en
    assert "multiple of the step 0.5" in c.validate_value(12.25).en
    assert "number" in c.validate_value("12").en and "number" in c.validate_value(True).en
    assert "number" in c.validate_value(float("nan")).en
    for extreme in (0, 4, 19, 20):
        m = c.validate_value(extreme)
        assert m and "comment is required" in m.en and "须填写评分理由" in m.zh
        assert c.validate_value(extreme, "证据不足") is None
    assert c.validate_value(4.5) is None and c.validate_value(18.5) is None
    assert c.validate_value(None).en == "“Coverage” is not filled in yet"
    assert c.band_for(18).label.zh == "优" and c.band_for(17.5).label.zh == "良" and c.band_for(0).label.zh == "差"


def test_comment_rule_per_criterion_overrides_the_rubric() -> None:
    d = data("P8")
    d["criteria"][idx(d, "results")]["comment_required"] = None
    d["criteria"][idx(d, "leadership")]["comment_required"] = {"at_or_above": 0.5}
    r = load_rubric_data(d, "x")
    assert r.criterion("results").validate_value(400) is None
    assert r.criterion("leadership").validate_value(55) is not None and r.criterion("leadership").validate_value(0) is None
    assert r.criterion("strategy").validate_value(0) is not None  # still the rubric's rule
    assert r.to_data()["criteria"][idx(d, "results")]["comment_required"] is None
    assert "comment_required" not in r.to_data()["criteria"][idx(d, "strategy")]


def test_check_values() -> None:
    c = archived("P1").criterion("eligibility")
    assert c.validate_value(True) is None
    assert "a fail needs a reason" in c.validate_value(False).en
    assert c.validate_value(False, "   ").zh == "「申报主体资格」判定为不通过时须说明理由"
    assert c.validate_value(False, "近三年有严重失信记录") is None
    assert "pass or fail" in c.validate_value("pass").en


def test_items_values() -> None:
    c = archived("P3").criterion("certificates")
    ok = {"1": ItemDecision(True), "2": {"accepted": False, "reason": "证书已过期"}}
    assert c.validate_value(ok, items=["1", "2"]) is None
    assert "certificate “2” is rejected and needs a reason" in c.validate_value({"2": ItemDecision(False, " ")}).en
    assert "no decision yet on certificate 3" in c.validate_value(ok, items=["1", "2", "3"]).en
    assert "not in the application: 2" in c.validate_value(ok, items=["1"]).en
    assert "not valid" in c.validate_value({"1": "yes"}).en
    assert "decision per certificate" in c.validate_value(["1"]).en
    assert c.validate_value({}, items=[]) is None


def test_opinion_values() -> None:
    c = archived("P2").criterion("opinion")  # required, at least 30 characters
    assert c.validate_value("该项目攻关问题明确，" * 3) is None
    m = c.validate_value("很好" + " " * 40)  # padding does not count
    assert m.en == "“Review opinion” needs at least 30 characters, it has 2"
    assert "not filled in" in c.validate_value("  \n").en
    d = data("P2")
    d["criteria"][idx(d, "opinion")].update(required=False, min_length=0)
    assert load_rubric_data(d, "x").criterion("opinion").validate_value("") is None


def test_rubric_validate_values_and_total() -> None:
    r = archived("P7")
    values = {"eligibility": True, "materials": True, "honours": {"a": ItemDecision(True)},
              "honour_level": 27, "quality_management": 20, "demonstration": 18.5, "funding_use": 15,
              "opinion": "获奖层级高，质量管理经验系统，示范作用明显，资金计划具体，建议资助。"}
    assert r.validate_values(values, items=["a"]) == []
    assert r.weighted_total(values) == 80.5
    bad = dict(values, funding_use=20.25, extra=1)
    del bad["opinion"]
    assert [cid for cid, _ in r.validate_values(bad, items=["a"])] == ["extra", "funding_use", "opinion"]
