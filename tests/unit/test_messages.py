"""OS errors in both languages: the common errno cases, said once, in qbdesk/domain/messages.py."""

from __future__ import annotations

import errno
import os

import pytest

from qbdesk.domain.messages import count_en, os_reason


@pytest.mark.parametrize("name, zh, en", [
    ("ENOENT", "文件或文件夹不存在", "no such file or folder"),
    ("EACCES", "没有权限", "permission denied"),
    ("EPERM", "不允许此操作", "operation not permitted"),
    ("ENOSPC", "磁盘空间已满", "the disk is full"),
    ("EROFS", "磁盘为只读", "the disk is read-only"),
    ("EISDIR", "这是一个文件夹，不是文件", "it is a folder, not a file"),
    ("ENOTDIR", "路径中有一部分不是文件夹", "a part of the path is not a folder"),
])
def test_common_errno_cases_are_translated(name, zh, en):
    code = getattr(errno, name)
    said = os_reason(OSError(code, os.strerror(code)))
    assert zh in said.zh and os.strerror(code) not in said.zh and said.en == en


def test_a_real_missing_folder_and_an_unusual_error():
    with pytest.raises(OSError) as e:
        open("/nonexistent-qbdesk-folder/x.txt", "wb")
    assert os_reason(e.value).zh == "文件或文件夹不存在"
    odd = os_reason(OSError(errno.EXDEV, "Invalid cross-device link"))
    assert odd.en == "Invalid cross-device link" and odd.zh.startswith("系统错误：")


def test_english_counts():
    assert count_en(1, "package") == "1 package" and count_en(2, "score file") == "2 score files"
    assert count_en(0, "application") == "0 applications"
