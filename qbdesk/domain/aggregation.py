"""Aggregation (汇总): from each expert's values to one application's aggregate, gates, items and flags.

Pure: plain values in, plain values out; no database, no Qt. The rules (docs/results.md):

- **Who counts.** An expert counts for an application when they gave it values and did not recuse;
  a recused expert does not count, an assigned expert with neither values nor a recusal is
  ``missing`` (flagged).
- **Totals.** Each counted expert's total is Σ weight × score over the rubric's score criteria,
  computed in exact decimals (so 0.1 + 0.2 is 0.3 and equal sums compare equal).
- **Aggregate.** ``trimmed_mean`` (the default, 去掉一个最高分和一个最低分) drops one highest and one
  lowest total when at least :data:`TRIM_FROM` (5) experts counted, and below that falls back to
  the mean and says so; ``mean``; ``median`` (of an even count: the mean of the middle two).
- **Gates** (``check`` criteria) pass by a majority of the counted experts who decided them;
  **items** are accepted by a majority of those who decided them; each accepted item's **tier** is
  the one most of its accepting experts named (their own, else the declared one). Ties follow the
  configured rules (:class:`AggregationSettings`), and are stated.
- **Flags**: ``deviation``, ``missing``, ``gate_failed``, ``gate_split``, ``too_few_experts``,
  ``item_tie``, ``tier_tie`` (each with the expert or criterion it concerns, and a message).

The votes on gates, items and tiers are in :mod:`qbdesk.domain.aggregation_votes`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.rubric import Rubric

METHODS = ("trimmed_mean", "mean", "median")
ITEM_TIES = ("reject", "accept")
GATE_TIES = ("fail", "pass")
TIER_TIES = ("lower", "declared")
TRIM_FROM = 5  # the trimmed mean needs at least this many counted experts
DEFAULT_DEVIATION_SHARE = 0.20  # of the rubric total: more than one band (15 points in 100) apart

FLAG_CODES = ("deviation", "missing", "gate_failed", "gate_split", "too_few_experts", "item_tie", "tier_tie")

_METHOD_NAMES = {
    "trimmed_mean": Msg("去掉一个最高分和一个最低分后取平均", "trimmed mean (one highest and one lowest dropped)"),
    "mean": Msg("算术平均", "mean"),
    "median": Msg("中位数", "median"),
}


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class AggregationSettings:
    """How one program's applications are aggregated: the round's configuration, with defaults.

    ``deviation_points`` (when set) is the deviation threshold in rubric points; otherwise it is
    ``deviation_share`` × the rubric total. A deviation counts when it is *more than* the threshold.
    ``min_experts`` is the number of experts configured per application (None: no check).
    """

    method: str = "trimmed_mean"
    item_tie: str = "reject"
    gate_tie: str = "fail"
    tier_tie: str = "lower"
    deviation_points: float | None = None
    deviation_share: float = DEFAULT_DEVIATION_SHARE
    min_experts: int | None = None

    KEYS = ("aggregation", "item_tie", "gate_tie", "tier_tie", "deviation_points", "deviation_share", "min_experts")

    @classmethod
    def from_config(cls, data: Mapping[str, Any], where: str = "") -> AggregationSettings:
        """Read the settings from a program's round configuration (only the keys in :attr:`KEYS`).

        Every problem found is reported at once, each naming its key (``P3.item_tie: …``).
        """
        prefix = f"{where}." if where else ""
        problems: list[Msg] = []

        def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
            v = data.get(key, default)
            if v not in allowed:
                problems.append(Msg(f"{prefix}{key}：应为 {' / '.join(allowed)} 之一，而不是 {v!r}",
                                    f"{prefix}{key}: must be one of {', '.join(allowed)}, not {v!r}"))
                return default
            return v

        def number(key: str, default: Any, *, integer: bool = False, low: float = 0, high: float | None = None) -> Any:
            v = data.get(key, default)
            if v is None:
                return None
            ok = isinstance(v, int) if integer else isinstance(v, (int, float))
            if not ok or isinstance(v, bool) or v != v or v < low or (high is not None and v > high):
                rng = f"{low}–{high}" if high is not None else f"≥ {low}"
                what_zh, what_en = ("整数", "a whole number") if integer else ("数", "a number")
                problems.append(Msg(f"{prefix}{key}：应为 {rng} 的{what_zh}，而不是 {v!r}",
                                    f"{prefix}{key}: must be {what_en} {rng}, not {v!r}"))
                return default
            return v

        settings = cls(
            method=choice("aggregation", METHODS, "trimmed_mean"),
            item_tie=choice("item_tie", ITEM_TIES, "reject"),
            gate_tie=choice("gate_tie", GATE_TIES, "fail"),
            tier_tie=choice("tier_tie", TIER_TIES, "lower"),
            deviation_points=number("deviation_points", None),
            deviation_share=number("deviation_share", DEFAULT_DEVIATION_SHARE, high=1) or 0.0,
            min_experts=number("min_experts", None, integer=True, low=1),
        )
        if problems:
            raise QbdeskError(Msg("汇总设置有误：\n" + "\n".join(p.zh for p in problems),
                                  "the aggregation settings are wrong:\n" + "\n".join(p.en for p in problems)))
        return settings

    def deviation_threshold(self, rubric_total: float) -> Decimal:
        if self.deviation_points is not None:
            return _dec(self.deviation_points)
        return _dec(self.deviation_share) * _dec(rubric_total)


# ---------------------------------------------------------------- input and output


@dataclass(frozen=True)
class ApplicationScores:
    """What the experts gave one application.

    ``scores``: expert id -> {criterion id -> value} as the rubric defines values (score: number,
    check: bool, items: {item id -> {"accepted": bool, "reason": str, "tier"?: str}}, opinion: str);
    ``recused``: experts who stepped aside; ``assigned``: experts expected to score it (those with
    neither values nor a recusal are missing); ``items``: the application's item ids, in order;
    ``declared_tiers``: item id -> the tier the applicant declared.
    """

    application: str
    scores: Mapping[str, Mapping[str, Any]]
    recused: Collection[str] = ()
    assigned: Collection[str] = ()
    items: Sequence[str] = ()
    declared_tiers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    """Something the coordinator should look at; ``code`` is stable (:data:`FLAG_CODES`)."""

    code: str
    msg: Msg
    expert: str | None = None
    criterion: str | None = None
    item: str | None = None

    def to_data(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "expert": self.expert}
        d.update({k: v for k, v in (("criterion", self.criterion), ("item", self.item)) if v is not None})
        d.update(zh=self.msg.zh, en=self.msg.en)
        return d


@dataclass(frozen=True)
class GateOutcome:
    criterion: str
    passed: bool
    passes: tuple[str, ...]  # experts who passed it
    fails: tuple[str, ...]  # experts who failed it
    tie: bool


@dataclass(frozen=True)
class ItemOutcome:
    item: str
    accepted: bool
    accepts: tuple[str, ...]
    rejects: tuple[str, ...]
    tie: bool
    tier: str | None = None  # accepted items: the tier by majority of the accepting experts
    tier_votes: Mapping[str, int] = field(default_factory=dict)
    tier_tie: bool = False


@dataclass(frozen=True)
class ApplicationAggregate:
    application: str
    method: str  # the rule actually applied: "mean" when the trimmed mean fell back
    aggregate: float | None  # None when no expert counted
    counted: tuple[str, ...]  # experts counted, by id
    totals: Mapping[str, float]  # counted expert -> total
    dropped: tuple[str, ...]  # trimmed mean: the lowest and the highest total left out
    recused: tuple[str, ...]
    missing: tuple[str, ...]
    criteria: Mapping[str, float]  # score criterion -> mean over the counted experts
    gates: tuple[GateOutcome, ...]
    items: tuple[ItemOutcome, ...]
    flags: tuple[Flag, ...]
    reasons: tuple[Msg, ...]
    exact_totals: Mapping[str, Decimal] = field(default_factory=dict, repr=False, compare=False)

    @property
    def gates_passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def accepted_items(self) -> tuple[ItemOutcome, ...]:
        return tuple(i for i in self.items if i.accepted)

    def flagged(self, code: str) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.code == code)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data, keys as the results file names them (``reasons`` as {zh, en})."""
        return {
            "application": self.application, "method": self.method, "aggregate": self.aggregate,
            "counted": list(self.counted), "totals": dict(self.totals), "dropped": list(self.dropped),
            "recused": list(self.recused), "missing": list(self.missing), "criteria": dict(self.criteria),
            "gates": [{"criterion": g.criterion, "passed": g.passed, "passes": list(g.passes), "fails": list(g.fails),
                       "tie": g.tie} for g in self.gates],
            "items": [{"item": i.item, "accepted": i.accepted, "accepts": list(i.accepts), "rejects": list(i.rejects),
                       "tie": i.tie, "tier": i.tier, "tier_votes": dict(i.tier_votes), "tier_tie": i.tier_tie}
                      for i in self.items],
            "flags": [f.to_data() for f in self.flags],
            "reasons": [{"zh": r.zh, "en": r.en} for r in self.reasons],
        }


@dataclass(frozen=True)
class ProgramAggregate:
    program: str
    settings: AggregationSettings
    rubric_total: float
    applications: tuple[ApplicationAggregate, ...]

    def totals_matrix(self) -> dict[str, dict[str, float]]:
        """application -> {counted expert -> total}: what agreement and calibration work on."""
        return {a.application: dict(a.totals) for a in self.applications}


# ---------------------------------------------------------------- numbers


_DEC_MEMO: dict[Any, Decimal] = {}


def _dec(x: Any) -> Decimal:
    """The exact decimal a number is written as (via str: 0.1 is 0.1); scores repeat, so memoised."""
    if type(x) is Decimal:
        return x
    d = _DEC_MEMO.get(x)
    if d is None:
        if len(_DEC_MEMO) > 50_000:  # distinct values beyond any rubric's grid: do not grow forever
            _DEC_MEMO.clear()
        d = _DEC_MEMO[x] = Decimal(str(x))
    return d


def _num(d: Decimal) -> float:
    f = float(d)
    return int(f) if f.is_integer() else f


def _show(d: Decimal | float) -> str:
    """A figure as people read it: at most two decimals, no trailing zeros."""
    s = f"{float(d):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def combine(totals: Sequence[Decimal], method: str) -> tuple[Decimal | None, str, tuple[int, ...]]:
    """(aggregate, method applied, positions dropped) of ``totals`` under ``method``.

    The trimmed mean orders the totals by (total, position) and drops the first and the last, so of
    equal lowest the earliest goes and of equal highest the latest; below :data:`TRIM_FROM` totals it
    is the mean.
    """
    n = len(totals)
    if n == 0:
        return None, method if method != "trimmed_mean" else "mean", ()
    if method == "median":
        order = sorted(range(n), key=lambda i: totals[i])
        mid = n // 2
        value = totals[order[mid]] if n % 2 else (totals[order[mid - 1]] + totals[order[mid]]) / 2
        return value, "median", ()
    if method == "trimmed_mean" and n >= TRIM_FROM:
        order = sorted(range(n), key=lambda i: (totals[i], i))
        low, high = order[0], order[-1]
        kept = [t for i, t in enumerate(totals) if i not in (low, high)]
        return sum(kept, Decimal(0)) / len(kept), "trimmed_mean", (low, high)
    if method not in METHODS:
        raise ValueError(f"unknown aggregation {method!r}")
    return sum(totals, Decimal(0)) / n, "mean", ()


def values_from_score_rows(rows: Iterable[tuple[str, str, str]]) -> dict[str, Any]:
    """One expert's values for one application from stored Score rows (criterion, item, value JSON)."""
    values: dict[str, Any] = {}
    for criterion, item, value in rows:
        v = json.loads(value)
        if item:
            values.setdefault(criterion, {})[item] = v
        else:
            values[criterion] = v
    return values


# ---------------------------------------------------------------- one application


_NUMBER_TYPES = (int, float, Decimal)


def _score(v: Any) -> Decimal | None:
    """A score value as an exact decimal, or None when it is no finite number (nor is a bool)."""
    if type(v) in _NUMBER_TYPES or (isinstance(v, _NUMBER_TYPES) and not isinstance(v, bool)):
        d = _dec(v)
        return d if d.is_finite() else None
    return None


class _Weights:
    """A rubric's score criteria as (id, Decimal weight or None for 1), computed once per program."""

    def __init__(self, rubric: Rubric):
        self.score = [(c.id, None if _dec(c.weight) == 1 else _dec(c.weight)) for c in rubric.score_criteria]

    def scores(self, values: Mapping[str, Any]) -> list[Decimal | None]:
        """The expert's score on each score criterion, as exact decimals (None: not a number)."""
        out: list[Decimal | None] = []
        memo = _DEC_MEMO
        for cid, _ in self.score:
            v = values.get(cid)
            t = type(v)
            if t is int or (t is float and v - v == 0):  # the stored forms (finite): the memo, no checks
                d = memo.get(v)
                out.append(d if d is not None else _dec(v))
            else:
                out.append(_score(v))
        return out

    def total(self, row: list[Decimal | None]) -> Decimal:
        t = Decimal(0)
        for (_, w), d in zip(self.score, row):
            if d is not None:
                t += d if w is None else w * d
        return t


def aggregate_application(rubric: Rubric, app: ApplicationScores, settings: AggregationSettings | None = None,
                          *, tier_order: Sequence[str] = (), _weights: _Weights | None = None) -> ApplicationAggregate:
    """Aggregate one application. ``tier_order`` lists the tier keys from the lowest amount up."""
    from qbdesk.domain.aggregation_votes import decide_gates, decide_items

    settings = settings or AggregationSettings()
    weights = _weights or _Weights(rubric)
    stepped_aside = set(app.recused)
    recused = tuple(sorted(stepped_aside))
    counted = tuple(sorted(e for e in app.scores if e not in stepped_aside))
    missing = tuple(sorted(set(app.assigned) - set(app.scores) - stepped_aside)) if app.assigned else ()
    rows = [weights.scores(app.scores[e]) for e in counted]
    exact = {e: weights.total(row) for e, row in zip(counted, rows)}
    value, applied, dropped_at = combine([exact[e] for e in counted], settings.method)
    dropped = tuple(counted[i] for i in dropped_at)

    flags: list[Flag] = []
    reasons: list[Msg] = [_how(settings.method, applied, counted, exact, dropped, value)]
    for e in recused:
        reasons.append(Msg(f"专家 {e} 已回避，不计入", f"expert {e} recused and is not counted"))
    for e in missing:
        msg = Msg(f"专家 {e} 尚未提交评分", f"expert {e} has not returned scores")
        flags.append(Flag("missing", msg, expert=e))
        reasons.append(msg)
    if settings.min_experts is not None and len(counted) < settings.min_experts:
        flags.append(Flag("too_few_experts", Msg(
            f"计分专家 {len(counted)} 位，少于配置的 {settings.min_experts} 位",
            f"{len(counted)} expert{'s' if len(counted) != 1 else ''} counted, fewer than the {settings.min_experts} configured")))
    flags += _deviations(counted, exact, settings.deviation_threshold(rubric.total))

    gates, gate_flags, gate_reasons = decide_gates(rubric, app, counted, settings)
    items, item_flags, item_reasons = decide_items(rubric, app, counted, settings, tier_order)
    flags += gate_flags + item_flags
    reasons += gate_reasons + item_reasons

    criteria = {}
    for j, (cid, _w) in enumerate(weights.score):
        vals = [d for row in rows if (d := row[j]) is not None]
        if vals:
            criteria[cid] = _num(sum(vals, Decimal(0)) / len(vals))
    return ApplicationAggregate(
        application=app.application, method=applied, aggregate=None if value is None else _num(value),
        counted=counted, totals={e: _num(exact[e]) for e in counted}, dropped=dropped, recused=recused,
        missing=missing, criteria=criteria, gates=gates, items=items, flags=tuple(flags), reasons=tuple(reasons),
        exact_totals=exact)


def _how(method: str, applied: str, counted: Sequence[str], exact: Mapping[str, Decimal],
         dropped: Sequence[str], value: Decimal | None) -> Msg:
    """How the aggregate was formed, in words."""
    n = len(counted)
    if value is None:
        return Msg("没有专家计分，无法汇总", "no expert counted: nothing to aggregate")
    v = _show(value)
    if applied == "trimmed_mean":
        lo, hi = dropped
        return Msg(f"{n} 位专家计分，去掉最高分（{hi}：{_show(exact[hi])}）和最低分（{lo}：{_show(exact[lo])}），"
                   f"其余 {n - 2} 位平均 {v}",
                   f"{n} experts counted; the highest ({hi}: {_show(exact[hi])}) and the lowest "
                   f"({lo}: {_show(exact[lo])}) dropped, the mean of the other {n - 2} is {v}")
    if method == "trimmed_mean":
        return Msg(f"仅 {n} 位专家计分（少于 {TRIM_FROM} 位），不去掉最高分和最低分，取平均 {v}",
                   f"only {n} expert{'s' if n != 1 else ''} counted (fewer than {TRIM_FROM}): nothing dropped, "
                   f"the mean is {v}")
    name = _METHOD_NAMES[applied]
    return Msg(f"{n} 位专家计分，{name.zh} {v}", f"{n} expert{'s' if n != 1 else ''} counted, {name.en} {v}")


def _deviations(counted: Sequence[str], exact: Mapping[str, Decimal], threshold: Decimal) -> list[Flag]:
    """Experts whose total is more than ``threshold`` from the mean of the other counted experts.

    Exact: |x − mean(others)| > t  ⇔  |n·x − Σ| > t·(n − 1), with no division.
    """
    n = len(counted)
    if n < 2:
        return []
    s = sum(exact.values(), Decimal(0))
    out = []
    for e in counted:
        diff = n * exact[e] - s
        if abs(diff) > threshold * (n - 1):
            others = (s - exact[e]) / (n - 1)
            d = exact[e] - others
            sign = "+" if d > 0 else "−"
            out.append(Flag("deviation", Msg(
                f"专家 {e} 的总分 {_show(exact[e])} 与其他专家平均 {_show(others)} 相差 {sign}{_show(abs(d))} 分，"
                f"超过偏离阈值 {_show(threshold)} 分",
                f"expert {e}'s total {_show(exact[e])} is {sign}{_show(abs(d))} from the others' mean "
                f"{_show(others)}, beyond the deviation threshold of {_show(threshold)}"), expert=e))
    return out


# ---------------------------------------------------------------- a program


def aggregate_program(program: str, rubric: Rubric, applications: Iterable[ApplicationScores],
                      settings: AggregationSettings | None = None, *, tier_order: Sequence[str] = ()) -> ProgramAggregate:
    """Aggregate every application of one program, listed by application id."""
    settings = settings or AggregationSettings()
    if settings.method not in METHODS:
        raise QbdeskError(Msg(f"{program}：未知的汇总方法 {settings.method!r}",
                              f"{program}: unknown aggregation {settings.method!r}"))
    weights = _Weights(rubric)
    out = tuple(aggregate_application(rubric, a, settings, tier_order=tier_order, _weights=weights)
                for a in sorted(applications, key=lambda a: a.application))
    return ProgramAggregate(program=program, settings=settings, rubric_total=rubric.total, applications=out)


def with_calibrated(agg: ApplicationAggregate, offsets: Mapping[str, float | None], method: str) -> tuple[float | None, dict[str, float]]:
    """(calibrated aggregate, calibrated totals): each counted total less its expert's offset, under ``method``.

    An expert without an offset (not connected to any other) keeps the raw total.
    """
    cal = {e: agg.exact_totals[e] - _dec(offsets.get(e) or 0) for e in agg.counted}
    value, _, _ = combine([cal[e] for e in agg.counted], method)
    return (None if value is None else _num(value)), {e: _num(v) for e, v in cal.items()}


__all__ = [
    "METHODS", "ITEM_TIES", "GATE_TIES", "TIER_TIES", "TRIM_FROM", "FLAG_CODES", "DEFAULT_DEVIATION_SHARE",
    "AggregationSettings", "ApplicationScores", "Flag", "GateOutcome", "ItemOutcome", "ApplicationAggregate",
    "ProgramAggregate", "aggregate_application", "aggregate_program", "combine", "values_from_score_rows",
    "with_calibrated",
]
