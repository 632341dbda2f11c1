"""qbdesk results [freeze | diff] — the round's results (ranking, funding), frozen, and compared."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h

MAX_SHOWN = 30  # changes listed on the terminal; --json lists them all


def _sub_db_args(p: argparse.ArgumentParser) -> None:
    """--db and --round on a subcommand, leaving the parent's value when not given again."""
    add_db_args(p)
    for a in p._actions:
        if a.dest in ("db", "round_id"):
            a.default = argparse.SUPPRESS


def register(sub) -> None:
    p = sub.add_parser("results", help=h("the round's results: aggregates, ranking, funding (json, xlsx or csv); freeze, diff",
                                         "评审结果：汇总分、排名、建议资助（json、xlsx 或 csv）；固化、比对"))
    add_db_args(p)
    p.add_argument("--program", action="append", metavar="P",
                   help=h("only this program (repeat, or P2,P3)", "只输出该项目（可重复，或写作 P2,P3）"))
    p.add_argument("--calibrated", action="store_true",
                   help=h("also show calibrated totals beside the raw ones (the ranking never changes)",
                          "同时给出校准后的总分（排名不变）"))
    p.add_argument("--with-names", action="store_true",
                   help=h("name the experts (default: by id only)", "列出专家姓名（默认只列编号）"))
    p.add_argument("--out", type=Path, metavar="F.json|F.xlsx|F.csv",
                   help=h("write the results here: .json (the document), .xlsx (workbook), .csv (publication list)",
                          "结果写入此文件：.json（结果文档）、.xlsx（工作簿）、.csv（公示名单）"))
    p.set_defaults(func=run_results)
    rs = p.add_subparsers(dest="results_command", metavar="ACTION", required=False, parser_class=type(p))
    fr = rs.add_parser("freeze", help=h("record the published result: its canonical JSON, its SHA-256 in the audit log",
                                        "固化公示结果：保存结果的规范 JSON，其 SHA-256 记入审计日志"))
    _sub_db_args(fr)
    fr.add_argument("--json", action="store_true", help=h("machine-readable output (JSON)", "机器可读的输出（JSON）"))
    fr.set_defaults(func=run_freeze)
    df = rs.add_parser("diff", help=h("what changed since the frozen result (rank, aggregate, passed, amount, settings)",
                                      "与固化结果相比的变化（排名、汇总分、是否通过、金额、设置）"))
    _sub_db_args(df)
    df.add_argument("--json", action="store_true", help=h("machine-readable output (JSON)", "机器可读的输出（JSON）"))
    df.add_argument("--exit-code", action="store_true",
                    help=h(f"exit with {EXIT_DIFFERS} when the results differ from the frozen one, 0 when identical "
                           "(1 stays an error, such as no frozen result)",
                           f"结果与固化结果不同时以 {EXIT_DIFFERS} 退出，相同时以 0 退出（1 仍表示出错，如尚无固化结果）"))
    df.set_defaults(func=run_diff)


def _programs(raw: list[str] | None) -> list[str] | None:
    if not raw:
        return None
    return [c.strip().upper() for item in raw for c in item.split(",") if c.strip()]


def _say_changes(con, info: dict) -> None:
    if info["identical"]:
        con.say(con.t(f"与固化结果 #{info['frozen']} 一致（SHA-256 {info['sha256'][:16]}…）",
                      f"identical to frozen result #{info['frozen']} (SHA-256 {info['sha256'][:16]}…)"))
        return
    if info["damaged"]:
        con.say(con.t(f"警告：固化结果 #{info['frozen']} 的内容与其哈希不符（已被改动？）",
                      f"warning: frozen result #{info['frozen']} no longer matches its hash (altered?)"))
    changes = info["changes"]
    con.say(con.t(f"注意：结果自固化（#{info['frozen']}，{info['at'][:19]}）以来已变化，{len(changes)} 处：",
                  f"note: the results changed since frozen result #{info['frozen']} ({info['at'][:19]}), "
                  f"{len(changes)} change{'s' if len(changes) != 1 else ''}:"))
    for c in changes[:MAX_SHOWN]:
        con.say("  - " + con.t(c["zh"], c["en"]))
    if len(changes) > MAX_SHOWN:
        con.say(con.t(f"  … 另有 {len(changes) - MAX_SHOWN} 处（qbdesk results diff --json）",
                      f"  … and {len(changes) - MAX_SHOWN} more (qbdesk results diff --json)"))
    if not changes:
        con.say(con.t("  排名、汇总分、是否通过和金额均未变（理由或其他细节有变）",
                      "  no rank, aggregate, pass or amount changed (reasons or other details did)"))


EXIT_DIFFERS = 3  # results diff --exit-code: the results differ (1 is an error, 2 a usage error, as everywhere)


def run_results(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.domain.funding import format_amount
    from qbdesk.domain.messages import Msg, QbdeskError, count_en
    from qbdesk.formats.results_out import write_results
    from qbdesk.services.results import round_results
    from qbdesk.services.results_freeze import since_frozen

    if args.out is None:
        raise QbdeskError(Msg("请用 --out 指定结果文件（.json、.xlsx 或 .csv），或使用 results freeze / results diff",
                              "name the results file with --out (.json, .xlsx or .csv), or use results freeze / results diff"))
    programs = _programs(args.program)
    db = open_db(args)
    rid = current_round_id(db, args)
    with db.sessions() as s:
        doc = round_results(s, rid, programs=programs, calibrated=args.calibrated, with_names=args.with_names)
        plain = doc if not (programs or args.calibrated or args.with_names) else None
        changed = since_frozen(s, rid, plain)
    doc["since_frozen"] = changed
    write_results(doc, args.out)
    for p in doc["programs"]:
        passed = sum(1 for a in p["applications"] if a["passed"])
        funded = sum(1 for a in p["applications"] if a["amount"])
        alloc = format_amount(p["allocated"])
        budget = Msg("预算不限", "no budget cap") if p["budget"] is None else Msg(
            f"预算 {format_amount(p['budget']).zh}，余 {format_amount(p['left']).zh}",
            f"budget {format_amount(p['budget']).en}, {format_amount(p['left']).en} left")
        con.say(con.t(f"{p['program']}：{len(p['applications'])} 个申报，{passed} 个通过，{funded} 个获资助，"
                      f"共 {alloc.zh}（{budget.zh}）",
                      f"{p['program']}: {count_en(len(p['applications']), 'application')}, {passed} passed, {funded} funded, "
                      f"{alloc.en} in all ({budget.en})"))
    for n in doc["notes"]:
        con.say(con.t("说明：" + n["zh"], "note: " + n["en"]))
    if changed is not None:
        _say_changes(con, changed)
    con.say(con.t(f"已写入 {args.out}", f"wrote {args.out}"))
    return 0


def run_freeze(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.results_freeze import freeze_results

    db = open_db(args)
    rid = current_round_id(db, args)
    out = freeze_results(db.sessions, rid)
    if args.json:
        con.say(json.dumps(out, ensure_ascii=False, indent=2))
    elif out["new"]:
        con.say(con.t(f"已固化评审批次 {rid} 的结果 #{out['frozen']}：SHA-256 {out['sha256']}（已记入审计日志）",
                      f"froze round {rid}'s results as #{out['frozen']}: SHA-256 {out['sha256']} (recorded in the audit log)"))
        if out["supersedes"] is not None:
            con.say(con.t(f"取代此前的固化结果 #{out['supersedes']}", f"supersedes the earlier frozen result #{out['supersedes']}"))
    else:
        con.say(con.t(f"结果与已固化的 #{out['frozen']} 相同，未重复记录：SHA-256 {out['sha256']}",
                      f"the results equal frozen result #{out['frozen']}; nothing new recorded: SHA-256 {out['sha256']}"))
    return 0


def run_diff(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.domain.messages import Msg, QbdeskError
    from qbdesk.services.results_freeze import since_frozen

    db = open_db(args)
    rid = current_round_id(db, args)
    with db.sessions() as s:
        info = since_frozen(s, rid)
    if info is None:
        raise QbdeskError(Msg(f"评审批次 {rid} 尚未固化结果：请先运行 qbdesk results freeze",
                              f"round {rid} has no frozen result yet: run qbdesk results freeze first"))
    if args.json:
        con.say(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _say_changes(con, info)
    return EXIT_DIFFERS if args.exit_code and not info["identical"] else 0
