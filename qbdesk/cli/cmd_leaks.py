"""qbdesk leaks scan | accept | exclude — the identity-leak scan of the blind material, and the decisions."""

from __future__ import annotations

import json

from qbdesk.cli.common import add_db_args


def register(sub) -> None:
    p = sub.add_parser("leaks", help="identity-leak scan of the blind material / 脱敏材料身份信息检查")
    a = p.add_subparsers(dest="leaks_command", metavar="ACTION", required=True, parser_class=type(p))
    scan = a.add_parser("scan", help="scan every blind attachment and field / 检查全部脱敏附件和申报信息")
    add_db_args(scan)
    scan.add_argument("--json", action="store_true", help="machine-readable output / JSON 输出")
    scan.set_defaults(func=run_scan)
    acc = a.add_parser("accept", help="accept an application's open findings as reviewed / 确认某申报的检查结果")
    add_db_args(acc)
    acc.add_argument("application", metavar="APP", help="package id / 申报编号")
    acc.add_argument("--reason", required=True, help="why they may go out (audited) / 理由（记入审计日志）")
    acc.set_defaults(func=run_accept)
    exc = a.add_parser("exclude", help="keep a blind attachment out of every snapshot / 将脱敏附件排除出快照")
    add_db_args(exc)
    exc.add_argument("application", metavar="APP", help="package id / 申报编号")
    exc.add_argument("attachment", metavar="ATTACHMENT", help="its file name in the package / 附件文件名")
    exc.add_argument("--reason", required=True, help="why (audited) / 理由（记入审计日志）")
    exc.set_defaults(func=run_exclude)


def run_scan(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.leaks import scan_round

    db = open_db(args)
    rid = current_round_id(db, args)
    with db.sessions() as s:
        report = scan_round(s, rid, progress=None if args.json else con.progress)
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
