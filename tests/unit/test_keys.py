"""Keys at rest and generated passphrases."""

from __future__ import annotations

import base64
import math
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdesk.formats import keys
from qbdesk.formats.keys import KeyFileError
from qbdesk.formats.sshsig import public_key_openssh

PASS = "7KQ2M-XW9DA-4HT0R-GZ5"
POSIX = os.name == "posix"


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture(scope="module")
def saved(key, tmp_path_factory) -> Path:
    """One saved key for the read-only tests (each save costs a bcrypt KDF run)."""
    path = tmp_path_factory.mktemp("keys") / "expert.key"
    keys.save_private_key(path, key, PASS)
    return path


@pytest.fixture(scope="module")
def ssh_keygen() -> str:
    path = shutil.which("ssh-keygen")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("ssh-keygen is required in CI (apt-get install openssh-client)")
        pytest.skip("ssh-keygen not installed")
    return path


def raw(k: Ed25519PrivateKey) -> bytes:
    return k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def fails(reason: str, fn, *args, **kw) -> KeyFileError:
    with pytest.raises(KeyFileError) as info:
        fn(*args, **kw)
    err = info.value
    assert err.reason == reason, err
    assert err.msg.zh and err.msg.en and err.msg.zh != err.msg.en
    return err


# --- private keys ----------------------------------------------------------------


def test_save_and_load(key, saved):
    assert raw(keys.load_private_key(saved, PASS)) == raw(key)
    assert saved.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert b"aes256-ctr" in base64.b64decode(b"".join(saved.read_bytes().splitlines()[1:-1]))


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_file_mode_0600_and_no_leftovers(saved):
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert sorted(p.name for p in saved.parent.iterdir()) == [saved.name]


@pytest.mark.parametrize("typed", ["7kq2m xw9da 4ht0r gz5", "7KQ2MXW9DA4HT0RGZ5", " 7kq2m-xw9da-4htor-gz5\n",
                                   "７ＫＱ２Ｍ－ＸＷ９ＤＡ－４ＨＴ０Ｒ－ＧＺ５", "7KQ2M—XW9DA—4HT0R—GZ5"])
def test_typed_variants_unlock(key, saved, typed):
    assert raw(keys.load_private_key(saved, typed)) == raw(key)


def test_wrong_passphrase_is_named(saved):
    err = fails("passphrase", keys.load_private_key, saved, "7KQ2M-XW9DA-4HT0R-GZ6")
    assert str(saved) in err.msg.zh and "wrong passphrase" in err.msg.en


def test_missing_file(tmp_path):
    err = fails("missing", keys.load_private_key, tmp_path / "nope.key", PASS)
    assert "nope.key" in err.msg.en


def test_corrupt_files(saved, tmp_path):
    good = saved.read_bytes()
    lines = good.splitlines(keepends=True)
    cases = {
        "garbage": b"not a key at all",
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "no body": lines[0] + lines[-1],
        "huge": lines[0] + b"A" * 100_000,
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        err = fails("corrupt", keys.load_private_key, path, PASS)
        assert name in err.msg.en


def reencode(body: bytes) -> bytes:
    b64 = base64.b64encode(body)
    return b"\n".join([b"-----BEGIN OPENSSH PRIVATE KEY-----",
                       *[b64[i:i + 70] for i in range(0, len(b64), 70)],
                       b"-----END OPENSSH PRIVATE KEY-----", b""])


def test_damage_never_yields_another_key(key):
    """AES-CTR has no MAC: a damaged seed would silently give a different key."""
    # one KDF round keeps this scan fast; the format is otherwise what we write
    fast = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH,
                             PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(1).build(PASS.encode()))
    body = base64.b64decode(b"".join(fast.splitlines()[1:-1]))
    assert raw(keys.private_key_from_bytes(reencode(body), PASS)) == raw(key)
    reasons = set()
    for pos in range(0, len(body), 2):
        damaged = bytearray(body)
        damaged[pos] ^= 0x04
        try:
            loaded = keys.private_key_from_bytes(reencode(bytes(damaged)), PASS)
        except KeyFileError as e:
            reasons.add(e.reason)
        else:
            assert raw(loaded) == raw(key), f"byte {pos} damaged, a different key loaded"
    assert {"corrupt", "passphrase"} <= reasons


def kdf_rounds_of(data: bytes) -> int:
    body = base64.b64decode(b"".join(data.splitlines()[1:-1]))
    at = body.index(b"bcrypt") + len(b"bcrypt") + 4 + 4 + 16  # kdfoptions: salt, then rounds
    return int.from_bytes(body[at:at + 4], "big")


def test_kdf_rounds_are_fixed_by_the_caller(key, saved, tmp_path):
    assert kdf_rounds_of(saved.read_bytes()) == keys.DEFAULT_KDF_ROUNDS == 16
    data = keys.private_key_bytes(key, PASS, kdf_rounds=3)
    assert kdf_rounds_of(data) == 3
    assert raw(keys.private_key_from_bytes(data, PASS)) == raw(key)
    for bad in (0, keys.MAX_KDF_ROUNDS + 1):
        with pytest.raises(ValueError):
            keys.private_key_bytes(key, PASS, kdf_rounds=bad)


def test_huge_kdf_work_factor_refused_fast(saved):
    body = bytearray(base64.b64decode(b"".join(saved.read_bytes().splitlines()[1:-1])))
    at = body.index(b"bcrypt") + len(b"bcrypt") + 4 + 4 + 16  # kdfoptions: salt, then rounds
    assert body[at:at + 4] == b"\0\0\0\x10"
    body[at:at + 4] = b"\x7f\xff\xff\xff"
    fails("corrupt", keys.private_key_from_bytes, reencode(bytes(body)), PASS)


def test_unencrypted_key_refused(key, tmp_path):
    path = tmp_path / "plain.key"
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    fails("not_encrypted", keys.load_private_key, path, PASS)


def test_other_key_types_refused(tmp_path):
    ecdsa = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ecdsa.key"
    path.write_bytes(ecdsa.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, BestAvailableEncryption(PASS.encode())))
    fails("key_type", keys.load_private_key, path, PASS)


def test_no_silent_overwrite(key, tmp_path):
    path = tmp_path / "k"
    path.write_bytes(b"someone's key")
    fails("exists", keys.save_private_key, path, key, PASS)
    assert path.read_bytes() == b"someone's key"
    keys.save_private_key(path, key, PASS, overwrite=True)
    assert raw(keys.load_private_key(path, PASS)) == raw(key)
    if POSIX:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_short_passphrase_refused(key, tmp_path):
    fails("weak_passphrase", keys.save_private_key, tmp_path / "k", key, "abc-12")
    assert not (tmp_path / "k").exists()


def test_unwritable_directory(key, tmp_path):
    fails("unwritable", keys.save_private_key, tmp_path / "no" / "such" / "k", key, PASS)


@settings(max_examples=200, deadline=None)
@given(junk=st.binary(max_size=300))
def test_fuzz_key_bytes_only_key_errors(junk):
    for data in (junk, b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + junk):
        with pytest.raises(KeyFileError):
            keys.private_key_from_bytes(data, PASS)


# --- ssh-keygen reads ours, we read ssh-keygen's -------------------------------------


@pytest.mark.tools
def test_ssh_keygen_reads_our_encrypted_key(key, saved, ssh_keygen):
    out = subprocess.run([ssh_keygen, "-y", "-P", PASS, "-f", str(saved)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == public_key_openssh(key.public_key()).split()
    wrong = subprocess.run([ssh_keygen, "-y", "-P", "WRONG-PASS1", "-f", str(saved)],
                           capture_output=True, text=True, timeout=30)
    assert wrong.returncode != 0


@pytest.mark.tools
def test_we_read_ssh_keygen_encrypted_key(ssh_keygen, tmp_path):
    path = tmp_path / "id_ed25519"
    subprocess.run([ssh_keygen, "-q", "-t", "ed25519", "-N", PASS, "-C", "expert", "-f", str(path)],
                   check=True, capture_output=True, timeout=30)
    loaded = keys.load_private_key(path, PASS.lower())
    pub_line = path.with_suffix(".pub").read_text()
    assert public_key_openssh(loaded.public_key(), "expert") == pub_line.strip()


# --- public keys ---------------------------------------------------------------------


def test_public_key_line_round_trip(key):
    pub = key.public_key()
    for line in (public_key_openssh(pub), public_key_openssh(pub, "专家 7") + "\n", public_key_openssh(pub).encode()):
        loaded = keys.load_public_key(line)
        assert loaded.public_bytes(Encoding.Raw, PublicFormat.Raw) == pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_bad_public_key_lines(key):
    ecdsa_line = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    ed_line = public_key_openssh(key.public_key())
    fails("key_type", keys.load_public_key, ecdsa_line)
    # an ECDSA blob relabelled as ssh-ed25519
    fails("public_key", keys.load_public_key, "ssh-ed25519 " + ecdsa_line.split()[1])
    for bad in ["", "ssh-ed25519", "ssh-ed25519 AAAA", ed_line[:-3], ed_line + "\n" + ed_line, "ssh-ed25519 密钥"]:
        fails("public_key", keys.load_public_key, bad)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=120), st.binary(max_size=120).map(lambda b: b"ssh-ed25519 " + b)))
def test_fuzz_public_key_only_key_errors(text):
    with pytest.raises(KeyFileError):
        keys.load_public_key(text)


# --- passphrases ---------------------------------------------------------------------


def test_generated_passphrase_shape_and_entropy():
    seen = set()
    for _ in range(200):
        p = keys.generate_passphrase()
        groups = p.split("-")
        assert all(len(g) == 5 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 5
        assert set(p.replace("-", "")) <= set(keys.ALPHABET)
        assert not set("ILOU") & set(p)
        assert keys.passphrase_entropy_bits(p) >= 88 > 80
        assert keys.normalize_passphrase(p) == p
        seen.add(p)
    assert len(seen) == 200
    assert len(keys.ALPHABET) == 32 and len(set(keys.ALPHABET)) == 32


@pytest.mark.parametrize("bits", [80, 81, 100, 128, 256])
def test_requested_bits_are_met(bits):
    p = keys.generate_passphrase(bits)
    assert bits <= keys.passphrase_entropy_bits(p) < bits + 5
    assert keys.passphrase_entropy_bits(p) == len(p.replace("-", "")) * math.log2(32)


def test_too_few_bits_refused():
    with pytest.raises(ValueError):
        keys.generate_passphrase(64)


def test_generator_uses_whole_alphabet():
    counts = {c: 0 for c in keys.ALPHABET}
    for _ in range(100):
        for c in keys.generate_passphrase().replace("-", ""):
            counts[c] += 1
    assert all(n > 0 for n in counts.values())  # 1800 draws: a missing symbol is ~1e-24


def test_free_form_passphrases():
    assert keys.normalize_passphrase("  Tom & Jerry! ") == "Tom & Jerry!"
    assert keys.normalize_passphrase("ｐａｓｓ＆ｗｏｒｄ") == "pass&word"
    assert keys.passphrase_entropy_bits("Tom & Jerry!") == 0.0
    assert keys.passphrase_entropy_bits("") == 0.0


@given(st.text(max_size=40))
def test_normalisation_is_idempotent(text):
    once = keys.normalize_passphrase(text)
    assert keys.normalize_passphrase(once) == once


@given(seed=st.randoms(use_true_random=False), data=st.data())
def test_typed_forms_match(seed, data):
    p = keys.generate_passphrase()
    typed = []
    for c in p.replace("-", ""):
        c = c.lower() if seed.random() < 0.5 else c
        c = {"1": seed.choice("1iIlL"), "0": seed.choice("0oO")}.get(c, c)
        typed.append(c + data.draw(st.sampled_from(["", "", " ", "-", "\u3000", "－"])))
    assert keys.normalize_passphrase("".join(typed)) == p
