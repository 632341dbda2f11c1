"""Assigning a round's applications to its experts (分配评审任务), and how far that got.

:func:`assign` reads the round, lets :mod:`qbdesk.domain.assignment` find the
conflicts and choose the experts, and replaces the round's previous
rule-found conflicts and assignments with the new ones in one transaction.
Recusals already on record (source ``recusal``) are kept and respected.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain import assignment as algo
from qbdesk.domain.messages import Msg, QbdeskError, count_en
from qbdesk.domain.orgname import normalise_org
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.services.experts import CODE, ORG
from qbdesk.store import audit
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Conflict,
    Expert,
    Panel,
    PanelMember,
    ProgramConfig,
    Round,
)

RULE_SOURCES = ("declared_code", "declared_org", "same_org")
SOURCE_NAMES = {
    "declared_code": Msg("申明回避信用代码", "declared credit code"),
    "declared_org": Msg("申明回避单位", "declared organisation"),
    "same_org": Msg("同单位", "same organisation"),
    "recusal": Msg("已回避", "recused"),
}


def _program_order(code: str) -> int:
    return PROGRAM_CODES.index(code) if code in PROGRAM_CODES else len(PROGRAM_CODES)


@dataclass(frozen=True)
class ProgramAssignment:
    program: str
    per_application: int | None  # None: the whole panel
    panel: int
    applications: int
    covered: int
    assignments: int
    load_min: int
    load_max: int

    def line(self) -> Msg:
        mode_zh = "全组评审" if self.per_application is None else f"每个申报 {self.per_application} 人"
        mode_en = "whole panel" if self.per_application is None else f"{self.per_application} per application"
        load = str(self.load_min) if self.load_min == self.load_max else f"{self.load_min}–{self.load_max}"
        return Msg(
            f"{self.program}：{self.applications} 个申报，专家组 {self.panel} 人，{mode_zh}，"
            f"覆盖 {self.covered}/{self.applications}，每人 {load} 个",
            f"{self.program}: {count_en(self.applications, 'application')}, panel of {self.panel}, {mode_en}, "
            f"covered {self.covered}/{self.applications}, {load} per expert",
        )


@dataclass(frozen=True)
class UncoveredApplication:
    application: str  # external id
    program: str
    needed: int
    available: int
    msg: Msg


@dataclass
class AssignmentReport:
    round_id: int
    seed: int
    programs: list[ProgramAssignment] = field(default_factory=list)
    conflicts: dict[str, int] = field(default_factory=dict)  # source -> pairs
    uncovered: list[UncoveredApplication] = field(default_factory=list)
    assignments: int = 0

    @property
    def ok(self) -> bool:
        return not self.uncovered

    def summary(self) -> list[Msg]:
        lines = [p.line() for p in self.programs]
        if self.conflicts:
            lines.append(Msg(
                "回避：" + "，".join(f"{SOURCE_NAMES[s].zh} {n} 项" for s, n in self.conflicts.items()),
                "conflicts: " + ", ".join(f"{SOURCE_NAMES[s].en} {n}" for s, n in self.conflicts.items())))
        for u in self.uncovered:
            lines.append(Msg(f"未覆盖 {u.application}（{u.program}）：{u.msg.zh}",
                             f"not covered {u.application} ({u.program}): {u.msg.en}"))
        lines.append(Msg(f"共 {self.assignments} 项评审任务（随机种子 {self.seed}）",
                         f"{count_en(self.assignments, 'assignment')} in all (seed {self.seed})"))
        return lines


def _expert_input(e: Expert, programs: frozenset[str]) -> algo.ExpertIn:
    codes, orgs = set(), set()
    for d in e.declared_conflicts or []:
        if d.get("kind") == CODE:
            codes.add(str(d.get("value", "")).strip().upper())
        elif d.get("kind") == ORG and (key := normalise_org(str(d.get("value", "")))):
            orgs.add(key)
    return algo.ExpertIn(id=e.id, programs=programs, org=normalise_org(e.organisation),
                         declared_codes=frozenset(codes), declared_orgs=frozenset(orgs))


def _uncovered_msg(u: algo.Uncovered, why: list[tuple[str, str]]) -> Msg:
    base = u.reason()
    if not why:
        return base
    zh = "、".join(f"{ext}（{SOURCE_NAMES[src].zh}）" for ext, src in why)
    en = ", ".join(f"{ext} ({SOURCE_NAMES[src].en})" for ext, src in why)
    return Msg(f"{base.zh}；回避：{zh}", f"{base.en}; conflicted: {en}")


def assign(session_factory: sessionmaker[Session], round_id: int, *, per_application: int | None = None,
           seed: int = 0) -> AssignmentReport:
    """Find conflicts and assign experts; ``per_application`` overrides every program's setting."""
    if per_application is not None and per_application < 1:
        raise QbdeskError(Msg("每个申报的专家数至少为 1", "experts per application must be at least 1"))
    report = AssignmentReport(round_id=round_id, seed=seed)
    with session_factory.begin() as s:
        rnd = s.get(Round, round_id)
        if rnd is None:
            raise QbdeskError(Msg(f"没有编号为 {round_id} 的评审批次", f"there is no round {round_id}"))
        configured = {pc.program: pc.per_application
                      for pc in s.scalars(select(ProgramConfig).where(ProgramConfig.round_id == round_id))}
        rows = s.execute(select(Application.id, Application.external_id, Application.program,
                                Applicant.credit_code, Applicant.name)
                         .join(Applicant, Application.applicant_id == Applicant.id)
                         .where(Application.round_id == round_id)).all()
        apps = [algo.ApplicationIn(r.id, r.program, r.credit_code, normalise_org(r.name)) for r in rows]
        ext_app = {r.id: r.external_id for r in rows}
        programs_of: dict[int, set[str]] = defaultdict(set)
        for program, expert_id in s.execute(select(Panel.program, PanelMember.expert_id).join(PanelMember)
                                            .where(Panel.round_id == round_id)):
            programs_of[expert_id].add(program)
        experts = s.scalars(select(Expert).where(Expert.round_id == round_id)).all()
        ext_expert = {e.id: e.external_id for e in experts}
        inputs = [_expert_input(e, frozenset(programs_of.get(e.id, ()))) for e in experts]
        round_apps = select(Application.id).where(Application.round_id == round_id)
        recused = s.execute(select(Conflict.expert_id, Conflict.application_id)
                            .where(Conflict.source == "recusal", Conflict.application_id.in_(round_apps))).all()
        modes = {p: per_application if per_application is not None else configured.get(p)
                 for p in sorted({a.program for a in apps} | set(configured), key=_program_order)}

        result = algo.assign(apps, inputs, modes, seed, excluded=[tuple(r) for r in recused])

        s.execute(delete(Conflict).where(Conflict.source.in_(RULE_SOURCES), Conflict.application_id.in_(round_apps)))
        s.execute(delete(Assignment).where(Assignment.round_id == round_id))
        if result.conflicts:
            s.execute(insert(Conflict), [{"expert_id": c.expert_id, "application_id": c.application_id,
                                          "source": c.source, "detail": c.detail[:300]} for c in result.conflicts])
        if result.assignments:
            s.execute(insert(Assignment), [{"round_id": round_id, "expert_id": e, "application_id": a, "seed": seed}
                                           for a, e in result.assignments])
        at = datetime.now(UTC).isoformat(timespec="seconds")
        rnd.settings = {**(rnd.settings or {}), "assignment": {"seed": seed, "per_application": modes, "at": at}}

        _fill_report(report, result, apps, modes, ext_app, ext_expert, recused, programs_of)
        audit.record(s, "assign", round_id=round_id, detail={
            "seed": seed, "per_application": modes, "assignments": report.assignments,
            "conflicts": report.conflicts, "uncovered": [u.application for u in report.uncovered],
            # Each pair, so that `scores recheck` can find a conflict deleted from the database later.
            "conflict_pairs": sorted([ext_expert[c.expert_id], ext_app[c.application_id], c.source]
                                     for c in result.conflicts),
        })
    return report


def _fill_report(report: AssignmentReport, result: algo.AssignmentResult, apps: list[algo.ApplicationIn],
                 modes: dict[str, int | None], ext_app: dict[int, str], ext_expert: dict[int, str],
                 recused: list[Any], programs_of: dict[int, set[str]]) -> None:
    report.assignments = len(result.assignments)
    report.conflicts = dict(sorted(Counter(c.source for c in result.conflicts).items()))
    program_of = {a.id: a.program for a in apps}
    why: dict[int, list[tuple[str, str]]] = defaultdict(list)  # only panel members explain a shortfall
    for expert_id, app_id, source in [(c.expert_id, c.application_id, c.source) for c in result.conflicts] + \
            [(e, a, "recusal") for e, a in recused]:
        if program_of.get(app_id) in programs_of.get(expert_id, ()):
            why[app_id].append((ext_expert.get(expert_id, str(expert_id)), source))
    per_app = Counter(a for a, _ in result.assignments)
    uncovered_ids = {u.application_id for u in result.uncovered}
    for program in sorted({a.program for a in apps}, key=_program_order):
        loads = result.loads.get(program, {})
        mine = [a for a in apps if a.program == program]
        report.programs.append(ProgramAssignment(
            program=program, per_application=modes.get(program), panel=len(loads), applications=len(mine),
            covered=sum(a.id not in uncovered_ids for a in mine), assignments=sum(per_app[a.id] for a in mine),
            load_min=min(loads.values(), default=0), load_max=max(loads.values(), default=0)))
    for u in sorted(result.uncovered, key=lambda u: (_program_order(u.program), ext_app[u.application_id])):
        report.uncovered.append(UncoveredApplication(
            application=ext_app[u.application_id], program=u.program, needed=u.needed, available=u.available,
            msg=_uncovered_msg(u, sorted(set(why[u.application_id])))))


def coverage(session: Session, round_id: int) -> dict[str, dict[str, Any]]:
    """Per program: applications, assigned (at least one expert), covered (as many as required).

    The requirement is the one the last :func:`assign` used (else the round's setting); with the
    whole panel, one expert suffices. ``uncovered`` lists the external ids of applications short of
    it, but only once an assignment has been run (``assigned_at`` says when).
    """
    rnd = session.get(Round, round_id)
    last = (rnd.settings or {}).get("assignment") if rnd else None
    configured = {pc.program: pc.per_application
                  for pc in session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == round_id))}
    required = dict(configured)
    if last:
        required.update(last.get("per_application") or {})
    counts = select(Assignment.application_id, func.count().label("n")).where(Assignment.round_id == round_id) \
        .group_by(Assignment.application_id).subquery()
    rows = session.execute(select(Application.program, Application.external_id, counts.c.n)
                           .outerjoin(counts, counts.c.application_id == Application.id)
                           .where(Application.round_id == round_id)
                           .order_by(Application.external_id)).all()
    out: dict[str, dict[str, Any]] = {
        p: {"applications": 0, "assigned": 0, "covered": 0, "per_application": required.get(p), "uncovered": [],
            "assigned_at": last.get("at") if last else None}
        for p in sorted(configured, key=_program_order)
    }
    for program, ext_id, n in rows:
        entry = out.setdefault(program, {"applications": 0, "assigned": 0, "covered": 0,
                                         "per_application": required.get(program), "uncovered": [],
                                         "assigned_at": last.get("at") if last else None})
        n = n or 0
        entry["applications"] += 1
        entry["assigned"] += n > 0
        if n >= (required.get(program) or 1):
            entry["covered"] += 1
        elif last:
            entry["uncovered"].append(ext_id)
    return dict(sorted(out.items(), key=lambda kv: _program_order(kv[0])))
