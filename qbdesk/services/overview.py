"""Read-only views of a round for the coordinator: what the main window lists.

Plain queries returning frozen dataclasses, so the GUI (off its UI thread)
and the CLI show the same numbers. This is the coordinator's side: applicant
identity (name, credit code) is part of the rows; nothing here may feed an
expert's screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.domain.programs import program as program_info
from qbdesk.store.models import Applicant, Application, Assignment, Attachment, ProgramConfig, Round


@dataclass(frozen=True)
class RoundInfo:
    id: int
    name: str
    year: int


@dataclass(frozen=True)
class ProgramCount:
    """One program within a round; ``configured`` says whether the round covers it."""

    program: str
    configured: bool
    applications: int
    requested_total: int  # yuan
    mode: str | None = None  # verified | scored, when configured
    blind: bool | None = None


@dataclass(frozen=True)
class RoundSummary:
    id: int
    name: str
    year: int
    programs: tuple[ProgramCount, ...]  # always all nine, P1..P9

    @property
    def applications(self) -> int:
        return sum(p.applications for p in self.programs)

    @property
    def requested_total(self) -> int:
        return sum(p.requested_total for p in self.programs)

    def count(self, code: str) -> ProgramCount:
        return next(p for p in self.programs if p.program == code)


@dataclass(frozen=True)
class ApplicationRow:
    """One application as the coordinator's table shows it."""

    id: int  # database id
    external_id: str
    program: str
    applicant_name: str
    credit_code: str
    title: str
    requested_amount: int  # yuan
    tier: str | None  # tier key (P5, P7), None elsewhere
    tier_label: Msg | None  # the tier's name from the round's table, None if unknown
    item_count: int
    blind_attachments: int
    nonblind_attachments: int
    assigned_experts: int

    @property
    def attachments(self) -> int:
        return self.blind_attachments + self.nonblind_attachments


def _round_not_found(round_id: int) -> QbdeskError:
    return QbdeskError(Msg(f"找不到评审批次 {round_id}", f"round {round_id} not found"))


def _check_program(code: str) -> None:
    if code not in PROGRAM_CODES:
        raise QbdeskError(Msg(
            f"未知项目类别 {code!r}，应为 {', '.join(PROGRAM_CODES)} 之一",
            f"unknown program {code!r}; expected one of {', '.join(PROGRAM_CODES)}",
        ))


def list_rounds(session: Session) -> list[RoundInfo]:
    """All rounds, newest first (by fund year, then by creation order)."""
    rows = session.execute(select(Round.id, Round.name, Round.year).order_by(Round.year.desc(), Round.id.desc()))
    return [RoundInfo(id=r.id, name=r.name, year=r.year) for r in rows]


def latest_round_id(session: Session) -> int | None:
    """The round a window opens on: the first of :func:`list_rounds`, or None for an empty database."""
    return session.scalar(select(Round.id).order_by(Round.year.desc(), Round.id.desc()).limit(1))


def round_summary(session: Session, round_id: int) -> RoundSummary:
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise _round_not_found(round_id)
    configs = {pc.program: pc for pc in session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == round_id))}
    configured = set(configs)
    counts = {
        r.program: (r.n, int(r.total or 0))
        for r in session.execute(
            select(Application.program, func.count().label("n"), func.sum(Application.requested_amount).label("total"))
            .where(Application.round_id == round_id)
            .group_by(Application.program)
        )
    }
    programs = tuple(
        ProgramCount(program=code, configured=code in configured,
                     applications=counts.get(code, (0, 0))[0], requested_total=counts.get(code, (0, 0))[1],
                     mode=configs[code].mode if code in configs else None,
                     blind=configs[code].blind if code in configs else None)
        for code in PROGRAM_CODES
    )
    return RoundSummary(id=rnd.id, name=rnd.name, year=rnd.year, programs=programs)


def _tier_tables(session: Session, round_id: int) -> dict[str, Mapping[str, Any]]:
    """Per program, the round's tier table when it overrides the default (P5, P7)."""
    rows = session.execute(
        select(ProgramConfig.program, ProgramConfig.tiers).where(ProgramConfig.round_id == round_id)
    )
    return {r.program: r.tiers for r in rows if r.tiers}


def _tier_label(code: str, tier: str | None, overrides: Mapping[str, Mapping[str, Any]]) -> Msg | None:
    if not tier:
        return None
    override = overrides.get(code, {}).get(tier)
    if isinstance(override, Mapping) and override.get("zh") and override.get("en"):
        return Msg(str(override["zh"]), str(override["en"]))
    default = program_info(code).funding.default_tiers.get(tier)
    return Msg(default.zh, default.en) if default else None


def application_rows(session: Session, round_id: int, program: str | None = None) -> list[ApplicationRow]:
    """The round's applications (optionally one program's), ordered by program then external id."""
    if session.get(Round, round_id) is None:
        raise _round_not_found(round_id)
    if program is not None:
        _check_program(program)
    # Counted in grouped subqueries so one statement serves any number of rows.
    att = (
        select(
            Attachment.application_id.label("app_id"),
            func.sum(case((Attachment.blind, 1), else_=0)).label("blind"),
            func.sum(case((Attachment.blind, 0), else_=1)).label("nonblind"),
        )
        .group_by(Attachment.application_id)
        .subquery()
    )
    asg = (
        select(Assignment.application_id.label("app_id"),
               func.count(func.distinct(Assignment.expert_id)).label("experts"))
        .where(Assignment.round_id == round_id)
        .group_by(Assignment.application_id)
        .subquery()
    )
    stmt = (
        select(
            Application.id, Application.external_id, Application.program, Applicant.name,
            Applicant.credit_code, Application.title, Application.requested_amount, Application.tier,
            Application.items,
            func.coalesce(att.c.blind, 0).cast(Integer).label("blind"),
            func.coalesce(att.c.nonblind, 0).cast(Integer).label("nonblind"),
            func.coalesce(asg.c.experts, 0).label("experts"),
        )
        .join(Applicant, Applicant.id == Application.applicant_id)
        .outerjoin(att, att.c.app_id == Application.id)
        .outerjoin(asg, asg.c.app_id == Application.id)
        .where(Application.round_id == round_id)
        .order_by(Application.program, Application.external_id)
    )
    if program is not None:
        stmt = stmt.where(Application.program == program)
    tiers = _tier_tables(session, round_id)
    return [
        ApplicationRow(
            id=r.id, external_id=r.external_id, program=r.program, applicant_name=r.name,
            credit_code=r.credit_code, title=r.title, requested_amount=r.requested_amount, tier=r.tier,
            tier_label=_tier_label(r.program, r.tier, tiers),
            item_count=len(r.items or []), blind_attachments=r.blind, nonblind_attachments=r.nonblind,
            assigned_experts=r.experts,
        )
        for r in session.execute(stmt)
    ]


@dataclass(frozen=True)
class RoundOverview:
    """Everything the coordinator's main window shows, read in one session."""

    rounds: tuple[RoundInfo, ...]
    summary: RoundSummary | None  # None: the database has no round (or not the one asked for)
    rows: tuple[ApplicationRow, ...]


def round_overview(session: Session, round_id: int | None = None) -> RoundOverview:
    """The given round, or the latest one when ``round_id`` is None or no longer exists."""
    rounds = tuple(list_rounds(session))
    ids = {r.id for r in rounds}
    chosen = round_id if round_id in ids else (rounds[0].id if rounds else None)
    if chosen is None:
        return RoundOverview(rounds=rounds, summary=None, rows=())
    return RoundOverview(rounds=rounds, summary=round_summary(session, chosen),
                         rows=tuple(application_rows(session, chosen)))
