"""qbdesk round init — create a round."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args


def register(sub) -> None:
    p = sub.add_parser("round", help="create a round / 创建评审批次")
    rs = p.add_subparsers(dest="round_command", metavar="ACTION", required=True, parser_class=type(p))
    init = rs.add_parser("init", help="create a round / 创建评审批次")
    add_db_args(init)
    init.add_argument("--name", required=True, help="round name / 批次名称")
    init.add_argument("--year", required=True, type=int, help="fund year / 资金年度")
    init.add_argument("--programs", help="programs, e.g. P1,P3 (default: all nine) / 项目")
    init.add_argument("--config", type=Path, help="round configuration (TOML or JSON) / 批次配置文件")
    init.set_defaults(func=run_init)


def run_init(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.rounds import init_round, load_round_config

    config = load_round_config(args.config) if args.config else None
    programs = [c.strip().upper() for c in args.programs.split(",") if c.strip()] if args.programs else None
    db = open_db(args, create=True)
    rid = init_round(db.sessions, name=args.name, year=args.year, programs=programs, config=config)
    con.say(con.t(f"已创建评审批次 {rid}：{args.name}（{args.year} 年度）",
                  f"created round {rid}: {args.name} ({args.year})"))
    return 0
