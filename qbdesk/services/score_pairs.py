"""Scores only for (expert, application) pairs that are assigned now and free of conflicts.

A score file is made from a snapshot built from the assignments of its day; ``assign`` may have run
again since (a roster update declared a conflict, a recusal came back). At import, a score for a
pair that is no longer assigned is ``not_assigned``, one for a pair in conflict is ``conflict``;
recusals are always accepted (they only take the expert out).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbdesk.services.score_checks import reject
from qbdesk.store.models import Assignment, Conflict, Expert, Snapshot


def check_in_force(s: Session, snap: Snapshot, expert: Expert, scored: Collection[int], app_ids: Mapping[int, str]) -> None:
    """Scores only for pairs assigned now and free of conflicts (recusals are always welcome).
    ``scored``: the applications the file scores; ``app_ids``: Application.id -> package id, for
    the coordinator's message."""
    scored = set(scored)
    if not scored:
        return
    # All of the expert's pairs, filtered here: an IN list of every scored application (300 a file)
    # costs more to build and send than the few hundred rows an expert has.
    assigned = set(s.scalars(select(Assignment.application_id).where(Assignment.expert_id == expert.id))) & scored
    conflicted = {a: src for a, src in s.execute(select(Conflict.application_id, Conflict.source).where(
        Conflict.expert_id == expert.id)) if a in scored}
    if not conflicted and assigned == scored:
        return

    def named(app_id: int) -> str:  # for the coordinator: the code in the snapshot and the package id
        code = {a: c for c, a in (snap.codes or {}).items()}.get(app_id, "?")
        return f"{code} ({app_ids.get(app_id, app_id)})"

    for app_id in sorted(conflicted):
        raise reject("conflict", f"申报 {named(app_id)} 与该专家存在回避关系（{conflicted[app_id]}），其评分不能导入",
                     f"application {named(app_id)} is in conflict with this expert ({conflicted[app_id]}); "
                     f"its scores cannot be imported")
    for app_id in sorted(scored - assigned):
        raise reject("not_assigned", f"申报 {named(app_id)} 目前未分配给该专家（分配已重新运行？），其评分不能导入",
                     f"application {named(app_id)} is not assigned to this expert now (was assign run "
                     f"again?); its scores cannot be imported")
