"""Recommended funding under the program rules, the per-year caps and the budget.

:func:`recommend` is the one place that turns a reviewed application into a
recommended amount. It is pure: callers hand it everything it needs (the
round's program settings, the review outcome, what the same enterprise was
already granted this year, the remaining budget) and get back the amount in
integer yuan plus every step that shaped it, in Chinese and English.

The order of caps (docs/funding.md):

1. eligibility gate and pass threshold: a fail gives 0;
2. the program rule (chapter 4 of the Operating Procedures): fixed amount;
   per item, counting only the items still inside the per-enterprise-per-year
   cap; or the round's tier table;
3. never more than the applicant requested;
4. never more than the program's remaining budget.

Prior grants are **per program**: the seed's caps are stated inside each
program ("每家企业每年资助不超过3项" is P3's own sentence), so a P4
accreditation does not use up a P3 certificate slot. They count what the
same enterprise (same unified social credit code) was granted in the same
fund year, in earlier rounds and earlier in this allocation.

:func:`allocate` walks a ranked list and keeps that bookkeeping, so two
applications of one enterprise in one round share the cap and the budget; a verified
(核准类) program shares a short budget pro rata instead (:mod:`qbdesk.domain.verified`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.domain.programs import Program, ProgramSettings, program

# Machine-readable reasons an amount is below the program rule (or zero).
CAP_CODES = ("veto", "gate", "threshold", "key_criterion", "no_items", "year_cap", "tier_unknown", "already_granted",
             "requested", "budget", "pro_rata")

# Measure words for the item names in programs.json; the seed says
# "每获一张认证证书", "每获得一个……认可资质", "每个项目". Unknown items fall back to 项.
_MEASURE_ZH = {"认证证书": "张", "认可资质": "个", "项目": "个"}
_DIGITS_ZH = "零一二三四五六七八九"


@dataclass(frozen=True)
class PriorGrants:
    """What one enterprise was already granted in one program in the same fund year.

    ``items`` counts certificates/accreditations/projects for per-item
    programs, and grants for the others; ``amount`` is in yuan.
    """

    items: int = 0
    amount: int = 0

    def plus(self, decision: FundingDecision) -> PriorGrants:
        return PriorGrants(self.items + decision.items_granted, self.amount + decision.amount)


@dataclass(frozen=True)
class FundingDecision:
    program: str
    amount: int  # recommended, yuan
    rule_amount: int  # what the program rule alone gives (after gates and the year cap)
    items_granted: int  # what this grant adds to the enterprise's PriorGrants.items
    reasons: tuple[Msg, ...]
    capped_by: tuple[str, ...] = field(default=())

    def explain(self, lang: str = "zh") -> str:
        sep = "；" if lang != "en" else "; "
        return sep.join(r.text(lang) for r in self.reasons)


# --- wording helpers -----------------------------------------------------------


def _zh_number(n: int) -> str:
    """1..99 in Chinese numerals, as article numbers are written (第十条, 第十二条)."""
    if n < 10:
        return _DIGITS_ZH[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS_ZH[tens]) + "十" + (_DIGITS_ZH[ones] if ones else "")


def article_label(article: str) -> Msg:
    """'8(3)' -> 第八条第三款 / Art. 8(3)."""
    head, _, rest = article.partition("(")
    zh = f"第{_zh_number(int(head))}条"
    if rest:
        zh += f"第{_zh_number(int(rest.rstrip(')')))}款"
    return Msg(zh, f"Art. {article}")


def format_amount(yuan: int) -> Msg:
    """Yuan as the seed writes them (5万元, 1.5万元, 500元) and as 50,000 yuan in English."""
    whole, rest = divmod(yuan, 10000)
    if yuan >= 10000 and rest == 0:
        zh = f"{whole}万元"
    elif yuan >= 10000:  # exact decimal 万, no floats: 15000 -> 1.5万元
        zh = f"{whole}.{rest:04d}".rstrip("0") + "万元"
    else:
        zh = f"{yuan}元"
    return Msg(zh, f"{yuan:,} yuan")


def _zh(yuan: int) -> str:
    return format_amount(yuan).zh


def _en(yuan: int) -> str:
    return format_amount(yuan).en


def _plural(word: str, n: int) -> str:
    return word if n == 1 else word + "s"


def describe_rule(program_code: str, settings: ProgramSettings | None = None) -> Msg:
    """A program's funding rule in words, with this round's tier table when given."""
    p = _program(program_code)
    art = article_label(p.article)
    f = p.funding
    if f.kind == "fixed":
        return Msg(f"{art.zh}：予以{_zh(f.amount)}资助", f"{art.en}: a fixed {_en(f.amount)}")
    if f.kind == "per_item":
        m = _MEASURE_ZH.get(f.item_zh, "项")
        if f.exact:
            return Msg(
                f"{art.zh}：每{m}{f.item_zh}资助{_zh(f.max_per_item)}，每家每年不超过{f.max_items_per_year}项",
                f"{art.en}: {_en(f.max_per_item)} per {f.item_en}, "
                f"at most {f.max_items_per_year} {_plural(f.item_en, 2)} per enterprise per year",
            )
        return Msg(
            f"{art.zh}：每{m}{f.item_zh}不超过{_zh(f.max_per_item)}，每家企业每年不超过{f.max_items_per_year}项",
            f"{art.en}: at most {_en(f.max_per_item)} per {f.item_en}, "
            f"at most {f.max_items_per_year} {_plural(f.item_en, 2)} per enterprise per year",
        )
    table = (settings or ProgramSettings(program_code)).tier_table()
    tiers_zh = "；".join(f"{t.zh} {_zh(t.amount)}" for t in table.values())
    tiers_en = "; ".join(f"{t.en}: {_en(t.amount)}" for t in table.values())
    return Msg(
        f"{art.zh}：按{f.tier_zh}分档资助，{_zh(f.min)}至{_zh(f.max)}。档位：{tiers_zh}",
        f"{art.en}: by {f.tier_en}, {_en(f.min)} to {_en(f.max)}. Tiers: {tiers_en}",
    )


# --- the rule ----------------------------------------------------------------------


def _program(code: str) -> Program:
    try:
        return program(code)
    except KeyError:
        raise QbdeskError(
            Msg(f"未知的项目代码：{code!r}（应为 P1 至 P9）", f"unknown program code {code!r} (expected P1 to P9)")
        ) from None


def _check_inputs(settings: ProgramSettings, accepted_items: int, requested: int | None, prior: PriorGrants) -> None:
    _program(settings.program)
    errors = settings.validate()
    if errors:
        raise QbdeskError(Msg("本轮项目配置无效：" + "；".join(e.zh for e in errors),
                              "invalid program settings: " + "; ".join(e.en for e in errors)))
    for name_zh, name_en, value in (
        ("认可项数", "accepted_items", accepted_items),
        ("申报金额", "requested_amount", requested),
        ("已获资助项数", "prior_grants.items", prior.items),
        ("已获资助金额", "prior_grants.amount", prior.amount),
    ):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise QbdeskError(
                Msg(f"{name_zh}必须是非负整数，实际为 {value!r}", f"{name_en} must be a non-negative integer, got {value!r}")
            )


def recommend(
    settings: ProgramSettings,
    *,
    gate_passed: bool,
    passed_threshold: bool = True,
    accepted_items: int = 0,
    tier: str | None = None,
    accepted_tiers: Sequence[str] | None = None,
    key_criterion_met: bool = True,
    requested_amount: int | None = None,
    prior_grants: PriorGrants = PriorGrants(),
    remaining_budget: int | None = None,
    veto: Sequence[Msg] | Msg = (),
) -> FundingDecision:
    """The recommended amount for one application, and why.

    ``veto`` holds the reasons of the coordinator's failed veto checks (一票否决,
    ``services.qualification.failed_vetoes``): any gives 0 whatever the scores.

    ``accepted_items`` counts for per-item programs (P3, P4, P6) only;
    ``tier`` for tiered programs (P5, P7) under the 2026.1 rules only (one declared
    tier per application); ``accepted_tiers`` for tiered programs under the 2026.2
    rules: the tier of every accepted item (P5 sums them, P7 takes the highest and
    pays a move up within the year as the difference). A verified program has no
    pass threshold, so ``passed_threshold`` does not count there;
    ``key_criterion_met`` is False when the aggregated score on the rubric's key
    criterion is below ``settings.key_minimum``. ``prior_grants`` is what the
    same enterprise got in this program earlier in the fund year.
    ``remaining_budget`` is what is left of the program's budget; None means
    nothing has been allocated yet, i.e. ``settings.budget`` (itself None:
    no budget cap). A negative remainder counts as exhausted.

    Raises :class:`QbdeskError` for invalid settings or negative counts.
    """
    _check_inputs(settings, accepted_items, requested_amount, prior_grants)
    p = program(settings.program)
    f = p.funding
    art = article_label(p.article)
    reasons: list[Msg] = []
    capped: list[str] = []

    def zero(items: int = 0) -> FundingDecision:
        reasons.append(Msg("建议资助0元", "Recommended: 0 yuan"))
        return FundingDecision(p.code, 0, 0, items, tuple(reasons), tuple(capped))

    if veto:  # 0. the qualification check's veto list comes before anything the experts decided
        capped.append("veto")
        reasons.extend(Msg(f"{v.zh}，不予资助", f"{v.en}: not funded") for v in ((veto,) if isinstance(veto, Msg) else veto))
        return zero()
    if not gate_passed:
        capped.append("gate")
        reasons.append(Msg("资格审查项未通过，不予资助", "An eligibility check failed: not funded"))
    if not passed_threshold and not settings.verified:
        capped.append("threshold")
        if settings.pass_threshold is None:
            reasons.append(Msg("综合得分未达到本轮及格线，不予资助", "The total is below this round's pass threshold: not funded"))
        else:
            t = f"{settings.pass_threshold:g}"
            reasons.append(
                Msg(f"综合得分未达到本轮及格线{t}分，不予资助", f"The total is below this round's pass threshold of {t}: not funded")
            )
    if not key_criterion_met and settings.key_minimum is not None:
        capped.append("key_criterion")
        k = f"{settings.key_minimum:g}"
        reasons.append(Msg(f"关键评分项得分未达到本轮最低要求{k}分，不予资助",
                           f"The key criterion's score is below this round's minimum of {k}: not funded"))
    if capped:
        return zero()

    # 2. the program rule
    units = 1  # what the rule amount is made of: items for per-item programs, one grant otherwise
    if f.kind == "fixed":
        rule_amount = f.amount
        reasons.append(Msg(f"按{art.zh}，予以{_zh(rule_amount)}资助", f"{art.en}: a fixed {_en(rule_amount)}"))
    elif f.kind == "per_item":
        cap, per = f.max_items_per_year, f.max_per_item
        left = max(0, cap - prior_grants.items)
        m = _MEASURE_ZH.get(f.item_zh, "项")
        if prior_grants.items:
            reasons.append(
                Msg(
                    f"该单位本年度已获本项目资助{prior_grants.items}项（{_zh(prior_grants.amount)}），"
                    f"每年不超过{cap}项，尚可资助{left}项",
                    f"Already granted {prior_grants.items} {_plural(f.item_en, prior_grants.items)} "
                    f"({_en(prior_grants.amount)}) in this program this year; at most {cap} a year, {left} left",
                )
            )
        if accepted_items == 0:
            capped.append("no_items")
            reasons.append(Msg(f"评审认可的{f.item_zh}为0{m}，不予资助", f"No {_plural(f.item_en, 2)} accepted: not funded"))
            return zero()
        units = min(accepted_items, left)
        if units < accepted_items:
            capped.append("year_cap")
            reasons.append(
                Msg(
                    f"评审认可{accepted_items}{m}，超过本年度尚可资助的{left}项（每年不超过{cap}项），按{units}{m}计",
                    f"{accepted_items} accepted, more than the {left} left of the cap of {cap} a year: {units} counted",
                )
            )
        if units == 0:
            return zero()
        rule_amount = units * per
        if f.exact:
            reasons.append(
                Msg(
                    f"按{art.zh}，每{m}{f.item_zh}资助{_zh(per)}，计{units}{m}，共{_zh(rule_amount)}",
                    f"{art.en}: {_en(per)} per {f.item_en}, {units} counted, {_en(rule_amount)}",
                )
            )
        else:
            verb_zh, total_zh, verb_en = ("计入", "共", "counted") if "year_cap" in capped else ("认可", "计", "accepted")
            reasons.append(
                Msg(
                    f"按{art.zh}，每{m}{f.item_zh}不超过{_zh(per)}，{verb_zh}{units}{m}，{total_zh}{_zh(rule_amount)}",
                    f"{art.en}: at most {_en(per)} per {f.item_en}, {units} {verb_en}, {_en(rule_amount)}",
                )
            )
    elif accepted_tiers is not None:  # tiered, by accepted item (2026.2 rules)
        step = _by_items(settings, accepted_tiers, prior_grants, reasons, capped)
        if step is None:
            return zero()
        rule_amount, units = step
    else:  # tiered, one declared tier per application (2026.1 rules)
        table = settings.tier_table()
        if tier is None or tier not in table:
            capped.append("tier_unknown")
            known = "、".join(table)
            if tier is None:
                reasons.append(Msg(f"未确定{f.tier_zh}，无法确定资助档位，不予资助", f"No {f.tier_en} given: no tier, not funded"))
            else:
                reasons.append(
                    Msg(
                        f"{f.tier_zh}“{tier}”不在本轮档位表中（可选：{known}），不予资助",
                        f"{f.tier_en.capitalize()} {tier!r} is not in this round's tier table "
                        f"({', '.join(table)}): not funded",
                    )
                )
            return zero()
        t = table[tier]
        if not isinstance(t.amount, int) or isinstance(t.amount, bool):
            raise QbdeskError(Msg(f"档位“{tier}”的金额必须是整数元", f"tier {tier!r}: the amount must be whole yuan"))
        rule_amount = t.amount
        reasons.append(
            Msg(
                f"按{art.zh}，{f.tier_zh}为“{t.zh}”，本轮档位资助{_zh(rule_amount)}（规程范围{_zh(f.min)}至{_zh(f.max)}）",
                f"{art.en}: {f.tier_en} “{t.en}”, this round's tier gives {_en(rule_amount)} "
                f"(the range the Operating Procedures set, {_en(f.min)} to {_en(f.max)})",
            )
        )
    if f.kind == "fixed" and (prior_grants.items or prior_grants.amount) or (
            f.kind == "tiered" and accepted_tiers is None and (prior_grants.items or prior_grants.amount)):
        # The seed sets no yearly cap on these programs: say so rather than silently ignore it.
        reasons.append(
            Msg(
                f"该单位本年度已获本项目资助{prior_grants.items}次（{_zh(prior_grants.amount)}）；规程未对本项目设年度上限",
                f"Already granted {prior_grants.items} time(s) ({_en(prior_grants.amount)}) in this program this year; "
                "the seed sets no yearly cap for this program",
            )
        )

    # 3. never more than requested
    amount = rule_amount
    if requested_amount is not None and requested_amount < amount:
        amount = requested_amount
        capped.append("requested")
        reasons.append(Msg(f"不超过申报金额，核减为{_zh(amount)}", f"Capped at the requested {_en(amount)}"))

    # 4. never more than the remaining budget
    budget = remaining_budget if remaining_budget is not None else settings.budget
    if budget is not None and budget < amount:
        amount = max(0, budget)
        capped.append("budget")
        if amount == 0:
            reasons.append(Msg("本项目预算已用完，不予资助", "The program budget is exhausted: not funded"))
        else:
            reasons.append(
                Msg(f"本项目剩余预算{_zh(amount)}，核减为{_zh(amount)}", f"Capped at the remaining budget of {_en(amount)}")
            )

    # A cut per-item grant uses up only the items it could pay for at the per-item maximum,
    # so the rest stay available to the enterprise later in the year.
    if amount == 0:
        items = 0
    elif f.kind == "per_item":
        items = min(units, -(-amount // f.max_per_item))
    else:
        items = units if f.combine == "sum" and accepted_tiers is not None else 1
    reasons.append(Msg(f"建议资助{_zh(amount)}", f"Recommended: {_en(amount)}"))
    return FundingDecision(p.code, amount, rule_amount, items, tuple(reasons), tuple(capped))


def _by_items(settings: ProgramSettings, accepted_tiers: Sequence[str], prior: PriorGrants,
              reasons: list[Msg], capped: list[str]) -> tuple[int, int] | None:
    """P5 and P7 by accepted item: (rule amount, items it counts), or None for nothing to fund."""
    p = program(settings.program)
    f = p.funding
    art = article_label(p.article)
    table = settings.tier_table()
    unknown = [t for t in accepted_tiers if t not in table]
    if unknown:
        capped.append("tier_unknown")
        reasons.append(Msg(
            f"{f.tier_zh}“{'、'.join(unknown)}”不在本轮档位表中（可选：{'、'.join(table)}），相应条目不计",
            f"{f.tier_en.capitalize()} {', '.join(map(repr, unknown))} not in this round's tier table "
            f"({', '.join(table)}): not counted",
        ))
    tiers = sorted((table[t] for t in accepted_tiers if t in table), key=lambda t: -t.amount)
    if not tiers:
        capped.append("no_items")
        reasons.append(Msg("评审认可的条目为0项，不予资助", "No item accepted: not funded"))
        return None
    rng_zh, rng_en = f"规程范围{_zh(f.min)}至{_zh(f.max)}", f"the Operating Procedures' range {_en(f.min)} to {_en(f.max)}"
    if f.combine == "highest":  # P7: 同年多项按最高一项，晋升补足差额
        top = tiers[0]
        if len(tiers) > 1:
            reasons.append(Msg(f"认可{len(tiers)}项荣誉，同年多项按最高一项计", f"{len(tiers)} honours accepted: the highest counts"))
        reasons.append(Msg(f"按{art.zh}，最高一项为“{top.zh}”，本轮档位{_zh(top.amount)}（{rng_zh}）",
                           f"{art.en}: the highest is “{top.en}”, this round's tier gives {_en(top.amount)} ({rng_en})"))
        if prior.amount:
            if prior.amount >= top.amount:
                capped.append("already_granted")
                reasons.append(Msg(f"该单位本年度已获本项目资助{_zh(prior.amount)}，不低于本次最高一项，同年不重复资助",
                                   f"Already granted {_en(prior.amount)} in this program this year, no less than this "
                                   "highest honour: not funded twice in one year"))
                return None
            diff = top.amount - prior.amount
            reasons.append(Msg(f"该单位本年度已获本项目资助{_zh(prior.amount)}，晋升补足差额{_zh(diff)}",
                               f"Already granted {_en(prior.amount)} in this program this year: the move up pays the "
                               f"difference, {_en(diff)}"))
            return diff, 1
        return top.amount, 1
    # P5: the sum of the accepted activities' tiers, within the round's yearly cap if it sets one
    counted = tiers
    if settings.max_activities is not None:
        left = max(0, settings.max_activities - prior.items)
        if prior.items:
            reasons.append(Msg(f"该单位本年度已获本项目资助{prior.items}项，每年不超过{settings.max_activities}项，尚可资助{left}项",
                               f"Already granted {prior.items} in this program this year; at most "
                               f"{settings.max_activities} a year, {left} left"))
        if len(tiers) > left:
            capped.append("year_cap")
            counted = tiers[:left]
            reasons.append(Msg(f"认可{len(tiers)}项，超过本年度尚可资助的{left}项，按金额最高的{left}项计",
                               f"{len(tiers)} accepted, more than the {left} left this year: the {left} highest counted"))
        if not counted:
            return None
    amount = sum(t.amount for t in counted)
    parts_zh = "＋".join(f"{t.zh}{_zh(t.amount)}" for t in counted)
    parts_en = " + ".join(f"{t.en} {_en(t.amount)}" for t in counted)
    reasons.append(Msg(f"按{art.zh}，认可{len(counted)}项：{parts_zh}，共{_zh(amount)}（每项{rng_zh}）",
                       f"{art.en}: {len(counted)} accepted: {parts_en}, {_en(amount)} (each within {rng_en})"))
    return amount, len(counted)


def accepted_tiers(declared: Mapping[str, str | None], decisions: Mapping[str, object]) -> tuple[str, ...]:
    """The tiers of the accepted items, as :func:`recommend` takes them (P5, P7).

    ``declared`` maps each item id of the application to its declared tier (the item's own
    ``tier``, else the package's top-level one); ``decisions`` maps item ids to an expert's
    decision (``ItemDecision`` or ``{"accepted", "reason"[, "tier"]}``). An accepted item counts
    at the tier the expert named, else at its declared tier; a rejected or undecided one not at all.
    """
    from qbdesk.domain.rubric import ItemDecision

    out: list[str] = []
    for item_id, tier in declared.items():
        d = ItemDecision.coerce(decisions.get(item_id))
        if d is not None and d.accepted:
            chosen = d.tier or tier
            if chosen:
                out.append(chosen)
    return tuple(out)


# --- a ranked list -------------------------------------------------------------------


@dataclass(frozen=True)
class FundingRequest:
    """One reviewed application of a program, as :func:`allocate` needs it."""

    application_id: str
    credit_code: str
    gate_passed: bool
    passed_threshold: bool = True
    accepted_items: int = 0
    tier: str | None = None
    requested_amount: int | None = None
    accepted_tiers: tuple[str, ...] | None = None  # P5, P7 under the 2026.2 rules
    key_criterion_met: bool = True
    veto: tuple[Msg, ...] = ()  # the failed veto checks (services.qualification.failed_vetoes)


def allocate(
    settings: ProgramSettings,
    ranked: Sequence[FundingRequest] | Iterable[FundingRequest],
    *,
    prior: Mapping[str, PriorGrants] | None = None,
) -> list[tuple[FundingRequest, FundingDecision]]:
    """Recommend in rank order (best first) against ``settings.budget``.

    ``prior`` maps credit codes to what each enterprise got in this program in
    earlier rounds of the same fund year. Strict rank order: when the budget
    runs short, the application reached gets the remainder and the ones after
    it get nothing, even if smaller (no skipping ahead in the ranking).
    """
    granted: dict[str, PriorGrants] = {_norm(k): v for k, v in (prior or {}).items()}
    remaining = settings.budget
    out: list[tuple[FundingRequest, FundingDecision]] = []
    for r in ranked:
        key = _norm(r.credit_code)
        d = recommend(
            settings,
            gate_passed=r.gate_passed,
            passed_threshold=r.passed_threshold,
            accepted_items=r.accepted_items,
            tier=r.tier,
            accepted_tiers=r.accepted_tiers,
            key_criterion_met=r.key_criterion_met,
            requested_amount=r.requested_amount,
            prior_grants=granted.get(key, PriorGrants()),
            remaining_budget=remaining,
            veto=r.veto,
        )
        if d.amount:
            granted[key] = granted.get(key, PriorGrants()).plus(d)
            if remaining is not None:
                remaining -= d.amount
        out.append((r, d))
    return out


def _norm(credit_code: str) -> str:
    # Same normalisation as credit_code.validate, without rejecting: the form check reports bad codes.
    return credit_code.strip().upper()
