"""Ranking (排序) of a scored program's applications, and the pass line and key-criterion minimum.

Pure: the aggregates in, the order and the reasons out (docs/results.md, "Ranking"):

- **Order**: higher aggregate first; equal aggregates by the higher mean score on the rubric's
  key criterion (``criteria[key]``, the mean over the counted experts); still equal, the earlier
  application id. The comparison of aggregates is exact (the decimals the totals are made of), so
  the order never depends on floating-point noise. The ranking is total: ranks are 1, 2, 3, …
  with no shared rank, and every tie is stated with the level that broke it.
- An application no expert counted has no aggregate, no rank, and comes after the ranked ones.
- **Pass line**: the aggregate must reach the round's ``pass_threshold`` (≥, exactly); the
  **key criterion** its ``key_minimum`` (≥). A verified (核准类) program has no ranking and no
  pass line (:func:`verified_order`), only the key-criterion minimum if the round sets one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from qbdesk.domain.aggregation import ApplicationAggregate, combine
from qbdesk.domain.messages import Msg

TIE_BREAKS = ("key_criterion", "application_id")


@dataclass(frozen=True)
class Ranked:
    """One application's place: ``rank`` None in a verified program or with no aggregate."""

    aggregate: ApplicationAggregate
    rank: int | None
    exact: Decimal | None  # the aggregate as an exact decimal
    key_score: float | None  # mean score on the key criterion over the counted experts
    passed_threshold: bool
    key_criterion_met: bool
    tie_break: str | None  # how a tie with a neighbour was broken (TIE_BREAKS), None: no tie
    reasons: tuple[Msg, ...]

    @property
    def application(self) -> str:
        return self.aggregate.application


def _show(x: Decimal | float) -> str:
    s = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def exact_aggregate(agg: ApplicationAggregate, method: str) -> Decimal | None:
    """The aggregate in exact decimals, recomputed from the counted experts' exact totals."""
    if not agg.counted:
        return None
    value, _, _ = combine([agg.exact_totals[e] for e in agg.counted], method)
    return value


def _key_score(agg: ApplicationAggregate, key: str | None) -> float | None:
    return None if key is None else agg.criteria.get(key)


def _limits(agg: ApplicationAggregate, exact: Decimal | None, key_score: float | None, *, pass_threshold: float | None,
            key_minimum: float | None, key_name: Msg) -> tuple[bool, bool, list[Msg]]:
    reasons: list[Msg] = []
    passed = True
    if pass_threshold is not None:
        t = _show(pass_threshold)
        if exact is None:
            passed = False
        elif exact >= Decimal(str(pass_threshold)):
            reasons.append(Msg(f"汇总分 {_show(exact)} 达到及格线 {t} 分", f"the aggregate {_show(exact)} reaches the pass threshold of {t}"))
        else:
            passed = False
            reasons.append(Msg(f"汇总分 {_show(exact)} 低于及格线 {t} 分", f"the aggregate {_show(exact)} is below the pass threshold of {t}"))
    met = True
    if key_minimum is not None:
        m = _show(key_minimum)
        if key_score is None:
            met = False
            reasons.append(Msg(f"关键评分项「{key_name.zh}」无得分，未达到最低 {m} 分",
                               f"the key criterion “{key_name.en}” has no score: below the minimum of {m}"))
        elif Decimal(str(key_score)) >= Decimal(str(key_minimum)):
            reasons.append(Msg(f"关键评分项「{key_name.zh}」平均 {_show(key_score)} 分，达到最低 {m} 分",
                               f"the key criterion “{key_name.en}” averages {_show(key_score)}, reaching the minimum of {m}"))
        else:
            met = False
            reasons.append(Msg(f"关键评分项「{key_name.zh}」平均 {_show(key_score)} 分，低于最低 {m} 分",
                               f"the key criterion “{key_name.en}” averages {_show(key_score)}, below the minimum of {m}"))
    return passed, met, reasons


def rank_program(aggregates: Sequence[ApplicationAggregate], *, method: str, key_criterion: str | None,
                 pass_threshold: float | None, key_minimum: float | None = None,
                 key_name: Msg | None = None) -> list[Ranked]:
    """A scored program's applications in rank order (best first), the unranked last by id."""
    key_name = key_name or Msg(key_criterion or "", key_criterion or "")
    rows = []
    for a in aggregates:
        exact = exact_aggregate(a, method)
        rows.append((a, exact, _key_score(a, key_criterion)))
    ranked = sorted((r for r in rows if r[1] is not None),
                    key=lambda r: (-r[1], -(r[2] if r[2] is not None else float("-inf")), r[0].application))
    unranked = sorted((r for r in rows if r[1] is None), key=lambda r: r[0].application)
    out: list[Ranked] = []
    for i, (a, exact, key) in enumerate(ranked):
        passed, met, reasons = _limits(a, exact, key, pass_threshold=pass_threshold, key_minimum=key_minimum,
                                       key_name=key_name)
        tie_break = None
        tied = [j for j in (i - 1, i + 1) if 0 <= j < len(ranked) and ranked[j][1] == exact]
        if tied:
            j = tied[0]  # the one before, else the one after
            other, _, other_key = ranked[j]
            before = j > i  # this one comes before the other
            tie_break, msg = _tie(exact, key, other.application, other_key, before, key_name)
            reasons.append(msg)
        reasons.insert(0, Msg(f"排名第 {i + 1} 位（共 {len(ranked)} 个申报参与排序）",
                              f"ranked {i + 1} of {len(ranked)}"))
        out.append(Ranked(a, i + 1, exact, key, passed, met, tie_break, tuple(reasons)))
    for a, exact, key in unranked:
        passed, met, reasons = _limits(a, exact, key, pass_threshold=pass_threshold, key_minimum=key_minimum,
                                       key_name=key_name)
        reasons.insert(0, Msg("没有专家计分，不参与排序", "no expert counted: not ranked"))
        out.append(Ranked(a, None, None, key, False, met, None, tuple(reasons)))
    return out


def _tie(exact: Decimal, key: float | None, other: str, other_key: float | None, before: bool,
         key_name: Msg) -> tuple[str, Msg]:
    where_zh, where_en = ("排在", "ahead of") if before else ("排在", "after")
    pos_zh = "之前" if before else "之后"
    v = _show(exact)
    if key != other_key:
        k = "无" if key is None else _show(key)
        ok = "无" if other_key is None else _show(other_key)
        k_en = "none" if key is None else _show(key)
        ok_en = "none" if other_key is None else _show(other_key)
        return "key_criterion", Msg(
            f"汇总分与 {other} 相同（{v}），按关键评分项「{key_name.zh}」平均分（{k} 对 {ok}）{where_zh} {other} {pos_zh}",
            f"the aggregate equals {other}'s ({v}): by the key criterion “{key_name.en}” ({k_en} against {ok_en}) "
            f"ranked {where_en} {other}")
    k = "无" if key is None else _show(key)
    k_en = "none" if key is None else _show(key)
    return "application_id", Msg(
        f"汇总分（{v}）和关键评分项「{key_name.zh}」平均分（{k}）均与 {other} 相同，按申报编号先后{where_zh} {other} {pos_zh}",
        f"the aggregate ({v}) and the key criterion “{key_name.en}” ({k_en}) equal {other}'s: by the earlier "
        f"application id ranked {where_en} {other}")


def verified_order(aggregates: Sequence[ApplicationAggregate], *, method: str, key_criterion: str | None,
                   key_minimum: float | None = None, key_name: Msg | None = None) -> list[Ranked]:
    """A verified program: no ranking contest; listed by application id, no pass line."""
    key_name = key_name or Msg(key_criterion or "", key_criterion or "")
    out = []
    for a in sorted(aggregates, key=lambda a: a.application):
        exact = exact_aggregate(a, method)
        key = _key_score(a, key_criterion)
        _, met, reasons = _limits(a, exact, key, pass_threshold=None, key_minimum=key_minimum, key_name=key_name)
        reasons.insert(0, Msg("核准类项目不排序，按申报编号列出", "verified program: not ranked, listed by application id"))
        out.append(Ranked(a, None, exact, key, True, met, None, tuple(reasons)))
    return out


__all__ = ["TIE_BREAKS", "Ranked", "exact_aggregate", "rank_program", "verified_order"]
