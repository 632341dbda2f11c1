"""Ed25519 keys at rest, and passphrases people can read aloud and type.

Private keys are stored in the OpenSSH private key format, encrypted with the
passphrase (aes256-ctr + bcrypt KDF, via ``cryptography``), so the standard
tool can read them too: ``ssh-keygen -y -P <passphrase> -f key``.

Generated passphrases are groups of 5 characters from Crockford's base32
alphabet (no I, L, O, U: nothing to confuse with 1 and 0, no accidental
words), e.g. ``7KQ2M-XW9DA-4HT0R-GZ5``: 5 bits per character, read aloud
from a printed slip. Typed passphrases go through :func:`normalize_passphrase`
first, so case, spaces and hyphens do not matter. That is for generated passphrases only: a
passphrase a person chose (the coordinator's) is used exactly as typed (``canonical=False``) and
must be strong (:func:`chosen_passphrase_problem`).
"""

from __future__ import annotations

import base64
import math
import os
import secrets
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PrivateFormat,
    load_ssh_private_key,
    load_ssh_public_key,
)

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.regular import FileRefused, open_regular
from qbdesk.formats.sshsig import public_key_blob

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
GROUP = 5
MIN_PASSPHRASE_BITS = 80
MIN_PASSPHRASE_CHARS = 8
# Crockford decoding reads the excluded look-alikes as the digits they resemble.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Hyphen look-alikes an input method may produce instead of "-".
_DASHES = frozenset("-‐‑‒–—―−﹣")
_BEGIN_PRIVATE = b"-----BEGIN OPENSSH PRIVATE KEY-----"
_MAX_KEY_FILE = 64 * 1024  # an Ed25519 key file is ~450 bytes
_MAX_PUBLIC_LINE = 8 * 1024
# The bcrypt KDF's work factor is read from the (unauthenticated) file: a damaged or
# hostile value would make loading hang for hours. ssh-keygen and cryptography write 16.
MAX_KDF_ROUNDS = 256
DEFAULT_KDF_ROUNDS = 16


class KeyFileError(QbdeskError):
    """A key or passphrase that cannot be used; ``reason`` is a stable code.

    Reasons: ``missing``, ``unreadable``, ``unwritable``, ``exists``, ``corrupt``, ``passphrase``,
    ``not_encrypted``, ``key_type``, ``weak_passphrase``, ``public_key``.
    """

    def __init__(self, msg: Msg, reason: str):
        super().__init__(msg)
        self.reason = reason


# --- passphrases -------------------------------------------------------------


def generate_passphrase(bits: int = 88) -> str:
    """A random passphrase of at least ``bits`` (never fewer than 80) bits of entropy."""
    if bits < MIN_PASSPHRASE_BITS:
        raise ValueError(f"a passphrase needs at least {MIN_PASSPHRASE_BITS} bits, asked for {bits}")
    n = math.ceil(bits / math.log2(len(ALPHABET)))
    chars = "".join(secrets.choice(ALPHABET) for _ in range(n))
    return "-".join(chars[i : i + GROUP] for i in range(0, n, GROUP))


def normalize_passphrase(typed: str) -> str:
    """The passphrase as used for encryption, whatever way it was typed.

    A passphrase made only of the generator's alphabet (once case, spaces and
    hyphens are ignored, and I/L read as 1, O as 0) becomes the canonical
    grouped form, ``ABCDE-FGHJK-…``, which is how the slip prints it. Any
    other passphrase is kept as typed, only Unicode-normalised (NFKC, so
    full-width input from a Chinese input method matches) and trimmed.
    """
    text = unicodedata.normalize("NFKC", typed).strip()
    compact = "".join(c for c in text if not c.isspace() and c not in _DASHES)
    compact = compact.upper().translate(_ALIASES)
    if compact and all(c in ALPHABET for c in compact):
        return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))
    return text


MIN_CHOSEN_CHARS = 12
MIN_CHOSEN_DISTINCT = 6
# What a chosen passphrase must be more than: the commonest passwords and what they are built of.
_COMMON = ("password", "passwort", "qwerty", "asdfgh", "zxcvbn", "admin", "letmein", "welcome", "iloveyou",
           "abc123", "123456", "654321", "111111", "000000", "888888", "qbdesk", "coordinator", "secret")


def chosen_passphrase_problem(passphrase: str) -> Msg | None:
    """Why a passphrase a person chose (not a generated one) is too weak to protect a key, or None.

    The rule, as the message says it: at least 12 characters, at least 6 different ones, not a
    run or repetition (``aaaa…``, ``1234…``, ``abcabc…``), and not mostly a common password.
    """
    rule = Msg(f"口令至少 {MIN_CHOSEN_CHARS} 个字符，至少含 {MIN_CHOSEN_DISTINCT} 个不同字符，不能是重复或连续的字符"
               f"（如 aaaa…、1234…、abcabc…），也不能主要由常见口令（如 password、123456、qwerty）构成",
               f"a passphrase needs at least {MIN_CHOSEN_CHARS} characters, at least {MIN_CHOSEN_DISTINCT} different "
               f"ones, no run or repetition (aaaa…, 1234…, abcabc…), and not mostly a common password "
               f"(password, 123456, qwerty…)")
    folded = passphrase.casefold()
    steps = [ord(b) - ord(a) for a, b in zip(folded, folded[1:])]
    run = sum(1 for d in steps if abs(d) <= 1) >= 0.75 * max(len(steps), 1)  # 1234…, abcd…, aabb…
    repeated = any(len(folded) % k == 0 and folded == folded[:k] * (len(folded) // k) for k in range(1, len(folded) // 2 + 1))
    rest = folded
    for word in _COMMON:
        rest = rest.replace(word, "")
    if (len(passphrase) < MIN_CHOSEN_CHARS or len(set(folded)) < MIN_CHOSEN_DISTINCT or repeated
            or run or len(set(rest)) < MIN_CHOSEN_DISTINCT):
        return Msg(f"口令太弱：{rule.zh}", f"the passphrase is too weak: {rule.en}")
    return None


def passphrase_entropy_bits(passphrase: str) -> float:
    """Entropy of a passphrase *as the generator makes them*: 5 bits per symbol.

    Returns 0.0 for a passphrase outside the generator's alphabet: for a
    passphrase a person chose there is no honest number to give.
    """
    canonical = normalize_passphrase(passphrase)
    symbols = canonical.replace("-", "")
    if not symbols or any(c not in ALPHABET for c in symbols):
        return 0.0
    return len(symbols) * math.log2(len(ALPHABET))


# --- private keys --------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _secret(passphrase: str, canonical: bool) -> str:
    """What encrypts the key: a generated passphrase typed from paper in its canonical form
    (:func:`normalize_passphrase`); a chosen one exactly as given, never folded."""
    return normalize_passphrase(passphrase) if canonical else passphrase


def private_key_bytes(
    key: Ed25519PrivateKey, passphrase: str, *, kdf_rounds: int = DEFAULT_KDF_ROUNDS, canonical: bool = True
) -> bytes:
    """The encrypted OpenSSH private key file content (aes256-ctr, bcrypt KDF) for ``key``.

    ``kdf_rounds`` fixes the work factor, so opening costs the same on any machine
    (the cost grows linearly: 16 rounds ≈ 0.12 s on the dev machine, 64 ≈ 0.5 s).
    ``canonical=False`` for a passphrase a person chose: it is used exactly as given, and must
    pass :func:`chosen_passphrase_problem`.
    """
    if not 1 <= kdf_rounds <= MAX_KDF_ROUNDS:
        raise ValueError(f"kdf_rounds must be within 1..{MAX_KDF_ROUNDS}, not {kdf_rounds}")
    secret = _secret(passphrase, canonical)
    if not canonical and (weak := chosen_passphrase_problem(secret)) is not None:
        raise KeyFileError(weak, "weak_passphrase")
    if len(secret) < MIN_PASSPHRASE_CHARS:
        raise KeyFileError(
            Msg(
                f"口令太短：至少需要{MIN_PASSPHRASE_CHARS}个字符",
                f"the passphrase is too short: at least {MIN_PASSPHRASE_CHARS} characters are needed",
            ),
            "weak_passphrase",
        )
    encryption = PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(kdf_rounds).build(secret.encode("utf-8"))
    return key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, encryption)


def save_private_key(
    path: str | os.PathLike[str],
    key: Ed25519PrivateKey,
    passphrase: str,
    *,
    overwrite: bool = False,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> None:
    """Write the encrypted key atomically with mode 0600 (a crash leaves the old file or the new).

    Refuses to replace an existing key unless ``overwrite``: losing an expert's
    key means their signed score files can no longer be matched to a new one.
    """
    target = Path(path)
    data = private_key_bytes(key, passphrase, kdf_rounds=kdf_rounds)
    if target.exists() and not overwrite:
        raise KeyFileError(
            Msg(f"密钥文件已存在，未覆盖：{target}", f"a key file already exists, not overwritten: {target}"),
            "exists",
        )
    try:
        atomic_write(target, data)  # created 0600: the key is never readable by others
    except OSError as e:
        raise KeyFileError(
            Msg(f"无法写入密钥文件 {target}：{os_reason(e).zh}", f"cannot write the key file {target}: {os_reason(e).en}"),
            "unwritable",
        ) from e


def load_private_key(path: str | os.PathLike[str], passphrase: str) -> Ed25519PrivateKey:
    """Read and decrypt a key written by :func:`save_private_key` (or ``ssh-keygen -t ed25519``)."""
    source = Path(path)
    return private_key_from_bytes(_read_key_file(source), passphrase, where=str(source))


def private_key_file_public_blob(path: str | os.PathLike[str]) -> bytes | None:
    """The public key an OpenSSH private key file holds in clear (no passphrase, no key
    derivation), as an SSH wire blob; None if the file does not parse. A :class:`KeyFileError`
    if it cannot be read. Decrypting the key later checks its private part against this."""
    header = _read_header(_read_key_file(Path(path)))
    return header.public_blob if header is not None else None


def _read_key_file(source: Path) -> bytes:
    try:  # a regular file only (a FIFO would block); a larger file is not a key and is refused below
        with open_regular(source) as f:
            data = f.read(_MAX_KEY_FILE + 1)
    except FileRefused as e:
        if e.code == "not_found":
            raise KeyFileError(Msg(f"找不到密钥文件：{source}", f"key file not found: {source}"), "missing") from None
        raise KeyFileError(Msg(f"无法读取密钥文件：{e.msg.zh}", f"cannot read the key file: {e.msg.en}"), "unreadable") from None
    except OSError as e:
        raise KeyFileError(
            Msg(f"无法读取密钥文件 {source}：{os_reason(e).zh}", f"cannot read the key file {source}: {os_reason(e).en}"),
            "unreadable",
        ) from e
    return data


def private_key_from_bytes(data: bytes, passphrase: str, *, where: str = "", canonical: bool = True) -> Ed25519PrivateKey:
    """Decrypt key file content; every failure is a :class:`KeyFileError` naming ``where``.

    ``canonical=False``: the passphrase is used exactly as given (a chosen one, see
    :func:`private_key_bytes`)."""
    label = where or "密钥"
    label_en = where or "the key"
    corrupt = KeyFileError(
        Msg(
            f"{label} 不是有效的 OpenSSH 私钥文件，或文件已损坏",
            f"{label_en} is not a valid OpenSSH private key file, or the file is damaged",
        ),
        "corrupt",
    )
    if len(data) > _MAX_KEY_FILE or not data.lstrip().startswith(_BEGIN_PRIVATE):
        raise corrupt
    header = _read_header(data)
    if header is None or header.rounds > MAX_KDF_ROUNDS:
        raise corrupt
    secret = _secret(passphrase, canonical).encode("utf-8")
    try:
        key = load_ssh_private_key(data, password=secret)
    except TypeError as e:
        # cryptography says "not encrypted" with a TypeError; a plain key at rest is refused.
        if "not encrypted" in str(e):
            raise KeyFileError(
                Msg(
                    f"{label} 未用口令加密；qbdesk 只使用加密保存的私钥",
                    f"{label_en} is not protected by a passphrase; qbdesk only uses encrypted private keys",
                ),
                "not_encrypted",
            ) from None
        raise corrupt from None
    except ValueError as e:
        # The check integers at the head of the encrypted section differ: wrong passphrase
        # (or, rarely, damage in exactly those bytes; we cannot tell them apart).
        if "checksum" in str(e):
            raise KeyFileError(
                Msg(f"口令错误，无法解开{label}（或文件已损坏）", f"wrong passphrase for {label_en} (or the file is damaged)"),
                "passphrase",
            ) from None
        raise corrupt from None
    except (UnsupportedAlgorithm, OverflowError, IndexError):
        raise corrupt from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(
            Msg(f"{label} 不是 Ed25519 密钥；qbdesk 只使用 Ed25519", f"{label_en} is not an Ed25519 key; qbdesk only uses Ed25519"),
            "key_type",
        )
    # Without a MAC, damage to the encrypted seed yields a different key silently;
    # the clear copy of the public key catches that before anything is signed with it.
    if header.public_blob != public_key_blob(key.public_key()):
        raise corrupt
    return key


@dataclass(frozen=True)
class _Header:
    rounds: int  # bcrypt KDF rounds, 0 when the file is not encrypted
    public_blob: bytes  # the public key, stored in clear ahead of the encrypted part


def _read_header(data: bytes) -> _Header | None:
    """The clear part of an OpenSSH key file, or None if it does not parse.

    "openssh-key-v1\\0" string(cipher) string(kdfname) string(kdfoptions)
    uint32(nkeys) string(publickey); bcrypt kdfoptions = string(salt) uint32(rounds).
    """
    try:
        body = base64.b64decode(b"".join(data.strip().splitlines()[1:-1]))
        magic = b"openssh-key-v1\0"
        if not body.startswith(magic):
            return None
        pos = len(magic)
        fields = []
        for i in range(4):
            if i == 3:
                pos += 4  # nkeys
            (n,) = struct.unpack_from(">I", body, pos)
            if pos + 4 + n > len(body):
                return None
            fields.append(body[pos + 4 : pos + 4 + n])
            pos += 4 + n
        _cipher, kdfname, options, public_blob = fields
        rounds = 0
        if kdfname == b"bcrypt":
            (salt_len,) = struct.unpack_from(">I", options, 0)
            (rounds,) = struct.unpack_from(">I", options, 4 + salt_len)
        return _Header(rounds, public_blob)
    except (ValueError, struct.error):
        return None


# --- public keys -------------------------------------------------------------


def load_public_key(line: str | bytes) -> Ed25519PublicKey:
    """Parse ``ssh-ed25519 AAAA… [comment]`` (one line, as ``public_key_openssh`` writes it)."""
    bad = KeyFileError(
        Msg(
            "公钥格式不正确：应为一行 “ssh-ed25519 AAAA…”",
            "malformed public key: expected one line “ssh-ed25519 AAAA…”",
        ),
        "public_key",
    )
    if isinstance(line, str):
        line = line.encode("utf-8", "surrogatepass")  # the comment may be any text
    text = bytes(line).strip()
    if not text or len(text) > _MAX_PUBLIC_LINE or b"\n" in text or b"\r" in text:
        raise bad
    if text.split(None, 1)[0] != b"ssh-ed25519":
        raise KeyFileError(
            Msg("公钥不是 Ed25519（ssh-ed25519）类型", "the public key is not an Ed25519 (ssh-ed25519) key"),
            "key_type",
        )
    try:
        key = load_ssh_public_key(text)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise bad from None
    if not isinstance(key, Ed25519PublicKey):  # the blob's own type must agree with the label
        raise bad
    return key

