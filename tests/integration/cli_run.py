"""Running ``qbdesk …`` in-process for the CLI tests: exit code, stdout and stderr, English messages."""

from __future__ import annotations

from qbdesk.cli.main import main


def cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(["--lang", "en", *map(str, argv)])
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *argv) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 0, f"{argv}: exit {code}\n{out}\n{err}"
    return out
