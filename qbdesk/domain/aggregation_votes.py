"""The experts' votes on gates, items and item tiers (准入条件、逐项核定与档位), by majority.

Only counted experts vote (those who gave values and did not recuse), and only on what they
decided. A **gate** passes when more of them passed it than failed it; an **item** is accepted when
more accepted it than rejected it; an accepted item's **tier** is the one named by most of the
experts who accepted it (an expert who names none keeps the applicant's declared tier). Ties:

- ``gate_tie`` ``fail`` (default) or ``pass``; ``item_tie`` ``reject`` (default) or ``accept``. The
  defaults refuse: a gate or an item moves public money only when a majority confirmed it, and a
  tie is no majority (the applicant carries the burden of showing it qualifies).
- ``tier_tie`` ``lower`` (default: the tied tier that comes first in the program's tier order,
  i.e. the smaller amount, again because the larger one was not confirmed by a majority) or
  ``declared`` (the applicant's declared tier when it is among the tied, else as ``lower``). Tied
  tiers outside the tier order come after those in it, in alphabetical order.

Every tie, every split gate and every corrected tier is stated in the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import ItemDecision, Rubric

if TYPE_CHECKING:
    from qbdesk.domain.aggregation import AggregationSettings, ApplicationScores, Flag, GateOutcome, ItemOutcome


def _list(experts: Sequence[str]) -> tuple[str, str]:
    return "、".join(experts) or "无", ", ".join(experts) or "none"


def decide_gates(rubric: Rubric, app: ApplicationScores, counted: Sequence[str], settings: AggregationSettings
                 ) -> tuple[tuple[GateOutcome, ...], list[Flag], list[Msg]]:
    from qbdesk.domain.aggregation import Flag, GateOutcome

    outcomes: list[GateOutcome] = []
    flags: list[Flag] = []
    reasons: list[Msg] = []
    for c in rubric.check_criteria:
        passes = tuple(e for e in counted if app.scores[e].get(c.id) is True)
        fails = tuple(e for e in counted if app.scores[e].get(c.id) is False)
        tie = bool(passes) and len(passes) == len(fails)
        passed = settings.gate_tie == "pass" if tie else len(passes) > len(fails)
        outcomes.append(GateOutcome(c.id, passed, passes, fails, tie))
        zh, en = c.name.zh, c.name.en
        count_zh, count_en = f"{len(passes)} 位通过、{len(fails)} 位不通过", f"{len(passes)} passed, {len(fails)} failed"
        if not passes and not fails:
            reasons.append(Msg(f"准入条件「{zh}」无专家判定，视为未通过", f"gate “{en}”: no expert decided it, so not passed"))
            continue
        if tie:
            rule = Msg("按平票规则视为通过", "passed by the tie rule (gate_tie = pass)") if passed else \
                Msg("按平票规则视为不通过", "failed by the tie rule (gate_tie = fail)")
            reasons.append(Msg(f"准入条件「{zh}」平票（{count_zh}），{rule.zh}", f"gate “{en}” is tied ({count_en}): {rule.en}"))
        elif not passed:
            reasons.append(Msg(f"准入条件「{zh}」经多数专家判定不通过（{count_zh}）",
                               f"gate “{en}” failed by a majority ({count_en})"))
        if not passed:
            flags.append(Flag("gate_failed", Msg(f"准入条件「{zh}」不通过（{count_zh}）", f"gate “{en}” failed ({count_en})"),
                              criterion=c.id))
        if passes and fails:
            fz, fe = _list(fails)
            flags.append(Flag("gate_split", Msg(f"准入条件「{zh}」意见不一：{count_zh}（不通过：{fz}）",
                                                f"gate “{en}” is split: {count_en} (failed by {fe})"), criterion=c.id))
    if outcomes and all(o.passed for o in outcomes) and not any(o.tie for o in outcomes):
        reasons.append(Msg(f"准入条件 {len(outcomes)} 项均经多数专家判定通过",
                           f"all {len(outcomes)} gate{'s' if len(outcomes) != 1 else ''} passed by a majority"))
    return tuple(outcomes), flags, reasons


def _decision(raw: Any) -> tuple[bool, str | None] | None:
    """(accepted, tier named by the expert or None) from one stored item value."""
    if type(raw) is dict:  # the stored form: {"accepted", "reason", "tier"?}; the fast path
        accepted, tier = raw.get("accepted"), raw.get("tier")
        if type(accepted) is not bool:
            return None
        return accepted, tier if type(tier) is str and tier.strip() else None
    d = ItemDecision.coerce(raw)
    if d is None:
        return None
    tier = raw.get("tier") if isinstance(raw, Mapping) else getattr(d, "tier", None)
    return d.accepted, tier if isinstance(tier, str) and tier.strip() else None


def _break_tier_tie(tied: list[str], declared: str | None, rule: str, tier_order: Sequence[str]) -> str:
    if rule == "declared" and declared in tied:
        return declared  # type: ignore[return-value]
    rank = {t: i for i, t in enumerate(tier_order)}
    return min(tied, key=lambda t: (0, rank[t], t) if t in rank else (1, 0, t))


def decide_items(rubric: Rubric, app: ApplicationScores, counted: Sequence[str], settings: AggregationSettings,
                 tier_order: Sequence[str]) -> tuple[tuple[ItemOutcome, ...], list[Flag], list[Msg]]:
    from qbdesk.domain.aggregation import Flag, ItemOutcome

    crit = rubric.items_criterion
    if crit is None:
        return (), [], []
    what = crit.item or Msg("条目", "item")
    given: dict[str, dict[str, tuple[bool, str | None]]] = {}  # expert -> item -> decision
    seen: set[str] = set()
    for e in counted:
        raw = app.scores[e].get(crit.id)
        mine = {}
        if type(raw) is dict or isinstance(raw, Mapping):
            for item, v in raw.items():
                d = _decision(v)
                if d is not None:
                    mine[str(item)] = d
        given[e] = mine
        seen.update(mine)
    order = list(dict.fromkeys([*app.items, *sorted(seen - set(app.items))]))

    outcomes: list[ItemOutcome] = []
    flags: list[Flag] = []
    reasons: list[Msg] = []
    for item in order:
        accepts_l: list[str] = []
        rejects_l: list[str] = []
        for e in counted:
            d = given[e].get(item)
            if d is not None:
                (accepts_l if d[0] else rejects_l).append(e)
        accepts, rejects = tuple(accepts_l), tuple(rejects_l)
        tie = bool(accepts) and len(accepts) == len(rejects)
        accepted = settings.item_tie == "accept" if tie else len(accepts) > len(rejects)
        count_zh, count_en = f"{len(accepts)} 位认可、{len(rejects)} 位不认可", f"{len(accepts)} accepted, {len(rejects)} rejected"
        if not accepts and not rejects:
            reasons.append(Msg(f"{what.zh}「{item}」无专家判定，不予认定", f"{what.en} “{item}”: no expert decided it, not accepted"))
        elif tie:
            rule = Msg("按平票规则予以认定", "accepted by the tie rule (item_tie = accept)") if accepted else \
                Msg("按平票规则不予认定", "rejected by the tie rule (item_tie = reject)")
            msg = Msg(f"{what.zh}「{item}」平票（{count_zh}），{rule.zh}", f"{what.en} “{item}” is tied ({count_en}): {rule.en}")
            reasons.append(msg)
            flags.append(Flag("item_tie", msg, item=item))
        elif not accepted:
            reasons.append(Msg(f"{what.zh}「{item}」经多数专家判定不予认定（{count_zh}）",
                               f"{what.en} “{item}” rejected by a majority ({count_en})"))
        else:
            reasons.append(Msg(f"{what.zh}「{item}」经多数专家认定（{count_zh}）",
                               f"{what.en} “{item}” accepted by a majority ({count_en})"))

        tier, votes, tier_tie = None, {}, False
        declared = app.declared_tiers.get(item)
        if accepted:
            named: dict[str, int] = {}
            for e in accepts:
                t = given[e][item][1] or declared
                if t is not None:
                    named[t] = named.get(t, 0) + 1
            votes = dict(sorted(named.items()))
            if named:
                top = max(named.values())
                tied = sorted(t for t, n in named.items() if n == top)
                tier_tie = len(tied) > 1
                tier = _break_tier_tie(tied, declared, settings.tier_tie, tier_order) if tier_tie else tied[0]
                shown_zh = "、".join(f"{t} {n} 位" for t, n in votes.items())
                shown_en = ", ".join(f"{t}: {n}" for t, n in votes.items())
                if tier_tie:
                    msg = Msg(f"{what.zh}「{item}」的档位平票（{shown_zh}），按平票规则（{settings.tier_tie}）定为 {tier}",
                              f"{what.en} “{item}”: the tier is tied ({shown_en}); by the tie rule ({settings.tier_tie}) it is {tier}")
                    reasons.append(msg)
                    flags.append(Flag("tier_tie", msg, item=item))
                elif declared is not None and tier != declared:
                    reasons.append(Msg(f"{what.zh}「{item}」的档位由申报的 {declared} 经多数专家更正为 {tier}（{shown_zh}）",
                                       f"{what.en} “{item}”: the declared tier {declared} corrected to {tier} by a majority ({shown_en})"))
        outcomes.append(ItemOutcome(item, accepted, accepts, rejects, tie, tier, votes, tier_tie))
    return tuple(outcomes), flags, reasons
