"""qbdesk status — counts per program, problems found, assignment coverage."""

from __future__ import annotations

import json

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h
from qbdesk.domain.messages import count_en


def register(sub) -> None:
    p = sub.add_parser("status", help=h("the state of the round: counts, coverage, scoring, recusals, problems", "批次状态：数量、覆盖、评分、回避和问题"))
    add_db_args(p)
    p.add_argument("--json", action="store_true", help=h("machine-readable output (JSON)", "机器可读的输出（JSON）"))
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
                      f"（被取代 {st.score_files['superseded']} 份），{st.scored}/{st.assignments} 项评审任务已完成"
                      + (f"（其中回避 {len(st.recusals)} 项）" if st.recusals else ""),
                      f"scoring: {st.snapshots} snapshots built, {st.score_files['accepted']} score files in force "
                      f"({st.score_files['superseded']} superseded), {st.scored}/{st.assignments} assignments done"
                      + (f" ({len(st.recusals)} of them recused)" if st.recusals else "")))
    if st.recusals:
        con.say(con.t(f"回避 {len(st.recusals)} 项：", f"{count_en(len(st.recusals), 'recusal')}:"))
        for x in st.recusals:
            con.say(con.t(f"  - 专家 {x.expert} 回避申报 {x.application}（{x.program}）：{x.reason}",
                          f"  - expert {x.expert} recused from {x.application} ({x.program}): {x.reason}"))
    q = st.qualification
    if q.get("applications"):
        con.say(con.t(f"资格审查：{q['checked']}/{q['applications']} 个申报已全部审查，{q['missing_checks']} 个缺审查项，"
                      f"{q['vetoed']} 个一票否决（qbdesk applications check --list）",
                      f"qualification check: {q['checked']}/{q['applications']} applications fully checked, "
                      f"{q['missing_checks']} missing checks, {q['vetoed']} vetoed (qbdesk applications check --list)"))
    if st.results_frozen is not None:
        f = st.results_frozen
        state = con.t("与现在的结果一致", "still the results now") if f["identical"] else \
            con.t("现在的结果已不同（qbdesk results diff）", "the results now differ (qbdesk results diff)")
        con.say(con.t(f"结果已固化：#{f['frozen']}（{f['at'][:19]}），SHA-256 {f['sha256'][:16]}…，{state}",
                      f"results frozen: #{f['frozen']} ({f['at'][:19]}), SHA-256 {f['sha256'][:16]}…, {state}"))
    if st.problems:
        con.say(con.t(f"发现 {len(st.problems)} 个问题：", f"{count_en(len(st.problems), 'problem')} found:"))
        for pr in st.problems:
            con.say(f"  - {pr.msg.text(con.lang)}")
    else:
        con.say(con.t("未发现问题", "no problems found"))
    if st.audit_head is not None:
        entry, digest = st.audit_head
        con.say(con.t(f"审计日志链头：#{entry} {digest}（请记录在纸面上，以便日后核对）",
                      f"audit chain head: #{entry} {digest} (keep it on paper to compare later)"))
    return 0
