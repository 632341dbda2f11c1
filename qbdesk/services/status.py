"""The state of a round at a glance: counts per program, problems, assignment coverage.

What ``qbdesk status`` prints and the coordinator workspace shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbdesk.domain.messages import Msg
from qbdesk.domain.programs import program
from qbdesk.services.qualification import qualification_counts
from qbdesk.services.rounds import resolve_round
from qbdesk.store.models import (
    Application,
    Assignment,
    Attachment,
    Expert,
    Panel,
    PanelMember,
    ProgramConfig,
    Recusal,
    Score,
    ScoreFileRecord,
    Snapshot,
)


@dataclass(frozen=True)
class Problem:
    code: str
    msg: Msg
    program: str | None = None
    application: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "program": self.program, "application": self.application,
                "zh": self.msg.zh, "en": self.msg.en}


@dataclass
class ProgramStatus:
    code: str
    name_zh: str
    name_en: str
    applications: int = 0
    experts: int = 0
    assignments: int = 0
    covered: int = 0
    scored: int = 0  # assignments an accepted score file covers (scored or recused)
    budget: int | None = None
    per_application: int | None = None
    mode: str = "scored"  # verified (核准类) | scored (评审类)
    blind: bool = True
    pass_threshold: float | None = None  # None: verified, no pass line
    shortfall: str = "pro_rata"


@dataclass
class RoundStatus:
    round_id: int
    name: str
    year: int
    programs: dict[str, ProgramStatus] = field(default_factory=dict)
    experts: int = 0
    snapshots: int = 0
    score_files: dict[str, int] = field(default_factory=lambda: {"accepted": 0, "superseded": 0})
    problems: list[Problem] = field(default_factory=list)
    qualification: dict[str, int] = field(default_factory=dict)  # applications checked / missing_checks / vetoed

    @property
    def applications(self) -> int:
        return sum(p.applications for p in self.programs.values())

    @property
    def covered(self) -> int:
        return sum(p.covered for p in self.programs.values())

    @property
    def assignments(self) -> int:
        return sum(p.assignments for p in self.programs.values())

    @property
    def scored(self) -> int:
        return sum(p.scored for p in self.programs.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "round": {"id": self.round_id, "name": self.name, "year": self.year},
            "programs": {c: asdict(p) for c, p in self.programs.items()},
            "experts": self.experts,
            "coverage": {"applications": self.applications, "covered": self.covered,
                         "complete": self.applications > 0 and self.covered == self.applications},
            "scoring": {"snapshots": self.snapshots, "score_files": dict(self.score_files),
                        "assignments": self.assignments, "scored": self.scored,
                        "complete": self.assignments > 0 and self.scored == self.assignments},
            "qualification": dict(self.qualification),
            "problems": [p.to_json() for p in self.problems],
        }


def round_status(session: Session, round_id: int | None = None) -> RoundStatus:
    from qbdesk.services.assignment import coverage

    r = resolve_round(session, round_id)
    st = RoundStatus(round_id=r.id, name=r.name, year=r.year)
    for pc in session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == r.id).order_by(ProgramConfig.program)):
        p = program(pc.program)
        st.programs[pc.program] = ProgramStatus(pc.program, p.zh, p.en, budget=pc.budget, per_application=pc.per_application,
                                                mode=pc.mode, blind=pc.blind, pass_threshold=pc.pass_threshold,
                                                shortfall=pc.shortfall)
    st.programs = dict(sorted(st.programs.items(), key=lambda kv: int(kv[0][1:])))

    for code, n in session.execute(select(Application.program, func.count()).where(Application.round_id == r.id)
                                   .group_by(Application.program)):
        if code in st.programs:
            st.programs[code].applications = n
    for code, n in session.execute(select(Panel.program, func.count()).join(PanelMember)
                                   .where(Panel.round_id == r.id).group_by(Panel.program)):
        if code in st.programs:
            st.programs[code].experts = n
    for code, n in session.execute(select(Application.program, func.count()).join(Assignment, Assignment.application_id == Application.id)
                                   .where(Application.round_id == r.id).group_by(Application.program)):
        if code in st.programs:
            st.programs[code].assignments = n
    st.experts = session.scalar(select(func.count()).select_from(Expert).where(Expert.round_id == r.id)) or 0

    _scoring(session, st)
    st.qualification = qualification_counts(session, r.id).to_json()

    cov = coverage(session, r.id)
    for code, c in cov.items():
        if code in st.programs:
            st.programs[code].covered = c["covered"]
            for ext_id in c.get("uncovered", []):
                st.problems.append(Problem("uncovered", Msg(f"申报 {ext_id} 评审专家不足", f"application {ext_id} has too few experts"),
                                           code, ext_id))

    for code, ps in st.programs.items():
        if ps.applications == 0:
            st.problems.append(Problem("no_applications", Msg(f"{code} 没有申报", f"{code} has no applications"), code))
        elif ps.experts == 0:
            st.problems.append(Problem("no_panel", Msg(f"{code} 有 {ps.applications} 个申报，但没有评审专家",
                                                       f"{code} has {ps.applications} applications but no experts"), code))

    blind = (select(Attachment.application_id).where(Attachment.blind.is_(True)))
    for ext_id, code in session.execute(select(Application.external_id, Application.program)
                                        .where(Application.round_id == r.id, Application.id.not_in(blind))
                                        .order_by(Application.external_id)):
        st.problems.append(Problem("no_blind_material",
                                   Msg(f"申报 {ext_id} 没有可供专家查看的脱敏材料", f"application {ext_id} has no blind attachment for experts"),
                                   code, ext_id))
    return st


def _scoring(session: Session, st: RoundStatus) -> None:
    """Snapshots built, score files received, and the assignments an accepted file covers."""
    rid = st.round_id
    st.snapshots = session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.round_id == rid)) or 0
    for status, n in session.execute(select(ScoreFileRecord.status, func.count()).where(ScoreFileRecord.round_id == rid)
                                     .group_by(ScoreFileRecord.status)):
        st.score_files[status] = n
    accepted = select(ScoreFileRecord.id).where(ScoreFileRecord.round_id == rid, ScoreFileRecord.status == "accepted")
    covered = set(session.execute(select(Score.expert_id, Score.application_id)
                                  .where(Score.score_file_id.in_(accepted)).distinct()).all())
    covered |= set(session.execute(select(Recusal.expert_id, Recusal.application_id)
                                   .where(Recusal.score_file_id.in_(accepted))).all())
    if not covered:
        return
    for code, expert_id, app_id in session.execute(
            select(Application.program, Assignment.expert_id, Assignment.application_id)
            .join(Application, Application.id == Assignment.application_id).where(Assignment.round_id == rid)):
        if (expert_id, app_id) in covered and code in st.programs:
            st.programs[code].scored += 1
