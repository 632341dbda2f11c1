"""The reviewer's encrypted store in HOME: a compacted base (``state.age``) and a journal of changes.

Each change is one journal record, sealed with age to the snapshot identity's ``ssh-ed25519``
key (as the base is), appended and fdatasync'ed before the change is reported saved, so a save
costs one small encryption and one sync however long the day's edit log has grown. Every
``COMPACT_EVERY`` records (and at each finalise) the whole state is written as a new base,
atomically, and the journal emptied. Nothing is ever on disk in clear.

A record's plaintext is canonical JSON ``{"epoch", "n", "prev", "put", "drop", "log"}``: the
base's epoch, its number (1, 2, … since the base), the SHA-256 of the previous record's
plaintext (of the base's plaintext for record 1), the state's subtrees set (``[path, value]``)
and removed (``path``), and the edit-log entries appended. A dropped, repeated, reordered or
foreign record breaks the chain and is reported (``corrupt_state``), as is any damage except a
torn last record (a crash mid-append: never reported saved, so dropped). The base records which
journal it absorbed (``store.absorbed``), so a crash between writing a new base and emptying the
journal is recognised on the next open and the old records are not applied twice.
Layout and the crash-safety argument: docs/formats.md, "Reviewer workspace".
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyrage

from qbdesk.domain.messages import Msg, os_reason
from qbdesk.domain.rubric import canonical_json
from qbdesk.formats.agezip import age_size
from qbdesk.formats.atomic import atomic_write
from qbdesk.services.reviewer.journal import JOURNAL_FILE, Conflict, Damaged, JournalWriter, frame, split
from qbdesk.services.reviewer.state import (
    MAX_STATE,
    STATE_FILE,
    STATE_FORMAT,
    STATE_FORMAT_V1,
    WorkspaceError,
    migrate,
    shape_problem,
    unwritable,
)

COMPACT_EVERY = 256  # records; bounds what an open decrypts (each record ≈ 0.4 ms)
MAX_CHANGE = 1024 * 1024  # a larger change (a whole sheet imported) goes straight into a new base
_TOP = frozenset({"declaration", "values", "comments", "recusals", "sequence", "exports", "notes", "finalised"})
_RECORD_KEYS = frozenset({"epoch", "n", "prev", "put", "drop", "log"})

Path_ = tuple[str, ...]


def _dump(doc: Any) -> bytes:
    """JSON as canonical_json writes it (sorted keys, no spaces, UTF-8, no NaN), at C speed: the
    state's numbers are already canonical (the workspace stores 12.0 as 12), so nothing to normalise."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _get(state: Mapping[str, Any], path: Path_) -> tuple[bool, Any]:
    node: Any = state
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _apply(state: dict[str, Any], record: Mapping[str, Any]) -> None:
    for path, value in record["put"]:
        node = state
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    for path in record["drop"]:
        node = state
        for key in path[:-1]:
            node = node.get(key, {})
        node.pop(path[-1], None)
    state["edit_log"].extend(record["log"])


def _path_ok(path: Any) -> bool:
    return (isinstance(path, list) and 1 <= len(path) <= 3 and all(isinstance(k, str) for k in path)
            and path[0] in _TOP)


def _record_problem(r: Any) -> str | None:
    if not isinstance(r, dict) or set(r) != _RECORD_KEYS:
        return "not a journal record"
    if type(r["epoch"]) is not int or type(r["n"]) is not int or not isinstance(r["prev"], str):
        return "epoch, n or prev is malformed"
    if not isinstance(r["put"], list) or not all(isinstance(p, list) and len(p) == 2 and _path_ok(p[0]) for p in r["put"]):
        return "put is malformed"
    if not isinstance(r["drop"], list) or not all(_path_ok(p) for p in r["drop"]):
        return "drop is malformed"
    if not isinstance(r["log"], list):
        return "log is malformed"
    return None


class StateStore:
    """``state.age`` + ``journal.age-log`` in ``home``: :meth:`load` the state, :meth:`save` each change.

    It refuses to save over files another program (another qbdesk window on the same HOME)
    changed since it last read or wrote them (``conflict``), instead of losing their edits.
    """

    def __init__(self, home: Path, recipient: str, identity: Any, snapshot_id: str, *,
                 items: Mapping[str, Collection[str]] | None = None, compact_every: int | None = None):
        self.path = home / STATE_FILE
        self.journal_path = home / JOURNAL_FILE
        self._items = items
        self._recipient = pyrage.ssh.Recipient.from_str(recipient)
        self._identity = identity
        self._snapshot_id = snapshot_id
        self.compact_every = COMPACT_EVERY if compact_every is None else compact_every
        self._journal = JournalWriter(self.journal_path)
        self.generation = 0  # durable saves made by this store
        self._reset(epoch=0, head="", size=0, keep=0, records=0, logged=0, base=None)

    def _reset(self, *, epoch: int, head: str, size: int, keep: int, records: int, logged: int,
               base: tuple[int, int, int] | None) -> None:
        self._epoch, self._head, self._records, self._logged = epoch, head, records, logged
        self._size, self._keep = size, keep  # the journal's bytes on disk; the whole records among them
        self._base = base  # (inode, size, mtime) of state.age as last read or written

    # --- reading ---------------------------------------------------------------------------

    def _corrupt(self, why_zh: str, why_en: str, path: Path | None = None) -> WorkspaceError:
        path = path or self.path
        return WorkspaceError(Msg(
            f"评审进度文件 {path} 无法读取（{why_zh}）。文件未被改动，也不会自动重置；请从备份恢复该文件，或联系评审组织方",
            f"the review state {path} cannot be read ({why_en}). It was left as it is and is never reset "
            f"automatically; restore it from a backup, or contact the coordinator"), "corrupt_state")

    def exists(self) -> bool:
        return self.path.exists()

    def _read(self, path: Path) -> tuple[bytes, tuple[int, int, int] | None]:
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                data = f.read(MAX_STATE + 1)
        except FileNotFoundError:
            if path == self.journal_path:
                return b"", None
            raise self._corrupt("文件不存在", "the file is missing", path) from None
        except OSError as e:
            raise self._corrupt(f"读取失败：{os_reason(e).zh}", f"read error: {os_reason(e).en}", path) from None
        if len(data) > MAX_STATE:
            raise self._corrupt("文件过大", "the file is too large", path)
        return data, (st.st_ino, st.st_size, st.st_mtime_ns)

    def _open(self, data: bytes, path: Path, what: tuple[str, str] = ("", "")) -> Any:
        try:
            plain = pyrage.decrypt(data, [self._identity])
        except pyrage.DecryptError:
            raise self._corrupt(f"{what[0]}无法解密：文件已损坏或不属于本快照",
                                f"{what[1]}it cannot be decrypted: damaged, or not this snapshot's", path) from None
        except OSError:
            raise self._corrupt(f"{what[0]}解密校验失败：文件被改动或截断",
                                f"{what[1]}decryption failed its check: the file was altered or cut short", path) from None
        try:
            doc = json.loads(plain.decode("utf-8"))
            _dump(doc)  # what save() writes: NaN or a lone surrogate "\ud800" could never be saved
        except (UnicodeError, ValueError, RecursionError):
            raise self._corrupt(f"{what[0]}内容不是有效的 JSON", f"{what[1]}its content is not valid JSON", path) from None
        return plain, doc

    def load(self) -> dict[str, Any]:
        """The state: the base with the journal's records applied; raises ``corrupt_state``."""
        data, base_stat = self._read(self.path)
        plain, state = self._open(data, self.path)
        old = isinstance(state, dict) and state.get("format") == STATE_FORMAT_V1
        meta = state.pop("store", None) if isinstance(state, dict) and not old else None
        state = migrate(state)
        epoch, absorbed = self._store_meta(meta, old)
        journal, journal_stat = self._read(self.journal_path)
        if old and journal:
            raise self._corrupt("旧格式的进度文件不应有修改日志", "an old-format state has no journal", self.journal_path)
        try:
            records, keep = split(journal)
        except Damaged as e:
            raise self._corrupt(e.zh, e.en, self.journal_path) from None
        head, applied, stale = _sha(plain), 0, False
        if isinstance(state, dict) and isinstance(state.get("edit_log"), list):
            for i, body in enumerate(records, start=1):
                rplain, r = self._open(body, self.journal_path, (f"第 {i} 条记录", f"record {i}: "))
                problem = _record_problem(r)
                if problem is None and i == 1 and absorbed is not None and r["epoch"] == absorbed["epoch"]:
                    stale = True  # a crash after the new base, before the journal was emptied
                if problem is None and stale:
                    if r["epoch"] != absorbed["epoch"] or r["n"] != i or (i > 1 and r["prev"] != head):
                        problem = "the journal the base absorbed is not whole"
                elif problem is None and (r["epoch"], r["n"], r["prev"]) != (epoch, i, head):
                    problem = "out of sequence: a record is missing, repeated, reordered or from another state"
                if problem is not None:
                    raise self._corrupt(f"第 {i} 条记录不合规：{problem}", f"record {i}: {problem}", self.journal_path)
                head = _sha(rplain)
                if not stale:
                    try:
                        _apply(state, r)
                    except (TypeError, AttributeError, IndexError):  # a path through something not an object
                        raise self._corrupt(f"第 {i} 条记录不合规：路径无效", f"record {i}: a path leads through a value",
                                            self.journal_path) from None
                    applied = i
            if stale:
                if (len(records), head) != (absorbed["records"], absorbed["head"]):
                    raise self._corrupt("新的进度文件与旧的修改日志不符", "the base does not match the journal it absorbed",
                                        self.journal_path)
                head, keep = _sha(plain), 0
        problem = shape_problem(state, self._snapshot_id, self._items)
        if problem is not None:
            raise self._corrupt(f"内容不合规：{problem}", f"its content is malformed: {problem}")
        self._reset(epoch=epoch, head=head, size=journal_stat[1] if journal_stat else 0, keep=keep,
                    records=applied, logged=len(state["edit_log"]), base=base_stat)
        if old:
            self.compact(state)  # migrated on open: from now on a base and a journal
        return state

    def _store_meta(self, meta: Any, old: bool) -> tuple[int, dict[str, Any] | None]:
        if old or meta is None:  # a /1 state, or a base written by another tool: no journal behind it yet
            return 0, None
        absorbed = meta.get("absorbed") if isinstance(meta, dict) else None
        ok = (isinstance(meta, dict) and type(meta.get("epoch")) is int and (absorbed is None or (
            isinstance(absorbed, dict) and type(absorbed.get("epoch")) is int and type(absorbed.get("records")) is int
            and isinstance(absorbed.get("head"), str))))
        if not ok:
            raise self._corrupt("内容不合规：store 字段有误", "its content is malformed: store is malformed")
        return meta["epoch"], absorbed

    # --- writing ---------------------------------------------------------------------------

    def _seal(self, plain: bytes) -> bytes:
        ciphertext = pyrage.encrypt(plain, [self._recipient])
        if age_size(ciphertext[:16384], len(plain)) != len(ciphertext):  # pyrage can lose output silently
            raise WorkspaceError(Msg("评审进度加密结果长度不符，未保存", "the encrypted review state has the wrong size; not saved"),
                                 "unwritable")
        return ciphertext

    def _conflict(self) -> WorkspaceError:
        return WorkspaceError(Msg(
            f"{self.path} 已被另一个程序（另一个 qbdesk 窗口？）修改；为免覆盖其内容，本次修改未保存，请重新打开工作区",
            f"{self.path} was changed by another program (another qbdesk window?); this edit was not saved, "
            f"so as not to overwrite it. Open the workspace again"), "conflict")

    def save(self, state: dict[str, Any], touched: Iterable[Path_] | None = None) -> None:
        """Save a change durably: ``touched`` names the subtrees it changed (None: anything, so a
        new base); new edit-log entries are found by length. Returns once it is on disk."""
        if touched is None or self._records >= self.compact_every or self._base is None:
            self.compact(state)
            return
        put, drop = [], []
        for path in dict.fromkeys(touched):
            found, value = _get(state, path)
            if found:
                put.append([list(path), value])
            else:
                drop.append(list(path))
        record = {"epoch": self._epoch, "n": self._records + 1, "prev": self._head, "put": put, "drop": drop,
                  "log": state["edit_log"][self._logged:]}
        plain = canonical_json(record)
        if len(plain) > MAX_CHANGE:
            self.compact(state)
            return
        framed = frame(self._seal(plain))
        try:
            with self._journal.exclusive(self._size) as fd:
                if _stat(self.path) != self._base:
                    raise Conflict()
                self._size = self._journal.append(fd, framed, size=self._size, keep=self._keep)
        except Conflict:
            raise self._conflict() from None
        except OSError as e:
            raise unwritable(self.journal_path, e) from e
        self._keep = self._size
        self._head, self._records, self._logged = _sha(plain), self._records + 1, len(state["edit_log"])
        self.generation += 1

    def compact(self, state: dict[str, Any]) -> None:
        """Write the whole state as a new base (atomically), then empty the journal.

        A crash before the rename leaves the old base and the journal (nothing lost); after it,
        the new base names the journal it absorbed, so the next load skips those records.
        """
        absorbed = {"epoch": self._epoch, "records": self._records, "head": self._head} if self._base else None
        plain = _dump({**state, "format": STATE_FORMAT, "store": {"epoch": self._epoch + 1, "absorbed": absorbed}})
        ciphertext = self._seal(plain)
        try:
            with self._journal.exclusive(self._size) as fd:
                if self._base is not None and _stat(self.path) != self._base:
                    raise Conflict()
                atomic_write(self.path, ciphertext, mode=0o600, read_back=True)
                self._journal.empty(fd)
        except Conflict:
            raise self._conflict() from None
        except (OSError, ValueError) as e:
            raise unwritable(self.path, e) from e
        self._reset(epoch=self._epoch + 1, head=_sha(plain), size=0, keep=0, records=0,
                    logged=len(state["edit_log"]), base=_stat(self.path))
        self.generation += 1

    @property
    def records(self) -> int:
        return self._records

    def close(self) -> None:
        self._journal.close()
