"""Writing a .qbsnap by streaming: each source goes through age straight into its zip entry.

Nothing is held whole in memory; the ciphertext is hashed as it is written, each
entry's size is checked against what age must produce, and the finished file is read
back and verified before it is renamed into place.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qbdesk.domain.messages import os_reason
from qbdesk.formats import agezip, keys, sshsig
from qbdesk.formats.agezip import EntryFailure
from qbdesk.formats.atomic import fsync_dir
from qbdesk.formats.snapshot_archive import read_manifest
from qbdesk.formats.snapshot_manifest import (
    ID_PATTERN,
    IDENTITY_KDF_ROUNDS,
    IDENTITY_NAME,
    MANIFEST_NAME,
    META_FORMAT,
    META_NAME,
    SIGNATURE_NAME,
    CodeBinding,
    SnapshotEntry,
    SnapshotError,
    SnapshotManifest,
    build_manifest,
    canonical_json,
    code_binding,
    content_hash,
    snapshot_error,
)


class SnapshotWriter:
    """Builds a .qbsnap by streaming: each source goes through age straight into its zip entry.

    Written to a temporary file beside ``path`` and renamed into place by close(),
    after reading it back; on any error (or an exception in the ``with`` block) the
    temporary file is removed and nothing appears at ``path``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        signing_key: Ed25519PrivateKey,
        receiving_recipient: str,
        passphrase: str,
        snapshot_id: str,
        round_id: int,
        round_name: str,
        round_year: int,
        expert_id: str,
        rounds: int = IDENTITY_KDF_ROUNDS,
        created_at: datetime | None = None,
    ):
        self.path = Path(path)
        self.where = str(self.path)
        self.manifest: SnapshotManifest | None = None
        self.plaintext: dict[str, agezip.Digest] = {}  # entry -> size and SHA-256 of what went in
        if not isinstance(signing_key, Ed25519PrivateKey):
            raise self._invalid("协调方签名密钥必须是 Ed25519 私钥", "the coordinator signing key must be an Ed25519 private key")
        self._signing_key = signing_key
        self._fields = self._check_fields(receiving_recipient, snapshot_id, round_id, round_name, round_year, expert_id)
        self._rounds = rounds
        when = (created_at or datetime.now(UTC)).astimezone(UTC)
        self._created_at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._date_time = max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
        identity = keys.generate_private_key()
        self._identity_public = sshsig.public_key_openssh(identity.public_key())
        self._recipients = [pyrage.ssh.Recipient.from_str(self._identity_public)]
        try:
            wrapped = keys.private_key_bytes(identity, passphrase, kdf_rounds=rounds)
        except keys.KeyFileError as e:
            raise self._invalid(e.msg.zh, e.msg.en) from None
        except ValueError as e:  # kdf rounds out of range: a programming error, said plainly
            raise self._invalid(str(e)) from None
        self._entries: list[SnapshotEntry] = []
        self._meta: SnapshotEntry | None = None
        self._meta_data: dict | None = None
        self._owners: dict[str, tuple[str, dict[str, str]]] | None = None
        self._code_key = b""
        self._tmp: Path | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as e:
            raise self._write_failed(e) from None
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "w+b")
        self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._guard(lambda: self._write_clear(IDENTITY_NAME, wrapped, mode=0o600))
        self._identity_entry = SnapshotEntry(IDENTITY_NAME, "identity", len(wrapped), hashlib.sha256(wrapped).hexdigest())

    def _invalid(self, zh: str, en: str | None = None) -> SnapshotError:
        return snapshot_error("invalid_input", self.where, f"无法生成：{zh}", f"cannot be built: {en or zh}")

    def _write_failed(self, e: BaseException) -> SnapshotError:
        reason = os_reason(e)
        return snapshot_error("write_failed", self.where, f"写入失败（{reason.zh}）", f"could not be written ({reason.en})")

    def _check_fields(self, recipient: str, snapshot_id: str, round_id: int, round_name: str, year: int, expert_id: str) -> dict:
        try:
            pyrage.x25519.Recipient.from_str(recipient)
        except (pyrage.RecipientError, TypeError):
            raise self._invalid(f"协调方接收公钥 {recipient!r:.80} 无效", f"invalid receiving recipient {recipient!r:.80}") from None
        for name, value in (("snapshot_id", snapshot_id), ("expert_id", expert_id)):
            if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
                raise self._invalid(f"{name} {value!r:.80} 不可用（只能使用字母、数字和 . _ @ + -）",
                                    f"{name} {value!r:.80} cannot be used (only letters, digits and . _ @ + -)")
        if type(round_id) is not int or type(year) is not int or not isinstance(round_name, str) or not round_name:
            raise self._invalid("评审批次的编号、名称或年度无效", "invalid round id, name or year")
        return dict(receiving_recipient=recipient, snapshot_id=snapshot_id, round_id=round_id,
                    round_name=round_name, round_year=year, expert_id=expert_id)  # fmt: skip

    def _info(self, name: str, mode: int = 0o644) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self._date_time)
        info.compress_type = zipfile.ZIP_STORED
        info.create_system = 3  # Unix, so that unzip restores the modes below
        info.external_attr = (0o100000 | mode) << 16
        return info

    def _write_clear(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._zip.writestr(self._info(name, mode), data)

    def _guard(self, step: Any) -> Any:
        """Run one write step; any failure aborts the whole snapshot."""
        if self._tmp is None:
            raise snapshot_error("write_failed", self.where, "已完成或已中止，不能继续写入", "is finished or was aborted; nothing more can be written")
        try:
            return step()
        except SnapshotError:
            self.abort()
            raise
        except EntryFailure as e:
            self.abort()
            raise self._write_failed(e) from None
        except BaseException as e:
            self.abort()
            if isinstance(e, (OSError, ValueError)):
                raise self._write_failed(e) from None
            raise

    def _encrypt(self, name: str, source: BinaryIO, kind: str) -> SnapshotEntry:
        cipher, plain = agezip.encrypt_entry(self._zip, self._info(name), source, self._recipients)
        self.plaintext[name] = plain
        return SnapshotEntry(name, kind, cipher.size, cipher.sha256)

    def add_attachment(self, source: BinaryIO, *, extension: str = "pdf") -> str:
        """Encrypt one attachment from a binary file object; return its entry name."""
        if not (extension.isascii() and extension.isalnum() and extension.islower() and len(extension) <= 8):
            raise self._invalid(f"附件扩展名 {extension!r:.20} 无效", f"invalid attachment extension {extension!r:.20}")
        name = f"qbsnap/files/{len(self._entries) + 1:04d}.{extension}.age"
        self._entries.append(self._guard(lambda: self._encrypt(name, source, "attachment")))
        return name

    def write_meta(self, meta: dict) -> None:
        """Encrypt the blind metadata (``format`` and ``snapshot_id`` are filled in when absent)."""
        if self._meta is not None:
            raise self._invalid("评审数据已经写入过", "meta.json was already written")
        meta = {"format": META_FORMAT, "snapshot_id": self._fields["snapshot_id"], **meta}
        if meta["format"] != META_FORMAT or meta["snapshot_id"] != self._fields["snapshot_id"]:
            raise self._invalid("评审数据的 format 或 snapshot_id 与本快照不符", "meta.json's format or snapshot_id is not this snapshot's")
        try:
            data = canonical_json(meta)
        except (TypeError, ValueError) as e:
            raise self._invalid(f"评审数据无法写成 JSON：{e}", f"meta.json cannot be written as JSON: {e}") from None
        self._meta = self._guard(lambda: self._encrypt(META_NAME, io.BytesIO(data), "meta"))
        self._meta_data = meta

    def bind_codes(self, code_key: bytes, owners: dict[str, tuple[str, dict[str, str]]]) -> None:
        """Bind each application code of meta.json to its application: ``owners`` maps code ->
        (the application's package id, its item-id map local -> package). Signed into the
        manifest at close() with the content hash of what was written for that code."""
        if not isinstance(code_key, bytes) or len(code_key) < 16:
            raise self._invalid("代码绑定密钥至少 16 字节", "the code key must be at least 16 bytes")
        self._code_key, self._owners = code_key, dict(owners)

    def _bindings(self) -> dict[str, CodeBinding]:
        """Per code of meta.json: the keyed hash of its element, after checking that every attachment
        it lists is an entry written here with exactly that plaintext size and SHA-256."""
        assert self._meta_data is not None
        apps = self._meta_data.get("applications") or []
        if not apps:
            return {}
        try:
            secret = bytes.fromhex(self._meta_data["binding_secret"])
            codes = [a["code"] for a in apps]
        except (KeyError, TypeError, ValueError):
            raise self._invalid("评审数据缺少 binding_secret 或申报代码", "meta.json lacks the binding secret or a code") from None
        if self._owners is None or set(self._owners) != set(codes) or len(set(codes)) != len(codes):
            raise self._invalid("申报代码未逐一绑定到申报（bind_codes）", "the application codes are not each bound (bind_codes)")
        out: dict[str, CodeBinding] = {}
        for app in apps:
            for a in app.get("attachments") or []:
                got = self.plaintext.get(a.get("entry"))
                if got is None or got.sha256 != a.get("sha256") or got.size != a.get("size"):
                    raise self._invalid(f"申报 {app['code']} 所列附件 {str(a.get('entry'))[:60]} 与写入的内容不符",
                                        f"application {app['code']} lists attachment {str(a.get('entry'))[:60]}, "
                                        f"which is not what was written")
            content = content_hash(secret, app)
            application, items = self._owners[app["code"]]
            out[app["code"]] = CodeBinding(content, code_binding(self._code_key, app["code"], application, content, items))
        return out

    def close(self, *, verify: bool = True) -> SnapshotManifest:
        """Sign, finish, read back (``verify``), and move into place; return the manifest."""
        if self.manifest is not None:
            return self.manifest
        if self._meta is None:
            self.abort()
            raise self._invalid("缺少评审数据（未调用 write_meta）", "no meta.json (write_meta() was never called)")
        try:
            applications = self._bindings()
        except SnapshotError:
            self.abort()
            raise
        raw = build_manifest(
            **self._fields, created_at=self._created_at, signing_key=self._signing_key.public_key(),
            identity_public_key=self._identity_public, identity=self._identity_entry, rounds=self._rounds,
            entries=[self._meta, *self._entries], applications=applications,
        )  # fmt: skip
        signature = sshsig.sign(self._signing_key, raw, sshsig.SNAPSHOT_NAMESPACE).encode("ascii")
        self._guard(lambda: self._finish(raw, signature))
        assert self._tmp is not None
        try:
            # Reading back is what catches an entry pyrage shortened without saying so.
            manifest = read_manifest(self._tmp, check_entries=verify)
            if manifest.raw != raw:
                raise ValueError("the manifest read back differs from the one written")
            os.replace(self._tmp, self.path)
            fsync_dir(self.path.parent)
        except SnapshotError as e:
            self.abort()
            raise snapshot_error("write_failed", self.where, f"读回校验失败：{e.msg.zh}", f"failed its read-back check: {e.msg.en}") from None
        except BaseException as e:
            self.abort()
            if isinstance(e, (OSError, ValueError)):
                raise self._write_failed(e) from None
            raise
        self._tmp = None
        self.manifest = manifest
        return manifest

    def _finish(self, raw: bytes, signature: bytes) -> None:
        self._write_clear(MANIFEST_NAME, raw)
        self._write_clear(SIGNATURE_NAME, signature)
        self._zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def abort(self) -> None:
        """Drop the partial file; the writer is unusable afterwards."""
        if self._tmp is None:
            return
        try:
            self._zip.close()
        except Exception:  # already broken: the file goes anyway
            pass
        self._file.close()
        self._tmp.unlink(missing_ok=True)
        self._tmp = None

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()
        elif self.manifest is None and self._tmp is not None:
            self.close()
