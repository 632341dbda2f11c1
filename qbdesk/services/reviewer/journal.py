"""``HOME/journal.age-log``: the reviewer's changes since the last compaction, appended one record each.

A record is a 4-byte big-endian length and that many bytes of one age file (binary, sealed to
the snapshot identity like ``state.age``). This module only frames, appends and splits: what a
record says and how the chain is checked is ``store.py``'s business. Layout and the crash-safety
argument: docs/formats.md, "Reviewer workspace".

Appending is ``write`` on an ``O_APPEND`` descriptor followed by ``fdatasync`` (the size is
metadata the data needs, so it is synced too); only then is the change reported saved. A crash
mid-append can leave one incomplete record at the end, and nothing else: :func:`split` names it
a *torn tail*, which the caller drops, because no one was ever told it was saved.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qbdesk.formats.atomic import fsync_dir

try:  # POSIX: a short exclusive lock around check + append, so two windows cannot interleave
    import fcntl
except ImportError:  # pragma: no cover - Windows: the size check alone
    fcntl = None  # type: ignore[assignment]

JOURNAL_FILE = "journal.age-log"
LENGTH = struct.Struct(">I")
AGE_MAGIC = b"age-encryption.org/v1\n"
MAX_RECORD = 64 * 1024 * 1024  # one change; a larger one is folded into the base instead


class Damaged(Exception):
    """The journal is damaged somewhere other than a torn last record."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def _torn(tail: bytes) -> bool:
    """Whether ``tail`` (from a record's length on) can only be one record cut short by a crash.

    It is shorter than its length says, or zeros after its length (a file system that grew the
    file before the data reached it), and no second age header starts inside it: a length damaged
    into a larger number, with whole records behind it, is damage, not a crash.
    """
    if len(tail) < LENGTH.size or not tail[LENGTH.size:].strip(b"\0"):
        return True
    (n,) = LENGTH.unpack_from(tail)
    body = tail[LENGTH.size:]
    return (0 < n <= MAX_RECORD and len(body) < n and body.find(AGE_MAGIC, 1) < 0
            and AGE_MAGIC.startswith(body[:len(AGE_MAGIC)]))


def split(data: bytes) -> tuple[list[bytes], int]:
    """(the records' age bytes, the end offset of the last whole record); raises :class:`Damaged`.

    Bytes after that offset are a torn tail (see :func:`_torn`); the caller truncates them away
    before it appends again.
    """
    records: list[bytes] = []
    pos = 0
    while pos < len(data):
        n = LENGTH.unpack_from(data, pos)[0] if len(data) - pos >= LENGTH.size else 0
        end = pos + LENGTH.size + n
        if n == 0 or n > MAX_RECORD or end > len(data) or not data.startswith(AGE_MAGIC, pos + LENGTH.size):
            if _torn(data[pos:]):  # only ever the last record: it is not copied for every record
                break
            raise Damaged(f"第 {len(records) + 1} 条记录（偏移 {pos}）的长度或开头不对",
                          f"record {len(records) + 1} (at byte {pos}) has a wrong length or start")
        records.append(data[pos + LENGTH.size:end])
        pos = end
    return records, pos


def frame(ciphertext: bytes) -> bytes:
    return LENGTH.pack(len(ciphertext)) + ciphertext


class Conflict(Exception):
    """The journal is not the size this process last left it: another program wrote to it."""


def _sync(fd: int) -> None:
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


class JournalWriter:
    """Appends framed records durably; checks first that no one else changed the file since."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            created = not self.path.exists()
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
            self._fd = os.open(self.path, flags, 0o600)
            if created:
                fsync_dir(self.path.parent)  # the new name survives a crash too
        return self._fd

    @contextmanager
    def exclusive(self, expect: int) -> Iterator[int]:
        """Hold the journal's lock, having checked it is still ``expect`` bytes (else :class:`Conflict`)."""
        fd = self._open()
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size != expect:
                raise Conflict()
            yield fd
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @staticmethod
    def append(fd: int, record: bytes, *, size: int, keep: int) -> int:
        """Append ``record`` to the locked journal of ``size`` bytes, cut to ``keep`` bytes first
        (a torn tail, or records already folded into the base); return the new size."""
        if keep != size:
            os.ftruncate(fd, keep)
        view = memoryview(record)
        while view:
            view = view[os.write(fd, view):]
        _sync(fd)
        return keep + len(record)

    @staticmethod
    def empty(fd: int) -> None:
        """Cut the locked journal to nothing (its records are in the new base) and sync that."""
        os.ftruncate(fd, 0)
        _sync(fd)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
