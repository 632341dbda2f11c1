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
    # tiered, by accepted item: "sum" (P5: every accepted activity) or "highest" (P7: the highest honour)
    combine: str = ""
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


Mode = Literal["verified", "scored"]
Shortfall = Literal["pro_rata", "rank_order"]
MODES: tuple[str, ...] = ("verified", "scored")
SHORTFALLS: tuple[str, ...] = ("pro_rata", "rank_order")
# 核准类: the applicant already holds the certificate, accreditation, metrology result or
# honour, and the money is an entitlement after the fact (事后资助). docs/funding.md.
VERIFIED_BY_DEFAULT = frozenset({"P3", "P4", "P5", "P7"})
# Pass lines as fractions of the rubric total (docs/funding.md, "Pass lines").
PASS_FRACTION = 0.70
PASS_FRACTION_BY_PROGRAM = {"P1": 0.75}
# The funding rules a round computes by: "2026.2" (modes, per-item tiers, key criterion);
# "2026.1" for rounds created before them, which keep computing as they did.
RULES_VERSIONS: tuple[str, ...] = ("2026.1", "2026.2")
CURRENT_RULES = "2026.2"


def default_mode(code: str) -> str:
    """verified (核准类) for P3, P4, P5, P7; scored (评审类) for the rest."""
    return "verified" if code in VERIFIED_BY_DEFAULT else "scored"


def default_pass_fraction(code: str, mode: str | None = None) -> float | None:
    """The default pass line as a fraction of the rubric total; None for a verified program.

    ``mode`` is the round's choice (None: the program's default mode)."""
    if (mode or default_mode(code)) == "verified":
        return None
    return PASS_FRACTION_BY_PROGRAM.get(code, PASS_FRACTION)


def mode_label(mode: str) -> Msg:
    return Msg("核准类", "verified") if mode == "verified" else Msg("评审类", "scored")


def blind_label(blind: bool) -> Msg:
    return Msg("盲评", "blind") if blind else Msg("公开评审（材料载明申报单位）", "open (the evidence names the applicant)")


@dataclass(frozen=True)
class ProgramSettings:
    """Round configuration of one program: what a round may choose.

    ``tiers`` overrides the program's default tier table (P5, P7);
    ``budget`` is the program's budget for the round in yuan (None: unlimited);
    ``pass_threshold`` is the minimum aggregated total (in rubric points)
    that an application must reach to be recommended (None: for a scored
    program, 70 % of the rubric's total, 75 % for P1, set when the round is
    created; a verified program has none);
    ``per_application`` is the number of experts per application
    (None: the whole panel scores every application);
    ``mode`` is ``verified`` (核准类) or ``scored`` (评审类), by default
    :func:`default_mode`; ``shortfall`` says how a verified program shares a
    budget that cannot pay every eligible amount (``pro_rata``, the default,
    or ``rank_order``); ``blind`` is whether experts review blind (default:
    true for scored, false for verified programs); ``max_activities`` caps
    P5's accepted activities per enterprise per year (None: no cap, as the
    seed states none); ``key_minimum`` is the minimum aggregated score on the
    rubric's key criterion (None: none); ``rules`` is the funding rules'
    version (see :data:`RULES_VERSIONS`).
    """

    program: str
    budget: int | None = None
    pass_threshold: float | None = None
    tiers: Mapping[str, Tier] | None = None
    per_application: int | None = None
    mode: str | None = None
    shortfall: str = "pro_rata"
    blind: bool | None = None
    max_activities: int | None = None
    key_minimum: float | None = None
    rules: str = CURRENT_RULES

    def __post_init__(self) -> None:
        if self.mode is None and self.program in PROGRAM_CODES:
            object.__setattr__(self, "mode", default_mode(self.program))
        if self.blind is None and self.mode in MODES:
            object.__setattr__(self, "blind", self.mode == "scored")

    @property
    def verified(self) -> bool:
        return self.mode == "verified"

    def tier_table(self) -> Mapping[str, Tier]:
        return self.tiers if self.tiers is not None else program(self.program).funding.default_tiers

    def validate(self, *, rubric_total: float | None = None) -> list[Msg]:
        """Problems with this configuration, each naming its field (empty when fine).

        ``rubric_total``, when known, is the full score of the program's rubric: the pass
        threshold must not exceed it.
        """
        errors: list[Msg] = []
        if self.program not in PROGRAM_CODES:
            return [Msg(f"{self.program}：未知项目（应为 P1…P9）", f"{self.program}: unknown program (expected P1…P9)")]
        p = program(self.program)
        c = self.program
        if self.budget is not None and (not isinstance(self.budget, int) or isinstance(self.budget, bool) or self.budget < 0):
            errors.append(Msg(f"{c}.budget：预算应为非负整数（元）", f"{c}.budget: must be a non-negative whole number of yuan"))
        if self.mode not in MODES:
            errors.append(Msg(f"{c}.mode：应为 verified（核准类）或 scored（评审类），而不是 {self.mode!r}",
                              f"{c}.mode: must be verified or scored, not {self.mode!r}"))
        if self.shortfall not in SHORTFALLS:
            errors.append(Msg(f"{c}.shortfall：应为 pro_rata（按比例折算）或 rank_order（按排序），而不是 {self.shortfall!r}",
                              f"{c}.shortfall: must be pro_rata or rank_order, not {self.shortfall!r}"))
        if not isinstance(self.blind, bool):
            errors.append(Msg(f"{c}.blind：应为 true 或 false", f"{c}.blind: must be true or false"))
        if self.rules not in RULES_VERSIONS:
            errors.append(Msg(f"{c}.rules：未知的资助规则版本 {self.rules!r}", f"{c}.rules: unknown funding rules version {self.rules!r}"))
        if self.pass_threshold is not None:
            if self.mode == "verified":
                errors.append(Msg(f"{c}.pass_threshold：核准类项目不设及格线（可改 mode = \"scored\"）",
                                  f"{c}.pass_threshold: a verified program has no pass threshold (or set mode = \"scored\")"))
            elif self.pass_threshold < 0:
                errors.append(Msg(f"{c}.pass_threshold：及格线不能为负", f"{c}.pass_threshold: must not be negative"))
            elif rubric_total is not None and self.pass_threshold > rubric_total:
                t, top = f"{self.pass_threshold:g}", f"{rubric_total:g}"
                errors.append(Msg(f"{c}.pass_threshold：及格线 {t} 超过评分细则总分 {top}",
                                  f"{c}.pass_threshold: {t} is above the rubric's total of {top}"))
        if self.key_minimum is not None and self.key_minimum < 0:
            errors.append(Msg(f"{c}.key_minimum：关键评分项最低分不能为负", f"{c}.key_minimum: must not be negative"))
        if self.per_application is not None and self.per_application < 1:
            errors.append(Msg(f"{c}.per_application：每个申报至少1位专家", f"{c}.per_application: must be at least 1"))
        if self.max_activities is not None:
            if c != "P5":
                errors.append(Msg(f"{c}.max_activities：只适用于 P5（每家每年认定的计量活动数）",
                                  f"{c}.max_activities: applies to P5 only (activities per enterprise per year)"))
            elif isinstance(self.max_activities, bool) or not isinstance(self.max_activities, int) or self.max_activities < 1:
                errors.append(Msg(f"{c}.max_activities：应为至少 1 的整数", f"{c}.max_activities: must be a whole number, at least 1"))
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
                            f"{c}.tiers.{key}.amount：{t.amount:,} 元超出《操作规程》规定的范围 {lo:,}–{hi:,} 元",
                            f"{c}.tiers.{key}.amount: {t.amount:,} yuan is outside the range the Operating Procedures "
                            f"set, {lo:,}–{hi:,} yuan",
                        ))
        return errors
