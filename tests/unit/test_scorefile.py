"""Score files (.qbscore): round trip, every rejection code, the edit-log chain, stock-tool interop."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from qbdesk.domain.messages import QbdeskError
from qbdesk.formats import scorefile as sf
from qbdesk.formats import scorefile_shape, sshsig
from qbdesk.formats.keys import load_private_key, load_public_key
from qbdesk.formats.scorefile import ScoreFileError

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SECRET = bytes(range(32))  # the snapshot's binding secret, for these tests


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))


@pytest.fixture(scope="module")
def identity() -> x25519.Identity:
    return x25519.Identity.generate()


@pytest.fixture(scope="module")
def recipient(identity) -> str:
    return str(identity.to_public())


def make_payload(key: Ed25519PrivateKey, *, apps: int = 1, criteria: int = 2, expert_id: str = "E01") -> dict:
    line = sshsig.public_key_openssh(key.public_key())
    codes = [f"A{i:04d}" for i in range(apps)]
    log: list[dict] = []
    scores = []
    for code in codes:
        for c in range(criteria):
            row = {"application": code, "criterion": f"c{c}", "item": "", "value": 7.5, "comment": "良好"}
            scores.append(row)
            sf.append_edit(log, row, "2026-03-01T08:00:00+08:00")
    scores.append({"application": codes[0], "criterion": "items", "item": "C1",
                   "value": {"accepted": False, "reason": "证书过期"}, "comment": ""})
    return {
        "format": sf.FORMAT, "round": {"id": 1, "year": 2026}, "snapshot_id": "5f0c7a1e-0000-4000-8000-000000000001",
        "snapshot_digest": "ab" * 32, "expert_id": expert_id, "sequence": 1, "created_at": "2026-03-02T01:02:03+00:00",
        "expert_key": line, "key_binding": sf.key_binding(SECRET, line),
        "rubrics": {code: "cd" * 32 for code in codes},
        "declaration": {"accepted": True, "at": "2026-03-01T07:00:00+08:00", "text_sha256": "ef" * 32,
                        "conflicts_declared": "无"},
        "scores": scores, "recusals": [], "edit_log": log, "log_head": sf.log_head(log),
        "blind_content": {"K7Q2M": "ab" * 32},
    }


@pytest.fixture
def payload(key) -> dict:
    return make_payload(key)


@pytest.fixture(scope="module")
def small_file(key, recipient, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("small") / "s.qbscore"
    sf.write_score_file(path, make_payload(key), expert_key=key, receiving_recipient=recipient)
    return path.read_bytes()


def seal(raw: bytes, sig: str, recipient: str) -> bytes:
    return sf._seal(raw, sig, x25519.Recipient.from_str(recipient))


def signed_file(data: dict, key: Ed25519PrivateKey, recipient: str) -> bytes:
    """A correctly signed and sealed file around any content, bypassing the writer's checks."""
    raw = sf.canonical_json(data)
    return seal(raw, sshsig.sign(key, raw, sshsig.SCORE_NAMESPACE), recipient)


def code_of(data, identity) -> str:
    with pytest.raises(ScoreFileError) as e:
        sf.read_score_file(data, receiving_identity=str(identity))
    assert isinstance(e.value, QbdeskError)
    assert e.value.msg.zh and e.value.msg.en
    assert e.value.code in sf.READ_CODES
    return e.value.code


# --- round trip -----------------------------------------------------------------------------


def test_round_trip(tmp_path, key, identity, recipient, payload):
    path = tmp_path / "E01.qbscore"
    written = sf.write_score_file(path, payload, expert_key=key, receiving_recipient=recipient)
    read = sf.read_score_file(path, receiving_identity=str(identity))
    assert read.data == written.data == json.loads(sf.canonical_json(payload))
    assert read.raw == written.raw == sf.canonical_json(payload)
    assert read.digest == written.digest == hashlib.sha256(read.raw).hexdigest()
    assert read.fingerprint == written.fingerprint == sshsig.fingerprint(key.public_key())
    assert read.signature == written.signature
    assert sf.check_binding(SECRET, read.data["expert_key"], read.data["key_binding"])
    # bytes in memory read the same; the age identity may come as age-keygen writes it
    keyfile = f"# created: 2026-03-01T00:00:00Z\n# public key: {recipient}\n{identity}\n"
    assert sf.read_score_file(path.read_bytes(), receiving_identity=keyfile).digest == read.digest
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_digest_survives_reencryption(tmp_path, key, recipient, payload):
    a = sf.write_score_file(tmp_path / "a", payload, expert_key=key, receiving_recipient=recipient)
    b = sf.write_score_file(tmp_path / "b", payload, expert_key=key, receiving_recipient=recipient)
    assert a.digest == b.digest
    assert (tmp_path / "a").read_bytes() != (tmp_path / "b").read_bytes()


def test_plaintext_is_a_stored_zip_of_two_entries(tmp_path, key, identity, recipient, payload):
    import pyrage

    path = tmp_path / "f.qbscore"
    sf.write_score_file(path, payload, expert_key=key, receiving_recipient=recipient)
    with zipfile.ZipFile(io.BytesIO(pyrage.decrypt(path.read_bytes(), [identity]))) as zf:
        assert zf.namelist() == ["score.json", "score.json.sig"]
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        raw = zf.read("score.json")
    assert raw == sf.canonical_json(payload) and "良好".encode() in raw  # UTF-8, not \\u escapes


def test_canonical_json():
    assert sf.canonical_json({"b": 1, "a": [1.0, "深圳", True, None]}) == '{"a":[1,"深圳",true,null],"b":1}'.encode()
    with pytest.raises(ValueError):
        sf.canonical_json({"x": float("nan")})


# --- writing --------------------------------------------------------------------------------


def test_write_refuses_a_key_other_than_the_payloads(tmp_path, recipient, payload):
    other = Ed25519PrivateKey.generate()
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "x", payload, expert_key=other, receiving_recipient=recipient)
    assert e.value.code == "malformed" and "expert_key" in e.value.msg.en
    assert not list(tmp_path.iterdir())


def test_write_refuses_a_bad_recipient(tmp_path, key, payload):
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "x", payload, expert_key=key, receiving_recipient="age1nope")
    assert e.value.code == "bad_recipient"


def test_write_to_a_missing_folder_is_a_clear_error(tmp_path, key, recipient, payload):
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "gone" / "x.qbscore", payload, expert_key=key, receiving_recipient=recipient)
    assert e.value.code == "unwritable" and "gone" in e.value.msg.en


def test_write_notices_bytes_that_do_not_read_back(tmp_path, key, recipient, payload, monkeypatch):
    monkeypatch.setattr(Path, "read_bytes", lambda self: b"something else")
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "x", payload, expert_key=key, receiving_recipient=recipient)
    assert e.value.code == "unwritable" and "read back" in e.value.msg.en


def test_overwrite_replaces_whole_file(tmp_path, key, identity, recipient, payload):
    path = tmp_path / "x.qbscore"
    path.write_bytes(b"old" * 10000)
    sf.write_score_file(path, payload, expert_key=key, receiving_recipient=recipient)
    assert sf.read_score_file(path, receiving_identity=str(identity)).data["sequence"] == 1


# --- shape ----------------------------------------------------------------------------------


def _del(p, *path):
    d = p
    for k in path[:-1]:
        d = d[k]
    del d[path[-1]]


def _set(value, *path):
    def change(p):
        d = p
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return change


CASES = [
    ("missing field", lambda p: _del(p, "sequence"), "sequence"),
    ("missing nested", lambda p: _del(p, "round", "year"), "round.year"),
    ("unknown field", _set(1, "extra"), "extra"),
    ("sequence as string", _set("1", "sequence"), "sequence"),
    ("sequence as bool", _set(True, "sequence"), "sequence"),
    ("sequence zero", _set(0, "sequence"), "sequence"),
    ("round id float", _set(1.5, "round", "id"), "round.id"),
    ("created_at naive", _set("2026-03-02T01:02:03", "created_at"), "created_at"),
    ("created_at not utc", _set("2026-03-02T01:02:03+08:00", "created_at"), "created_at"),
    ("digest upper case", _set("AB" * 32, "snapshot_digest"), "snapshot_digest"),
    ("expert_key garbage", _set("ssh-ed25519 AAAA", "expert_key"), "expert_key"),
    ("rubric hash short", _set({"A0000": "cd"}, "rubrics"), "rubrics.A0000"),
    ("score without rubric", _set("ZZZ", "scores", 0, "application"), "scores[0].application"),
    ("score value list", _set([1], "scores", 0, "value"), "scores[0].value"),
    ("score value null", _set(None, "scores", 0, "value"), "scores[0].value"),
    ("item value scalar", _set(True, "scores", 2, "value"), "scores[2].value"),
    ("item decision extra", _set({"accepted": True, "reason": "", "x": 1}, "scores", 2, "value"), "scores[2].value.x"),
    ("scores not list", _set({}, "scores"), "scores"),
    ("duplicate score", lambda p: p["scores"].append(dict(p["scores"][0])), "scores[3]: repeats scores[0]"),
    ("recusal without reason", _set([{"application": "A0000", "reason": " "}], "recusals"), "recusals[0].reason"),
    ("declaration accepted without time", _set("", "declaration", "at"), "declaration.at"),
    ("log head wrong", _set("0" * 64, "log_head"), "log_head"),
    ("edit value changed", _set(9, "edit_log", 0, "value"), "edit_log[0].hash"),
    ("edit removed", lambda p: p["edit_log"].pop(0), "edit_log[0].seq"),
    ("blank criterion", _set(" ", "scores", 0, "criterion"), "scores[0].criterion"),
    ("control character in item", _set("C\x00", "scores", 2, "item"), "scores[2].item"),
    ("edit time without zone", _set("2026-03-01T08:00:00", "edit_log", 0, "at"), "edit_log[0].at"),
    ("edit criterion empty", _set("", "edit_log", 1, "criterion"), "edit_log[1].criterion"),
    ("edit seq string", _set("1", "edit_log", 0, "seq"), "edit_log[0].seq"),
    ("opinion too long", _set("x" * (sf.MAX_TEXT + 1), "scores", 0, "comment"), "scores[0].comment"),
]


@pytest.mark.parametrize("name,change,where", CASES, ids=[c[0] for c in CASES])
def test_bad_shape_is_malformed_on_write_and_read(tmp_path, key, identity, recipient, payload, name, change, where):
    change(payload)
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "x", payload, expert_key=key, receiving_recipient=recipient)
    assert e.value.code == "malformed", e.value.msg
    assert where in e.value.msg.en and where.split("[")[0].split(".")[0] in e.value.msg.zh
    assert not (tmp_path / "x").exists()
    if name != "expert_key garbage":  # the reader must find the same problem in a signed file
        assert code_of(signed_file(payload, key, recipient), identity) == "malformed"


def test_unknown_format(tmp_path, key, identity, recipient, payload):
    payload["format"] = "qbdesk.score/3"
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "x", payload, expert_key=key, receiving_recipient=recipient)
    assert e.value.code == "unknown_format" and "qbdesk.score/3" in e.value.msg.en
    assert code_of(signed_file(payload, key, recipient), identity) == "unknown_format"
    del payload["format"]
    assert code_of(signed_file(payload, key, recipient), identity) == "unknown_format"


def test_version_1_files_without_the_commitment_are_still_read(tmp_path, key, identity, recipient, payload):
    """qbdesk.score/1 has no blind_content; /2 requires it, and /1 may not carry it."""
    assert sf.FORMAT == "qbdesk.score/2"
    v1 = {**payload, "format": sf.FORMAT_V1}
    del v1["blind_content"]
    read = sf.read_score_file(signed_file(v1, key, recipient), receiving_identity=str(identity))
    assert read.data["format"] == "qbdesk.score/1" and "blind_content" not in read.data
    assert code_of(signed_file({**payload, "format": sf.FORMAT_V1}, key, recipient), identity) == "malformed"
    v2 = dict(payload)
    del v2["blind_content"]
    with pytest.raises(ScoreFileError) as e:
        sf.write_score_file(tmp_path / "x", v2, expert_key=key, receiving_recipient=recipient)
    assert e.value.code == "malformed" and "blind_content" in e.value.msg.en
    bad = {**payload, "blind_content": {"K7Q2M": "not hex"}}
    assert code_of(signed_file(bad, key, recipient), identity) == "malformed"


def test_cleared_value_in_edit_log_is_allowed(tmp_path, key, identity, recipient, payload):
    sf.append_edit(payload["edit_log"], {"application": "A0000", "criterion": "c0", "item": "", "value": None,
                                         "comment": ""}, "2026-03-01T09:00:00+08:00")
    payload["log_head"] = sf.log_head(payload["edit_log"])
    sf.write_score_file(tmp_path / "x", payload, expert_key=key, receiving_recipient=recipient)
    assert sf.read_score_file(tmp_path / "x", receiving_identity=str(identity)).data["edit_log"][-1]["value"] is None


# --- reading: every rejection ---------------------------------------------------------------


def test_wrong_identity_cannot_decrypt(small_file):
    assert code_of(small_file, x25519.Identity.generate()) == "cannot_decrypt"


def test_invalid_identity_cannot_decrypt(small_file):
    assert code_of(small_file, "AGE-SECRET-KEY-1NOTAKEY") == "cannot_decrypt"


@pytest.mark.parametrize("data", [b"", b"hello", b"PK\x03\x04rest", b"-----BEGIN AGE ENCRYPTED FILE-----\n"])
def test_not_a_score_file(identity, data):
    assert code_of(data, identity) == "not_a_score_file"


def test_missing_path_is_not_a_score_file(tmp_path, identity):
    assert code_of(tmp_path / "nope.qbscore", identity) == "not_a_score_file"
    assert code_of(tmp_path, identity) == "not_a_score_file"  # a folder


def test_truncated_file_is_corrupt(small_file, identity):
    assert code_of(small_file[:-1], identity) == "corrupt"
    assert code_of(small_file[: len(small_file) // 2], identity) == "corrupt"


def test_signature_by_another_key_is_bad_signature(key, identity, recipient, payload):
    raw = sf.canonical_json(payload)  # payload names `key`...
    forged = sshsig.sign(Ed25519PrivateKey.generate(), raw, sshsig.SCORE_NAMESPACE)  # ...someone else signs
    assert code_of(seal(raw, forged, recipient), identity) == "bad_signature"


def test_changed_payload_is_bad_signature(key, identity, recipient, payload):
    raw = sf.canonical_json(payload)
    sig = sshsig.sign(key, raw, sshsig.SCORE_NAMESPACE)
    changed = raw.replace(b'"sequence":1', b'"sequence":2')
    assert code_of(seal(changed, sig, recipient), identity) == "bad_signature"


def test_signature_in_another_namespace_is_bad_signature(key, identity, recipient, payload):
    raw = sf.canonical_json(payload)
    sig = sshsig.sign(key, raw, sshsig.SNAPSHOT_NAMESPACE)
    assert code_of(seal(raw, sig, recipient), identity) == "bad_signature"


def test_json_duplicate_keys_nan_and_noncanonical_are_malformed(key, identity, recipient, payload):
    raw = sf.canonical_json(payload)
    for bad in (raw[:-1] + b',"sequence":1}', raw.replace(b'"sequence":1', b'"sequence":NaN'),
                raw.replace(b'"sequence":1', b'"sequence": 1'), b"\xff" + raw, b"[1]", b"{"):
        assert code_of(seal(bad, sshsig.sign(key, bad, sshsig.SCORE_NAMESPACE), recipient), identity) == "malformed"


def _sealed(key, recipient, raw: bytes) -> bytes:
    return seal(raw, sshsig.sign(key, raw, sshsig.SCORE_NAMESPACE), recipient)


def _error_en(data: bytes, identity: str) -> str:
    with pytest.raises(sf.ScoreFileError) as e:
        sf.read_score_file(data, receiving_identity=identity)
    assert e.value.code == "malformed"
    return e.value.msg.en


def _with_value(payload, value) -> bytes:
    """payload's canonical bytes with each 7.5 score (and its edit) given ``value`` instead."""
    changed = copy.deepcopy(payload)
    log: list = []
    for row in changed["scores"]:
        if row["value"] == 7.5:
            row["value"] = value
        if row["item"] == "":
            sf.append_edit(log, row, "2026-03-01T08:00:00+08:00")
    changed["edit_log"], changed["log_head"] = log, sf.log_head(log)
    return sf.canonical_json(changed)


def test_float_spellings_are_judged_exactly_on_the_fast_path(key, identity, recipient, payload):
    """orjson parses; a float it writes back as the text has it is canonical only if canonical_json
    writes it so too: 7.0 (integral: canonical is 7), 7.50, 1e-05 against orjson's own spelling."""
    raw = sf.canonical_json(payload)
    assert b'"value":7.5}' in raw
    assert sf.read_score_file(_sealed(key, recipient, raw), receiving_identity=identity).raw == raw
    for spelling in (b"7.50", b"7.0", b"75e-1", b"7.5e0"):
        bad = raw.replace(b'"value":7.5}', b'"value":' + spelling + b"}")
        assert "not in canonical JSON form" in _error_en(_sealed(key, recipient, bad), identity), spelling
    # An integral float in a file whose edit hashes hold (canonical_json hashes 7.0 as 7): orjson
    # writes it back byte for byte and the shape check passes it; only the float check catches it.
    import orjson

    whole = _with_value(payload, 7)
    whole = whole.replace(b'"value":7}', b'"value":7.0}')
    assert orjson.dumps(orjson.loads(whole), option=orjson.OPT_SORT_KEYS) == whole
    assert sf.shape_problem(orjson.loads(whole), raw=whole) is None
    assert "not in canonical JSON form" in _error_en(_sealed(key, recipient, whole), identity)
    # floats canonical_json writes in exponent form are canonical, whatever orjson writes
    raw = _with_value(payload, 1e-05)
    assert b'"value":1e-05' in raw
    read = sf.read_score_file(_sealed(key, recipient, raw), receiving_identity=identity)
    assert read.raw == raw and read.data["scores"][0]["value"] == 1e-05


def test_a_float_spelt_wrong_is_named_before_a_shape_problem(key, identity, recipient, payload):
    raw = sf.canonical_json(payload).replace(b'"value":7.5}', b'"value":7.0}').replace(b'"sequence":1', b'"sequence":0')
    assert "not in canonical JSON form" in _error_en(_sealed(key, recipient, raw), identity)
    shape_only = sf.canonical_json(payload).replace(b'"sequence":1', b'"sequence":0')
    assert "sequence" in _error_en(_sealed(key, recipient, shape_only), identity)


def test_deep_nesting_is_malformed(key, identity, recipient):
    deep = b'{"format":"qbdesk.score/1","x":' + b"[" * 700 + b"]" * 700 + b"}"
    assert code_of(seal(deep, sshsig.sign(key, deep, sshsig.SCORE_NAMESPACE), recipient), identity) == "malformed"


def _zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", method) as zf:
        warnings.simplefilter("ignore")  # a repeated name is the point of one case
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def test_inner_zip_must_hold_exactly_the_two_stored_entries(key, identity, recipient, payload):
    import pyrage

    raw = sf.canonical_json(payload)
    sig = sshsig.sign(key, raw, sshsig.SCORE_NAMESPACE).encode()
    rec = [x25519.Recipient.from_str(recipient)]
    for plain in (
        _zip([("score.json", raw)]),
        _zip([("score.json", raw), ("score.json.sig", sig), ("extra.txt", b"x")]),
        _zip([("score.json.sig", sig), ("score.json", raw)]),
        _zip([("score.json", raw), ("score.json", raw)]),
        _zip([("score.json", raw), ("score.json.sig", sig)], zipfile.ZIP_DEFLATED),
        b"not a zip at all",
        b"",
    ):
        assert code_of(pyrage.encrypt(plain, rec), identity) == "corrupt"


def test_flipping_any_byte_is_rejected(small_file, identity):
    assert len(small_file) < 3000  # keeps this loop to a second or two
    text = str(identity)
    for i in range(len(small_file)):
        data = bytearray(small_file)
        data[i] ^= 0x01 if i % 2 else 0xFF
        with pytest.raises(ScoreFileError):
            sf.read_score_file(bytes(data), receiving_identity=text)


# --- edit log -------------------------------------------------------------------------------


def _log(n: int = 3) -> list[dict]:
    log: list[dict] = []
    for i in range(n):
        sf.append_edit(log, {"application": "A1", "criterion": f"c{i}", "item": "", "value": i, "comment": ""},
                       f"2026-03-01T08:0{i}:00+08:00")
    return log


def test_append_edit_chains():
    log = _log()
    assert [e["seq"] for e in log] == [1, 2, 3]
    assert log[0]["prev"] == sf.ZERO_HASH and log[1]["prev"] == log[0]["hash"]
    body = {k: v for k, v in log[2].items() if k != "hash"}
    assert log[2]["hash"] == hashlib.sha256(sf.canonical_json(body)).hexdigest()
    assert sf.log_head(log) == log[-1]["hash"] and sf.log_head([]) == "0" * 64
    assert sf.check_edit_log(log) is None and sf.check_edit_log([]) is None


@pytest.mark.parametrize("breakage,expected", [
    (lambda log: log[1].update(value=99), "edit_log[1].hash"),
    (lambda log: log.pop(1), "edit_log[1].seq"),
    (lambda log: log.reverse(), "edit_log[0].seq"),
    (lambda log: log[0].update(prev="1" * 64), "edit_log[0].prev"),
    (lambda log: log.__setitem__(2, "x"), "edit_log[2]"),
    (lambda log: log[2].pop("hash"), "edit_log[2].hash"),
    (lambda log: log[1].update(seq=True), "edit_log[1].seq"),
    (lambda log: log[0].update(value=float("nan")), "edit_log[0]"),
], ids=["value changed", "edit removed", "reordered", "first prev", "not an object", "hash missing",
        "seq bool", "nan"])
def test_check_edit_log_names_the_break(breakage, expected):
    log = _log()
    breakage(log)
    reason = sf.check_edit_log(log)
    assert reason is not None and expected in reason
    assert sf.check_edit_log("not a list") is not None


TRICKY = '"hash":"' + "a" * 64 + '",},{"application":"A0000","at":"x"}],"expert_id":"E01","edit_log":[{'


def test_edit_text_that_looks_like_edit_fields_reads_back(tmp_path, key, identity, recipient, payload):
    """The reader cuts each edit's bytes out of score.json by its keys; text spelling those keys must not fool it."""
    for i, text in enumerate((TRICKY, "\\" + TRICKY, TRICKY + "\\", "\u2028" + TRICKY)):
        sf.append_edit(payload["edit_log"], {"application": "A0000", "criterion": f"c{i}" + TRICKY[:40], "item": "",
                                             "value": text, "comment": text}, "2026-03-01T09:00:00+08:00")
        sf.append_edit(payload["edit_log"], {"application": "A0000", "criterion": "items", "item": TRICKY[:100],
                                             "value": {"accepted": False, "reason": text}, "comment": text},
                       "2026-03-01T09:00:00+08:00")
    payload["log_head"] = sf.log_head(payload["edit_log"])
    sf.write_score_file(tmp_path / "x", payload, expert_key=key, receiving_recipient=recipient)
    read = sf.read_score_file(tmp_path / "x", receiving_identity=str(identity))
    assert read.data["edit_log"] == json.loads(sf.canonical_json(payload["edit_log"]))
    hashes = [e["hash"] for e in payload["edit_log"]]
    assert scorefile_shape._raw_entry_hashes(read.raw, len(hashes)) == hashes  # cut right, not saved by the fallback
    # and a change to any of those edits is still found, and named as the encoding check names it
    for i in range(2, len(payload["edit_log"])):
        changed = copy.deepcopy(payload)
        changed["edit_log"][i]["comment"] += "x"
        raw = sf.canonical_json(changed)
        problem = sf.shape_problem(json.loads(raw), raw=raw)
        assert problem is not None and f"edit_log[{i}].hash" in problem.en
        assert problem == sf.shape_problem(changed)
        assert code_of(signed_file(changed, key, recipient), identity) == "malformed"


def test_rebuilt_tail_still_breaks_at_the_change():
    """Changing an old edit and re-hashing it is caught where it stops matching the next prev."""
    log = _log()
    log[0]["value"] = 42
    log[0]["hash"] = hashlib.sha256(sf.canonical_json({k: v for k, v in log[0].items() if k != "hash"})).hexdigest()
    assert "edit_log[1].prev" in sf.check_edit_log(log)


# --- key binding ----------------------------------------------------------------------------


def test_key_binding(key):
    line = sshsig.public_key_openssh(key.public_key())
    import hmac

    assert sf.key_binding(SECRET, line) == hmac.new(SECRET, line.encode(), "sha256").hexdigest()
    binding = sf.key_binding(SECRET, line)
    assert sf.check_binding(SECRET, line, binding)
    assert not sf.check_binding(bytes(32), line, binding)
    other = sshsig.public_key_openssh(Ed25519PrivateKey.generate().public_key())
    assert not sf.check_binding(SECRET, other, binding)
    assert not sf.check_binding(SECRET, line, None) and not sf.check_binding(SECRET, line, "深圳")


# --- export for auditors and stock tools ----------------------------------------------------


def test_export_for_audit_writes_the_three_files(tmp_path, small_file, identity, key):
    json_path, sig_path, signers = sf.export_for_audit(small_file, receiving_identity=str(identity),
                                                       out_dir=tmp_path / "audit")
    assert json_path.read_bytes() == sf.canonical_json(make_payload(key))
    assert sshsig.verify(sig_path.read_text(), json_path.read_bytes(), sshsig.SCORE_NAMESPACE)
    assert signers.read_text() == f'E01 namespaces="qbdesk-score@1" {sshsig.public_key_openssh(key.public_key())}\n'


def test_audit_principal():
    assert sf.audit_principal("E01") == "E01"
    odd = sf.audit_principal("专家 01")
    assert odd.startswith("expert-") and odd == sf.audit_principal("专家 01")


@pytest.mark.tools
def test_ssh_keygen_verifies_the_export(tmp_path, need_tool, small_file, identity):
    tool = need_tool("ssh-keygen")
    json_path, sig_path, signers = sf.export_for_audit(small_file, receiving_identity=str(identity), out_dir=tmp_path)

    def verify(message: bytes) -> subprocess.CompletedProcess:
        return subprocess.run([tool, "-Y", "verify", "-f", str(signers), "-I", "E01", "-n", "qbdesk-score@1",
                               "-s", str(sig_path)], input=message, capture_output=True, timeout=30)

    ok = verify(json_path.read_bytes())
    assert ok.returncode == 0, ok.stderr
    assert b"Good" in ok.stdout
    changed = bytearray(json_path.read_bytes())
    changed[len(changed) // 2] ^= 0x01
    assert verify(bytes(changed)).returncode != 0


@pytest.mark.tools
def test_age_decrypts_to_the_zip(tmp_path, need_tool, small_file, identity):
    tool = need_tool("age")
    keyfile = tmp_path / "coordinator.agekey"
    keyfile.write_text(f"# TEST ONLY\n{identity}\n")
    os.chmod(keyfile, 0o600)
    (tmp_path / "f.qbscore").write_bytes(small_file)
    done = subprocess.run([tool, "-d", "-i", str(keyfile), str(tmp_path / "f.qbscore")],
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(io.BytesIO(done.stdout)) as zf:
        assert zf.namelist() == ["score.json", "score.json.sig"]
        assert hashlib.sha256(zf.read("score.json")).hexdigest() == sf.read_score_file(
            small_file, receiving_identity=str(identity)).digest


# --- committed test vectors -----------------------------------------------------------------


def test_committed_vector_decrypts_and_verifies():
    expected = json.loads((VECTORS / "score-expected.json").read_text(encoding="utf-8"))
    agekey = (VECTORS / "score-coordinator.agekey").read_text(encoding="utf-8")
    score = sf.read_score_file(VECTORS / "score-vector.qbscore", receiving_identity=agekey)
    pub = load_public_key((VECTORS / "score-expert.pub").read_text(encoding="utf-8"))
    assert score.digest == expected["digest"]
    assert score.fingerprint == expected["fingerprint"] == sshsig.fingerprint(pub)
    assert sshsig.public_key_blob(score.expert_key) == sshsig.public_key_blob(pub)
    assert score.data["expert_id"] == expected["expert_id"]
    assert sf.check_binding(bytes.fromhex(expected["binding_secret"]), score.data["expert_key"],
                            score.data["key_binding"])
    assert sf.check_edit_log(score.data["edit_log"]) is None
    # Ed25519 is deterministic: the committed private key re-signs to the same bytes.
    private = load_private_key(VECTORS / "score-expert.key", expected["expert_key_passphrase"])
    assert sshsig.sign(private, score.raw, sshsig.SCORE_NAMESPACE) == score.signature
    # and this code still writes the same score.json for the same payload
    assert sf.canonical_json(copy.deepcopy(score.data)) == score.raw


@pytest.mark.tools
def test_stock_tools_check_the_committed_vector(tmp_path, need_tool):
    """What tests/vectors/README.md tells an auditor to run, run."""
    age, keygen = need_tool("age"), need_tool("ssh-keygen")
    expected = json.loads((VECTORS / "score-expected.json").read_text(encoding="utf-8"))
    done = subprocess.run([age, "-d", "-i", str(VECTORS / "score-coordinator.agekey"),
                           str(VECTORS / "score-vector.qbscore")], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(io.BytesIO(done.stdout)) as zf:
        raw, sig = zf.read("score.json"), zf.read("score.json.sig")
    assert hashlib.sha256(raw).hexdigest() == expected["digest"]
    pub = " ".join((VECTORS / "score-expert.pub").read_text().split()[:2])
    (tmp_path / "allowed_signers").write_text(f'E01 namespaces="qbdesk-score@1" {pub}\n')
    (tmp_path / "score.json.sig").write_bytes(sig)
    ok = subprocess.run([keygen, "-Y", "verify", "-f", str(tmp_path / "allowed_signers"), "-I", "E01",
                         "-n", "qbdesk-score@1", "-s", str(tmp_path / "score.json.sig")],
                        input=raw, capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr


def test_an_accepted_item_may_carry_the_tier_the_expert_confirmed(tmp_path, key, identity, recipient, payload):
    """P5/P7: {"accepted": true, "reason", "tier"} in a score file; files without it are read as before."""
    payload["scores"][-1]["value"] = {"accepted": True, "reason": "", "tier": "national_regulation_join"}
    sf.write_score_file(tmp_path / "t.qbscore", payload, expert_key=key, receiving_recipient=recipient)
    read = sf.read_score_file(tmp_path / "t.qbscore", receiving_identity=str(identity))
    assert read.data["scores"][-1]["value"]["tier"] == "national_regulation_join"
    for bad, where in (({"accepted": False, "reason": "只是参加", "tier": "x"}, "a rejected item has no tier"),
                       ({"accepted": True, "reason": "", "tier": ""}, ".tier"),
                       ({"accepted": True, "reason": "", "tier": 3}, ".tier")):
        changed = copy.deepcopy(payload)
        changed["scores"][-1]["value"] = bad
        problem = sf.shape_problem(changed)
        assert problem is not None and where in problem.en, (bad, problem)
        assert code_of(signed_file(changed, key, recipient), identity) == "malformed"
