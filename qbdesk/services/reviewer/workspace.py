"""The expert's workspace (评审工作区): one opened snapshot in HOME, and every reviewer operation on it.

The CLI (``qbdesk review …``) and the Step 3 GUI call the same :class:`ReviewWorkspace`:
it is handed its folder, passphrase and clock, holds no globals and knows nothing of Qt.
Every change is validated against the application's rubric, appended to the hash-chained edit
log and saved at once, durably (one encrypted journal record, ``store.py``), so a crash loses at
most the edit in flight, which was never reported saved.

HOME holds ``snapshot.qbsnap`` (the encrypted copy), ``expert.key`` (the expert's Ed25519 key,
encrypted with the passphrase), ``state.age`` and ``journal.age-log`` (everything entered, private
notes included, encrypted to the snapshot identity) and ``workspace.json`` (clear, no application
content). Layouts: docs/formats.md.
The expert key is wrapped with the same fixed work factor as the snapshot identity (64 bcrypt
rounds), so the laptop copy is no cheaper to guess at than the snapshot itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Rubric
from qbdesk.domain.text import typed, unstorable
from qbdesk.formats import keys, sshsig
from qbdesk.formats.scorefile import (
    MAX_TEXT,
    ScoreFileError,
    append_edit,
    write_score_file,
)
from qbdesk.formats.snapshot import IDENTITY_KDF_ROUNDS, SnapshotManifest, SnapshotReader
from qbdesk.services.reviewer.editing import check, put
from qbdesk.services.reviewer.finalize import FinalizeRefused, build_payload, capacity
from qbdesk.services.reviewer.opening import (
    DeferredExpertKey,
    expert_key_matches,
    key_mismatch,
    open_reader,
    prepare_home,
)
from qbdesk.services.reviewer.state import (
    SNAPSHOT_FILE,
    WorkspaceError,
    read_workspace_record,
    write_workspace_record,
)
from qbdesk.services.reviewer.store import StateStore
from qbdesk.services.reviewer.views import (
    ApplicationProgress,
    ApplicationView,
    Blind,
    Declaration,
    Edit,
    FinalizeResult,
    Missing,
    ProgramView,
    parse_meta,
)

Clock = Callable[[], datetime]
REOPEN_APPLICATION, REOPEN_CRITERION = "*", "reopen"  # the edit-log entry of reopen_for_correction
COMPACT_TOUCHED = 64  # applications changed at once (a sheet imported) above which a new base is written


def _utc_now() -> datetime:
    return datetime.now(UTC)


def open_snapshot(snapshot_path: str | os.PathLike[str], home: str | os.PathLike[str], passphrase: str, *,
                  clock: Clock | None = None, kdf_rounds: int = IDENTITY_KDF_ROUNDS) -> ReviewWorkspace:
    """Verify the snapshot, make ``home`` its workspace (or re-open it) and return the workspace.

    Raises :class:`WorkspaceError`: ``wrong_passphrase``, ``snapshot`` (damaged, truncated,
    not a snapshot), ``other_snapshot`` (HOME holds another one), ``unwritable``, ….
    """
    prepare_home(snapshot_path, home, passphrase, kdf_rounds=kdf_rounds)
    return ReviewWorkspace.load(home, passphrase, clock=clock)


class ReviewWorkspace:
    """An opened workspace. Use :func:`open_snapshot` or :meth:`load`; close() (or ``with``) when done."""

    def __init__(self, home: Path, reader: SnapshotReader, record: dict[str, Any], blind: Blind,
                 state_file: StateStore, state: dict[str, Any], expert_key: Any, clock: Clock):
        self.home = home
        self._reader = reader
        self._record = record
        self._blind = blind
        self._file = state_file
        self._state = state
        self._key = expert_key
        self._clock = clock
        self._apps = {a.code: a for a in blind.applications}

    @classmethod
    def load(cls, home: str | os.PathLike[str], passphrase: str, *, clock: Clock | None = None) -> ReviewWorkspace:
        """Open the workspace in ``home`` (made by :func:`open_snapshot`) with the snapshot passphrase."""
        home = Path(home)
        record = read_workspace_record(home) if home.is_dir() else None
        if record is None:
            raise WorkspaceError(Msg(f"{home} 中没有评审工作区；请先运行 qbdesk review open SNAPSHOT --home {home}",
                                     f"{home} holds no review workspace; run qbdesk review open SNAPSHOT --home {home} first"),
                                 "not_a_workspace")
        # Only the snapshot identity's bcrypt unwrap (64 rounds) stands between the passphrase and the
        # work list. The expert key signs only at finalising: its own unwrap runs on a thread from here
        # on (DeferredExpertKey); its public key, in the key file's clear part, is checked now.
        # The snapshot's hashes were checked when the copy was made; each entry is checked again as
        # it is decrypted.
        reader = open_reader(home / SNAPSHOT_FILE, passphrase, check_entries=False)
        try:
            m = reader.manifest
            pinned = (record["snapshot_id"], record["snapshot_digest"], record["coordinator_fingerprint"], record["expert_id"])
            if pinned != (m.snapshot_id, m.digest, m.coordinator_fingerprint, m.expert_id):
                raise WorkspaceError(Msg(f"{home / SNAPSHOT_FILE} 与工作区记录不符（快照文件被替换？）",
                                         f"{home / SNAPSHOT_FILE} is not the snapshot the workspace record names (was it replaced?)"),
                                     "mismatch")
            if not expert_key_matches(home, record["expert_key"]):
                raise key_mismatch(home)
            key = DeferredExpertKey(home, passphrase, record["expert_key"])
            blind = parse_meta(reader.meta)
            items = {a.code: [c.id for c in blind.rubrics[a.rubric_hash].criteria if c.kind == "items"]
                     for a in blind.applications}
            state_file = StateStore(home, m.identity_public_key, reader.identity, m.snapshot_id, items=items)
            state = state_file.load()
        except BaseException:
            reader.close()
            raise
        return cls(home, reader, record, blind, state_file, state, key, clock or _utc_now)

    @staticmethod
    def is_workspace(home: str | os.PathLike[str]) -> bool:
        """Whether ``home`` holds a review workspace (a readable ``workspace.json``); asks no passphrase."""
        try:
            return Path(home).is_dir() and read_workspace_record(Path(home)) is not None
        except WorkspaceError:
            return False

    def close(self) -> None:
        self._file.close()
        self._reader.close()

    def __enter__(self) -> ReviewWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what the expert sees ------------------------------------------------------------

    @property
    def manifest(self) -> SnapshotManifest:
        return self._reader.manifest

    @property
    def snapshot_id(self) -> str:
        return self.manifest.snapshot_id

    @property
    def snapshot_digest(self) -> str:
        """SHA-256 of the signed manifest: compare with the handover slip."""
        return self.manifest.digest

    @property
    def coordinator_fingerprint(self) -> str:
        return self.manifest.coordinator_fingerprint

    @property
    def expert_id(self) -> str:
        return self._blind.expert_id

    @property
    def expert_name(self) -> str:
        return self._blind.expert_name

    @property
    def round(self) -> tuple[int, str, int]:
        """(id, name, year)."""
        return self._blind.round_id, self._blind.round_name, self._blind.round_year

    @property
    def expert_public_key(self) -> str:
        return sshsig.public_key_openssh(keys.load_public_key(self._record["expert_key"]))

    @property
    def expert_fingerprint(self) -> str:
        return sshsig.fingerprint(keys.load_public_key(self._record["expert_key"]))

    @property
    def applications(self) -> tuple[ApplicationView, ...]:
        """Blind metadata, in the snapshot's (per-expert shuffled) order."""
        return self._blind.applications

    def application(self, code: str) -> ApplicationView:
        try:
            return self._apps[code]
        except KeyError:
            raise WorkspaceError(Msg(f"本快照中没有申报 {code}", f"this snapshot has no application {code}"),
                                 "unknown_application") from None

    def rubric(self, code: str) -> Rubric:
        return self._blind.rubrics[self.application(code).rubric_hash]

    def program_view(self, program: str) -> ProgramView:
        """How a program is reviewed (verified or scored, blind or open), as the snapshot says."""
        return self._blind.program(program)

    def read_attachment(self, entry: str) -> bytes:
        """One blind attachment, decrypted into memory and authenticated in full (never written to disk)."""
        return self._reader.read_attachment(entry)

    # --- what the expert entered ------------------------------------------------------------

    def values(self, code: str) -> dict[str, Any]:
        """Current values by criterion (an ``items`` criterion: item id -> {"accepted", "reason"})."""
        return canonical_copy(self._state["values"].get(code, {}))

    def comments(self, code: str) -> dict[str, str]:
        return dict(self._state["comments"].get(code, {}))

    def value(self, code: str, criterion: str, item: str = "") -> Any:
        v = self._state["values"].get(code, {}).get(criterion)
        if item:
            v = (v or {}).get(item)
        return canonical_copy(v)

    def comment(self, code: str, criterion: str, item: str = "") -> str:
        """The comment; for an item decision, its reason."""
        if item:
            d = self.value(code, criterion, item)
            return d["reason"] if isinstance(d, dict) else ""
        return self._state["comments"].get(code, {}).get(criterion, "")

    @property
    def recusals(self) -> dict[str, str]:
        return {code: r["reason"] for code, r in self._state["recusals"].items()}

    @property
    def declaration(self) -> Declaration:
        d = self._state["declaration"]
        return Declaration(d["accepted"], d["at"], d["conflicts"], self._blind.declaration)

    @property
    def edit_log(self) -> list[dict[str, Any]]:
        return canonical_copy(self._state["edit_log"])

    @property
    def sequence(self) -> int:
        """The sequence number of the last score file made (0: none yet)."""
        return max(self._state["sequence"], self._record["next_sequence"] - 1)

    @property
    def exports(self) -> list[dict[str, Any]]:
        return canonical_copy(self._state["exports"])

    @property
    def finalised(self) -> bool:
        """A score file was made and nothing that goes into one changed since (notes do not count)."""
        return bool(self._state["exports"]) and self._state["finalised"]

    @property
    def journal_records(self) -> int:
        """Changes in the journal since the last new base (a save writes a new base at 256)."""
        return self._file.records

    def compact(self) -> None:
        """Write the whole state as a new base now and empty the journal: for an idle moment (the
        window may call it when the expert moves on), so that the save that would otherwise do it
        does not pause typing. Durable like any save."""
        self._save()

    @property
    def saved_generation(self) -> int:
        """Counts the durable saves since this workspace was opened: each change, once it is on disk."""
        return self._file.generation

    def note(self, code: str) -> str:
        """The expert's private note on an application ("" if none): encrypted, never exported."""
        self.application(code)
        return self._state["notes"].get(code, "")

    def set_note(self, code: str, text: str) -> None:
        """Keep (or, with "", remove) a private note; saved at once, never in the edit log or a score file."""
        self.application(code)
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise WorkspaceError(Msg(f"笔记超过 {MAX_TEXT} 字", f"the note is longer than {MAX_TEXT} characters"), "invalid_input")
        if text == self._state["notes"].get(code, "") or (not text.strip() and code not in self._state["notes"]):
            return
        if text.strip():
            self._state["notes"][code] = text
        else:
            self._state["notes"].pop(code, None)
        self._save([("notes", code)])

    def reopen_for_correction(self) -> None:
        """Reopen a finalised set for correction: recorded in the edit log; the next score file
        gets the next sequence number (``finalize`` always does), superseding the last one."""
        if not self.finalised:
            raise WorkspaceError(Msg("尚未定稿（或定稿后已有修改），无需重新开放", "not finalised (or changed since), so there "
                                     "is nothing to reopen"), "not_finalised")
        append_edit(self._state["edit_log"], {"application": REOPEN_APPLICATION, "criterion": REOPEN_CRITERION,
                                              "item": "", "value": self._state["exports"][-1]["sequence"],
                                              "comment": ""}, self._now())
        self._state["finalised"] = False
        self._save([("finalised",)])

    # --- changing it ------------------------------------------------------------------------

    def _now(self) -> str:
        return self._clock().astimezone(UTC).replace(microsecond=0).isoformat()

    def _save(self, touched: Iterable[tuple[str, ...]] | None = None) -> None:
        """Persist the change to the subtrees ``touched`` (None: anything); on failure the disk stays
        the truth (reloaded), and the error is raised."""
        try:
            self._file.save(self._state, touched)
        except BaseException:
            self._state = self._file.load()
            raise

    def _check(self, code: str, criterion: str, item: str, value: Any, comment: str, draft: bool
               ) -> tuple[tuple[str, Msg] | None, Any, str]:
        return check(self._blind, self._apps, self._state["recusals"], code, criterion, item, value, comment, draft)

    def check_edit(self, code: str, criterion: str, item: str, value: Any, comment: str = "", *,
                   draft: bool = False) -> Msg | None:
        """Why this edit would be refused, or None (``value`` None clears, always allowed)."""
        problem, _, _ = self._check(code, criterion, item, value, comment, draft)
        return problem[1] if problem else None

    def apply(self, edits: Iterable[Edit | tuple], *, draft: bool = False) -> int:
        """Validate every edit, then apply them all and save once; return how many changed something.

        All or nothing: the first edit refused raises :class:`WorkspaceError` and nothing is applied.
        """
        prepared = []
        for e in edits:
            code, criterion, item, value, comment = Edit(*e)
            problem, stored, note = self._check(code, criterion, item or "", value, comment or "", draft)
            if problem is not None:
                where = f"{code} {criterion}{' ' + item if item else ''}"
                raise WorkspaceError(Msg(f"{where}：{problem[1].zh}", f"{where}: {problem[1].en}"), problem[0])
            prepared.append((code, criterion, item or "", stored, note))
        changed = 0
        at = self._now()
        touched: list[tuple[str, ...]] = [("finalised",)]
        for code, criterion, item, stored, note in prepared:
            if put(self._state, code, criterion, item, stored, note):
                append_edit(self._state["edit_log"], {"application": code, "criterion": criterion, "item": item,
                                                      "value": stored, "comment": note}, at)
                touched += [("values", code), ("comments", code)]
                changed += 1
        if changed:
            self._state["finalised"] = False
            self._save(touched if len(touched) <= 2 * COMPACT_TOUCHED else None)
        return changed

    def set_value(self, code: str, criterion: str, value: Any, comment: str = "", item: str = "", *,
                  draft: bool = False) -> bool:
        """Set (or, with None, clear) one value, validated against the rubric; saved at once.

        ``items`` criteria: ``item`` names the item, ``value`` is True/False (``comment`` is the
        reason) or {"accepted", "reason"}. ``draft`` stores an incomplete value (an opinion still
        too short, a comment still to come) for the GUI's autosave; missing() keeps listing it.
        """
        return self.apply([(code, criterion, item, value, comment)], draft=draft) > 0

    def recuse(self, code: str, reason: str) -> None:
        """Recuse from an application (回避); its scores are not exported. A reason is required."""
        self.application(code)
        reason = typed(reason) if isinstance(reason, str) else reason
        if not isinstance(reason, str) or not reason.strip():
            raise WorkspaceError(Msg("回避须说明理由", "a recusal needs a reason"), "invalid_input")
        if (problem := unstorable(reason)) is not None:
            raise WorkspaceError(Msg(f"回避理由：{problem.zh}", f"the recusal reason: {problem.en}"), "invalid_input")
        if len(reason) > MAX_TEXT:
            raise WorkspaceError(Msg(f"回避理由超过 {MAX_TEXT} 字", f"the reason is longer than {MAX_TEXT} characters"), "invalid_input")
        self._state["recusals"][code] = {"reason": reason.strip(), "at": self._now()}
        self._state["finalised"] = False
        self._save([("recusals", code), ("finalised",)])

    def withdraw_recusal(self, code: str) -> bool:
        self.application(code)
        if self._state["recusals"].pop(code, None) is None:
            return False
        self._state["finalised"] = False
        self._save([("recusals", code), ("finalised",)])
        return True

    def declare(self, accepted: bool, conflicts: str = "") -> None:
        """Accept (or withdraw) the declaration (承诺书); ``conflicts`` is what the expert declares."""
        conflicts = typed(conflicts)
        if (problem := unstorable(conflicts)) is not None:
            raise WorkspaceError(Msg(f"申明内容：{problem.zh}", f"the declared conflicts: {problem.en}"), "invalid_input")
        if len(conflicts) > MAX_TEXT:
            raise WorkspaceError(Msg(f"申明内容超过 {MAX_TEXT} 字", f"the declared conflicts are longer than {MAX_TEXT} characters"), "invalid_input")
        self._state["declaration"] = {
            "accepted": bool(accepted), "at": self._now() if accepted else "", "conflicts": conflicts.strip(),
            "text_sha256": self._blind.declaration_sha256 if accepted else "",
        }
        self._state["finalised"] = False
        self._save([("declaration",), ("finalised",)])

    # --- progress and finalising ------------------------------------------------------------

    def _missing_of(self, app: ApplicationView) -> list[Missing]:
        out: list[Missing] = []
        values = self._state["values"].get(app.code, {})
        comments = self._state["comments"].get(app.code, {})
        for c in self._blind.rubrics[app.rubric_hash].criteria:
            if c.kind != "items":
                problem = c.validate_value(values.get(c.id), comments.get(c.id, ""))
                if problem:
                    out.append(Missing(app.code, c.id, "", problem))
                continue
            decisions = values.get(c.id) or {}
            what = c.item or Msg("条目", "item")
            for item in app.item_ids:
                if item not in decisions:
                    if c.required:
                        out.append(Missing(app.code, c.id, item, Msg(f"「{c.name.zh}」中 {what.zh} {item} 尚未判定",
                                                                     f"“{c.name.en}”: no decision yet on {what.en} {item}")))
                    continue
                problem = c.validate_value({item: decisions[item]})
                if problem:
                    out.append(Missing(app.code, c.id, item, problem))
        return out

    def missing(self) -> list[Missing]:
        """Every required value still empty or not acceptable, recused applications left out."""
        return [m for app in self.applications if app.code not in self._state["recusals"] for m in self._missing_of(app)]

    def progress(self) -> list[ApplicationProgress]:
        recused = self._state["recusals"]
        return [ApplicationProgress(a.code, a.program, a.code in recused, 0 if a.code in recused else len(self._missing_of(a)))
                for a in self.applications]

    def finalize(self, out_path: str | os.PathLike[str]) -> FinalizeResult:
        """Write the signed score file, encrypted to the coordinator, to ``out_path``.

        Refuses (:class:`FinalizeRefused`, listing everything) while a required value is missing
        or the declaration is not accepted. The sequence number is reserved and saved before the
        file is written, so that even a crash mid-write never lets two different files carry the
        same number; a write that fails (nothing written, or a copy that did not read back) gives
        the number back, so only a written, verified file advances the sequence.
        """
        missing = self.missing()
        declared = self._state["declaration"]["accepted"]
        if missing or not declared:
            raise FinalizeRefused(missing, not declared)
        expert_key = self._key.get()  # before the sequence is reserved: a key that fails changes nothing
        before = (self._state["sequence"], self._record)
        sequence = self.sequence + 1
        self._reserve(sequence, {**self._record, "next_sequence": sequence + 1})
        created_at = self._now()
        payload = build_payload(self._blind, self.manifest, self._state, sequence=sequence, created_at=created_at,
                                expert_key_line=self.expert_public_key)
        target = Path(out_path)
        try:
            written = write_score_file(target, payload, expert_key=expert_key,
                                       receiving_recipient=self.manifest.receiving_recipient,
                                       max_payload=capacity(self._blind))
        except ScoreFileError as e:
            self._reserve(*before)
            raise WorkspaceError(e.msg, "too_large" if e.code == "too_large" else "unwritable") from None
        self._state["exports"].append({"sequence": sequence, "digest": written.digest, "at": created_at,
                                       "file": target.name})
        self._state["finalised"] = True
        self._save([("exports",), ("finalised",)])
        return FinalizeResult(str(target), written.digest, written.fingerprint, sequence, created_at,
                              len(payload["rubrics"]), len(payload["recusals"]))

    def _reserve(self, sequence: int, record: dict[str, Any]) -> None:
        """Save the last sequence number used, in the state and in the workspace record."""
        self._state["sequence"] = sequence
        self._save([("sequence",)])
        self._record = record
        write_workspace_record(self.home, {k: v for k, v in record.items() if k != "format"})


def canonical_copy(value: Any) -> Any:
    """A deep copy of JSON data, so callers cannot change the state behind the edit log's back."""
    if isinstance(value, dict):
        return {k: canonical_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical_copy(v) for v in value]
    return value
