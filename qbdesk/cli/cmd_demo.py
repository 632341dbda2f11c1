"""qbdesk demo — build the built-in demo round and open it."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_exit_after_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("demo", help=h("build the demo round (synthetic packages and roster) and open the app", "生成演示批次（虚构的申报包和专家名单）并打开桌面程序"))
    p.add_argument("--out", type=Path, help=h("folder for the demo round: new, empty, or an earlier demo's (default: user data dir/demo)", "演示批次的文件夹：新的、空的，或此前生成的演示批次（默认：用户数据目录/demo）"))
    p.add_argument("--no-gui", action="store_true", help=h("build only, do not open the window", "只生成，不打开窗口"))
    p.add_argument("--seed", type=int, default=2026, help=h("random seed of the synthetic data (default 2026)", "虚构数据的随机种子（默认 2026）"))
    add_exit_after_args(p)
    p.set_defaults(func=run)


def run(args, con) -> int:
    from qbdesk.paths import default_data_dir
    from qbdesk.services.demo import build_demo_round

    out = (args.out or default_data_dir() / "demo").resolve()
    result = build_demo_round(out, seed=args.seed, progress=con.progress)
    con.say(con.t(f"演示批次已生成：{result.applications} 个申报，{result.experts} 位专家，{result.assignments} 项评审任务",
                  f"demo round built: {result.applications} applications, {result.experts} experts, {result.assignments} assignments"))
    con.say(con.t(f"数据库：{result.db_url}", f"database: {result.db_url}"))
    con.say(con.t(f"查看状态：qbdesk status --db {result.db_path}", f"see its state: qbdesk status --db {result.db_path}"))
    if args.no_gui:
        return 0
    from qbdesk.gui.app import run as run_gui

    return run_gui(result.db_url, lang=args.lang, exit_after=args.exit_after, screenshot=args.screenshot)
