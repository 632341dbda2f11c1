"""Who reviews what: conflicts of interest and a balanced assignment (回避与分配).

Pure: the inputs are plain values, the same inputs and seed give the same
result whatever order they come in.

Conflicts. An expert may not review an application when they declared the
applicant's credit code (``declared_code``) or its organisation
(``declared_org``), or work for the applicant themselves (``same_org``),
organisation names compared by :func:`qbdesk.domain.orgname.normalise_org`.
Extra pairs (recusals already on record) are honoured too.

Assignment, per program. ``None``: the whole panel reviews every application
(less the conflicted). ``k``: each application gets k distinct
non-conflicted panel experts. Experts have no capacity limit, so an
application is covered exactly when k of its panel are free of conflict;
otherwise it gets those there are and is reported as uncovered, with why.
Among all such assignments we pick one that minimises the sum of squared
loads within the program, which makes the loads differ by at most one
whenever any assignment can. A greedy start (least-loaded first, seeded
random tie-break) is improved by moving work along chains
(u gives application a to w, w gives b to ... v) while some expert carries
two more than another it can reach: with no such chain left the sum of
squares is minimal (the convex-cost flow optimality condition). As a
secondary aim, the same chains then even out each expert's total over all
programs without disturbing any program's balance.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from qbdesk.domain.messages import Msg

ConflictSource = Literal["declared_code", "declared_org", "same_org"]


@dataclass(frozen=True)
class ApplicationIn:
    id: int
    program: str
    credit_code: str
    org: str  # normalised applicant name


@dataclass(frozen=True)
class ExpertIn:
    id: int
    programs: frozenset[str]
    org: str  # normalised organisation
    declared_codes: frozenset[str] = frozenset()
    declared_orgs: frozenset[str] = frozenset()  # normalised


@dataclass(frozen=True)
class ConflictFound:
    expert_id: int
    application_id: int
    source: ConflictSource
    detail: str


@dataclass(frozen=True)
class Uncovered:
    application_id: int
    program: str
    needed: int
    panel_size: int
    conflicted: int

    @property
    def available(self) -> int:
        return self.panel_size - self.conflicted

    def reason(self) -> Msg:
        if self.panel_size == 0:
            return Msg(f"{self.program} 没有评审专家组成员", f"{self.program} has no experts on its panel")
        if self.conflicted == 0:
            return Msg(f"需要 {self.needed} 位专家，但 {self.program} 专家组只有 {self.panel_size} 人",
                       f"needs {self.needed} experts but the {self.program} panel has only {self.panel_size}")
        return Msg(
            f"需要 {self.needed} 位专家；{self.program} 专家组共 {self.panel_size} 人，其中 {self.conflicted} 人须回避，"
            f"仅 {self.available} 人可评",
            f"needs {self.needed} experts; the {self.program} panel has {self.panel_size}, {self.conflicted} of "
            f"them conflicted, so only {self.available} can review",
        )


@dataclass
class AssignmentResult:
    assignments: list[tuple[int, int]] = field(default_factory=list)  # (application id, expert id), sorted
    conflicts: list[ConflictFound] = field(default_factory=list)
    uncovered: list[Uncovered] = field(default_factory=list)
    loads: dict[str, dict[int, int]] = field(default_factory=dict)  # program -> expert -> applications

    def experts_of(self, application_id: int) -> list[int]:
        return [e for a, e in self.assignments if a == application_id]


def find_conflicts(applications: Iterable[ApplicationIn], experts: Iterable[ExpertIn]) -> list[ConflictFound]:
    """Every (expert, application, reason) conflict, sorted; empty names never match."""
    by_code: dict[str, list[ApplicationIn]] = {}
    by_org: dict[str, list[ApplicationIn]] = {}
    for app in applications:
        if app.credit_code:
            by_code.setdefault(app.credit_code.strip().upper(), []).append(app)
        if app.org:
            by_org.setdefault(app.org, []).append(app)
    found: set[ConflictFound] = set()
    for ex in experts:
        for code in ex.declared_codes:
            for app in by_code.get(code.strip().upper(), ()):
                found.add(ConflictFound(ex.id, app.id, "declared_code", code))
        for org in ex.declared_orgs:
            for app in by_org.get(org, ()) if org else ():
                found.add(ConflictFound(ex.id, app.id, "declared_org", org))
        for app in by_org.get(ex.org, ()) if ex.org else ():
            found.add(ConflictFound(ex.id, app.id, "same_org", ex.org))
    return sorted(found, key=lambda c: (c.application_id, c.expert_id, c.source))


class _Program:
    """The working state of one program's k-per-application assignment."""

    def __init__(self, program: str, k: int, allowed: dict[int, list[int]], panel: list[int],
                 total: dict[int, int]):
        self.program = program
        self.k = k
        self.allowed = allowed  # application -> allowed experts, in the seeded order
        self.panel = panel
        self.total = total  # expert -> load over all programs (shared between programs)
        self.load = {e: 0 for e in panel}
        self.apps_of: dict[int, list[int]] = {e: [] for e in panel}  # expert -> applications
        self.experts_of: dict[int, set[int]] = {a: set() for a in allowed}

    def give(self, app: int, expert: int) -> None:
        self.experts_of[app].add(expert)
        self.apps_of[expert].append(app)
        self.load[expert] += 1
        self.total[expert] += 1

    def take(self, app: int, expert: int) -> None:
        self.experts_of[app].discard(expert)
        self.apps_of[expert].remove(app)
        self.load[expert] -= 1
        self.total[expert] -= 1

    def greedy(self, order: list[int], rank: dict[int, int]) -> None:
        for app in order:
            free = sorted(self.allowed[app], key=lambda e: (self.load[e], self.total[e], rank[e]))
            for e in free[: self.k]:
                self.give(app, e)

    def _chain(self, sources: list[int], is_target) -> list[tuple[int, int, int]] | None:
        """Breadth-first from ``sources``: moves (app, from, to) that end at a target expert."""
        parent: dict[int, tuple[int, int] | None] = {s: None for s in sources}
        queue = deque(sources)
        while queue:
            u = queue.popleft()
            for app in self.apps_of[u]:
                have = self.experts_of[app]
                for w in self.allowed[app]:
                    if w in parent or w in have:
                        continue
                    parent[w] = (u, app)
                    if is_target(w):
                        moves = []
                        while parent[w] is not None:
                            prev, a = parent[w]
                            moves.append((a, prev, w))
                            w = prev
                        return moves
                    queue.append(w)
        return None

    def _apply(self, moves: list[tuple[int, int, int]]) -> None:
        for app, src, dst in moves:
            self.take(app, src)
            self.give(app, dst)

    def balance(self) -> None:
        """Move work until no expert carries two more than one it can pass work to."""
        while True:
            moves = None
            levels = sorted(set(self.load.values()), reverse=True)
            for level in levels:
                if level - 2 < levels[-1]:
                    break
                sources = [e for e in self.panel if self.load[e] >= level]
                moves = self._chain(sources, lambda w, lv=level: self.load[w] <= lv - 2)
                if moves:
                    break
            if not moves:
                return
            self._apply(moves)

    def even_totals(self) -> bool:
        """Swap which experts carry the program's extra one, towards even totals; True if any moved."""
        moved = False
        for u in sorted(self.panel, key=lambda e: -self.total[e]):  # stable: the seeded order breaks ties
            lu, tu = self.load[u], self.total[u]
            if not any(self.load[w] == lu - 1 and self.total[w] <= tu - 2 for w in self.panel):
                continue
            moves = self._chain([u], lambda w: self.load[w] == lu - 1 and self.total[w] <= tu - 2)  # noqa: B023 (called here)
            if moves:
                self._apply(moves)
                moved = True
        return moved


def assign(applications: Iterable[ApplicationIn], experts: Iterable[ExpertIn],
           modes: Mapping[str, int | None], seed: int = 0, *,
           excluded: Iterable[tuple[int, int]] = ()) -> AssignmentResult:
    """Conflicts and assignments for a round.

    ``modes`` maps a program to k (or None: whole panel; a program not in it is whole panel too).
    ``excluded`` holds (expert id, application id) pairs to keep apart besides the conflicts found.
    """
    apps = sorted(applications, key=lambda a: a.id)
    panel_of = sorted(experts, key=lambda e: e.id)
    rng = random.Random(seed)
    result = AssignmentResult(conflicts=find_conflicts(apps, panel_of))
    blocked = {(c.expert_id, c.application_id) for c in result.conflicts} | set(excluded)
    total = {e.id: 0 for e in panel_of}
    states: list[_Program] = []

    for program in sorted({a.program for a in apps}):
        k = modes.get(program)
        if k is not None and k < 1:
            raise ValueError(f"experts per application must be at least 1, got {k}")
        panel = [e.id for e in panel_of if program in e.programs]
        rng.shuffle(panel)  # the seed decides who is preferred among equals
        rank = {e: i for i, e in enumerate(panel)}
        program_apps = [a.id for a in apps if a.program == program]
        rng.shuffle(program_apps)
        allowed = {a: [e for e in panel if (e, a) not in blocked] for a in program_apps}
        for a in sorted(program_apps):
            need = 1 if k is None else k
            if len(allowed[a]) < need:
                result.uncovered.append(Uncovered(a, program, need, len(panel), len(panel) - len(allowed[a])))
        if k is None:
            loads = {e: 0 for e in panel}
            for a in program_apps:
                for e in allowed[a]:
                    result.assignments.append((a, e))
                    loads[e] += 1
                    total[e] += 1
            result.loads[program] = dict(sorted(loads.items()))
            continue
        state = _Program(program, k, allowed, panel, total)
        state.greedy(program_apps, rank)
        state.balance()
        states.append(state)

    # Secondary aim: even totals across programs, never undoing a program's balance.
    for _ in range(100):  # each pass strictly lowers the sum of squared totals; the cap is a guard
        if not any([s.even_totals() for s in states]):
            break
    for state in states:
        for app, ex in state.experts_of.items():
            result.assignments.extend((app, e) for e in ex)
        result.loads[state.program] = dict(sorted(state.load.items()))
    result.assignments.sort()
    result.uncovered.sort(key=lambda u: (u.program, u.application_id))
    result.loads = dict(sorted(result.loads.items()))
    return result
