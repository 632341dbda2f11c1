"""Removing a workspace from the laptop once the coordinator has confirmed receipt (清除工作区).

Exactly what qbdesk made in HOME goes: the snapshot copy, the expert key, the encrypted state
and journal (private notes included), the workspace record, and temporary files a crash may
have left beside them. Anything else in the folder (a stranger's file) stays, and so does the
folder then; :func:`purge_plan` names what will go and :func:`kept` what will stay, so the
confirmation can say both. A folder that is not a workspace is refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from qbdesk.domain.messages import Msg, os_reason
from qbdesk.formats.atomic import fsync_dir
from qbdesk.services.reviewer.journal import JOURNAL_FILE
from qbdesk.services.reviewer.state import (
    KEY_FILE,
    SNAPSHOT_FILE,
    STATE_FILE,
    WORKSPACE_FILE,
    WorkspaceError,
    read_workspace_record,
)

# workspace.json last: a purge cut short is still a workspace, so running it again finishes it
MADE = (SNAPSHOT_FILE, KEY_FILE, STATE_FILE, JOURNAL_FILE, WORKSPACE_FILE)
# formats/atomic.py and opening.py write through ".<name>.<random>.tmp" in the same folder
_TEMP = re.compile(r"\.({})\.[^/]*\.tmp".format("|".join(re.escape(n) for n in MADE)))


def _workspace(home: str | os.PathLike[str]) -> Path:
    home = Path(home)
    try:
        record = read_workspace_record(home) if home.is_dir() else None
    except WorkspaceError:
        record = None
    if record is None:
        raise WorkspaceError(Msg(f"{home} 不是评审工作区（没有有效的 workspace.json），未删除任何文件",
                                 f"{home} is not a review workspace (no valid workspace.json); nothing was removed"),
                             "not_a_workspace")
    return home


def _made(home: Path) -> list[Path]:
    temps = sorted(p for p in home.iterdir() if _TEMP.fullmatch(p.name) and p.is_file() and not p.is_symlink())
    files = [home / n for n in MADE if (home / n).is_file() or (home / n).is_symlink()]
    return temps + files


def kept(home: str | os.PathLike[str]) -> list[Path]:
    """What is in HOME that qbdesk did not make: it stays (and so does HOME)."""
    home = _workspace(home)
    made = set(_made(home))
    return sorted(p for p in home.iterdir() if p not in made)


def purge_plan(home: str | os.PathLike[str]) -> list[Path]:
    """Exactly the files (and, when nothing else is in it, the folder) :func:`purge` removes."""
    home = _workspace(home)
    plan = _made(home)
    if not kept(home):
        plan.append(home)
    return plan


def purge(home: str | os.PathLike[str]) -> list[Path]:
    """Remove what :func:`purge_plan` names; return it. Refuses a folder that is not a workspace."""
    plan = purge_plan(home)
    removed: list[Path] = []
    for path in plan:
        try:
            if path == Path(home):
                path.rmdir()
            else:
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            why = os_reason(e)
            done = "、".join(p.name for p in removed) or "无"
            raise WorkspaceError(Msg(f"无法删除 {path}：{why.zh}（已删除：{done}）；可再次运行以完成清除",
                                     f"cannot remove {path}: {why.en} (removed so far: "
                                     f"{', '.join(p.name for p in removed) or 'nothing'}); run it again to finish"),
                                 "unwritable") from None
        removed.append(path)
    fsync_dir(Path(home) if Path(home).exists() else Path(home).parent)
    return removed
