"""One edit checked against its application's rubric, and put into the working state.

``check`` says why an edit is refused (a stable code and a bilingual message) or what is stored:
scores made canonical (12.0 -> 12), item decisions as ``{"accepted", "reason"[, "tier"]}``.
``put`` applies a checked edit to the state and says whether it changed anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Criterion, ItemDecision, canonical_json
from qbdesk.domain.text import typed, unstorable
from qbdesk.formats.scorefile import MAX_TEXT
from qbdesk.services.reviewer.views import ApplicationView, Blind


def number(value: Any) -> Any:
    """Scores kept canonical: 12.0 -> 12, Decimal -> float; anything else is left for the rubric to refuse."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    f = float(value)
    return int(f) if f.is_integer() else f


def check(blind: Blind, apps: Mapping[str, ApplicationView], recusals: Mapping[str, Any], code: str, criterion: str,
          item: str, value: Any, comment: str, draft: bool) -> tuple[tuple[str, Msg] | None, Any, str]:
    """(problem code and message or None, value as stored, comment as stored)."""
    app = apps.get(code)
    if app is None:
        return ("unknown_application", Msg(f"本快照中没有申报 {code}", f"this snapshot has no application {code}")), None, ""
    if code in recusals:
        return ("recused", Msg(f"申报 {code} 已回避，不能评分（如需评分请先撤销回避）",
                               f"application {code} is recused and cannot be scored (withdraw the recusal first)")), None, ""
    rubric = blind.rubrics[app.rubric_hash]
    try:
        c = rubric.criterion(criterion)
    except KeyError:
        return ("unknown_criterion", Msg(f"申报 {code} 的评分细则中没有评分项 {criterion}",
                                         f"the rubric of application {code} has no criterion {criterion}")), None, ""
    if (c.kind == "items") != bool(item) or (item and item not in app.item_ids):
        ids = "、".join(app.item_ids) or "—"
        return ("unknown_item", Msg(f"评分项 {criterion}（{c.kind}）的条目 {item or '（空）'} 无效；应为 {ids}" if c.kind == "items"
                                    else f"评分项 {criterion} 不按条目评分，条目应为空",
                                    f"criterion {criterion} ({c.kind}): item {item or '(empty)'} is not valid; expected one of {ids}"
                                    if c.kind == "items" else f"criterion {criterion} has no items; leave the item empty")), None, ""
    comment = typed(comment or "")  # control characters: invisible, never meant, and not storable everywhere
    if isinstance(value, str):
        value = typed(value)
    elif isinstance(value, dict) and isinstance(value.get("reason"), str):
        value = {**value, "reason": typed(value["reason"])}
    for text in (comment, value, value.get("reason") if isinstance(value, dict) else None):
        if isinstance(text, str) and (problem := unstorable(text)) is not None:  # a lone surrogate: not UTF-8
            return ("invalid_value", Msg(f"「{c.name.zh}」：{problem.zh}", f"“{c.name.en}”: {problem.en}")), None, ""
    if c.kind == "items":
        return _check_item(c, item, value, comment, draft, blind.program(app.program).tiers)
    value = number(value)
    if len(comment) > MAX_TEXT or (isinstance(value, str) and len(value) > MAX_TEXT):
        return ("invalid_value", Msg(f"「{c.name.zh}」的文字超过 {MAX_TEXT} 字", f"“{c.name.en}”: the text is longer than {MAX_TEXT} characters")), None, ""
    if value is None:
        return None, None, comment
    if draft:  # stored even when incomplete (too short, comment still to come); missing() lists it
        if c.kind == "opinion":
            problem = None if isinstance(value, str) else c.validate_value(value)
        else:
            problem = c.validate_value(value, comment or "·")
    else:
        problem = c.validate_value(value, comment)
    return (("invalid_value", problem) if problem else None), value, comment

def _check_item(c: Criterion, item: str, value: Any, comment: str, draft: bool, tiers: Mapping[str, Msg]):
    if value is None:
        return None, None, ""
    decision = ItemDecision(value, comment) if isinstance(value, bool) else ItemDecision.coerce(value)
    what = c.item or Msg("条目", "item")
    if decision is None:
        return ("invalid_value", Msg(f"「{c.name.zh}」中 {what.zh} {item} 须判定为接受或不接受",
                                     f"“{c.name.en}”: {what.en} {item} must be accepted or rejected")), None, ""
    stored = {"accepted": decision.accepted, "reason": (decision.reason or comment).strip()}
    if decision.tier is not None:
        if not decision.accepted:
            return ("invalid_value", Msg(f"「{c.name.zh}」中 {what.zh} {item} 被驳回，不应指定档次",
                                         f"“{c.name.en}”: {what.en} {item} is rejected and takes no tier")), None, ""
        if decision.tier not in tiers:
            known = ", ".join(tiers) or "—"
            return ("invalid_value", Msg(f"「{c.name.zh}」中 {what.zh} {item} 的档次“{decision.tier}”不在本项目档次表中（可选：{known}）",
                                         f"“{c.name.en}”: tier “{decision.tier}” of {what.en} {item} is not in the "
                                         f"program's tier table (one of: {known})")), None, ""
        stored["tier"] = decision.tier
    if len(stored["reason"]) > MAX_TEXT:
        return ("invalid_value", Msg(f"「{c.name.zh}」的理由超过 {MAX_TEXT} 字", f"“{c.name.en}”: the reason is longer than {MAX_TEXT} characters")), None, ""
    problem = None if draft else c.validate_value({item: stored})
    return (("invalid_value", problem) if problem else None), stored, ""


def put(state: dict[str, Any], code: str, criterion: str, item: str, stored: Any, note: str) -> bool:
    """Set one value in the working state; False when it is already so."""
    values = state["values"].setdefault(code, {})
    comments = state["comments"].setdefault(code, {})
    if item:
        decisions = values.get(criterion) or {}
        if canonical_json(decisions.get(item)) == canonical_json(stored):
            return False
        if stored is None:
            decisions.pop(item, None)
        else:
            decisions[item] = stored
        values[criterion] = decisions
        if not decisions:
            values.pop(criterion)
    else:
        old = (values.get(criterion), comments.get(criterion, ""))
        if canonical_json(old) == canonical_json((stored, note)):
            return False
        if stored is None:
            values.pop(criterion, None)
        else:
            values[criterion] = stored
        if note:
            comments[criterion] = note
        else:
            comments.pop(criterion, None)
    for table in (state["values"], state["comments"]):
        if not table.get(code):
            table.pop(code, None)
    return True
