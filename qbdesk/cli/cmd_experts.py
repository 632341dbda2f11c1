"""qbdesk experts import — enrol the expert roster."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("experts", help=h("the expert roster: import", "评审专家名单：导入"))
    a = p.add_subparsers(dest="experts_command", metavar="ACTION", required=True, parser_class=type(p))
    imp = a.add_parser("import", help=h("import the expert roster (.csv or .xlsx; columns in docs/formats.md)", "导入专家名单（.csv 或 .xlsx；列见 docs/formats.md）"))
    add_db_args(imp)
    imp.add_argument("file", type=Path, metavar="FILE", help=h("the roster, .csv or .xlsx", "专家名单文件（.csv 或 .xlsx）"))
    imp.set_defaults(func=run_import)


def run_import(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.experts import import_roster

    db = open_db(args)
    rid = current_round_id(db, args)
    report = import_roster(db.sessions, rid, args.file)
    for line in report.summary():
        con.say(line)
    return 0 if report.ok else 1
