"""Importing the experts' score files (导入评分文件): decrypt, verify, check, merge.

Each file is decrypted with the coordinator's receiving key and its signature checked
(``scorefile.read_score_file``), then checked against the round: this round, a snapshot
this database built for the same expert, that snapshot's digest, the expert key bound to
it (HMAC under the snapshot's binding secret), newer than what was imported before, and
content that fits the snapshot and its rubrics (score_checks.py). Every rejection names
its reason in Chinese and English.

Reading and verifying a file needs no database, so in a batch of several files it runs in worker
processes (``score_reading``) while the files before it are merged; merging stays in this
process, one file after another in the order given, so the outcome is the serial one. The workers
also check each file's scores against the snapshot it names (``check_scores``) and pack them into
score sheets, from the round as loaded before they were forked (``Reader``); the merge uses that
result only if the snapshot's maps in the database are still the ones checked against, and checks
here otherwise (``_checked_now``). A worker sends back the sheets, not 3,600 score objects.

Each file is merged in its own savepoint, a few files to a transaction (``_Batch``), so a file is
imported whole or not at all, even when the machine stops mid-import.
A duplicate (same score digest as a file already imported) changes nothing and does not
count as a rejection. A later valid file from the same expert replaces the earlier one:
the earlier record stays (status ``superseded``, its bytes kept), its score sheets and recusal
rows are replaced, and the audit log has an entry for each.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Table, delete, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, count_en
from qbdesk.domain.rubric import Rubric, load_rubric_data
from qbdesk.formats import scorefile
from qbdesk.formats.scorefile import ScoreFileError, audit_principal, check_binding
from qbdesk.services import score_reading
from qbdesk.services.code_binding import check_signed_binding
from qbdesk.services.coordinator_keys import CoordinatorKeys
from qbdesk.services.score_checks import RECUSAL_COLUMNS, AppContext, Rejection, reject
from qbdesk.services.score_pairs import check_in_force
from qbdesk.services.score_reading import Checked, Opened, Reader, long_lived_frozen, opened_in_order
from qbdesk.services.snapshots import round_rubrics
from qbdesk.services.workers import default_workers
from qbdesk.store import audit, score_sheets
from qbdesk.store.locks import lock_round
from qbdesk.store.models import (
    Application,
    Assignment,
    Conflict,
    Expert,
    ProgramConfig,
    Recusal,
    Round,
    ScoreFileRecord,
    ScoreSheet,
    Snapshot,
)

Status = Literal["accepted", "duplicate", "rejected"]
SUFFIX = ".qbscore"


@dataclass(frozen=True)
class ScoreImportLine:
    """What became of one file."""

    path: Path
    status: Status
    reason: str | None = None  # rejections: a stable code (bad_signature, other_round, replay, …)
    msg: Msg | None = None  # rejections and duplicates: why, in both languages
    expert: str | None = None  # the expert's id as in the file
    sequence: int | None = None
    digest: str | None = None
    fingerprint: str | None = None
    superseded: str | None = None  # digest of the file this one replaced
    record_id: int | None = None
    scores: int = 0
    recusals: int = 0

    def text(self, lang: str = "zh") -> str:
        en = lang == "en"
        label = {"accepted": ("已导入", "accepted"), "duplicate": ("重复", "duplicate"),
                 "rejected": ("已拒绝", "rejected")}[self.status][1 if en else 0]
        head = f"{label}  {self.path}"
        if self.expert:
            head += f"  [{self.expert} #{self.sequence}]"
        details: list[str] = []
        if self.status == "accepted":
            details.append(f"{count_en(self.scores, 'score')}, {count_en(self.recusals, 'recusal')}; digest {self.digest}; key {self.fingerprint}"
                           if en else f"{self.scores} 项评分，{self.recusals} 项回避；摘要 {self.digest}；密钥 {self.fingerprint}")
            if self.superseded:
                details.append(f"replaces the earlier file {self.superseded[:16]}…" if en
                               else f"取代此前导入的文件 {self.superseded[:16]}…")
        if self.msg is not None:
            details.append(self.msg.text(lang))
        return head + "".join(f"\n    - {d}" for d in details)


@dataclass
class ScoreImportReport:
    round_id: int
    lines: list[ScoreImportLine] = field(default_factory=list)
    searched: tuple[Path, ...] = ()  # the files and folders given

    @property
    def nothing_found(self) -> bool:
        return not self.lines

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(line.status for line in self.lines)
        return {s: c.get(s, 0) for s in ("accepted", "duplicate", "rejected")}

    @property
    def ok(self) -> bool:
        """Some file was found and none was rejected (duplicates are fine: nothing to do for them)."""
        return not self.nothing_found and all(line.status != "rejected" for line in self.lines)

    def summary(self) -> Msg:
        if self.nothing_found:
            return Msg(f"在 {'、'.join(map(str, self.searched)) or '?'} 中没有找到评分文件（.qbscore）：未导入任何内容",
                       f"no score files (.qbscore) found in {', '.join(map(str, self.searched)) or '?'}: nothing was imported")
        c = self.counts
        return Msg(f"共 {len(self.lines)} 个评分文件：导入 {c['accepted']}，重复 {c['duplicate']}，拒绝 {c['rejected']}",
                   f"{count_en(len(self.lines), 'score file')}: {c['accepted']} accepted, {c['duplicate']} duplicate, "
                   f"{c['rejected']} rejected")


# --- round context, loaded once per batch --------------------------------------------------------


class RoundContext:
    """What checking a score file needs of one round, loaded once per batch: applications, rubrics, experts."""

    def __init__(self, session: Session, round_id: int):
        rnd = session.get(Round, round_id)
        if rnd is None:
            raise QbdeskError(Msg(f"没有编号为 {round_id} 的评审批次", f"there is no round {round_id}"))
        self.id, self.year, self.name = rnd.id, rnd.year, rnd.name
        apps = session.execute(select(Application.id, Application.external_id, Application.program, Application.items)
                               .where(Application.round_id == round_id)).all()
        self.apps = {a.id: a for a in apps}
        self.app_ids = {a.id: a.external_id for a in apps}  # Application.id -> package id
        self.rubric_hash, contents = round_rubrics(session, round_id, {a.program for a in apps})
        self._contents = contents
        self._parsed: dict[str, Rubric] = {}
        # P5, P7: the tier keys an expert may accept an item at (the round's tier tables)
        from qbdesk.services.rounds import program_settings

        self.tiers = {pc.program: frozenset(program_settings(pc).tier_table())
                      for pc in session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == round_id))
                      if pc.program in ("P5", "P7")}
        self.experts = {e.id: e for e in session.scalars(select(Expert).where(Expert.round_id == round_id))}
        self._contexts: dict[str, dict[str, AppContext]] = {}
        self.snapshot_maps: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}

    def load_snapshot_maps(self, session: Session) -> None:
        """Every snapshot's code -> application and item maps, so that a file's scores can be checked
        where it is read (``Reader``), in a worker process, before the merge looks at the database."""
        self.snapshot_maps = {sid: (codes or {}, items) for sid, codes, items in session.execute(
            select(Snapshot.id, Snapshot.codes, Snapshot.items).where(Snapshot.round_id == self.id))}

    def rubric(self, h: str) -> Rubric:
        if h not in self._parsed:
            self._parsed[h] = load_rubric_data(self._contents[h], f"rubric {h[:12]}")
        return self._parsed[h]

    def capacity(self, session: Session) -> int:
        """The largest score.json any snapshot of the round can hold (``scorefile.payload_capacity``
        of its applications and their criteria and items); bounds every file before it is decrypted."""
        per_app: dict[int, int] = {}  # application -> its rows (a round's snapshots share applications)
        for app_id, app in self.apps.items():
            rubric = self.rubric(self.rubric_hash[app.program])
            items = sum(1 for i in (app.items or []) if isinstance(i, dict))
            per_app[app_id] = sum(items if c.kind == "items" else 1 for c in rubric.criteria)
        if not self.snapshot_maps:
            self.load_snapshot_maps(session)
        best = 0
        for codes, _ in self.snapshot_maps.values():
            rows = sum(per_app.get(app_id, 0) for app_id in codes.values())
            best = max(best, scorefile.payload_capacity(len(codes), rows))
        return best or scorefile.payload_capacity(0, 0)

    def forget(self, snapshot_id: str) -> None:
        """Drop the snapshot's contexts: its maps in the database are not the ones they were made from."""
        self._contexts.pop(snapshot_id, None)

    def contexts(self, snap: Snapshot) -> dict[str, AppContext]:
        """The snapshot's codes, each with what its application is scored against."""
        return self.contexts_of(snap.id, snap.codes, snap.items)

    def contexts_of(self, snapshot_id: str, codes: dict[str, Any], items: dict[str, Any] | None) -> dict[str, AppContext]:
        if snapshot_id not in self._contexts:
            out: dict[str, AppContext] = {}
            for code, app_id in codes.items():
                app = self.apps.get(app_id)
                if app is None:
                    raise reject("unknown_application", f"快照中的申报 {code} 已不在本批次中（已删除？）",
                                 f"application {code} of the snapshot is no longer in this round (deleted?)")
                h = self.rubric_hash[app.program]
                tiers = self.tiers.get(app.program, frozenset())
                if items is None:  # built before snapshot-local item ids: the package's own
                    item_ids = tuple(str(i.get("id")) for i in (app.items or []) if isinstance(i, dict))
                    out[code] = AppContext(app.id, app.external_id, h, self.rubric(h), item_ids, tiers)
                    continue
                local = items.get(code) or {}
                out[code] = AppContext(app.id, app.external_id, h, self.rubric(h), tuple(local), tiers, dict(local))
            self._contexts[snapshot_id] = out
        return self._contexts[snapshot_id]


# --- the checks that need the database ------------------------------------------------------------


def check_binding_to_round(s: Session, rnd: RoundContext, data: dict[str, Any]) -> tuple[Snapshot, Expert]:
    r = data["round"]
    if r.get("id") != rnd.id or r.get("year") != rnd.year:
        raise reject("other_round", f"此评分文件属于另一评审批次（批次 {r.get('id')}，{r.get('year')} 年度），"
                                    f"当前批次为 {rnd.id}（{rnd.year} 年度）",
                     f"made for another round (round {r.get('id')}, year {r.get('year')}); "
                     f"this is round {rnd.id} ({rnd.year})")
    snap = s.get(Snapshot, data["snapshot_id"])
    if snap is None:
        raise reject("unknown_snapshot", f"快照 {str(data['snapshot_id'])[:40]} 不是本数据库生成的（未知快照）",
                     f"snapshot {str(data['snapshot_id'])[:40]} was not built by this database (unknown snapshot)")
    if snap.round_id != rnd.id:
        raise reject("other_round", f"快照 {snap.id} 属于另一评审批次（批次 {snap.round_id}）",
                     f"snapshot {snap.id} belongs to another round (round {snap.round_id})")
    expert = rnd.experts.get(snap.expert_id)
    owner = audit_principal(expert.external_id) if expert else None
    if expert is None or data["expert_id"] != owner:
        raise reject("other_expert", f"此评分文件署名专家 {str(data['expert_id'])[:64]}，但快照 {snap.id} 是为专家 {owner} 生成的",
                     f"the file names expert {str(data['expert_id'])[:64]}, but snapshot {snap.id} was built for {owner}")
    if data["snapshot_digest"] != snap.digest:
        raise reject("snapshot_digest", f"快照摘要不符：文件中为 {str(data['snapshot_digest'])[:16]}…，"
                                        f"生成时为 {snap.digest[:16]}…（快照被改动或重新生成过）",
                     f"snapshot digest mismatch: the file has {str(data['snapshot_digest'])[:16]}…, "
                     f"the snapshot built was {snap.digest[:16]}… (altered or rebuilt)")
    if not check_binding(bytes.fromhex(snap.binding_secret), data["expert_key"], data["key_binding"]):
        raise reject("key_not_bound", "签名密钥未与该专家的快照绑定（key_binding 校验失败）：此文件不是用该快照开启的工作区签署的",
                     "the signing key is not bound to this expert's snapshot (key_binding does not verify): "
                     "the file was not signed by a workspace opened from that snapshot")
    return snap, expert


def _order(snap_created: datetime | None, sequence: int) -> tuple[datetime, int]:
    """Newer means a later snapshot, then a higher sequence (SQLite hands times back naive UTC)."""
    if snap_created is None:
        return (datetime.min, sequence)
    if snap_created.tzinfo is not None:
        snap_created = snap_created.astimezone(UTC).replace(tzinfo=None)
    return (snap_created, sequence)


_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_rows(s: Session, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert of plain tuples, in the session's transaction: COPY on PostgreSQL (psycopg),
    executemany on the DBAPI cursor elsewhere (SQLAlchemy's per-row parameter handling costs more
    than SQLite's insert itself). Core for other paramstyles. A driver's error is raised as
    SQLAlchemy's ``DBAPIError``, as every other statement's is."""
    if not rows:
        return
    conn = s.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        import psycopg
        from psycopg import sql

        query = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name),
                                                           sql.SQL(", ").join(map(sql.Identifier, columns)))
        try:
            with conn.connection.dbapi_connection.cursor() as cur, cur.copy(query) as copy:
                for row in rows:
                    copy.write_row(row)
        except (psycopg.Error, UnicodeError) as e:  # the driver's own, past SQLAlchemy: wrapped as SQLAlchemy wraps the rest
            raise DBAPIError(f"COPY {table.name}", None, e) from e
        return
    mark = _MARKS.get(conn.dialect.paramstyle)
    if mark is None:
        conn.execute(table.insert(), [dict(zip(columns, r)) for r in rows])
        return
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    # Past the engine's events, as COPY is: these rows are the verified file's own, their text
    # already held to domain.text's rule, and checking 300 sheets of it again would cost more
    # than inserting them.
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    except (dbapi.Error, UnicodeError) as e:
        raise DBAPIError(sql, None, e) from e
    finally:
        cursor.close()


def _check_newer(s: Session, rnd: RoundContext, snap: Snapshot, expert: Expert, sequence: int) -> list[ScoreFileRecord]:
    """Refuse a replay; return the expert's accepted records this file replaces."""
    earlier = s.scalars(select(ScoreFileRecord).options(defer(ScoreFileRecord.content))
                        .where(ScoreFileRecord.round_id == rnd.id, ScoreFileRecord.expert_id == expert.id)).all()
    if not earlier:
        return []
    built = {sid: created for sid, created in s.execute(select(Snapshot.id, Snapshot.created_at).where(
        Snapshot.id.in_({r.snapshot_id for r in earlier if r.snapshot_id})))}
    newest = max(earlier, key=lambda r: _order(built.get(r.snapshot_id), r.sequence))
    if _order(snap.created_at, sequence) <= _order(built.get(newest.snapshot_id), newest.sequence):
        if newest.snapshot_id == snap.id:
            zh, en = (f"序号 {sequence} 不新于已导入的序号 {newest.sequence}（重放的旧文件）",
                      f"sequence {sequence} is not newer than sequence {newest.sequence} already imported (a replay)")
        else:
            zh, en = (f"此文件来自该专家较早的快照 {snap.id}，而来自较新快照的文件已导入（重放的旧文件）",
                      f"made from the expert's earlier snapshot {snap.id}, while a file from a newer snapshot "
                      f"is already imported (a replay)")
        raise reject("replay", zh, en)
    return [r for r in earlier if r.status == "accepted"]


# --- one file -------------------------------------------------------------------------------------


def _checked_now(rnd: RoundContext, reader: Reader, snap: Snapshot, opened: Opened) -> Checked:
    """The file's scores checked against ``snap`` as it is in the database now: the reader's result if
    the snapshot's maps are still the ones it checked against, else checked here."""
    checked = opened.checked
    if checked is not None and checked.snapshot_id == snap.id and \
            rnd.snapshot_maps.get(snap.id) == (snap.codes or {}, snap.items):
        return checked
    data = opened.data
    assert data is not None
    if "scores" not in data:
        try:
            data = reader.scores(opened.content)
        except ScoreFileError as e:  # verified once already: only a changed receiving key could do this
            raise Rejection(e.code, e.msg) from None
    rnd.forget(snap.id)
    return score_reading.check(rnd, snap.id, snap.codes or {}, snap.items, data)


def _merge(s: Session, rnd: RoundContext, reader: Reader, path: Path, opened: Opened, actor: str,
           accept_superseded: str | None) -> ScoreImportLine:
    data = opened.data
    assert data is not None
    snap, expert = check_binding_to_round(s, rnd, data)
    if snap.superseded_by is not None and accept_superseded is None:
        raise reject("superseded_snapshot",
                     f"快照 {snap.id} 已被重新生成的快照 {snap.superseded_by} 取代；来自旧快照的评分文件须由评审组织方"
                     f"明确接受（scores import --accept-superseded --reason …）",
                     f"snapshot {snap.id} was superseded by the rebuilt snapshot {snap.superseded_by}; a score file "
                     f"from it needs the coordinator's explicit acceptance (scores import --accept-superseded --reason …)")
    check_signed_binding(snap, data, rnd.app_ids)
    checked = _checked_now(rnd, reader, snap, opened)
    if checked.rejection is not None:
        raise Rejection(*checked.rejection)
    check_in_force(s, snap, expert, checked.scored, rnd.app_ids)
    replaced = _check_newer(s, rnd, snap, expert, data["sequence"])
    for old in replaced:
        old.status = "superseded"
        s.execute(delete(ScoreSheet).where(ScoreSheet.score_file_id == old.id))
        s.execute(delete(Recusal).where(Recusal.score_file_id == old.id))
    s.flush()  # the superseded records' status, before the new record's row (Core: no unit of work for 2 MB)
    record_id = s.connection().execute(ScoreFileRecord.__table__.insert(), {
        "round_id": rnd.id, "expert_id": expert.id, "snapshot_id": snap.id, "digest": opened.digest,
        "sequence": data["sequence"], "key_fingerprint": opened.fingerprint, "status": "accepted",
        "content": opened.content}).inserted_primary_key[0]  # received_at: the column default
    head = (record_id, expert.id)
    _insert_rows(s, ScoreSheet.__table__, score_sheets.SHEET_COLUMNS, [head + sheet for sheet in checked.sheets])
    _insert_rows(s, Recusal.__table__, ("score_file_id", "expert_id", *RECUSAL_COLUMNS),
                 [head + r for r in checked.recusals])
    if checked.recusals:
        # Recusals also become conflicts, so a re-assignment never gives the expert that application again.
        known = set(s.scalars(select(Conflict.application_id).where(Conflict.expert_id == expert.id,
                                                                    Conflict.source == "recusal")))
        s.add_all(Conflict(expert_id=expert.id, application_id=app_id, source="recusal", detail=reason[:300])
                  for app_id, reason in checked.recusals if app_id not in known)
    superseded = replaced[-1].digest if replaced else None
    note = None
    if replaced and replaced[-1].key_fingerprint != opened.fingerprint:
        # Legitimate (the snapshot was opened again, here or on another laptop), but worth a look.
        note = Msg(f"签名密钥与此前的文件不同（此前为 {replaced[-1].key_fingerprint}）：该快照被重新打开过",
                   f"signed by another key than the earlier file ({replaced[-1].key_fingerprint}): "
                   f"the snapshot was opened again")
    recused = {app_id for app_id, _ in checked.recusals}
    detail = {
        "file": path.name, "digest": opened.digest, "expert": expert.external_id, "snapshot": snap.id,
        "sequence": data["sequence"], "key": opened.fingerprint, "scores": checked.values,
        "recusals": len(checked.recusals), "supersedes": [r.digest for r in replaced],
        "recused": sorted(rnd.apps[a].external_id for a in recused if a in rnd.apps),
    }
    if snap.superseded_by is not None:
        detail["accepted_superseded"] = {"snapshot": snap.id, "superseded_by": snap.superseded_by,
                                         "reason": accept_superseded}
    s.info[_APPENDED] = audit.record(s, "scores.import", round_id=rnd.id, actor=actor, detail=detail,
                                     after=s.info.get(_AUDIT_END))
    return ScoreImportLine(path, "accepted", msg=note, expert=data["expert_id"], sequence=data["sequence"],
                           digest=opened.digest,
                           fingerprint=opened.fingerprint, superseded=superseded, record_id=record_id,
                           scores=checked.values, recusals=len(checked.recusals))


_APPENDED, _AUDIT_END = "qbdesk.audit_appended", "qbdesk.audit_end"  # Session.info keys


def _import_one(s: Session, rnd: RoundContext, reader: Reader, path: Path, opened: Opened, actor: str,
                accept_superseded: str | None = None) -> ScoreImportLine:
    """One file, in its own savepoint of the batch's transaction (``_Batch``): merged whole, or
    (a rejection, a failed write) rolled back to the savepoint, leaving the other files alone."""
    if opened.rejection is not None:
        return _rejected(path, *opened.rejection, opened)
    data = opened.data
    assert data is not None
    try:
        with s.begin_nested():
            dup = s.execute(select(ScoreFileRecord.id, ScoreFileRecord.received_at, ScoreFileRecord.status)
                            .where(ScoreFileRecord.digest == opened.digest).limit(1)).first()
            if dup is not None:
                when = dup.received_at.strftime("%Y-%m-%d %H:%M")
                state = {"accepted": ("当前有效", "in force"), "superseded": ("已被取代", "since superseded")}.get(
                    dup.status, (dup.status, dup.status))
                return ScoreImportLine(path, "duplicate", msg=Msg(
                    f"与 {when} 已导入的评分文件相同（摘要相同，{state[0]}），未作任何修改",
                    f"identical to a score file imported on {when} (same digest, {state[1]}); nothing was changed"),
                    expert=data["expert_id"], sequence=data["sequence"], digest=opened.digest,
                    fingerprint=opened.fingerprint, record_id=dup.id)
            line = _merge(s, rnd, reader, path, opened, actor, accept_superseded)
        # The file's savepoint held: its audit entry is the chain's end for the rest of the batch's
        # transaction (the batch's session lives as long as that transaction).
        s.info[_AUDIT_END] = s.info.pop(_APPENDED)
        return line
    except Rejection as r:
        return _rejected(path, r.code, r.msg, opened)
    except SQLAlchemyError as e:  # e.g. the server went away mid-file
        return _rejected(path, "import_failed", _write_failed(e), opened)


def _write_failed(e: SQLAlchemyError) -> Msg:
    first = str(e).splitlines()[0][:200]
    return Msg(f"写入数据库失败，未导入任何内容：{first}", f"the database write failed; nothing was imported: {first}")


class _Batch:
    """Consecutive files merged in one transaction, committed every ``FILES`` accepted files or
    ``SECONDS`` seconds and at the end: a commit (on PostgreSQL, a flush of the log to disk) per
    batch, not per file, while each file keeps its savepoint, so a crash or a failed commit leaves
    every file either whole in the database or not in it at all. The transaction starts by locking
    the round (``store.locks``): the checks read, then write, one importer of a round at a time; a
    second coordinator's import waits at most for one batch."""

    FILES, SECONDS = 8, 1.0

    def __init__(self, sessions: sessionmaker[Session], rnd: RoundContext, report: ScoreImportReport):
        self.sessions, self.rnd, self.report = sessions, rnd, report
        self.session: Session | None = None
        self.pending: list[int] = []  # report lines accepted in the open transaction
        self.unconfirmed: list[int] = []  # report lines accepted in batches committed without waiting for the disk
        self.troubled = False  # a database error since the import began
        self.started = 0.0

    def open(self) -> Session:
        if self.session is None:
            self.session = self.sessions()
            self.session.begin()
            lock_round(self.session, self.rnd.id)
            self.started = time.monotonic()
        return self.session

    def add(self, line: ScoreImportLine, *, more: bool = True) -> None:
        """``more``: other files follow in this import (then this batch's commit need not wait for the disk)."""
        self.report.lines.append(line)
        if line.status == "accepted":
            self.pending.append(len(self.report.lines) - 1)
        elif line.reason == "import_failed":
            self.troubled = True
        if len(self.pending) >= self.FILES or time.monotonic() - self.started >= self.SECONDS:
            self.commit(last=not more)

    def commit(self, *, last: bool = True) -> None:
        """``last=False``, on PostgreSQL: the commit does not wait for the server to flush its log to
        disk (``synchronous_commit`` off for this transaction only). The import's last commit waits,
        and the log is flushed in order, so when the import returns every earlier batch is on disk
        too. A crash of the server meanwhile can undo only whole batches, and makes later statements
        fail: then ``confirm`` looks for the files those batches accepted."""
        s, self.session = self.session, None
        if s is None:
            return
        relaxed = not last and s.get_bind().dialect.name == "postgresql"
        try:
            if relaxed:
                s.execute(text("SET LOCAL synchronous_commit TO OFF"))
            s.commit()
        except SQLAlchemyError as e:  # nothing of the batch was written: say so for each file
            s.rollback()
            self.troubled = True
            for i in self.pending:
                self.report.lines[i] = _failed(self.report.lines[i], _write_failed(e))
        else:
            if relaxed:
                self.unconfirmed += self.pending
            elif not self.troubled:  # this flush took every earlier commit to disk with it
                self.unconfirmed.clear()
        finally:
            s.close()
            self.pending.clear()

    def confirm(self) -> None:
        """After a database error: each file a batch committed without waiting for the disk is
        reported accepted only if it is there (a server that crashed and recovered lost it)."""
        if not (self.troubled and self.unconfirmed):
            return
        digests = {self.report.lines[i].digest: i for i in self.unconfirmed}  # ids a recovered server may give again
        try:
            with self.sessions() as s:
                kept = set(s.scalars(select(ScoreFileRecord.digest).where(ScoreFileRecord.digest.in_(list(digests)))))
        except SQLAlchemyError:
            kept = set()
        for digest, i in digests.items():
            if digest not in kept:
                self.report.lines[i] = _failed(self.report.lines[i], Msg(
                    "数据库服务器在导入期间中断，此文件的导入未能保存（或无法确认）；请重新导入（已保存的文件会报告为重复）",
                    "the database server failed during the import, and this file's import was not kept (or cannot "
                    "be confirmed); import it again (files already kept are reported as duplicates)"))
        self.unconfirmed.clear()

    def abandon(self) -> None:
        """An unexpected error: roll back what was not committed (the error goes on up)."""
        s, self.session = self.session, None
        if s is not None:
            s.rollback()
            s.close()
        self.pending.clear()


def _failed(line: ScoreImportLine, msg: Msg) -> ScoreImportLine:
    """An accepted line whose file did not reach the database after all."""
    return dataclasses.replace(line, status="rejected", reason="import_failed", msg=msg, superseded=None,
                               record_id=None, scores=0, recusals=0)


def _rejected(path: Path, code: str, msg: Msg, opened: Opened) -> ScoreImportLine:
    data = opened.data or {}
    return ScoreImportLine(path, "rejected", reason=code, msg=msg, expert=data.get("expert_id"),
                           sequence=data.get("sequence"), digest=opened.digest, fingerprint=opened.fingerprint)


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given; a folder stands for the .qbscore files directly in it, by name."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted((c for c in p.iterdir() if c.suffix.lower() == SUFFIX and c.is_file()),
                              key=lambda c: c.name))
        else:
            out.append(p)
    return out


def import_score_files(sessions: sessionmaker[Session], round_id: int, paths: Iterable[Path | str], *,
                       keys: CoordinatorKeys, actor: str = "", workers: int | None = None,
                       accept_superseded: str | None = None) -> ScoreImportReport:
    """Import score files in the order given; one report line per file.

    ``accept_superseded``: the coordinator's reason for accepting files made from a snapshot a
    later build superseded (refused as ``superseded_snapshot`` otherwise); recorded in the audit log.

    ``workers``: processes that read and verify files ahead of the merge (None: one per CPU;
    0: all in this process; batches under ``PARALLEL_FROM`` files always are). The outcome is
    the same either way.
    """
    if accept_superseded is not None and not accept_superseded.strip():
        raise QbdeskError(Msg("接受被取代快照的评分文件须写明理由（--reason）",
                              "accepting score files from superseded snapshots needs a reason (--reason)"))
    with sessions() as s:
        rnd = RoundContext(s, round_id)
        cap = rnd.capacity(s)  # loads the snapshot maps the reader checks against
    paths = [Path(p) for p in paths]
    report = ScoreImportReport(round_id, searched=tuple(paths))
    files = expand_paths(paths)
    reader = Reader(keys.receiving_identity, cap, rnd)
    opened = opened_in_order(files, reader, default_workers() if workers is None else workers)
    batch = _Batch(sessions, rnd, report)
    with long_lived_frozen(), contextlib.closing(opened):  # closing: stops the workers even if a merge raises
        try:
            for n, (one, path) in enumerate(zip(opened, files), start=1):
                batch.add(_import_one(batch.open(), rnd, reader, path, one, actor, accept_superseded),
                          more=n < len(files))
            batch.commit()
            batch.confirm()
        finally:
            batch.abandon()
    rejected = [line for line in report.lines if line.status == "rejected"]
    if rejected:  # a forged or foreign file being offered is worth a trace of its own
        with sessions.begin() as s:
            audit.record(s, "scores.rejected", round_id=round_id, actor=actor, detail={"files": [
                {"file": line.path.name, "reason": line.reason, "digest": line.digest, "expert": line.expert}
                for line in rejected]})
    return report


# --- what is still missing ------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingScore:
    """An assignment not covered by an accepted score file (neither scored nor recused)."""

    expert_id: int
    expert_external_id: str
    expert_name: str
    application_id: int
    application_external_id: str
    program: str
    has_score_file: bool  # the expert sent a file, but it does not cover this application


def missing_scores(session: Session, round_id: int) -> list[MissingScore]:
    accepted = select(ScoreFileRecord.id).where(ScoreFileRecord.round_id == round_id,
                                                ScoreFileRecord.status == "accepted")
    covered = set(session.execute(select(ScoreSheet.expert_id, ScoreSheet.application_id)
                                  .where(ScoreSheet.score_file_id.in_(accepted))).all())
    covered |= set(session.execute(select(Recusal.expert_id, Recusal.application_id)
                                   .where(Recusal.score_file_id.in_(accepted))).all())
    senders = set(session.scalars(select(ScoreFileRecord.expert_id).where(ScoreFileRecord.id.in_(accepted))))
    rows = session.execute(
        select(Expert.id, Expert.external_id, Expert.name, Application.id, Application.external_id, Application.program)
        .join(Assignment, Assignment.expert_id == Expert.id)
        .join(Application, Application.id == Assignment.application_id)
        .where(Assignment.round_id == round_id)
        .order_by(Expert.external_id, Application.external_id)).all()
    return [MissingScore(eid, ext, name, aid, app_ext, program, eid in senders)
            for eid, ext, name, aid, app_ext, program in rows if (eid, aid) not in covered]
