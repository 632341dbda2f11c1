"""Score files (``.qbscore``), format ``qbdesk.score/2``: an expert's signed scores, sealed for the coordinator.

``/2`` adds ``blind_content``, the expert's commitment to each code's content hash as the signed
snapshot manifest gives it; ``/1`` files (without it) are still read.

Layout (docs/formats.md, "Score file — qbdesk.score/2"): an age file (binary, X25519) to the
coordinator's receiving recipient whose plaintext is a STORED zip of exactly two entries::

    score.json       canonical JSON payload (sorted keys, UTF-8, no spaces, no NaN)
    score.json.sig   SSHSIG over score.json by the expert key, namespace qbdesk-score@1

Everything is small (300 applications × 12 criteria is a few MB), so the file is built and read
whole in memory. The **digest** is SHA-256 of score.json: it survives re-encryption, finds
duplicates, and goes on the paper scorecard with the expert key fingerprint.

This module checks the file on its own (decryption, structure, signature, canonical form), and
``scorefile_shape`` its content (every field, and the edit-log chain).
Whether the file belongs to the round, the snapshot and the expert, and whether its key is the one
bound to that snapshot, is decided by ``services/scores.py``, which holds the snapshot records.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pyrage import x25519

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.rubric import canonical_json as _rubric_canonical_json
from qbdesk.formats import sshsig
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.canonical_check import FloatLiterals, fast_parse, floats_as_canonical, is_canonical
from qbdesk.formats.keys import KeyFileError, load_public_key
from qbdesk.formats.regular import FileRefused, read_regular
from qbdesk.formats.scorefile_shape import (  # noqa: F401  (re-exported: the score file's public names)
    FORMAT,
    FORMAT_V1,
    FORMATS,
    MAX_ID,
    MAX_TEXT,
    ZERO_HASH,
    append_edit,
    check_edit_log,
    edit_log_problem,
    encode_normalised,
    entry_hash,
    log_head,
    shape_problem,
)

JSON_ENTRY = "score.json"
SIG_ENTRY = "score.json.sig"
AGE_MAGIC = b"age-encryption.org/v1\n"
MAX_JSON = 48 * 1024 * 1024  # 300 × 12 scores with a long edit log is a few MB; leave room
MAX_SIG = sshsig.MAX_ARMORED
MAX_FILE = MAX_JSON + 1024 * 1024  # ciphertext: the zip plus age's ~0.03 % overhead and header
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the plaintext depends on the payload only
_PRINCIPAL = re.compile(r"[A-Za-z0-9._@+-]{1,128}")  # what allowed_signers accepts unquoted

_ZIP_OVERHEAD = 4096  # two local headers, the central directory and its end record, with room
_AGE_HEADER = 64 * 1024  # an age header with one recipient is ~300 bytes; generous for grease stanzas
DENSITY = 32  # honest score.json has under one '{' or '[' per 60 bytes; a flood of {} is one per 3

READ_CODES = frozenset({"not_a_score_file", "cannot_decrypt", "corrupt", "bad_signature", "unknown_format", "malformed",
                        "too_large"})
# Writing can fail for two more reasons the reader never gives.
WRITE_CODES = frozenset({"unknown_format", "malformed", "bad_recipient", "unwritable", "too_large"})


class ScoreFileError(QbdeskError):
    """A score file that cannot be used; ``code`` is stable for callers and tests.

    Reading: ``not_a_score_file``, ``cannot_decrypt``, ``corrupt``, ``bad_signature``,
    ``unknown_format``, ``malformed``, ``too_large`` (larger than the reader's bound, e.g. what the
    round's snapshots can hold). Writing also: ``bad_recipient``, ``unwritable``.
    """

    def __init__(self, msg: Msg, code: str):
        super().__init__(msg)
        self.code = code


@dataclass(frozen=True)
class ScorePayload:
    data: dict[str, Any]  # score.json as parsed
    raw: bytes  # score.json bytes, exactly as signed
    digest: str  # sha256 hex of raw
    expert_key: Ed25519PublicKey
    fingerprint: str  # "SHA256:…" as ssh-keygen -l prints it
    signature: str = ""  # the armored SSHSIG (score.json.sig)


# --- canonical JSON, strict parsing ------------------------------------------------------


def canonical_json(data: Any) -> bytes:
    """Sorted keys, ``,``/``:`` without spaces, UTF-8 unescaped, no NaN, integral floats as ints.

    The same rule as rubric hashes (``qbdesk.domain.rubric.canonical_json``), so every hash in
    qbdesk means the same thing. Raises ValueError/TypeError for values JSON cannot hold.
    """
    return _rubric_canonical_json(data)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _malformed(zh: str, en: str) -> ScoreFileError:
    return ScoreFileError(Msg(f"评分文件内容不合规：{zh}", f"the score file's content is malformed: {en}"), "malformed")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _malformed(f"{JSON_ENTRY} 不是 UTF-8 编码（第{e.start}字节）", f"{JSON_ENTRY} is not UTF-8 (byte {e.start})") from None


def _parse_json(raw: bytes | str, floats: FloatLiterals | None = None, *, strict: bool = True) -> dict[str, Any]:
    """score.json (bytes, or text ``_decode`` gave) as an object; duplicate keys, NaN/Infinity,
    bad UTF-8 are all ``malformed``.

    ``floats``, if given, records what the float literals were like (for ``canonical_check``).
    ``strict=False`` lets duplicate keys through (a third faster): only for a reader that then
    requires canonical form, which a repeated key can never have.
    """
    text = raw if isinstance(raw, str) else _decode(raw)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates if strict else None,
                          parse_constant=_reject_constant, parse_float=floats or float)
    except _DuplicateKey as e:
        raise _malformed(f"{JSON_ENTRY} 中键“{e}”重复出现", f"{JSON_ENTRY} repeats the key {str(e)!r}") from None
    except json.JSONDecodeError as e:
        raise _malformed(f"{JSON_ENTRY} 不是有效的 JSON（第{e.lineno}行第{e.colno}列）",
                         f"{JSON_ENTRY} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise _malformed(f"{JSON_ENTRY} 嵌套层次过深", f"{JSON_ENTRY} is nested too deeply") from None
    except ValueError as e:  # NaN/Infinity, integers beyond Python's digit limit
        raise _malformed(f"{JSON_ENTRY} 含有 JSON 不允许的数值", f"{JSON_ENTRY} holds a value JSON does not allow ({e})") from None
    if not isinstance(data, dict):
        raise _malformed(f"{JSON_ENTRY} 顶层必须是对象 {{…}}", f"{JSON_ENTRY} must hold an object {{…}} at the top level")
    return data


def _check_format(data: Mapping[str, Any]) -> None:
    found = data.get("format")
    if found not in FORMATS:
        shown = repr(found)[:60] if found is not None else "（无）"
        shown_en = repr(found)[:60] if found is not None else "(none)"
        raise ScoreFileError(
            Msg(f"不认识的评分文件格式 {shown}（本程序读取 {'、'.join(FORMATS)}）；可能由更新版本的 qbdesk 生成",
                f"unknown score file format {shown_en} (this program reads {', '.join(FORMATS)}); a newer qbdesk may have made it"),
            "unknown_format",
        )


def validate_payload(data: Any, *, raw: bytes | None = None) -> None:
    """Raise ``unknown_format`` or ``malformed`` (naming the field) unless ``data`` has the score.json shape.

    ``raw``: the bytes ``data`` was parsed from, proven canonical (the reader); never otherwise.
    """
    if not isinstance(data, Mapping):
        raise _malformed("内容必须是对象 {…}", "the payload must be an object {…}")
    _check_format(data)
    problem = shape_problem(data, raw=raw)
    if problem is not None:
        raise _malformed(problem.zh, problem.en)


def _payload_key(data: Mapping[str, Any]) -> Ed25519PublicKey:
    line = data.get("expert_key")
    if not isinstance(line, str):
        raise _malformed("expert_key：缺少专家公钥", "expert_key: the expert's public key is missing")
    try:
        return load_public_key(line)
    except KeyFileError as e:
        raise _malformed(f"expert_key：{e.msg.zh}", f"expert_key: {e.msg.en}") from None



# --- key binding ---------------------------------------------------------------------------


def key_binding(binding_secret: bytes, expert_key_line: str) -> str:
    """HMAC-SHA256 (hex) of the expert key line, exactly as in score.json, under the snapshot's secret."""
    return hmac.new(binding_secret, expert_key_line.encode("utf-8"), hashlib.sha256).hexdigest()


def check_binding(binding_secret: bytes, expert_key_line: str, binding: Any) -> bool:
    """Whether ``binding`` is the key binding of ``expert_key_line``; constant-time."""
    if not isinstance(binding, str):
        return False
    expected = key_binding(binding_secret, expert_key_line).encode("ascii")
    return hmac.compare_digest(expected, binding.encode("utf-8", "surrogatepass"))


# --- sealing: zip + age ------------------------------------------------------------------


def _zip(raw: bytes, signature: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in ((JSON_ENTRY, raw), (SIG_ENTRY, signature)):
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.create_system = 3  # unix, whatever machine wrote it
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _recipient(line: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(line.strip())
    except (pyrage.RecipientError, ValueError, TypeError, AttributeError):
        raise ScoreFileError(
            Msg(f"评审组织方的接收公钥无效（应为 age1…）：{str(line)[:70]!r}",
                f"the coordinator's receiving key is not a valid age recipient (age1…): {str(line)[:70]!r}"),
            "bad_recipient",
        ) from None


def _seal(raw: bytes, signature: str, recipient: x25519.Recipient) -> bytes:
    """The whole .qbscore file: zip of the two entries, age-encrypted to ``recipient``."""
    plain = _zip(raw, signature.encode("ascii"))
    ciphertext = pyrage.encrypt(plain, [recipient])
    if not _looks_sealed(ciphertext, len(plain)):  # cheap insurance: pyrage can lose output (docs/notes/pyrage.md)
        raise ScoreFileError(Msg("加密结果长度不符，未写入", "the encrypted output has the wrong size; nothing written"),
                             "unwritable")
    return ciphertext


def _age_payload_size(plain_len: int) -> int:
    """Bytes after the header's ``--- MAC`` line: nonce + chunks, 16-byte tag per 64 KiB chunk."""
    return 16 + plain_len + 16 * max(1, -(-plain_len // 65536))


def _looks_sealed(ciphertext: bytes, plain_len: int) -> bool:
    """What the writer can check without the coordinator's identity: age magic and exact size."""
    end = ciphertext.find(b"\n---")
    if not ciphertext.startswith(AGE_MAGIC) or end < 0:
        return False
    body = ciphertext.find(b"\n", end + 1) + 1
    return body > 0 and len(ciphertext) - body == _age_payload_size(plain_len)


# --- writing ------------------------------------------------------------------------------


def _unwritable(target: Path, why: Msg) -> ScoreFileError:
    return ScoreFileError(Msg(f"无法写入 {target}：{why.zh}", f"cannot write {target}: {why.en}"), "unwritable")


def _atomic_write(target: Path, data: bytes) -> None:
    """tmp + fsync + rename + read back. 0644: the content is encrypted, and the coordinator's
    account must read it off a Linux-formatted stick."""
    try:
        atomic_write(target, data, mode=0o644, read_back=True)
    except OSError as e:
        raise _unwritable(target, os_reason(e)) from e
    except ValueError:  # a damaged copy is no score file: take it away, so nobody hands it over
        target.unlink(missing_ok=True)
        raise _unwritable(target, Msg("读回的内容与写入的不一致", "the bytes read back differ from those written")) from None



def write_score_file(
    path: str | os.PathLike[str],
    payload: Mapping[str, Any],
    *,
    expert_key: Ed25519PrivateKey,
    receiving_recipient: str,
    max_payload: int = MAX_JSON,
) -> ScorePayload:
    """Validate, sign, zip, encrypt and write ``payload`` atomically; the file is read back.
    ``max_payload``: what the snapshot can hold (``payload_capacity``), refused as ``too_large``.

    The writer cannot decrypt (only the coordinator can), so it verifies what it can: the
    signature over the exact bytes, the age framing and size, and the bytes on disk.
    """
    validate_payload(payload)
    public = expert_key.public_key()
    if sshsig.public_key_blob(_payload_key(payload)) != sshsig.public_key_blob(public):
        raise _malformed(
            f"expert_key 与签名私钥不符（签名私钥为 {sshsig.fingerprint(public)}）",
            f"expert_key is not the signing key's public key (the signing key is {sshsig.fingerprint(public)})",
        )
    recipient = _recipient(receiving_recipient)
    raw = canonical_json(payload)
    if len(raw) > MAX_JSON:
        raise _malformed(f"{JSON_ENTRY} 超过 {MAX_JSON} 字节", f"{JSON_ENTRY} is larger than {MAX_JSON} bytes")
    if len(raw) > max_payload:  # the coordinator's import would refuse it: say so here, where it can be fixed
        raise _too_large(f"{JSON_ENTRY} 有 {len(raw)} 字节，超过此快照能容纳的 {max_payload} 字节；请缩短过长的意见或说明",
                         f"{JSON_ENTRY} is {len(raw)} bytes, more than this snapshot can hold ({max_payload} bytes); "
                         f"shorten the longest opinions or comments")
    signature = sshsig.sign(expert_key, raw, sshsig.SCORE_NAMESPACE)
    sshsig.verify(signature, raw, sshsig.SCORE_NAMESPACE, public_key=public)
    target = Path(path)
    _atomic_write(target, _seal(raw, signature, recipient))
    return ScorePayload(
        data=_parse_json(raw), raw=raw, digest=hashlib.sha256(raw).hexdigest(),
        expert_key=public, fingerprint=sshsig.fingerprint(public), signature=signature,
    )


# --- reading ------------------------------------------------------------------------------


def _not_a_score_file(zh: str, en: str) -> ScoreFileError:
    return ScoreFileError(Msg(f"不是评分文件：{zh}", f"not a score file: {en}"), "not_a_score_file")


def _corrupt(zh: str, en: str) -> ScoreFileError:
    return ScoreFileError(Msg(f"评分文件已损坏：{zh}", f"the score file is damaged: {en}"), "corrupt")


CAPACITY_BASE = 256 * 1024  # round, snapshot, key, declaration, rubric hashes
CAPACITY_PER_APPLICATION = 256 * 1024  # its opinions and recusal reason, with their edits
CAPACITY_PER_ROW = 32 * 1024  # one criterion or item: the score, its comment, its edits


def payload_capacity(applications: int, rows: int) -> int:
    """The largest score.json an expert can honestly write for a snapshot of ``applications``
    applications and ``rows`` scorable values (criteria, plus one per item), at most ``MAX_JSON``."""
    return min(MAX_JSON, CAPACITY_BASE + applications * CAPACITY_PER_APPLICATION + rows * CAPACITY_PER_ROW)


def max_file_bytes(max_payload: int) -> int:
    """The largest .qbscore whose score.json can be at most ``max_payload`` bytes: age's size is exact."""
    return _AGE_HEADER + _age_payload_size(max_payload + MAX_SIG + _ZIP_OVERHEAD)


def _too_large(zh: str, en: str) -> ScoreFileError:
    return ScoreFileError(Msg(f"评分文件过大：{zh}", f"the score file is too large: {en}"), "too_large")


def _read_bytes(source: str | os.PathLike[str] | bytes | bytearray | memoryview, max_payload: int) -> bytes:
    limit = max_file_bytes(max_payload)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        where = Path(source)
        try:
            data = read_regular(where, MAX_FILE)
        except FileRefused as e:
            if e.code == "too_large":
                raise _not_a_score_file(f"文件超过 {MAX_FILE} 字节", f"the file is larger than {MAX_FILE} bytes") from None
            raise ScoreFileError(Msg(f"不是评分文件：{e.msg.zh}", f"not a score file: {e.msg.en}"), "not_a_score_file") from None
    if len(data) > MAX_FILE:
        raise _not_a_score_file(f"文件超过 {MAX_FILE} 字节", f"the file is larger than {MAX_FILE} bytes")
    if not data.startswith(AGE_MAGIC):
        if data.startswith(b"PK\x03\x04"):
            raise _not_a_score_file("这是一个 ZIP 文件（评审快照？），评分文件是 age 加密文件",
                                    "this is a ZIP file (a snapshot?); a score file is an age-encrypted file")
        raise _not_a_score_file("不是 age 加密文件（开头不是 age-encryption.org/v1）",
                                "not an age-encrypted file (it does not start with age-encryption.org/v1)")
    if len(data) > limit:
        raise _too_large(f"{len(data)} 字节，而评分内容至多 {max_payload} 字节（本批次的快照能容纳的评分不会更多）",
                         f"{len(data)} bytes, while its scores can be at most {max_payload} bytes "
                         f"(no more than this round's snapshots can hold)")
    return data


def _identity(text: str) -> x25519.Identity:
    """``AGE-SECRET-KEY-1…``; comment and blank lines (as age-keygen writes them) are skipped."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip() and not ln.strip().startswith("#")]
    try:
        if len(lines) != 1:
            raise ValueError("one key expected")
        return x25519.Identity.from_str(lines[0])
    except (pyrage.IdentityError, ValueError, TypeError):
        raise ScoreFileError(
            Msg("评审组织方的接收私钥无效（应为一行 AGE-SECRET-KEY-1…）",
                "the coordinator's receiving key is not a valid age identity (one line AGE-SECRET-KEY-1…)"),
            "cannot_decrypt",
        ) from None


class _Overflow(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    """Where the decryption streams to: refuses to grow past ``cap`` bytes."""

    def __init__(self, cap: int):
        super().__init__()
        self.cap = cap

    def write(self, b) -> int:  # type: ignore[override]
        if self.tell() + len(b) > self.cap:
            raise _Overflow()
        return super().write(b)


def _decrypt(data: bytes, identity: x25519.Identity, cap: int) -> bytes:
    """Stream-decrypt into memory, never more than ``cap`` bytes of plaintext."""
    out = _CappedBuffer(cap)
    try:
        pyrage.decrypt_io(io.BytesIO(data), out, [identity])
    except _Overflow:
        raise _too_large(f"解密后超过 {cap} 字节", f"it decrypts to more than {cap} bytes") from None
    except Exception as e:  # pyrage raises DecryptError, and OSError for payload damage; all end here
        if "no matching keys" in str(e).lower():
            raise ScoreFileError(
                Msg("无法解密：此评分文件不是加密给本评审组织方接收密钥的（或文件头已损坏）",
                    "cannot decrypt: this score file was not encrypted to this coordinator's receiving key "
                    "(or its header is damaged)"),
                "cannot_decrypt",
            ) from None
        raise _corrupt(f"解密失败（{e}），文件被改动或截断",
                       f"decryption failed ({e}); the file was altered or truncated") from None
    return out.getvalue()


def _unzip(plain: bytes, max_payload: int) -> tuple[bytes, bytes]:
    """score.json and score.json.sig: exactly those two entries, in that order, STORED, bounded."""
    try:
        with zipfile.ZipFile(io.BytesIO(plain)) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if names != [JSON_ENTRY, SIG_ENTRY]:
                raise _corrupt(f"内部应只有 {JSON_ENTRY} 和 {SIG_ENTRY} 两项，实际为 {names[:5]}",
                               f"it must hold exactly {JSON_ENTRY} and {SIG_ENTRY}, not {names[:5]}")
            for info, limit in zip(infos, (MAX_JSON, MAX_SIG)):
                if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                    raise _corrupt(f"{info.filename} 被压缩或加密", f"{info.filename} is compressed or encrypted")
                if limit == MAX_JSON and max_payload < info.file_size <= MAX_JSON:
                    raise _too_large(f"{JSON_ENTRY} 有 {info.file_size} 字节，而本批次的快照能容纳的评分至多 {max_payload} 字节",
                                     f"{JSON_ENTRY} is {info.file_size} bytes, while this round's snapshots can hold "
                                     f"at most {max_payload} bytes of scores")
                if info.file_size > limit:
                    raise _corrupt(f"{info.filename} 超过 {limit} 字节", f"{info.filename} is larger than {limit} bytes")
            raw, sig = zf.read(infos[0]), zf.read(infos[1])
    except ScoreFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError,
            NotImplementedError, RuntimeError, OverflowError, IndexError) as e:
        raise _corrupt(f"内部 ZIP 结构无效（{e}）", f"its inner ZIP is invalid ({e})") from None
    if len(raw) > min(MAX_JSON, max_payload) or len(sig) > MAX_SIG:  # a lying header must not get past the limits
        raise _corrupt("内部条目大小与声明不符", "an inner entry's size differs from its header")
    return raw, sig


def _verified_signer(raw: bytes, sig: bytes) -> Ed25519PublicKey:
    """The key that signed the raw bytes of score.json (the key inside the signature); checked
    before a byte is parsed, so unsigned bytes never reach the JSON parser."""
    try:
        return sshsig.verify(sig, raw, sshsig.SCORE_NAMESPACE)
    except sshsig.SignatureError as e:
        raise ScoreFileError(
            Msg(f"评分文件签名校验失败：{e.msg.zh}", f"the score file's signature does not verify: {e.msg.en}"),
            "bad_signature",
        ) from None


def _check_density(raw: bytes) -> None:
    """Refuse, before parsing, a score.json with far more objects and lists than honest scores have:
    each costs ~100 bytes of memory parsed, so a flood of ``{}`` would need ~30 times its size."""
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > len(raw) // DENSITY + 64:
        raise _malformed(f"{JSON_ENTRY} 中的对象和列表过多（{containers} 个，{len(raw)} 字节），不是评分内容",
                         f"{JSON_ENTRY} holds far too many objects and lists for its size "
                         f"({containers} in {len(raw)} bytes); these are not scores")


def _require_canonical(raw: bytes) -> None:
    """The exact check: raise ``malformed`` unless ``raw`` is the canonical JSON of what it parses to."""
    text = _decode(raw)
    floats = FloatLiterals()
    if not is_canonical(_parse_json(text, floats, strict=False), raw, text, floats):
        _parse_json(text)  # names a repeated key, if that is why
        raise _malformed(f"{JSON_ENTRY} 不是规范 JSON 形式", f"{JSON_ENTRY} is not in canonical JSON form")


def _scalar_values(payload: Mapping[str, Any]) -> list[Any]:
    """Where a score.json that passed the shape check can hold a float: a score's or an edit's value."""
    return [r["value"] for r in payload["scores"]] + [e["value"] for e in payload["edit_log"]]


def read_score_file(
    path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview, *, receiving_identity: str,
    max_payload: int = MAX_JSON,
) -> ScorePayload:
    """Decrypt (streaming, at most ``max_payload`` bytes of score.json), unzip, verify the signature
    over the raw bytes, then parse strictly, check that the signing key is score.json's own
    expert_key and validate the shape. Every failure is a :class:`ScoreFileError`."""
    max_payload = min(max_payload, MAX_JSON)
    data = _read_bytes(path_or_bytes, max_payload)
    cap = max_payload + MAX_SIG + _ZIP_OVERHEAD
    raw, sig = _unzip(_decrypt(data, _identity(receiving_identity), cap), max_payload)
    signer = _verified_signer(raw, sig)
    _check_density(raw)
    payload = fast_parse(raw)  # canonical but for float spelling, or None: then the exact path parses
    fast = payload is not None
    if payload is None:
        payload = _parse_json(_decode(raw), FloatLiterals(), strict=False)
    _check_format(payload)
    public = _payload_key(payload)
    if sshsig.public_key_blob(public) != sshsig.public_key_blob(signer):
        raise ScoreFileError(
            Msg(f"评分文件签名校验失败：签名来自 {sshsig.fingerprint(signer)}，而不是文件中的专家公钥 "
                f"{sshsig.fingerprint(public)}",
                f"the score file's signature does not verify: signed by {sshsig.fingerprint(signer)}, "
                f"not by the expert key the file names ({sshsig.fingerprint(public)})"),
            "bad_signature",
        )
    if not fast:
        _require_canonical(raw)
        validate_payload(payload, raw=raw)
    else:
        try:
            validate_payload(payload, raw=raw)  # sound on these bytes: see canonical_check
        except ScoreFileError:
            _require_canonical(raw)  # not canonical comes first, as on the exact path
            raise
        if not floats_as_canonical(_scalar_values(payload)):
            _require_canonical(raw)
    return ScorePayload(
        data=payload, raw=raw, digest=hashlib.sha256(raw).hexdigest(), expert_key=public,
        fingerprint=sshsig.fingerprint(public), signature=sig.decode("ascii"),
    )


# --- export for auditors ------------------------------------------------------------------


def audit_principal(expert_id: str) -> str:
    """The signer name in allowed_signers: the expert id, or a stable stand-in when it has
    characters allowed_signers cannot hold unquoted (spaces, Chinese, commas…)."""
    if _PRINCIPAL.fullmatch(expert_id):
        return expert_id
    return "expert-" + hashlib.sha256(expert_id.encode("utf-8")).hexdigest()[:16]


def export_for_audit(
    path: str | os.PathLike[str] | bytes, *, receiving_identity: str, out_dir: str | os.PathLike[str]
) -> tuple[Path, Path, Path]:
    """Write score.json, score.json.sig and allowed_signers so that, in ``out_dir``::

        ssh-keygen -Y verify -f allowed_signers -I <expert id> -n qbdesk-score@1 -s score.json.sig < score.json

    checks the signature without qbdesk. The file is fully verified first.
    """
    score = read_score_file(path, receiving_identity=receiving_identity)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _unwritable(out, os_reason(e)) from e
    principal = audit_principal(str(score.data["expert_id"]))
    line = sshsig.allowed_signers_line(principal, score.expert_key, [sshsig.SCORE_NAMESPACE])
    paths = (out / JSON_ENTRY, out / SIG_ENTRY, out / "allowed_signers")
    for target, content in zip(paths, (score.raw, score.signature.encode("ascii"), f"{line}\n".encode())):
        _atomic_write(target, content)
    return paths
