"""qbdesk selftest — check this installation end to end on the bundled TEST-ONLY snapshot (headless)."""

from __future__ import annotations

import json
import sys

from qbdesk.cli.lang import h


def register(sub) -> None:
    p = sub.add_parser("selftest", help=h(
        "check this installation: open the bundled TEST-ONLY snapshot, score, finalise, verify, clean up",
        "自检：打开内置的测试专用（TEST-ONLY）快照，评分、定稿、核验评分文件，然后清理"))
    p.add_argument("--json", action="store_true", help=h("print the result as JSON", "以 JSON 输出结果"))
    p.add_argument("--keep", action="store_true", help=h(
        "keep the temporary workspace and score file (for debugging) and print where",
        "保留临时工作区和评分文件（用于排查问题）并显示其位置"))
    p.set_defaults(func=run)


def qt_probes():
    """The Qt checks, or one skipped step saying why Qt is not available (from source only: the
    frozen app always carries Qt, so there its absence is a failure)."""
    from qbdesk.domain.messages import Msg
    from qbdesk.services.selftest import Probe

    try:
        from qbdesk.gui.selftest_probe import probes
    except ImportError as e:  # PySide6 not installed, or its system libraries missing
        why = Msg(f"无法加载 Qt（{e}）", f"Qt cannot be loaded ({e})")
    else:
        return probes()
    if getattr(sys, "frozen", False):
        def broken(_pdf: bytes) -> Msg:
            from qbdesk.services.selftest import SelftestFailure

            raise SelftestFailure(why)
        return [Probe("qt", Msg("Qt 界面", "Qt widgets"), broken)]
    return [Probe("qt", Msg("Qt 界面", "Qt widgets"), lambda _pdf: why,
                  skip=Msg(f"未运行：{why.zh}", f"not run: {why.en}"))]


def run(args, con) -> int:
    from qbdesk.services.selftest import run_selftest

    marks = {True: con.t("通过", "ok"), False: con.t("失败", "FAIL"), None: con.t("跳过", "skip")}

    def show(step) -> None:
        if not args.json:
            con.say(f"[{marks[step.ok]:^4}] {step.title.text(con.lang)}：{step.detail.text(con.lang)}"
                    if con.lang == "zh" else f"[{marks[step.ok]:^4}] {step.title.text(con.lang)}: {step.detail.text(con.lang)}")
            con.out.flush()

    result = run_selftest(keep=args.keep, probes=qt_probes(), on_step=show)
    if args.json:
        con.say(json.dumps({"ok": result.ok, "frozen": bool(getattr(sys, "frozen", False)),
                            "seconds": round(result.seconds, 3), "kept": str(result.kept) if result.kept else None,
                            "steps": [s.as_json(con.lang) for s in result.steps]}, ensure_ascii=False, indent=2))
    else:
        failed = sum(1 for s in result.steps if s.ok is False)
        con.say(con.t(f"自检{'通过' if result.ok else f'失败：{failed} 步未通过'}（{result.seconds:.1f} 秒）",
                      f"selftest {'passed' if result.ok else f'FAILED: {failed} step(s) failed'} ({result.seconds:.1f} s)"))
    return 0 if result.ok else 1
