"""The state of a round at a glance: counts per program, problems, assignment coverage.

What ``qbdesk status`` prints and the coordinator workspace shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbdesk.domain.messages import Msg, count_en
from qbdesk.domain.programs import program
from qbdesk.services.qualification import qualification_counts
from qbdesk.services.rounds import resolve_round
from qbdesk.store import audit
from qbdesk.store.models import (
    Application,
    Assignment,
    Attachment,
    Conflict,
    Expert,
    Panel,
    PanelMember,
    ProgramConfig,
    Recusal,
    ScoreFileRecord,
    ScoreSheet,
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


@dataclass(frozen=True)
class RecusalStatus:
    """An expert stepped aside from an application (in a score file in force)."""

    expert: str
    application: str
    program: str
    reason: str


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
    recusals: list[RecusalStatus] = field(default_factory=list)
    qualification: dict[str, int] = field(default_factory=dict)  # applications checked / missing_checks / vetoed
    audit_head: tuple[int, str] | None = None  # the audit chain's last entry (id, hash): keep it on paper
    results_frozen: dict[str, Any] | None = None  # the newest frozen result and whether the results still equal it

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
                        "recused": len(self.recusals),
                        "complete": self.assignments > 0 and self.scored == self.assignments},
            "recusals": [asdict(x) for x in self.recusals],
            "qualification": dict(self.qualification),
            "problems": [p.to_json() for p in self.problems],
            "audit_head": None if self.audit_head is None else {"entry": self.audit_head[0], "hash": self.audit_head[1]},
            "results_frozen": self.results_frozen,
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
    _recusals(session, st)
    st.audit_head = audit.head(session)
    st.qualification = qualification_counts(session, r.id).to_json()
    _frozen(session, st)

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
                                                       f"{code} has {count_en(ps.applications, 'application')} but no experts"), code))

    blind = (select(Attachment.application_id).where(Attachment.blind.is_(True)))
    for ext_id, code in session.execute(select(Application.external_id, Application.program)
                                        .where(Application.round_id == r.id, Application.id.not_in(blind))
                                        .order_by(Application.external_id)):
        st.problems.append(Problem("no_blind_material",
                                   Msg(f"申报 {ext_id} 没有可供专家查看的脱敏材料", f"application {ext_id} has no blind attachment for experts"),
                                   code, ext_id))
    return st


def _frozen(session: Session, st: RoundStatus) -> None:
    """Once results are frozen: whether they still hold, and a problem when scores or settings changed them."""
    from qbdesk.services.results_freeze import since_frozen

    info = since_frozen(session, st.round_id)
    if info is None:
        return
    st.results_frozen = {"frozen": info["frozen"], "at": info["at"], "sha256": info["sha256"],
                         "identical": info["identical"], "changes": len(info["changes"])}
    if not info["identical"]:
        n = len(info["changes"])
        st.problems.append(Problem("results_changed", Msg(
            f"结果自固化（#{info['frozen']}）以来已变化 {n} 处：qbdesk results diff",
            f"the results changed since frozen result #{info['frozen']} ({count_en(n, 'change')}): qbdesk results diff")))


def _recusals(session: Session, st: RoundStatus) -> None:
    """Recusals in the score files in force, and each application they leave with fewer experts
    than the program asks for (its experts per application, else as many as were assigned)."""
    rid = st.round_id
    accepted = select(ScoreFileRecord.id).where(ScoreFileRecord.round_id == rid, ScoreFileRecord.status == "accepted")
    rows = session.execute(
        select(Expert.external_id, Application.external_id, Application.program, Recusal.reason, Application.id)
        .join(Expert, Expert.id == Recusal.expert_id).join(Application, Application.id == Recusal.application_id)
        .where(Recusal.score_file_id.in_(accepted)).order_by(Application.external_id, Expert.external_id)).all()
    if not rows:
        return
    st.recusals = [RecusalStatus(e, a, p, reason) for e, a, p, reason, _ in rows]
    recused_from = {}
    for _, ext_id, code, _, app_id in rows:
        recused_from.setdefault((app_id, ext_id, code), 0)
        recused_from[(app_id, ext_id, code)] += 1
    for (app_id, ext_id, code), n_recused in recused_from.items():
        ps = st.programs.get(code)
        if ps is None:
            continue
        assigned = session.scalar(select(func.count()).select_from(Assignment)
                                  .where(Assignment.application_id == app_id)) or 0
        wanted = ps.per_application or assigned  # no k configured: as many as were assigned
        left = assigned - n_recused
        if left < wanted:
            st.problems.append(Problem("short_after_recusal", Msg(
                f"申报 {ext_id} 有 {n_recused} 位专家回避，只剩 {left} 位评审专家（应为 {wanted} 位）：请补充分配",
                f"application {ext_id} lost {count_en(n_recused, 'expert')} to recusal and has {left} left "
                f"({wanted} wanted): assign another"), code, ext_id))


def _scoring(session: Session, st: RoundStatus) -> None:
    """Snapshots built, score files received, and the assignments an accepted file covers."""
    rid = st.round_id
    st.snapshots = session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.round_id == rid)) or 0
    for status, n in session.execute(select(ScoreFileRecord.status, func.count()).where(ScoreFileRecord.round_id == rid)
                                     .group_by(ScoreFileRecord.status)):
        st.score_files[status] = n
    accepted = select(ScoreFileRecord.id).where(ScoreFileRecord.round_id == rid, ScoreFileRecord.status == "accepted")
    covered = set(session.execute(select(ScoreSheet.expert_id, ScoreSheet.application_id)
                                  .where(ScoreSheet.score_file_id.in_(accepted)).distinct()).all())
    covered |= set(session.execute(select(Recusal.expert_id, Recusal.application_id)
                                   .where(Recusal.score_file_id.in_(accepted))).all())
    _scores_out_of_force(session, st, accepted)
    if not covered:
        return
    for code, expert_id, app_id in session.execute(
            select(Application.program, Assignment.expert_id, Assignment.application_id)
            .join(Application, Application.id == Assignment.application_id).where(Assignment.round_id == rid)):
        if (expert_id, app_id) in covered and code in st.programs:
            st.programs[code].scored += 1


def _scores_out_of_force(session: Session, st: RoundStatus, accepted: Any) -> None:
    """Scores in force on a pair now in conflict or no longer assigned (assign ran again after the
    import), and files in force from a snapshot a later build superseded: each a problem to decide."""
    scored = set(session.execute(select(ScoreSheet.expert_id, ScoreSheet.application_id)
                                 .where(ScoreSheet.score_file_id.in_(accepted)).distinct()).all())
    if scored:
        assigned = set(session.execute(select(Assignment.expert_id, Assignment.application_id)
                                       .where(Assignment.round_id == st.round_id)).all())
        conflicted = set(session.execute(select(Conflict.expert_id, Conflict.application_id)).all())
        names = dict(session.execute(select(Expert.id, Expert.external_id).where(Expert.round_id == st.round_id)).all())
        apps = dict(session.execute(select(Application.id, Application.external_id)
                                    .where(Application.round_id == st.round_id)).all())
        for expert_id, app_id in sorted(scored):
            who, what = names.get(expert_id, expert_id), apps.get(app_id, app_id)
            if (expert_id, app_id) in conflicted:
                st.problems.append(Problem("scores_in_conflict", Msg(
                    f"专家 {who} 对申报 {what} 的有效评分与现有回避关系冲突", f"expert {who}'s scores in force on "
                    f"application {what} conflict with a conflict of interest recorded since"), application=str(what)))
            elif (expert_id, app_id) not in assigned:
                st.problems.append(Problem("scores_not_assigned", Msg(
                    f"专家 {who} 对申报 {what} 的有效评分不在当前分配中", f"expert {who}'s scores in force on "
                    f"application {what} are not for a current assignment"), application=str(what)))
    n = session.scalar(select(func.count()).select_from(ScoreFileRecord).join(Snapshot, Snapshot.id == ScoreFileRecord.snapshot_id)
                       .where(ScoreFileRecord.id.in_(accepted), Snapshot.superseded_by.is_not(None))) or 0
    if n:
        st.problems.append(Problem("superseded_in_force", Msg(
            f"{n} 个有效评分文件来自已被取代的快照（快照已重新生成）", f"{n} score files in force come from superseded "
            f"snapshots (the snapshots were rebuilt)")))
