"""Importing application packages into a round (导入申报材料).

Each package is checked on its own and written in its own transaction, so a
broken package never leaves half an application behind and never stops the
good ones. Work per package is constant (indexed look-ups, ids fetched once
per batch), so thousands of packages import in time linear in their number.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, count_en, os_reason
from qbdesk.domain.orgname import normalise_org
from qbdesk.formats.package import (
    JUNK_DIRS,
    JUNK_NAMES,
    MANIFEST,
    Package,
    PackageProblem,
    RoundRules,
    check_package,
    default_tiers,
)
from qbdesk.store import audit
from qbdesk.store.models import Applicant, Application, Attachment, Blob, ProgramConfig, Round

Status = Literal["imported", "unchanged", "rejected"]
ProgressFn = Callable[[int, int, str], None]
MAX_DEPTH = 4  # how deep a folder of packages is searched


@dataclass(frozen=True)
class ImportLine:
    """What became of one package."""

    path: Path
    status: Status
    external_id: str | None = None  # the package's "id"
    application_id: int | None = None  # Application.id in the database
    problems: tuple[PackageProblem, ...] = ()
    notes: tuple[Msg, ...] = ()  # imported, but worth knowing (e.g. applicant renamed)

    def text(self, lang: str = "zh") -> str:
        label = {"imported": ("已导入", "imported"), "unchanged": ("未变化", "unchanged"),
                 "rejected": ("已拒绝", "rejected")}[self.status]
        head = f"{label[0] if lang != 'en' else label[1]}  {self.path}"
        if self.external_id:
            head += f"  [{self.external_id}]"
        details = [p.text(lang) for p in self.problems] + [n.text(lang) for n in self.notes]
        return head + "".join(f"\n    - {d}" for d in details)


@dataclass
class ImportReport:
    round_id: int
    lines: list[ImportLine] = field(default_factory=list)
    total: int = 0  # packages found, including any not reached after a cancel
    cancelled: bool = False
    searched: tuple[Path, ...] = ()  # where the packages were looked for

    @property
    def nothing_found(self) -> bool:
        return self.total == 0 and not self.cancelled

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(line.status for line in self.lines)
        return {s: c.get(s, 0) for s in ("imported", "unchanged", "rejected")}

    @property
    def ok(self) -> bool:
        """Every package found was imported or already there."""
        return not self.cancelled and not self.nothing_found and all(line.status != "rejected" for line in self.lines)

    def summary(self) -> Msg:
        if self.nothing_found:
            where = "、".join(map(str, self.searched)) or "?"
            return Msg(f"在 {where} 中没有找到申报包（每个申报包是一个含 application.json 的文件夹或 .zip 文件）：未导入任何内容",
                       f"no application packages found in {', '.join(map(str, self.searched)) or '?'} (a package is a "
                       f"folder or .zip file holding application.json): nothing was imported")
        c = self.counts
        zh = f"共 {self.total} 个申报包：导入 {c['imported']}，未变化 {c['unchanged']}，拒绝 {c['rejected']}"
        en = f"{count_en(self.total, 'package')}: {c['imported']} imported, {c['unchanged']} unchanged, {c['rejected']} rejected"
        if self.cancelled:
            rest = self.total - len(self.lines)
            zh += f"；已取消，{rest} 个未处理"
            en += f"; cancelled, {rest} not processed"
        return Msg(zh, en)


def _problem(code: str, zh: str, en: str) -> PackageProblem:
    return PackageProblem(code, Msg(zh, en))


# --- finding packages ---------------------------------------------------------------------


def _is_zip(p: Path) -> bool:
    return p.suffix.lower() == ".zip"


def find_packages(paths: Iterable[Path]) -> list[tuple[Path, PackageProblem | None]]:
    """Expand the user's paths into packages, in a stable order.

    A path is a package (a folder with ``application.json``, or a .zip), or a
    folder of packages searched a few levels deep. A folder below it that has
    files but no manifest is reported, not skipped silently: it is most likely
    a package that lost its ``application.json``.
    """
    found: list[tuple[Path, PackageProblem | None]] = []
    seen: set[Path] = set()

    def add(p: Path, problem: PackageProblem | None = None) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.append((p, problem))

    def walk(folder: Path, depth: int) -> None:
        try:
            children = sorted(folder.iterdir(), key=lambda c: c.name)
        except OSError as e:
            add(folder, _problem("unreadable", f"无法读取文件夹（{os_reason(e).zh}）", f"cannot read the folder ({os_reason(e).en})"))
            return
        # Links are never followed: they could loop or lead out of the chosen folder.
        children = [c for c in children if not (c.name in JUNK_NAMES or c.name in JUNK_DIRS
                                                or c.name.startswith(".") or c.is_symlink())]
        if children and not any(c.is_dir() or _is_zip(c) for c in children):
            # files but no packages: a package that lost its manifest
            add(folder, _problem("missing_manifest", f"文件夹中没有 {MANIFEST}", f"the folder has no {MANIFEST}"))
            return
        for child in children:
            if child.is_dir():
                if (child / MANIFEST).is_file():
                    add(child)
                elif depth < MAX_DEPTH:
                    walk(child, depth + 1)
            elif _is_zip(child):
                add(child)
            else:
                add(child, _problem("not_a_package", "不是申报包（应为含 application.json 的文件夹或 .zip 文件）",
                                    "not a package (expected a folder with application.json, or a .zip file)"))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            if (p / MANIFEST).is_file():
                add(p)
            else:
                walk(p, 0)
        elif p.is_file() and p.name == MANIFEST:
            add(p.parent)
        elif p.is_file():
            add(p)  # any file given by name is tried as a zip; check_package says if it is not
        else:
            add(p, _problem("not_found", "找不到此路径", "no such file or folder"))
    return found


# --- importing ------------------------------------------------------------------------------


def round_rules(session: Session, round_id: int) -> RoundRules:
    """What packages must agree with in this round; a round with no programs configured takes all nine."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise QbdeskError(Msg(f"找不到评审批次 {round_id}", f"no round with id {round_id}"))
    configs = session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == round_id)).all()
    if not configs:
        return RoundRules(year=rnd.year)
    tiers = dict(default_tiers())
    for c in configs:
        if c.tiers is not None:
            tiers[c.program] = frozenset(c.tiers)
    return RoundRules(year=rnd.year, programs=frozenset(c.program for c in configs), tiers=tiers)


def _store(session: Session, round_id: int, pkg: Package) -> tuple[int, tuple[Msg, ...]]:
    """Write one checked package; the caller owns the transaction."""
    notes: list[Msg] = []
    info = pkg.applicant
    applicant = session.scalars(select(Applicant).where(Applicant.credit_code == info.credit_code)).one_or_none()
    if applicant is None:
        applicant = Applicant(credit_code=info.credit_code, name=info.name,
                              normalized_name=normalise_org(info.name), contact=info.contact_json())
        session.add(applicant)
    else:
        if applicant.name != info.name:
            notes.append(Msg(f"统一社会信用代码 {info.credit_code} 的单位名称由“{applicant.name}”更新为“{info.name}”",
                             f"the organisation with credit code {info.credit_code} was renamed from {applicant.name!r} to {info.name!r}"))
            applicant.name = info.name
            applicant.normalized_name = normalise_org(info.name)
        if applicant.contact != info.contact_json():
            applicant.contact = info.contact_json()

    # Content-addressed: a PDF already stored (by any round) is not stored again.
    shas = {f.sha256 for f in pkg.attachments}
    known = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(shas))))
    for f in pkg.attachments:
        if f.sha256 not in known:
            session.add(Blob(sha256=f.sha256, size=f.size, data=f.read()))
            known.add(f.sha256)
    app = Application(
        round_id=round_id, external_id=pkg.id, program=pkg.program, year=pkg.year, applicant=applicant,
        title=pkg.title, requested_amount=pkg.requested_amount, summary=pkg.summary, tier=pkg.tier,
        items=[i.as_json() for i in pkg.items], package_digest=pkg.digest,
        attachments=[Attachment(position=pos, file=f.file, title=f.title, blind=f.blind, sha256=f.sha256, size=f.size)
                     for pos, f in enumerate(pkg.attachments)],
    )
    session.add(app)
    session.flush()
    return app.id, tuple(notes)


def import_packages(session_factory: sessionmaker[Session], round_id: int, paths: Iterable[Path], *,
                    progress: ProgressFn | None = None, cancel: Callable[[], bool] | None = None,
                    actor: str = "") -> ImportReport:
    """Check and import packages into a round; one report line per package.

    Good packages are imported even when others are broken; a re-import of an
    identical package (same id and digest) changes nothing.
    """
    with session_factory() as s:
        rules = round_rules(s, round_id)
        existing = {eid: (aid, digest) for eid, aid, digest in s.execute(
            select(Application.external_id, Application.id, Application.package_digest)
            .where(Application.round_id == round_id))}
    paths = [Path(p) for p in paths]
    candidates = find_packages(paths)
    report = ImportReport(round_id=round_id, total=len(candidates), searched=tuple(paths))
    batch: dict[str, tuple[str, Path]] = {}  # id -> (digest, path) accepted in this batch
    try:
        for n, (path, found_problem) in enumerate(candidates, start=1):
            if cancel is not None and cancel():
                report.cancelled = True
                break
            line = (ImportLine(path, "rejected", problems=(found_problem,)) if found_problem
                    else _import_one(session_factory, round_id, path, rules, existing, batch))
            report.lines.append(line)
            if progress is not None:
                progress(n, len(candidates), path.name)
    finally:
        _audit(session_factory, report, actor)
    return report


def _import_one(session_factory: sessionmaker[Session], round_id: int, path: Path, rules: RoundRules,
                existing: dict[str, tuple[int, str]], batch: dict[str, tuple[str, Path]]) -> ImportLine:
    result = check_package(path, rules)
    pkg = result.package
    if pkg is None:
        return ImportLine(path, "rejected", problems=result.problems)
    if pkg.id in batch:
        digest, other = batch[pkg.id]
        if digest == pkg.digest:
            return ImportLine(path, "unchanged", pkg.id, existing[pkg.id][0],
                              notes=(Msg(f"与同批次的 {other} 内容相同", f"identical to {other} in this batch"),))
        return ImportLine(path, "rejected", pkg.id, problems=(_problem(
            "duplicate_id", f"申报编号 {pkg.id} 在本批次中重复，且与 {other} 内容不同",
            f"application id {pkg.id} appears twice in this batch, with different contents (see {other})"),))
    if pkg.id in existing:
        app_id, digest = existing[pkg.id]
        if digest == pkg.digest:
            batch[pkg.id] = (pkg.digest, path)
            return ImportLine(path, "unchanged", pkg.id, app_id)
        return ImportLine(path, "rejected", pkg.id, problems=(_problem(
            "duplicate_id", f"申报编号 {pkg.id} 已导入本批次，但内容不同（未作任何修改）；如要换成这一版，"
                            f"请先删除原申报：qbdesk applications remove {pkg.id} --reason …，再导入",
            f"application id {pkg.id} is already in this round with different contents (nothing was changed); to "
            f"replace it with this one, remove it first (qbdesk applications remove {pkg.id} --reason …), then import"),))
    try:
        with session_factory() as s, s.begin():
            app_id, notes = _store(s, round_id, pkg)
    except (SQLAlchemyError, OSError, QbdeskError, zipfile.BadZipFile) as e:
        # e.g. the file changed since it was checked, or another coordinator imported it first
        first = (str(e).splitlines() or [type(e).__name__])[0]
        reason = e.msg if isinstance(e, QbdeskError) else os_reason(e) if isinstance(e, OSError) else Msg(first, first)
        return ImportLine(path, "rejected", pkg.id, problems=(PackageProblem(
            "import_failed", Msg(f"导入失败，未写入任何内容：{reason.zh}", f"import failed, nothing was written: {reason.en}")),))
    existing[pkg.id] = (app_id, pkg.digest)
    batch[pkg.id] = (pkg.digest, path)
    return ImportLine(path, "imported", pkg.id, app_id, notes=notes)


def _audit(session_factory: sessionmaker[Session], report: ImportReport, actor: str) -> None:
    """One audit entry per batch that changed something; a batch that changed nothing leaves no trace."""
    imported = [line for line in report.lines if line.status == "imported"]
    if not imported:
        return
    c = report.counts
    detail = {
        "imported": [line.external_id for line in imported],
        "unchanged": c["unchanged"],
        "rejected": [{"path": str(line.path), "codes": sorted({p.code for p in line.problems})}
                     for line in report.lines if line.status == "rejected"],
        "cancelled": report.cancelled,
    }
    with session_factory() as s, s.begin():
        audit.record(s, "import_packages", round_id=report.round_id, actor=actor, detail=detail)
