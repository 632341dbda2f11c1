"""Bounds on an .xlsx before openpyxl loads it: an xlsx is a zip of XML parts, and a small one can
expand into gigabytes of XML or millions of shared strings (a "shared-strings bomb").

Both workbook readers (the score sheet, ``sheet.py``; the expert roster, ``roster.py``) call
:func:`xlsx_problem` on the file's bytes first. It reads only the zip's directory (the sizes each
part declares, which zipfile then holds the part to) and streams the shared-strings part once to
count its strings; nothing is parsed as XML. Limits are documented in docs/formats.md.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from qbdesk.domain.messages import Msg

SHARED_STRINGS = "xl/sharedStrings.xml"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class XlsxLimits:
    max_parts: int = 200  # an xlsx from Excel or WPS has a dozen or two
    max_part_bytes: int = 32 << 20  # uncompressed, any one part
    max_total_bytes: int = 64 << 20  # uncompressed, all parts together
    max_strings: int = 200_000  # entries (<si>) in the shared-strings table


def _count_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> int:
    """``<si`` tags in the shared-strings part, streamed (stops counting past ``limit``)."""
    count, tail = 0, b""
    with zf.open(info) as f:
        while chunk := f.read(_CHUNK):
            block = tail + chunk
            count += block.count(b"<si>") + block.count(b"<si ")
            tail = block[-3:]  # a tag cut by the chunk boundary is counted in the next block
            # never counted twice: a 3-byte tail cannot hold a whole 4-byte tag
            if count > limit:
                break
    return count


def xlsx_problem(data: bytes, name: str, limits: XlsxLimits = XlsxLimits()) -> Msg | None:
    """Why the workbook ``data`` must not be loaded (a Msg naming ``name`` and the limit), or None.

    A file that is not a zip at all is left to the workbook reader, which says so in its own words.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError):
        return None  # e.g. "zip file version 6.4": not ours to judge, the workbook reader refuses it
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_parts:
            return Msg(f"{name} 内含 {len(infos)} 个部件，超过上限 {limits.max_parts}：不是正常的 xlsx 工作簿",
                       f"{name} holds {len(infos)} parts, above the limit of {limits.max_parts}: not an ordinary xlsx workbook")
        total = 0
        for info in infos:
            if info.file_size > limits.max_part_bytes:
                return Msg(f"{name} 的部件 {info.filename[:80]} 解压后 {info.file_size} 字节，超过上限 {limits.max_part_bytes}"
                           f"（疑似压缩炸弹）",
                           f"{name}: its part {info.filename[:80]!r} expands to {info.file_size} bytes, above the limit "
                           f"of {limits.max_part_bytes} (a likely zip bomb)")
            total += info.file_size
        if total > limits.max_total_bytes:
            return Msg(f"{name} 解压后共 {total} 字节，超过上限 {limits.max_total_bytes}（疑似压缩炸弹）",
                       f"{name} expands to {total} bytes, above the limit of {limits.max_total_bytes} (a likely zip bomb)")
        strings = next((i for i in infos if i.filename == SHARED_STRINGS), None)
        if strings is not None:
            try:
                count = _count_strings(zf, strings, limits.max_strings)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
                return None  # damaged: the workbook reader reports it
            except Exception:
                return None
            if count > limits.max_strings:
                return Msg(f"{name} 的共享字符串超过 {limits.max_strings} 个：不是正常的工作簿（疑似共享字符串炸弹）",
                           f"{name} has more than {limits.max_strings} shared strings: not an ordinary workbook "
                           f"(a likely shared-strings bomb)")
    return None
