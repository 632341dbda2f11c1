"""qbdesk applications check — the coordinator's qualification check (资格审查), one form per job:

    check APP CHECK --result pass|fail --source "…" --date YYYY-MM-DD [--note …]   record one result
    check APP CHECK --clear                                                      remove one recorded by mistake
    check --list [APP] [--json]                                                  show what is recorded
    check --from checks.xlsx|.csv                                                record a filled-in checklist
    check --template checks.xlsx|.csv [APP …]                                    write the checklist to fill in
    check --checks                                                               the checks and which are vetoes
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def register_check(actions) -> None:
    """Add ``check`` under ``qbdesk applications``."""
    c = actions.add_parser(
        "check", help=h("the coordinator's qualification check (veto list)", "资格审查（一票否决）"),
        description=h("Record, list or import the qualification check of applications. Forms: "
                      "APP CHECK --result pass|fail --source S --date YYYY-MM-DD [--note N]; APP CHECK --clear; "
                      "--list [APP] [--json]; --from FILE; --template FILE [APP ...]; --checks.",
                      "资格审查：记录、列出、从审查表导入、生成空白审查表。用法：APP CHECK --result pass|fail --source 来源 "
                      "--date YYYY-MM-DD [--note 备注]；APP CHECK --clear；--list [APP] [--json]；--from 文件；"
                      "--template 文件 [APP ...]；--checks。"))
    add_db_args(c)
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help=h("list the results (of APP, or of every application)",
                                                            "列出审查结果（APP 的，或全部申报的）"))
    mode.add_argument("--from", dest="from_file", type=Path, metavar="F.xlsx|F.csv",
                      help=h("record every result of a filled-in checklist (all or nothing)", "从填好的审查表导入全部结果（全部导入或全不导入）"))
    mode.add_argument("--template", type=Path, metavar="F.xlsx|F.csv",
                      help=h("write the checklist to fill in (what is recorded already filled in)", "生成待填写的审查表（已记录的结果已填入）"))
    mode.add_argument("--checks", action="store_true", help=h("the checks, their ids and which are vetoes", "列出审查项、编号及哪些一票否决"))
    c.add_argument("application", nargs="?", metavar="APP", help=h("the application's package id", "申报编号"))
    c.add_argument("check", nargs="*", metavar="CHECK", help=h("the check's id (see --checks)", "审查项编号（见 --checks）"))
    c.add_argument("--result", metavar="pass|fail", help=h("pass: nothing found; fail: found", "结果：pass 通过（未发现问题）或 fail 不通过"))
    c.add_argument("--source", metavar="TEXT", help=h("where it was looked up, e.g. the Credit China website", "查询来源，如 信用中国"))
    c.add_argument("--date", metavar="YYYY-MM-DD", help=h("when it was checked", "审查日期"))
    c.add_argument("--note", default="", metavar="TEXT", help=h("what was found (required for a fail)", "备注（不通过时必填）"))
    c.add_argument("--clear", action="store_true",
                   help=h("remove the result of APP CHECK recorded by mistake (it is 'not checked' again)", "撤销误录的结果（恢复为未审查）"))
    c.add_argument("--by", default=None, metavar="NAME", help=h("who checked (default: the login name)", "审查人（默认：登录名）"))
    c.add_argument("--json", action="store_true", help=h("with --list: machine-readable output", "与 --list 同用：JSON 输出"))
    c.set_defaults(func=run_check, check_parser=c)


def _by(args) -> str:
    if args.by is not None:
        return args.by.strip()[:100]
    import getpass

    try:
        return getpass.getuser()[:100]
    except (OSError, KeyError):  # no login name in a bare container
        return ""


def _usage(args, zh: str, en: str) -> None:
    parser: argparse.ArgumentParser = args.check_parser
    parser.error(en + " / " + zh)


def run_check(args, con) -> int:
    if args.checks:
        return _checks(con)
    setting = any(v is not None for v in (args.result, args.source, args.date)) or args.note
    if args.clear and (setting or args.list or args.from_file or args.template or args.json):
        _usage(args, "--clear 只与 APP CHECK 一起使用", "--clear goes with APP CHECK alone")
    if (args.list or args.from_file or args.template) and setting:
        _usage(args, "--result/--source/--date/--note 只用于记录单项结果", "--result/--source/--date/--note only record one result")
    if args.json and not args.list:
        _usage(args, "--json 只用于 --list", "--json goes with --list")
    if args.list:
        if args.check:
            _usage(args, "--list 只接受一个申报编号", "--list takes at most one application")
        return _list(args, con)
    if args.from_file:
        if args.application:
            _usage(args, "--from 不接受申报编号", "--from takes no application")
        return _import(args, con)
    if args.template:
        return _template(args, con)
    if not args.application or len(args.check) != 1:
        _usage(args, "请给出申报编号和一个审查项（APP CHECK），或使用 --list、--from、--template、--checks",
               "give an application and one check (APP CHECK), or --list, --from, --template, --checks")
    if args.clear:
        return _clear(args, con)
    missing = [f for f, v in (("--result", args.result), ("--source", args.source), ("--date", args.date)) if v is None]
    if missing:
        _usage(args, "记录审查结果还需要 " + "、".join(missing), "recording a result also needs " + ", ".join(missing))
    return _set(args, con)


def _set(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.domain.qualification import RESULT_LABELS, check
    from qbdesk.services.qualification import set_check

    db = open_db(args)
    done = set_check(db.sessions, args.round_id, args.application, args.check[0], result=args.result,
                     source=args.source, checked_on=args.date, note=args.note, by=_by(args))
    e = done.entry
    label = check(e.check).label.text(con.lang)
    res = RESULT_LABELS[e.result].text(con.lang)
    if not done.changed:
        con.say(con.t(f"{e.application} {e.check}：与原记录相同，未作修改", f"{e.application} {e.check}: already so; nothing changed"))
        return 0
    con.say(con.t(f"已记录：{e.application} {label}：{res}（{e.checked_on.isoformat()}，{e.source}）",
                  f"recorded: {e.application} {label}: {res} ({e.checked_on.isoformat()}, {e.source})"))
    if check(e.check).veto and e.result == "fail":
        con.say(con.t("一票否决：该申报无论评分多少均不予资助", "veto: this application gets 0 whatever its scores"))
    return 0


def _clear(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.qualification import clear_check

    db = open_db(args)
    if clear_check(db.sessions, args.round_id, args.application, args.check[0], by=_by(args)):
        con.say(con.t(f"已撤销 {args.application} {args.check[0]} 的审查结果（现为未审查）",
                      f"removed the result of {args.application} {args.check[0]} (now not checked)"))
    else:
        con.say(con.t(f"{args.application} {args.check[0]} 没有审查记录，未作修改",
                      f"{args.application} {args.check[0]} has no result on record; nothing changed"))
    return 0


def _list(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.qualification import list_checks

    db = open_db(args)
    with db.sessions() as s:
        apps = list_checks(s, args.round_id, args.application)
    if args.json:
        con.say(json.dumps([a.to_json() for a in apps], ensure_ascii=False, indent=2))
        return 0
    for a in apps:
        state = (con.t("一票否决", "VETOED") if a.vetoes else
                 con.t(f"缺 {len(a.missing)} 项", f"{len(a.missing)} missing") if a.missing else con.t("已审查", "checked"))
        con.say(f"{a.external_id}  {a.program}  {state}")
        for c in a.checks:
            mark = con.t("［否决项］", "[veto] ") if c.veto else ""
            line = f"  {c.check:<18} {c.result_label().text(con.lang):<6} {mark}{c.label.text(con.lang)}"
            if c.result:
                line += f"  ({c.checked_on}, {c.source}" + (f"; {c.note}" if c.note else "") + ")"
            con.say(line)
    checked = sum(1 for a in apps if not a.missing)
    vetoed = sum(1 for a in apps if a.vetoes)
    con.say(con.t(f"共 {len(apps)} 份申报：已全部审查 {checked}，缺审查项 {len(apps) - checked}，一票否决 {vetoed}",
                  f"{len(apps)} applications: {checked} fully checked, {len(apps) - checked} missing checks, {vetoed} vetoed"))
    return 0


def _import(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.qualification import import_checklist

    db = open_db(args)
    report = import_checklist(db.sessions, args.round_id, args.from_file, by=_by(args))
    for p in report.problems:
        con.say(p.text(con.lang))
    con.say(report.summary())
    return 0 if report.ok else 1


def _template(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.qualification import write_checklist_template

    apps = ([args.application] if args.application else []) + list(args.check)
    db = open_db(args)
    with db.sessions() as s:
        n = write_checklist_template(s, args.round_id, args.template, apps)
    con.say(con.t(f"已生成资格审查表 {args.template}（{n} 行）；填写 result、source、date（不通过时填 note）后用 --from 导入",
                  f"wrote the checklist {args.template} ({n} rows); fill in result, source, date (and note for a fail), "
                  f"then import it with --from"))
    con.say(con.t("审查表含申报单位名称和信用代码，仅供评审组织方使用，不得交给评审专家",
                  "the checklist names the applicants and their credit codes: for the coordinator only, never for experts"))
    return 0


def _checks(con) -> int:
    from qbdesk.domain.qualification import CHECKS

    for c in CHECKS:
        mark = con.t("一票否决", "veto") if c.veto else con.t("供专家参考", "for the experts")
        con.say(f"{c.id:<18} {mark}  {c.label.text(con.lang)}")
        con.say(f"{'':<18} {con.t('来源', 'source')}: {c.source_hint.text(con.lang)}")
    return 0
