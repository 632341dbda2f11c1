"""qbdesk scores import — decrypt, verify and merge the experts' score files."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    from qbdesk.cli.cmd_snapshots import add_keys_arg

    p = sub.add_parser("scores", help=h("the experts' score files: import, recheck", "专家评分文件：导入、复核"))
    a = p.add_subparsers(dest="scores_command", metavar="ACTION", required=True, parser_class=type(p))
    imp = a.add_parser("import", help=h("decrypt, verify and import .qbscore files (or folders of them)", "解密、校验并导入评分文件（.qbscore 或包含它们的文件夹）"))
    add_db_args(imp)
    imp.add_argument("paths", nargs="+", type=Path, metavar="FILE",
                     help=h("a .qbscore file, or a folder of them", ".qbscore 评分文件，或包含它们的文件夹"))
    add_keys_arg(imp)
    imp.add_argument("--accept-superseded", action="store_true",
                     help=h("accept files made from a snapshot a later build superseded (needs --reason; audited)",
                            "接受来自已被后来重新生成的快照取代的评分文件（须写明 --reason；记入审计日志）"))
    imp.add_argument("--reason", metavar="TEXT", help=h("why (with --accept-superseded)", "理由（与 --accept-superseded 一起使用）"))
    imp.set_defaults(func=run_import)
    chk = a.add_parser("recheck", help=h("re-verify the stored score files against the scores in the database", "复核：重新校验已存的评分文件与数据库中的评分，并检查审计链"))
    add_db_args(chk)
    add_keys_arg(chk)
    chk.set_defaults(func=run_recheck)


def run_import(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db

    # Never created here (score files are sealed to the keys that built the snapshots), and the
    # signing key stays locked: importing only decrypts.
    from qbdesk.domain.messages import Msg, QbdeskError
    from qbdesk.services.coordinator_keys import load_keys
    from qbdesk.services.scores import import_score_files, missing_scores

    if args.accept_superseded and not (args.reason or "").strip():
        raise QbdeskError(Msg("--accept-superseded 须同时以 --reason 写明理由", "--accept-superseded needs a --reason"))
    if args.reason and not args.accept_superseded:
        raise QbdeskError(Msg("--reason 只与 --accept-superseded 一起使用", "--reason goes with --accept-superseded only"))
    db = open_db(args)
    rid = current_round_id(db, args)
    keys = load_keys(args.keys, signing=False)
    report = import_score_files(db.sessions, rid, args.paths, keys=keys,
                                accept_superseded=args.reason if args.accept_superseded else None)
    if report.nothing_found:
        con.error(report.summary())
        return 1
    for line in report.lines:
        con.say(line.text(con.lang))
    con.say(report.summary())
    with db.sessions() as s:
        missing = missing_scores(s, rid)
    experts = sorted({m.expert_external_id for m in missing})
    if missing:
        con.say(con.t(f"尚缺 {len(missing)} 项评审任务的评分（专家：{'、'.join(experts)}）",
                      f"{len(missing)} assignments still lack scores (experts: {', '.join(experts)})"))
    return 0 if report.ok else 1


def run_recheck(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.coordinator_keys import load_keys
    from qbdesk.services.score_recheck import recheck_scores

    db = open_db(args)
    rid = current_round_id(db, args)
    keys = load_keys(args.keys, signing=False)
    with db.sessions() as s:
        report = recheck_scores(s, rid, keys=keys)
    for f in report.files:
        state = con.t("一致", "matches") if f.ok else con.t("不一致", "DIFFERS")
        con.say(f"{state}  {f.expert} #{f.sequence}  {f.digest[:16]}…")
        for p in f.problems:
            con.say(f"    - {p.text(con.lang)}")
    if report.round_problems:
        con.say(con.t("与审计日志或签名绑定不符：", "differences from the audit log or the signed bindings:"))
        for p in report.round_problems:
            con.say(f"    - {p.text(con.lang)}")
    con.say(report.summary())
    return 0 if report.ok else 1
