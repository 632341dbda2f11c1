"""The coordinator's two keys, kept in one folder (KEYDIR) on the office PC.

    KEYDIR/signing_ed25519        Ed25519 signing key, OpenSSH private key format (0600)
    KEYDIR/signing_ed25519.pub    its public line, for auditors (allowed_signers)
    KEYDIR/receiving.agekey       age X25519 identity, AGE-SECRET-KEY-1… (0600)
    KEYDIR/receiving.pub          its recipient, age1…

The signing key signs every snapshot manifest; score files are encrypted to the
receiving key. KEYDIR defaults to ``<user data dir>/coordinator-keys``.

The signing key is encrypted with the passphrase in ``QBDESK_COORDINATOR_PASSPHRASE``
when that is set at creation; otherwise it is stored unencrypted, readable by the
owner only (0600), like an SSH key without a passphrase: the office PC's account is
then what protects it. The receiving key is always a plain age identity file (0600),
so that ``age -d -i receiving.agekey`` works for an auditor.

Keys are created only when the folder holds neither; a folder with one key and not the
other is refused rather than completed, because a new receiving key would silently make
every score file already on its way unreadable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_ssh_private_key,
)
from pyrage import x25519

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.formats import keys as keyfiles
from qbdesk.formats import sshsig
from qbdesk.formats.atomic import atomic_write

SIGNING_KEY_FILE = "signing_ed25519"
SIGNING_PUBLIC_FILE = "signing_ed25519.pub"
RECEIVING_KEY_FILE = "receiving.agekey"
RECEIVING_PUBLIC_FILE = "receiving.pub"
PASSPHRASE_ENV = "QBDESK_COORDINATOR_PASSPHRASE"
COMMENT = "qbdesk-coordinator"
_MAX_FILE = 64 * 1024


class CoordinatorKeyError(QbdeskError):
    """The coordinator's keys cannot be loaded or created; ``reason`` is a stable code:
    ``missing``, ``incomplete``, ``passphrase``, ``corrupt``, ``unwritable``."""

    def __init__(self, msg: Msg, reason: str):
        super().__init__(msg)
        self.reason = reason


@dataclass(frozen=True)
class CoordinatorKeys:
    directory: Path
    signing_public: Ed25519PublicKey
    receiving_identity: str  # "AGE-SECRET-KEY-1…"
    receiving_recipient: str  # "age1…"
    encrypted: bool  # the signing key file is passphrase-protected
    signing_key: Ed25519PrivateKey | None = None  # None when loaded without it (signing=False)
    created: bool = False  # made just now by load_or_create_keys

    def require_signing_key(self) -> Ed25519PrivateKey:
        if self.signing_key is None:
            raise CoordinatorKeyError(
                Msg(f"签名密钥未解锁：请设置环境变量 {PASSPHRASE_ENV}", f"the signing key is locked: set {PASSPHRASE_ENV}"),
                "passphrase",
            )
        return self.signing_key

    @property
    def signing_public_openssh(self) -> str:
        return sshsig.public_key_openssh(self.signing_public, COMMENT)

    @property
    def fingerprint(self) -> str:
        """``SHA256:…`` as ``ssh-keygen -l`` prints it; the handover slip shows it."""
        return sshsig.fingerprint(self.signing_public)


def default_key_dir() -> Path:
    from qbdesk.paths import default_data_dir

    return default_data_dir() / "coordinator-keys"


def _passphrase(given: str | None) -> str | None:
    value = given if given is not None else os.environ.get(PASSPHRASE_ENV)
    return value if value else None


def load_or_create_keys(directory: Path | str | None = None, *, passphrase: str | None = None) -> CoordinatorKeys:
    """The keys in ``directory`` (default :func:`default_key_dir`), created there on first use."""
    folder = Path(directory) if directory is not None else default_key_dir()
    signing, receiving = folder / SIGNING_KEY_FILE, folder / RECEIVING_KEY_FILE
    if not signing.exists() and not receiving.exists():
        return _create(folder, _passphrase(passphrase))
    return load_keys(folder, passphrase=passphrase)


def load_keys(directory: Path | str | None = None, *, passphrase: str | None = None,
              signing: bool = True) -> CoordinatorKeys:
    """The existing keys in ``directory``; never creates any.

    ``signing=False`` is for work that only decrypts and compares (importing score files,
    verifying): a passphrase-protected signing key then stays locked, and its public half
    comes from ``signing_ed25519.pub``.
    """
    folder = Path(directory) if directory is not None else default_key_dir()
    signing_file, receiving = folder / SIGNING_KEY_FILE, folder / RECEIVING_KEY_FILE
    have = (signing_file.exists(), receiving.exists())
    if have == (False, False):
        raise CoordinatorKeyError(
            Msg(f"文件夹 {folder} 中没有评审组织方密钥（生成快照时会自动创建；请用 --keys 指定生成快照时所用的密钥文件夹）",
                f"no coordinator keys in {folder} (they are created when snapshots are built; "
                f"use --keys for the folder used then)"),
            "missing",
        )
    if have != (True, True):
        lost = RECEIVING_KEY_FILE if have[0] else SIGNING_KEY_FILE
        raise CoordinatorKeyError(
            Msg(f"密钥文件夹 {folder} 不完整：缺少 {lost}。请从备份恢复；不会自动生成新密钥，否则已发出的快照或评分文件将无法使用",
                f"the key folder {folder} is incomplete: {lost} is missing. Restore it from a backup; a new key is "
                f"not made automatically, as it would make the snapshots or score files already out unusable"),
            "incomplete",
        )
    identity, recipient = _load_receiving(receiving)
    secret = _passphrase(passphrase)
    public_file = folder / SIGNING_PUBLIC_FILE
    if not signing and secret is None and _is_encrypted(_read(signing_file)) and public_file.exists():
        try:
            public = keyfiles.load_public_key(_read(public_file).decode("utf-8", "replace").strip())
        except keyfiles.KeyFileError:
            raise _corrupt(public_file) from None
        return CoordinatorKeys(folder, public, identity, recipient, True)
    key, encrypted = _load_signing(signing_file, secret)
    return CoordinatorKeys(folder, key.public_key(), identity, recipient, encrypted, signing_key=key)


def _is_encrypted(data: bytes) -> bool:
    try:
        load_ssh_private_key(data, password=None)
    except TypeError:  # "password was not given but private key is encrypted"
        return True
    except ValueError:
        pass  # damaged: _load_signing says so
    return False


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(_MAX_FILE + 1)
    except OSError as e:
        raise CoordinatorKeyError(
            Msg(f"无法读取密钥文件 {path}：{os_reason(e).zh}", f"cannot read the key file {path}: {os_reason(e).en}"),
            "corrupt",
        ) from None


def _corrupt(path: Path) -> CoordinatorKeyError:
    return CoordinatorKeyError(
        Msg(f"密钥文件 {path} 已损坏或不是 qbdesk 评审组织方密钥", f"the key file {path} is damaged or not a qbdesk coordinator key"),
        "corrupt",
    )


def _load_signing(path: Path, passphrase: str | None) -> tuple[Ed25519PrivateKey, bool]:
    data = _read(path)
    try:  # unencrypted (the default on the office PC)
        key = load_ssh_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise _corrupt(path)
        return key, False
    except TypeError:
        pass  # "password was not given but private key is encrypted"
    except ValueError:
        raise _corrupt(path) from None
    if passphrase is None:
        raise CoordinatorKeyError(
            Msg(f"签名密钥 {path} 受口令保护：请设置环境变量 {PASSPHRASE_ENV}",
                f"the signing key {path} is passphrase-protected: set the environment variable {PASSPHRASE_ENV}"),
            "passphrase",
        )
    try:
        return keyfiles.private_key_from_bytes(data, passphrase, where=str(path)), True
    except keyfiles.KeyFileError as e:
        reason = "passphrase" if e.reason == "passphrase" else "corrupt"
        hint = Msg(f"（检查环境变量 {PASSPHRASE_ENV}）", f" (check {PASSPHRASE_ENV})") if reason == "passphrase" else Msg("", "")
        raise CoordinatorKeyError(Msg(e.msg.zh + hint.zh, e.msg.en + hint.en), reason) from None


def _load_receiving(path: Path) -> tuple[str, str]:
    lines = [ln.strip() for ln in _read(path).decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    try:
        if len(lines) != 1:
            raise ValueError
        identity = x25519.Identity.from_str(lines[0])
    except (pyrage.IdentityError, ValueError):
        raise _corrupt(path) from None
    return lines[0], str(identity.to_public())


def _create(folder: Path, passphrase: str | None) -> CoordinatorKeys:
    key = keyfiles.generate_private_key()
    identity = x25519.Identity.generate()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if passphrase is not None:
            private = keyfiles.private_key_bytes(key, passphrase)
        else:
            private = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
        public_line = sshsig.public_key_openssh(key.public_key(), COMMENT)
        # The receiving key goes first: a crash between the two leaves a folder that is
        # refused as incomplete, never a signing key whose score files nobody can read.
        _write(folder / RECEIVING_KEY_FILE, f"# qbdesk coordinator receiving key\n{identity}\n".encode(), 0o600)
        _write(folder / RECEIVING_PUBLIC_FILE, f"{identity.to_public()}\n".encode(), 0o644)
        _write(folder / SIGNING_PUBLIC_FILE, f"{public_line}\n".encode(), 0o644)
        _write(folder / SIGNING_KEY_FILE, private, 0o600)
    except keyfiles.KeyFileError as e:  # a passphrase too short to use
        raise CoordinatorKeyError(e.msg, "passphrase") from None
    except OSError as e:
        raise CoordinatorKeyError(
            Msg(f"无法在 {folder} 中创建密钥：{os_reason(e).zh}", f"cannot create the keys in {folder}: {os_reason(e).en}"),
            "unwritable",
        ) from None
    return CoordinatorKeys(folder, key.public_key(), str(identity), str(identity.to_public()), passphrase is not None,
                           signing_key=key, created=True)


def _write(path: Path, data: bytes, mode: int) -> None:
    atomic_write(path, data, mode=None if mode == 0o600 else mode)  # created 0600: never readable by others
