"""Snapshots (``.qbsnap``, format ``qbdesk.snapshot/2``; ``/1`` still read): what one expert receives on a USB stick.

A ZIP archive of STORED entries (docs/formats.md has the byte layout)::

    qbsnap/identity.key        OpenSSH Ed25519 key, encrypted with the passphrase (bcrypt, 64 rounds)
    qbsnap/meta.json.age       age -> that key: the blind round metadata
    qbsnap/files/0001.pdf.age  age -> that key: one blind attachment each
    qbsnap/manifest.json       clear, canonical JSON: sizes and SHA-256 of every entry
    qbsnap/manifest.sig        SSHSIG of manifest.json by the coordinator's signing key

Every entry is its own age file, so one attachment decrypts without the others and
the whole never exists in clear. The snapshot key is an age ``ssh-ed25519`` recipient
because an OpenSSH key file has a fixed KDF cost (age's own passphrase mode calibrates
scrypt on the building machine; see docs/notes/pyrage.md), and stock tools read both:
``ssh-keygen -p`` unwraps it, ``age -d -i`` decrypts an entry.

This module is the public face: the reader is here, the writer in snapshot_writer.py,
the checks in snapshot_archive.py, the manifest in snapshot_manifest.py.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from qbdesk.domain.messages import os_reason
from qbdesk.formats import agezip
from qbdesk.formats.agezip import EntryFailure
from qbdesk.formats.snapshot_archive import Archive, decrypt_identity, openssh_clear, read_manifest, unwrap_key
from qbdesk.formats.snapshot_manifest import (
    FORMAT,
    FORMAT_V1,
    IDENTITY_KDF_ROUNDS,
    MAX_META,
    META_FORMAT,
    SnapshotEntry,
    SnapshotError,
    SnapshotManifest,
    content_hash,
    parse_json_object,
    snapshot_error,
)
from qbdesk.formats.snapshot_writer import SnapshotWriter

__all__ = [
    "FORMAT", "FORMAT_V1", "META_FORMAT", "IDENTITY_KDF_ROUNDS", "SnapshotEntry", "SnapshotManifest", "SnapshotError",
    "SnapshotWriter", "SnapshotReader", "read_manifest", "unwrap_identity",
]  # fmt: skip


def unwrap_identity(path: str | os.PathLike[str], passphrase: str) -> bytes:
    """The snapshot identity as an unencrypted OpenSSH key (for tests and auditors; keep it in memory)."""
    archive = Archive(path)
    try:
        return openssh_clear(unwrap_key(archive, archive.verify(False, None), passphrase))
    finally:
        archive.close()


class SnapshotReader:
    """An open snapshot: verified, unlocked, its metadata decrypted; attachments decrypt on request.

    The unwrapped identity lives in memory only. Use as a context manager (or call close()).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        passphrase: str,
        *,
        check_entries: bool = True,
        coordinator_key: Ed25519PublicKey | None = None,
    ):
        self._archive = Archive(path)
        try:
            self.path = self._archive.path
            self.manifest: SnapshotManifest = self._archive.verify(False, coordinator_key)
            wrapped = self._archive.read_identity(self.manifest)
            self._archive.check_identity(wrapped, self.manifest)
            # bcrypt (~0.5 s) runs beside the ciphertext hashing: opening costs the longer
            # of the two, not their sum. A damaged file is reported before a wrong passphrase.
            with ThreadPoolExecutor(1, thread_name_prefix="qbsnap-unwrap") as pool:
                unwrapping = pool.submit(decrypt_identity, wrapped, passphrase, self._archive.where, self.manifest)
                if check_entries:
                    self._archive.check_hashes(self.manifest.entries)
                key = unwrapping.result()
            self._identity = pyrage.ssh.Identity.from_buffer(openssh_clear(key))
            self.meta: dict = self._read_meta()
        except BaseException:
            self._archive.close()
            raise

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    @property
    def identity(self) -> Any:
        """The unwrapped ``pyrage.ssh.Identity`` (e.g. to decrypt the workspace state sealed to it)."""
        return self._identity

    def identity_public_key(self) -> str:
        return self.manifest.identity_public_key

    def _decrypt(self, entry: SnapshotEntry) -> bytes:
        where = self._archive.where
        corrupt = snapshot_error(
            "corrupt_entry", where, f"条目 {entry.name} 无法解密：内容已损坏或被改动",
            f"entry {entry.name} cannot be decrypted: it is damaged or was altered", entry.name,
        )  # fmt: skip
        try:
            plain, cipher = agezip.decrypt_entry(self._archive.zip, self._archive.info(entry.name), [self._identity])
        except EntryFailure:
            raise corrupt from None
        except OSError as e:  # the medium itself (a USB stick pulled out)
            reason = os_reason(e)
            raise snapshot_error("unreadable", where, f"无法读取文件（{reason.zh}）", f"cannot read the file ({reason.en})", entry.name) from None
        if cipher.size != entry.size or cipher.sha256 != entry.sha256:
            raise self._archive.tampered(entry.name, "的内容与签名清单不符（被改动或损坏）", "does not match the signed manifest (altered or damaged)")
        return plain

    def read_attachment(self, entry: str) -> bytes:
        """The whole plaintext of one attachment; only after it decrypted and hashed in full."""
        found = self.manifest.entry(entry)
        if found is None or found.kind != "attachment":
            raise snapshot_error(
                "unknown_entry", self._archive.where, f"快照中没有附件 {entry[:200]}", f"the snapshot has no attachment {entry[:200]}"
            )
        return self._decrypt(found)

    def _read_meta(self) -> dict:
        entry = self.manifest.meta_entry
        where = self._archive.where
        if entry.size > MAX_META:
            raise self._archive.tampered(entry.name, "过大", "is too large")
        meta = parse_json_object(self._decrypt(entry))
        if meta is None or meta.get("format") != META_FORMAT:
            raise snapshot_error(
                "unknown_format", where, f"评审数据 {entry.name} 的格式无法识别（应为 {META_FORMAT}）",
                f"the review data {entry.name} has an unknown format (expected {META_FORMAT})", entry.name,
            )  # fmt: skip
        if meta.get("snapshot_id") != self.manifest.snapshot_id:
            raise self._archive.tampered(entry.name, "属于另一个快照", "belongs to another snapshot")
        if self.manifest.format != FORMAT:
            return meta  # qbdesk.snapshot/1: no per-code content hashes to check
        try:
            secret = bytes.fromhex(meta["binding_secret"])
            found = {a["code"]: content_hash(secret, a) for a in meta.get("applications") or []}
        except (KeyError, TypeError, ValueError):
            found = None
        expected = {code: b.content for code, b in self.manifest.applications.items()}
        if found != expected:
            raise self._archive.tampered(entry.name, "中的申报与签名清单所列的内容摘要不符",
                                         "holds applications whose content hashes are not those the manifest signs")
        return meta
