"""qbdesk applications import — import application packages (form check included)."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("applications", help=h("application packages: import, remove", "申报材料：导入、删除"))
    a = p.add_subparsers(dest="applications_command", metavar="ACTION", required=True, parser_class=type(p))
    imp = a.add_parser("import", help=h("check and import application packages (folders, .zip files, or folders of them)", "校验并导入申报包（文件夹、.zip 文件，或包含它们的文件夹）"))
    add_db_args(imp)
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                     help=h("a package folder or .zip, or a folder of them", "申报包文件夹或 .zip 文件，或包含它们的文件夹"))
    imp.set_defaults(func=run_import)
    rm = a.add_parser("remove", help=h("remove an application from the round (refused once a snapshot includes it, "
                                       "unless --force); audited", "从本批次删除一个申报（已生成快照的需 --force）；记入审计日志"))
    add_db_args(rm)
    rm.add_argument("application", metavar="APP", help=h("the application id, e.g. 2026-P3-0001", "申报编号，如 2026-P3-0001"))
    rm.add_argument("--force", action="store_true",
                    help=h("remove it even though snapshots include it (build them again afterwards)",
                           "即使快照中已包含该申报也删除（之后须重新生成快照）"))
    rm.add_argument("--reason", default="", metavar="TEXT", help=h("why, for the audit log", "删除理由，记入审计日志"))
    rm.set_defaults(func=run_remove)

    from qbdesk.cli.cmd_qualification import register_check

    register_check(a)


def run_import(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.applications import import_packages

    db = open_db(args)
    rid = current_round_id(db, args)
    report = import_packages(db.sessions, rid, args.paths, progress=con.progress)
    if report.nothing_found:
        con.error(report.summary())
        return 1
    for line in report.lines:
        con.say(line.text(con.lang))
    con.say(report.summary())
    return 0 if report.ok else 1


def run_remove(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.application_removal import remove_application

    db = open_db(args)
    rid = current_round_id(db, args)
    removal = remove_application(db.sessions, rid, args.application.strip(), force=args.force, reason=args.reason)
    con.say(removal.summary())
    return 0
