"""Re-checking a round's scores against the signed score files kept in the database (复核评分).

Every accepted score file's bytes are kept (``ScoreFileRecord.content``). ``recheck_scores``
decrypts and verifies each again (signature, digest, round, snapshot, key binding, rubric
checks), checks that the snapshot's code -> application map is the one its signed manifest binds
(``code_binding``) and that the file and its rows belong to the snapshot's expert, derives the
score sheets and recusal rows it stands for, and compares them with the rows in the database. It then
cross-checks the round against the audit log (``audit_crosscheck``: files in force, rows on
accepted files only, snapshots as built, conflicts) and walks the log's hash chain. A row
changed, added, moved or removed by hand after the import — or an audit entry rewritten without
re-hashing the rest — is found and named.

What this cannot catch (docs/formats.md, threat model): a coordinator who holds the database,
the receiving key and the binding secrets can still replace a file and its rows together; the
expert-signed paper scorecard (digest and key fingerprint) is the check against that.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbdesk.domain.messages import Msg
from qbdesk.formats.scorefile import ScoreFileError, read_score_file
from qbdesk.services.audit_crosscheck import crosscheck
from qbdesk.services.code_binding import check_signed_binding, code_map_problems, pinned_manifest
from qbdesk.services.coordinator_keys import CoordinatorKeys
from qbdesk.services.score_checks import Rejection, check_scores
from qbdesk.services.scores import RoundContext, check_binding_to_round
from qbdesk.store import audit
from qbdesk.store.models import Expert, Recusal, ScoreFileRecord, ScoreSheet, Snapshot
from qbdesk.store.score_sheets import value_rows

MAX_LISTED = 5  # differing rows named per file; the rest are counted


@dataclass(frozen=True)
class FileRecheck:
    record_id: int
    expert: str
    sequence: int
    digest: str
    problems: tuple[Msg, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class RecheckReport:
    round_id: int
    files: list[FileRecheck] = field(default_factory=list)
    round_problems: list[Msg] = field(default_factory=list)  # the round against the audit log, code maps
    audit_broken: list[int] = field(default_factory=list)  # ids of audit entries whose hash or link fails
    audit_head: tuple[int, str] | None = None  # the chain's last entry: compare with the one on paper

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files) and not self.audit_broken and not self.round_problems

    def summary(self) -> Msg:
        bad = sum(1 for f in self.files if not f.ok)
        zh = f"复核 {len(self.files)} 个有效评分文件：{len(self.files) - bad} 个与数据库一致，{bad} 个不一致"
        en = f"re-checked {len(self.files)} score files in force: {len(self.files) - bad} match the database, {bad} do not"
        if self.round_problems:
            zh += f"；另有 {len(self.round_problems)} 处与审计日志或签名绑定不符"
            en += f"; {len(self.round_problems)} more differences from the audit log or the signed bindings"
        if self.audit_broken:
            ids = ", ".join(map(str, self.audit_broken[:10]))
            zh += f"；审计日志链断裂（条目 {ids}）"
            en += f"; the audit log's chain is broken (entries {ids})"
        else:
            zh += "；审计日志链完整"
            en += "; the audit log's chain holds"
        if self.audit_head is not None:
            zh += f"；链头 #{self.audit_head[0]} {self.audit_head[1]}（请与纸面记录核对）"
            en += f"; chain head #{self.audit_head[0]} {self.audit_head[1]} (compare with the one on paper)"
        return Msg(zh, en)


def _rows(session: Session, record_id: int) -> tuple[Counter, Counter]:
    scores = Counter(r[1:] for r in value_rows(session, ScoreSheet.score_file_id == record_id))
    recusals = Counter(tuple(r) for r in session.execute(
        select(Recusal.expert_id, Recusal.application_id, Recusal.reason).where(Recusal.score_file_id == record_id)))
    return scores, recusals


def _differences(kind: Msg, expected: Counter, stored: Counter) -> list[Msg]:
    out: list[Msg] = []
    missing, extra = expected - stored, stored - expected
    for row in list(missing)[:MAX_LISTED]:
        out.append(Msg(f"{kind.zh}：评分文件中有、数据库中缺少或被改动：{row}", f"{kind.en}: in the file, missing or changed in the database: {row}"))
    for row in list(extra)[:MAX_LISTED]:
        out.append(Msg(f"{kind.zh}：数据库中有、评分文件中没有：{row}", f"{kind.en}: in the database but not in the file: {row}"))
    hidden = sum(missing.values()) + sum(extra.values()) - len(out)
    if hidden > 0:
        out.append(Msg(f"{kind.zh}：另有 {hidden} 行不一致", f"{kind.en}: {hidden} more rows differ"))
    return out


def _recheck(session: Session, rnd: RoundContext, rec: ScoreFileRecord, expert: str, keys: CoordinatorKeys) -> FileRecheck:
    def done(*problems: Msg) -> FileRecheck:
        return FileRecheck(rec.id, expert, rec.sequence, rec.digest, tuple(problems))

    try:
        score = read_score_file(rec.content, receiving_identity=keys.receiving_identity)
    except ScoreFileError as e:
        return done(Msg(f"保存的评分文件无法校验：{e.msg.zh}", f"the stored score file does not verify: {e.msg.en}"))
    if score.digest != rec.digest:
        return done(Msg(f"保存的评分文件摘要 {score.digest[:16]}… 与记录的 {rec.digest[:16]}… 不同",
                        f"the stored file's digest {score.digest[:16]}… is not the recorded {rec.digest[:16]}…"))
    if score.data.get("sequence") != rec.sequence:
        return done(Msg("记录的序号与文件不同", "the recorded sequence differs from the file's"))
    try:
        snap, _ = check_binding_to_round(session, rnd, score.data)
        if snap.id != rec.snapshot_id:
            return done(Msg("记录的快照与文件不同", "the recorded snapshot differs from the file's"))
        if rec.expert_id != snap.expert_id:
            owner = rnd.experts.get(rec.expert_id)
            return done(Msg(f"评分文件被改记到专家 {owner.external_id if owner else rec.expert_id} 名下，"
                            f"但它来自为 {expert} 生成的快照", f"the file is attributed to expert "
                            f"{owner.external_id if owner else rec.expert_id}, but it comes from the snapshot built "
                            f"for {expert}"))
        manifest = pinned_manifest(snap)
        if not isinstance(manifest, Msg) and manifest is not None:
            mapped = code_map_problems(snap, manifest, rnd.app_ids)
            if mapped:
                return done(*mapped)
        check_signed_binding(snap, score.data, rnd.app_ids)
        checked = check_scores(score.data, rnd.contexts(snap))
    except Rejection as r:
        return done(Msg(f"保存的评分文件已不能通过导入检查：{r.msg.zh}", f"the stored file no longer passes the import checks: {r.msg.en}"))
    stored_scores, stored_recusals = _rows(session, rec.id)
    owner = (snap.expert_id,)
    problems = _differences(Msg("评分", "scores"), Counter(owner + r for r in checked.scores), stored_scores)
    problems += _differences(Msg("回避", "recusals"), Counter(owner + r for r in checked.recusals), stored_recusals)
    return done(*problems)


def recheck_scores(session: Session, round_id: int, *, keys: CoordinatorKeys) -> RecheckReport:
    """Re-verify every accepted score file of the round and compare it with the stored rows."""
    rnd = RoundContext(session, round_id)
    report = RecheckReport(round_id)
    rows = session.execute(select(ScoreFileRecord, Expert.external_id)
                           .join(Snapshot, Snapshot.id == ScoreFileRecord.snapshot_id, isouter=True)
                           .join(Expert, Expert.id == Snapshot.expert_id, isouter=True)
                           .where(ScoreFileRecord.round_id == round_id, ScoreFileRecord.status == "accepted")
                           .order_by(Expert.external_id, ScoreFileRecord.id)).all()
    for rec, expert in rows:  # named by the snapshot's expert: the file's own column may have been changed
        report.files.append(_recheck(session, rnd, rec, expert or "?", keys))
    report.round_problems = crosscheck(session, round_id)
    report.audit_broken = audit.verify_chain(session)
    report.audit_head = audit.head(session)
    return report
