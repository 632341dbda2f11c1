"""Text every store can keep: no NUL (U+0000), no lone surrogate (U+D800–U+DFFF).

PostgreSQL's ``text`` cannot hold U+0000 at all, and neither its driver nor SQLite's can write a
lone surrogate (a file name that is not UTF-8, or a ``\\ud800`` escape, decodes to one). SQLite
would keep a NUL, so without a rule the same input would be stored on one backend and refused by
the other with a driver's message. qbdesk's rule, the same on both: what comes from a file or a
form is refused with the field named (``unstorable``); what an expert types loses its control
characters (``typed``: they are invisible and never meant), and the database's copy of a score file's
comments and reasons its NULs (``without_nul``; the signed file keeps them); what only names a thing (a file name in
the audit log) is written with the odd bytes escaped (``printable_name``). The database engine
refuses any that get past these with a clear message (``store.engine``).
"""

from __future__ import annotations

import re
from typing import Any

from qbdesk.domain.messages import Msg

NUL = "\x00"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> Msg | None:
    """Why ``text`` cannot be stored (its first NUL or lone surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == NUL:
        return Msg(f"第 {found.start() + 1} 个字符是空字符（U+0000），无法保存；请删去",
                   f"character {found.start() + 1} is a NUL (U+0000), which cannot be stored; remove it")
    return Msg(f"第 {found.start() + 1} 个字符不是有效的 Unicode 字符（孤立的代理项 U+{ord(found.group()):04X}，"
               f"多为非 UTF-8 编码的文字），无法保存",
               f"character {found.start() + 1} is not a valid Unicode character (a lone surrogate "
               f"U+{ord(found.group()):04X}, mostly text that is not UTF-8), which cannot be stored")


def first_unstorable(value: Any, where: str = "") -> tuple[str, Msg] | None:
    """The path and problem of the first unstorable string (a key or a value) in JSON-like ``value``."""
    if isinstance(value, str):
        problem = unstorable(value)
        return None if problem is None else (where, problem)
    if isinstance(value, dict):
        for k, v in value.items():
            at = f"{where}.{k}" if where else str(k)
            found = first_unstorable(k, at) if isinstance(k, str) else None
            found = found or first_unstorable(v, at)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = first_unstorable(v, f"{where}[{i}]")
            if found:
                return found
    return None


def without_nul(text: str) -> str:
    """``text`` without its NUL characters (what an expert types never means one)."""
    return text.replace(NUL, "") if NUL in text else text


_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})  # Word's soft line break and a form feed
_TYPED_AWAY = re.compile("[\x00-\x08\x0e-\x1f]")


def typed(text: str) -> str:
    """What an expert typed or pasted, as kept: a vertical tab or form feed (Word's soft line break)
    becomes a line break, other control characters but tab, line feed and carriage return go
    (invisible, never meant; no database keeps a NUL and no spreadsheet the others)."""
    return _TYPED_AWAY.sub("", text.translate(_BREAKS))


def printable_name(name: str) -> str:
    """A file name as storable text: each byte that was not UTF-8 (a surrogate escape) written as
    ``\\xNN``, any other lone surrogate as ``\\uNNNN``, a NUL as ``\\x00``."""
    if _UNSTORABLE.search(name) is None:
        return name
    return _UNSTORABLE.sub(_escaped, name)


def _escaped(found: re.Match[str]) -> str:
    o = ord(found.group())
    if o == 0:
        return "\\x00"
    if 0xDC80 <= o <= 0xDCFF:  # surrogateescape: the byte that was not UTF-8
        return f"\\x{o - 0xDC00:02x}"
    return f"\\u{o:04x}"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """``value`` as XML 1.0 can hold it (an .xlsx is XML): each control character but tab, line feed
    and carriage return, each lone surrogate, shown as U+FFFD; anything not text as it is."""
    if isinstance(value, str) and _NOT_XML.search(value) is not None:
        return _NOT_XML.sub("\ufffd", value)
    return value
