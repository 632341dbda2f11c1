"""qbdesk experts import — enrol the expert roster; qbdesk experts draw — draw a program's panel."""

from __future__ import annotations

import json
from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("experts", help=h("the expert roster: import, draw", "评审专家：导入名单、随机抽取"))
    a = p.add_subparsers(dest="experts_command", metavar="ACTION", required=True, parser_class=type(p))
    imp = a.add_parser("import", help=h("import the expert roster (.csv or .xlsx; columns in docs/formats.md)", "导入专家名单（.csv 或 .xlsx；列见 docs/formats.md）"))
    add_db_args(imp)
    imp.add_argument("file", type=Path, metavar="FILE", help=h("the roster, .csv or .xlsx", "专家名单文件（.csv 或 .xlsx）"))
    imp.set_defaults(func=run_import)
    _register_draw(a)


def run_import(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.experts import import_roster

    db = open_db(args)
    rid = current_round_id(db, args)
    report = import_roster(db.sessions, rid, args.file)
    for line in report.summary():
        con.say(line)
    return 0 if report.ok else 1


# ---------------------------------------------------------------- experts draw


def _register_draw(a) -> None:
    d = a.add_parser(
        "draw", help=h("draw a program's panel from the expert pool, reproducibly from a seed", "随机抽取项目的评审专家"),
        description=h(
            "Draw a program's panel from the round's expert pool (the experts whose roster lists the program), "
            "reproducibly from a seed announced before the draw: experts with a conflict on any of the program's "
            "applications or from an applicant's organisation are skipped, organisations are balanced, reserves "
            "are named in order, and the draw's record goes into the audit log. How to reproduce a draw: "
            "docs/results.md.",
            "从本批次专家库（名单中列有该项目的专家）中为一个项目随机抽取评审专家：随机种子须事先公布，同一种子、"
            "同一专家库，结果相同；与该项目任一申报有回避关系或来自申报单位的专家不参加抽取，同一单位尽量只抽一人，"
            "候补依次排列；抽取记录写入审计日志。如何复核抽取结果：见 docs/results.md。"))
    add_db_args(d)
    d.add_argument("--program", required=True, metavar="P", help=h("program code, e.g. P3", "项目代码，如 P3"))
    d.add_argument("--count", required=True, type=int, metavar="N",
                   help=h("number of experts to draw", "抽取专家人数"))
    d.add_argument("--reserve", type=int, default=0, metavar="M",
                   help=h("number of reserves, in order (default 0)", "候补专家人数，依次递补（默认 0）"))
    d.add_argument("--seed", required=True, type=int, metavar="S",
                   help=h("the seed announced before the draw (an integer)", "事先公布的随机种子（整数）"))
    d.add_argument("--json", action="store_true",
                   help=h("print JSON: program, seed, drawn, reserve, skipped", "输出 JSON：program、seed、drawn、reserve、skipped"))
    d.set_defaults(func=run_draw)


def run_draw(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.draw import draw_panel

    if args.count < 1:
        con.error(con.t("--count 至少为 1", "--count must be at least 1"))
        return 2
    if args.reserve < 0:
        con.error(con.t("--reserve 不能为负", "--reserve must not be negative"))
        return 2
    program = args.program.strip().upper()
    db = open_db(args)
    rid = current_round_id(db, args)
    result = draw_panel(db.sessions, rid, program, count=args.count, reserve=args.reserve, seed=args.seed)
    if args.json:
        con.say(json.dumps({"program": result.program, "seed": result.seed, "drawn": list(result.drawn),
                            "reserve": list(result.reserve),
                            "skipped": [{"expert": s.expert, "reason": s.reason} for s in result.skipped]},
                           ensure_ascii=False, indent=2))
        return 0
    con.say(con.t(f"{program} 专家抽取（随机种子 {result.seed}）：专家库 {len(result.pool)} 人，"
                  f"回避 {len(result.skipped)} 人",
                  f"{program} expert draw (seed {result.seed}): pool of {len(result.pool)}, "
                  f"{len(result.skipped)} skipped"))
    con.say(con.t("抽取：", "drawn: ") + ("、" if con.lang != "en" else ", ").join(result.drawn))
    if result.reserve:
        con.say(con.t("候补：", "reserves: ") + ("、" if con.lang != "en" else ", ").join(result.reserve))
    for s in result.skipped:
        con.say(con.t("回避 ", "skipped ") + s.msg().text(con.lang))
    con.say(con.t("抽取记录已写入审计日志", "the draw is recorded in the audit log"))
    return 0
