"""Snapshots (.qbsnap): round trip, every refusal with its reason, and the stock tools reading them."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qbdesk.formats import agezip, keys, sshsig
from qbdesk.formats.snapshot import (
    FORMAT,
    IDENTITY_KDF_ROUNDS,
    META_FORMAT,
    SnapshotError,
    SnapshotReader,
    SnapshotWriter,
    read_manifest,
    unwrap_identity,
)
from qbdesk.formats.snapshot_manifest import canonical_json

PASS = "7KQ2M-XW9DA-4HT0R-GZ5QP"
FAST = 2  # bcrypt rounds for tests that are not about the KDF (64 costs ~0.5 s per wrap/unwrap)
SIGNER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
RECEIVING = str(pyrage.x25519.Identity.generate().to_public())
META = {
    "round": {"id": 7, "name": "2026年第一批", "year": 2026},
    "expert": {"id": "E01", "name": "王专家"},
    "binding_secret": "5a" * 32,
    "applications": [{"code": "A7K2Q", "program": "P3", "title": "绿色产品认证"}],
}
CODE_KEY = bytes(range(32))
OWNERS = {"A7K2Q": ("2026-P3-0001", {})}
ATTACHMENTS = [b"%PDF-1.4\n" + os.urandom(150_000), b"", b"%PDF-1.7\n" + bytes(65_536 - 9)]


def build(path: Path, attachments=ATTACHMENTS, *, rounds: int = FAST, signer=SIGNER, meta=META, expert="E01"):
    """A snapshot at ``path``; returns (manifest, entry names, writer)."""
    with SnapshotWriter(
        path, signing_key=signer, receiving_recipient=RECEIVING, passphrase=PASS, snapshot_id="0b6c1f5e-snap",
        round_id=7, round_name="2026年第一批", round_year=2026, expert_id=expert, rounds=rounds,
    ) as w:  # fmt: skip
        names = [w.add_attachment(io.BytesIO(a)) for a in attachments]
        w.write_meta({**meta, "files": names})
        w.bind_codes(CODE_KEY, {a["code"]: OWNERS.get(a["code"], ("X", {})) for a in meta.get("applications", [])})
    return w.manifest, names, w


def rewrite(src: Path, dst: Path, replace: dict[str, bytes | None] | None = None, add: dict[str, bytes] | None = None):
    """Copy a snapshot zip entry by entry (valid CRCs), replacing, dropping or adding entries."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def resign(src: Path, dst: Path, edit, signer=SIGNER) -> Path:
    """A copy whose manifest was edited and signed again (by ``signer``)."""
    with zipfile.ZipFile(src) as z:
        data = json.loads(z.read("qbsnap/manifest.json"))
    edit(data)
    raw = canonical_json(data)
    sig = sshsig.sign(signer, raw, sshsig.SNAPSHOT_NAMESPACE).encode()
    return rewrite(src, dst, {"qbsnap/manifest.json": raw, "qbsnap/manifest.sig": sig})


def refusal(code: str, call, *args, **kwargs) -> SnapshotError:
    with pytest.raises(SnapshotError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    return info.value


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    path = tmp_path_factory.mktemp("snap") / "E01.qbsnap"
    manifest, names, writer = build(path)
    return path, manifest, names, writer


# --- round trip ------------------------------------------------------------------


def test_round_trip(snap):
    path, manifest, names, writer = snap
    with SnapshotReader(path, PASS) as reader:
        assert reader.meta == {**META, "files": names, "format": META_FORMAT, "snapshot_id": "0b6c1f5e-snap"}
        assert [reader.read_attachment(n) for n in names] == ATTACHMENTS
        assert reader.manifest == manifest
        assert reader.identity_public_key() == manifest.identity_public_key
    assert names == ["qbsnap/files/0001.pdf.age", "qbsnap/files/0002.pdf.age", "qbsnap/files/0003.pdf.age"]
    for name, data in zip(names, ATTACHMENTS):
        assert writer.plaintext[name] == agezip.Digest(len(data), hashlib.sha256(data).hexdigest())


def test_manifest_is_canonical_signed_and_describes_every_entry(snap):
    path, manifest, names, _ = snap
    assert read_manifest(path) == manifest
    data = json.loads(manifest.raw)
    assert canonical_json(data) == manifest.raw
    assert data["format"] == FORMAT == "qbdesk.snapshot/2"
    assert data["coordinator"]["fingerprint"] == sshsig.fingerprint(SIGNER.public_key()) == manifest.coordinator_fingerprint
    assert data["coordinator"]["receiving_recipient"] == RECEIVING
    assert data["identity"]["kdf"] == "bcrypt" and data["identity"]["rounds"] == FAST
    assert manifest.digest == hashlib.sha256(manifest.raw).hexdigest()
    assert [e.name for e in manifest.entries] == ["qbsnap/meta.json.age", *names]
    with zipfile.ZipFile(path) as z:
        for entry in manifest.entries:
            blob = z.read(entry.name)
            assert (len(blob), hashlib.sha256(blob).hexdigest()) == (entry.size, entry.sha256)
            assert blob.startswith(b"age-encryption.org/v1\n")
        sig = z.read("qbsnap/manifest.sig")
    assert sshsig.verify(sig, manifest.raw, sshsig.SNAPSHOT_NAMESPACE, public_key=SIGNER.public_key())


def test_zip_layout(snap):
    path, _, names, _ = snap
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == [
        "qbsnap/identity.key", *names, "qbsnap/meta.json.age", "qbsnap/manifest.json", "qbsnap/manifest.sig"
    ]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    assert stat.S_IMODE(infos[0].external_attr >> 16) == 0o600  # unzip restores it: ssh-keygen accepts the file
    head = path.read_bytes()[:49]
    assert head[:4] == b"PK\x03\x04" and head[30:49] == b"qbsnap/identity.key"  # the magic


def test_typed_passphrase_is_normalised(snap):
    path, _, names, _ = snap
    with SnapshotReader(path, " 7kq2m xw9da 4ht0r gz5qp ", check_entries=False) as reader:
        assert reader.read_attachment(names[0]) == ATTACHMENTS[0]


def test_identity_with_64_rounds_unwraps(tmp_path):
    assert IDENTITY_KDF_ROUNDS == 64
    path = tmp_path / "real.qbsnap"
    manifest, names, _ = build(path, [b"%PDF-1.4\n"], rounds=IDENTITY_KDF_ROUNDS)
    assert manifest.identity_rounds == 64
    assert json.loads(manifest.raw)["identity"]["rounds"] == 64
    with zipfile.ZipFile(path) as z:
        wrapped = z.read("qbsnap/identity.key")
    assert keys._read_header(wrapped).rounds == 64
    with SnapshotReader(path, PASS.lower()) as reader:
        assert reader.read_attachment(names[0]) == b"%PDF-1.4\n"
    clear = unwrap_identity(path, PASS)
    assert pyrage.ssh.Identity.from_buffer(clear)
    assert b"ENCRYPTED" not in clear and clear.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")


# --- refusals --------------------------------------------------------------------


def test_wrong_passphrase(snap):
    path, _, _, _ = snap
    err = refusal("wrong_passphrase", SnapshotReader, path, "AAAAA-BBBBB-CCCCC-DDDDD")
    assert str(path) in err.text("en") and "wrong passphrase" in err.text("en")
    assert "口令不正确" in err.text("zh")
    refusal("wrong_passphrase", unwrap_identity, path, "not the passphrase")


def test_truncated_anywhere(snap, tmp_path):
    path, _, _, _ = snap
    data = path.read_bytes()
    cut = tmp_path / "cut.qbsnap"
    points = {1, 3, 4, 29, 30, 40, 500, len(data) // 2} | set(range(len(data) - 300, len(data)))
    for n in sorted(points):
        cut.write_bytes(data[:n])
        err = refusal("truncated", read_manifest, cut)
        assert "truncated" in err.text("en") and "截断" in err.text("zh"), n
    refusal("truncated", SnapshotReader, cut, PASS)


def test_not_a_snapshot(tmp_path):
    cases = {
        "empty.qbsnap": b"",
        "text.qbsnap": "这不是快照".encode(),
        "random.qbsnap": os.urandom(5000),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        err = refusal("not_a_snapshot", read_manifest, tmp_path / name)
        assert name in err.text("en")
    other = tmp_path / "package.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("application.json", "{}")
    refusal("not_a_snapshot", read_manifest, other)
    refusal("unreadable", read_manifest, tmp_path / "missing.qbsnap")
    refusal("unreadable", SnapshotReader, tmp_path, PASS)  # a folder


def test_flipped_ciphertext_byte_is_tampered_and_never_decrypted(snap, tmp_path):
    path, manifest, names, _ = snap
    with zipfile.ZipFile(path) as z:
        blob = bytearray(z.read(names[0]))
    blob[len(blob) // 2] ^= 0x01
    bad = rewrite(path, tmp_path / "flip.qbsnap", {names[0]: bytes(blob)})
    err = refusal("tampered", read_manifest, bad)
    assert err.entry == names[0] and names[0] in err.text("en") and names[0] in err.text("zh")
    refusal("tampered", SnapshotReader, bad, PASS)
    # Skipping the up-front check only postpones the refusal: nothing is handed out.
    with SnapshotReader(bad, PASS, check_entries=False) as reader:
        assert reader.read_attachment(names[2]) == ATTACHMENTS[2]
        err = refusal("corrupt_entry", reader.read_attachment, names[0])
        assert names[0] in err.text("en")


def test_flipped_byte_in_place_fails_the_zip_checksum_too(snap, tmp_path):
    path, manifest, names, _ = snap
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = data.index(b"age-encryption.org/v1", z.getinfo(names[0]).header_offset)
    data[offset + 1000] ^= 0x80
    bad = tmp_path / "inplace.qbsnap"
    bad.write_bytes(bytes(data))
    assert refusal("tampered", read_manifest, bad).entry == names[0]
    with SnapshotReader(bad, PASS, check_entries=False) as reader:
        refusal("corrupt_entry", reader.read_attachment, names[0])


def test_valid_age_file_swapped_in_is_refused_by_hash(snap, tmp_path):
    """A well-formed ciphertext to the same identity, same size: decrypts fine, but is not the signed one."""
    path, manifest, names, _ = snap
    entry = manifest.entry(names[2])
    recipient = pyrage.ssh.Recipient.from_str(manifest.identity_public_key)
    n = len(ATTACHMENTS[2])
    for _ in range(5000):
        forged = pyrage.encrypt(b"x" * n, [recipient])
        if len(forged) == entry.size:
            break
        header = agezip.age_size(forged, 0) - agezip.AGE_NONCE - agezip.AGE_TAG
        n = entry.size - header - agezip.AGE_NONCE - agezip.AGE_TAG * max(1, math.ceil(n / agezip.AGE_CHUNK))
    assert len(forged) == entry.size
    bad = rewrite(path, tmp_path / "swap.qbsnap", {names[2]: forged})
    assert refusal("tampered", read_manifest, bad).entry == names[2]
    with SnapshotReader(bad, PASS, check_entries=False) as reader:
        assert refusal("tampered", reader.read_attachment, names[2]).entry == names[2]


def test_changed_manifest_fails_the_signature(snap, tmp_path):
    path, manifest, _, _ = snap
    raw = manifest.raw.replace(b'"expert_id":"E01"', b'"expert_id":"E02"')
    assert raw != manifest.raw
    bad = rewrite(path, tmp_path / "m.qbsnap", {"qbsnap/manifest.json": raw})
    err = refusal("bad_signature", read_manifest, bad)
    assert "signature" in err.text("en") and "签名" in err.text("zh")
    refusal("bad_signature", SnapshotReader, bad, PASS)


def test_signature_by_another_key_names_both_fingerprints(snap, tmp_path):
    path, manifest, _, _ = snap
    other = Ed25519PrivateKey.generate()
    sig = sshsig.sign(other, manifest.raw, sshsig.SNAPSHOT_NAMESPACE).encode()
    bad = rewrite(path, tmp_path / "other.qbsnap", {"qbsnap/manifest.sig": sig})
    err = refusal("bad_signature", read_manifest, bad)
    for key in (SIGNER, other):
        assert sshsig.fingerprint(key.public_key()) in err.text("en")
    # A snapshot that is intact but not from this coordinator.
    err = refusal("bad_signature", read_manifest, path, coordinator_key=other.public_key())
    for key in (SIGNER, other):
        assert sshsig.fingerprint(key.public_key()) in err.text("zh")
    assert read_manifest(path, coordinator_key=SIGNER.public_key()) == manifest


def test_signature_for_another_purpose(snap, tmp_path):
    path, manifest, _, _ = snap
    sig = sshsig.sign(SIGNER, manifest.raw, sshsig.SCORE_NAMESPACE).encode()
    bad = rewrite(path, tmp_path / "ns.qbsnap", {"qbsnap/manifest.sig": sig})
    assert "namespace" in refusal("bad_signature", read_manifest, bad).text("en")


def test_missing_and_extra_entries(snap, tmp_path):
    path, _, names, _ = snap
    missing = rewrite(path, tmp_path / "missing.qbsnap", {names[1]: None})
    err = refusal("tampered", read_manifest, missing, check_entries=False)
    assert err.entry == names[1] and "missing" in err.text("en")
    extra = rewrite(path, tmp_path / "extra.qbsnap", add={"qbsnap/files/0009.pdf.age": b"age"})
    err = refusal("tampered", read_manifest, extra, check_entries=False)
    assert err.entry == "qbsnap/files/0009.pdf.age" and "not in the signed manifest" in err.text("en")
    for gone in ("qbsnap/manifest.sig", "qbsnap/identity.key", "qbsnap/manifest.json"):
        bad = rewrite(path, tmp_path / "gone.qbsnap", {gone: None})
        assert refusal("tampered", read_manifest, bad).entry == gone


def test_duplicate_and_compressed_entries(snap, tmp_path):
    path, _, names, _ = snap
    with zipfile.ZipFile(path) as z:
        blob = z.read(names[1])
    dup = tmp_path / "dup.qbsnap"
    rewrite(path, dup)
    with pytest.warns(UserWarning), zipfile.ZipFile(dup, "a") as z:
        z.writestr(names[1], blob)
    assert refusal("tampered", read_manifest, dup).entry == names[1]
    deflated = tmp_path / "deflated.qbsnap"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    assert "compressed" in refusal("tampered", read_manifest, deflated).text("en")


def test_altered_identity_is_tampered(snap, tmp_path):
    path, _, _, _ = snap
    with zipfile.ZipFile(path) as z:
        wrapped = bytearray(z.read("qbsnap/identity.key"))
    wrapped[200] ^= 0x04
    bad = rewrite(path, tmp_path / "id.qbsnap", {"qbsnap/identity.key": bytes(wrapped)})
    assert refusal("tampered", SnapshotReader, bad, PASS, check_entries=False).entry == "qbsnap/identity.key"


def test_unknown_version_and_bad_fields(snap, tmp_path):
    path, _, _, _ = snap
    v3 = resign(path, tmp_path / "v3.qbsnap", lambda d: d.update(format="qbdesk.snapshot/3"))
    err = refusal("unknown_format", read_manifest, v3)
    assert "qbdesk.snapshot/3" in err.text("en")
    edits = {
        "applications.A7K2Q": lambda d: d["applications"]["A7K2Q"].update(binding="no"),
        "applications": lambda d: d.update(applications=[]),
        "round.year": lambda d: d["round"].update(year="2026"),
        "entries[1].size": lambda d: d["entries"][1].update(size=True),
        "identity.rounds": lambda d: d["identity"].update(rounds=10_000),
        "coordinator.receiving_recipient": lambda d: d["coordinator"].update(receiving_recipient="age1nope"),
        "entries[0].name": lambda d: d["entries"][0].update(name="qbsnap/../meta.json.age"),
        "manifest": lambda d: d.update(extra=1),
    }
    for field, edit in edits.items():
        bad = resign(path, tmp_path / "f.qbsnap", edit)
        assert field in refusal("unknown_format", read_manifest, bad).text("en")


def test_each_code_is_bound_in_the_signed_manifest(snap):
    """qbdesk.snapshot/2: per code, the keyed hash of its meta.json element and the coordinator's binding."""
    from qbdesk.formats.snapshot_manifest import code_binding, content_hash

    path, _, _, _ = snap
    m = read_manifest(path)
    with SnapshotReader(path, PASS) as reader:
        (element,) = reader.meta["applications"]
    content = content_hash(bytes.fromhex(META["binding_secret"]), element)
    assert m.applications["A7K2Q"].content == content
    assert m.applications["A7K2Q"].binding == code_binding(CODE_KEY, "A7K2Q", "2026-P3-0001", content, {})
    assert m.applications["A7K2Q"].binding != code_binding(CODE_KEY, "A7K2Q", "2026-P3-0002", content, {})
    assert "2026-P3-0001" not in m.raw.decode()  # the map itself is never in clear


def test_version_1_manifest_is_still_read_and_needs_no_bindings(snap, tmp_path):
    path, _, _, _ = snap

    def as_v1(d):
        d.update(format="qbdesk.snapshot/1")
        del d["applications"]

    old = resign(path, tmp_path / "v1.qbsnap", as_v1)
    with SnapshotReader(old, PASS) as reader:
        assert reader.manifest.format == "qbdesk.snapshot/1" and reader.manifest.applications == {}
    bad = resign(path, tmp_path / "v1x.qbsnap", lambda d: d.update(format="qbdesk.snapshot/1"))
    assert "manifest" in refusal("unknown_format", read_manifest, bad).text("en")


def test_metadata_not_matching_its_signed_content_hash_is_tampering(snap, tmp_path):
    path, _, _, _ = snap
    bad = resign(path, tmp_path / "c.qbsnap", lambda d: d["applications"]["A7K2Q"].update(content="0" * 64))
    read_manifest(bad)  # the manifest alone is fine: only the decrypted metadata can say
    err = refusal("tampered", SnapshotReader, bad, PASS)
    assert "content hashes" in err.text("en")


def test_writer_refuses_metadata_listing_bytes_it_did_not_write(tmp_path):
    meta = {**META, "applications": [{"code": "A7K2Q", "attachments": [
        {"entry": "qbsnap/files/0001.pdf.age", "size": 3, "sha256": "0" * 64}]}]}
    with pytest.raises(SnapshotError) as e:
        build(tmp_path / "x.qbsnap", meta=meta)
    assert e.value.code == "invalid_input" and "not what was written" in e.value.msg.en
    assert not (tmp_path / "x.qbsnap").exists()
    with pytest.raises(SnapshotError) as e:
        with SnapshotWriter(tmp_path / "y.qbsnap", signing_key=SIGNER, receiving_recipient=RECEIVING, passphrase=PASS,
                            snapshot_id="s", round_id=7, round_name="r", round_year=2026, expert_id="E01",
                            rounds=FAST) as w:
            w.write_meta(META)  # codes never bound
    assert e.value.code == "invalid_input" and "bind_codes" in e.value.msg.en


def test_unknown_entry(snap):
    path, _, _, _ = snap
    with SnapshotReader(path, PASS, check_entries=False) as reader:
        refusal("unknown_entry", reader.read_attachment, "qbsnap/files/0042.pdf.age")
        refusal("unknown_entry", reader.read_attachment, "qbsnap/meta.json.age")


# --- writing ---------------------------------------------------------------------


def test_writer_leaves_nothing_behind_on_error(tmp_path):
    target = tmp_path / "E02.qbsnap"
    with pytest.raises(RuntimeError):
        with SnapshotWriter(
            target, signing_key=SIGNER, receiving_recipient=RECEIVING, passphrase=PASS, snapshot_id="s1",
            round_id=1, round_name="r", round_year=2026, expert_id="E02", rounds=FAST,
        ) as w:  # fmt: skip
            w.add_attachment(io.BytesIO(b"%PDF-1.4\n"))
            raise RuntimeError("the caller failed")
    assert list(tmp_path.iterdir()) == []

    class Unreadable(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise OSError(5, "Input/output error")

    w = SnapshotWriter(target, signing_key=SIGNER, receiving_recipient=RECEIVING, passphrase=PASS, snapshot_id="s1",
                       round_id=1, round_name="r", round_year=2026, expert_id="E02", rounds=FAST)  # fmt: skip
    err = refusal("write_failed", w.add_attachment, Unreadable())
    assert str(target) in err.text("en")
    assert list(tmp_path.iterdir()) == []
    refusal("write_failed", w.write_meta, {})  # aborted for good


def test_writer_catches_a_silently_short_entry(tmp_path, monkeypatch):
    """pyrage 1.4 can lose its last write without raising (docs/notes/pyrage.md, pitfall 3)."""
    real = pyrage.encrypt_io

    def lossy(reader, writer, recipients):
        class DropLast:
            def __init__(self):
                self.pending = None

            def write(self, data):
                if self.pending is not None:
                    writer.write(self.pending)
                self.pending = bytes(data)
                return len(data)

        real(reader, DropLast(), recipients)  # the final chunk is never passed on

    monkeypatch.setattr(pyrage, "encrypt_io", lossy)
    w = SnapshotWriter(tmp_path / "short.qbsnap", signing_key=SIGNER, receiving_recipient=RECEIVING, passphrase=PASS,
                       snapshot_id="s1", round_id=1, round_name="r", round_year=2026, expert_id="E02", rounds=FAST)  # fmt: skip
    refusal("write_failed", w.add_attachment, io.BytesIO(os.urandom(200_000)))
    assert list(tmp_path.iterdir()) == []


def test_age_size_matches_pyrage():
    recipient = pyrage.x25519.Identity.generate().to_public()
    for n in (0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 5):
        blob = pyrage.encrypt(bytes(n), [recipient])
        assert agezip.age_size(blob, n) == len(blob), n


def test_writer_refuses_bad_input(tmp_path):
    def make(**over):
        args = dict(signing_key=SIGNER, receiving_recipient=RECEIVING, passphrase=PASS, snapshot_id="s1",
                    round_id=1, round_name="r", round_year=2026, expert_id="E01", rounds=FAST)  # fmt: skip
        return SnapshotWriter(tmp_path / "x.qbsnap", **{**args, **over})

    refusal("invalid_input", make, receiving_recipient="age1notarecipient")
    refusal("invalid_input", make, passphrase="short")
    refusal("invalid_input", make, expert_id="E 01")
    refusal("invalid_input", make, signing_key=b"not a key")
    w = make()
    refusal("invalid_input", w.write_meta, {"snapshot_id": "another"})
    refusal("invalid_input", w.close)  # no meta yet
    assert list(tmp_path.iterdir()) == []


def test_writer_replaces_atomically(tmp_path):
    target = tmp_path / "E01.qbsnap"
    first, _, _ = build(target, [b"one"])
    second, _, _ = build(target, [b"two"])
    assert read_manifest(target) == second != first
    assert [p.name for p in tmp_path.iterdir()] == ["E01.qbsnap"]


# --- stock tools -----------------------------------------------------------------


@pytest.mark.tools
def test_age_decrypts_an_entry_with_the_unwrapped_identity(snap, tmp_path, need_tool):
    age = need_tool("age")
    path, _, names, _ = snap
    with zipfile.ZipFile(path) as z:
        z.extract(names[0], tmp_path)
    key = tmp_path / "identity"
    key.write_bytes(unwrap_identity(path, PASS))
    key.chmod(0o600)
    out = subprocess.run([age, "-d", "-i", str(key), str(tmp_path / names[0])], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ATTACHMENTS[0]


@pytest.mark.tools
def test_ssh_keygen_reads_the_wrapped_identity_and_verifies_the_manifest(snap, tmp_path, need_tool):
    ssh_keygen = need_tool("ssh-keygen")
    path, manifest, _, _ = snap
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path, ["qbsnap/identity.key", "qbsnap/manifest.json", "qbsnap/manifest.sig"])
    key = tmp_path / "qbsnap/identity.key"
    key.chmod(0o600)
    out = subprocess.run([ssh_keygen, "-y", "-f", str(key), "-P", PASS], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == manifest.identity_public_key.split()[:2]
    wrong = subprocess.run([ssh_keygen, "-y", "-f", str(key), "-P", "WRONG"], capture_output=True, timeout=60)
    assert wrong.returncode != 0

    signers = tmp_path / "allowed_signers"
    signers.write_text(sshsig.allowed_signers_line("coordinator", SIGNER.public_key(), [sshsig.SNAPSHOT_NAMESPACE]) + "\n")
    verify = [ssh_keygen, "-Y", "verify", "-f", str(signers), "-I", "coordinator", "-n", sshsig.SNAPSHOT_NAMESPACE,
              "-s", str(tmp_path / "qbsnap/manifest.sig")]  # fmt: skip
    ok = subprocess.run(verify, input=manifest.raw, capture_output=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(verify, input=manifest.raw.replace(b"E01", b"E02"), capture_output=True, timeout=60)
    assert bad.returncode != 0


def test_damage_is_reported_before_a_wrong_passphrase(snap, tmp_path):
    path, _, names, _ = snap
    with zipfile.ZipFile(path) as z:
        blob = bytearray(z.read(names[2]))
    blob[-1] ^= 0x01
    bad = rewrite(path, tmp_path / "both.qbsnap", {names[2]: bytes(blob)})
    assert refusal("tampered", SnapshotReader, bad, "AAAAA-BBBBB-CCCCC-DDDDD").entry == names[2]
