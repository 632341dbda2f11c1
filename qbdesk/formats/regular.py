"""Opening a file the user named: a regular file only, bounded, never blocked on.

Every path that comes from the user (a snapshot, a score file, a package zip, a roster, a score
sheet, a round configuration, a passphrase file) is opened here first. ``/dev/zero`` would be read
for ever, a FIFO would block ``open`` itself until a writer came, a folder cannot be read at all:
each is refused at once with a message naming the path and what it is. The file is opened with
``O_NONBLOCK`` (so a FIFO does not block the open), then ``fstat`` on the open descriptor decides
(no race between the check and the read), and only then is blocking mode restored.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from qbdesk.domain.messages import Msg, QbdeskError, os_reason

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


class FileRefused(QbdeskError):
    """A user-named path that is not a readable regular file of acceptable size.

    ``code``: ``not_found``, ``not_regular`` (a folder, device, FIFO or socket), ``too_large``,
    ``unreadable``.
    """

    def __init__(self, msg: Msg, code: str, path: Path):
        super().__init__(msg)
        self.code = code
        self.path = path


def _kind(mode: int) -> tuple[str, str]:
    if stat.S_ISDIR(mode):
        return "文件夹", "a folder"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）", "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件", "a device"
    if stat.S_ISSOCK(mode):
        return "套接字", "a socket"
    return "特殊文件", "a special file"


def not_regular(path: Path, mode: int) -> FileRefused:
    zh, en = _kind(mode)
    return FileRefused(Msg(f"{path} 是{zh}，不是普通文件：请指定一个文件", f"{path} is {en}, not a regular file: name a file"),
                       "not_regular", path)


def too_large(path: Path, size: int, limit: int) -> FileRefused:
    return FileRefused(Msg(f"{path} 有 {size} 字节，超过此类文件的上限 {limit} 字节",
                           f"{path} is {size} bytes, above the limit of {limit} bytes for this kind of file"),
                       "too_large", path)


def open_regular(path: str | os.PathLike[str], max_bytes: int | None = None, *, buffering: int = -1) -> BinaryIO:
    """``path`` opened for reading in binary, if it is a regular file of at most ``max_bytes``.

    Raises :class:`FileRefused`. Never blocks on a FIFO, never reads a device.
    """
    where = Path(path)
    try:
        fd = os.open(where, _FLAGS)
    except FileNotFoundError:
        raise FileRefused(Msg(f"找不到文件 {where}", f"file not found: {where}"), "not_found", where) from None
    except IsADirectoryError:
        raise not_regular(where, stat.S_IFDIR) from None
    except OSError as e:
        why = os_reason(e)
        raise FileRefused(Msg(f"无法读取 {where}：{why.zh}", f"cannot read {where}: {why.en}"), "unreadable", where) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(where, st.st_mode)
        if max_bytes is not None and st.st_size > max_bytes:
            raise too_large(where, st.st_size, max_bytes)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The whole of a regular file of at most ``max_bytes`` (a file growing past it while read is refused too)."""
    where = Path(path)
    with open_regular(where, max_bytes) as f:
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            why = os_reason(e)
            raise FileRefused(Msg(f"无法读取 {where}：{why.zh}", f"cannot read {where}: {why.en}"), "unreadable", where) from None
    if len(data) > max_bytes:
        raise too_large(where, len(data), max_bytes)
    return data


def check_regular(path: str | os.PathLike[str], max_bytes: int | None = None) -> int:
    """Raise :class:`FileRefused` unless ``path`` is a regular file of at most ``max_bytes``; its size."""
    with open_regular(path, max_bytes) as f:
        return os.fstat(f.fileno()).st_size
