"""Creating and finding rounds (评审批次) and their program configuration."""

from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.programs import PROGRAM_CODES, ProgramSettings, Tier, default_pass_fraction, program
from qbdesk.domain.text import first_unstorable
from qbdesk.formats.regular import FileRefused, check_regular, read_regular
from qbdesk.paths import resource_path
from qbdesk.store import audit
from qbdesk.store.models import ProgramConfig, Round, Rubric


@dataclass(frozen=True)
class RoundConfig:
    """What ``round init --config FILE`` may set, per program."""

    settings: dict[str, ProgramSettings] = field(default_factory=dict)
    rubric_files: dict[str, Path] = field(default_factory=dict)
    aggregation: dict[str, dict[str, Any]] = field(default_factory=dict)  # program -> the keys it set


# The aggregation settings (domain.aggregation.AggregationSettings.KEYS): how totals become one figure.
AGGREGATION_SETTINGS = ("aggregation", "item_tie", "gate_tie", "tier_tie", "deviation_points", "deviation_share",
                        "min_experts")
SETTINGS = ("budget", "pass_threshold", "tiers", "per_application", "rubric", "mode", "shortfall", "blind",
            "max_activities", "key_minimum", *AGGREGATION_SETTINGS)


def _tiers(code: str, raw: Any, errors: list[Msg]) -> dict[str, Tier] | None:
    defaults = program(code).funding.default_tiers
    if not isinstance(raw, dict):
        errors.append(Msg(f"programs.{code}.tiers：应为档次键 = 金额 的表", f"programs.{code}.tiers: expected a table of tier = amount"))
        return None
    out: dict[str, Tier] = {}
    for key, v in raw.items():
        where = f"programs.{code}.tiers.{key}"
        base = defaults.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float, dict)) or (isinstance(v, dict) and "amount" not in v):
            errors.append(Msg(f"{where}：应为金额或 {{amount, zh, en}}", f"{where}: expected an amount or {{amount, zh, en}}"))
            continue
        amount = v["amount"] if isinstance(v, dict) else v
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount != int(amount):
            errors.append(Msg(f"{where}：金额应为整数（元）", f"{where}: the amount must be a whole number of yuan"))
            continue
        if isinstance(v, dict):
            out[key] = Tier(key, int(amount), str(v.get("zh", base.zh if base else key)), str(v.get("en", base.en if base else key)))
        elif base is None:
            errors.append(Msg(f"{where}：新增档次需给出 amount、zh、en", f"{where}: a new tier needs amount, zh and en"))
        else:
            out[key] = Tier(key, int(amount), base.zh, base.en)
    return out


MAX_CONFIG = 1 << 20  # a round configuration is a few KB
MAX_RUBRIC = 4 << 20  # a rubric file is tens of KB


def _whole(code: str, p: dict, key: str, errors: list[Msg]) -> int | None:
    v = p.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
        errors.append(Msg(f"programs.{code}.{key}：应为整数，而不是 {v!r}", f"programs.{code}.{key}: must be a whole number, not {v!r}"))
        return None
    return int(v)


def _number(code: str, p: dict, key: str, errors: list[Msg]) -> float | None:
    v = p.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        errors.append(Msg(f"programs.{code}.{key}：应为数字，而不是 {v!r}", f"programs.{code}.{key}: must be a number, not {v!r}"))
        return None
    return float(v)


def resolve_rubric_file(config_dir: Path, name: str) -> Path | None:
    """A ``rubric`` setting as a file: relative to the config file, else a shipped rubric.

    ``rubric = "rubrics/P5.json"`` (as README shows), ``"P5.json"``, ``"P5"`` and
    ``"2026.1/P5.json"`` all name shipped files under ``resources/``.
    """
    candidates = [config_dir / name, resource_path(name), resource_path("rubrics", name)]
    if not name.lower().endswith(".json"):
        candidates.append(resource_path("rubrics", name + ".json"))
    return next((c.resolve() for c in candidates if c.is_file()), None)


def _check_rubric(code: str, file: Path | None, s: ProgramSettings, errors: list[Msg]) -> None:
    """The rubric the program will use: it loads, fits the mode, and the threshold fits its total."""
    from qbdesk.domain.rubric import RubricError, default_rubric, load_rubric

    try:
        rb = load_rubric(file, program=code) if file is not None else default_rubric(code)
    except RubricError as e:
        errors.extend(Msg(f"programs.{code}.rubric：{p.text('zh')}", f"programs.{code}.rubric: {p.text('en')}") for p in e.problems)
        errors.extend(m for m in s.validate() if m not in errors)
        return
    if not rb.score_criteria and not s.verified:
        errors.append(Msg(f"programs.{code}.rubric：评分细则没有 score 评分项，只能用于核准类项目（mode = \"verified\"）",
                          f"programs.{code}.rubric: the rubric has no score criterion, so it suits a verified program only"))
    errors.extend(m for m in s.validate(rubric_total=rb.total) if m not in errors)


def load_round_config(path: Path) -> RoundConfig:
    """Read a round configuration (TOML or JSON); report every problem together, each naming its field."""
    try:  # a regular file only: a FIFO or a device is refused at once
        text = read_regular(path, MAX_CONFIG).decode("utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except FileRefused as e:
        raise QbdeskError(e.msg) from None
    except OSError as e:
        raise QbdeskError(Msg(f"无法读取配置文件 {path}：{os_reason(e).zh}", f"cannot read config file {path}: {os_reason(e).en}")) from None
    except UnicodeDecodeError:
        raise QbdeskError(Msg(f"配置文件 {path} 不是 UTF-8 编码", f"config file {path} is not UTF-8")) from None
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise QbdeskError(Msg(f"配置文件 {path} 格式错误：{e}", f"config file {path} is malformed: {e}")) from None
    settings: dict[str, ProgramSettings] = {}
    rubrics: dict[str, Path] = {}
    aggregation: dict[str, dict[str, Any]] = {}
    errors: list[Msg] = []
    if not isinstance(data, dict):
        raise QbdeskError(Msg(f"配置文件 {path} 应为一个表（对象）", f"config file {path} must hold a table (object)"))
    if (found := first_unstorable(data)) is not None:  # a NUL, or a lone surrogate from a JSON \ud800 escape
        raise QbdeskError(Msg(f"配置文件 {path}：{found[0]}：{found[1].zh}", f"config file {path}: {found[0]}: {found[1].en}"))
    for key in sorted(set(data) - {"programs"}):
        errors.append(Msg(f"{key}：未知设置（各项目的设置写在 [programs.P1] 等表下）",
                          f"{key}: unknown setting (program settings go under [programs.P1] and so on)"))
    programs_ = data.get("programs") or {}
    if not isinstance(programs_, dict):
        programs_ = {}
        errors.append(Msg("programs：应为按项目代码的表", "programs: expected a table by program code"))
    for code, p in programs_.items():
        if code not in PROGRAM_CODES:
            errors.append(Msg(f"programs.{code}：未知项目（应为 P1…P9）", f"programs.{code}: unknown program (expected P1…P9)"))
            continue
        if not isinstance(p, dict):
            errors.append(Msg(f"programs.{code}：应为设置表", f"programs.{code}: expected a table of settings"))
            continue
        for k in sorted(set(p) - set(SETTINGS)):
            close = difflib.get_close_matches(k, SETTINGS, n=1)
            errors.append(Msg(f"programs.{code}.{k}：未知设置" + (f"（是否应为「{close[0]}」？）" if close else ""),
                              f"programs.{code}.{k}: unknown setting" + (f" (did you mean “{close[0]}”?)" if close else "")))
        fields: dict[str, Any] = {
            "budget": _whole(code, p, "budget", errors),
            "pass_threshold": _number(code, p, "pass_threshold", errors),
            "per_application": _whole(code, p, "per_application", errors),
            "max_activities": _whole(code, p, "max_activities", errors),
            "key_minimum": _number(code, p, "key_minimum", errors),
        }
        if "tiers" in p:
            fields["tiers"] = _tiers(code, p["tiers"], errors)
        for key in ("mode", "shortfall"):
            if key in p:
                if isinstance(p[key], str):
                    fields[key] = p[key]
                else:
                    errors.append(Msg(f"programs.{code}.{key}：应为文字", f"programs.{code}.{key}: must be text"))
        if "blind" in p:
            if isinstance(p["blind"], bool):
                fields["blind"] = p["blind"]
            else:
                errors.append(Msg(f"programs.{code}.blind：应为 true 或 false", f"programs.{code}.blind: must be true or false"))
        agg = {k: p[k] for k in AGGREGATION_SETTINGS if k in p}
        if agg:
            agg_problems = aggregation_problems(agg, f"programs.{code}")
            errors.extend(agg_problems)
            if not agg_problems:
                aggregation[code] = agg
        s = ProgramSettings(program=code, **fields)
        file = None
        if "rubric" in p:
            name = p["rubric"]
            file = resolve_rubric_file(path.parent, name) if isinstance(name, str) and name.strip() else None
            if file is None:
                shown = name if isinstance(name, str) else repr(name)
                errors.append(Msg(f"programs.{code}.rubric：找不到评分细则文件“{shown}”（相对于配置文件所在文件夹，或随程序提供的 rubrics/P1.json … P9.json）",
                                  f"programs.{code}.rubric: no rubric file “{shown}” (relative to the config file's folder, "
                                  "or a shipped one such as rubrics/P1.json … P9.json)"))
                errors.extend(m for m in s.validate() if m not in errors)
                settings[code] = s
                continue
            rubrics[code] = file
            try:  # resolve_rubric_file found a regular file; a huge one is refused before it is read
                check_regular(file, MAX_RUBRIC)
            except FileRefused as e:
                errors.append(Msg(f"programs.{code}.rubric：{e.msg.zh}", f"programs.{code}.rubric: {e.msg.en}"))
                settings[code] = s
                continue
        _check_rubric(code, file, s, errors)
        settings[code] = s
    if errors:
        n = len(errors)
        raise QbdeskError(Msg(f"配置文件 {path} 有 {n} 处错误：\n  " + "\n  ".join(e.zh for e in errors),
                              f"config file {path} has {n} error{'s' if n != 1 else ''}:\n  " + "\n  ".join(e.en for e in errors)))
    return RoundConfig(settings=settings, rubric_files=rubrics, aggregation=aggregation)


def aggregation_problems(values: dict[str, Any], where: str) -> list[Msg]:
    """Each bad aggregation setting, named (``programs.P3.item_tie: …``); empty when all are fine."""
    from qbdesk.domain.aggregation import AggregationSettings

    try:
        AggregationSettings.from_config(values, where)
    except QbdeskError as e:
        zh, en = e.msg.zh.split("\n")[1:], e.msg.en.split("\n")[1:]
        return [Msg(a, b) for a, b in zip(zh, en)]
    return []


def aggregation_settings(pc: ProgramConfig):
    """A program's AggregationSettings: what the round set, the documented defaults for the rest;
    ``min_experts`` defaults to the program's experts per application."""
    from qbdesk.domain.aggregation import AggregationSettings

    values = dict(pc.aggregation or {})
    if values.get("min_experts") is None and pc.per_application is not None:
        values["min_experts"] = pc.per_application
    return AggregationSettings.from_config(values, pc.program)


def store_rubric(session: Session, rubric) -> str:
    """Keep a rubric version (by content hash) and return the hash."""
    h = rubric.content_hash
    if session.get(Rubric, h) is None:
        session.add(Rubric(hash=h, program=rubric.program, version=rubric.version, content=rubric.to_data()))
    return h


def init_round(sessions: sessionmaker[Session], *, name: str, year: int,
               programs: list[str] | None = None, config: RoundConfig | None = None) -> int:
    """Create a round with its programs, settings and rubrics; return its id."""
    from qbdesk.domain.rubric import default_rubric, load_rubric

    codes = list(programs or PROGRAM_CODES)
    bad = [c for c in codes if c not in PROGRAM_CODES]
    if bad:
        raise QbdeskError(Msg(f"未知项目：{', '.join(bad)}（应为 P1…P9）", f"unknown program(s): {', '.join(bad)} (expected P1…P9)"))
    if not (2000 <= year <= 2100):
        raise QbdeskError(Msg(f"年度 {year} 不合理", f"year {year} is not plausible"))
    if not name.strip():
        raise QbdeskError(Msg("批次名称不能为空", "the round needs a name"))
    config = config or RoundConfig()
    with sessions.begin() as s:
        r = Round(name=name.strip(), year=year, settings={})
        s.add(r)
        s.flush()
        for code in codes:
            st = config.settings.get(code, ProgramSettings(program=code))
            rb = load_rubric(config.rubric_files[code], program=code) if code in config.rubric_files else default_rubric(code)
            threshold = st.pass_threshold
            if threshold is None and not st.verified:
                threshold = round(default_pass_fraction(code, st.mode) * rb.total, 2)
            key_minimum = st.key_minimum if st.key_minimum is not None else rb.key_minimum_points()
            s.add(ProgramConfig(
                round_id=r.id, program=code, budget=st.budget, pass_threshold=threshold,
                tiers=None if st.tiers is None else {k: {"amount": t.amount, "zh": t.zh, "en": t.en} for k, t in st.tiers.items()},
                per_application=st.per_application, rubric_hash=store_rubric(s, rb),
                mode=st.mode, shortfall=st.shortfall, blind=st.blind, max_activities=st.max_activities,
                key_minimum=key_minimum, rules=st.rules, aggregation=config.aggregation.get(code),
            ))
        s.flush()
        configured = {pc.program: {"budget": pc.budget, "pass_threshold": pc.pass_threshold, "key_minimum": pc.key_minimum,
                                   "mode": pc.mode, "shortfall": pc.shortfall, "blind": pc.blind,
                                   "per_application": pc.per_application, "max_activities": pc.max_activities,
                                   "rules": pc.rules, "rubric": pc.rubric_hash, "tiers": pc.tiers,
                                   "aggregation": pc.aggregation}
                      for pc in s.scalars(select(ProgramConfig).where(ProgramConfig.round_id == r.id))}
        # the configuration the round starts from, so that every later change (round.config) reads against it
        audit.record(s, "round.init", round_id=r.id, detail={"name": r.name, "year": year, "programs": codes,
                                                             "settings": configured})
        return r.id


def program_settings(pc: ProgramConfig) -> ProgramSettings:
    tiers = None
    if pc.tiers is not None:
        tiers = {k: Tier(k, int(v["amount"]), v["zh"], v["en"]) for k, v in pc.tiers.items()}
    return ProgramSettings(program=pc.program, budget=pc.budget, pass_threshold=pc.pass_threshold,
                           tiers=tiers, per_application=pc.per_application, mode=pc.mode, shortfall=pc.shortfall,
                           blind=pc.blind, max_activities=pc.max_activities, key_minimum=pc.key_minimum, rules=pc.rules)


def resolve_round(session: Session, round_id: int | None = None) -> Round:
    """The round a command acts on: the one asked for, else the newest."""
    if round_id is not None:
        r = session.get(Round, round_id)
        if r is None:
            raise QbdeskError(Msg(f"没有编号为 {round_id} 的评审批次", f"there is no round {round_id}"))
        return r
    r = session.scalars(select(Round).order_by(Round.id.desc()).limit(1)).first()
    if r is None:
        raise QbdeskError(Msg("数据库中还没有评审批次，请先运行 qbdesk round init 或 qbdesk demo",
                              "the database has no round yet: run qbdesk round init or qbdesk demo first"))
    return r
