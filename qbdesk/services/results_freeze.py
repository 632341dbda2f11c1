"""Freezing the published result (结果固化) and every later difference against it.

``freeze_results`` keeps the canonical JSON of the round's whole results document (all programs,
raw totals, experts by id) in ``frozen_result`` and its SHA-256 in the audit log
(``results.freeze``). ``since_frozen`` recomputes the document and names each application whose
rank, aggregate, pass or amount changed since, and each program setting that did: a change of
scores or configuration after publication is never silent (``qbdesk results``, ``results diff``,
``status``). ``prior_grants`` reads the frozen results of the earlier rounds of the same fund year:
what each enterprise was already granted, per program, for the per-year caps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.funding import PriorGrants
from qbdesk.domain.messages import Msg
from qbdesk.store import audit
from qbdesk.store.models import FrozenResult, Round

APPLICATION_FIELDS = ("rank", "aggregate", "passed", "amount")
PROGRAM_FIELDS = ("rule", "mode", "budget", "pass_threshold", "key_minimum", "settings")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_frozen(session: Session, round_id: int) -> FrozenResult | None:
    return session.scalars(select(FrozenResult).where(FrozenResult.round_id == round_id)
                           .order_by(FrozenResult.id.desc()).limit(1)).first()


def _document(row: FrozenResult) -> dict[str, Any] | None:
    """The frozen document, or None when its text no longer matches its hash (or is not JSON)."""
    if sha256_text(row.document) != row.sha256:
        return None
    try:
        doc = json.loads(row.document)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def prior_grants(session: Session, rnd: Round) -> tuple[dict[str, dict[str, PriorGrants]], list[Msg]]:
    """program -> credit code -> what the earlier rounds of the same fund year granted (their frozen
    results), and a note for each earlier round of the year with no usable frozen result."""
    out: dict[str, dict[str, PriorGrants]] = {}
    notes: list[Msg] = []
    earlier = session.scalars(select(Round).where(Round.year == rnd.year, Round.id < rnd.id).order_by(Round.id))
    for other in earlier:
        row = latest_frozen(session, other.id)
        doc = None if row is None else _document(row)
        if doc is None:
            why = Msg("尚未固化结果", "has no frozen result") if row is None else Msg("固化结果已损坏（哈希不符）", "has a damaged frozen result (its hash does not match)")
            notes.append(Msg(f"同年度的评审批次 {other.id}（{other.name}）{why.zh}，其资助未计入年度上限",
                             f"round {other.id} ({other.name}) of the same fund year {why.en}: its grants are not "
                             "counted against the yearly caps"))
            continue
        for p in doc.get("programs", []):
            for a in p.get("applications", []):
                amount = a.get("amount") or 0
                if not amount or not a.get("credit_code"):
                    continue
                key = str(a["credit_code"]).strip().upper()
                got = out.setdefault(p["program"], {}).get(key, PriorGrants())
                out[p["program"]][key] = PriorGrants(got.items + int(a.get("items_granted") or 0), got.amount + int(amount))
    return out, notes


def freeze_results(sessions: sessionmaker[Session], round_id: int | None = None, *, actor: str = "") -> dict[str, Any]:
    """Freeze the round's results; returns {frozen, sha256, at, new, supersedes}."""
    from qbdesk.services.results import canonical, round_results
    from qbdesk.services.rounds import resolve_round

    with sessions.begin() as s:
        rnd = resolve_round(s, round_id)
        text = canonical(round_results(s, rnd.id))
        digest = sha256_text(text)
        last = latest_frozen(s, rnd.id)
        if last is not None and last.sha256 == digest:
            return {"round": rnd.id, "frozen": last.id, "sha256": digest, "at": last.frozen_at.isoformat(),
                    "new": False, "supersedes": None}
        row = FrozenResult(round_id=rnd.id, actor=actor, sha256=digest, document=text)
        s.add(row)
        s.flush()
        doc = json.loads(text)
        audit.record(s, "results.freeze", round_id=rnd.id, actor=actor, detail={
            "frozen": row.id, "sha256": digest, "supersedes": None if last is None else {"frozen": last.id, "sha256": last.sha256},
            "programs": {p["program"]: {"allocated": p["allocated"], "applications": len(p["applications"])}
                         for p in doc["programs"]}})
        return {"round": rnd.id, "frozen": row.id, "sha256": digest, "at": row.frozen_at.isoformat(), "new": True,
                "supersedes": None if last is None else last.id}


@dataclass(frozen=True)
class Change:
    program: str
    application: str | None  # None: a program setting
    field: str
    frozen: Any
    now: Any

    def to_data(self) -> dict[str, Any]:
        return {"program": self.program, "application": self.application, "field": self.field,
                "frozen": self.frozen, "now": self.now}

    def msg(self) -> Msg:
        f, n = _shown(self.frozen), _shown(self.now)
        if self.application is None:
            return Msg(f"{self.program} 设置 {self.field}：固化时 {f}，现在 {n}",
                       f"{self.program} setting {self.field}: {f} when frozen, {n} now")
        if self.field == "present":
            return (Msg(f"{self.program} 申报 {self.application}：固化后新增", f"{self.program} {self.application}: added since frozen")
                    if self.now else Msg(f"{self.program} 申报 {self.application}：固化后已不在结果中",
                                         f"{self.program} {self.application}: no longer in the result"))
        names = {"rank": ("排名", "rank"), "aggregate": ("汇总分", "aggregate"), "passed": ("是否通过", "passed"),
                 "amount": ("建议资助金额", "amount")}
        zh, en = names.get(self.field, (self.field, self.field))
        return Msg(f"{self.program} 申报 {self.application} 的{zh}：固化时 {f}，现在 {n}",
                   f"{self.program} {self.application} {en}: {f} when frozen, {n} now")


def _shown(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def compare(frozen: Mapping[str, Any], now: Mapping[str, Any]) -> list[Change]:
    """What changed between two results documents, program by program, application by application."""
    changes: list[Change] = []
    before = {p["program"]: p for p in frozen.get("programs", [])}
    after = {p["program"]: p for p in now.get("programs", [])}
    for code in sorted(set(before) | set(after), key=lambda c: int(c[1:]) if c[1:].isdigit() else 99):
        b, a = before.get(code), after.get(code)
        if b is None or a is None:
            changes.append(Change(code, None, "present", b is not None, a is not None))
            continue
        for f in PROGRAM_FIELDS:
            if b.get(f) != a.get(f):
                changes.append(Change(code, None, f, b.get(f), a.get(f)))
        ba = {x["application"]: x for x in b.get("applications", [])}
        aa = {x["application"]: x for x in a.get("applications", [])}
        for app in sorted(set(ba) | set(aa)):
            x, y = ba.get(app), aa.get(app)
            if x is None or y is None:
                changes.append(Change(code, app, "present", x is not None, y is not None))
                continue
            for f in APPLICATION_FIELDS:
                if x.get(f) != y.get(f):
                    changes.append(Change(code, app, f, x.get(f), y.get(f)))
    return changes


def since_frozen(session: Session, round_id: int, current: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The difference between the round's results now and its newest frozen result (None: never frozen).

    ``current`` is the whole document as ``round_results`` gives it uncalibrated (computed here if None).
    """
    from qbdesk.services.results import canonical, round_results

    row = latest_frozen(session, round_id)
    if row is None:
        return None
    if current is None:
        current = round_results(session, round_id)
    doc = _document(row)
    now_sha = sha256_text(canonical(current))
    info: dict[str, Any] = {"frozen": row.id, "at": row.frozen_at.isoformat(), "sha256": row.sha256,
                            "sha256_now": now_sha, "identical": now_sha == row.sha256, "damaged": doc is None}
    changes = [] if doc is None else compare(doc, current)
    info["changes"] = [c.to_data() | {"zh": c.msg().zh, "en": c.msg().en} for c in changes]
    return info


__all__ = ["APPLICATION_FIELDS", "Change", "compare", "freeze_results", "latest_frozen", "prior_grants", "since_frozen"]
