"""Unified social credit codes (GB 32100-2015): properties of validate / generate."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qbdesk.domain.credit_code import ALPHABET, WEIGHTS, CreditCodeError, check_char, generate, is_valid, validate

# Codes published on Shenzhen enterprises' business licences (the first is Huawei's).
KNOWN_REAL = ["91440300708461136T", "9144030071526726XG", "9144030027939873X7", "91440300192317458F"]

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)
codes = bodies.map(lambda b: b + check_char(b))
FORBIDDEN = "IOZSV"  # the letters GB 32100 leaves out, so they are never misread as 1, 0, 2, 5, U


def test_alphabet_and_weights_are_the_standards():
    assert len(ALPHABET) == 31 and not set(FORBIDDEN) & set(ALPHABET)
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code", KNOWN_REAL)
def test_known_real_codes_validate(code):
    assert validate(code) == code and is_valid(code)


def test_known_real_code_with_wrong_check_character():
    with pytest.raises(CreditCodeError) as e:
        validate("91440300708461136U")
    assert "校验位" in e.value.zh and "expected T" in e.value.en and e.value.code == "91440300708461136U"


@given(seed=st.integers(), region=st.sampled_from(["440300", "440100", "110000"]), kind=st.sampled_from("123"))
def test_generated_codes_are_always_valid(seed, region, kind):
    c = generate(random.Random(seed), kind=kind, region=region)
    assert validate(c) == c
    assert c.startswith("9" + kind + region)


@given(codes)
def test_check_character_makes_the_weighted_sum_zero(code):
    assert (sum(ALPHABET.index(ch) * w for ch, w in zip(code, WEIGHTS)) + ALPHABET.index(code[17])) % 31 == 0
    assert is_valid(code)


@given(code=codes, pos=st.integers(0, 17), data=st.data())
def test_any_single_substitution_is_detected(code, pos, data):
    new = data.draw(st.sampled_from(ALPHABET).filter(lambda ch: ch != code[pos]))
    bad = code[:pos] + new + code[pos + 1 :]
    assert not is_valid(bad)
    with pytest.raises(CreditCodeError) as e:
        validate(bad)
    assert "校验位" in e.value.zh and "check character" in e.value.en


@given(code=codes, pos=st.integers(0, 16))
def test_adjacent_transpositions_are_detected(code, pos):
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert is_valid(swapped) == (swapped == code)


@given(st.text(alphabet=ALPHABET, max_size=40).filter(lambda s: len(s) != 18))
def test_wrong_length_is_rejected_in_both_languages(s):
    with pytest.raises(CreditCodeError) as e:
        validate(s)
    assert f"实际为{len(s)}位" in e.value.zh and f"this one has {len(s)}" in e.value.en
    assert e.value.message("en") == e.value.en and e.value.message() == e.value.zh


@given(code=codes, pos=st.integers(0, 17), ch=st.sampled_from(list(FORBIDDEN) + list("-_*中#")))
def test_characters_outside_the_alphabet_are_rejected(code, pos, ch):
    bad = code[:pos] + ch + code[pos + 1 :]
    with pytest.raises(CreditCodeError) as e:
        validate(bad)
    assert "不允许的字符" in e.value.zh and ch in e.value.zh
    assert "not allowed" in e.value.en and ch in e.value.en


@given(code=codes, lead=st.sampled_from(["", " ", "\t", "\n ", "\u3000"]), trail=st.sampled_from(["", " ", "\r\n"]))
def test_lowercase_and_surrounding_whitespace_are_normalised(code, lead, trail):
    assert validate(lead + code.lower() + trail) == code


def test_inner_whitespace_is_not_normalised_away():
    with pytest.raises(CreditCodeError):
        validate("914403007084 61136T")


@pytest.mark.parametrize("value", [None, 91440300708461136, b"91440300708461136T"])
def test_non_text_is_rejected_in_both_languages(value):
    with pytest.raises(CreditCodeError) as e:
        validate(value)
    assert e.value.zh and e.value.en
