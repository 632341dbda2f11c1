"""The coordinator's qualification check (资格审查): record, list, import, and what it means downstream.

Each result is one ``QualificationRecord`` row per application and check (no row: not checked);
every change is audited (``qualification.set``, ``qualification.import``) with the value it
replaced. Downstream, :func:`failed_vetoes` gives funding the failed veto checks of each
application, and :func:`snapshot_facts` the results the expert's snapshot carries (label, result,
date, source: the caller redacts the source text with the applicant's Redactor).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.qualification import (
    CHECKS,
    FAIL,
    NOT_CHECKED,
    RESULT_LABELS,
    Entry,
    validate_entry,
    veto_reason,
)
from qbdesk.formats.qualification_sheet import (
    ChecklistProblem,
    TemplateApplication,
    parse_checklist,
    read_rows,
    write_template,
)
from qbdesk.services.rounds import resolve_round
from qbdesk.store import audit
from qbdesk.store.models import Applicant, Application, QualificationRecord, utcnow


def _entry(r: QualificationRecord, external_id: str) -> Entry:
    return Entry(external_id, r.check, r.result, r.source, r.checked_on, r.note)


def _apps(s: Session, round_id: int) -> dict[str, Application]:
    return {a.external_id: a for a in s.scalars(select(Application).where(Application.round_id == round_id))}


def _records(s: Session, app_ids: Iterable[int]) -> dict[int, dict[str, QualificationRecord]]:
    out: dict[int, dict[str, QualificationRecord]] = {}
    ids = list(app_ids)
    for r in s.scalars(select(QualificationRecord).where(QualificationRecord.application_id.in_(ids))):
        out.setdefault(r.application_id, {})[r.check] = r
    return out


def _detail(e: Entry) -> dict[str, Any]:
    return {"application": e.application, "check": e.check, "result": e.result, "source": e.source,
            "date": e.checked_on.isoformat(), "note": e.note}


def _apply(s: Session, app: Application, e: Entry, current: QualificationRecord | None, by: str) -> dict[str, Any] | None:
    """Write one entry; the audit detail of the change, or None when it changes nothing."""
    if current is not None and _entry(current, app.external_id) == e:
        return None
    detail = _detail(e) | {"by": by}
    if current is None:
        s.add(QualificationRecord(application_id=app.id, check=e.check, result=e.result, source=e.source,
                                  checked_on=e.checked_on, note=e.note, recorded_by=by, recorded_at=utcnow()))
    else:
        detail["previous"] = {k: v for k, v in _detail(_entry(current, app.external_id)).items()
                              if k not in ("application", "check")}
        current.result, current.source, current.checked_on, current.note = e.result, e.source, e.checked_on, e.note
        current.recorded_by, current.recorded_at = by, utcnow()
    return detail


# --- setting one check, importing a checklist -----------------------------------------------------


# How the command line names each field of one result.
_ARG = {"application": "APP", "check": "CHECK", "result": "--result", "source": "--source", "date": "--date",
        "note": "--note"}


@dataclass(frozen=True)
class SetResult:
    entry: Entry
    changed: bool


def set_check(sessions: sessionmaker[Session], round_id: int | None, application: str, check_id: str, *,
              result: str, source: str, checked_on: str, note: str = "", by: str = "",
              today: date | None = None) -> SetResult:
    """Record one result; QbdeskError naming every bad value (nothing recorded then)."""
    with sessions() as s, s.begin():
        rid = resolve_round(s, round_id).id
        apps = _apps(s, rid)
        entry, problems = validate_entry(application, check_id, result, source, checked_on, note,
                                         today=today or date.today())
        app = apps.get(entry.application if entry else application.strip())
        if app is None and application.strip():
            problems.insert(0, ("application", Msg(f"申报编号“{application.strip()}”不在本评审批次中",
                                                   f"application “{application.strip()}” is not in this round")))
        if problems or entry is None or app is None:
            raise QbdeskError(Msg("；".join(f"{_ARG[f]}：{m.zh}" for f, m in problems) + "。未记录任何内容",
                                  "; ".join(f"{_ARG[f]}: {m.en}" for f, m in problems) + ". Nothing was recorded"))
        current = _records(s, [app.id]).get(app.id, {}).get(entry.check)
        detail = _apply(s, app, entry, current, by)
        if detail is not None:
            audit.record(s, "qualification.set", round_id=rid, actor=by, detail=detail)
    return SetResult(entry, detail is not None)


def clear_check(sessions: sessionmaker[Session], round_id: int | None, application: str, check_id: str, *,
                by: str = "") -> bool:
    """Remove a result recorded by mistake (the check is "not checked" again); False when none was on record."""
    from qbdesk.domain.qualification import find_check, unknown_check

    found = find_check(check_id)
    if found is None:
        raise QbdeskError(unknown_check(check_id))
    with sessions() as s, s.begin():
        rid = resolve_round(s, round_id).id
        app = _one(_apps(s, rid), application)
        current = _records(s, [app.id]).get(app.id, {}).get(found.id)
        if current is None:
            return False
        previous = _detail(_entry(current, app.external_id))
        s.delete(current)
        audit.record(s, "qualification.clear", round_id=rid, actor=by, detail={
            "application": app.external_id, "check": found.id, "by": by,
            "previous": {k: v for k, v in previous.items() if k not in ("application", "check")}})
    return True


@dataclass
class ChecklistImport:
    path: str
    problems: list[ChecklistProblem] = field(default_factory=list)
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> Msg:
        if self.problems:
            n = len(self.problems)
            return Msg(f"{self.path}：发现 {n} 处问题，未记录任何内容；请改正后重新导入",
                       f"{self.path}: {n} problem{'s' if n != 1 else ''} found; nothing was recorded. Correct them and import again")
        return Msg(f"{self.path}：已记录 {self.changed} 项审查结果（{self.unchanged} 项与原记录相同，{self.skipped} 行结果为空未导入）",
                   f"{self.path}: {self.changed} result{'s' if self.changed != 1 else ''} recorded "
                   f"({self.unchanged} already so, {self.skipped} rows with an empty result skipped)")


def import_checklist(sessions: sessionmaker[Session], round_id: int | None, path: str | Path, *, by: str = "",
                     today: date | None = None) -> ChecklistImport:
    """Check every row; record them all in one transaction (one audit entry), or none."""
    source = Path(path)
    rows = read_rows(source)  # SheetError (a QbdeskError) when the file cannot be read at all
    report = ChecklistImport(str(source))
    with sessions() as s, s.begin():
        rid = resolve_round(s, round_id).id
        apps = _apps(s, rid)
        parsed = parse_checklist(rows, applications=apps, today=today or date.today())
        report.skipped = parsed.skipped
        if not parsed.ok:
            report.problems = parsed.problems
            return report
        records = _records(s, [a.id for a in apps.values()])
        changes = []
        for e in parsed.entries:
            app = apps[e.application]
            detail = _apply(s, app, e, records.get(app.id, {}).get(e.check), by)
            if detail is None:
                report.unchanged += 1
            else:
                changes.append(detail)
        report.changed = len(changes)
        if changes:
            audit.record(s, "qualification.import", round_id=rid, actor=by,
                         detail={"file": source.name, "by": by, "changes": changes})
    return report


def write_checklist_template(session: Session, round_id: int | None, path: str | Path,
                             applications: Sequence[str] = ()) -> int:
    """The checklist for the round's applications (or those named), what is on record filled in."""
    rid = resolve_round(session, round_id).id
    apps = _apps(session, rid)
    chosen = [_one(apps, a) for a in applications] if applications else sorted(apps.values(), key=lambda a: a.external_id)
    records = _records(session, [a.id for a in chosen])
    who = {a.id: a for a in session.scalars(select(Applicant).where(Applicant.id.in_({a.applicant_id for a in chosen})))}
    rows = [TemplateApplication(a.external_id, a.program, who[a.applicant_id].name, who[a.applicant_id].credit_code,
                                {c: _entry(r, a.external_id) for c, r in records.get(a.id, {}).items()}) for a in chosen]
    return write_template(Path(path), rows)


def _one(apps: dict[str, Application], external_id: str) -> Application:
    app = apps.get(external_id.strip())
    if app is None:
        raise QbdeskError(Msg(f"申报编号“{external_id}”不在本评审批次中", f"application “{external_id}” is not in this round"))
    return app


# --- reading: the list, funding, the snapshot, status ----------------------------------------------


@dataclass(frozen=True)
class CheckState:
    check: str
    label: Msg
    veto: bool
    result: str | None  # None: not checked
    source: str = ""
    checked_on: str = ""  # ISO date
    note: str = ""
    recorded_by: str = ""

    def result_label(self) -> Msg:
        return RESULT_LABELS[self.result] if self.result else NOT_CHECKED


@dataclass(frozen=True)
class ApplicationChecks:
    external_id: str
    program: str
    checks: tuple[CheckState, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.check for c in self.checks if c.result is None)

    @property
    def vetoes(self) -> tuple[str, ...]:
        return tuple(c.check for c in self.checks if c.veto and c.result == FAIL)

    def to_json(self) -> dict[str, Any]:
        return {"application": self.external_id, "program": self.program, "missing": list(self.missing),
                "vetoed": bool(self.vetoes), "vetoes": list(self.vetoes),
                "checks": [{"check": c.check, "label": {"zh": c.label.zh, "en": c.label.en}, "veto": c.veto,
                            "result": c.result, "source": c.source, "date": c.checked_on or None, "note": c.note,
                            "by": c.recorded_by} for c in self.checks]}


def _states(records: dict[str, QualificationRecord]) -> tuple[CheckState, ...]:
    out = []
    for c in CHECKS:
        r = records.get(c.id)
        out.append(CheckState(c.id, c.label, c.veto, r.result if r else None, r.source if r else "",
                              r.checked_on.isoformat() if r else "", r.note if r else "", r.recorded_by if r else ""))
    return tuple(out)


def list_checks(session: Session, round_id: int | None, application: str | None = None) -> list[ApplicationChecks]:
    """Every check of every application (or of the one named), in application order."""
    rid = resolve_round(session, round_id).id
    apps = _apps(session, rid)
    chosen = [_one(apps, application)] if application else sorted(apps.values(), key=lambda a: a.external_id)
    records = _records(session, [a.id for a in chosen])
    return [ApplicationChecks(a.external_id, a.program, _states(records.get(a.id, {}))) for a in chosen]


def failed_vetoes(session: Session, application_ids: Iterable[int]) -> dict[int, tuple[Msg, ...]]:
    """Application id -> the reasons of its failed veto checks (what ``funding.recommend(veto=…)`` takes)."""
    out: dict[int, tuple[Msg, ...]] = {}
    for app_id, records in _records(session, application_ids).items():
        failed = tuple(veto_reason(c.id) for c in CHECKS if c.veto and records.get(c.id) and records[c.id].result == FAIL)
        if failed:
            out[app_id] = failed
    return out


def snapshot_facts(session: Session, application_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Application id -> the recorded checks as the snapshot carries them (``source`` still to redact).

    Only what was checked; never the note (it quotes records that name the applicant) nor who checked.
    """
    out: dict[int, list[dict[str, Any]]] = {}
    for app_id, records in _records(session, application_ids).items():
        out[app_id] = [{"check": c.id, "label": {"zh": c.label.zh, "en": c.label.en}, "veto": c.veto,
                        "result": records[c.id].result, "date": records[c.id].checked_on.isoformat(),
                        "source": records[c.id].source}
                       for c in CHECKS if c.id in records]
    return out


@dataclass(frozen=True)
class QualificationCounts:
    applications: int
    checked: int  # every check recorded
    missing: int  # at least one check not recorded
    vetoed: int  # at least one veto check failed

    def to_json(self) -> dict[str, int]:
        return {"applications": self.applications, "checked": self.checked, "missing_checks": self.missing,
                "vetoed": self.vetoed}


def qualification_counts(session: Session, round_id: int) -> QualificationCounts:
    ids = list(session.scalars(select(Application.id).where(Application.round_id == round_id)))
    records = _records(session, ids)
    checked = sum(1 for i in ids if all(c.id in records.get(i, {}) for c in CHECKS))
    vetoed = sum(1 for i in ids if any(c.veto and c.id in records.get(i, {}) and records[i][c.id].result == FAIL
                                       for c in CHECKS))
    return QualificationCounts(len(ids), checked, len(ids) - checked, vetoed)
