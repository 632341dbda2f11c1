"""qbdesk audit verify | show — check the hash-chained audit log and list its entries."""

from __future__ import annotations

import json

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("audit", help=h("the audit log: check its hash chain, list its entries",
                                       "审计日志：核验哈希链，列出记录"))
    a = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True, parser_class=type(p))
    ver = a.add_parser("verify", help=h("check every entry's hash and link and print the chain head "
                                        "(exit 1 naming the first bad entry)",
                                        "核验每条记录的哈希和链接，并显示链头（有不符时退出码为 1，并指出第一条不符的记录）"))
    add_db_args(ver, round_arg=False)
    ver.set_defaults(func=run_verify)
    show = a.add_parser("show", help=h("list the entries: id, time, actor, action, round, a short detail",
                                       "列出记录：编号、时间、操作人、操作、批次、简要内容"))
    add_db_args(show, round_arg=False)
    show.add_argument("--round", dest="round_id", type=int, metavar="ID",
                      help=h("only this round's entries (default: every round)", "只列出该评审批次的记录（默认：全部批次）"))
    show.add_argument("--action", metavar="PREFIX",
                      help=h("only actions starting with PREFIX, e.g. scores.", "只列出以 PREFIX 开头的操作，如 scores."))
    show.add_argument("--limit", type=int, metavar="N", help=h("only the newest N entries", "只列出最新的 N 条"))
    show.add_argument("--json", action="store_true",
                      help=h("machine-readable output (JSON, the whole detail)", "机器可读的输出（JSON，含完整内容）"))
    show.set_defaults(func=run_show)


def run_verify(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.audit_log import verify_log

    db = open_db(args)
    with db.sessions() as s:
        report = verify_log(s)
    con.say(report.summary())
    return 0 if report.ok else 1


def run_show(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.audit_log import list_entries

    db = open_db(args)
    with db.sessions() as s:
        entries = list_entries(s, round_id=args.round_id, action=args.action, limit=args.limit)
    if args.json:
        con.say(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    con.say(con.t("编号    时间                       操作人        操作                      批次  内容",
                  "id      time                       actor         action                    round detail"))
    for e in entries:
        rnd = "-" if e.round is None else str(e.round)
        con.say(f"{e.id:<6}  {e.at:<25}  {(e.actor or '-'):<12}  {e.action:<24}  {rnd:<4}  {e.short_detail()}")
    con.say(con.t(f"共 {len(entries)} 条记录", f"{len(entries)} entries"))
    return 0
