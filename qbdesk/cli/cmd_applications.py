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


def run_import(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.applications import import_packages

    db = open_db(args)
    rid = current_round_id(db, args)
    report = import_packages(db.sessions, rid, args.paths, progress=con.progress)
    for line in report.lines:
        if line.status == "rejected":
            con.say(con.t(f"拒绝 {line.path}", f"REJECTED {line.path}"))
            for problem in line.problems:
                con.say(f"    - {problem.msg.text(con.lang)}")
        elif line.status == "unchanged":
            con.say(con.t(f"未变 {line.application_id}（已导入过）", f"unchanged {line.application_id} (already imported)"))
        else:
            con.say(con.t(f"导入 {line.application_id}", f"imported {line.application_id}"))
    c = report.counts
    con.say(con.t(f"共 {len(report.lines)} 个申报包：导入 {c.get('imported', 0)}，未变 {c.get('unchanged', 0)}，拒绝 {c.get('rejected', 0)}",
                  f"{len(report.lines)} packages: {c.get('imported', 0)} imported, {c.get('unchanged', 0)} unchanged, {c.get('rejected', 0)} rejected"))
    return 0 if report.ok else 1
