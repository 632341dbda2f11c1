"""A round's per-program configuration after ``round init``: shown, and changed with an audit entry.

``program_configs`` gives each program's settings as stored (budget, mode, pass line, key
minimum, shortfall, experts per application) with its aggregation settings in force (the round's
choices, the documented defaults for the rest). ``change_program_config`` changes some of them
(``qbdesk round config --program P --set KEY=VALUE``): every value is checked as ``round init``
checks a configuration file, all problems reported at once, and the change is one
``round.config`` audit entry naming each setting's value before and after.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.services.rounds import (
    AGGREGATION_SETTINGS,
    aggregation_problems,
    aggregation_settings,
    program_settings,
    resolve_round,
)
from qbdesk.store import audit
from qbdesk.store.models import ProgramConfig, Rubric

PROGRAM_KEYS = ("budget", "pass_threshold", "key_minimum", "shortfall")
CHANGEABLE = (*PROGRAM_KEYS, *AGGREGATION_SETTINGS)
CLEAR = ("default", "none", "null", "")


def _config_data(pc: ProgramConfig) -> dict[str, Any]:
    agg = aggregation_settings(pc)
    return {"program": pc.program, "mode": pc.mode, "blind": pc.blind, "budget": pc.budget,
            "pass_threshold": pc.pass_threshold, "key_minimum": pc.key_minimum, "shortfall": pc.shortfall,
            "per_application": pc.per_application, "rules": pc.rules,
            "aggregation": {"aggregation": agg.method, "item_tie": agg.item_tie, "gate_tie": agg.gate_tie,
                            "tier_tie": agg.tier_tie, "deviation_points": agg.deviation_points,
                            "deviation_share": agg.deviation_share, "min_experts": agg.min_experts},
            "aggregation_set": dict(pc.aggregation or {})}


def program_configs(session: Session, round_id: int | None = None) -> list[dict[str, Any]]:
    r = resolve_round(session, round_id)
    rows = session.scalars(select(ProgramConfig).where(ProgramConfig.round_id == r.id)).all()
    return [_config_data(pc) for pc in sorted(rows, key=lambda pc: int(pc.program[1:]))]


def parse_assignment(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> (key, value): numbers as numbers, ``default`` clears, anything else as text."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise QbdeskError(Msg(f"设置应写作 KEY=VALUE，而不是 {text!r}", f"a setting is written KEY=VALUE, not {text!r}"))
    if raw.lower() in CLEAR:
        return key, None
    try:
        value = json.loads(raw)
    except ValueError:
        return key, raw
    return key, value if isinstance(value, (int, float, str)) and not isinstance(value, bool) else raw


def change_program_config(sessions: sessionmaker[Session], round_id: int | None, code: str,
                          changes: Mapping[str, Any], *, actor: str = "") -> dict[str, dict[str, Any]]:
    """Apply ``changes`` (key -> value, None: back to the default) to one program; returns
    key -> {"from", "to"} of what changed (empty: nothing did, and nothing is recorded)."""
    from qbdesk.domain.programs import default_pass_fraction
    from qbdesk.domain.rubric import default_rubric, load_rubric_data

    problems: list[Msg] = []
    for k in changes:
        if k not in CHANGEABLE:
            problems.append(Msg(f"{code}.{k}：不能在此更改（可更改：{', '.join(CHANGEABLE)}）",
                                f"{code}.{k}: cannot be changed here (these can: {', '.join(CHANGEABLE)})"))
    with sessions.begin() as s:
        r = resolve_round(s, round_id)
        pc = s.scalars(select(ProgramConfig).where(ProgramConfig.round_id == r.id, ProgramConfig.program == code)).first()
        if pc is None:
            raise QbdeskError(Msg(f"评审批次 {r.id} 没有项目 {code}", f"round {r.id} has no program {code}"))
        before = _config_data(pc)
        agg = dict(pc.aggregation or {})
        for k, v in changes.items():
            if k in AGGREGATION_SETTINGS:
                if v is None:
                    agg.pop(k, None)
                else:
                    agg[k] = v
        problems += aggregation_problems(agg, code)
        st = program_settings(pc)
        fields = {k: changes[k] for k in PROGRAM_KEYS if k in changes}
        for k in ("budget",):
            v = fields.get(k)
            if isinstance(v, float) and v.is_integer():
                fields[k] = int(v)
        if "shortfall" in fields and fields["shortfall"] is None:
            fields["shortfall"] = "pro_rata"
        for k in ("budget", "pass_threshold", "key_minimum"):
            if k in fields and fields[k] is not None and (isinstance(fields[k], str) or isinstance(fields[k], bool)):
                problems.append(Msg(f"{code}.{k}：应为数字，而不是 {fields[k]!r}", f"{code}.{k}: must be a number, not {fields[k]!r}"))
                fields.pop(k)
        row = s.get(Rubric, pc.rubric_hash) if pc.rubric_hash else None
        rubric = load_rubric_data(row.content, "rubric", program=code) if row is not None else default_rubric(code)
        total = rubric.total
        # ``default`` means what round init would have set: the pass line as a share of the rubric
        # total (none for a verified program), the rubric's key minimum, no budget cap
        if "pass_threshold" in fields and fields["pass_threshold"] is None and not st.verified:
            fields["pass_threshold"] = round(default_pass_fraction(code, st.mode) * total, 2)
        if "key_minimum" in fields and fields["key_minimum"] is None:
            fields["key_minimum"] = rubric.key_minimum_points()
        new = replace(st, **fields)
        problems += [m for m in new.validate(rubric_total=total) if m not in st.validate(rubric_total=total)]
        if problems:
            n = len(problems)
            raise QbdeskError(Msg(f"{code} 的设置有 {n} 处错误，未作任何更改：\n  " + "\n  ".join(p.zh for p in problems),
                                  f"{n} problem{'s' if n != 1 else ''} with {code}'s settings, nothing changed:\n  "
                                  + "\n  ".join(p.en for p in problems)))
        for k, v in fields.items():
            setattr(pc, k, v)
        pc.aggregation = agg or None
        s.flush()
        after = _config_data(pc)
        diff = {}
        for k in PROGRAM_KEYS:
            if before[k] != after[k]:
                diff[k] = {"from": before[k], "to": after[k]}
        for k in AGGREGATION_SETTINGS:
            if before["aggregation"][k] != after["aggregation"][k] or before["aggregation_set"].get(k) != after["aggregation_set"].get(k):
                diff[k] = {"from": before["aggregation"][k], "to": after["aggregation"][k]}
        if diff:
            audit.record(s, "round.config", round_id=r.id, actor=actor, detail={"program": code, "changes": diff})
        return diff


def describe_aggregation(cfg: Mapping[str, Any]) -> Msg:
    a = cfg["aggregation"]
    dev = (f"{a['deviation_points']:g} 分" if a["deviation_points"] is not None else f"总分的 {a['deviation_share'] * 100:g}%",
           f"{a['deviation_points']:g} points" if a["deviation_points"] is not None else f"{a['deviation_share'] * 100:g} % of the total")
    mins = ("不检查", "not checked") if a["min_experts"] is None else (f"{a['min_experts']} 位", str(a["min_experts"]))
    return Msg(f"汇总 {a['aggregation']}，平票：条目 {a['item_tie']}、准入 {a['gate_tie']}、档位 {a['tier_tie']}，"
               f"偏离阈值 {dev[0]}，最少计分专家 {mins[0]}",
               f"aggregation {a['aggregation']}, ties: items {a['item_tie']}, gates {a['gate_tie']}, tiers {a['tier_tie']}, "
               f"deviation threshold {dev[1]}, minimum experts counted {mins[1]}")
