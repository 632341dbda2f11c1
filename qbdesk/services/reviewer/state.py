"""The reviewer's files in HOME: the encrypted working state and the clear workspace record.

``HOME/state.age`` holds everything the expert has entered (declaration, values, comments,
recusals, the hash-chained edit log, the last sequence number used): canonical JSON,
age-encrypted to the snapshot identity's ``ssh-ed25519`` key, so only the passphrase holder
reads it back. ``HOME/workspace.json`` is clear and holds no application content: which
snapshot, which expert key, the next sequence number. Both are written atomically (temp +
fsync + rename); a state that cannot be decrypted or parsed is reported, never replaced.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pyrage

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.rubric import canonical_json
from qbdesk.formats.agezip import age_size
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.keys import KeyFileError, load_public_key
from qbdesk.formats.scorefile import edit_log_problem

STATE_FORMAT = "qbdesk.review-state/1"
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
    ``invalid_value``, ``invalid_input``, ``incomplete``.
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
    }


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


def _shape_problem(state: Any, snapshot_id: str, items: Mapping[str, Collection[str]] | None) -> str | None:
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
    problem = edit_log_problem(state.get("edit_log"))
    return None if problem is None else problem.en


class StateFile:
    """``HOME/state.age``: sealed to the snapshot identity, opened with it.

    It remembers the digest of the bytes it last read or wrote and refuses to save over a
    file that changed since (another qbdesk window on the same HOME), instead of losing edits.
    """

    def __init__(self, path: Path, recipient: str, identity: Any, snapshot_id: str, *,
                 items: Mapping[str, Collection[str]] | None = None):
        self.path = path
        self._items = items
        self._recipient = pyrage.ssh.Recipient.from_str(recipient)
        self._identity = identity
        self._snapshot_id = snapshot_id
        self._seen: str | None = None  # sha256 of the file as last read or written

    def _corrupt(self, why_zh: str, why_en: str) -> WorkspaceError:
        return WorkspaceError(Msg(
            f"评审进度文件 {self.path} 无法读取（{why_zh}）。文件未被改动，也不会自动重置；请从备份恢复该文件，或联系评审组织方",
            f"the review state {self.path} cannot be read ({why_en}). It was left as it is and is never reset "
            f"automatically; restore it from a backup, or contact the coordinator"), "corrupt_state")

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_STATE + 1)
        except FileNotFoundError:
            raise self._corrupt("文件不存在", "the file is missing") from None
        except OSError as e:
            raise self._corrupt(f"读取失败：{os_reason(e).zh}", f"read error: {os_reason(e).en}") from None
        if len(data) > MAX_STATE:
            raise self._corrupt("文件过大", "the file is too large")
        try:
            plain = pyrage.decrypt(data, [self._identity])
        except pyrage.DecryptError:
            raise self._corrupt("无法解密：文件已损坏或不属于本快照", "it cannot be decrypted: damaged, or not this snapshot's") from None
        except OSError:
            raise self._corrupt("解密校验失败：文件被改动或截断", "decryption failed its check: the file was altered or cut short") from None
        try:
            state = json.loads(plain.decode("utf-8"))
            canonical_json(state)  # what save() writes: NaN or a lone surrogate "\ud800" could never be saved
        except (UnicodeError, ValueError, RecursionError):
            raise self._corrupt("内容不是有效的 JSON", "its content is not valid JSON") from None
        problem = _shape_problem(state, self._snapshot_id, self._items)
        if problem is not None:
            raise self._corrupt(f"内容不合规：{problem}", f"its content is malformed: {problem}")
        self._seen = hashlib.sha256(data).hexdigest()
        return state

    def _on_disk(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except FileNotFoundError:
            return None

    def save(self, state: dict[str, Any]) -> None:
        plain = canonical_json(state)
        ciphertext = pyrage.encrypt(plain, [self._recipient])
        if age_size(ciphertext[:16384], len(plain)) != len(ciphertext):  # pyrage can lose output silently
            raise WorkspaceError(Msg("评审进度加密结果长度不符，未保存", "the encrypted review state has the wrong size; not saved"),
                                 "unwritable")
        try:
            if self._on_disk() != self._seen:
                raise WorkspaceError(Msg(
                    f"{self.path} 已被另一个程序（另一个 qbdesk 窗口？）修改；为免覆盖其内容，本次修改未保存，请重新打开工作区",
                    f"{self.path} was changed by another program (another qbdesk window?); this edit was not saved, "
                    f"so as not to overwrite it. Open the workspace again"), "conflict")
            atomic_write(self.path, ciphertext, mode=0o600, read_back=True)
        except (OSError, ValueError) as e:
            raise unwritable(self.path, e) from e
        self._seen = hashlib.sha256(ciphertext).hexdigest()


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
