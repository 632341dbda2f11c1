"""The expert draw (专家随机抽取): a program's panel drawn from the pool, reproducibly from a seed.

Pure: the same pool, conflicts and seed always give the same panel, whatever order they come in.
An auditor reproduces a draw with nothing but Python (docs/results.md):

1. **Skipped.** An expert is skipped when they have a conflict on any of the program's
   applications: they work for an applicant (``same_org``, organisation names compared by
   :func:`qbdesk.domain.orgname.normalise_org`), declared the applicant's credit code
   (``declared_code``) or organisation (``declared_org``), or a conflict is on record (its source,
   e.g. ``recusal``). The reason given is the first of these in :data:`REASON_ORDER`.
2. **Order.** The eligible experts, sorted by id (Python's string order), are shuffled with
   ``random.Random(n)`` where ``n = int.from_bytes(sha256(f"qbdesk.draw/1\\n{program}\\n{seed}"
   .encode("utf-8")).digest(), "big")``; ``seed`` is written in decimal.
3. **Balance.** Each expert's *level* is how many experts of the same organisation come before
   them in the shuffled order (0 for the first of each organisation; an expert with no
   organisation is an organisation of their own). The draw order is the shuffled order sorted
   stably by level: first one from every organisation, then the second ones, and so on.
4. **Drawn and reserves.** The first ``count`` of the draw order are drawn, the next ``reserve``
   are the reserves, in that order (the first reserve replaces the first drawn expert who drops out).

So no two drawn experts share an organisation whenever the eligible pool has ``count``
organisations, and otherwise the organisations are used as evenly as the pool allows.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qbdesk.domain.assignment import ApplicationIn, ExpertIn, find_conflicts
from qbdesk.domain.messages import Msg, QbdeskError

FORMAT = "qbdesk.draw/1"
REASON_ORDER = ("same_org", "declared_code", "declared_org", "recusal")
REASON_NAMES = {
    "same_org": Msg("与申报单位同单位", "works for an applicant"),
    "declared_code": Msg("申明回避申报单位的信用代码", "declared an applicant's credit code"),
    "declared_org": Msg("申明回避申报单位", "declared an applicant's organisation"),
    "recusal": Msg("已回避该项目的申报", "recused from one of the program's applications"),
}


@dataclass(frozen=True)
class Candidate:
    """An expert of the pool: id (as people know it), normalised organisation, declared conflicts."""

    id: str
    org: str
    declared_codes: frozenset[str] = frozenset()
    declared_orgs: frozenset[str] = frozenset()  # normalised


@dataclass(frozen=True)
class Skipped:
    expert: str
    reason: str  # a code of REASON_ORDER (or a recorded conflict's source)
    applications: tuple[str, ...]  # the program's applications the conflict concerns

    def msg(self) -> Msg:
        name = REASON_NAMES.get(self.reason, Msg(f"回避（{self.reason}）", f"conflict ({self.reason})"))
        apps = "、".join(self.applications[:5]) + ("…" if len(self.applications) > 5 else "")
        apps_en = ", ".join(self.applications[:5]) + ("…" if len(self.applications) > 5 else "")
        return Msg(f"{self.expert}：{name.zh}（{apps}）", f"{self.expert}: {name.en} ({apps_en})")


@dataclass(frozen=True)
class Draw:
    program: str
    seed: int
    pool: tuple[str, ...]  # every candidate, by id
    skipped: tuple[Skipped, ...]  # by expert id
    drawn: tuple[str, ...]  # in draw order
    reserve: tuple[str, ...]  # in order

    def record(self) -> dict:
        """The draw as the audit log keeps it (and the printed record shows it)."""
        return {"format": FORMAT, "program": self.program, "seed": self.seed, "pool": list(self.pool),
                "skipped": [{"expert": s.expert, "reason": s.reason, "applications": list(s.applications)}
                            for s in self.skipped],
                "drawn": list(self.drawn), "reserve": list(self.reserve)}


def rng_for(program: str, seed: int) -> random.Random:
    """The random generator of a draw: documented so that anyone can rebuild it."""
    digest = hashlib.sha256(f"qbdesk.draw/1\n{program}\n{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _skips(candidates: list[Candidate], applications: Iterable[tuple[str, str, str]],
           recorded: Iterable[tuple[str, str, str]]) -> dict[str, Skipped]:
    """Expert id -> why skipped, from the rules (``find_conflicts``) and the recorded conflicts."""
    apps = list(applications)
    ids = {i: a for i, a in enumerate(apps)}
    found: dict[str, dict[str, set[str]]] = {}
    experts = [ExpertIn(id=i, programs=frozenset(), org=c.org, declared_codes=c.declared_codes,
                        declared_orgs=c.declared_orgs) for i, c in enumerate(candidates)]
    for f in find_conflicts([ApplicationIn(i, "", code, org) for i, (_, code, org) in ids.items()], experts):
        found.setdefault(candidates[f.expert_id].id, {}).setdefault(f.source, set()).add(ids[f.application_id][0])
    for expert, application, source in recorded:
        found.setdefault(expert, {}).setdefault(source, set()).add(application)
    rank = {r: i for i, r in enumerate(REASON_ORDER)}
    out = {}
    for expert, by_source in found.items():
        reason = min(by_source, key=lambda s: (rank.get(s, len(rank)), s))
        out[expert] = Skipped(expert, reason, tuple(sorted(by_source[reason])))
    return out


def draw(program: str, pool: Iterable[Candidate], applications: Iterable[tuple[str, str, str]], *,
         count: int, reserve: int = 0, seed: int, recorded: Iterable[tuple[str, str, str]] = ()) -> Draw:
    """Draw ``count`` experts and ``reserve`` reserves for ``program``.

    ``applications``: the program's applications as (id, applicant credit code, normalised applicant
    name); ``recorded``: conflicts on record as (expert id, application id, source).
    Raises :class:`QbdeskError` when the pool cannot give ``count + reserve`` eligible experts.
    """
    if count < 1:
        raise QbdeskError(Msg("抽取人数至少为 1", "the number to draw must be at least 1"))
    if reserve < 0:
        raise QbdeskError(Msg("候补人数不能为负", "the number of reserves must not be negative"))
    by_id: Mapping[str, Candidate] = {c.id: c for c in pool}
    candidates = [by_id[i] for i in sorted(by_id)]
    app_list = list(applications)
    pool_ids = {c.id for c in candidates}
    skips = {e: s for e, s in _skips(candidates, app_list, recorded).items() if e in pool_ids}
    eligible = [c for c in candidates if c.id not in skips]
    need = count + reserve
    if len(eligible) < need:
        raise QbdeskError(Msg(
            f"{program} 的专家库不足：共 {len(candidates)} 人，回避 {len(skips)} 人，可抽 {len(eligible)} 人，"
            f"而需要抽取 {count} 人" + (f"、候补 {reserve} 人" if reserve else ""),
            f"the {program} pool is too small: {len(candidates)} experts, {len(skips)} skipped for conflicts, "
            f"{len(eligible)} eligible, but {count} to draw" + (f" and {reserve} reserves" if reserve else "")
            + " were asked for"))
    order = list(eligible)
    rng_for(program, seed).shuffle(order)
    seen: dict[str, int] = {}
    levels = []
    for c in order:
        key = c.org or f"\0{c.id}"  # no organisation: one of their own, never a match
        levels.append(seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
    ranked = [c.id for _, c in sorted(zip(levels, order), key=lambda p: p[0])]  # sorted() is stable
    return Draw(program=program, seed=seed, pool=tuple(c.id for c in candidates),
                skipped=tuple(skips[e] for e in sorted(skips)), drawn=tuple(ranked[:count]),
                reserve=tuple(ranked[count:need]))
