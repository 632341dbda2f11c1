"""qbdesk round init | config — create a round; show or change its programs' settings."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("round", help=h("review rounds: init, config", "评审批次：创建、配置"))
    rs = p.add_subparsers(dest="round_command", metavar="ACTION", required=True, parser_class=type(p))
    init = rs.add_parser("init", help=h("create a round (and the database, if it does not exist yet)", "创建评审批次（数据库不存在时一并新建）"))
    add_db_args(init, round_arg=False)
    init.add_argument("--name", required=True, help=h("the round's name", "批次名称"))
    init.add_argument("--year", required=True, type=int, help=h("the fund year, e.g. 2026", "资金年度，如 2026"))
    init.add_argument("--programs", help=h("programs, e.g. P1,P3 (default: all nine)", "参评项目，如 P1,P3（默认：全部九个）"))
    init.add_argument("--config", type=Path, help=h("round configuration (TOML or JSON): budgets, thresholds, tiers, experts per application", "批次配置文件（TOML 或 JSON）：预算、分数线、档次、每个申报的专家数"))
    init.set_defaults(func=run_init)
    cfg = rs.add_parser("config", help=h("show each program's settings (aggregation included), or change some (audited)",
                                         "显示各项目的设置（含汇总设置），或更改其中几项（记入审计日志）"))
    add_db_args(cfg)
    cfg.add_argument("--program", metavar="P", help=h("only this program (needed with --set)", "只看该项目（使用 --set 时必需）"))
    cfg.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                     help=h("change a setting, e.g. aggregation=mean, deviation_points=15, budget=2000000; "
                            "KEY=default goes back to the default; repeat for several",
                            "更改一项设置，如 aggregation=mean、deviation_points=15、budget=2000000；"
                            "KEY=default 恢复默认；可重复使用"))
    cfg.add_argument("--json", action="store_true", help=h("machine-readable output (JSON)", "机器可读的输出（JSON）"))
    cfg.set_defaults(func=run_config)


def run_config(args, con) -> int:
    import json

    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.domain.messages import Msg, QbdeskError
    from qbdesk.services.round_config import change_program_config, describe_aggregation, parse_assignment, program_configs

    db = open_db(args)
    rid = current_round_id(db, args)
    code = args.program.strip().upper() if args.program else None
    if args.assignments:
        if code is None:
            raise QbdeskError(Msg("使用 --set 时须用 --program 指定项目", "--set needs --program"))
        changes = dict(parse_assignment(a) for a in args.assignments)
        diff = change_program_config(db.sessions, rid, code, changes)
        if not args.json:
            if not diff:
                con.say(con.t(f"{code}：设置未变", f"{code}: nothing changed"))
            for k, d in diff.items():
                con.say(con.t(f"{code}.{k}：{d['from']} → {d['to']}（已记入审计日志）",
                              f"{code}.{k}: {d['from']} → {d['to']} (recorded in the audit log)"))
    with db.sessions() as s:
        configs = [c for c in program_configs(s, rid) if code is None or c["program"] == code]
    if code is not None and not configs:
        raise QbdeskError(Msg(f"评审批次 {rid} 没有项目 {code}", f"round {rid} has no program {code}"))
    if args.json:
        con.say(json.dumps({"round": rid, "programs": configs}, ensure_ascii=False, indent=2))
        return 0
    lines = {line.zh.split("：")[0]: line for line in describe_programs(db.sessions, rid)}
    for c in configs:
        line = lines.get(c["program"])
        if line is not None:
            con.say(line.text(con.lang))
        con.say("  " + describe_aggregation(c).text(con.lang))
    return 0


def run_init(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.rounds import init_round, load_round_config

    config = load_round_config(args.config) if args.config else None
    programs = [c.strip().upper() for c in args.programs.split(",") if c.strip()] if args.programs else None
    db = open_db(args, create=True)
    rid = init_round(db.sessions, name=args.name, year=args.year, programs=programs, config=config)
    con.say(con.t(f"已创建评审批次 {rid}：{args.name}（{args.year} 年度）",
                  f"created round {rid}: {args.name} ({args.year})"))
    from qbdesk.services.round_config import describe_aggregation, program_configs

    with db.sessions() as s:
        configs = {c["program"]: c for c in program_configs(s, rid)}
    for line in describe_programs(db.sessions, rid):
        con.say("  " + line.text(con.lang))
        code = line.en.split(":")[0]
        if configs.get(code, {}).get("aggregation_set"):  # the configuration set some: show what is in force
            con.say("    " + describe_aggregation(configs[code]).text(con.lang))
    return 0


def describe_programs(sessions, round_id: int):
    """One line per program: mode, blindness, pass line, budget, rubric version."""
    from sqlalchemy import select

    from qbdesk.domain.funding import format_amount
    from qbdesk.domain.messages import Msg
    from qbdesk.domain.programs import blind_label, mode_label
    from qbdesk.store.models import ProgramConfig, Rubric

    with sessions() as s:
        rows = s.execute(select(ProgramConfig, Rubric.version).join(Rubric, isouter=True)
                         .where(ProgramConfig.round_id == round_id)).all()
    for pc, version in sorted(rows, key=lambda r: int(r[0].program[1:])):
        mode, blind = mode_label(pc.mode), blind_label(pc.blind)
        if pc.pass_threshold is None:
            line = Msg("不设及格线", "no pass threshold")
        else:
            line = Msg(f"及格线 {pc.pass_threshold:g} 分", f"pass threshold {pc.pass_threshold:g}")
        if pc.key_minimum is not None:
            line = Msg(line.zh + f"，关键评分项至少 {pc.key_minimum:g} 分", line.en + f", key criterion at least {pc.key_minimum:g}")
        budget = Msg("预算不限", "no budget cap") if pc.budget is None else Msg(
            "预算" + format_amount(pc.budget).zh, "budget " + format_amount(pc.budget).en)
        yield Msg(f"{pc.program}：{mode.zh}，{blind.zh}，{line.zh}，{budget.zh}，评分细则 {version}",
                  f"{pc.program}: {mode.en}, {blind.en}, {line.en}, {budget.en}, rubric {version}")
