"""age-encrypted entries inside a ZIP archive, streamed, with the ciphertext hashed on the way.

Three jobs, none of which knows what a snapshot is:

- :func:`encrypt_entry` encrypts a source straight into a STORED zip entry with
  ``pyrage.encrypt_io`` and hashes the ciphertext as it is written; it then checks
  the entry's size against the size age must produce, because pyrage 1.4 can
  silently drop the tail of its output (docs/notes/pyrage.md, pitfall 3);
- :func:`hash_stored_entry` hashes an entry's stored bytes straight from the file,
  without zipfile's CRC pass (the SHA-256 in the signed manifest is the check that
  counts, and skipping CRC-32 keeps verification near disk speed);
- :func:`decrypt_entry` decrypts one entry into memory while hashing its ciphertext,
  and hands out nothing unless both the decryption and the read ran to the end.

Failures are :class:`EntryFailure`; the caller turns them into its own messages.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyrage

CHUNK = 1 << 20
AGE_CHUNK = 64 * 1024  # age's STREAM chunk of plaintext
AGE_TAG = 16  # Poly1305 tag per chunk
AGE_NONCE = 16  # payload nonce ahead of the first chunk
_HEAD = 16 * 1024  # more than any age header with one recipient and a grease stanza
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"

# Everything zipfile may raise on a damaged archive or entry, besides OSError.
ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    struct.error,
    EOFError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
    KeyError,
    IndexError,
)


class EntryFailure(Exception):
    """``reason``: ``encrypt``, ``short_write``, ``decrypt``, ``damaged``, ``truncated``."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


class HashingWriter:
    """Passes writes on to ``dest`` and hashes exactly the bytes it accepted."""

    def __init__(self, dest: Any):
        self.dest = dest
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = bytearray()

    def write(self, data: Any) -> int:
        n = self.dest.write(data)
        n = len(data) if n is None else n
        view = memoryview(data)[:n]
        self.hash.update(view)
        self.size += n
        if len(self.head) < _HEAD:
            self.head += view[: _HEAD - len(self.head)]
        return n

    def flush(self) -> None:
        pass

    def digest(self) -> Digest:
        return Digest(self.size, self.hash.hexdigest())


class HashingReader:
    """Reads from ``source`` and hashes everything read."""

    def __init__(self, source: Any):
        self.source = source
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        if data:
            self.hash.update(data)
            self.size += len(data)
        return data if data is not None else b""

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def digest(self) -> Digest:
        return Digest(self.size, self.hash.hexdigest())


def age_size(header: bytes, plain_size: int) -> int | None:
    """The exact size of an age file for ``plain_size`` bytes, given its first bytes; None if no header end.

    The header ends with the MAC line ``--- <base64>\\n``; then come a 16-byte nonce
    and the plaintext in 64 KiB chunks, each with a 16-byte tag (at least one chunk).
    """
    mac = header.find(b"\n--- ")
    end = header.find(b"\n", mac + 1) if mac >= 0 else -1
    if end < 0:
        return None
    chunks = max(1, math.ceil(plain_size / AGE_CHUNK))
    return end + 1 + AGE_NONCE + plain_size + AGE_TAG * chunks


def encrypt_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: BinaryIO, recipients: list[Any]
) -> tuple[Digest, Digest]:
    """Encrypt ``source`` into a new STORED entry; return (ciphertext, plaintext) digests."""
    reader = HashingReader(source)
    with zf.open(info, "w", force_zip64=True) as dest:
        tee = HashingWriter(dest)
        try:
            pyrage.encrypt_io(reader, tee, recipients)
        except pyrage.EncryptError as e:
            raise EntryFailure("encrypt", str(e)) from None
    expected = age_size(bytes(tee.head), reader.size)
    if expected is None or tee.size != expected or info.file_size != tee.size:
        raise EntryFailure("short_write", f"wrote {tee.size} bytes, age needs {expected}")
    return tee.digest(), reader.digest()


def stored_data_offset(f: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where an entry's bytes start: after its local header, whose name must agree with the directory."""
    f.seek(info.header_offset)
    local = f.read(_LOCAL_HEADER.size)
    if len(local) != _LOCAL_HEADER.size:
        raise EntryFailure("truncated", "local header")
    signature, name_len, extra_len = _LOCAL_HEADER.unpack(local)
    if signature != _LOCAL_SIGNATURE or f.read(name_len) != info.orig_filename.encode("utf-8"):
        raise EntryFailure("damaged", "local header")
    return info.header_offset + _LOCAL_HEADER.size + name_len + extra_len


def hash_stored_entry(f: BinaryIO, info: zipfile.ZipInfo, buffer: bytearray | None = None) -> Digest:
    """SHA-256 of a STORED entry's bytes, read in 1 MiB chunks from ``f`` (opened unbuffered)."""
    buf = buffer if buffer is not None else bytearray(CHUNK)
    view = memoryview(buf)
    f.seek(stored_data_offset(f, info))
    h = hashlib.sha256()
    left = info.compress_size
    while left:
        n = f.readinto(view[: min(left, len(buf))])  # type: ignore[attr-defined]
        if not n:
            raise EntryFailure("truncated", f"{left} bytes missing")
        h.update(view[:n])
        left -= n
    return Digest(info.compress_size, h.hexdigest())


def decrypt_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, identities: list[Any]) -> tuple[bytes, Digest]:
    """Decrypt a whole entry into memory; return (plaintext, ciphertext digest).

    decrypt_io writes plaintext before it has authenticated the end of the stream,
    so the output buffer is only returned after the call and the read both finished.
    """
    out = io.BytesIO()
    try:
        with zf.open(info) as raw:
            reader = HashingReader(raw)
            try:
                pyrage.decrypt_io(reader, out, identities)
            except pyrage.DecryptError as e:
                raise EntryFailure("decrypt", str(e)) from None
            except OSError as e:  # a damaged or cut payload (or a read error)
                raise EntryFailure("decrypt", str(e)) from None
            reader.drain()  # zipfile checks the CRC at the end
    except ZIP_ERRORS as e:
        raise EntryFailure("damaged", str(e)) from None
    return out.getvalue(), reader.digest()
