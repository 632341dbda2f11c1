"""qbdesk verify — what a qbdesk file is, for whom, and whether it is intact."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.lang import h


def register(sub) -> None:
    from qbdesk.cli.cmd_snapshots import add_keys_arg

    p = sub.add_parser("verify", help=h("check any qbdesk file: what it is, for whom, intact or not", "校验任一 qbdesk 文件：是什么、给谁、是否完好"))
    p.add_argument("path", type=Path, metavar="FILE", help=h(".qbsnap, .qbscore, a package folder or .zip, a rubric .json", ".qbsnap、.qbscore、申报包文件夹或 .zip、评分细则 .json"))
    add_keys_arg(p)
    p.set_defaults(func=run)


def run(args, con) -> int:
    from qbdesk.services.coordinator_keys import (
        CoordinatorKeyError,
        default_key_dir,
        load_keys,
    )
    from qbdesk.services.verify import describe_file

    keys = None
    if args.keys is not None:
        keys = load_keys(args.keys, signing=False)  # asked for: a problem with them is an error
    elif default_key_dir().exists():
        try:  # the coordinator's own PC: use its keys when they open without help
            keys = load_keys(signing=False)
        except CoordinatorKeyError as e:
            con.say(con.t(f"（未使用本机评审组织方密钥：{e.msg.zh}）", f"(not using this computer's coordinator keys: {e.msg.en})"))
    report = describe_file(args.path, keys=keys)
    for line in report.lines(con.lang):
        con.say(line)
    return 0 if report.intact else 1
