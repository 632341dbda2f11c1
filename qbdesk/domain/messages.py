"""Bilingual messages: everything a user reads exists in Simplified Chinese and English.

The core returns :class:`Msg` values; each face (CLI, GUI) picks the
language. Chinese is the default.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Msg:
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:  # logs and exceptions: both, so nobody is left out
        return f"{self.zh} / {self.en}"


class QbdeskError(Exception):
    """An error whose message the user can act on, in both languages."""

    def __init__(self, msg: Msg):
        super().__init__(str(msg))
        self.msg = msg

    def text(self, lang: str = "zh") -> str:
        return self.msg.text(lang)


# The common reasons an OS call fails, said in both languages (``strerror`` is English only).
_OS_REASONS: dict[str, tuple[str, str]] = {
    "ENOENT": ("文件或文件夹不存在", "no such file or folder"),
    "EACCES": ("没有权限", "permission denied"),
    "EPERM": ("不允许此操作（没有权限）", "operation not permitted"),
    "ENOSPC": ("磁盘空间已满", "the disk is full"),
    "EDQUOT": ("磁盘配额已用完", "the disk quota is used up"),
    "EROFS": ("磁盘为只读", "the disk is read-only"),
    "EISDIR": ("这是一个文件夹，不是文件", "it is a folder, not a file"),
    "ENOTDIR": ("路径中有一部分不是文件夹", "a part of the path is not a folder"),
    "EEXIST": ("已存在", "it already exists"),
    "ENOTEMPTY": ("文件夹不是空的", "the folder is not empty"),
    "EIO": ("读写错误（磁盘或U盘可能已损坏或已拔出）", "input/output error (the disk or USB stick may be damaged or removed)"),
    "ENAMETOOLONG": ("文件名太长", "the file name is too long"),
    "EMFILE": ("打开的文件太多", "too many open files"),
    "ELOOP": ("符号链接层数过多", "too many levels of symbolic links"),
    "EBUSY": ("文件正被占用", "the file is in use"),
}


def os_reason(e: BaseException) -> Msg:
    """Why an OS call failed, in both languages; the message ``OSError`` carries is English only."""
    import errno as _errno

    code = getattr(e, "errno", None)
    name = _errno.errorcode.get(code, "") if isinstance(code, int) else ""
    if name in _OS_REASONS:
        zh, en = _OS_REASONS[name]
        return Msg(zh, en)
    raw = getattr(e, "strerror", None) or str(e) or e.__class__.__name__
    return Msg(f"系统错误：{raw}", raw)


def count_en(n: int, singular: str, plural: str | None = None) -> str:
    """``1 package``, ``2 packages``: an English count with its noun in the right number."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
