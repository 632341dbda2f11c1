"""qbdesk review — the expert's work without the GUI: open, score sheet, recuse, declare, status, finalise,
reopen, purge.

Every command but purge needs the snapshot passphrase (the workspace is encrypted): ``--passphrase-file F``,
else the environment variable QBDESK_PASSPHRASE, else a prompt on a terminal, else a clear error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from qbdesk.cli.common import add_exit_after_args
from qbdesk.cli.lang import h
from qbdesk.domain.messages import count_en

PASSPHRASE_ENV = "QBDESK_PASSPHRASE"
MAX_LISTED = 40  # missing values listed by a refused finalize; the rest are counted


def _common(p, *, home: bool = True) -> None:
    if home:
        p.add_argument("--home", type=Path, required=True, metavar="DIR", help=h("the review workspace folder (made by review open)", "评审工作区文件夹（由 review open 创建）"))
    p.add_argument("--passphrase-file", type=Path, metavar="F",
                   help=h(f"read the snapshot passphrase from F (else ${PASSPHRASE_ENV}, else a prompt)",
                          f"从文件 F 读取快照口令（否则用环境变量 {PASSPHRASE_ENV}，否则提示输入）"))


def register(sub) -> None:
    p = sub.add_parser("review", help=h("the expert's review without the GUI: open, sheet, recuse, declare, status, finalize, reopen, purge",
                                        "专家评审（命令行）：打开、评分表、回避、承诺书、进度、定稿、重新开放、清除"))
    a = p.add_subparsers(dest="review_command", metavar="ACTION", required=True, parser_class=type(p))

    o = a.add_parser("open", help=h("verify and open a snapshot into a workspace", "校验并打开评审快照"))
    o.add_argument("snapshot", type=Path, metavar="SNAPSHOT", help=h("the .qbsnap file from the coordinator", "评审组织方提供的 .qbsnap 快照文件"))
    _common(o)
    o.set_defaults(func=run_open)

    s = a.add_parser("sheet", help=h("the offline score sheet (Excel/WPS): export, import", "离线评分表（Excel/WPS）：导出、导入"))
    sa = s.add_subparsers(dest="sheet_command", metavar="ACTION", required=True, parser_class=type(p))
    e = sa.add_parser("export", help=h("write the score sheet (.xlsx or .csv)", "导出评分表"))
    _common(e)
    e.add_argument("--out", type=Path, required=True, metavar="F.xlsx|F.csv",
                   help=h("the sheet to write, .xlsx or .csv", "要写入的评分表，.xlsx 或 .csv"))
    e.set_defaults(func=run_sheet_export)
    i = sa.add_parser("import", help=h("check and import a filled-in score sheet", "校验并导入评分表"))
    _common(i)
    i.add_argument("sheet", type=Path, metavar="F.xlsx|F.csv", help=h("the filled-in sheet", "填写好的评分表"))
    i.set_defaults(func=run_sheet_import)

    r = a.add_parser("recuse", help=h("recuse from an application, with a reason", "回避某个申报（须说明理由）"))
    _common(r)
    r.add_argument("application", metavar="APPLICATION", help=h("the application's code (as review status lists it)", "申报代码（见 review status）"))
    r.add_argument("--reason", required=True, metavar="TEXT", help=h("why (required)", "回避理由（必填）"))
    r.set_defaults(func=run_recuse)

    d = a.add_parser("declare", help=h("accept the impartiality and confidentiality declaration", "阅读并签署评审专家承诺书（须明确同意）"))
    _common(d)
    d.add_argument("--conflicts", default="", metavar="TEXT", help=h("conflicts of interest to declare (default: none)", "需申明的利害关系（默认无）"))
    d.add_argument("--yes", action="store_true",
                   help=h("accept without asking (for scripts; you have read the text)", "不再询问，直接签署（用于脚本）"))
    d.set_defaults(func=run_declare)

    st = a.add_parser("status", help=h("progress: applications done and missing", "评审进度：已完成和未完成的申报"))
    _common(st)
    st.set_defaults(func=run_status)

    g = a.add_parser("gui", help=h("open the expert's review window", "打开评审专家工作台（图形界面）"))
    g.add_argument("snapshot", type=Path, nargs="?", metavar="SNAPSHOT",
                   help=h("a .qbsnap file to open (else choose one in the window)", "要打开的 .qbsnap 快照文件（不给出时在窗口中选择）"))
    g.add_argument("--home", type=Path, metavar="DIR",
                   help=h("the review workspace folder (default: one per snapshot in the user data folder)",
                          "评审工作区文件夹（默认：用户数据目录下按快照分设）"))
    g.add_argument("--passphrase-file", type=Path, metavar="F",
                   help=h("read the snapshot passphrase from F (else the window asks for it)", "从文件 F 读取快照口令（否则由窗口询问）"))
    g.add_argument("--lang", dest="gui_lang", choices=("zh", "en"), metavar="zh|en",
                   help=h("the window's language (default: the one chosen last time, else zh)", "界面语言（默认：上次选择的语言，否则为中文）"))
    g.add_argument("--lock-minutes", type=float, metavar="M",
                   help=h("lock the window after M idle minutes (default 10, or as set before)", "闲置 M 分钟后锁定窗口（默认 10 分钟）"))
    g.add_argument("--exit-when-ready", action="store_true",
                   help=h("print 'ready SECONDS' once the work list is shown, then quit (for measuring)",
                          "工作列表显示后输出“ready 秒数”并退出（用于测速）"))
    add_exit_after_args(g)
    g.set_defaults(func=run_gui)

    f = a.add_parser("finalize", help=h("write the signed, encrypted score file for the coordinator", "定稿：写出已签名、加密的评分文件"))
    _common(f)
    f.add_argument("--out", type=Path, required=True, metavar="F.qbscore",
                   help=h("the score file to write", "要写入的评分文件"))
    f.set_defaults(func=run_finalize)

    ro = a.add_parser("reopen", help=h("reopen a finalised workspace for correction (the next finalize supersedes the last file)",
                                        "重新开放已定稿的评分以便更正（再次定稿将生成更高版本号的评分文件）"))
    _common(ro)
    ro.set_defaults(func=run_reopen)

    pg = a.add_parser("purge", help=h("remove the workspace from this computer, once the coordinator has the score file",
                                       "评审组织方确认收到评分文件后，从本机清除工作区"))
    pg.add_argument("--home", type=Path, required=True, metavar="DIR",
                    help=h("the review workspace folder to remove", "要清除的评审工作区文件夹"))
    pg.add_argument("--yes", action="store_true",
                    help=h("remove without asking (for scripts; the list is printed first)", "不再询问，直接清除（用于脚本；仍先列出将删除的文件）"))
    pg.set_defaults(func=run_purge)


def passphrase(args, con) -> str:
    from qbdesk.domain.messages import Msg, QbdeskError, os_reason
    from qbdesk.formats.regular import FileRefused, read_regular

    if args.passphrase_file is not None:
        try:  # a regular file only: a FIFO must not hang the command, /dev/zero not fill memory
            text = read_regular(args.passphrase_file, 64 * 1024).decode("utf-8-sig")
        except FileRefused as e:
            raise QbdeskError(Msg(f"无法读取口令文件：{e.msg.zh}", f"cannot read the passphrase file: {e.msg.en}")) from None
        except (OSError, UnicodeDecodeError) as e:
            why = os_reason(e) if isinstance(e, OSError) else Msg("不是 UTF-8 文本", "not UTF-8 text")
            raise QbdeskError(Msg(f"无法读取口令文件 {args.passphrase_file}：{why.zh}",
                                  f"cannot read the passphrase file {args.passphrase_file}: {why.en}")) from None
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if not lines:
            raise QbdeskError(Msg(f"口令文件 {args.passphrase_file} 是空的", f"the passphrase file {args.passphrase_file} is empty"))
        return lines[0]
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if sys.stdin.isatty():
        import getpass

        typed = getpass.getpass(con.t("快照口令（见交接单）：", "snapshot passphrase (on the handover slip): "))
        if typed.strip():
            return typed
    raise QbdeskError(Msg(f"需要快照口令：请用 --passphrase-file 指定口令文件，或设置环境变量 {PASSPHRASE_ENV}，或在终端中运行以输入口令",
                          f"the snapshot passphrase is needed: give --passphrase-file, set {PASSPHRASE_ENV}, "
                          f"or run this in a terminal to type it"))


def _grouped(digest: str) -> str:
    groups = [digest[i:i + 4] for i in range(0, len(digest), 4)]
    return " ".join(groups[:8]) + "\n    " + " ".join(groups[8:])


def _load(args, con):
    from qbdesk.services.reviewer import ReviewWorkspace

    return ReviewWorkspace.load(args.home, passphrase(args, con))


def run_open(args, con) -> int:
    from qbdesk.services.reviewer import open_snapshot

    secret = passphrase(args, con)
    existed = (args.home / "workspace.json").exists()
    with open_snapshot(args.snapshot, args.home, secret) as ws:
        if existed:
            con.say(con.t("工作区已存在：已重新打开，此前填写的内容和专家密钥保持不变",
                          "the workspace exists: re-opened; what you entered and your key are kept"))
        _, name, year = ws.round
        con.say(con.t(f"已打开快照：{name}（{year} 年），评审专家 {ws.expert_name}（{ws.expert_id}），共 {len(ws.applications)} 份申报",
                      f"opened the snapshot: {name} ({year}), expert {ws.expert_name} ({ws.expert_id}), "
                      f"{count_en(len(ws.applications), 'application')}"))
        con.say(con.t(f"工作区：{ws.home}", f"workspace: {ws.home}"))
        con.say(con.t("请与交接单逐字核对以下两项，不一致时请勿评审并联系评审组织方：",
                      "compare these two with the handover slip, character by character; if they differ, "
                      "do not review and contact the coordinator:"))
        con.say(con.t(f"  评审组织方密钥指纹：{ws.coordinator_fingerprint}", f"  coordinator key fingerprint: {ws.coordinator_fingerprint}"))
        con.say(con.t(f"  快照摘要：{_grouped(ws.snapshot_digest)}", f"  snapshot digest: {_grouped(ws.snapshot_digest)}"))
        con.say(con.t(f"专家密钥指纹（将印在评分表上）：{ws.expert_fingerprint}",
                      f"expert key fingerprint (printed on your scorecards): {ws.expert_fingerprint}"))
    return 0


def run_sheet_export(args, con) -> int:
    from qbdesk.formats.sheet import export_sheet

    with _load(args, con) as ws:
        n = export_sheet(ws, args.out)
    con.say(con.t(f"已导出评分表 {args.out}（{n} 行）", f"wrote the score sheet {args.out} ({n} rows)"))
    con.say(con.t("评分表以明文保存您填写的内容：请只保存在本机，导入后删除",
                  "the sheet holds what you enter in clear: keep it on this computer and delete it after importing"))
    return 0


def run_sheet_import(args, con) -> int:
    from qbdesk.formats.sheet import import_sheet

    with _load(args, con) as ws:
        report = import_sheet(ws, args.sheet)
    for problem in report.problems:
        con.say(problem.text(con.lang))
    con.say(report.summary())
    return 0 if report.ok else 1


def run_recuse(args, con) -> int:
    with _load(args, con) as ws:
        ws.recuse(args.application, args.reason)
    con.say(con.t(f"已回避申报 {args.application}（理由：{args.reason.strip()}）；该申报的评分不会导出",
                  f"recused from application {args.application} (reason: {args.reason.strip()}); its scores are not exported"))
    return 0


def _confirm_declaration(args, con) -> None:
    """The expert signs only after reading: an explicit yes, typed or given as --yes."""
    from qbdesk.domain.messages import Msg, QbdeskError

    if args.yes:
        return
    if not sys.stdin.isatty():
        raise QbdeskError(Msg("未签署：签署承诺书需要明确同意。请在终端中运行并输入 yes，或在读过上面的承诺书后加 --yes",
                              "not signed: the declaration needs an explicit yes. Run this in a terminal and type "
                              "yes, or add --yes once you have read the text above"))
    con.out.flush()
    answer = input(con.t("您已阅读并同意以上承诺书吗？输入 yes 签署：", "Have you read and do you accept the declaration above? Type yes to sign: "))
    if answer.strip().lower() not in ("yes", "是"):
        raise QbdeskError(Msg("未签署承诺书（未输入 yes）", "the declaration was not signed (no yes was typed)"))


def run_declare(args, con) -> int:
    with _load(args, con) as ws:
        con.say(ws.declaration.text)
        con.say("")
        _confirm_declaration(args, con)
        ws.declare(True, args.conflicts)
        d = ws.declaration
    con.say(con.t(f"已签署承诺书（{d.at}）", f"declaration accepted ({d.at})"))
    if d.conflicts:
        con.say(con.t(f"申明的利害关系：{d.conflicts}", f"conflicts declared: {d.conflicts}"))
    return 0


def run_reopen(args, con) -> int:
    with _load(args, con) as ws:
        ws.reopen_for_correction()
        last = ws.sequence
    con.say(con.t(f"已重新开放以便更正（已记入修改记录）。更正后再次定稿将写出第 {last + 1} 版评分文件，取代第 {last} 版",
                  f"reopened for correction (recorded in the edit log). Finalising again writes sequence {last + 1}, "
                  f"which supersedes sequence {last}"))
    return 0


def run_purge(args, con) -> int:
    from qbdesk.domain.messages import Msg, QbdeskError
    from qbdesk.services.reviewer.purge import kept, purge, purge_plan
    from qbdesk.services.reviewer.state import read_workspace_record

    plan = purge_plan(args.home)
    stay = kept(args.home)
    con.say(con.t(f"将从本机删除以下 {len(plan)} 项（qbdesk 在 {args.home} 中创建的全部内容）：",
                  f"this removes these {len(plan)} from this computer (everything qbdesk made in {args.home}):"))
    for path in plan:
        con.say(f"  {path}")
    if stay:
        con.say(con.t(f"以下 {len(stay)} 项不是 qbdesk 创建的，保留不动（文件夹因此也保留）：",
                      f"these {len(stay)} were not made by qbdesk and stay (and so does the folder):"))
        for path in stay:
            con.say(f"  {path}")
    record = read_workspace_record(args.home)
    if record is not None and record["next_sequence"] == 1:
        con.say(con.t("注意：此工作区从未定稿（没有写出过评分文件）；清除后其中的评分将无法找回",
                      "note: this workspace was never finalised (no score file was made); its scores cannot be "
                      "recovered after this"))
    if not args.yes:
        if not sys.stdin.isatty():
            raise QbdeskError(Msg("未清除：需要明确同意。请在终端中运行并输入 yes，或确认上面的清单后加 --yes",
                                  "nothing removed: this needs an explicit yes. Run it in a terminal and type yes, "
                                  "or add --yes once you have checked the list above"))
        con.out.flush()
        answer = input(con.t("评审组织方已确认收到评分文件了吗？输入 yes 清除：",
                             "Has the coordinator confirmed receipt of the score file? Type yes to remove: "))
        if answer.strip().lower() not in ("yes", "是"):
            raise QbdeskError(Msg("未清除（未输入 yes）", "nothing removed (no yes was typed)"))
    removed = purge(args.home)
    con.say(con.t(f"已清除 {len(removed)} 项", f"removed {len(removed)}"))
    return 0


def run_status(args, con) -> int:
    with _load(args, con) as ws:
        _, name, year = ws.round
        rows = ws.progress()
        facts = {a.code: a.qualification for a in ws.applications}
        decl = ws.declaration
        exports = ws.exports
        finalised = ws.finalised
        views = {r.program: ws.program_view(r.program) for r in rows}
    done = sum(1 for r in rows if r.done and not r.recused)
    recused = sum(1 for r in rows if r.recused)
    todo = len(rows) - done - recused
    con.say(con.t(f"{name}（{year} 年） 评审专家 {ws.expert_name}（{ws.expert_id}）",
                  f"{name} ({year}), expert {ws.expert_name} ({ws.expert_id})"))
    con.say(con.t(f"承诺书：{'已签署 ' + decl.at if decl.accepted else '未签署（qbdesk review declare）'}",
                  f"declaration: {'accepted ' + decl.at if decl.accepted else 'not accepted (qbdesk review declare)'}"))
    con.say(con.t(f"申报 {len(rows)} 份：已完成 {done}，回避 {recused}，未完成 {todo}",
                  f"{count_en(len(rows), 'application')}: {done} done, {recused} recused, {todo} to do"))
    for r in rows:
        state = (con.t("回避", "recused") if r.recused else con.t("已完成", "done") if r.done
                 else con.t(f"缺 {r.missing} 项", f"{r.missing} missing"))
        con.say(f"  {r.code}  {r.program}  {state}")
        for fact in facts.get(r.code, ()):  # the coordinator's qualification check: facts, not for scoring again
            con.say(con.t(f"      资格审查（评审组织方）：{fact.text('zh')}", f"      qualification (coordinator): {fact.text('en')}"))
    for code, view in sorted(views.items()):
        if view.notice is not None:
            con.say(f"{code}：{view.notice.zh}" if con.lang != "en" else f"{code}: {view.notice.en}")
    if exports:
        last = exports[-1]
        con.say(con.t(f"最近一次定稿：第 {last['sequence']} 版，{last['at']}，摘要 {last['digest'][:16]}…",
                      f"last finalised: sequence {last['sequence']}, {last['at']}, digest {last['digest'][:16]}…"))
        con.say(con.t("已定稿，此后未改动（如需更正：qbdesk review reopen）", "finalised, unchanged since (to correct it: qbdesk review reopen)")
                if finalised else con.t("定稿后有改动：请再次定稿（qbdesk review finalize）",
                                        "changed since it was finalised: finalise again (qbdesk review finalize)"))
    return 0


def run_gui(args, con) -> int:
    from qbdesk.cli.main import STARTED
    from qbdesk.domain.messages import Msg, QbdeskError

    if args.snapshot is not None and not args.snapshot.is_file():
        raise QbdeskError(Msg(f"找不到快照文件 {args.snapshot}", f"no snapshot file {args.snapshot}"))
    if args.lock_minutes is not None and not args.lock_minutes > 0:
        raise QbdeskError(Msg("--lock-minutes 须为正数", "--lock-minutes must be a positive number"))
    secret = passphrase(args, con) if args.passphrase_file is not None else None
    if args.exit_when_ready and (secret is None or (args.snapshot is None and args.home is None)):
        raise QbdeskError(Msg("--exit-when-ready 需要 --passphrase-file 和 --home（或快照文件）",
                              "--exit-when-ready needs --passphrase-file and --home (or a snapshot)"))
    prepared = None
    if secret is not None and args.snapshot is None and args.home is not None:
        # The passphrase is known: the workspace's load (two bcrypt unwraps) starts now, on a thread,
        # and overlaps Qt's import and the window's construction; the start screen takes its result.
        from qbdesk.services.reviewer.prepared import PreparedLoad
        from qbdesk.services.reviewer.workspace import ReviewWorkspace

        if ReviewWorkspace.is_workspace(args.home):
            prepared = PreparedLoad(args.home, secret)
    try:
        from qbdesk.gui.review.app import run
    except BaseException:
        if prepared is not None:
            prepared.discard()
        raise

    lang = args.gui_lang
    if lang is None and (os.environ.get("QBDESK_LANG") or "--lang" in sys.argv[1:]):
        lang = args.lang  # qbdesk --lang en review gui: the global choice, when it was made
    return run(args.snapshot, home=args.home, passphrase=secret, lang=lang, lock_minutes=args.lock_minutes,
               exit_when_ready=args.exit_when_ready, exit_after=args.exit_after, screenshot=args.screenshot,
               started=STARTED, prepared=prepared)


def run_finalize(args, con) -> int:
    from qbdesk.services.reviewer import FinalizeRefused

    with _load(args, con) as ws:
        try:
            result = ws.finalize(args.out)
        except FinalizeRefused as e:
            con.error(con.t("不能定稿，尚有未完成的内容：", "cannot finalise; still missing:"))
            if e.declaration:
                print(con.t("  承诺书尚未签署（qbdesk review declare）", "  the declaration is not accepted (qbdesk review declare)"),
                      file=con.err)
            for m in e.missing[:MAX_LISTED]:
                where = f"  {m.code} {m.criterion}{' ' + m.item if m.item else ''}"
                print(f"{where}: {m.msg.text(con.lang)}", file=con.err)
            if len(e.missing) > MAX_LISTED:
                more = len(e.missing) - MAX_LISTED
                print(con.t(f"  …另有 {more} 项未完成（qbdesk review status 按申报列出进度；评分表可一次补全）",
                            f"  … and {more} more (qbdesk review status lists progress per application; "
                            f"the score sheet fills them in at once)"), file=con.err)
            return 1
    con.say(con.t(f"已写入评分文件 {result.path}（第 {result.sequence} 版：评分 {result.scored} 份，回避 {result.recused} 份）",
                  f"wrote the score file {result.path} (sequence {result.sequence}: {result.scored} scored, "
                  f"{result.recused} recused)"))
    con.say(con.t(f"  评分文件摘要：{_grouped(result.digest)}", f"  score digest: {_grouped(result.digest)}"))
    con.say(con.t(f"  专家密钥指纹：{result.fingerprint}", f"  expert key fingerprint: {result.fingerprint}"))
    con.say(con.t("请把该文件交给评审组织方；评分表上打印的摘要和指纹应与此一致",
                  "hand this file to the coordinator; the digest and fingerprint printed on your scorecards must match these"))
    return 0
