"""The built-in demo round: synthetic packages and roster, imported and assigned.

``qbdesk demo`` and the GUI's first start call this; it goes through the
same services a coordinator uses, so the demo exercises the real paths.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.programs import ProgramSettings
from qbdesk.formats.atomic import atomic_write
from qbdesk.services.rounds import RoundConfig
from qbdesk.services.workers import default_workers, fork_context, ignore_interrupts, stop_pool

DEMO_NAME = "2026年度质量品牌领域专项资金专家评审（演示）"
# Programs with many applications get k experts each; the rest are scored by the whole panel.
DEMO_PER_APPLICATION = {"P3": 3, "P4": 3, "P5": 3, "P6": 3, "P7": 3}
DEMO_BUDGETS = {"P1": 6_000_000, "P2": 2_400_000, "P3": 1_000_000, "P4": 2_000_000, "P5": 3_000_000,
                "P6": 1_600_000, "P7": 8_000_000, "P8": 2_100_000, "P9": 3_500_000}

DEMO_CHECKLIST = "checks.csv"  # the coordinator's qualification checklist, as filled in for the demo

# What the demo writes into its folder, and the marker that says the folder is a demo's.
DEMO_MARKER = ".qbdesk-demo.json"
DEMO_DB = "demo.sqlite"
DEMO_MADE = ("packages", "experts.csv", DEMO_CHECKLIST, DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm")


def prepare_demo_folder(out_dir: Path) -> None:
    """Make ``out_dir`` ready for a demo round without touching anything qbdesk did not make.

    A new or empty folder is marked as a demo's; a folder holding an earlier demo (its marker)
    has that demo's files removed; any other folder is refused, and nothing in it changes.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise QbdeskError(Msg(f"{out_dir} 是一个文件，不是文件夹；请为演示批次选择一个新的或空的文件夹",
                              f"{out_dir} is a file, not a folder; choose a new or empty folder for the demo round"))
    marker = out_dir / DEMO_MARKER
    try:
        present = sorted(p.name for p in out_dir.iterdir()) if out_dir.exists() else []
        if present and not marker.is_file():
            shown = "、".join(present[:5]) + ("……" if len(present) > 5 else "")
            raise QbdeskError(Msg(
                f"{out_dir} 不是空文件夹（其中有 {shown}），也不是此前生成的演示批次：为免覆盖您的文件，未作任何修改。"
                f"请用 --out 指定一个新的或空的文件夹",
                f"{out_dir} is not empty (it holds {', '.join(present[:5])}{'…' if len(present) > 5 else ''}) and holds no "
                f"earlier demo round: nothing was changed, so as not to overwrite your files. Give --out a new or "
                f"empty folder"))
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in DEMO_MADE:
            target = out_dir / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
        atomic_write(marker, (json.dumps({"format": "qbdesk.demo/1", "made": list(DEMO_MADE)}) + "\n").encode(),
                     mode=0o644)
    except OSError as e:
        why = os_reason(e)
        raise QbdeskError(Msg(f"无法准备演示文件夹 {out_dir}：{why.zh}", f"cannot prepare the demo folder {out_dir}: {why.en}")) from None


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    db_path: Path
    db_url: str
    round_id: int
    applications: int
    experts: int
    assignments: int


_JOBS: list = []  # in a worker process: the demo's PDF jobs, inherited when it was forked


def _keep_jobs(jobs: list) -> None:
    global _JOBS
    _JOBS = jobs  # forked: this process's copy, never pickled (a job holds the program's read-only maps)
    ignore_interrupts()


def _render_nth(n: int):
    from qbdesk.demo.generator import render_job

    return render_job(_JOBS[n])


def _pdf_workers(workers: int | None) -> Callable | None:
    """A ``render_all`` for the generator that draws the demo's PDFs in worker processes, forked
    with the jobs (the same bytes as drawn here, sent back in order); None where workers cannot be
    forked (``workers.fork_context``) or only one would run. A worker that dies leaves the rest to
    this process."""
    count = default_workers() if workers is None else workers
    if count < 2 or fork_context() is None:
        return None

    def render_all(jobs: list) -> Iterator:
        from qbdesk.demo.generator import render_job
        from qbdesk.reports.fonts import register_cjk_font

        context = fork_context()
        if context is None:  # a thread started meanwhile
            yield from map(render_job, jobs)
            return
        register_cjk_font()  # loaded once here; the workers inherit it
        pool = ProcessPoolExecutor(count, mp_context=context, initializer=_keep_jobs, initargs=(jobs,))
        done, finished, broken = 0, False, False
        try:
            futures = [pool.submit(_render_nth, n) for n in range(len(jobs))]  # the first submit forks
            for future in futures:
                doc = future.result()
                done += 1
                yield doc
            finished = True
        except (BrokenProcessPool, OSError):  # a worker died, or none could start: the rest here
            finished = broken = True
        finally:  # interrupted, a job failed or the caller gave up: the workers are ended at once
            stop_pool(pool, abandon=not finished)
        if broken:
            yield from map(render_job, jobs[done:])

    return render_all


def build_demo_round(out_dir: Path, *, seed: int = 2026, year: int = 2026,
                     progress: Callable[[int, int, str], None] | None = None) -> DemoResult:
    """(Re)build the demo round in ``out_dir`` (new, empty, or an earlier demo's): packages, roster, a fresh database.

    ``progress`` hears of each PDF drawn, then of each package imported. The PDFs are drawn in
    worker processes on Linux (one per CPU, at most 8: ``_pdf_workers``); the files are the same
    either way.
    """
    from sqlalchemy import func, select

    from qbdesk.demo.generator import generate_demo
    from qbdesk.services.applications import import_packages
    from qbdesk.services.assignment import assign
    from qbdesk.services.experts import import_roster
    from qbdesk.services.rounds import init_round
    from qbdesk.store.engine import open_database
    from qbdesk.store.models import Assignment

    prepare_demo_folder(out_dir)
    db_path = out_dir / DEMO_DB
    demo = generate_demo(out_dir, seed=seed, year=year, render_all=_pdf_workers(None), progress=progress)
    url = f"sqlite:///{db_path}"
    db = open_database(url)
    try:
        config = RoundConfig(settings={
            code: ProgramSettings(program=code, budget=DEMO_BUDGETS[code], per_application=DEMO_PER_APPLICATION.get(code))
            for code in DEMO_BUDGETS
        })
        rid = init_round(db.sessions, name=DEMO_NAME, year=year, config=config)
        report = import_packages(db.sessions, rid, [demo.packages_dir], progress=progress)
        if not report.ok:
            raise QbdeskError(Msg("演示申报包导入失败（程序错误）", "the demo packages failed to import (a bug)"))
        roster = import_roster(db.sessions, rid, demo.experts_csv)
        if not roster.ok:
            raise QbdeskError(Msg("演示专家名单导入失败（程序错误）", "the demo roster failed to import (a bug)"))
        assign(db.sessions, rid, seed=seed)
        _record_demo_checks(db.sessions, rid, out_dir / DEMO_CHECKLIST, seed=seed, year=year)
        with db.sessions() as s:
            n_assign = s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == rid)) or 0
        return DemoResult(out_dir=out_dir, db_path=db_path, db_url=url, round_id=rid,
                          applications=demo.applications, experts=demo.experts, assignments=n_assign)
    finally:
        db.dispose()


def _record_demo_checks(sessions, round_id: int, path: Path, *, seed: int, year: int) -> None:
    """Fill in the qualification checklist as a coordinator would, and import it through the real path.

    Most applications pass every check; two are still missing checks; one fails a veto
    (double funding), so the demo shows each state.
    """
    import csv
    import io
    import random
    from datetime import date

    from sqlalchemy import select

    from qbdesk.domain.qualification import CHECKS
    from qbdesk.formats.atomic import atomic_write
    from qbdesk.formats.qualification_sheet import COLUMNS
    from qbdesk.services.qualification import import_checklist
    from qbdesk.store.models import Application

    with sessions() as s:
        ids = sorted(s.scalars(select(Application.external_id).where(Application.round_id == round_id)))
    if len(ids) < 3:
        return
    rng = random.Random(seed)
    vetoed, *unfinished = rng.sample(ids, 3)
    when = min(date(year, 11, 20), date.today()).isoformat()
    rows = []
    for ext in ids:
        for c in CHECKS[:2] if ext in unfinished else CHECKS:
            failed = ext == vetoed and c.id == "double_funding"
            rows.append([ext, c.id, "fail" if failed else "pass", c.source_hint.zh.split("、")[0], when,
                         "同一项目已获市级其他财政专项资金资助（演示数据）" if failed else ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([list(COLUMNS), *rows])
    atomic_write(path, buf.getvalue().encode("utf-8-sig"))
    report = import_checklist(sessions, round_id, path, by="demo")
    if not report.ok:
        raise QbdeskError(Msg("演示资格审查表导入失败（程序错误）", "the demo qualification checklist failed to import (a bug)"))
