"""Score files cannot exhaust memory before they are authenticated (issue 7, item 6).

Anyone may seal a file to the coordinator's receiving key (it is public). The reader verifies the
signature over score.json's raw bytes before a byte is parsed, refuses a flood of tiny objects
before parsing even when it is signed, and never decrypts more than its bound.
"""

from __future__ import annotations

import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.formats.scorefile import ScoreFileError


@pytest.fixture(scope="module")
def identity() -> x25519.Identity:
    return x25519.Identity.generate()


def sealed(raw: bytes, sig: str, identity) -> bytes:
    return sf._seal(raw, sig, identity.to_public())


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if score.json reaches the JSON parser."""
    def refuse(*args, **kwargs):
        raise AssertionError("score.json was parsed")

    monkeypatch.setattr(sf.json, "loads", refuse)


def flood(n: int) -> bytes:
    """The attack's shape, scaled down: score.json holding nothing but empty objects."""
    return b'{"x":[' + b",".join([b"{}"] * n) + b"]}"


def test_an_unsigned_flood_is_refused_before_it_is_parsed(identity, no_parsing):
    raw = flood(300_000)  # 900 KB; the attack used 45 MB of the same
    forged = sshsig.sign(Ed25519PrivateKey.generate(), b"something else", sshsig.SCORE_NAMESPACE)
    with pytest.raises(ScoreFileError) as e:
        sf.read_score_file(sealed(raw, forged, identity), receiving_identity=str(identity))
    assert e.value.code == "bad_signature", e.value


def test_a_signed_flood_is_refused_before_it_is_parsed(identity, no_parsing):
    raw = flood(300_000)
    sig = sshsig.sign(Ed25519PrivateKey.generate(), raw, sshsig.SCORE_NAMESPACE)  # anyone can make a key
    with pytest.raises(ScoreFileError) as e:
        sf.read_score_file(sealed(raw, sig, identity), receiving_identity=str(identity))
    assert e.value.code == "malformed" and "far too many objects" in e.value.msg.en, e.value


def test_a_signature_by_another_key_than_the_files_own_is_bad(identity):
    signer, named = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    raw = sf.canonical_json({"format": sf.FORMAT, "expert_key": sshsig.public_key_openssh(named.public_key())})
    sig = sshsig.sign(signer, raw, sshsig.SCORE_NAMESPACE)
    with pytest.raises(ScoreFileError) as e:
        sf.read_score_file(sealed(raw, sig, identity), receiving_identity=str(identity))
    assert e.value.code == "bad_signature" and "not by the expert key the file names" in e.value.msg.en


def test_a_file_beyond_the_readers_bound_is_refused_before_decryption(identity, monkeypatch):
    raw = json.dumps({"pad": "x" * 400_000}).encode()
    sig = sshsig.sign(Ed25519PrivateKey.generate(), raw, sshsig.SCORE_NAMESPACE)
    data = sealed(raw, sig, identity)
    calls = []
    monkeypatch.setattr(sf.pyrage, "decrypt_io", lambda *a: calls.append(a))
    with pytest.raises(ScoreFileError) as e:
        sf.read_score_file(data, receiving_identity=str(identity), max_payload=100_000)
    assert e.value.code == "too_large" and "100000" in e.value.msg.en
    assert calls == []  # the file's size told: nothing was decrypted


def test_decryption_streams_into_a_capped_buffer(identity):
    data = sealed(b"y" * 300_000, "", identity)
    with pytest.raises(ScoreFileError) as e:
        sf._decrypt(data, identity, 100_000)
    assert e.value.code == "too_large"
    buf = sf._CappedBuffer(10)
    with pytest.raises(sf._Overflow):
        buf.write(b"x" * 11)
    assert buf.getvalue() == b""


def test_a_declared_entry_size_beyond_the_bound_is_refused_before_reading(identity):
    raw = json.dumps({"pad": "x" * 50_000}).encode()
    sig = sshsig.sign(Ed25519PrivateKey.generate(), raw, sshsig.SCORE_NAMESPACE)
    plain = sf._zip(raw, sig.encode())
    with pytest.raises(ScoreFileError) as e:
        sf._unzip(plain, 10_000)
    assert e.value.code == "too_large"


def test_capacity_follows_the_snapshot_and_is_capped():
    small = sf.payload_capacity(3, 30)
    assert small < 3 * 1024 * 1024
    assert sf.payload_capacity(300, 3600) == sf.MAX_JSON
    assert sf.max_file_bytes(small) > small
    assert "too_large" in sf.READ_CODES


def test_an_honest_file_passes_the_density_check(identity):
    key = Ed25519PrivateKey.generate()
    line = sshsig.public_key_openssh(key.public_key())
    log: list[dict] = []
    scores = []
    for a in range(50):
        for c in range(12):
            row = {"application": f"A{a:03d}", "criterion": f"c{c}", "item": "", "value": 7, "comment": ""}
            scores.append(row)
            sf.append_edit(log, row, "2026-03-01T08:00:00+08:00")
    raw = sf.canonical_json({"scores": scores, "edit_log": log, "k": line})
    sf._check_density(raw)  # raises if it were refused
    assert io.BytesIO(raw).getbuffer().nbytes < sf.payload_capacity(50, 600)
