"""Writing a results document: ``.json`` (the contract), ``.xlsx`` (the workbook), ``.csv`` (the
publication list, 公示名单, UTF-8 with BOM for Excel and WPS), by the file's suffix.

The target is written atomically (formats/atomic.py) and read back. A target that exists and is
not a regular file (a folder, a device, a FIFO), a missing folder, or an unknown suffix is
refused with a clear message; nothing is written then.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.regular import not_regular

SUFFIXES = (".json", ".xlsx", ".csv")
CSV_HEAD = ["项目 Program", "排名 Rank", "申报编号 Application", "申报单位 Applicant", "项目名称 Title",
            "汇总分 Aggregate", "是否通过 Passed", "建议资助金额（元） Amount (yuan)"]


def results_json(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def results_csv(doc: Mapping[str, Any]) -> bytes:
    """The publication list: one row per application, programs in order, each by rank (verified: by id)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEAD)
    for p in doc["programs"]:
        for a in p["applications"]:
            agg = a["aggregate"]
            w.writerow([p["program"], "" if a["rank"] is None else a["rank"], a["application"], a.get("applicant", ""),
                        a.get("title", ""), "" if agg is None else f"{agg:.2f}", "是" if a["passed"] else "否",
                        a["amount"]])
    return buf.getvalue().encode("utf-8-sig")


def _check_target(target: Path) -> None:
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise QbdeskError(Msg(f"无法写入 {target}：{os_reason(e).zh}", f"cannot write {target}: {os_reason(e).en}")) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        refused = not_regular(target, st.st_mode)
        raise QbdeskError(Msg(f"无法写入结果：{refused.msg.zh}", f"cannot write the results: {refused.msg.en}"))
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise QbdeskError(Msg(f"结果文件须为 .json、.xlsx 或 .csv：{target.name}",
                              f"a results file is .json, .xlsx or .csv: {target.name}"))
    if not target.parent.is_dir():
        raise QbdeskError(Msg(f"无法写入 {target}：文件夹 {target.parent} 不存在",
                              f"cannot write {target}: the folder {target.parent} does not exist"))


def write_results(doc: Mapping[str, Any], path: str | Path) -> int:
    """Write ``doc`` to ``path`` by its suffix; returns the number of bytes written."""
    target = Path(path)
    _check_target(target)
    suffix = target.suffix.lower()
    if suffix == ".json":
        data = results_json(doc)
    elif suffix == ".csv":
        data = results_csv(doc)
    else:
        from qbdesk.formats.results_xlsx import results_xlsx

        data = results_xlsx(doc)
    try:
        atomic_write(target, data, mode=0o644, read_back=True)
    except (OSError, ValueError) as e:
        reason = os_reason(e) if isinstance(e, OSError) else Msg("读回的内容与写入的不同", "the bytes read back differ")
        raise QbdeskError(Msg(f"无法写入 {target}：{reason.zh}", f"cannot write {target}: {reason.en}")) from None
    return len(data)
