"""Fuzz read_score_file at every layer: damaged or hostile input ends in a ScoreFileError, nothing else.

age authenticates its payload, so random damage to the file never reaches the zip or the JSON.
Anyone may encrypt to the coordinator's (public) recipient and sign with a key of their own,
though, so the inner layers are fuzzed too: mutated zips, and mutated score.json signed properly.
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import lru_cache
from unittest.mock import patch

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fuzzing import mutate, mutation
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrage import x25519

from qbdesk.formats import scorefile as sf
from qbdesk.formats import scorefile_shape as shape
from qbdesk.formats import sshsig
from qbdesk.formats.scorefile import ScoreFileError

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(7, 39)))
IDENTITY = x25519.Identity.generate()
RECIPIENT = IDENTITY.to_public()
FUZZ = settings(max_examples=100, deadline=None)


@lru_cache(maxsize=1)
def payload() -> dict:
    line = sshsig.public_key_openssh(KEY.public_key())
    log: list[dict] = []
    row = {"application": "A1", "criterion": "c1", "item": "", "value": 8, "comment": "好"}
    sf.append_edit(log, row, "2026-03-01T08:00:00+08:00")
    return {
        "format": sf.FORMAT, "round": {"id": 1, "year": 2026}, "snapshot_id": "s", "snapshot_digest": "0" * 64,
        "expert_id": "E01", "sequence": 1, "created_at": "2026-03-01T00:00:00+00:00", "expert_key": line,
        "key_binding": sf.key_binding(b"k", line), "rubrics": {"A1": "1" * 64},
        "declaration": {"accepted": True, "at": "2026-03-01T07:00:00+08:00", "text_sha256": "2" * 64,
                        "conflicts_declared": ""},
        "scores": [row], "recusals": [{"application": "A2", "reason": "亲属"}], "edit_log": log,
        "log_head": sf.log_head(log), "blind_content": {"A1": "3" * 64, "A2": "4" * 64},
    }


@lru_cache(maxsize=1)
def raw() -> bytes:
    return sf.canonical_json(payload())


@lru_cache(maxsize=1)
def plain() -> bytes:
    return sf._zip(raw(), sshsig.sign(KEY, raw(), sshsig.SCORE_NAMESPACE).encode())


@lru_cache(maxsize=1)
def sealed() -> bytes:
    return pyrage.encrypt(plain(), [RECIPIENT])


def read(data: bytes) -> None:
    try:
        sf.read_score_file(data, receiving_identity=str(IDENTITY))
    except ScoreFileError as e:
        assert e.code in sf.READ_CODES and e.msg.zh and e.msg.en




@FUZZ
@given(st.binary(max_size=2048), st.booleans())
def test_random_bytes(data, with_magic):
    read((sf.AGE_MAGIC if with_magic else b"") + data)


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_file(mutations):
    changed = mutate(sealed(), mutations)
    if changed != sealed():
        try:
            sf.read_score_file(changed, receiving_identity=str(IDENTITY))
        except ScoreFileError as e:
            assert e.code in sf.READ_CODES
        else:
            raise AssertionError("a changed file was accepted")


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_inner_zip(mutations):
    read(pyrage.encrypt(mutate(plain(), mutations), [RECIPIENT]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


# Where a hostile value goes: every field but expert_key (kept so the signature holds and the
# shape check is what is tested), and the nested places a careless check would trust.
PLACES = (
    [(k,) for k in sorted(payload()) if k != "expert_key"]
    + [("round", "id"), ("declaration", "at"), ("rubrics", "A1"), ("recusals", 0, "reason"), ("scores", 0),
       ("edit_log", 0)]
    + [("scores", 0, k) for k in sorted(payload()["scores"][0])]
    + [("edit_log", 0, k) for k in sorted(payload()["edit_log"][0])]
)
changes = st.lists(st.tuples(st.sampled_from(PLACES), json_values | st.sampled_from(["", " ", "A1", "\x00"])),
                   min_size=1, max_size=3)


def changed(places_values) -> dict:
    data = json.loads(raw())
    for place, value in places_values:
        target = data
        for step in place[:-1]:
            target = target[step] if isinstance(target, (dict, list)) and _has(target, step) else None
        # a dict takes only string keys (a list's index on a dict made there would not be JSON)
        if target is not None and ((isinstance(target, dict) and isinstance(place[-1], str)) or _has(target, place[-1])):
            target[place[-1]] = value
    return data


@FUZZ
@given(changes)
def test_signed_payload_with_wrong_values(places_values):
    """Someone signs, with the key the payload names, a score.json whose fields hold anything."""
    body = sf.canonical_json(changed(places_values))
    read(sf._seal(body, sshsig.sign(KEY, body, sshsig.SCORE_NAMESPACE), RECIPIENT))


@FUZZ
@given(changes)
def test_fast_shape_checks_agree_with_row_checks(places_values):
    """The column-wise fast path may only ever say "fine" where the row-by-row check does."""
    data = changed(places_values)
    fast = sf.shape_problem(data)
    with patch.object(shape, "_scores_fine", lambda *a: False), patch.object(shape, "_edits_fine", lambda *a: False):
        assert sf.shape_problem(data) == fast


@FUZZ
@given(changes)
def test_chain_hashed_from_canonical_bytes_agrees_with_encoding(places_values):
    """The reader hashes each edit from the canonical bytes it parsed; that must say what encoding says."""
    try:
        body = sf.canonical_json(changed(places_values))
    except (TypeError, ValueError):
        return
    data = json.loads(body)
    assert sf.shape_problem(data, raw=body) == sf.shape_problem(data)


def _has(container, step) -> bool:
    if isinstance(container, list):
        return isinstance(step, int) and step < len(container)
    return isinstance(container, dict) and step in container


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_signed_mutated_json(mutations):
    body = mutate(raw(), mutations)
    sig = sshsig.sign(KEY, body, sshsig.SCORE_NAMESPACE)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("score.json", body)
        zf.writestr("score.json.sig", sig)
    read(pyrage.encrypt(buf.getvalue(), [RECIPIENT]))


edit_texts = st.text(max_size=30) | st.sampled_from(['"hash":"' + "a" * 64 + '",', '},{"application":"A1"', '],"expert_id":"'])
edits = st.lists(st.tuples(
    st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and s.isprintable()),
    edit_texts | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False, allow_infinity=False),
    edit_texts,
), min_size=1, max_size=6)


@FUZZ
@given(edits)
def test_each_edit_is_cut_from_the_canonical_bytes_exactly(rows):
    """Whatever the edits' text holds, the reader's cut gives each edit's canonical bytes."""
    data = json.loads(raw())
    data["edit_log"] = []
    for criterion, value, comment in rows:
        sf.append_edit(data["edit_log"], {"application": "A1", "criterion": criterion, "item": "", "value": value,
                                          "comment": comment}, "2026-03-01T08:00:00+08:00")
    data["log_head"] = sf.log_head(data["edit_log"])
    body = sf.canonical_json(data)
    parsed = json.loads(body)
    assert sf.shape_problem(parsed, raw=body) is None
    assert shape._raw_entry_hashes(body, len(rows)) == [e["hash"] for e in data["edit_log"]]
