"""qbdesk status — counts per program, problems found, assignment coverage."""

from __future__ import annotations

import json

from qbdesk.cli.common import add_db_args


def register(sub) -> None:
    p = sub.add_parser("status", help="state of the round / 批次状态")
    add_db_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output / JSON 输出")
    p.set_defaults(func=run)


def program_kind(mode: str, blind: bool, lang: str) -> str:
    """"核准类·公开" / "verified, open": the program's mode and whether experts review blind."""
    from qbdesk.domain.programs import mode_label

    m = mode_label(mode).text(lang)
    if lang == "en":
        return f"{m + (', blind' if blind else ', open'):<14}"
    return m + ("·盲评" if blind else "·公开") + "  "


def run(args, con) -> int:
    from qbdesk.cli.common import open_db
    from qbdesk.services.status import round_status

    db = open_db(args)
    with db.sessions() as s:
        st = round_status(s, args.round_id)
    if args.json:
        con.say(json.dumps(st.to_json(), ensure_ascii=False, indent=2))
        return 0
    con.say(con.t(f"评审批次 {st.round_id}：{st.name}（{st.year} 年度），专家 {st.experts} 人",
                  f"Round {st.round_id}: {st.name} ({st.year}), {st.experts} experts"))
    head = con.t("项目  申报  专家  分配  已覆盖     已评分     类型          名称",
                 "prog  apps  exps  asgn  covered    scored     mode            name")
    con.say(head)
    for p in st.programs.values():
        name = p.name_en if con.lang == "en" else p.name_zh
        con.say(f"{p.code:<4}  {p.applications:>4}  {p.experts:>4}  {p.assignments:>4}  {p.covered:>4}/{p.applications:<4} "
                f"{p.scored:>4}/{p.assignments:<4} {program_kind(p.mode, p.blind, con.lang)}  {name}")
    con.say(con.t(f"覆盖：{st.covered}/{st.applications} 个申报已分配足够专家",
                  f"coverage: {st.covered}/{st.applications} applications fully assigned"))
    if st.snapshots or st.score_files["accepted"]:
        con.say(con.t(f"评分：已生成快照 {st.snapshots} 份，收到有效评分文件 {st.score_files['accepted']} 份"
                      f"（被取代 {st.score_files['superseded']} 份），{st.scored}/{st.assignments} 项评审任务已完成",
                      f"scoring: {st.snapshots} snapshots built, {st.score_files['accepted']} score files in force "
                      f"({st.score_files['superseded']} superseded), {st.scored}/{st.assignments} assignments done"))
    q = st.qualification
    if q.get("applications"):
        con.say(con.t(f"资格审查：{q['checked']}/{q['applications']} 个申报已全部审查，{q['missing_checks']} 个缺审查项，"
                      f"{q['vetoed']} 个一票否决（qbdesk applications check --list）",
                      f"qualification check: {q['checked']}/{q['applications']} applications fully checked, "
                      f"{q['missing_checks']} missing checks, {q['vetoed']} vetoed (qbdesk applications check --list)"))
    if st.problems:
        con.say(con.t(f"发现 {len(st.problems)} 个问题：", f"{len(st.problems)} problems found:"))
        for pr in st.problems:
            con.say(f"  - {pr.msg.text(con.lang)}")
    else:
        con.say(con.t("未发现问题", "no problems found"))
    return 0
