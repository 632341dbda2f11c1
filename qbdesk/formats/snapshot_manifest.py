"""The signed manifest of a snapshot (``qbsnap/manifest.json``), and the snapshot's errors.

The manifest is the one clear, signed part of a ``.qbsnap``: who made it, for which
round and expert, the snapshot identity's public key, the size and SHA-256 of every
encrypted entry, and (``qbdesk.snapshot/2``) per application code the keyed hash of
that code's blind content and the coordinator's binding of the code to its application.
Checking it (signature, then ciphertext hashes) needs no passphrase. This module
handles the bytes only; ``snapshot.py`` handles the zip.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.formats import keys, sshsig

FORMAT = "qbdesk.snapshot/2"
FORMAT_V1 = "qbdesk.snapshot/1"  # no per-code bindings; still read
FORMATS = (FORMAT_V1, FORMAT)
META_FORMAT = "qbdesk.snapshot-meta/1"
FORMAT_PREFIX = "qbdesk.snapshot/"
IDENTITY_KDF_ROUNDS = 64

IDENTITY_NAME = "qbsnap/identity.key"
META_NAME = "qbsnap/meta.json.age"
MANIFEST_NAME = "qbsnap/manifest.json"
SIGNATURE_NAME = "qbsnap/manifest.sig"
CLEAR_NAMES = (IDENTITY_NAME, MANIFEST_NAME, SIGNATURE_NAME)
ATTACHMENT_NAME = re.compile(r"qbsnap/files/[0-9]{4,9}\.[a-z0-9]{1,8}\.age")
COORDINATOR_COMMENT = "qbdesk-coordinator"
KINDS = ("meta", "attachment")

# Limits on the clear parts, read before anything is verified (the signed sizes bound the rest).
MAX_MANIFEST = 32 * 1024 * 1024  # ~150 bytes per entry: room for 200,000 attachments
MAX_SIGNATURE = 64 * 1024
MAX_IDENTITY = 64 * 1024
MAX_META = 256 * 1024 * 1024  # decrypted into memory whole

_HEX64 = re.compile(r"[0-9a-f]{64}")
ID_PATTERN = re.compile(r"[A-Za-z0-9._@+-]{1,128}")  # snapshot and expert ids
CODE_PATTERN = re.compile(r"[0-9A-Z]{1,16}")  # application codes


class SnapshotError(QbdeskError):
    """A snapshot that cannot be written, opened or trusted; ``code`` says which way.

    Codes: ``unreadable``, ``not_a_snapshot``, ``truncated``, ``unknown_format``,
    ``bad_signature``, ``tampered``, ``wrong_passphrase``, ``corrupt_entry``,
    ``unknown_entry``, ``invalid_input``, ``write_failed``. ``entry`` names the zip
    entry concerned, when there is one.
    """

    def __init__(self, msg: Msg, code: str, entry: str | None = None):
        super().__init__(msg)
        self.code = code
        self.entry = entry


def snapshot_error(code: str, where: str, zh: str, en: str, entry: str | None = None) -> SnapshotError:
    """An error whose message starts with the file it is about."""
    return SnapshotError(Msg(f"快照 {where}：{zh}", f"snapshot {where}: {en}"), code, entry)


@dataclass(frozen=True)
class SnapshotEntry:
    name: str
    kind: str  # "meta" or "attachment"
    size: int  # ciphertext bytes, as stored in the zip
    sha256: str  # hex SHA-256 of the ciphertext


@dataclass(frozen=True)
class CodeBinding:
    """What the signed manifest says of one application code (qbdesk.snapshot/2)."""

    content: str  # HMAC-SHA256(binding_secret, canonical meta.json applications[] element), hex
    binding: str  # HMAC-SHA256(code_key, canonical {code, application, content, items}), hex


def content_hash(binding_secret: bytes, element: Any) -> str:
    """The keyed hash of one code's blind content: its ``applications[]`` element of meta.json,
    which lists its attachments' entries with the plaintext size and SHA-256 as written.

    Keyed with the snapshot's binding secret (inside the encrypted meta.json, and in the
    coordinator's database) so that the clear manifest does not let someone holding a copy of
    the stick confirm a guess of an application's content."""
    return hmac.new(binding_secret, canonical_json(element), hashlib.sha256).hexdigest()


def code_binding(code_key: bytes, code: str, application: str, content: str, items: dict[str, str]) -> str:
    """The coordinator's binding of ``code`` to ``application`` (its package id), its content hash
    and its item-id map (snapshot-local id -> package item id). ``code_key`` never leaves the
    database, so nobody outside it can test a guess of the map against the clear manifest."""
    body = canonical_json({"code": code, "application": application, "content": content, "items": items})
    return hmac.new(code_key, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SnapshotManifest:
    snapshot_id: str
    created_at: str
    round_id: int
    round_name: str
    round_year: int
    expert_id: str
    coordinator_signing_key: str
    coordinator_fingerprint: str
    receiving_recipient: str
    identity_public_key: str
    entries: tuple[SnapshotEntry, ...]
    raw: bytes = field(repr=False)
    identity: SnapshotEntry | None = None  # the wrapped identity's size and hash (kind "identity")
    identity_rounds: int = IDENTITY_KDF_ROUNDS
    format: str = FORMAT
    applications: dict[str, CodeBinding] = field(default_factory=dict)  # code -> binding; empty in /1

    @property
    def digest(self) -> str:
        """The snapshot digest printed on the handover slip: SHA-256 of manifest.json."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def meta_entry(self) -> SnapshotEntry:
        return next(e for e in self.entries if e.kind == "meta")

    @property
    def attachments(self) -> tuple[SnapshotEntry, ...]:
        return tuple(e for e in self.entries if e.kind == "attachment")

    def entry(self, name: str) -> SnapshotEntry | None:
        return next((e for e in self.entries if e.name == name), None)


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 as itself: one byte string per value, for signing and hashing."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def parse_json_object(raw: bytes) -> dict | None:
    """A JSON object, strictly (UTF-8, no duplicate keys, no NaN); None if it is anything else."""

    def pairs(items: list[tuple[str, Any]]) -> dict:
        out = dict(items)
        if len(out) != len(items):
            raise ValueError("duplicate key")
        return out

    def constant(name: str) -> Any:
        raise ValueError(name)

    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


# --- building -------------------------------------------------------------------


def build_manifest(
    *,
    snapshot_id: str,
    created_at: str,
    round_id: int,
    round_name: str,
    round_year: int,
    expert_id: str,
    signing_key: Ed25519PublicKey,
    receiving_recipient: str,
    identity_public_key: str,
    identity: SnapshotEntry,
    rounds: int,
    entries: list[SnapshotEntry],
    applications: dict[str, CodeBinding],
) -> bytes:
    data = {
        "format": FORMAT,
        "snapshot_id": snapshot_id,
        "created_at": created_at,
        "round": {"id": round_id, "name": round_name, "year": round_year},
        "expert_id": expert_id,
        "coordinator": {
            "signing_key": sshsig.public_key_openssh(signing_key, COORDINATOR_COMMENT),
            "fingerprint": sshsig.fingerprint(signing_key),
            "receiving_recipient": receiving_recipient,
        },
        "identity": {
            "entry": IDENTITY_NAME,
            "public_key": identity_public_key,
            "kdf": "bcrypt",
            "rounds": rounds,
            "size": identity.size,
            "sha256": identity.sha256,
        },
        "entries": [{"name": e.name, "kind": e.kind, "size": e.size, "sha256": e.sha256} for e in entries],
        "applications": {code: {"content": b.content, "binding": b.binding} for code, b in applications.items()},
    }
    return canonical_json(data)


# --- reading --------------------------------------------------------------------


class _Shape:
    """Field checks for a signed manifest; the first problem names its field."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, path: str) -> SnapshotError:
        return snapshot_error(
            "unknown_format",
            self.where,
            f"签名清单的字段 {path} 缺失或不正确",
            f"the manifest field {path} is missing or invalid",
        )

    def obj(self, data: Any, path: str, fields: set[str]) -> dict:
        if not isinstance(data, dict) or set(data) != fields:
            raise self.fail(path)
        return data

    def text(self, data: dict, key: str, path: str, pattern: re.Pattern[str] | None = None) -> str:
        value = data[key]
        if not isinstance(value, str) or not value or len(value) > 10_000:
            raise self.fail(f"{path}.{key}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(f"{path}.{key}")
        return value

    def int(self, data: dict, key: str, path: str, low: int, high: int) -> int:
        value = data[key]
        if type(value) is not int or not low <= value <= high:  # bool is not a count
            raise self.fail(f"{path}.{key}")
        return value


def manifest_format(raw: bytes, where: str) -> dict:
    """Parse manifest.json far enough to know it is ours and which version; no trust yet."""
    data = parse_json_object(raw)
    if data is None or not isinstance(data.get("format"), str) or not data["format"].startswith(FORMAT_PREFIX):
        raise snapshot_error(
            "not_a_snapshot",
            where,
            "不是 qbdesk 评审快照（缺少有效的 manifest.json）",
            "not a qbdesk snapshot (no valid manifest.json)",
        )
    if data["format"] not in FORMATS:
        raise snapshot_error(
            "unknown_format",
            where,
            f"快照格式 {data['format'][:40]!r} 无法识别，本程序只能读取 {'、'.join(FORMATS)}；请升级 qbdesk",
            f"unknown snapshot format {data['format'][:40]!r}; this version reads {', '.join(FORMATS)} — update qbdesk",
        )
    return data


def verify_manifest(
    raw: bytes, signature: bytes, where: str, coordinator_key: Ed25519PublicKey | None = None
) -> SnapshotManifest:
    """Check manifest.sig over manifest.json and the manifest's shape; return it parsed.

    The signature is checked against the key the manifest names, and also against
    ``coordinator_key`` when given (the coordinator's own key on the office PC).
    Without it, trust rests on the expert comparing the fingerprint with the slip.
    """
    data = manifest_format(raw, where)
    s = _Shape(where)
    coordinator = s.obj(data.get("coordinator"), "coordinator", {"signing_key", "fingerprint", "receiving_recipient"})
    try:
        signer = keys.load_public_key(s.text(coordinator, "signing_key", "coordinator"))
    except keys.KeyFileError:
        raise s.fail("coordinator.signing_key") from None
    try:
        sshsig.verify(signature, raw, sshsig.SNAPSHOT_NAMESPACE, public_key=signer)
    except sshsig.SignatureError as e:
        raise snapshot_error(
            "bad_signature", where, f"协调方签名未通过验证：{e.msg.zh}", f"the coordinator's signature does not verify: {e.msg.en}"
        ) from None
    if coordinator["fingerprint"] != sshsig.fingerprint(signer):
        raise snapshot_error(
            "bad_signature",
            where,
            f"清单所列指纹 {str(coordinator['fingerprint'])[:60]} 与签名密钥 {sshsig.fingerprint(signer)} 不一致",
            f"the manifest's fingerprint {str(coordinator['fingerprint'])[:60]} is not that of its signing key "
            f"{sshsig.fingerprint(signer)}",
        )
    if coordinator_key is not None and sshsig.public_key_blob(coordinator_key) != sshsig.public_key_blob(signer):
        raise snapshot_error(
            "bad_signature",
            where,
            f"快照由另一把密钥签名：{sshsig.fingerprint(signer)}，本机协调方密钥为 {sshsig.fingerprint(coordinator_key)}",
            f"signed by another key: {sshsig.fingerprint(signer)}, the coordinator key here is "
            f"{sshsig.fingerprint(coordinator_key)}",
        )
    return _parse_signed(data, raw, s)


def _parse_signed(data: dict, raw: bytes, s: _Shape) -> SnapshotManifest:
    top = {"format", "snapshot_id", "created_at", "round", "expert_id", "coordinator", "identity", "entries"}
    s.obj(data, "manifest", top if data["format"] == FORMAT_V1 else top | {"applications"})
    round_ = s.obj(data["round"], "round", {"id", "name", "year"})
    coordinator = data["coordinator"]
    recipient = s.text(coordinator, "receiving_recipient", "coordinator")
    try:
        pyrage.x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise s.fail("coordinator.receiving_recipient") from None
    ident = s.obj(data["identity"], "identity", {"entry", "public_key", "kdf", "rounds", "size", "sha256"})
    if ident["entry"] != IDENTITY_NAME or ident["kdf"] != "bcrypt":
        raise s.fail("identity")
    public_key = s.text(ident, "public_key", "identity")
    try:
        keys.load_public_key(public_key)
    except keys.KeyFileError:
        raise s.fail("identity.public_key") from None
    identity = SnapshotEntry(
        IDENTITY_NAME, "identity", s.int(ident, "size", "identity", 1, MAX_IDENTITY), s.text(ident, "sha256", "identity", _HEX64)
    )
    entries = _parse_entries(data["entries"], s)
    applications = _parse_applications(data.get("applications", {}), s)
    return SnapshotManifest(
        snapshot_id=s.text(data, "snapshot_id", "manifest", ID_PATTERN),
        created_at=s.text(data, "created_at", "manifest"),
        round_id=s.int(round_, "id", "round", 0, 2**63 - 1),
        round_name=s.text(round_, "name", "round"),
        round_year=s.int(round_, "year", "round", 1900, 9999),
        expert_id=s.text(data, "expert_id", "manifest", ID_PATTERN),
        coordinator_signing_key=coordinator["signing_key"],
        coordinator_fingerprint=coordinator["fingerprint"],
        receiving_recipient=recipient,
        identity_public_key=public_key,
        entries=entries,
        raw=raw,
        identity=identity,
        identity_rounds=s.int(ident, "rounds", "identity", 1, keys.MAX_KDF_ROUNDS),
        format=data["format"],
        applications=applications,
    )


def _parse_applications(items: Any, s: _Shape) -> dict[str, CodeBinding]:
    if not isinstance(items, dict):
        raise s.fail("applications")
    out: dict[str, CodeBinding] = {}
    for code, value in items.items():
        path = f"applications.{str(code)[:20]}"
        if not CODE_PATTERN.fullmatch(code):
            raise s.fail(path)
        s.obj(value, path, {"content", "binding"})
        out[code] = CodeBinding(s.text(value, "content", path, _HEX64), s.text(value, "binding", path, _HEX64))
    return out


def _parse_entries(items: Any, s: _Shape) -> tuple[SnapshotEntry, ...]:
    if not isinstance(items, list) or not items:
        raise s.fail("entries")
    entries: list[SnapshotEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = f"entries[{i}]"
        s.obj(item, path, {"name", "kind", "size", "sha256"})
        name = s.text(item, "name", path)
        kind = item["kind"]
        if kind not in KINDS or name in seen:
            raise s.fail(f"{path}.kind" if kind not in KINDS else f"{path}.name")
        if (kind == "meta") != (name == META_NAME) or (kind == "attachment" and not ATTACHMENT_NAME.fullmatch(name)):
            raise s.fail(f"{path}.name")
        seen.add(name)
        entries.append(SnapshotEntry(name, kind, s.int(item, "size", path, 0, 2**63 - 1), s.text(item, "sha256", path, _HEX64)))
    if sum(e.kind == "meta" for e in entries) != 1:
        raise s.fail("entries (one meta entry)")
    return tuple(entries)


def parse_pinned_manifest(raw: bytes, where: str) -> SnapshotManifest:
    """A manifest kept by the coordinator, whose bytes the caller has already pinned by their
    SHA-256 (the snapshot digest an expert signed): its shape is checked, its signature is not."""
    data = manifest_format(raw, where)
    s = _Shape(where)
    s.obj(data.get("coordinator"), "coordinator", {"signing_key", "fingerprint", "receiving_recipient"})
    return _parse_signed(data, raw, s)
