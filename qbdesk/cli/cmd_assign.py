"""qbdesk assign — find conflicts and assign experts to applications."""

from __future__ import annotations

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("assign", help=h("find conflicts of interest and assign experts to applications", "排查利害关系并分配评审专家"))
    add_db_args(p)
    p.add_argument("--per-application", type=int, metavar="K",
                   help=h("experts per application (default: per program, else the whole panel)", "每个申报的专家人数（默认：按项目配置，否则全组评审）"))
    p.add_argument("--seed", type=int, default=0, help=h("random seed; the same seed gives the same result (default 0)", "随机种子；相同种子得到相同结果（默认 0）"))
    p.set_defaults(func=run)


def run(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.assignment import assign

    if args.per_application is not None and args.per_application < 1:
        con.error(con.t("--per-application 至少为 1", "--per-application must be at least 1"))
        return 2
    db = open_db(args)
    rid = current_round_id(db, args)
    report = assign(db.sessions, rid, per_application=args.per_application, seed=args.seed)
    for line in report.summary():
        con.say(line.text(con.lang) if hasattr(line, "text") else line)
    return 0 if report.ok else 1
