"""Is this JSON text canonical (``domain.rubric.canonical_json``)? Exactly, and fast.

A score file's ``score.json`` must be the canonical JSON of what it parses to. Encoding the parsed
data again with the C encoder and comparing takes ~25 ms for a 300 × 12 file; orjson does it in ~2 ms,
but orjson's output is not canonical_json's for every value, so it may only answer *yes* where its
output provably equals canonical_json's, and every other case is decided by the exact encoder:

- strings: both escape character by character, context-free (``"``, ``\\``, ``\\b \\f \\n \\r \\t``,
  other controls as lower-case ``\\u00XX``, nothing else); tests/unit/test_canonical_check.py compares
  the two on every Unicode scalar value, which proves them equal on every string. A lone surrogate
  (which canonical text can never hold) makes orjson raise: the exact path decides.
- object keys: orjson sorts by UTF-8 bytes, canonical_json by code point; UTF-8 preserves code-point
  order, so the orders are one.
- integers: decimal in both; beyond 64 bits orjson raises and the exact path decides.
- floats: the two differ (``1e-05`` against orjson's ``0.00001``), so the parser records every float
  literal (:class:`FloatLiterals`): an integral one is never canonical (canonical_json writes ``10``
  for ``10.0``), and orjson may answer only when every literal is already ``repr`` of its value,
  which is what canonical_json writes. Then orjson's bytes equal to the text's means each float in
  the text is written as canonical_json writes it, and so is everything else.
- ``true``/``false``/``null``, ``,`` and ``:`` without spaces: the same in both.

When orjson's bytes differ from the text (or it raises) that proves nothing: the exact encoder decides.

Parsing with orjson too (:func:`fast_parse`, three times faster than ``json.loads``) leaves no record
of the float literals, so the reader splits the proof in two. ``orjson.dumps(data) == raw`` first
shows each float in the text is written as orjson writes its value, and everything else as
canonical_json writes it. The score file's shape check then admits floats only as the scalar
``value`` of a score or an edit (every other field must be text, an integer, true/false or an
object of those), and :func:`floats_as_canonical` checks those values: none integral, each
written by orjson as ``repr`` writes it. Any doubt falls back to the exact path above.
"""

from __future__ import annotations

from typing import Any

import orjson

from qbdesk.formats.scorefile_shape import encode_normalised


class FloatLiterals:
    """``parse_float`` for json.loads that remembers what the float literals were like."""

    __slots__ = ("integral", "not_repr")

    def __init__(self) -> None:
        self.integral = False  # a literal such as 10.0 or 1e2: the text is not canonical
        self.not_repr = False  # a literal not written as repr() writes its value: orjson may not answer

    def __call__(self, literal: str) -> float:
        value = float(literal)
        if value.is_integer():
            self.integral = True
        elif not self.not_repr and repr(value) != literal:
            self.not_repr = True
        return value


def fast_parse(raw: bytes) -> dict[str, Any] | None:
    """``raw`` parsed by orjson when it parses to an object whose orjson encoding is ``raw`` itself
    (canonical but for the spelling of floats, which :func:`floats_as_canonical` settles); None
    otherwise: bad UTF-8 or JSON, a repeated key, a big integer, another spelling — the exact path
    then decides, and names what is wrong."""
    try:
        data = orjson.loads(raw)
        if type(data) is dict and orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == raw:
            return data
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, TypeError, RecursionError):
        pass
    return None


def floats_as_canonical(values: Any) -> bool:
    """Each float among ``values`` is written by orjson exactly as canonical_json writes it:
    not integral (canonical_json writes ``10`` for ``10.0``) and spelt as ``repr`` spells it."""
    return all(not v.is_integer() and orjson.dumps(v) == repr(v).encode("ascii")
               for v in {v for v in values if type(v) is float})


def is_canonical(data: Any, raw: bytes, text: str, floats: FloatLiterals) -> bool:
    """``canonical_json(data) == raw``, where ``data`` was parsed from ``text`` (``raw`` strictly
    decoded) with ``floats`` as its ``parse_float``; and ``data`` holds nothing but what JSON parses to."""
    if floats.integral:
        return False
    if not floats.not_repr:
        try:
            if orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == raw:
                return True
        except (orjson.JSONEncodeError, TypeError):  # a big integer, a lone surrogate, deep nesting
            pass
    try:
        return encode_normalised(data) == text
    except (RecursionError, ValueError, TypeError):  # nesting deep enough to parse, too deep to encode
        return False
