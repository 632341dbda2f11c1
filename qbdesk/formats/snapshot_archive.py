"""Opening a .qbsnap and checking it: layout, signed manifest, ciphertext hashes, wrapped identity.

Shared by the reader (snapshot.py) and the writer's read-back (snapshot_writer.py).
Every failure is a :class:`SnapshotError` naming the file and, where there is one,
the entry; nothing here needs the passphrase except :func:`unwrap_key`.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from qbdesk.domain.messages import os_reason
from qbdesk.formats import agezip, keys, sshsig
from qbdesk.formats.agezip import EntryFailure
from qbdesk.formats.snapshot_manifest import (
    CLEAR_NAMES,
    IDENTITY_NAME,
    MANIFEST_NAME,
    MAX_IDENTITY,
    MAX_MANIFEST,
    MAX_SIGNATURE,
    SIGNATURE_NAME,
    SnapshotEntry,
    SnapshotError,
    SnapshotManifest,
    snapshot_error,
    verify_manifest,
)

_START = b"PK\x03\x04"
_FIRST_NAME_AT = 30  # the first local header's file name: our magic, "qbsnap/identity.key"

def tampered(where: str, name: str, zh: str, en: str) -> SnapshotError:
    return snapshot_error("tampered", where, f"条目 {name} {zh}", f"entry {name} {en}", entry=name)


def _begins_like_snapshot(head: bytes) -> bool:
    """The first bytes of a snapshot: a local file header for qbsnap/identity.key (or a prefix of one)."""
    if len(head) < len(_START):
        return bool(head) and _START.startswith(head)
    return head.startswith(_START) and IDENTITY_NAME.encode().startswith(head[_FIRST_NAME_AT:])


class Archive:
    """An open .qbsnap: the zip, plus an unbuffered handle for hashing entries at disk speed."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.where = str(self.path)
        try:
            self.file: BinaryIO = open(self.path, "rb", buffering=0)
        except FileNotFoundError:
            raise snapshot_error("unreadable", self.where, "文件不存在", "the file does not exist") from None
        except OSError as e:
            raise self._unreadable(e) from None
        try:
            self.zip = self._open_zip()
        except BaseException:
            self.file.close()
            raise

    def _unreadable(self, e: OSError) -> SnapshotError:
        reason = os_reason(e)
        return snapshot_error("unreadable", self.where, f"无法读取文件（{reason.zh}）", f"cannot read the file ({reason.en})")

    def _open_zip(self) -> zipfile.ZipFile:
        try:
            head = self.file.read(_FIRST_NAME_AT + len(IDENTITY_NAME))
            self.file.seek(0)
            return zipfile.ZipFile(self.file)
        except agezip.ZIP_ERRORS:
            pass
        except OSError as e:
            raise self._unreadable(e) from None
        # No end-of-archive record. A file that begins like a snapshot lost its end.
        if _begins_like_snapshot(head):
            raise snapshot_error(
                "truncated",
                self.where,
                "文件不完整（被截断）或末尾已损坏：复制可能未完成，请重新拷贝快照文件",
                "the file is incomplete (truncated) or its end is damaged: the copy may not have finished; "
                "copy the snapshot again",
            )
        if not head:
            raise snapshot_error("not_a_snapshot", self.where, "文件是空的", "the file is empty")
        if head.startswith(b"age-encryption.org/"):  # what a score file (.qbscore) begins with
            raise snapshot_error(
                "not_a_snapshot", self.where,
                "这是评分文件（.qbscore），不是评审快照：请交给评审组织方，用 qbdesk scores import 导入",
                "this is a score file (.qbscore), not a snapshot: it goes to the coordinator, who imports it with "
                "qbdesk scores import",
            )
        raise snapshot_error(
            "not_a_snapshot", self.where, "不是 qbdesk 评审快照（不是有效的 ZIP 文件）", "not a qbdesk snapshot (not a valid ZIP file)"
        )

    def close(self) -> None:
        self.zip.close()
        self.file.close()

    def tampered(self, name: str, zh: str, en: str) -> SnapshotError:
        return tampered(self.where, name, zh, en)

    def info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self.zip.getinfo(name)
        except KeyError:
            raise self.tampered(name, "缺失（文件已被改动或损坏）", "is missing (the file was altered or damaged)") from None

    def read_clear(self, name: str, limit: int) -> bytes:
        info = self.info(name)
        if info.file_size > limit:
            raise self.tampered(name, "大小异常", "has an implausible size")
        try:
            with self.zip.open(info) as f:
                return f.read(limit + 1)
        except agezip.ZIP_ERRORS:
            raise self.tampered(name, "已损坏（校验不符）", "is damaged (checksum mismatch)") from None
        except OSError as e:
            raise self._unreadable(e) from None

    def check_layout(self) -> None:
        """Every entry STORED, unencrypted, named once; and this must look like a snapshot at all."""
        infos = self.zip.infolist()
        if not any(i.filename == MANIFEST_NAME for i in infos):
            if not any(i.filename.startswith("qbsnap/") for i in infos):
                raise snapshot_error(
                    "not_a_snapshot", self.where, "不是 qbdesk 评审快照（ZIP 中没有 qbsnap/ 内容）",
                    "not a qbdesk snapshot (the ZIP holds no qbsnap/ entries)",
                )  # fmt: skip
            self.info(MANIFEST_NAME)  # raises "missing"
        size = os.fstat(self.file.fileno()).st_size
        seen: set[str] = set()
        for i in infos:
            if i.filename in seen:
                raise self.tampered(i.filename, "重复出现", "appears twice")
            seen.add(i.filename)
            if i.compress_type != zipfile.ZIP_STORED or i.flag_bits & 0x1:
                raise self.tampered(i.filename, "不是按快照格式存储的（压缩或加密）", "is not stored as a snapshot stores it (compressed or encrypted)")
            if not 0 <= i.header_offset <= i.header_offset + i.compress_size <= size:
                raise self.tampered(i.filename, "的 ZIP 目录记录已损坏（位置或大小超出文件）", "has a damaged ZIP directory record (offset or size beyond the file)")

    def verify(self, check_entries: bool, coordinator_key: Ed25519PublicKey | None) -> SnapshotManifest:
        self.check_layout()
        raw = self.read_clear(MANIFEST_NAME, MAX_MANIFEST)
        signature = self.read_clear(SIGNATURE_NAME, MAX_SIGNATURE)
        manifest = verify_manifest(raw, signature, self.where, coordinator_key)
        listed = {e.name for e in manifest.entries} | set(CLEAR_NAMES)
        present = set(self.zip.namelist())
        missing, extra = sorted(listed - present), sorted(present - listed)
        if missing:
            raise self.tampered(missing[0], "在签名清单中列出，但文件中没有", "is listed in the signed manifest but missing from the file")
        if extra:
            raise self.tampered(extra[0], "不在签名清单中（被添加）", "is not in the signed manifest (it was added)")
        assert manifest.identity is not None
        self.check_identity(self.read_identity(manifest), manifest)
        for entry in manifest.entries:
            if self.info(entry.name).file_size != entry.size:
                raise self.tampered(entry.name, "大小与签名清单不符", "differs in size from the signed manifest")
        if check_entries:
            self.check_hashes(manifest.entries)
        return manifest

    def read_identity(self, manifest: SnapshotManifest) -> bytes:
        return self.read_clear(IDENTITY_NAME, MAX_IDENTITY)

    def check_identity(self, data: bytes, manifest: SnapshotManifest) -> None:
        assert manifest.identity is not None
        if len(data) != manifest.identity.size or hashlib.sha256(data).hexdigest() != manifest.identity.sha256:
            raise self.tampered(IDENTITY_NAME, "与签名清单不符（被改动或损坏）", "does not match the signed manifest (altered or damaged)")

    def check_hashes(self, entries: tuple[SnapshotEntry, ...]) -> None:
        buffer = bytearray(agezip.CHUNK)
        for entry in entries:
            try:
                digest = agezip.hash_stored_entry(self.file, self.info(entry.name), buffer)
            except EntryFailure as e:
                code = "truncated" if e.reason == "truncated" else "tampered"
                raise snapshot_error(code, self.where, f"条目 {entry.name} 已损坏或不完整", f"entry {entry.name} is damaged or incomplete", entry.name) from None
            except OSError as e:
                raise self._unreadable(e) from None
            if digest.sha256 != entry.sha256:
                raise self.tampered(entry.name, "的内容与签名清单不符（被改动或损坏）", "does not match the signed manifest (altered or damaged)")


def read_manifest(
    path: str | os.PathLike[str], *, check_entries: bool = True, coordinator_key: Ed25519PublicKey | None = None
) -> SnapshotManifest:
    """Verify a snapshot without its passphrase: layout, signature, and (unless told not to) every ciphertext hash.

    ``coordinator_key``: when given, the manifest must be signed by that key
    (the coordinator checking its own snapshots); otherwise by the key it names.
    """
    archive = Archive(path)
    try:
        return archive.verify(check_entries, coordinator_key)
    finally:
        archive.close()


def unwrap_key(archive: Archive, manifest: SnapshotManifest, passphrase: str) -> Ed25519PrivateKey:
    """Read qbsnap/identity.key, check it against the manifest, decrypt it with the passphrase."""
    data = archive.read_identity(manifest)
    archive.check_identity(data, manifest)
    return decrypt_identity(data, passphrase, archive.where, manifest)


def decrypt_identity(data: bytes, passphrase: str, where: str, manifest: SnapshotManifest) -> Ed25519PrivateKey:
    """The bcrypt-costly step alone; touches no file, so it may run beside the hashing."""
    try:
        key = keys.private_key_from_bytes(data, keys.normalize_passphrase(passphrase), where=IDENTITY_NAME)
    except keys.KeyFileError as e:
        if e.reason == "passphrase":
            raise snapshot_error(
                "wrong_passphrase",
                where,
                "口令不正确，无法打开。请核对交接单上的口令（大小写、空格和连字符不影响）",
                "wrong passphrase. Check it against the handover slip (case, spaces and hyphens do not matter)",
            ) from None
        raise tampered(where, IDENTITY_NAME, f"无法使用：{e.msg.zh}", f"cannot be used: {e.msg.en}") from None
    if sshsig.public_key_blob(key.public_key()) != sshsig.public_key_blob(keys.load_public_key(manifest.identity_public_key)):
        raise tampered(where, IDENTITY_NAME, "与签名清单中的公钥不符", "does not match the public key in the signed manifest")
    return key


def openssh_clear(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())


