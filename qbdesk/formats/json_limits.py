"""Bounds on a JSON document's structure, checked on its bytes before it is parsed.

A small JSON text can cost far more memory parsed than it has bytes (a flood of ``{}`` costs ~30
times its size), and deep nesting ends in ``RecursionError`` in whatever walks it afterwards.
:func:`structure_problem` measures nesting depth, the number of objects and arrays, and the number
of strings without building anything: strings are cut out at C speed (a regular expression), and
only the brackets left are walked. Used for a snapshot's ``meta.json`` and ``manifest.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from qbdesk.domain.messages import Msg

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]")
_STEP = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}


@dataclass(frozen=True)
class JsonLimits:
    max_depth: int = 32
    max_containers: int = 500_000  # objects and arrays
    max_strings: int = 2_000_000  # keys and values


def structure_problem(raw: bytes, limits: JsonLimits = JsonLimits()) -> Msg | None:
    """Why ``raw`` must not be parsed (too deep, too many containers or strings), or None.

    Malformed JSON is not judged here: the parser that follows says what is wrong with it.
    """
    stripped, strings = _STRING.subn(b"", raw) if b'"' in raw else (raw, 0)
    if strings > limits.max_strings:
        return Msg(f"含有超过 {limits.max_strings} 个字符串", f"it holds more than {limits.max_strings} strings")
    brackets = stripped.translate(None, _NOT_BRACKETS)
    opened = brackets.count(b"{") + brackets.count(b"[")
    if opened > limits.max_containers:
        return Msg(f"含有超过 {limits.max_containers} 个对象或数组", f"it holds more than {limits.max_containers} objects or arrays")
    if opened and max(accumulate(_STEP[b] for b in brackets)) > limits.max_depth:
        return Msg(f"嵌套超过 {limits.max_depth} 层", f"it is nested more than {limits.max_depth} levels deep")
    return None
