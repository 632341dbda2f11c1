"""Building the experts' snapshots (生成评审快照) and the handover sheet.

One ``.qbsnap`` per expert with assignments: the expert's applications under opaque
codes in an order shuffled for that expert, their blind metadata (snapshot_meta.py),
the blind attachments cleaned (blind_files.py) but for those the coordinator excluded,
the rubrics by hash, the declaration, and a fresh binding secret. Nothing is built while
the identity-leak scan (leaks.py) has an open finding. Each snapshot gets its own generated passphrase, printed on
``handover.pdf`` (one page per expert) and, if asked, in a CSV; passphrases are never
stored in the database.

All or nothing: the ``snapshot`` rows and the audit entry are written only after every
file and the handover sheet are done; a cancel or an error removes every file this build
wrote, so no snapshot exists whose passphrase nobody has.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, count_en, os_reason
from qbdesk.domain.rubric import content_hash, default_rubric
from qbdesk.formats import keys as keyfiles
from qbdesk.formats.atomic import atomic_write
from qbdesk.formats.scorefile import audit_principal
from qbdesk.formats.snapshot import IDENTITY_KDF_ROUNDS, SnapshotError, SnapshotWriter
from qbdesk.formats.snapshot_manifest import canonical_json
from qbdesk.reports.slips import HandoverSlip, render_handover_pdf
from qbdesk.services.blind_files import CleanedFiles, clean_all, to_clean
from qbdesk.services.coordinator_keys import CoordinatorKeys
from qbdesk.services.leaks import excluded_attachments, is_excluded, require_no_open_leaks
from qbdesk.services.qualification import snapshot_facts
from qbdesk.services.snapshot_meta import (
    DECLARATION,
    BlindAttachment,
    Redactor,
    application_meta,
    local_item_ids,
    make_codes,
    programs_meta,
)
from qbdesk.store import audit
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Blob,
    CleanedPdf,
    Expert,
    ProgramConfig,
    Round,
    Rubric,
    ScoreFileRecord,
    Snapshot,
)

ProgressFn = Callable[[int, int, str], None]
HANDOVER_FILE = "handover.pdf"
SUFFIX = ".qbsnap"


@dataclass(frozen=True)
class BuiltSnapshot:
    expert_id: int  # Expert.id
    expert_external_id: str
    expert_name: str
    snapshot_id: str
    path: Path
    digest: str  # SHA-256 of manifest.json: what the slip prints
    applications: int
    attachments: int
    size: int  # bytes on disk


@dataclass
class BuildReport:
    round_id: int
    out_dir: Path
    coordinator_fingerprint: str
    snapshots: list[BuiltSnapshot] = field(default_factory=list)
    skipped: list[Msg] = field(default_factory=list)  # experts without assignments
    warnings: list[Msg] = field(default_factory=list)  # e.g. score files already back from the snapshots replaced
    handover: Path | None = None
    passphrases_csv: Path | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.cancelled and bool(self.snapshots)

    def summary(self) -> Msg:
        if self.cancelled:
            return Msg("已取消：未生成任何快照，已删除本次写入的文件", "cancelled: no snapshot was built; the files written were removed")
        n = len(self.snapshots)
        return Msg(f"已为 {n} 位专家生成快照，保存在 {self.out_dir}；交接单：{self.handover}",
                   f"built {n} snapshot{'s' if n != 1 else ''} in {self.out_dir}; handover sheet: {self.handover}")

    def lines(self, lang: str = "zh") -> list[str]:
        out = []
        for b in self.snapshots:
            digest = " ".join(b.digest[i:i + 4] for i in range(0, 16, 4))
            out.append(f"{b.expert_external_id}  {b.expert_name}  {b.path.name}  "
                       + (f"{count_en(b.applications, 'application')}, {count_en(b.attachments, 'attachment')}, digest {digest}…"
                          if lang == "en" else f"{b.applications} 份申报，{b.attachments} 个附件，摘要 {digest}…"))
        out.extend(m.text(lang) for m in self.skipped)
        out.extend(m.text(lang) for m in self.warnings)
        return out


# --- what goes into each snapshot ---------------------------------------------------------------


@dataclass(frozen=True)
class _Attachment:
    title: str
    sha256: str  # of the original; snapshots carry its cleaned form (blind_files.py)
    size: int
    file: str


@dataclass(frozen=True)
class _Application:
    id: int
    external_id: str
    program: str
    rubric_hash: str
    title: str
    summary: str
    requested_amount: int
    tier: str | None
    items: list[Any]
    attachments: tuple[_Attachment, ...]
    redact: Redactor
    qualification: tuple[dict[str, Any], ...] = ()  # services.qualification.snapshot_facts


@dataclass(frozen=True)
class _ExpertPlan:
    id: int
    external_id: str
    manifest_id: str  # the id inside the snapshot and score files (safe for allowed_signers)
    name: str
    applications: tuple[_Application, ...]

    @property
    def units(self) -> int:
        """Progress steps: one per distinct attachment, one for the rest."""
        return len({a.sha256 for app in self.applications for a in app.attachments}) + 1


@dataclass(frozen=True)
class _RoundPlan:
    round_id: int
    name: str
    year: int
    rubrics: dict[str, dict[str, Any]]  # hash -> canonical content
    experts: tuple[_ExpertPlan, ...]
    without_assignments: tuple[tuple[str, str], ...]  # (external id, name)
    programs: dict[str, Any] = field(default_factory=dict)  # code -> ProgramSettings


def round_rubrics(session: Session, round_id: int, programs: set[str]) -> tuple[dict[str, str], dict[str, dict]]:
    """Program -> rubric hash for this round, and hash -> content, each content checked against its hash."""
    by_program = {pc.program: pc.rubric_hash for pc in session.scalars(
        select(ProgramConfig).where(ProgramConfig.round_id == round_id))}
    hashes: dict[str, str] = {}
    contents: dict[str, dict] = {}
    for code in sorted(programs):
        h = by_program.get(code)
        row = session.get(Rubric, h) if h else None
        if row is None:  # a program not configured with a rubric: its shipped default
            rubric = default_rubric(code)
            h, content = rubric.content_hash, rubric.to_data()
        else:
            content = row.content
            if content_hash(content) != h:
                raise QbdeskError(Msg(f"数据库中项目 {code} 的评分细则内容与其摘要 {h[:12]}… 不符（数据库被改动？），未生成快照",
                                      f"the stored rubric of {code} does not match its hash {h[:12]}… (was the database "
                                      f"altered?); no snapshot was built"))
        hashes[code] = h
        contents[h] = content
    return hashes, contents


def _plan(session: Session, round_id: int) -> _RoundPlan:
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise QbdeskError(Msg(f"没有编号为 {round_id} 的评审批次", f"there is no round {round_id}"))
    experts = session.scalars(select(Expert).where(Expert.round_id == round_id).order_by(Expert.external_id)).all()
    pairs = session.execute(select(Assignment.expert_id, Assignment.application_id)
                            .where(Assignment.round_id == round_id)).all()
    assigned: dict[int, list[int]] = {}
    for expert_id, app_id in pairs:
        assigned.setdefault(expert_id, []).append(app_id)
    apps = {a.id: a for a in session.scalars(select(Application).where(Application.round_id == round_id))}
    hashes, rubrics = round_rubrics(session, round_id, {a.program for a in apps.values()})
    applicants = {a.id: a for a in session.scalars(select(Applicant).where(
        Applicant.id.in_({a.applicant_id for a in apps.values()})))}
    excluded = excluded_attachments(session, round_id)  # by the coordinator, after the leak scan
    facts = snapshot_facts(session, apps)
    blind: dict[int, tuple[_Attachment, ...]] = {}
    redactors: dict[int, Redactor] = {}
    views: dict[int, _Application] = {}
    for app in apps.values():
        who = applicants[app.applicant_id]
        if who.id not in redactors:
            redactors[who.id] = Redactor.for_applicant(who.name, who.credit_code, who.contact or {})
        blind[app.id] = tuple(_Attachment(a.title, a.sha256, a.size, a.file) for a in app.attachments
                              if a.blind and not is_excluded(excluded, a))
        views[app.id] = _Application(app.id, app.external_id, app.program, hashes[app.program], app.title, app.summary,
                                     app.requested_amount, app.tier, list(app.items or []), blind[app.id],
                                     redactors[who.id], tuple(facts.get(app.id, ())))
    plans, idle = [], []
    for e in experts:
        ids = sorted(assigned.get(e.id, []))
        if not ids:
            idle.append((e.external_id, e.name))
            continue
        plans.append(_ExpertPlan(e.id, e.external_id, audit_principal(e.external_id), e.name,
                                 tuple(views[i] for i in ids)))
    from qbdesk.services.rounds import program_settings

    settings = {pc.program: program_settings(pc) for pc in session.scalars(
        select(ProgramConfig).where(ProgramConfig.round_id == round_id))}
    return _RoundPlan(round_id, rnd.name, rnd.year, rubrics, tuple(plans), tuple(idle), settings)


def _file_names(plan: _RoundPlan) -> dict[int, str]:
    """A file name per expert, distinct even on a case-insensitive USB stick."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for e in plan.experts:
        name = f"R{plan.round_id}-{e.manifest_id}{SUFFIX}"
        if name.casefold() in taken:
            name = f"R{plan.round_id}-{e.manifest_id}-{e.id}{SUFFIX}"
        taken.add(name.casefold())
        names[e.id] = name
    return names


# --- reading attachments out of the database ---------------------------------------------------


def _open_blob(session: Session, sha256: str) -> BinaryIO:
    """The attachment's bytes as a stream: straight from the SQLite file when possible, so a big
    PDF never sits whole in memory; other databases hand the value over whole."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        rowid = conn.execute(text("SELECT rowid FROM blob WHERE sha256 = :h"), {"h": sha256}).scalar()
        if rowid is not None and hasattr(raw, "blobopen"):
            return raw.blobopen("blob", "data", rowid, readonly=True)
    data = session.scalar(select(Blob.data).where(Blob.sha256 == sha256))
    if data is None:
        raise QbdeskError(Msg(f"数据库中缺少附件内容 {sha256[:12]}…，未生成快照",
                              f"the database lacks the content of attachment {sha256[:12]}…; no snapshot was built"))
    return io.BytesIO(data)


# --- building ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    built: BuiltSnapshot
    row: dict[str, Any]  # Snapshot columns
    slip: HandoverSlip
    passphrase: str
    code_map: str  # code_map_hash of the snapshot's codes


def _build_one(cleaned: CleanedFiles, plan: _RoundPlan, expert: _ExpertPlan, path: Path, keys: CoordinatorKeys,
               rng: random.Random, kdf_rounds: int, tick: Callable[[str], None],
               cancel: Callable[[], bool]) -> _Result | None:
    apps = list(expert.applications)
    rng.shuffle(apps)
    codes = make_codes(len(apps), rng)
    snapshot_id = str(uuid.uuid4())
    secret = secrets.token_bytes(32)
    code_key = secrets.token_bytes(32)  # keys each code's binding in the manifest; stays in the database
    passphrase = keyfiles.generate_passphrase()
    now = datetime.now(UTC).replace(microsecond=0)

    # Entry names follow the order of add_attachment(): 0001, 0002, … (one per distinct PDF).
    entries: dict[str, str] = {}
    for app in apps:
        for a in app.attachments:
            entries.setdefault(a.sha256, f"qbsnap/files/{len(entries) + 1:04d}.pdf.age")
    meta_apps = [
        application_meta(code=code, program=app.program, rubric_hash=app.rubric_hash, title=app.title,
                         summary=app.summary, requested_amount=app.requested_amount, tier=app.tier, items=app.items,
                         attachments=[BlindAttachment(entries[a.sha256], a.title, cleaned[a.sha256].size,
                                                      cleaned[a.sha256].sha256) for a in app.attachments],
                         redact=app.redact, qualification=app.qualification)
        for code, app in zip(codes, apps)
    ]
    meta = {
        "round": {"id": plan.round_id, "name": plan.name, "year": plan.year},
        "expert": {"id": expert.manifest_id, "name": expert.name},
        "binding_secret": secret.hex(),
        "rubrics": {h: plan.rubrics[h] for h in sorted({app.rubric_hash for app in apps})},
        "declaration": dict(DECLARATION),
        "programs": programs_meta({c: plan.programs[c] for c in {app.program for app in apps} if c in plan.programs}),
        "applications": meta_apps,
    }
    with SnapshotWriter(path, signing_key=keys.require_signing_key(), receiving_recipient=keys.receiving_recipient,
                        passphrase=passphrase, snapshot_id=snapshot_id, round_id=plan.round_id,
                        round_name=plan.name, round_year=plan.year, expert_id=expert.manifest_id,
                        rounds=kdf_rounds, created_at=now) as writer:
        writer.write_meta(meta)
        items = {code: local_item_ids(app.items) for code, app in zip(codes, apps)}
        writer.bind_codes(code_key, {code: (app.external_id, items[code]) for code, app in zip(codes, apps)})
        for n, (sha, expected) in enumerate(entries.items(), start=1):
            if cancel():
                writer.abort()
                return None
            with cleaned.open(sha) as source:
                name = writer.add_attachment(source)
            got = writer.plaintext[name]
            if name != expected or got.sha256 != cleaned[sha].sha256 or got.size != cleaned[sha].size:
                writer.abort()
                raise QbdeskError(Msg(f"附件 {sha[:12]}… 在数据库中的内容与其摘要不符（数据库被改动？），未生成快照",
                                      f"attachment {sha[:12]}… in the database does not match its hash (was the "
                                      f"database altered?); no snapshot was built"))
            tick(f"{expert.external_id} {n}/{len(entries)}")
        manifest = writer.close()
    tick(expert.external_id)
    built = BuiltSnapshot(expert.id, expert.external_id, expert.name, snapshot_id, path, manifest.digest, len(apps),
                          len(entries), path.stat().st_size)
    row = dict(id=snapshot_id, round_id=plan.round_id, expert_id=expert.id, created_at=now, digest=manifest.digest,
               binding_secret=secret.hex(), codes={code: app.id for code, app in zip(codes, apps)},
               coordinator_fingerprint=keys.fingerprint, file_name=path.name, manifest=manifest.raw,
               code_key=code_key.hex(), items=items)
    code_map = code_map_hash({code: app.external_id for code, app in zip(codes, apps)})
    slip = HandoverSlip(plan.name, plan.year, expert.external_id, expert.name, path.name, passphrase, keys.fingerprint,
                        manifest.digest, len(apps), now.strftime("%Y-%m-%d %H:%M UTC"),
                        tuple(sorted({a.program for a in apps if a.program in plan.programs
                                      and not plan.programs[a.program].blind}, key=lambda c: int(c[1:]))))
    return _Result(built, row, slip, passphrase, code_map)


def code_map_hash(codes: dict[str, str]) -> str:
    """SHA-256 of the canonical code -> application package id map: what the build's audit entry records."""
    return hashlib.sha256(canonical_json(codes)).hexdigest()


def _supersede(s: Session, round_id: int, results: list[_Result]) -> tuple[dict[str, list[str]], list[Msg]]:
    """Mark each expert's earlier snapshots superseded by the new one; warn about score files already
    back from them (they stay in force until the expert's file from the new snapshot arrives)."""
    replaced: dict[str, list[str]] = {}
    warnings: list[Msg] = []
    for r in results:
        old = list(s.scalars(select(Snapshot.id).where(Snapshot.round_id == round_id,
                                                       Snapshot.expert_id == r.built.expert_id,
                                                       Snapshot.superseded_by.is_(None))))
        if not old:
            continue
        s.execute(update(Snapshot).where(Snapshot.id.in_(old)).values(superseded_by=r.built.snapshot_id))
        replaced[r.built.snapshot_id] = old
        back = s.scalar(select(ScoreFileRecord.id).where(ScoreFileRecord.snapshot_id.in_(old)).limit(1))
        if back is not None:
            who = f"{r.built.expert_external_id} {r.built.expert_name}"
            warnings.append(Msg(
                f"注意：{who} 已交回来自旧快照的评分文件；旧快照现已被取代，今后来自旧快照的评分文件将被拒绝"
                f"（除非以 scores import --accept-superseded --reason … 明确接受），请让该专家用新快照重新评分",
                f"warning: {who} already returned a score file from an earlier snapshot, now superseded; further "
                f"files from it will be refused (unless accepted with scores import --accept-superseded --reason …): "
                f"have the expert score again from the new snapshot"))
    return replaced, warnings


def _refuse_existing(targets: list[Path]) -> None:
    present = [p for p in targets if p.exists()]
    if present:
        shown = "、".join(p.name for p in present[:3]) + ("…" if len(present) > 3 else "")
        raise QbdeskError(Msg(
            f"目标文件已存在：{shown}。请换一个空文件夹（不覆盖以前生成的快照，以免与交接单上的口令混淆）",
            f"these files already exist: {shown.replace('、', ', ')}. Choose an empty folder (earlier snapshots are "
            f"never overwritten, so they cannot be mixed up with the passphrases on another sheet)"))


def _passphrase_csv(results: list[_Result]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["expert_id", "name", "file", "passphrase", "digest"])
    for r in results:
        w.writerow([r.built.expert_external_id, r.built.expert_name, r.built.path.name, r.passphrase, r.built.digest])
    return buf.getvalue().encode("utf-8-sig")  # the BOM lets Excel/WPS read the Chinese names


def build_snapshots(
    sessions: sessionmaker[Session],
    round_id: int,
    out_dir: Path | str,
    *,
    keys: CoordinatorKeys,
    passphrases_out: Path | str | None = None,
    progress: ProgressFn | None = None,
    cancel: Callable[[], bool] | None = None,
    rng: random.Random | None = None,
    kdf_rounds: int = IDENTITY_KDF_ROUNDS,
    actor: str = "",
) -> BuildReport:
    """Build one snapshot per expert with assignments into ``out_dir``, plus ``handover.pdf``.

    ``rng`` draws the codes and the order (a seeded one only in tests; the default is the
    system's CSPRNG). ``kdf_rounds`` is the passphrase work factor; keep the default outside tests.
    """
    out = Path(out_dir)
    rng = rng or random.SystemRandom()
    cancel = cancel or (lambda: False)
    report = BuildReport(round_id, out, keys.fingerprint)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise QbdeskError(Msg(f"无法创建文件夹 {out}：{os_reason(e).zh}", f"cannot create the folder {out}: {os_reason(e).en}")) from None
    written: list[Path] = []
    results: list[_Result] = []
    cleaned = CleanedFiles()
    try:
        with sessions() as s:
            plan = _plan(s, round_id)
            report.skipped = [Msg(f"{eid} {name}：没有分配评审任务，未生成快照", f"{eid} {name}: no assignments, no snapshot")
                              for eid, name in plan.without_assignments]
            if not plan.experts:
                raise QbdeskError(Msg("本批次还没有分配评审任务，请先运行 qbdesk assign",
                                      "nothing is assigned in this round yet: run qbdesk assign first"))
            names = _file_names(plan)
            csv_path = Path(passphrases_out) if passphrases_out is not None else None
            _refuse_existing([out / n for n in names.values()] + [out / HANDOVER_FILE] + ([csv_path] if csv_path else []))
            blind = to_clean(cleaned, ((a.sha256, app.external_id, a.file) for e in plan.experts
                                       for app in e.applications for a in app.attachments))
            total, done = len(blind) + sum(e.units for e in plan.experts), 0

            def tick(label: str) -> None:
                nonlocal done
                done += 1
                if progress is not None:
                    progress(done, total, label)

            # Every blind PDF cleaned first (one that cannot be is named), then no open leak finding.
            if not clean_all(cleaned, blind, lambda sha: _open_blob(s, sha),
                             tick=lambda label: tick(f"PDF {label}"), cancel=cancel):
                report.cancelled = True
                return report
            require_no_open_leaks(s, round_id)
            for expert in plan.experts:
                if cancel():
                    break
                path = out / names[expert.id]
                result = _build_one(cleaned, plan, expert, path, keys, rng, kdf_rounds, tick, cancel)
                if result is None:
                    break
                written.append(path)
                results.append(result)
        if len(results) < len(plan.experts):  # cancelled
            report.cancelled = True
            _remove(written)
            return report
        atomic_write(out / HANDOVER_FILE, render_handover_pdf([r.slip for r in results]))  # 0600: passphrases
        written.append(out / HANDOVER_FILE)
        if csv_path is not None:
            atomic_write(csv_path, _passphrase_csv(results))  # 0600: it holds the passphrases
            written.append(csv_path)
        with sessions.begin() as s:
            replaced, report.warnings = _supersede(s, round_id, results)
            for r in results:
                s.add(Snapshot(**r.row))
            for row in cleaned.rows():
                s.merge(CleanedPdf(**row))
            audit.record(s, "snapshots.build", round_id=round_id, actor=actor, detail={
                "out_dir": str(out), "coordinator": keys.fingerprint,
                "snapshots": [{"id": r.built.snapshot_id, "expert": r.built.expert_external_id, "file": r.built.path.name,
                               "digest": r.built.digest, "applications": r.built.applications, "code_map": r.code_map,
                               "supersedes": replaced.get(r.built.snapshot_id, [])} for r in results],
            })
    except SnapshotError as e:
        _remove(written)
        raise QbdeskError(Msg(f"生成快照失败，已删除本次写入的文件：{e.msg.zh}",
                              f"building the snapshots failed; the files written were removed: {e.msg.en}")) from None
    except OSError as e:
        _remove(written)
        raise QbdeskError(Msg(f"写入失败，已删除本次写入的文件：{os_reason(e).zh}",
                              f"writing failed; the files written were removed: {os_reason(e).en}")) from None
    except SQLAlchemyError as e:  # e.g. the database is locked by another coordinator
        _remove(written)
        first = str(e).splitlines()[0][:200]
        raise QbdeskError(Msg(f"写入数据库失败，已删除本次写入的文件：{first}",
                              f"the database write failed; the files written were removed: {first}")) from None
    except BaseException:
        _remove(written)
        raise
    finally:
        cleaned.close()
    report.snapshots = [r.built for r in results]
    report.handover = out / HANDOVER_FILE
    report.passphrases_csv = csv_path
    return report


def _remove(paths: list[Path]) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass  # nothing more to do; the report says the build failed


def rebuild_warning(session: Session, round_id: int) -> Msg | None:
    """Before a build: a warning when score files already came back for this round."""
    from sqlalchemy import func

    from qbdesk.store.models import ScoreFileRecord

    n = session.scalar(select(func.count()).select_from(ScoreFileRecord).where(ScoreFileRecord.round_id == round_id)) or 0
    if not n:
        return None
    return Msg(f"注意：本批次已收到 {n} 份评分文件。新生成的快照是新的快照：拿到它的专家须重新打开并评分，"
               f"已收到的评分文件仍对应旧快照",
               f"note: {count_en(n, 'score file')} already came back for this round. The snapshots built now are new "
               f"ones: an expert given one opens and scores it afresh; the score files received belong to the old snapshots")
