"""The frozen laptop app's entry point (``build.spec``): ``qbdesk`` alone opens the expert's window.

With no command — a double-click, ``qbdesk``, ``qbdesk --lang en`` or ``qbdesk SNAPSHOT.qbsnap`` —
it runs ``qbdesk review gui …``; any command (``qbdesk selftest``, ``qbdesk review status …``),
``--help`` or ``--version`` runs as the ``qbdesk`` of a checkout does.
"""

from __future__ import annotations

import sys

from qbdesk.cli.main import COMMAND_MODULES, main

DEFAULT_COMMAND = ("review", "gui")
# The coordinator's libraries the laptop app leaves out (build.spec, COORDINATOR_ONLY): a command
# that needs one (snapshots build, leaks scan, the results) says so instead of failing.
LAPTOP_LEAVES_OUT = ("numpy", "pikepdf", "lxml", "pypdfium2", "pypdfium2_raw", "PIL")
_PASSTHROUGH = {"-h", "--help", "--version"}


def frozen_argv(argv: list[str]) -> list[str]:
    """``argv`` with ``review gui`` put in after the global options when it names no command."""
    head: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--lang" and i + 1 < len(argv):
            head += argv[i:i + 2]
            i += 2
        elif arg.startswith("--lang="):
            head.append(arg)
            i += 1
        else:
            break
    rest = argv[i:]
    if rest and (rest[0] in COMMAND_MODULES or rest[0] in _PASSTHROUGH):
        return list(argv)
    return [*head, *DEFAULT_COMMAND, *rest]


def run(argv: list[str] | None = None) -> int:
    argv = frozen_argv(sys.argv[1:] if argv is None else list(argv))
    try:
        return main(argv)
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in LAPTOP_LEAVES_OUT:
            raise
        from qbdesk.cli import lang
        from qbdesk.cli.output import Console
        from qbdesk.domain.messages import Msg

        Console(lang.current()).error(Msg(
            f"笔记本版 qbdesk 不包含这个命令所需的 {e.name}（它是评审组织方的功能）：请在评审组织方电脑上安装的 qbdesk 中运行",
            f"the laptop app leaves out {e.name}, which this command needs (it is the coordinator's work): "
            f"run it in the qbdesk installed on the coordinator's computer"))
        return 1


if __name__ == "__main__":  # pragma: no cover - PyInstaller runs this file as __main__
    sys.exit(run())
