"""The nine funding programs of the quality-and-brand special fund.

The programs and their funding rules are data (``resources/programs.json``),
taken from chapter 4 of the Operating Procedures in the seed text. Tier
tables of P5 and P7 are *defaults*: a round may override them (see
:class:`ProgramSettings`), as long as every amount stays inside the seed's
range for that program.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from qbdesk.domain.messages import Msg
from qbdesk.paths import resource_path

FundingKind = Literal["fixed", "per_item", "tiered"]
PROGRAM_CODES: tuple[str, ...] = tuple(f"P{i}" for i in range(1, 10))


@dataclass(frozen=True)
class Tier:
    key: str
    amount: int
    zh: str
    en: str


@dataclass(frozen=True)
class FundingRule:
    kind: FundingKind
    amount: int | None = None  # fixed
    max_per_item: int | None = None  # per_item
    max_items_per_year: int | None = None  # per_item
    exact: bool = False  # per_item: the per-item amount is exact ("每个项目资助20万元"), not "at most"
    item_zh: str = ""
    item_en: str = ""
    min: int | None = None  # tiered: the seed's range
    max: int | None = None
    tier_zh: str = ""
    tier_en: str = ""
    default_tiers: Mapping[str, Tier] = field(default_factory=dict)


@dataclass(frozen=True)
class Direction:
    key: str
    article: int
    zh: str
    en: str


@dataclass(frozen=True)
class Program:
    code: str
    article: str
    direction: Direction
    zh: str
    en: str
    funding: FundingRule
    seed: str

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def _load(path: Path) -> Mapping[str, Program]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != "qbdesk.programs/1":
        raise ValueError(f"{path}: unknown format {data.get('format')!r}")
    directions = {
        k: Direction(key=k, article=v["article"], zh=v["zh"], en=v["en"])
        for k, v in data["directions"].items()
    }
    programs: dict[str, Program] = {}
    for p in data["programs"]:
        f = dict(p["funding"])
        tiers = {
            key: Tier(key=key, amount=int(t["amount"]), zh=t["zh"], en=t["en"])
            for key, t in f.pop("default_tiers", {}).items()
        }
        rule = FundingRule(default_tiers=MappingProxyType(tiers), **f)
        programs[p["code"]] = Program(
            code=p["code"],
            article=p["article"],
            direction=directions[p["direction"]],
            zh=p["zh"],
            en=p["en"],
            funding=rule,
            seed=p["seed"],
        )
    if tuple(programs) != PROGRAM_CODES:
        raise ValueError(f"{path}: expected programs {PROGRAM_CODES}, found {tuple(programs)}")
    return MappingProxyType(programs)


@lru_cache(maxsize=1)
def programs() -> Mapping[str, Program]:
    """All nine programs by code, in order P1..P9."""
    return _load(resource_path("programs.json"))


def program(code: str) -> Program:
    try:
        return programs()[code]
    except KeyError:
        raise KeyError(f"unknown program {code!r}; expected one of {', '.join(PROGRAM_CODES)}") from None


@dataclass(frozen=True)
class ProgramSettings:
    """Round configuration of one program: what a round may choose.

    ``tiers`` overrides the program's default tier table (P5, P7);
    ``budget`` is the program's budget for the round in yuan (None: unlimited);
    ``pass_threshold`` is the minimum aggregated total (in rubric points)
    that an application must reach to be recommended (None: 60 % of the
    rubric's total, set when the round is created);
    ``per_application`` is the number of experts per application
    (None: the whole panel scores every application).
    """

    program: str
    budget: int | None = None
    pass_threshold: float | None = None
    tiers: Mapping[str, Tier] | None = None
    per_application: int | None = None

    def tier_table(self) -> Mapping[str, Tier]:
        return self.tiers if self.tiers is not None else program(self.program).funding.default_tiers

    def validate(self) -> list[Msg]:
        """Problems with this configuration, each naming its field (empty when fine)."""
        errors: list[Msg] = []
        if self.program not in PROGRAM_CODES:
            return [Msg(f"{self.program}：未知项目（应为 P1…P9）", f"{self.program}: unknown program (expected P1…P9)")]
        p = program(self.program)
        c = self.program
        if self.budget is not None and (not isinstance(self.budget, int) or self.budget < 0):
            errors.append(Msg(f"{c}.budget：预算应为非负整数（元）", f"{c}.budget: must be a non-negative whole number of yuan"))
        if self.pass_threshold is not None and self.pass_threshold < 0:
            errors.append(Msg(f"{c}.pass_threshold：及格线不能为负", f"{c}.pass_threshold: must not be negative"))
        if self.per_application is not None and self.per_application < 1:
            errors.append(Msg(f"{c}.per_application：每个申报至少1位专家", f"{c}.per_application: must be at least 1"))
        if self.tiers is not None:
            if p.funding.kind != "tiered":
                errors.append(Msg(f"{c}.tiers：项目 {c} 没有档次表", f"{c}.tiers: program {c} has no tier table"))
            elif not self.tiers:
                errors.append(Msg(f"{c}.tiers：档次表不能为空", f"{c}.tiers: the tier table must not be empty"))
            else:
                lo, hi = p.funding.min, p.funding.max
                for key, t in self.tiers.items():
                    if t.key != key:
                        errors.append(Msg(f"{c}.tiers.{key}：档次键与名称不一致（{t.key}）",
                                          f"{c}.tiers.{key}: the tier's key is {t.key!r}"))
                    if not isinstance(t.amount, int) or isinstance(t.amount, bool):
                        errors.append(Msg(f"{c}.tiers.{key}.amount：金额应为整数（元）",
                                          f"{c}.tiers.{key}.amount: must be a whole number of yuan"))
                    elif not (lo <= t.amount <= hi):
                        errors.append(Msg(
                            f"{c}.tiers.{key}.amount：{t.amount} 超出政策规定范围 {lo}–{hi}",
                            f"{c}.tiers.{key}.amount: {t.amount} is outside the seed's range {lo}–{hi}",
                        ))
        return errors
