"""``qbdesk`` — the command line face of qbdesk.

Imports are lazy: ``qbdesk --version`` or ``qbdesk status`` never load Qt,
and each command imports only the services it calls. Exit codes: 0 success,
1 some input was rejected, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from qbdesk import __version__

COMMAND_MODULES = ("demo", "gui", "round", "applications", "experts", "assign", "status",
                   "leaks", "snapshots", "scores", "verify", "review")

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does, but bilingual
        self.print_usage(sys.stderr)
        print(f"{self.prog}: 用法错误 usage error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qbdesk", description="质量品牌评审桌面 qbdesk — quality-and-brand fund expert review")
    parser.add_argument("--version", action="version", version=f"qbdesk {__version__}")
    parser.add_argument("--lang", choices=("zh", "en"), default=os.environ.get("QBDESK_LANG", "zh"),
                        help="message language / 提示语言 (default zh)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        import_module(f"qbdesk.cli.cmd_{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from qbdesk.cli.output import Console
    from qbdesk.domain.messages import QbdeskError

    console = Console(args.lang)
    try:
        code = int(args.func(args, console) or 0)
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
        return code
    except QbdeskError as e:
        console.error(e.msg)
        return EXIT_REJECTED
    except KeyboardInterrupt:
        console.error(console.t("已取消", "cancelled"))
        return 130
    except BrokenPipeError:  # `qbdesk status | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_REJECTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
