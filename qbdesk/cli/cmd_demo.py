"""qbdesk demo — build the built-in demo round and open it."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("demo", help="build the demo round and open the app / 生成演示批次并打开")
    p.add_argument("--out", type=Path, help="folder for the demo round (default: user data dir/demo) / 输出目录")
    p.add_argument("--no-gui", action="store_true", help="build only, do not open the window / 只生成，不打开窗口")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the synthetic data / 随机种子")
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

    return run_gui(result.db_url, lang=args.lang)
