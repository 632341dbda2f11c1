"""A verified (核准类) program's allocation: full amounts within the budget, else shared.

Verified programs (by default P3, P4, P5, P7) pay an entitlement after the fact, so there is no
ranking contest: when the eligible amounts exceed the budget, ``shortfall = "pro_rata"`` scales
every amount by budget ÷ total, rounded down to whole yuan (足额或折算分配, as Shenzhen's 2023
核准类 guide does) and states the remainder; ``"rank_order"`` pays in the order given, as
:func:`qbdesk.domain.funding.allocate` does for scored programs. docs/funding.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from qbdesk.domain.funding import FundingDecision, FundingRequest, PriorGrants, _en, _zh, allocate
from qbdesk.domain.messages import Msg
from qbdesk.domain.programs import ProgramSettings, program


@dataclass(frozen=True)
class Allocation:
    """A verified program's allocation: every decision, and how the budget was shared."""

    decisions: tuple[tuple[FundingRequest, FundingDecision], ...]
    eligible_total: int  # what the rules give before the budget
    granted_total: int
    budget: int | None
    remainder: int | None  # budget − granted (None: no budget)
    note: Msg  # one line for the program summary

    def amounts(self) -> dict[str, int]:
        return {r.application_id: d.amount for r, d in self.decisions}


def allocate_verified(
    settings: ProgramSettings,
    requests: Sequence[FundingRequest] | Iterable[FundingRequest],
    *,
    prior: Mapping[str, PriorGrants] | None = None,
) -> Allocation:
    """A verified (核准类) program: full amounts when the budget allows, else shared.

    Every eligible amount is first computed without the budget (gates, items, yearly caps,
    request). When their total exceeds ``settings.budget``: ``shortfall = "pro_rata"`` scales
    each by budget ÷ total, rounded down to whole yuan (足额或折算分配), and states the
    remainder; ``"rank_order"`` pays in the order given, as :func:`allocate` does.
    """
    requests = list(requests)
    budget = settings.budget
    full = allocate(replace(settings, budget=None), requests, prior=prior)
    total = sum(d.amount for _, d in full)
    if budget is not None and total > budget and settings.shortfall == "rank_order":
        out = allocate(settings, requests, prior=prior)
        granted = sum(d.amount for _, d in out)
        return Allocation(tuple(out), total, granted, budget, budget - granted, _note(granted, total, budget, scaled=False))
    if budget is None:
        return Allocation(tuple(full), total, total, None, None, _note(total, total, None, scaled=False))
    if total <= budget:
        return Allocation(tuple(full), total, total, budget, budget - total, _note(total, total, budget, scaled=False))
    out: list[tuple[FundingRequest, FundingDecision]] = []
    for r, d in full:
        if d.amount == 0:
            out.append((r, d))
            continue
        amount = d.amount * budget // total  # integer yuan, rounded down
        f = program(settings.program).funding
        items = min(d.items_granted, -(-amount // f.max_per_item)) if f.kind == "per_item" and amount else d.items_granted
        reasons = d.reasons[:-1] + (
            Msg(f"本项目合格申报合计{_zh(total)}，超过预算{_zh(budget)}，按预算÷合计折算（取整到元），{_zh(d.amount)}折算为{_zh(amount)}",
                f"Eligible amounts total {_en(total)}, above the budget of {_en(budget)}: scaled by budget ÷ total "
                f"(rounded down to the yuan), {_en(d.amount)} becomes {_en(amount)}"),
            Msg(f"建议资助{_zh(amount)}", f"Recommended: {_en(amount)}"),
        )
        out.append((r, FundingDecision(d.program, amount, d.rule_amount, items if amount else 0, reasons,
                                       d.capped_by + ("pro_rata",))))
    granted = sum(d.amount for _, d in out)
    return Allocation(tuple(out), total, granted, budget, budget - granted, _note(granted, total, budget, scaled=True))


def _note(granted: int, total: int, budget: int | None, *, scaled: bool) -> Msg:
    if budget is None:
        return Msg(f"合格申报合计{_zh(total)}，本项目不设预算上限，足额资助",
                   f"Eligible amounts total {_en(total)}; no budget cap: paid in full")
    left = budget - granted
    if scaled:
        return Msg(f"合格申报合计{_zh(total)}，超过预算{_zh(budget)}，按比例折算后共资助{_zh(granted)}，"
                   f"取整余下{_zh(left)}未分配",
                   f"Eligible amounts total {_en(total)}, above the budget of {_en(budget)}: scaled pro rata to "
                   f"{_en(granted)} in all, {_en(left)} left over from rounding down")
    if granted < total:
        return Msg(f"合格申报合计{_zh(total)}，超过预算{_zh(budget)}，按排序资助共{_zh(granted)}，预算余{_zh(left)}",
                   f"Eligible amounts total {_en(total)}, above the budget of {_en(budget)}: paid in rank order, "
                   f"{_en(granted)} in all, {_en(left)} of the budget left")
    return Msg(f"合格申报合计{_zh(total)}，未超过预算{_zh(budget)}，足额资助，预算余{_zh(left)}",
               f"Eligible amounts total {_en(total)}, within the budget of {_en(budget)}: paid in full, {_en(left)} left")
