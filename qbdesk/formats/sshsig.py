"""SSHSIG detached signatures with Ed25519, compatible with ``ssh-keygen -Y sign/verify``.

Score files and snapshots are signed so that anyone can check them with the
standard OpenSSH tool, without qbdesk::

    ssh-keygen -Y verify -f allowed_signers -I <principal> -n qbdesk-score@1 \\
        -s scores.qbscore.sig < scores.qbscore

The cryptography is Ed25519 from ``cryptography``; this module only frames it
in OpenSSH's documented wire format (PROTOCOL.sshsig):

    blob        = "SSHSIG" uint32(1) string(publickey) string(namespace)
                  string(reserved) string(hash_algorithm) string(signature)
    signed data = "SSHSIG" string(namespace) string(reserved)
                  string(hash_algorithm) string(H(message))

``string`` is a uint32 big-endian length followed by the bytes. The armored
form is base64 wrapped at 70 columns between BEGIN/END SSH SIGNATURE lines,
exactly as ssh-keygen writes it; Ed25519 is deterministic, so our output is
byte-identical to ssh-keygen's for the same key, namespace and message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from qbdesk.domain.messages import Msg, QbdeskError

SCORE_NAMESPACE = "qbdesk-score@1"
SNAPSHOT_NAMESPACE = "qbdesk-snapshot@1"

MAGIC = b"SSHSIG"
VERSION = 1
KEY_TYPE = "ssh-ed25519"
SIGN_HASH = "sha512"  # what ssh-keygen uses by default, and all we emit
# PROTOCOL.sshsig requires verifiers to accept both.
_HASHES: dict[str, Callable[[], Any]] = {
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}

BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
WRAP = 70  # ssh-keygen's column width for the armored body
CHUNK = 1 << 20  # read large messages 1 MiB at a time
MAX_ARMORED = 64 * 1024  # an Ed25519 SSHSIG is ~300 bytes; anything huge is not one

# Principals are written unquoted into allowed_signers, where whitespace,
# commas, quotes and * ? ! have meaning (pattern lists); keep to a plain set.
_PRINCIPAL = re.compile(r"[A-Za-z0-9._@+-]{1,128}")


class SignatureError(QbdeskError):
    """A signature that does not verify; ``reason`` is a stable code for callers and tests.

    Reasons: ``armor``, ``malformed``, ``magic``, ``version``, ``key_type``,
    ``namespace``, ``hash``, ``invalid``, ``key_mismatch``.
    """

    def __init__(self, msg: Msg, reason: str):
        super().__init__(msg)
        self.reason = reason


# --- SSH wire format ---------------------------------------------------------


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    """Reads SSH wire fields; any overrun is a malformed blob, never an IndexError."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise _malformed()
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def string(self) -> bytes:
        return self.take(self.uint32())

    def end(self) -> None:
        if self.pos != len(self.data):
            raise _malformed()


def _malformed() -> SignatureError:
    return SignatureError(
        Msg("签名数据结构损坏或被截断", "the signature data is malformed or truncated"),
        "malformed",
    )


def _show(raw: bytes, limit: int = 40) -> str:
    """A foreign field, printable and short, for an error message."""
    text = raw[:limit].decode("utf-8", "backslashreplace")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text + ("…" if len(raw) > limit else ""))


# --- keys as OpenSSH shows them ---------------------------------------------


def public_key_blob(pub: Ed25519PublicKey) -> bytes:
    """The key in SSH wire form (what fingerprints hash and OpenSSH lines base64-encode)."""
    raw = pub.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _string(KEY_TYPE.encode()) + _string(raw)


def public_key_openssh(pub: Ed25519PublicKey, comment: str = "") -> str:
    """The one-line OpenSSH form: ``ssh-ed25519 AAAA… comment``."""
    line = f"{KEY_TYPE} {base64.b64encode(public_key_blob(pub)).decode()}"
    comment = " ".join(comment.split())  # one line, whatever the caller passed
    return f"{line} {comment}" if comment else line


def fingerprint(pub: Ed25519PublicKey) -> str:
    """``SHA256:…`` exactly as ``ssh-keygen -l`` prints it (unpadded base64)."""
    digest = hashlib.sha256(public_key_blob(pub)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def allowed_signers_line(
    principal: str, pub: Ed25519PublicKey, namespaces: Sequence[str] | None = None
) -> str:
    """One line of an ``allowed_signers`` file for ``ssh-keygen -Y verify``.

    With ``namespaces`` the key is accepted only for those namespaces, so an
    expert's score key cannot vouch for a snapshot and vice versa.
    """
    if not _PRINCIPAL.fullmatch(principal):
        raise QbdeskError(
            Msg(
                f"签名者标识 {principal!r} 不可用：只能使用字母、数字和 . _ @ + -，长度1至128",
                f"signer identity {principal!r} cannot be used: only letters, digits and . _ @ + -, "
                "1 to 128 characters",
            )
        )
    options = ""
    if namespaces:
        for ns in namespaces:
            if not _PRINCIPAL.fullmatch(ns):
                raise QbdeskError(
                    Msg(f"命名空间 {ns!r} 含有不允许的字符", f"namespace {ns!r} has characters that are not allowed")
                )
        options = f' namespaces="{",".join(namespaces)}"'
    return f"{principal}{options} {public_key_openssh(pub)}"


# --- signing and verifying ---------------------------------------------------


def _digest(message: bytes | bytearray | memoryview | BinaryIO, algorithm: str) -> bytes:
    """Hash bytes, or a binary file object read in chunks so large files never sit in memory."""
    h = _HASHES[algorithm]()
    if isinstance(message, (bytes, bytearray, memoryview)):
        h.update(message)
    else:
        while chunk := message.read(CHUNK):
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError("message file must be opened in binary mode")
            h.update(chunk)
    return h.digest()


def _signed_data(namespace: bytes, reserved: bytes, hash_alg: bytes, digest: bytes) -> bytes:
    return MAGIC + _string(namespace) + _string(reserved) + _string(hash_alg) + _string(digest)


def sign(
    private_key: Ed25519PrivateKey,
    message: bytes | BinaryIO,
    namespace: str,
) -> str:
    """Sign ``message`` (bytes or a binary file object) and return the armored SSHSIG text."""
    if not namespace:
        raise ValueError("SSHSIG requires a non-empty namespace")
    ns = namespace.encode()
    alg = SIGN_HASH.encode()
    digest = _digest(message, SIGN_HASH)
    raw_sig = private_key.sign(_signed_data(ns, b"", alg, digest))
    blob = (
        MAGIC
        + struct.pack(">I", VERSION)
        + _string(public_key_blob(private_key.public_key()))
        + _string(ns)
        + _string(b"")
        + _string(alg)
        + _string(_string(KEY_TYPE.encode()) + _string(raw_sig))
    )
    body = base64.b64encode(blob).decode()
    lines = [body[i : i + WRAP] for i in range(0, len(body), WRAP)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def _dearmor(armored: str | bytes) -> bytes:
    not_armored = SignatureError(
        Msg(
            "不是 SSH 签名：缺少 “-----BEGIN SSH SIGNATURE-----” 开头或结尾行，或内容不是 base64",
            "not an SSH signature: the BEGIN/END SSH SIGNATURE lines are missing "
            "or the body is not base64",
        ),
        "armor",
    )
    if isinstance(armored, (bytes, bytearray)):
        if len(armored) > MAX_ARMORED:
            raise not_armored
        try:
            armored = bytes(armored).decode("ascii")
        except UnicodeDecodeError:
            raise not_armored from None
    if not isinstance(armored, str) or len(armored) > MAX_ARMORED or not armored.isascii():
        raise not_armored
    lines = [line.strip() for line in armored.strip().splitlines()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise not_armored
    body = "".join(lines[1:-1])
    if not body or any(c.isspace() for c in body):
        raise not_armored
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise not_armored from None


def _parse_public_key(blob: bytes) -> Ed25519PublicKey:
    r = _Reader(blob)
    key_type = r.string()
    if key_type != KEY_TYPE.encode():
        raise SignatureError(
            Msg(
                f"不支持的密钥类型 {_show(key_type)}，仅支持 ssh-ed25519",
                f"unsupported key type {_show(key_type)}; only ssh-ed25519 is accepted",
            ),
            "key_type",
        )
    raw = r.string()
    r.end()
    if len(raw) != 32:
        raise _malformed()
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(
    armored: str | bytes,
    message: bytes | BinaryIO,
    namespace: str,
    *,
    public_key: Ed25519PublicKey | None = None,
) -> Ed25519PublicKey:
    """Check an armored SSHSIG over ``message``; return the key that signed it.

    With ``public_key`` the signature must also come from that key. Without it
    the caller must itself decide whether to trust the returned key (compare
    its fingerprint): a valid signature alone proves nothing about who made it.
    Raises :class:`SignatureError` and nothing else for any bad signature.
    """
    r = _Reader(_dearmor(armored))
    if r.data[: len(MAGIC)] != MAGIC:
        raise SignatureError(
            Msg("不是 SSHSIG 签名（标识字节不符）", "not an SSHSIG signature (wrong magic bytes)"),
            "magic",
        )
    r.take(len(MAGIC))
    version = r.uint32()
    if version != VERSION:
        raise SignatureError(
            Msg(f"不支持的签名格式版本 {version}（应为 {VERSION}）", f"unsupported signature version {version} (expected {VERSION})"),
            "version",
        )
    key_blob = r.string()
    ns = r.string()
    reserved = r.string()
    hash_alg = r.string()
    sig_blob = r.string()
    r.end()

    signer = _parse_public_key(key_blob)
    if ns != namespace.encode():
        raise SignatureError(
            Msg(
                f"签名用途不符：此签名用于 {_show(ns)}，此处需要 {namespace!r}",
                f"wrong signature namespace: signed for {_show(ns)}, expected {namespace!r}",
            ),
            "namespace",
        )
    alg = hash_alg.decode("ascii", "replace")
    if alg not in _HASHES:
        raise SignatureError(
            Msg(
                f"不支持的摘要算法 {_show(hash_alg)}（支持 sha256、sha512）",
                f"unsupported hash algorithm {_show(hash_alg)} (sha256 and sha512 are supported)",
            ),
            "hash",
        )
    s = _Reader(sig_blob)
    sig_type = s.string()
    raw_sig = s.string()
    s.end()
    if sig_type != KEY_TYPE.encode():
        raise SignatureError(
            Msg(
                f"不支持的签名类型 {_show(sig_type)}，仅支持 ssh-ed25519",
                f"unsupported signature type {_show(sig_type)}; only ssh-ed25519 is accepted",
            ),
            "key_type",
        )

    digest = _digest(message, alg)
    try:
        signer.verify(raw_sig, _signed_data(ns, reserved, hash_alg, digest))
    except InvalidSignature:
        raise SignatureError(
            Msg(
                "签名无效：文件内容在签名后被改动，或签名已损坏",
                "invalid signature: the file was changed after signing, or the signature is damaged",
            ),
            "invalid",
        ) from None

    # Checked after validity so the message can say "valid, but someone else's key".
    if public_key is not None and public_key_blob(public_key) != public_key_blob(signer):
        raise SignatureError(
            Msg(
                f"签名密钥不符：签名来自 {fingerprint(signer)}，应为 {fingerprint(public_key)}",
                f"signed by a different key: {fingerprint(signer)}, expected {fingerprint(public_key)}",
            ),
            "key_mismatch",
        )
    return signer
