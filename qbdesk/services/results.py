"""The round's results (评审结果): aggregation, agreement, calibration, ranking and funding.

``round_results`` reads the round (score rows in force, assignments, recusals, conflicts, the
qualification check's vetoes, each program's configuration and rubric, the grants of earlier
rounds of the same fund year) and returns the results document, ``"format": "qbdesk.results/1"``
(docs/formats.md). ``program_results`` is the computation of one program on plain inputs, with
no database: the bench times it, the service calls it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbdesk.domain.aggregation import (
    AggregationSettings,
    ApplicationScores,
    aggregate_program,
    values_from_score_rows,
    with_calibrated,
)
from qbdesk.domain.agreement import agreement
from qbdesk.domain.calibration import calibrate
from qbdesk.domain.funding import FundingRequest, PriorGrants, allocate, describe_rule
from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.programs import ProgramSettings, program
from qbdesk.domain.ranking import rank_program, verified_order
from qbdesk.domain.rubric import Rubric, load_rubric_data
from qbdesk.domain.verified import allocate_verified

FORMAT = "qbdesk.results/1"


@dataclass(frozen=True)
class Candidate:
    """One application as the results need it (package id, enterprise, what it asks for)."""

    application: str
    credit_code: str
    applicant: str = ""
    title: str = ""
    requested_amount: int | None = None
    tier: str | None = None  # the 2026.1 rules' single declared tier
    veto: tuple[Msg, ...] = ()


@dataclass(frozen=True)
class ProgramInputs:
    settings: ProgramSettings
    aggregation: AggregationSettings
    rubric: Rubric
    scores: Sequence[ApplicationScores]
    candidates: Mapping[str, Candidate]
    prior: Mapping[str, PriorGrants] = field(default_factory=dict)  # credit code -> earlier rounds of the year
    excluded: Mapping[str, Sequence[Msg]] = field(default_factory=dict)  # application -> values not counted, why


def _msg(m: Msg) -> dict[str, str]:
    return {"zh": m.zh, "en": m.en}


def tier_order(settings: ProgramSettings) -> tuple[str, ...]:
    """The program's tier keys from the smallest amount up (what the tier tie rule ``lower`` takes)."""
    try:
        table = settings.tier_table()
    except KeyError:
        return ()
    return tuple(k for k, _ in sorted(table.items(), key=lambda kv: (kv[1].amount, kv[0])))


def program_results(inp: ProgramInputs, *, calibrated: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the program's entry of the results document, its experts' entries)."""
    st, rb, agg_settings = inp.settings, inp.rubric, inp.aggregation
    code = st.program
    verified = st.verified
    agg = aggregate_program(code, rb, inp.scores, agg_settings, tier_order=tier_order(st))
    key = rb.key_criterion
    key_name = rb.criterion(key).name if key else None
    if verified:
        placed = verified_order(agg.applications, method=agg_settings.method, key_criterion=key,
                                key_minimum=st.key_minimum, key_name=key_name)
    else:
        placed = rank_program(agg.applications, method=agg_settings.method, key_criterion=key,
                              pass_threshold=st.pass_threshold, key_minimum=st.key_minimum, key_name=key_name)
    kind = program(code).funding.kind
    requests = []
    for r in placed:
        a, c = r.aggregate, inp.candidates[r.application]
        accepted = a.accepted_items
        tiers = tuple(i.tier for i in accepted if i.tier) if kind == "tiered" and st.rules != "2026.1" else None
        requests.append(FundingRequest(
            application_id=a.application, credit_code=c.credit_code, gate_passed=a.gates_passed and bool(a.counted),
            passed_threshold=r.passed_threshold, accepted_items=len(accepted), tier=c.tier,
            requested_amount=c.requested_amount, accepted_tiers=tiers, key_criterion_met=r.key_criterion_met,
            veto=c.veto))
    note = None
    if verified:
        allocation = allocate_verified(st, requests, prior=inp.prior)
        decisions = dict((rq.application_id, d) for rq, d in allocation.decisions)
        note = allocation.note
    else:
        decisions = dict((rq.application_id, d) for rq, d in allocate(st, requests, prior=inp.prior))

    matrix = agg.totals_matrix()
    agree = agreement(matrix)
    cal = calibrate(matrix)
    offsets = {e: x.offset for e, x in cal.experts.items()}
    apps = []
    for r in placed:
        a, c, d = r.aggregate, inp.candidates[r.application], decisions[r.application]
        entry: dict[str, Any] = {
            "application": a.application, "applicant": c.applicant, "credit_code": c.credit_code, "title": c.title,
            "rank": r.rank, "aggregate": None if r.exact is None else a.aggregate, "method": a.method,
            "counted": list(a.counted), "totals": dict(a.totals), "dropped": list(a.dropped),
            "recused": list(a.recused), "missing": list(a.missing), "key_score": r.key_score,
            "tie_break": r.tie_break,
            "gates": [{"criterion": g.criterion, "passed": g.passed, "tie": g.tie} for g in a.gates],
            "items": [{"item": i.item, "accepted": i.accepted, "tie": i.tie, "tier": i.tier} for i in a.items],
            "passed": not ({"veto", "gate", "threshold", "key_criterion"} & set(d.capped_by)),
            "requested_amount": c.requested_amount, "amount": d.amount, "rule_amount": d.rule_amount,
            "items_granted": d.items_granted, "capped_by": list(d.capped_by),
            "flags": [f.to_data() for f in a.flags],
            "reasons": [_msg(m) for m in (*a.reasons, *inp.excluded.get(a.application, ()), *r.reasons, *d.reasons)],
        }
        if calibrated:
            value, totals = with_calibrated(a, offsets, agg_settings.method)
            entry["calibrated_aggregate"], entry["calibrated_totals"] = value, totals
        apps.append(entry)
    allocated = sum(x["amount"] for x in apps)
    reason = agree.icc.reason or agree.kendall_w.reason
    entry = {
        "program": code, "name": {"zh": program(code).zh, "en": program(code).en}, "mode": st.mode,
        "rule": agg_settings.method, "funding_rule": _msg(describe_rule(code, st)),
        "settings": {"item_tie": agg_settings.item_tie, "gate_tie": agg_settings.gate_tie,
                     "tier_tie": agg_settings.tier_tie,
                     "deviation_threshold": float(agg_settings.deviation_threshold(rb.total)),
                     "min_experts": agg_settings.min_experts, "shortfall": st.shortfall},
        "rubric": {"version": rb.version, "total": rb.total, "key_criterion": key},
        "pass_threshold": st.pass_threshold, "key_minimum": st.key_minimum,
        "budget": st.budget, "allocated": allocated, "left": None if st.budget is None else st.budget - allocated,
        "agreement": {"icc": agree.icc.value, "kendall_w": agree.kendall_w.value,
                      "applications": agree.icc.applications, "experts": agree.icc.experts,
                      "reason": None if reason is None else _msg(reason)},
        "note": None if note is None else _msg(note),
        "applications": apps,
    }
    experts = [{"expert": x.expert, "program": code, "scored": x.scored, "mean_z": x.mean_z, "offset": x.offset,
                "component": x.component} for x in cal.experts.values()]
    return entry, sorted(experts, key=lambda x: x["expert"])


# ---------------------------------------------------------------- reading the round


def _inputs(s: Session, rnd, pc, prior: Mapping[str, PriorGrants]) -> ProgramInputs:
    from qbdesk.services.qualification import failed_vetoes
    from qbdesk.services.rounds import aggregation_settings, program_settings
    from qbdesk.store.models import Applicant, Application, Assignment, Conflict, Expert, Recusal, ScoreFileRecord, ScoreSheet
    from qbdesk.store.models import Rubric as RubricRow
    from qbdesk.store.score_sheets import value_rows

    row = s.get(RubricRow, pc.rubric_hash) if pc.rubric_hash else None
    if row is None:
        from qbdesk.domain.rubric import default_rubric

        rb = default_rubric(pc.program)
    else:
        rb = load_rubric_data(row.content, f"rubric {row.hash[:12]}", program=pc.program)
    apps = s.execute(select(Application, Applicant).join(Applicant, Applicant.id == Application.applicant_id)
                     .where(Application.round_id == rnd.id, Application.program == pc.program)).all()
    ids = {a.id: a.external_id for a, _ in apps}
    app_q = select(Application.id).where(Application.round_id == rnd.id, Application.program == pc.program)
    experts = dict(s.execute(select(Expert.id, Expert.external_id).where(Expert.round_id == rnd.id)).all())
    vetoes = failed_vetoes(s, list(ids))
    accepted = select(ScoreFileRecord.id).where(ScoreFileRecord.round_id == rnd.id, ScoreFileRecord.status == "accepted")
    values: dict[int, dict[str, list]] = {}
    for _file, eid, aid, crit, item, value, _comment in value_rows(
            s, ScoreSheet.score_file_id.in_(accepted), ScoreSheet.application_id.in_(app_q)):
        values.setdefault(aid, {}).setdefault(experts[eid], []).append((crit, item, value))
    recused: dict[int, set[str]] = {}
    for eid, aid in s.execute(select(Recusal.expert_id, Recusal.application_id)
                              .where(Recusal.score_file_id.in_(accepted), Recusal.application_id.in_(app_q))):
        recused.setdefault(aid, set()).add(experts[eid])
    assigned: dict[int, set[str]] = {}
    for eid, aid in s.execute(select(Assignment.expert_id, Assignment.application_id)
                              .where(Assignment.application_id.in_(app_q))):
        assigned.setdefault(aid, set()).add(experts[eid])
    conflicted = {(experts[eid], aid) for eid, aid in s.execute(
        select(Conflict.expert_id, Conflict.application_id).where(Conflict.application_id.in_(app_q))) if eid in experts}

    scores, candidates, excluded = [], {}, {}
    for a, applicant in apps:
        given = {}
        for e, rows in values.get(a.id, {}).items():
            if (e, a.id) in conflicted or e not in assigned.get(a.id, set()):
                why = "conflict" if (e, a.id) in conflicted else "not_assigned"
                excluded.setdefault(a.external_id, []).append(
                    Msg(f"专家 {e} 的评分不计入：与该申报存在回避关系", f"expert {e}'s scores not counted: a conflict of interest is recorded")
                    if why == "conflict" else
                    Msg(f"专家 {e} 的评分不计入：该专家目前未分配此申报", f"expert {e}'s scores not counted: not assigned to it now"))
                continue
            given[e] = values_from_score_rows(rows)
        items = [str(i.get("id")) for i in (a.items or []) if isinstance(i, dict) and i.get("id")]
        declared = {str(i["id"]): str(i.get("tier") or a.tier) for i in (a.items or [])
                    if isinstance(i, dict) and i.get("id") and (i.get("tier") or a.tier)}
        scores.append(ApplicationScores(a.external_id, given, recused=tuple(recused.get(a.id, ())),
                                        assigned=tuple(assigned.get(a.id, ())), items=items, declared_tiers=declared))
        candidates[a.external_id] = Candidate(a.external_id, applicant.credit_code, applicant.name, a.title,
                                              a.requested_amount, a.tier, vetoes.get(a.id, ()))
    return ProgramInputs(program_settings(pc), aggregation_settings(pc), rb, scores, candidates, prior, excluded)


def round_results(session: Session, round_id: int | None = None, *, programs: Sequence[str] | None = None,
                  calibrated: bool = False, with_names: bool = False) -> dict[str, Any]:
    """The results document of a round (all its programs, or those asked for)."""
    from qbdesk.services.results_freeze import prior_grants
    from qbdesk.services.rounds import resolve_round
    from qbdesk.store.models import Expert, ProgramConfig

    rnd = resolve_round(session, round_id)
    configs = {pc.program: pc for pc in session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == rnd.id))}
    wanted = sorted(configs, key=lambda c: int(c[1:]))
    if programs:
        missing = [p for p in programs if p not in configs]
        if missing:
            raise QbdeskError(Msg(f"本批次没有项目 {', '.join(missing)}（本批次项目：{', '.join(wanted)}）",
                                  f"the round has no program {', '.join(missing)} (its programs: {', '.join(wanted)})"))
        wanted = [p for p in wanted if p in programs]
    prior, notes = prior_grants(session, rnd)
    out_programs, out_experts = [], []
    for code in wanted:
        entry, experts = program_results(_inputs(session, rnd, configs[code], prior.get(code, {})), calibrated=calibrated)
        out_programs.append(entry)
        out_experts += experts
    if with_names:
        names = dict(session.execute(select(Expert.external_id, Expert.name).where(Expert.round_id == rnd.id)).all())
        for x in out_experts:
            x["name"] = names.get(x["expert"], "")
    return {"format": FORMAT, "round": {"id": rnd.id, "name": rnd.name, "year": rnd.year},
            "calibrated": calibrated, "with_names": with_names, "programs": out_programs,
            "experts": sorted(out_experts, key=lambda x: (x["expert"], int(x["program"][1:]))),
            "notes": [_msg(n) for n in notes]}


def canonical(document: Mapping[str, Any]) -> str:
    """The canonical JSON text of a results document: what is frozen and hashed."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


__all__ = ["FORMAT", "Candidate", "ProgramInputs", "canonical", "program_results", "round_results", "tier_order"]
