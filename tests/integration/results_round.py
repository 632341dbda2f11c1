"""A round whose scores are written straight into the database, for the hand-computed results tests.

The rows are what ``scores import`` leaves (an accepted ``score_file`` per expert, ``score`` rows
with the values as JSON, ``recusal`` rows, ``assignment`` rows); the values are chosen so each
expert's total is a round number, against the shipped 2026.2 rubrics.
"""

from __future__ import annotations

import json
import random
import secrets
from typing import Any

from sqlalchemy import select

from qbdesk.domain import credit_code
from qbdesk.domain.programs import ProgramSettings
from qbdesk.domain.rubric import default_rubric
from qbdesk.services.rounds import RoundConfig, init_round
from qbdesk.store.models import Applicant, Application, Assignment, Expert, Recusal, ScoreFileRecord, ScoreSheet

OPINION = "材料齐全，论证充分，指标可信。"
_RNG = random.Random(11)


def values_for(program: str, total: float, *, key: float | None = None, gates: bool | dict = True,
               items: dict[str, Any] | None = None) -> dict[str, Any]:
    """Values of one expert whose total is ``total`` (the key criterion at ``key`` when given)."""
    rb = default_rubric(program)
    out: dict[str, Any] = {}
    left = total
    scores = list(rb.score_criteria)
    if key is not None:
        out[rb.key_criterion] = key
        left -= key
        scores = [c for c in scores if c.id != rb.key_criterion]
    for c in scores:
        v = min(c.max, left)
        out[c.id] = v
        left -= v
    assert abs(left) < 1e-9, f"{program}: a total of {total} does not fit"
    for c in rb.check_criteria:
        out[c.id] = gates if isinstance(gates, bool) else gates.get(c.id, True)
    if rb.items_criterion is not None and items is not None:
        out[rb.items_criterion.id] = items
    for c in rb.opinion_criteria:
        out[c.id] = OPINION
    return out


def accept(tier: str | None = None) -> dict[str, Any]:
    return {"accepted": True, "reason": "", **({"tier": tier} if tier else {})}


def reject() -> dict[str, Any]:
    return {"accepted": False, "reason": "不符合"}


class RoundBuilder:
    def __init__(self, db, *, year: int = 2026, settings: dict[str, dict[str, Any]] | None = None,
                 aggregation: dict[str, dict[str, Any]] | None = None, name: str = "测试批次"):
        self.db = db
        settings = settings or {"P2": {}}
        config = RoundConfig(settings={c: ProgramSettings(program=c, **kw) for c, kw in settings.items()},
                             aggregation=aggregation or {})
        self.round_id = init_round(db.sessions, name=name, year=year, programs=list(settings), config=config)
        self.year = year
        self.apps: dict[str, int] = {}
        self.experts: dict[str, int] = {}
        self.files: dict[str, int] = {}

    def application(self, program: str, ext: str, *, code: str | None = None, requested: int = 300_000,
                    items: list[dict[str, Any]] | None = None, tier: str | None = None) -> str:
        code = code or credit_code.generate(_RNG)
        with self.db.sessions.begin() as s:
            applicant = s.scalars(select(Applicant).where(Applicant.credit_code == code)).first()
            if applicant is None:
                applicant = Applicant(credit_code=code, name=f"单位{ext}", normalized_name=f"单位{ext}", contact={})
                s.add(applicant)
                s.flush()
            a = Application(round_id=self.round_id, external_id=ext, program=program, year=self.year,
                            applicant_id=applicant.id, title=f"申报{ext}", requested_amount=requested, summary="",
                            tier=tier, items=items or [], package_digest="0" * 64)
            s.add(a)
            s.flush()
            self.apps[ext] = a.id
        return ext

    def _expert(self, ext: str) -> int:
        if ext not in self.experts:
            with self.db.sessions.begin() as s:
                e = Expert(round_id=self.round_id, external_id=ext, name=f"专家{ext}", organisation="某单位",
                           normalized_organisation="某单位", programs=[])
                s.add(e)
                s.flush()
                self.experts[ext] = e.id
                f = ScoreFileRecord(round_id=self.round_id, expert_id=e.id, digest=secrets.token_hex(32), sequence=1,
                                    key_fingerprint="test", status="accepted", content=b"")
                s.add(f)
                s.flush()
                self.files[ext] = f.id
        return self.experts[ext]

    def assign(self, expert: str, app: str) -> None:
        eid = self._expert(expert)
        with self.db.sessions.begin() as s:
            if s.scalars(select(Assignment).where(Assignment.expert_id == eid,
                                                  Assignment.application_id == self.apps[app])).first() is None:
                s.add(Assignment(round_id=self.round_id, expert_id=eid, application_id=self.apps[app], seed=0))

    def score(self, expert: str, app: str, values: dict[str, Any], *, assign: bool = True) -> None:
        if assign:
            self.assign(expert, app)
        eid = self.experts[expert]
        entries = []
        for crit, v in values.items():
            if isinstance(v, dict):
                entries += [[crit, item, json.dumps(d, ensure_ascii=False), ""] for item, d in v.items()]
            else:
                entries.append([crit, "", json.dumps(v, ensure_ascii=False), ""])
        with self.db.sessions.begin() as s:
            sheet = s.scalars(select(ScoreSheet).where(ScoreSheet.score_file_id == self.files[expert],
                                                       ScoreSheet.application_id == self.apps[app])).first()
            if sheet is None:
                s.add(ScoreSheet(score_file_id=self.files[expert], expert_id=eid, application_id=self.apps[app],
                                 entries=json.dumps(entries, ensure_ascii=False)))
            else:
                sheet.entries = json.dumps(json.loads(sheet.entries) + entries, ensure_ascii=False)

    def recuse(self, expert: str, app: str, reason: str = "曾为该单位提供咨询") -> None:
        self.assign(expert, app)
        with self.db.sessions.begin() as s:
            s.add(Recusal(score_file_id=self.files[expert], expert_id=self.experts[expert],
                          application_id=self.apps[app], reason=reason))

    def panel(self, program: str, app: str, totals: list[float], *, keys: list[float] | None = None,
              start: int = 1, **kw) -> list[str]:
        """Experts E{start}… scoring ``app`` with these totals; returns their ids."""
        ids = []
        for n, t in enumerate(totals):
            e = f"E{start + n:02d}"
            self.score(e, app, values_for(program, t, key=None if keys is None else keys[n], **kw))
            ids.append(e)
        return ids
