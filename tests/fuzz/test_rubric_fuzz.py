"""Fuzz the rubric loader: a mutated rubric file is either a valid rubric or a RubricError naming file and field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from fuzzing import DELETE, ODD_NUMBERS, apply_changes, fuzz, json_values, mutate, mutations, paths, put
from hypothesis import given
from hypothesis import strategies as st

from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.domain.rubric import Rubric, RubricError, load_rubric, load_rubric_data
from qbdesk.paths import resource_path

SOURCE = "resources/rubrics/P{}.json"


@cache
def shipped(code: str) -> dict:
    return json.loads(resource_path("rubrics", f"{code}.json").read_text("utf-8"))


@cache
def places(code: str) -> list[tuple]:
    return paths(shipped(code))


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rubric")


def load(data, source: str, code: str) -> None:
    try:
        rubric = load_rubric_data(data, source, program=code)
    except RubricError as e:
        assert e.problems and e.msg.zh and e.msg.en
        for p in e.problems:
            assert p.source == source and p.msg.zh and p.msg.en
            assert source in p.text("zh") and source in p.text("en")
    else:
        assert isinstance(rubric, Rubric) and rubric.program == code
        assert len(rubric.content_hash) == 64  # a valid rubric can always be hashed and stored


values = json_values | ODD_NUMBERS | st.just(DELETE)


@fuzz(150)
@given(st.data())
def test_mutated_rubric_data(data):
    """Wrong types, missing fields, huge or tiny numbers anywhere in a shipped rubric."""
    code = data.draw(st.sampled_from(PROGRAM_CODES))
    doc = copy.deepcopy(shipped(code))
    changes = data.draw(st.lists(st.tuples(st.sampled_from(places(code)), values), min_size=1, max_size=3))
    apply_changes(doc, changes)
    load(doc, SOURCE.format(code[1]), code)


NUMBER_PLACES = ("total", "max", "step", "weight", "min", "at_or_below", "at_or_above", "min_length")


@fuzz(100)
@given(st.data())
def test_numbers_of_every_size(data):
    """Only numeric fields changed, to numbers: the grid, band and total checks must not overflow."""
    code = data.draw(st.sampled_from(PROGRAM_CODES))
    doc = copy.deepcopy(shipped(code))
    numeric = [p for p in places(code) if p[-1] in NUMBER_PLACES]
    number = ODD_NUMBERS | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    apply_changes(doc, data.draw(st.lists(st.tuples(st.sampled_from(numeric), number), min_size=1, max_size=3)))
    load(doc, SOURCE.format(code[1]), code)


@fuzz(60)
@given(st.sampled_from(PROGRAM_CODES), mutations)
def test_mutated_rubric_file(work, code, changes):
    path = work / f"{code}.json"
    path.write_bytes(mutate(resource_path("rubrics", f"{code}.json").read_bytes(), changes))
    load_file(path, code)


# Text no JSON writer makes but a hand or a hostile tool can: non-finite and enormous numbers, deep
# nesting. By name, so that a failing example prints short.
ODD_LITERALS = {
    "nan": "NaN", "inf": "Infinity", "-inf": "-Infinity", "1e400": "1e400", "-1e400": "-1e400", "1e-400": "1e-400",
    "5000 digits": "1" * 5000, "400 zeros": "0." + "0" * 400 + "1", "deep list": "[" * 100_000,
    "deep object": '{"a":' * 50_000, "surrogate": '"\\ud800"',
}
# Escapes that are no character (lone surrogates) or that a display would rather not see.
ESCAPES = ["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "\\u202e"]
TEXT_FIELDS = ["format", "program", "version", "title_zh", "id", "kind", "name_en", "guidance_zh", "label_zh", "item_en"]


def load_file(path: Path, code: str) -> None:
    try:
        load_rubric(path, program=code)
    except RubricError as e:
        assert all(str(path) in p.text("en") and p.msg.zh and p.msg.en for p in e.problems)


@fuzz(30)
@given(st.sampled_from(PROGRAM_CODES), st.sampled_from(["100", "5", "true", "0.2", '"score"']),
       st.sampled_from(sorted(ODD_LITERALS)))
def test_odd_literals_in_the_file(work, code, target, literal):
    text = resource_path("rubrics", f"{code}.json").read_text("utf-8")
    path = work / f"{code}-literal.json"
    path.write_text(text.replace(f": {target}", f": {ODD_LITERALS[literal]}", 1), "utf-8")
    load_file(path, code)


@fuzz(30)
@given(st.sampled_from(PROGRAM_CODES), st.sampled_from(TEXT_FIELDS), st.sampled_from(ESCAPES), st.booleans())
def test_odd_escapes_in_texts_and_keys(work, code, field, escape, in_key):
    text = resource_path("rubrics", f"{code}.json").read_text("utf-8")
    path = work / f"{code}-escape.json"
    odd = f'"{field}{escape}": "' if in_key else f'"{field}": "{escape}'
    path.write_text(text.replace(f'"{field}": "', odd, 1), "utf-8")
    load_file(path, code)


# --- what the fuzz found: each case once, plainly -------------------------------------------------


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(RubricError) as e:
        load_rubric_data(data, "P3.json", program="P3")
    assert all(p.msg.zh for p in e.value.problems)
    return [(p.path, p.msg.en) for p in e.value.problems]


def p3(**changes) -> dict:
    doc = copy.deepcopy(shipped("P3"))
    for path, value in changes.items():
        put(doc, tuple(int(k) if k.isdigit() else k for k in path.split("__")), value)
    return doc


def test_an_integer_too_large_for_a_float():
    """math.isfinite(10**400) raised OverflowError."""
    assert problems(p3(total=10**400)) == [("total", "too large (at most 1000000000 either side of 0)")]


def test_min_length_too_large_for_a_float():
    """float(10**400) raised OverflowError; a whole number, however large, is a count."""
    at = next(i for i, c in enumerate(shipped("P3")["criteria"]) if c["kind"] == "opinion")
    assert load_rubric_data(p3(**{f"criteria__{at}__min_length": 10**400}), "P3.json", program="P3")


def test_a_step_too_fine_for_the_grid():
    """100 % 1e-30 raised decimal.InvalidOperation (DivisionImpossible)."""
    at = next(i for i, c in enumerate(shipped("P3")["criteria"]) if c["kind"] == "score")
    [(path, en)] = problems(p3(**{f"criteria__{at}__step": 1e-30}))
    assert path == f"criteria[{at}].step" and "too small" in en


def test_lone_surrogate_in_a_text():
    """"\\ud800" passed every check, then content_hash raised UnicodeEncodeError."""
    assert problems(p3(title_zh="评分\ud800细则")) == [("title_zh", "holds an invalid \\u escape (a lone surrogate "
                                                                   "\\ud800–\\udfff, not a character)")]
    [(path, _)] = problems({**p3(), "x\udfff": 1})
    assert path == "x\\udfff"


@pytest.mark.parametrize("literal, en", [("[" * 100_000, "nested too deeply"), ("1" * 5000, "too many digits")],
                         ids=["deep", "digits"])
def test_file_json_cannot_parse(work, literal, en):
    """RecursionError and the int-digits ValueError are not JSONDecodeError: both escaped load_rubric."""
    path = work / "P3-odd.json"
    path.write_text(resource_path("rubrics", "P3.json").read_text("utf-8").replace(": 100", f": {literal}", 1), "utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(path, program="P3")
    [p] = e.value.problems
    assert p.source == str(path) and en in p.msg.en and p.msg.zh


@pytest.mark.parametrize("value", [10**400, Decimal("sNaN")], ids=["10**400", "sNaN"])
def test_validating_a_score_that_is_too_large_or_no_number(value):
    """Criterion.validate_value: math.isfinite raised OverflowError (10**400) and ValueError (sNaN)."""
    c = load_rubric_data(shipped("P3"), "P3.json").score_criteria[0]
    assert c.validate_value(value, "x") is not None
