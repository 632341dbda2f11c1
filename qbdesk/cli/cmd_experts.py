"""qbdesk experts import — enrol the expert roster."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args


def register(sub) -> None:
    p = sub.add_parser("experts", help="expert roster / 评审专家")
    a = p.add_subparsers(dest="experts_command", metavar="ACTION", required=True, parser_class=type(p))
    imp = a.add_parser("import", help="import a roster (.csv or .xlsx) / 导入专家名单")
    add_db_args(imp)
    imp.add_argument("file", type=Path, metavar="FILE")
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
