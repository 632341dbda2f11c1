"""The expert draw for one program of a round (专家随机抽取), recorded in the audit log.

:func:`draw_panel` reads the program's expert pool (the round's experts whose roster lists the
program), the program's applications and the conflicts on record, lets :func:`qbdesk.domain.draw.draw`
draw the panel and its reserves from the announced seed, and appends the draw's record (seed, pool,
who was skipped and why, drawn, reserves) to the audit log as ``experts.draw``. The round's
settings keep the last draw of each program under ``draws``. The panel itself and the assignment
are left as they are: the record is what the later steps and the printed draw record read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain import draw as algo
from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.orgname import normalise_org
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.services.experts import CODE, ORG
from qbdesk.store import audit
from qbdesk.store.models import Applicant, Application, Conflict, Expert, ProgramConfig, Round


def _candidate(e: Expert) -> algo.Candidate:
    codes, orgs = set(), set()
    for d in e.declared_conflicts or []:
        if d.get("kind") == CODE:
            codes.add(str(d.get("value", "")).strip().upper())
        elif d.get("kind") == ORG and (key := normalise_org(str(d.get("value", "")))):
            orgs.add(key)
    return algo.Candidate(id=e.external_id, org=normalise_org(e.organisation),
                          declared_codes=frozenset(codes), declared_orgs=frozenset(orgs))


def draw_panel(session_factory: sessionmaker[Session], round_id: int, program: str, *, count: int,
               reserve: int = 0, seed: int, actor: str = "") -> algo.Draw:
    """Draw ``count`` experts and ``reserve`` reserves for ``program``; audited."""
    if program not in PROGRAM_CODES:
        raise QbdeskError(Msg(f"未知项目 {program}（应为 P1…P9）", f"unknown program {program} (expected P1…P9)"))
    with session_factory.begin() as s:
        rnd = s.get(Round, round_id)
        if rnd is None:
            raise QbdeskError(Msg(f"没有编号为 {round_id} 的评审批次", f"there is no round {round_id}"))
        configured = set(s.scalars(select(ProgramConfig.program).where(ProgramConfig.round_id == round_id)))
        if program not in configured:
            raise QbdeskError(Msg(f"评审批次 {round_id} 不含项目 {program}", f"round {round_id} has no program {program}"))
        apps = s.execute(select(Application.id, Application.external_id, Applicant.credit_code, Applicant.name)
                         .join(Applicant, Application.applicant_id == Applicant.id)
                         .where(Application.round_id == round_id, Application.program == program)
                         .order_by(Application.external_id)).all()
        if not apps:
            raise QbdeskError(Msg(f"{program} 还没有申报，无法核对回避；请先导入申报材料",
                                  f"{program} has no applications yet, so conflicts cannot be checked: "
                                  "import the applications first"))
        experts = [e for e in s.scalars(select(Expert).where(Expert.round_id == round_id).order_by(Expert.external_id))
                   if program in (e.programs or [])]
        if not experts:
            raise QbdeskError(Msg(f"专家名单中没有可评审 {program} 的专家", f"no expert on the roster serves {program}"))
        ext_app = {a.id: a.external_id for a in apps}
        ext_expert = {e.id: e.external_id for e in experts}
        recorded = [(ext_expert[c.expert_id], ext_app[c.application_id], c.source)
                    for c in s.scalars(select(Conflict).where(Conflict.application_id.in_(list(ext_app)),
                                                              Conflict.expert_id.in_(list(ext_expert))))]
        result = algo.draw(program, [_candidate(e) for e in experts],
                           [(a.external_id, a.credit_code, normalise_org(a.name)) for a in apps],
                           count=count, reserve=reserve, seed=seed, recorded=recorded)
        record = result.record()
        audit.record(s, "experts.draw", round_id=round_id, actor=actor, detail=record)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        draws = dict((rnd.settings or {}).get("draws") or {})
        draws[program] = {**record, "at": at}
        rnd.settings = {**(rnd.settings or {}), "draws": draws}
    return result
