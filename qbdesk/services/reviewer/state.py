"""The reviewer's working state (its shape, checked) and the clear workspace record.

The working state is everything the expert has entered (declaration, values, comments,
recusals, private notes, the hash-chained edit log, the last sequence number used); ``store.py``
keeps it encrypted in HOME (``state.age`` + ``journal.age-log``). ``HOME/workspace.json`` is clear
and holds no application content: which snapshot, which expert key, the next sequence number.
A state that cannot be decrypted, parsed or checked is reported, never replaced.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.keys import KeyFileError, load_public_key
from qbdesk.formats.scorefile import edit_log_problem

STATE_FORMAT = "qbdesk.review-state/2"
STATE_FORMAT_V1 = "qbdesk.review-state/1"  # a single file, no notes: still read, migrated on open
WORKSPACE_FORMAT = "qbdesk.workspace/1"
STATE_FILE = "state.age"
WORKSPACE_FILE = "workspace.json"
SNAPSHOT_FILE = "snapshot.qbsnap"
KEY_FILE = "expert.key"
MAX_STATE = 256 * 1024 * 1024  # far above 300 applications × 12 criteria with a long edit log
MAX_WORKSPACE = 64 * 1024
_WORKSPACE_KEYS = ("snapshot_id", "snapshot_digest", "expert_id", "expert_key", "coordinator_fingerprint")


class WorkspaceError(QbdeskError):
    """A reviewer operation that cannot be done; ``code`` is stable for callers and tests.

    Codes: ``not_a_workspace``, ``other_snapshot``, ``wrong_passphrase``, ``snapshot``,
    ``bad_snapshot``, ``corrupt_state``, ``conflict``, ``mismatch``, ``key``, ``unwritable``,
    ``unknown_application``, ``unknown_criterion``, ``unknown_item``, ``recused``,
    ``invalid_value``, ``invalid_input``, ``incomplete``, ``too_large`` (a score file larger than the
    snapshot can hold), ``not_finalised`` (nothing to reopen for correction).
    """

    def __init__(self, msg: Msg, code: str):
        super().__init__(msg)
        self.code = code


def unwritable(path: Path, e: BaseException) -> WorkspaceError:
    why = os_reason(e)
    return WorkspaceError(Msg(f"无法写入 {path}：{why.zh}", f"cannot write {path}: {why.en}"), "unwritable")


def empty_state(snapshot_id: str) -> dict[str, Any]:
    return {
        "format": STATE_FORMAT,
        "snapshot_id": snapshot_id,
        "declaration": {"accepted": False, "at": "", "conflicts": "", "text_sha256": ""},
        "values": {},  # code -> criterion -> value (items: item id -> {"accepted", "reason"})
        "comments": {},  # code -> criterion -> comment
        "recusals": {},  # code -> {"reason", "at"}
        "edit_log": [],
        "sequence": 0,  # the last sequence number given to a score file
        "exports": [],  # {"sequence", "digest", "at", "file"} per finalised score file
        "notes": {},  # code -> the expert's private note (never exported)
        "finalised": False,  # an export exists and nothing changed since the last one
    }


def migrate(state: Any) -> Any:
    """A ``qbdesk.review-state/1`` document as ``/2`` (no notes; not finalised); anything else as it is."""
    if isinstance(state, dict) and state.get("format") == STATE_FORMAT_V1:
        return {**state, "format": STATE_FORMAT, "notes": {}, "finalised": False}
    return state


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond any float
        return False


def _plain_value(v: Any) -> bool:
    """A score, a check or an opinion as set_value stores it."""
    return isinstance(v, (bool, str)) or (isinstance(v, (int, float)) and _finite(v))


def _decisions(v: Any) -> bool:
    """An items criterion's value: item id -> {"accepted": bool, "reason": str}."""
    return isinstance(v, dict) and all(
        isinstance(d, dict) and isinstance(d.get("accepted"), bool) and isinstance(d.get("reason"), str)
        and (d.get("tier") is None or isinstance(d["tier"], str)) for d in v.values()
    )


def _export_ok(e: Any) -> bool:
    return (isinstance(e, dict) and type(e.get("sequence")) is int
            and all(isinstance(e.get(k), str) for k in ("digest", "at", "file")))


def shape_problem(state: Any, snapshot_id: str, items: Mapping[str, Collection[str]] | None) -> str | None:
    """Why ``state`` is not a working state of this snapshot (English, for the message), or None.

    ``items``: application code -> ids of its rubric's items criteria, whose values are decisions
    (None: not known here, so a value may be either kind).
    """
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        return f"not a {STATE_FORMAT} document"
    if state.get("snapshot_id") != snapshot_id:
        return "it belongs to another snapshot"
    decl = state.get("declaration")
    if not isinstance(decl, dict) or not isinstance(decl.get("accepted"), bool) or not all(
        isinstance(decl.get(k), str) for k in ("at", "conflicts", "text_sha256")
    ):
        return "declaration is malformed"
    for key in ("values", "comments", "recusals"):
        table = state.get(key)
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            return f"{key} is malformed"
    if not all(isinstance(t, str) for per in state["comments"].values() for t in per.values()):
        return "comments is malformed"
    if not all(isinstance(r.get("reason"), str) and r["reason"].strip() for r in state["recusals"].values()):
        return "recusals is malformed"
    seq = state.get("sequence")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return "sequence is malformed"
    for code, per in state["values"].items():
        for criterion, value in per.items():
            if items is None:
                fits = _plain_value(value) or _decisions(value)
            else:
                fits = _decisions(value) if criterion in items.get(code, ()) else _plain_value(value)
            if not fits:
                return f"values.{code}.{criterion} is malformed"
    if not isinstance(state.get("exports"), list) or not all(_export_ok(e) for e in state["exports"]):
        return "exports is malformed"
    notes = state.get("notes")
    if not isinstance(notes, dict) or not all(isinstance(t, str) for t in notes.values()):
        return "notes is malformed"
    if not isinstance(state.get("finalised"), bool):
        return "finalised is malformed"
    problem = edit_log_problem(state.get("edit_log"))
    return None if problem is None else problem.en


# --- workspace.json --------------------------------------------------------------------------


def read_workspace_record(home: Path) -> dict[str, Any] | None:
    """``HOME/workspace.json``, checked; None when there is none."""
    path = home / WORKSPACE_FILE
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_WORKSPACE + 1)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise WorkspaceError(Msg(f"无法读取 {path}：{os_reason(e).zh}", f"cannot read {path}: {os_reason(e).en}"),
                             "not_a_workspace") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # a lone surrogate "\ud800" could not be written back
    except (UnicodeError, ValueError, RecursionError):
        data = None
    ok = (isinstance(data, dict) and data.get("format") == WORKSPACE_FORMAT
          and all(isinstance(data.get(k), str) for k in _WORKSPACE_KEYS)
          and type(data.get("next_sequence")) is int and data["next_sequence"] >= 1
          and _is_public_key(data["expert_key"]))
    if not ok:
        raise WorkspaceError(Msg(f"{path} 已损坏或不是 qbdesk 工作区记录（{WORKSPACE_FORMAT}）",
                                 f"{path} is damaged or not a qbdesk workspace record ({WORKSPACE_FORMAT})"), "not_a_workspace")
    return data


def _is_public_key(line: str) -> bool:
    try:
        load_public_key(line)
    except KeyFileError:
        return False
    return True


def write_workspace_record(home: Path, record: dict[str, Any]) -> None:
    path = home / WORKSPACE_FILE
    data = json.dumps({"format": WORKSPACE_FORMAT, **record}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        atomic_write(path, data.encode("utf-8"), mode=0o644)
    except OSError as e:
        raise unwritable(path, e) from e
