"""The blind PDFs of one snapshot build, each cleaned once (formats/pdf_clean.py) and kept until the build ends.

The database keeps every original; what snapshots carry is the cleaned file, whose digest is
recorded in ``cleaned_pdf``. The cleaned copies live in spooled temporary files (in memory while
small, then in the system's temporary folder, readable by this account only) and are gone when
the build ends.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.formats.pdf_clean import PdfCleanError, clean_pdf

CLEANER = f"pikepdf {pikepdf.__version__} / qpdf {pikepdf.__libqpdf_version__}"
_SPOOL = 8 * 1024 * 1024


@dataclass(frozen=True)
class CleanedFile:
    sha256: str
    size: int


class CleanedFiles:
    """Source SHA-256 -> the cleaned copy of that PDF, for the length of one build."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[tempfile.SpooledTemporaryFile, CleanedFile]] = {}

    def __contains__(self, source_sha256: str) -> bool:
        return source_sha256 in self._files

    def __getitem__(self, source_sha256: str) -> CleanedFile:
        return self._files[source_sha256][1]

    def add(self, source_sha256: str, source: BinaryIO, *, application: str, file: str) -> CleanedFile:
        """Clean one PDF read from ``source``, checking it against its digest first."""
        if source_sha256 in self._files:
            return self[source_sha256]
        data = source.read()
        if hashlib.sha256(data).hexdigest() != source_sha256:
            raise QbdeskError(Msg(f"申报 {application} 的附件“{file}”在数据库中的内容与其摘要不符（数据库被改动？），未生成快照",
                                  f"attachment {file!r} of application {application} in the database does not match "
                                  f"its hash (was the database altered?); no snapshot was built"))
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
        try:
            clean_pdf(data, spool)
        except PdfCleanError as e:
            spool.close()
            raise QbdeskError(Msg(f"申报 {application} 的附件“{file}”无法清理，未生成快照：{e.msg.zh}",
                                  f"attachment {file!r} of application {application} cannot be cleaned; no snapshot "
                                  f"was built: {e.msg.en}")) from None
        spool.seek(0)
        digest, size = hashlib.sha256(), 0
        while chunk := spool.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
        cleaned = CleanedFile(digest.hexdigest(), size)
        self._files[source_sha256] = (spool, cleaned)
        return cleaned

    @contextmanager
    def open(self, source_sha256: str) -> Iterator[BinaryIO]:
        spool = self._files[source_sha256][0]
        spool.seek(0)
        yield spool  # left open: other experts' snapshots read it again

    def rows(self) -> list[dict[str, object]]:
        """``cleaned_pdf`` columns for every file cleaned."""
        return [dict(source_sha256=src, sha256=c.sha256, size=c.size, cleaner=CLEANER)
                for src, (_f, c) in self._files.items()]

    def close(self) -> None:
        for spool, _c in self._files.values():
            spool.close()
        self._files.clear()


def to_clean(files: CleanedFiles, wanted: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The (source sha256, application, file) not cleaned yet, each PDF once (the first place it is wanted)."""
    seen: dict[str, tuple[str, str, str]] = {}
    for want in wanted:
        if want[0] not in files:
            seen.setdefault(want[0], want)
    return list(seen.values())


def clean_all(files: CleanedFiles, wanted: Iterable[tuple[str, str, str]], open_source: Callable[[str], BinaryIO], *,
              tick: Callable[[str], None] | None = None, cancel: Callable[[], bool] | None = None) -> bool:
    """Clean each (source sha256, application, file) not cleaned yet; ``tick(label)`` after each
    one. False if ``cancel()`` said stop (what was cleaned stays in ``files``)."""
    for sha, application, file in to_clean(files, wanted):
        if cancel is not None and cancel():
            return False
        with open_source(sha) as source:
            files.add(sha, source, application=application, file=file)
        if tick is not None:
            tick(f"{application} {file}")
    return True
