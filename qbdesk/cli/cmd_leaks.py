"""qbdesk leaks scan | accept | exclude — the identity-leak scan of the blind material, and the decisions."""

from __future__ import annotations

import json

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("leaks", help=h("identity-leak scan of the blind material, and the coordinator's decisions",
                                       "脱敏材料身份信息检查，以及组织方的处理决定"))
    a = p.add_subparsers(dest="leaks_command", metavar="ACTION", required=True, parser_class=type(p))
    scan = a.add_parser("scan", help=h("scan every blind attachment and blind field for the applicant's identity",
                                       "检查全部脱敏附件和申报信息中是否含有申报单位身份信息"))
    add_db_args(scan)
    scan.add_argument("--json", action="store_true", help=h("machine-readable output", "以 JSON 输出"))
    scan.add_argument("--all-programs", action="store_true",
                      help=h("scan open (non-blind) programs too", "同时检查非盲评（公开评审）项目的材料"))
    scan.set_defaults(func=run_scan)
    acc = a.add_parser("accept", help=h("accept an application's open findings as reviewed (audited)",
                                        "确认某申报的检查结果已经审阅（记入审计日志）"))
    add_db_args(acc)
    acc.add_argument("application", metavar="APP", help=h("the package id, e.g. 2026-P2-0001", "申报编号，如 2026-P2-0001"))
    acc.add_argument("--reason", required=True, metavar="TEXT",
                     help=h("why they may go out (audited)", "可以发出的理由（记入审计日志）"))
    acc.set_defaults(func=run_accept)
    exc = a.add_parser("exclude", help=h("keep a blind attachment out of every snapshot (audited)",
                                         "将一份脱敏附件排除出所有快照（记入审计日志）"))
    add_db_args(exc)
    exc.add_argument("application", metavar="APP", help=h("the package id, e.g. 2026-P2-0001", "申报编号，如 2026-P2-0001"))
    exc.add_argument("attachment", metavar="ATTACHMENT", help=h("its file name in the package", "附件在申报包中的文件名"))
    exc.add_argument("--reason", required=True, metavar="TEXT", help=h("why (audited)", "理由（记入审计日志）"))
    exc.set_defaults(func=run_exclude)


def run_scan(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.leaks import all_blind, scan_round

    db = open_db(args)
    rid = current_round_id(db, args)
    with db.sessions() as s:
        report = scan_round(s, rid, is_blind=all_blind if args.all_programs else None,
                            progress=None if args.json else con.progress)
    if args.json:
        con.say(json.dumps([f.to_json() for f in report.findings], ensure_ascii=False, indent=2))
        return 1 if report.findings else 0
    for f in report.findings:
        con.say(f.describe(con.lang))
    for app, file in report.excluded:
        con.say(con.t(f"{app}  {file}：已排除，不检查也不发出", f"{app}  {file}: excluded, neither scanned nor sent"))
    con.say(report.summary())
    if report.blocking:
        con.say(con.t("待处理的发现会阻止生成快照：修改材料后重新导入，或运行 qbdesk leaks accept / qbdesk leaks exclude",
                      "open findings block snapshots build: fix and re-import the material, or run "
                      "qbdesk leaks accept / qbdesk leaks exclude"))
    return 1 if report.findings else 0


def run_accept(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.leaks import accept_findings

    db = open_db(args)
    con.say(accept_findings(db.sessions, current_round_id(db, args), args.application, reason=args.reason))
    return 0


def run_exclude(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.leaks import exclude_attachment

    db = open_db(args)
    con.say(exclude_attachment(db.sessions, current_round_id(db, args), args.application, args.attachment,
                               reason=args.reason))
    return 0
