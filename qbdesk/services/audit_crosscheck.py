"""The database's state against what the audit log says happened (part of ``scores recheck``).

The audit log (``store.audit``) records every import with the digests it supersedes, every build
with its snapshots' digests and code-map hashes, and every assignment with its conflict pairs.
Each function here re-derives one piece of state from those entries and names every difference:
which score files should be in force and for whom, which rows may hang on which files, which
snapshots were built with which code map, which conflicts exist. None of this is proof against
someone who rewrites the chain from the altered entry on; the chain's head, printed by
``qbdesk status`` and kept on paper, is the check against that.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbdesk.domain.messages import Msg
from qbdesk.services.snapshots import code_map_hash
from qbdesk.store.models import (
    Application,
    AuditEntry,
    Conflict,
    Expert,
    Recusal,
    ScoreFileRecord,
    ScoreSheet,
    Snapshot,
)


def _entries(session: Session, round_id: int, action: str) -> list[dict[str, Any]]:
    return [e.detail or {} for e in session.scalars(select(AuditEntry).where(
        AuditEntry.round_id == round_id, AuditEntry.action == action).order_by(AuditEntry.id))]


def files_in_force(session: Session, round_id: int) -> list[Msg]:
    """The accepted score files, and their experts, against the import entries (with supersedes)."""
    imported: dict[str, str] = {}  # digest -> expert, every file the log says was imported
    in_force: dict[str, str] = {}
    for d in _entries(session, round_id, "scores.import"):
        digest, expert = str(d.get("digest")), str(d.get("expert"))
        imported[digest] = expert
        for old in d.get("supersedes") or []:
            in_force.pop(str(old), None)
        in_force[digest] = expert
    records = {r.digest: (r.status, ext) for r, ext in session.execute(
        select(ScoreFileRecord, Expert.external_id).join(Expert, Expert.id == ScoreFileRecord.expert_id)
        .where(ScoreFileRecord.round_id == round_id))}
    out: list[Msg] = []
    for digest, (status, expert) in sorted(records.items()):
        short = digest[:16]
        if digest not in imported:
            out.append(Msg(f"评分文件 {short}…（{expert}）在审计日志中没有导入记录（审计条目被删除？）",
                           f"score file {short}… ({expert}) has no import entry in the audit log (entries deleted?)"))
            continue
        if imported[digest] != expert:
            out.append(Msg(f"评分文件 {short}… 在数据库中属于 {expert}，审计日志记录的导入专家为 {imported[digest]}",
                           f"score file {short}… belongs to {expert} in the database, but the audit log imported it "
                           f"for {imported[digest]}"))
        if status == "accepted" and digest not in in_force:
            out.append(Msg(f"评分文件 {short}…（{expert}）在数据库中有效，但审计日志记录它已被取代",
                           f"score file {short}… ({expert}) is in force in the database, but the audit log says it "
                           f"was superseded"))
        if status != "accepted" and digest in in_force:
            out.append(Msg(f"评分文件 {short}…（{expert}）按审计日志应有效，数据库却标为 {status}",
                           f"score file {short}… ({expert}) is in force by the audit log, but the database marks it "
                           f"{status}"))
    for digest, expert in sorted(in_force.items()):
        if digest not in records:
            out.append(Msg(f"审计日志记录导入并有效的评分文件 {digest[:16]}…（{expert}）已从数据库中删除",
                           f"score file {digest[:16]}… ({expert}), imported and in force by the audit log, is gone "
                           f"from the database"))
    return out


def rows_on_accepted_files(session: Session, round_id: int) -> list[Msg]:
    """Score sheets and recusal rows may hang only on accepted files of the round."""
    accepted = set(session.scalars(select(ScoreFileRecord.id).where(ScoreFileRecord.round_id == round_id,
                                                                    ScoreFileRecord.status == "accepted")))
    round_apps = select(Application.id).where(Application.round_id == round_id)
    out: list[Msg] = []
    for model, (zh, en) in ((ScoreSheet, ("评分表", "score sheet")), (Recusal, ("回避", "recusal"))):
        for file_id, n in session.execute(select(model.score_file_id, func.count()).where(
                model.application_id.in_(round_apps)).group_by(model.score_file_id)):
            if file_id not in accepted:
                out.append(Msg(f"{n} 行{zh}挂在并非有效的评分文件 #{file_id} 上（已被取代或不存在）",
                               f"{n} {en} rows hang on score file #{file_id}, which is not in force (superseded or absent)"))
    return out


def snapshots_as_built(session: Session, round_id: int) -> list[Msg]:
    """Each snapshot against its build entry: same expert, digest and code-map hash."""
    built: dict[str, dict[str, Any]] = {}
    for d in _entries(session, round_id, "snapshots.build"):
        for one in d.get("snapshots") or []:
            built[str(one.get("id"))] = one
    ext = dict(session.execute(select(Application.id, Application.external_id).where(Application.round_id == round_id)).all())
    experts = dict(session.execute(select(Expert.id, Expert.external_id).where(Expert.round_id == round_id)).all())
    out: list[Msg] = []
    for snap in session.scalars(select(Snapshot).where(Snapshot.round_id == round_id).order_by(Snapshot.created_at)):
        entry = built.get(snap.id)
        if entry is None:
            out.append(Msg(f"快照 {snap.id} 在审计日志中没有生成记录", f"snapshot {snap.id} has no build entry in the audit log"))
            continue
        if entry.get("digest") != snap.digest or entry.get("expert") != experts.get(snap.expert_id):
            out.append(Msg(f"快照 {snap.id} 的摘要或专家与生成记录不符", f"snapshot {snap.id}'s digest or expert is not the one its build recorded"))
        recorded = entry.get("code_map")
        if recorded is not None:
            now = code_map_hash({code: ext.get(app_id, f"#{app_id}") for code, app_id in (snap.codes or {}).items()})
            if now != recorded:
                out.append(Msg(f"快照 {snap.id} 的申报代码对照与生成时记录的摘要不符（代码对照被改动）",
                               f"snapshot {snap.id}'s code map is not the one its build recorded (the map was changed)"))
    return out


def conflicts_as_recorded(session: Session, round_id: int) -> list[Msg]:
    """The conflict rows against the last assignment's pairs (only ``assign`` makes rule conflicts)
    and the recusals the imports recorded (the only other source)."""
    assigns = _entries(session, round_id, "assign")
    imports = _entries(session, round_id, "scores.import")
    expected: dict[str, set[tuple[str, str, str]] | None] = {
        "rule": {tuple(p) for p in assigns[-1]["conflict_pairs"]} if assigns and "conflict_pairs" in assigns[-1]  # type: ignore[misc]
        else (None if assigns else set()),  # None: assigned before the pairs were recorded
        "recusal": {(str(d.get("expert")), str(a), "recusal") for d in imports for a in d.get("recused") or []}
        if all("recused" in d for d in imports) else None,
    }
    present: dict[str, set[tuple[str, str, str]]] = {"rule": set(), "recusal": set()}
    for row in session.execute(
            select(Expert.external_id, Application.external_id, Conflict.source)
            .join(Expert, Expert.id == Conflict.expert_id).join(Application, Application.id == Conflict.application_id)
            .where(Application.round_id == round_id)).all():
        present["recusal" if row[2] == "recusal" else "rule"].add(tuple(row))
    out: list[Msg] = []
    for kind, want in expected.items():
        if want is None:
            continue
        out += _named(want - present[kind], "已从数据库中删除", "was deleted from the database")
        out += _named(present[kind] - want, "在审计日志中没有记录", "is not in the audit log")
    return out


def _named(pairs: Iterable[tuple[str, str, str]], zh: str, en: str) -> list[Msg]:
    return [Msg(f"回避关系 {e} ↔ {a}（{src}）{zh}", f"the conflict {e} ↔ {a} ({src}) {en}") for e, a, src in sorted(pairs)]


def crosscheck(session: Session, round_id: int) -> list[Msg]:
    return (files_in_force(session, round_id) + rows_on_accepted_files(session, round_id)
            + snapshots_as_built(session, round_id) + conflicts_as_recorded(session, round_id))
