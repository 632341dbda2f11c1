"""Creating and finding rounds (评审批次) and their program configuration."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.programs import PROGRAM_CODES, ProgramSettings, Tier, program
from qbdesk.store import audit
from qbdesk.store.models import ProgramConfig, Round, Rubric


@dataclass(frozen=True)
class RoundConfig:
    """What ``round init --config FILE`` may set, per program."""

    settings: dict[str, ProgramSettings] = field(default_factory=dict)
    rubric_files: dict[str, Path] = field(default_factory=dict)


def _tiers(code: str, raw: dict[str, Any]) -> dict[str, Tier]:
    defaults = program(code).funding.default_tiers
    out: dict[str, Tier] = {}
    for key, v in raw.items():
        if isinstance(v, (int, float)):
            base = defaults.get(key)
            if base is None:
                raise QbdeskError(Msg(f"{code}.tiers.{key}：新增档次需给出 amount、zh、en",
                                      f"{code}.tiers.{key}: a new tier needs amount, zh and en"))
            out[key] = Tier(key, int(v), base.zh, base.en)
        elif isinstance(v, dict) and "amount" in v:
            base = defaults.get(key)
            out[key] = Tier(key, int(v["amount"]), v.get("zh", base.zh if base else key),
                            v.get("en", base.en if base else key))
        else:
            raise QbdeskError(Msg(f"{code}.tiers.{key}：应为金额或 {{amount, zh, en}}",
                                  f"{code}.tiers.{key}: expected an amount or {{amount, zh, en}}"))
    return out


def load_round_config(path: Path) -> RoundConfig:
    """Read a round configuration (TOML or JSON); every problem names its field."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as e:
        raise QbdeskError(Msg(f"无法读取配置文件 {path}：{os_reason(e).zh}", f"cannot read config file {path}: {os_reason(e).en}")) from None
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise QbdeskError(Msg(f"配置文件 {path} 格式错误：{e}", f"config file {path} is malformed: {e}")) from None
    settings: dict[str, ProgramSettings] = {}
    rubrics: dict[str, Path] = {}
    errors: list[str] = []
    for code, p in (data.get("programs") or {}).items():
        if code not in PROGRAM_CODES:
            errors.append(f"programs.{code}: unknown program")
            continue
        unknown = set(p) - {"budget", "pass_threshold", "tiers", "per_application", "rubric"}
        errors += [f"programs.{code}.{k}: unknown setting" for k in sorted(unknown)]
        try:
            s = ProgramSettings(
                program=code,
                budget=None if p.get("budget") is None else int(p["budget"]),
                pass_threshold=None if p.get("pass_threshold") is None else float(p["pass_threshold"]),
                tiers=_tiers(code, p["tiers"]) if "tiers" in p else None,
                per_application=None if p.get("per_application") is None else int(p["per_application"]),
            )
        except QbdeskError as e:
            errors.append(e.msg.en)
            continue
        except (TypeError, ValueError) as e:
            errors.append(f"programs.{code}: {e}")
            continue
        errors += [e.en for e in s.validate()]
        settings[code] = s
        if "rubric" in p:
            rubrics[code] = (path.parent / p["rubric"]).resolve()
    if errors:
        raise QbdeskError(Msg(f"配置文件 {path} 有误：\n  " + "\n  ".join(errors),
                              f"config file {path} has errors:\n  " + "\n  ".join(errors)))
    return RoundConfig(settings=settings, rubric_files=rubrics)


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
            threshold = st.pass_threshold if st.pass_threshold is not None else round(0.6 * rb.total, 2)
            s.add(ProgramConfig(
                round_id=r.id, program=code, budget=st.budget, pass_threshold=threshold,
                tiers=None if st.tiers is None else {k: {"amount": t.amount, "zh": t.zh, "en": t.en} for k, t in st.tiers.items()},
                per_application=st.per_application, rubric_hash=store_rubric(s, rb),
            ))
        audit.record(s, "round.init", round_id=r.id, detail={"name": r.name, "year": year, "programs": codes})
        return r.id


def program_settings(pc: ProgramConfig) -> ProgramSettings:
    tiers = None
    if pc.tiers is not None:
        tiers = {k: Tier(k, int(v["amount"]), v["zh"], v["en"]) for k, v in pc.tiers.items()}
    return ProgramSettings(program=pc.program, budget=pc.budget, pass_threshold=pc.pass_threshold,
                           tiers=tiers, per_application=pc.per_application)


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
