"""qbdesk applications import — import application packages (form check included)."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args


def register(sub) -> None:
    p = sub.add_parser("applications", help="application packages / 申报材料")
    a = p.add_subparsers(dest="applications_command", metavar="ACTION", required=True, parser_class=type(p))
    imp = a.add_parser("import", help="import packages (folders, .zip, or folders of them) / 导入申报材料")
    add_db_args(imp)
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.set_defaults(func=run_import)
    from qbdesk.cli.cmd_qualification import register_check

    register_check(a)


def run_import(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.applications import import_packages

    db = open_db(args)
    rid = current_round_id(db, args)
    report = import_packages(db.sessions, rid, args.paths, progress=con.progress)
    for line in report.lines:
        con.say(line.text(con.lang))
    con.say(report.summary())
    return 0 if report.ok else 1
