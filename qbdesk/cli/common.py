"""Arguments and helpers shared by the command modules."""

from __future__ import annotations

import argparse
from pathlib import Path

from qbdesk.cli.lang import h


def add_db_args(p: argparse.ArgumentParser, *, required: bool = False, round_arg: bool = True) -> None:
    p.add_argument("--db", metavar="URL", required=required,
                   help=h("database: a SQLite file path or a SQLAlchemy URL (default: qbdesk.sqlite in the user data "
                          "folder)", "数据库：SQLite 文件路径或 SQLAlchemy URL（默认：用户数据目录下的 qbdesk.sqlite）"))
    if round_arg:
        p.add_argument("--round", dest="round_id", type=int, metavar="ID",
                       help=h("round id (default: the newest round)", "评审批次编号（默认：最新的批次）"))


def open_db(args, *, create: bool = False):
    """The database named by --db; only ``round init`` (and the demo) may create one."""
    from qbdesk.store.engine import open_database

    return open_database(args.db, create=create)


def current_round_id(db, args) -> int:
    from qbdesk.services.rounds import resolve_round

    with db.sessions() as s:
        return resolve_round(s, args.round_id).id


def add_exit_after_args(p: argparse.ArgumentParser) -> None:
    """For CI and smoke tests: close the window by itself, saving a picture of it first."""
    p.add_argument("--exit-after", type=float, metavar="SECONDS",
                   help=h("close the app after SECONDS (for CI and smoke tests)", "SECONDS 秒后自动关闭程序（用于持续集成和冒烟测试）"))
    p.add_argument("--screenshot", type=Path, metavar="F.png",
                   help=h("with --exit-after: first save a picture of the window as PNG",
                          "与 --exit-after 同用：关闭前把窗口截图保存为 PNG"))
