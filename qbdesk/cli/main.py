"""``qbdesk`` — the command line face of qbdesk.

Imports are lazy: ``qbdesk --version`` or ``qbdesk status`` never load Qt,
and each command imports only the services it calls. Exit codes: 0 success,
1 some input was rejected, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import import_module

from qbdesk import __version__
from qbdesk.cli import lang as lang_module
from qbdesk.cli.lang import h

STARTED = time.monotonic()  # when the process reached us: `review gui --exit-when-ready` counts from here

COMMAND_MODULES = ("demo", "gui", "round", "applications", "experts", "assign", "status",
                   "leaks", "snapshots", "scores", "results", "verify", "review", "audit", "selftest")

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does, in the chosen language
        from qbdesk.cli.output import escape_controls

        self.print_usage(sys.stderr)
        print(escape_controls(f"{self.prog}: {h('usage error: ', '用法错误：')}{message}"), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """Every subcommand's page opens with a description line: its one-line help, unless it has its own."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description and helps.get(name):
                    sub.description = helps[name]
                _describe_subcommands(sub)


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    lang_module.install(lang or lang_module.pick([]))
    parser = _Parser(prog="qbdesk", description=h("qbdesk — expert review of the quality-and-brand special fund",
                                                  "质量品牌评审桌面 qbdesk —— 质量品牌领域专项资金专家评审"),
                     epilog=h("Exit codes: 0 success, 1 some input was rejected, 2 usage error.",
                              "退出码：0 成功，1 有输入被拒绝，2 用法错误。"))
    parser.add_argument("--version", action="version", version=f"qbdesk {__version__}",
                        help=h("show the version and exit", "显示版本号并退出"))
    parser.add_argument("--lang", choices=("zh", "en"), default=lang_module.current(),
                        help=h("message language: zh (default) or en; also QBDESK_LANG", "提示语言：zh（默认）或 en；也可设置 QBDESK_LANG"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                title=h("commands", "命令"))
    for name in COMMAND_MODULES:
        import_module(f"qbdesk.cli.cmd_{name}").register(sub)
    _describe_subcommands(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(lang_module.pick(argv))
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
    except Exception as e:  # a database failing mid-command: one clear line, not a traceback
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(e, SQLAlchemyError):
            raise
        from qbdesk.store.engine import database_error

        console.error(database_error(e, args.db or ""))
        return EXIT_REJECTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
