"""The identity-leak scan (身份信息泄露检查) of a round's blind material, and the coordinator's decisions.

For each application counted as blind material (``is_blind``, default: all), the scan reads
every blind attachment (each page's text, and what the PDF carries besides: document
information, XMP, embedded files, scripts and actions, comments, bookmarks, form values), the
application's blind fields (title, summary, item titles) and the blind attachments' titles and
file names, and looks for the application's identity (:mod:`leak_patterns`).

A finding blocks ``snapshots build`` unless

- the snapshot never carries it: what cleaning removes (metadata, embedded files, scripts,
  actions, comment authors) and file names (a snapshot names its files 0001.pdf …);
- the coordinator accepted it (:func:`accept_findings`): an accept lists the fingerprints of the
  findings reviewed, so a finding that appears later (a changed PDF, a re-import) blocks again;
- its attachment is excluded from the blind material (:func:`exclude_attachment`): the exclusion
  holds for that file with that content only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.formats.pdf_clean import PdfCleanError, open_pdf
from qbdesk.formats.pdf_inspect import PdfText, hidden_texts, page_texts
from qbdesk.services.leak_patterns import Identity, LeakMatcher
from qbdesk.store import audit
from qbdesk.store.models import Application, Attachment, Blob, LeakDecision, ProgramConfig

BlindPredicate = Callable[[Application], bool]
ProgressFn = Callable[[int, int, str], None]


def all_blind(_app: Application) -> bool:
    """Every application counts as blind material, whatever its program says."""
    return True


def blind_programs(session: Session, round_id: int) -> BlindPredicate:
    """The round's own rule: an application is blind material when its program is ``blind``.

    Open programs (``blind = false``, the default for the verified ones, whose evidence names
    the applicant by nature) are not scanned; a program the round does not configure counts
    as blind, so nothing slips through by omission.
    """
    blind = dict(session.execute(select(ProgramConfig.program, ProgramConfig.blind)
                                 .where(ProgramConfig.round_id == round_id)).all())
    return lambda app: bool(blind.get(app.program, True))


@dataclass(frozen=True)
class LeakFinding:
    application: str  # package id
    attachment: str | None  # file name in the package; None for the application's own fields
    page: int | None  # 1-based page of the attachment; None for metadata and fields
    kind: str  # leak_patterns.KINDS, or "unreadable_pdf"
    excerpt: str  # masked: never the whole token
    where: str  # text | info | xmp | embedded_file | javascript | action | annotation | outline | form_field |
    #             file_name | title | summary | item | attachment_title | pdf
    count: int
    removed_by_cleaning: bool  # the snapshot never carries it
    fingerprint: str  # what an accept records
    accepted: bool = False

    @property
    def blocking(self) -> bool:
        return not self.removed_by_cleaning and not self.accepted

    def to_json(self) -> dict[str, Any]:
        return {"application": self.application, "attachment": self.attachment, "page": self.page,
                "kind": self.kind, "excerpt": self.excerpt, "where": self.where, "count": self.count,
                "removed_by_cleaning": self.removed_by_cleaning, "accepted": self.accepted, "blocking": self.blocking}

    def describe(self, lang: str = "zh") -> str:
        where = self.attachment or ("申报信息" if lang != "en" else "application fields")
        page = (f" 第{self.page}页" if lang != "en" else f" page {self.page}") if self.page else ""
        state = ""
        if self.removed_by_cleaning:
            state = "（清理后不随快照发出）" if lang != "en" else " (removed by cleaning: not in snapshots)"
        elif self.accepted:
            state = "（已确认）" if lang != "en" else " (accepted)"
        times = f" ×{self.count}" if self.count > 1 else ""
        return f"{self.application}  {where}{page}  [{self.where}] {self.kind}: {self.excerpt}{times}{state}"


@dataclass
class LeakReport:
    round_id: int
    findings: list[LeakFinding] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (package id, file)
    applications: int = 0
    attachments: int = 0
    pages: int = 0

    @property
    def blocking(self) -> list[LeakFinding]:
        return [f for f in self.findings if f.blocking]

    def summary(self) -> Msg:
        n, b = len(self.findings), len(self.blocking)
        apps = len({f.application for f in self.blocking})
        scanned = (f"检查了 {self.applications} 个申报、{self.attachments} 个脱敏附件（{self.pages} 页）",
                   f"scanned {self.applications} applications, {self.attachments} blind attachments ({self.pages} pages)")
        if not n:
            return Msg(f"{scanned[0]}，未发现身份信息", f"{scanned[1]}: no identity found")
        return Msg(f"{scanned[0]}，发现 {n} 处身份信息，其中 {b} 处待处理（涉及 {apps} 个申报）",
                   f"{scanned[1]}: {n} findings, {b} open (in {apps} applications)")


def _fingerprint(source: str, where: str, page: int | None, kind: str, token: str) -> str:
    body = json.dumps([source, where, page, kind, token], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _excluded(session: Session, round_id: int) -> set[tuple[int, str, str]]:
    return {(d.application_id, d.attachment_file or "", d.attachment_sha256 or "")
            for d in session.scalars(select(LeakDecision).where(LeakDecision.round_id == round_id,
                                                                LeakDecision.action == "exclude"))}


def is_excluded(excluded: set[tuple[int, str, str]], att: Attachment) -> bool:
    return (att.application_id, att.file, att.sha256) in excluded


def excluded_attachments(session: Session, round_id: int) -> set[tuple[int, str, str]]:
    """(application id, file, sha256) of every attachment kept out of the blind material."""
    return _excluded(session, round_id)


def _accepted(session: Session, round_id: int) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for d in session.scalars(select(LeakDecision).where(LeakDecision.round_id == round_id,
                                                        LeakDecision.action == "accept")):
        out.setdefault(d.application_id, set()).update(d.fingerprints or [])
    return out


def _scan_application(session: Session, app: Application, excluded: set[tuple[int, str, str]],
                      report: LeakReport) -> list[LeakFinding]:
    who = app.applicant
    matcher = LeakMatcher.for_identity(Identity.from_record(app.external_id, who.name, who.credit_code,
                                                            who.contact or {}))
    found: list[LeakFinding] = []

    def look(text: str, *, source: str, attachment: str | None, where: str, page: int | None, removed: bool) -> None:
        for m in matcher.find(text):
            f = LeakFinding(app.external_id, attachment, page, m.kind, m.excerpt, where, m.count, removed,
                            _fingerprint(source, where, page, m.kind, m.token))
            same = next((i for i, g in enumerate(found) if g.fingerprint == f.fingerprint), None)
            if same is None:
                found.append(f)
            else:  # the same token in another text of the same place (two Info entries, say): one finding
                found[same] = replace(found[same], count=found[same].count + m.count)

    look(app.title, source="fields", attachment=None, where="title", page=None, removed=False)
    look(app.summary or "", source="fields", attachment=None, where="summary", page=None, removed=False)
    for item in app.items or []:
        look(str(item.get("title", "")), source="fields", attachment=None, where="item", page=None, removed=False)
    for att in app.attachments:
        if not att.blind:
            continue
        if is_excluded(excluded, att):
            report.excluded.append((app.external_id, att.file))
            continue
        report.attachments += 1
        look(att.title, source="fields", attachment=att.file, where="attachment_title", page=None, removed=False)
        look(att.file, source="fields", attachment=att.file, where="file_name", page=None, removed=True)
        data = session.scalar(select(Blob.data).where(Blob.sha256 == att.sha256)) or b""
        try:
            texts = pdf_texts(data)
        except PdfCleanError as e:
            found.append(LeakFinding(app.external_id, att.file, None, "unreadable_pdf", e.msg.en[:80], "pdf", 1,
                                     False, _fingerprint(att.sha256, "pdf", None, "unreadable_pdf", "")))
            continue
        report.pages += sum(1 for t in texts if t.where == "text")
        for t in texts:
            look(t.text, source=att.sha256, attachment=att.file, where=t.where, page=t.page, removed=t.removed_by_cleaning)
    return found


def pdf_texts(data: bytes) -> list[PdfText]:
    """Every text of one PDF the scan reads: each page's (``where="text"``), then what it carries besides."""
    pages = page_texts(data)
    with open_pdf(data) as pdf:
        hidden = hidden_texts(pdf)
    return [PdfText("text", n, text, False) for n, text in enumerate(pages, 1)] + hidden


def scan_round(session: Session, round_id: int, *, is_blind: BlindPredicate | None = None,
               applications: Iterable[str] | None = None, progress: ProgressFn | None = None) -> LeakReport:
    """Scan the round's blind material (or only the package ids in ``applications``).

    ``is_blind`` decides what counts as blind material; by default the round's programs do
    (:func:`blind_programs`).
    """
    if is_blind is None:
        is_blind = blind_programs(session, round_id)
    query = select(Application).where(Application.round_id == round_id).order_by(Application.external_id)
    apps = [a for a in session.scalars(query) if is_blind(a)]
    if applications is not None:
        wanted = set(applications)
        apps = [a for a in apps if a.external_id in wanted]
    excluded, accepted = _excluded(session, round_id), _accepted(session, round_id)
    report = LeakReport(round_id, applications=len(apps))
    for n, app in enumerate(apps, 1):
        ok = accepted.get(app.id, set())
        for f in _scan_application(session, app, excluded, report):
            report.findings.append(f if f.fingerprint not in ok or f.removed_by_cleaning else replace(f, accepted=True))
        if progress is not None:
            progress(n, len(apps), app.external_id)
    return report


def require_no_open_leaks(session: Session, round_id: int, *, is_blind: BlindPredicate | None = None) -> LeakReport:
    """Refuse (a clear message) while any finding blocks; what ``snapshots build`` calls first."""
    report = scan_round(session, round_id, is_blind=is_blind)
    open_ = report.blocking
    if open_:
        apps = sorted({f.application for f in open_})
        shown = "、".join(apps[:3]) + ("…" if len(apps) > 3 else "")
        raise QbdeskError(Msg(
            f"脱敏材料中有 {len(open_)} 处身份信息尚未处理（申报 {shown}），未生成快照。"
            f"请运行 qbdesk leaks scan 查看；修改材料后重新导入，或用 qbdesk leaks accept / qbdesk leaks exclude 处理",
            f"{len(open_)} identity findings in the blind material are still open (applications "
            f"{shown.replace('、', ', ')}); no snapshot was built. Run qbdesk leaks scan to see them; fix and "
            f"re-import the material, or decide with qbdesk leaks accept / qbdesk leaks exclude"))
    return report


# --- the coordinator's decisions ------------------------------------------------------------------


def _application(session: Session, round_id: int, package_id: str) -> Application:
    app = session.scalars(select(Application).where(Application.round_id == round_id,
                                                    Application.external_id == package_id)).one_or_none()
    if app is None:
        raise QbdeskError(Msg(f"本批次中没有申报 {package_id}", f"there is no application {package_id} in this round"))
    return app


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise QbdeskError(Msg("请用 --reason 写明理由", "give the reason with --reason"))
    return reason


def accept_findings(sessions: sessionmaker[Session], round_id: int, package_id: str, *, reason: str,
                    actor: str = "") -> Msg:
    """Accept the open findings of one application as reviewed (audited); new ones will block again."""
    reason = _require_reason(reason)
    with sessions.begin() as s:
        app = _application(s, round_id, package_id)
        open_ = scan_round(s, round_id, applications=[package_id]).blocking
        if not open_:
            raise QbdeskError(Msg(f"申报 {package_id} 没有待处理的身份信息，无需确认",
                                  f"application {package_id} has no open findings; nothing to accept"))
        prints = sorted({f.fingerprint for f in open_})
        digest = hashlib.sha256("\n".join(prints).encode()).hexdigest()
        s.add(LeakDecision(round_id=round_id, application_id=app.id, action="accept", findings_hash=digest,
                           fingerprints=prints, reason=reason, actor=actor))
        audit.record(s, "leaks.accept", round_id=round_id, actor=actor, detail={
            "application": package_id, "findings": len(prints), "findings_hash": digest, "reason": reason})
    return Msg(f"已确认申报 {package_id} 的 {len(open_)} 处身份信息（理由已记入审计日志）；此后新出现的仍会阻止生成快照",
               f"accepted {len(open_)} findings of application {package_id} (the reason is in the audit log); "
               f"any new finding will block the build again")


def exclude_attachment(sessions: sessionmaker[Session], round_id: int, package_id: str, attachment: str, *,
                       reason: str, actor: str = "") -> Msg:
    """Keep one blind attachment (by file name, as in the package) out of every snapshot (audited)."""
    reason = _require_reason(reason)
    with sessions.begin() as s:
        app = _application(s, round_id, package_id)
        att = next((a for a in app.attachments if a.file == attachment and a.blind), None)
        if att is None:
            files = "、".join(a.file for a in app.attachments if a.blind) or "无"
            raise QbdeskError(Msg(f"申报 {package_id} 没有名为“{attachment}”的脱敏附件（有：{files}）",
                                  f"application {package_id} has no blind attachment {attachment!r} "
                                  f"(it has: {files.replace('、', ', ')})"))
        if is_excluded(_excluded(s, round_id), att):
            raise QbdeskError(Msg(f"附件“{attachment}”已被排除", f"{attachment!r} is already excluded"))
        s.add(LeakDecision(round_id=round_id, application_id=app.id, action="exclude", attachment_file=att.file,
                           attachment_sha256=att.sha256, fingerprints=[], reason=reason, actor=actor))
        audit.record(s, "leaks.exclude", round_id=round_id, actor=actor, detail={
            "application": package_id, "attachment": att.file, "sha256": att.sha256, "reason": reason})
    return Msg(f"已将申报 {package_id} 的附件“{attachment}”排除出脱敏材料：快照中不再包含它",
               f"excluded {attachment!r} of application {package_id} from the blind material: no snapshot will carry it")
