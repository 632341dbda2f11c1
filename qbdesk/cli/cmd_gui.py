"""qbdesk gui — open the desktop app on a database."""

from __future__ import annotations

from qbdesk.cli.common import add_db_args, add_exit_after_args
from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("gui", help=h("open the desktop app on a database", "在指定数据库上打开桌面程序"))
    add_db_args(p)
    add_exit_after_args(p)
    p.set_defaults(func=run)


def run(args, con) -> int:
    from qbdesk.gui.app import run as run_gui

    return run_gui(args.db, lang=args.lang, exit_after=args.exit_after, screenshot=args.screenshot)
