"""What the parser fuzz tests share: byte mutations, hostile JSON values, and putting a value at a JSON path.

Imported by its bare name (pytest puts this folder on sys.path, as it does tests/unit for
``review_snapshot``). Example counts are small: the whole fuzz folder has a budget of ~30 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# ``review_snapshot`` (a small real snapshot) lives with the unit tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))


def fuzz(examples: int) -> settings:
    """Settings for one fuzz test; QBDESK_FUZZ_SCALE=50 runs fifty times as many examples (a long local hunt)."""
    scale = float(os.environ.get("QBDESK_FUZZ_SCALE", "1"))
    return settings(max_examples=max(1, int(examples * scale)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


mutation = st.tuples(st.integers(min_value=0), st.sampled_from(["flip", "set", "cut", "insert", "delete"]),
                     st.binary(min_size=1, max_size=8))
mutations = st.lists(mutation, min_size=1, max_size=4)


def mutate(original: bytes, changes: list[tuple[int, str, bytes]]) -> bytes:
    blob = bytearray(original)
    for position, kind, chunk in changes:
        at = position % (len(blob) + 1)
        if kind == "flip" and at < len(blob):
            blob[at] ^= chunk[0] or 1
        elif kind == "set":
            blob[at : at + len(chunk)] = chunk
        elif kind == "cut":
            del blob[at:]
        elif kind == "insert":
            blob[at:at] = chunk
        else:
            del blob[at : at + len(chunk)]
    return bytes(blob)


# Numbers and texts that have broken parsers before: huge, tiny, negative zero, not numbers at all.
ODD_NUMBERS = st.sampled_from([0, -1, -0.0, 0.5, 1e-300, 5e-324, 1e300, 1.7976931348623157e308, 2**31, 2**63,
                               10**400, -(10**400), 12.000000000000002])
ODD_TEXTS = st.sampled_from(["", " ", "\x00", "\ufeff", "\u202e", "e\u0301", "ａｂｃ", "𝟙𝟚", "=1+1", "../x.pdf",
                             "/etc/passwd", "C:\\x.pdf", "\ud800", "a\udfff", "sNaN", "NaN", "-Infinity", "1e999999", "P3", "null"])
json_scalars = (st.none() | st.booleans() | st.integers() | ODD_NUMBERS
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12) | ODD_TEXTS)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)

DELETE = object()  # as a value: remove the key (or list element) instead of setting it


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON document (dict keys and list indexes), the root's children first."""
    out: list[tuple] = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key)))
    return out


def put(doc: Any, path: tuple, value: Any) -> None:
    """Set (or, with DELETE, remove) the value at ``path``, which ``paths(doc)`` gave."""
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def changes_to(doc: Any):
    """A strategy: up to three (path, value) changes to ``doc``, values hostile or DELETE."""
    return st.lists(st.tuples(st.sampled_from(paths(doc)), json_values | st.just(DELETE)), min_size=1, max_size=3)


def apply_changes(doc: Any, changes: list[tuple[tuple, Any]]) -> None:
    for path, value in changes:
        try:
            put(doc, path, value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed or replaced what this path went through
