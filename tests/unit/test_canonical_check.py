"""The fast canonical-form check (formats/canonical_check.py) answers exactly as canonical_json does.

orjson may only say "canonical" where its bytes provably equal canonical_json's: these tests are the
proof's premises (every Unicode scalar value escapes alike; keys sort alike) and, on random JSON with
unicode, floats of every magnitude and big integers, the check against the definition itself.
"""

from __future__ import annotations

import json
import sys

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdesk.domain.rubric import canonical_json
from qbdesk.formats.canonical_check import FloatLiterals, is_canonical


def _check(text: str) -> bool:
    floats = FloatLiterals()
    data = json.loads(text, parse_float=floats)
    return is_canonical(data, text.encode("utf-8"), text, floats)


def _truth(text: str) -> bool:
    try:
        return canonical_json(json.loads(text)) == text.encode("utf-8")
    except (ValueError, TypeError, RecursionError):
        return False


def test_every_unicode_scalar_value_is_escaped_alike():
    enc = json.encoder.encode_basestring  # what canonical_json (ensure_ascii=False) writes
    differ = [c for c in range(sys.maxunicode + 1)
              if not 0xD800 <= c <= 0xDFFF and orjson.dumps(chr(c)) != enc(chr(c)).encode("utf-8")]
    assert differ == []


def test_keys_sort_alike_across_planes():
    keys = ["z", "é", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\U00010000", "\U0010ffff", "", "A", "a"]
    data = {k: i for i, k in enumerate(keys)}
    assert orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == canonical_json(data)


def test_a_lone_surrogate_big_integers_and_float_forms_go_to_the_exact_check():
    assert not _check('{"a":"\\ud800"}')  # canonical text never escapes; orjson refuses the string
    big = str(2**70)
    assert _check('{"a":' + big + '}') and _check('{"a":-' + big + '}')  # beyond orjson's 64 bits: still exact
    assert _check('{"a":1e-05}')  # canonical (repr) where orjson writes 0.00001
    assert not _check('{"a":0.00001}')  # orjson's form, which canonical_json does not write
    assert _check('{"a":1.5e-07}') and not _check('{"a":1.5e-7}') and not _check('{"a":1e+16}')  # 1e+16 is integral
    assert not _check('{"a":10.0}') and not _check('{"a":1e2}')  # integral floats are written as ints
    assert _check('{"a":0.1,"b":[true,false,null],"c":{"d":"x"}}')
    assert not _check('{"b":1,"a":2}') and not _check('{"a": 1}') and not _check('{"a":1,"a":1}')
    assert not _check('{"a":"\\u00e9"}') and _check('{"a":"é"}') and _check('{"a":"\\u001f\\n\\"\\\\"}')
    assert not _check('{"a":"\\u001F"}')  # upper-case hex is not canonical


_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                         max_size=4), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_canonical_text_is_accepted(value):
    try:
        text = canonical_json({"v": value}).decode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no canonical text exists
        return
    assert _check(text) is _truth(text) is True


@settings(max_examples=400, deadline=None)
@given(_json, st.sampled_from(["orjson", "python", "spaced", "ascii"]))
def test_other_writers_text_is_judged_as_canonical_json_judges_it(value, writer):
    try:
        if writer == "orjson":
            text = orjson.dumps({"v": value}, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        elif writer == "python":
            text = json.dumps({"v": value}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        elif writer == "spaced":
            text = json.dumps({"v": value}, sort_keys=True, ensure_ascii=False)
        else:
            text = json.dumps({"v": value}, sort_keys=True, separators=(",", ":"))
        text.encode("utf-8")
    except (TypeError, orjson.JSONEncodeError, UnicodeEncodeError):  # big integers, lone surrogates
        return
    assert _check(text) is _truth(text)
