"""qbdesk snapshots build — one encrypted snapshot per expert, and the handover sheet."""

from __future__ import annotations

from pathlib import Path

from qbdesk.cli.common import add_db_args
from qbdesk.cli.lang import h


def add_keys_arg(p) -> None:
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help=h("coordinator key folder (default: <user data dir>/coordinator-keys)", "评审组织方密钥文件夹（默认：用户数据目录/coordinator-keys）"))


def register(sub) -> None:
    p = sub.add_parser("snapshots", help=h("the experts' snapshots: build", "专家评审快照：生成"))
    a = p.add_subparsers(dest="snapshots_command", metavar="ACTION", required=True, parser_class=type(p))
    b = a.add_parser("build", help=h("build one snapshot per expert and the handover sheet", "为每位专家生成加密的评审快照，并生成交接单"))
    add_db_args(b)
    b.add_argument("--out", type=Path, required=True, metavar="DIR", help=h("folder for the snapshots and the handover sheet", "快照和交接单的输出文件夹"))
    b.add_argument("--passphrases-out", type=Path, metavar="F.csv",
                   help=h("also write the passphrases to a CSV (keep it safe)", "另存口令表（请妥善保管）"))
    add_keys_arg(b)
    b.set_defaults(func=run_build)


def run_build(args, con) -> int:
    from qbdesk.cli.common import current_round_id, open_db
    from qbdesk.services.coordinator_keys import PASSPHRASE_ENV, load_or_create_keys
    from qbdesk.services.snapshots import build_snapshots, rebuild_warning

    db = open_db(args)
    rid = current_round_id(db, args)
    with db.sessions() as s:
        warning = rebuild_warning(s, rid)
    if warning is not None:
        print(warning.text(con.lang), file=con.err)
    keys = load_or_create_keys(args.keys)
    if keys.created:
        con.say(con.t(f"已在 {keys.directory} 创建评审组织方密钥，指纹 {keys.fingerprint}；请备份此文件夹",
                      f"created the coordinator keys in {keys.directory}, fingerprint {keys.fingerprint}; "
                      f"back this folder up"))
        if not keys.encrypted:
            con.say(con.t(f"注意：签名密钥未加密保存（仅本账户可读）；如需口令保护，请在首次生成前设置 {PASSPHRASE_ENV}",
                          f"note: the signing key is stored unencrypted (readable by this account only); to protect "
                          f"it with a passphrase, set {PASSPHRASE_ENV} before the first build"))
    report = build_snapshots(db.sessions, rid, args.out, keys=keys, passphrases_out=args.passphrases_out,
                             progress=con.progress)
    for line in report.lines(con.lang):
        con.say(line)
    con.say(report.summary())
    if report.ok:
        con.say(con.t(f"评审组织方密钥指纹：{keys.fingerprint}", f"coordinator key fingerprint: {keys.fingerprint}"))
        what = con.t("交接单和口令表", "the handover sheet and the passphrase CSV") if report.passphrases_csv else \
            con.t("交接单", "the handover sheet")
        con.say(con.t(f"{what}载有口令：打印后当面交给专家，勿与U盘放在一起，用后删除",
                      f"{what} hold{'' if report.passphrases_csv else 's'} the passphrases: print, hand over in person, "
                      f"never together with the USB stick, and delete afterwards"))
    return 0 if report.ok else 1
