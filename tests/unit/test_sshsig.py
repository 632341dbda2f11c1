"""SSHSIG: our signatures against ssh-keygen's, tampering, and fuzzed input."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbdesk.domain.messages import QbdeskError
from qbdesk.formats import sshsig
from qbdesk.formats.sshsig import SCORE_NAMESPACE, SNAPSHOT_NAMESPACE, SignatureError

# A fixed key makes failures reproducible; Ed25519 signing is deterministic.
SEED = bytes(range(32))
MESSAGE = "评审意见：同意。Scores for round 2025-1.\n".encode()


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEED)


@pytest.fixture(scope="module")
def ssh_keygen() -> str:
    """The tool, or skip, except in CI where a missing tool must fail the run."""
    path = shutil.which("ssh-keygen")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("ssh-keygen is required in CI (apt-get install openssh-client)")
        pytest.skip("ssh-keygen not installed")
    return path


def write_plain_key(path: Path, key: Ed25519PrivateKey) -> Path:
    """Unencrypted OpenSSH key file, mode 0600 (ssh-keygen refuses anything looser)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    os.chmod(path, 0o600)
    return path


def keygen_sign(tool: str, keyfile: Path, namespace: str, message: bytes, *extra: str) -> str:
    done = subprocess.run(
        [tool, "-Y", "sign", "-f", str(keyfile), "-n", namespace, *extra],
        input=message,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode()


def keygen_verify(tool: str, tmp: Path, allowed: str, principal: str, namespace: str,
                  signature: str, message: bytes) -> subprocess.CompletedProcess[bytes]:
    (tmp / "allowed_signers").write_text(allowed + "\n")
    (tmp / "msg.sig").write_text(signature)
    return subprocess.run(
        [tool, "-Y", "verify", "-f", str(tmp / "allowed_signers"), "-I", principal,
         "-n", namespace, "-s", str(tmp / "msg.sig")],
        input=message,
        capture_output=True,
        timeout=30,
    )


def blob_of(armored: str) -> bytes:
    return base64.b64decode("".join(armored.strip().splitlines()[1:-1]))


def armor(blob: bytes) -> str:
    body = base64.b64encode(blob).decode()
    return "\n".join([sshsig.BEGIN, *[body[i:i + 70] for i in range(0, len(body), 70)], sshsig.END]) + "\n"


def s(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def build(key: Ed25519PrivateKey, message: bytes, *, namespace: str = SCORE_NAMESPACE,
          hash_alg: str = "sha512", magic: bytes = b"SSHSIG", version: int = 1,
          key_type: bytes = b"ssh-ed25519", sig_type: bytes = b"ssh-ed25519") -> str:
    """An SSHSIG built independently of the module, field by field, from the spec."""
    digest = hashlib.new(hash_alg if hash_alg in ("sha256", "sha512") else "sha512", message).digest()
    signed = b"SSHSIG" + s(namespace.encode()) + s(b"") + s(hash_alg.encode()) + s(digest)
    raw_pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    blob = (magic + struct.pack(">I", version) + s(s(key_type) + s(raw_pub)) + s(namespace.encode())
            + s(b"") + s(hash_alg.encode()) + s(s(sig_type) + s(key.sign(signed))))
    return armor(blob)


# --- round trip and format -----------------------------------------------------


def test_round_trip_returns_signer(key):
    sig = sshsig.sign(key, MESSAGE, SCORE_NAMESPACE)
    signer = sshsig.verify(sig, MESSAGE, SCORE_NAMESPACE, public_key=key.public_key())
    assert sshsig.fingerprint(signer) == sshsig.fingerprint(key.public_key())
    # bytes input and no expected key work too
    sshsig.verify(sig.encode(), MESSAGE, SCORE_NAMESPACE)


def test_armor_shape(key):
    sig = sshsig.sign(key, MESSAGE * 50, SNAPSHOT_NAMESPACE)
    lines = sig.split("\n")
    assert lines[0] == "-----BEGIN SSH SIGNATURE-----"
    assert lines[-2] == "-----END SSH SIGNATURE-----" and lines[-1] == ""
    assert all(len(line) == 70 for line in lines[1:-3]) and 0 < len(lines[-3]) <= 70


def test_matches_independent_construction(key):
    assert sshsig.sign(key, MESSAGE, SCORE_NAMESPACE) == build(key, MESSAGE)


def test_streaming_equals_bytes(key, tmp_path, monkeypatch):
    data = os.urandom(3000)
    expected = sshsig.sign(key, data, SCORE_NAMESPACE)
    monkeypatch.setattr(sshsig, "CHUNK", 7)  # force many chunk boundaries
    assert sshsig.sign(key, io.BytesIO(data), SCORE_NAMESPACE) == expected
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    with open(path, "rb") as f:
        assert sshsig.verify(expected, f, SCORE_NAMESPACE, public_key=key.public_key())
    with open(path, "rb") as f, pytest.raises(SignatureError):
        sshsig.verify(expected, io.BytesIO(f.read() + b"x"), SCORE_NAMESPACE)


def test_sha256_signatures_verify(key):
    sshsig.verify(build(key, MESSAGE, hash_alg="sha256"), MESSAGE, SCORE_NAMESPACE)


# --- rejections ------------------------------------------------------------------


def rejected(armored, message=MESSAGE, namespace=SCORE_NAMESPACE, **kw) -> SignatureError:
    with pytest.raises(SignatureError) as info:
        sshsig.verify(armored, message, namespace, **kw)
    err = info.value
    assert isinstance(err, QbdeskError)
    assert err.msg.zh and err.msg.en and err.msg.zh != err.msg.en
    return err


def test_flipping_any_message_byte_is_rejected(key):
    msg = b"P2-0007 total 87.5"
    sig = sshsig.sign(key, msg, SCORE_NAMESPACE)
    for i in range(len(msg)):
        for mask in (0x01, 0x80):
            bad = bytearray(msg)
            bad[i] ^= mask
            assert rejected(sig, bytes(bad)).reason == "invalid"
    assert rejected(sig, msg + b"\n").reason == "invalid"
    assert rejected(sig, msg[:-1]).reason == "invalid"


def test_flipping_any_blob_byte_is_rejected(key):
    blob = blob_of(sshsig.sign(key, MESSAGE, SCORE_NAMESPACE))
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        rejected(armor(bytes(bad)))
    for cut in range(1, len(blob)):
        rejected(armor(blob[:cut]))
    assert rejected(armor(blob + b"\0")).reason == "malformed"


def test_wrong_namespace(key):
    sig = sshsig.sign(key, MESSAGE, SNAPSHOT_NAMESPACE)
    err = rejected(sig, namespace=SCORE_NAMESPACE)
    assert err.reason == "namespace"
    assert SNAPSHOT_NAMESPACE in err.msg.en and SCORE_NAMESPACE in err.msg.zh


def test_key_mismatch_names_both_fingerprints(key):
    other = Ed25519PrivateKey.from_private_bytes(bytes(32))
    sig = sshsig.sign(key, MESSAGE, SCORE_NAMESPACE)
    err = rejected(sig, public_key=other.public_key())
    assert err.reason == "key_mismatch"
    assert sshsig.fingerprint(key.public_key()) in err.msg.en
    assert sshsig.fingerprint(other.public_key()) in err.msg.zh


@pytest.mark.parametrize(
    ("armored", "reason"),
    [
        ("", "armor"),
        ("hello", "armor"),
        ("-----BEGIN SSH SIGNATURE-----\nnot base64!\n-----END SSH SIGNATURE-----\n", "armor"),
        ("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", "armor"),
        (b"\xff\xfe-----BEGIN SSH SIGNATURE-----", "armor"),
        ("-----BEGIN SSH SIGNATURE-----\nU1NI\n-----END SSH SIGNATURE-----\n", "magic"),
    ],
)
def test_not_a_signature(armored, reason):
    assert rejected(armored).reason == reason


def test_crafted_headers(key):
    assert rejected(build(key, MESSAGE, magic=b"SSHSIX")).reason == "magic"
    assert rejected(build(key, MESSAGE, version=2)).reason == "version"
    assert rejected(build(key, MESSAGE, hash_alg="md5")).reason == "hash"
    assert rejected(build(key, MESSAGE, key_type=b"ssh-rsa")).reason == "key_type"
    assert rejected(build(key, MESSAGE, sig_type=b"rsa-sha2-512")).reason == "key_type"


def test_crlf_and_surrounding_whitespace_accepted(key):
    sig = sshsig.sign(key, MESSAGE, SCORE_NAMESPACE)
    sshsig.verify("\r\n  " + sig.replace("\n", "\r\n") + "\n\n", MESSAGE, SCORE_NAMESPACE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=600), st.text(max_size=300), st.binary(max_size=400).map(armor)))
def test_fuzz_only_signature_errors(data):
    with pytest.raises(SignatureError):
        sshsig.verify(data, MESSAGE, SCORE_NAMESPACE)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.integers(0, 400))
def test_fuzz_mutated_valid_blob(edits, cut):
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    blob = bytearray(blob_of(sshsig.sign(key, MESSAGE, SCORE_NAMESPACE)))
    for pos, value in edits:
        blob[pos % len(blob)] = value
    mutated = bytes(blob[: max(cut, 1)])
    try:
        sshsig.verify(armor(mutated), MESSAGE, SCORE_NAMESPACE)
    except SignatureError:
        return
    # Only an unchanged blob may pass (an edit can write back the same byte).
    assert mutated == blob_of(sshsig.sign(key, MESSAGE, SCORE_NAMESPACE))


# --- keys as OpenSSH writes them -------------------------------------------------


def test_public_key_line(key):
    pub = key.public_key()
    plain = pub.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    assert sshsig.public_key_openssh(pub) == plain
    assert sshsig.public_key_openssh(pub, "张三 expert\n7") == plain + " 张三 expert 7"


def test_allowed_signers_line_rejects_pattern_characters(key):
    pub = key.public_key()
    line = sshsig.allowed_signers_line("expert-007@round.2025", pub, [SCORE_NAMESPACE])
    assert line == f'expert-007@round.2025 namespaces="{SCORE_NAMESPACE}" {sshsig.public_key_openssh(pub)}'
    for bad in ["", "a b", "a,b", "*", "!x", 'a"b', "专家", "x" * 129]:
        with pytest.raises(QbdeskError):
            sshsig.allowed_signers_line(bad, pub)


# --- interoperability with ssh-keygen --------------------------------------------


@pytest.mark.tools
def test_ssh_keygen_verifies_ours(key, ssh_keygen, tmp_path):
    sig = sshsig.sign(key, MESSAGE, SCORE_NAMESPACE)
    allowed = sshsig.allowed_signers_line("expert-1", key.public_key())
    ok = keygen_verify(ssh_keygen, tmp_path, allowed, "expert-1", SCORE_NAMESPACE, sig, MESSAGE)
    assert ok.returncode == 0, ok.stderr
    assert sshsig.fingerprint(key.public_key()).encode() in ok.stdout
    # and the tool is really checking: a changed message fails
    bad = keygen_verify(ssh_keygen, tmp_path, allowed, "expert-1", SCORE_NAMESPACE, sig, MESSAGE + b"!")
    assert bad.returncode != 0


@pytest.mark.tools
def test_namespaces_option_restricts_key(key, ssh_keygen, tmp_path):
    allowed = sshsig.allowed_signers_line("expert-1", key.public_key(), [SCORE_NAMESPACE])
    sig = sshsig.sign(key, MESSAGE, SNAPSHOT_NAMESPACE)
    res = keygen_verify(ssh_keygen, tmp_path, allowed, "expert-1", SNAPSHOT_NAMESPACE, sig, MESSAGE)
    assert res.returncode != 0


@pytest.mark.tools
def test_ssh_keygen_signature_verifies_and_is_byte_identical(key, ssh_keygen, tmp_path):
    keyfile = write_plain_key(tmp_path / "id_ed25519", key)
    theirs = keygen_sign(ssh_keygen, keyfile, SCORE_NAMESPACE, MESSAGE)
    assert sshsig.verify(theirs, MESSAGE, SCORE_NAMESPACE, public_key=key.public_key())
    assert sshsig.sign(key, MESSAGE, SCORE_NAMESPACE) == theirs
    # a larger message, across several of our read chunks
    big = os.urandom(3 * 1024 * 1024 + 17)
    assert sshsig.sign(key, io.BytesIO(big), SNAPSHOT_NAMESPACE) == keygen_sign(
        ssh_keygen, keyfile, SNAPSHOT_NAMESPACE, big
    )


@pytest.mark.tools
def test_ssh_keygen_sha256_signature_verifies(key, ssh_keygen, tmp_path):
    keyfile = write_plain_key(tmp_path / "id_ed25519", key)
    theirs = keygen_sign(ssh_keygen, keyfile, SCORE_NAMESPACE, MESSAGE, "-O", "hashalg=sha256")
    assert b"sha256" in blob_of(theirs)
    sshsig.verify(theirs, MESSAGE, SCORE_NAMESPACE, public_key=key.public_key())


@pytest.mark.tools
def test_fingerprint_matches_ssh_keygen(ssh_keygen, tmp_path):
    for seed in (SEED, bytes(32), b"\xff" * 32):
        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        (tmp_path / "k.pub").write_text(sshsig.public_key_openssh(pub, "c") + "\n")
        out = subprocess.run([ssh_keygen, "-lf", str(tmp_path / "k.pub")],
                             capture_output=True, text=True, check=True).stdout
        assert out.split()[1] == sshsig.fingerprint(pub)
        assert out.startswith("256 SHA256:") and out.rstrip().endswith("(ED25519)")
