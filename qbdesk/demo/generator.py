"""Generate a realistic synthetic review round: application packages and an expert list.

    generate_demo(Path("demo")) ->  demo/packages/<id>/application.json + PDFs
                                    demo/experts.csv

Everything is drawn from one seeded ``random.Random`` (blind documents from
generators seeded with the seed and the document's name, so resizing one
document disturbs nothing else), and PDFs are built with reportlab's
invariant mode, so one seed always gives the same bytes. :func:`build_round` does all
the work in memory; :func:`write_round` writes it out; :func:`generate_demo` does both.

Drawing the PDFs is most of the work, and each depends only on its own job (``RenderJob``):
the caller may hand in a ``render_all`` that draws them in worker processes (``services.demo``);
the bytes are the same either way.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qbdesk.demo import documents as d
from qbdesk.demo.items import make_items, pick_tier
from qbdesk.demo.pdf import RenderedDoc, estimate_pages, render
from qbdesk.demo.people import Applicant, ApplicantFactory, Expert, expert_title, mobile
from qbdesk.demo.program_texts import PROGRAM_TEXTS
from qbdesk.demo.texts import EXPERT_ORGANISATIONS
from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.programs import PROGRAM_CODES, program

BlindBuilder = Callable[[d.DocContext, random.Random, str, str, int], d.DocSpec]
FORMAT = "qbdesk.application/1"
EXPERTS_HEADER = ("id", "name", "organisation", "title", "phone", "programs", "conflicts")
MIN_APPLICATIONS, MAX_APPLICATIONS = 9, 500
BLIND_PAGES = (3, 6)

# Programs one organisation plausibly applies to together (same credit code).
PAIRS = (("P3", "P9"), ("P7", "P8"), ("P4", "P6"), ("P2", "P3"), ("P8", "P9"), ("P1", "P6"),
         ("P4", "P5"), ("P2", "P8"), ("P7", "P9"), ("P1", "P4"))

# Expert panels: each covers 2-4 programs, every program has at least 4 experts.
EXPERT_PROGRAMS = (
    ("P1", "P2", "P6"), ("P3", "P4", "P5"), ("P7", "P8", "P9"), ("P1", "P2", "P3", "P4"),
    ("P5", "P6", "P7"), ("P1", "P8", "P9"), ("P2", "P3", "P4", "P5"), ("P6", "P7", "P8", "P9"),
    ("P1", "P2", "P3"), ("P4", "P5", "P6"), ("P7", "P8", "P9"), ("P1", "P2", "P5", "P6"),
)

P8_CATEGORIES = (("领导", 110), ("战略", 90), ("顾客与市场", 90), ("资源", 130), ("过程管理", 100),
                 ("测量、分析与改进", 80), ("结果", 400))

# Ranges of the {n} {m} {s} numbers in each program's summary templates.
SUMMARY_NUMBERS = {
    "P1": ((50, 300), (10, 60), (0, 1)), "P2": ((0, 1), (3, 8), (10, 40)), "P3": ((0, 1), (0, 1), (10, 30)),
    "P4": ((60, 300), (0, 1), (0, 1)), "P5": ((30, 200), (0, 1), (0, 1)), "P6": ((50, 300), (20, 100), (0, 1)),
    "P7": ((0, 1), (0, 1), (90, 96)), "P8": ((0, 1), (0, 1), (8, 20)), "P9": ((10, 80), (700, 900), (8, 20)),
}


@dataclass(frozen=True)
class RenderJob:
    """One PDF of an application, as everything needed to draw it: the form (``builder`` None,
    ``attachments`` listed on it) or a blind document (``builder``, ``seed_key``, ``target`` pages)."""

    ctx: d.DocContext
    applicant: Applicant
    file: str
    title: str = ""
    attachments: tuple[tuple[str, str, bool], ...] = ()
    builder: BlindBuilder | None = None
    seed_key: str = ""
    target: int = 0


def render_job(job: RenderJob) -> RenderedDoc:
    """The job's PDF; a module-level function, so that worker processes can run it."""
    if job.builder is None:
        return render(d.application_form(job.ctx, job.applicant, list(job.attachments)))
    return _blind_doc(job.builder, job.ctx, job.applicant, job.seed_key, job.file, job.title, job.target)


RenderAll = Callable[[list[RenderJob]], Iterable[RenderedDoc]]  # the jobs' PDFs, in the jobs' order
Progress = Callable[[int, int, str], None]  # (done, total, label)


@dataclass
class ApplicationPlan:
    manifest: dict[str, Any]
    applicant: Applicant
    docs: list[RenderedDoc] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.manifest["id"]


@dataclass
class RoundPlan:
    seed: int
    year: int
    applications: list[ApplicationPlan]
    experts: list[Expert]


@dataclass(frozen=True)
class DemoRound:
    out_dir: Path
    packages_dir: Path
    experts_csv: Path
    seed: int
    year: int
    package_dirs: tuple[Path, ...]
    applications: int
    applicants: int
    experts: int
    pdfs: int
    by_program: Mapping[str, int]


def _check_args(year: int, applications: int) -> None:
    if not MIN_APPLICATIONS <= applications <= MAX_APPLICATIONS:
        raise QbdeskError(Msg(
            f"演示批次的申报数量应在{MIN_APPLICATIONS}到{MAX_APPLICATIONS}之间（每个项目类别至少一份），实际为{applications}",
            f"the demo round needs {MIN_APPLICATIONS} to {MAX_APPLICATIONS} applications (one per program at least), got {applications}",
        ))
    if not 2000 <= year <= 2100:
        raise QbdeskError(Msg(f"年度应在2000到2100之间，实际为{year}", f"the year must be 2000-2100, got {year}"))


def _slots(code: str, rng: random.Random) -> dict[str, int]:
    (n0, n1), (m0, m1), (s0, s1) = SUMMARY_NUMBERS[code]
    return {"n": rng.randrange(n0, n1 + 1), "m": rng.randrange(m0, m1 + 1), "s": rng.randrange(s0, s1 + 1)}


def _requested(code: str, rng: random.Random, tier: str | None, items: list[dict[str, Any]]) -> int:
    rule = program(code).funding
    if rule.kind == "fixed":
        amount = rule.amount or 0
        # Now and then an applicant asks for less than the fixed amount.
        return amount if rng.random() < 0.85 else int(amount * rng.choice((0.6, 0.7, 0.8, 0.9)))
    if rule.kind == "per_item":
        return len(items) * (rule.max_per_item or 0)  # ask for every item, even beyond the yearly cap
    amounts = [rule.default_tiers[i.get("tier") or tier].amount for i in items]  # type: ignore[index]
    return sum(amounts) if rule.combine == "sum" else max(amounts)


def _p8_scores(rng: random.Random) -> tuple[tuple[str, int, int], ...]:
    level = rng.uniform(0.55, 0.72)
    return tuple((name, mx, round(mx * min(0.95, max(0.3, level + rng.gauss(0, 0.05))))) for name, mx in P8_CATEGORIES)


def _blind_doc(builder: BlindBuilder, ctx: d.DocContext, applicant: Applicant, seed_key: str, file: str, title: str,
               target: int) -> RenderedDoc:
    """Build, check for identity, size to about ``target`` pages and render.

    The size comes from a cheap estimate; a render outside 3-6 pages (rare)
    steps the size and renders again.
    """
    tokens = applicant.identity_tokens()
    lo, hi = BLIND_PAGES

    def build(size: int, attempt: int) -> d.DocSpec:
        return builder(ctx, random.Random(f"{seed_key}/{attempt}/{size}"), file, title, size)

    size = 0  # the smallest size whose estimate reaches the target
    while size < d.MAX_SIZE and estimate_pages(build(size, 0)) < target - 0.35:
        size += 1
    for attempt in range(8):
        spec = build(size, attempt)
        text = "".join("".join(s.split()) for s in spec.strings())
        if any(t in text for t in tokens):  # a chance collision of words: draw the text again
            continue
        doc = render(spec)
        if doc.pages < lo and size < d.MAX_SIZE:
            size += 1
        elif doc.pages > hi and size > 0:
            size -= 1
        else:
            return doc
    raise RuntimeError(f"{seed_key}: could not build a blind document of {lo}-{hi} pages without identity")


def _context(app: dict[str, Any], code: str, field_: str, product: str, topic: str,
             p8_scores: tuple[tuple[str, int, int], ...]) -> d.DocContext:
    p = program(code)
    tier_zh = p.funding.default_tiers[app["tier"]].zh if "tier" in app else None
    return d.DocContext(app_id=app["id"], year=app["year"], program=p, text=PROGRAM_TEXTS[code], title=app["title"],
                        summary=app["summary"], field=field_, product=product, topic=topic,
                        requested_amount=app["requested_amount"], tier_zh=tier_zh,
                        items=tuple(app["items"]), p8_scores=p8_scores)


def _application(rng: random.Random, seed: int, year: int, code: str, number: int, applicant: Applicant,
                 force_items: int | None) -> tuple[ApplicationPlan, list[RenderJob]]:
    """The application's manifest, and its PDFs as jobs (drawn later, in this order)."""
    text = PROGRAM_TEXTS[code]
    p = program(code)
    field_, product, _ = rng.choice(text.domains_for(applicant.industry))
    topic = rng.choice(text.topics)
    tier = pick_tier(code, rng)
    items = make_items(code, rng, year=year, field=field_, product=product, tier=tier, count=force_items)
    item_short = items[0]["title"].split("证书（")[0] if items else ""
    tier_zh = p.funding.default_tiers[tier].zh if tier else ""
    p8 = _p8_scores(rng) if code == "P8" else ()
    noun = {"P3": "认证", "P4": "认可"}.get(code, "")
    items_phrase = f"{item_short}等{len(items)}项{noun}" if len(items) > 1 else item_short
    slots = {"field": field_, "product": product, "topic": topic, "item": item_short, "items": items_phrase,
             "tier": tier_zh, "year": year - 1, **_slots(code, rng)}
    if p8:
        slots["n"] = sum(s for _, _, s in p8)
    app_id = f"{year}-{code}-{number:04d}"
    who: dict[str, Any] = {"name": applicant.name, "credit_code": applicant.credit_code,
                           "contact": applicant.contact, "phone": applicant.phone, "address": applicant.address}
    if applicant.email:
        who["email"] = applicant.email
    manifest: dict[str, Any] = {
        "format": FORMAT, "id": app_id, "program": code, "year": year, "applicant": who,
        "title": rng.choice(text.titles).format_map(slots),
        "requested_amount": _requested(code, rng, tier, items),
        "summary": rng.choice(text.summaries).format_map(slots),
    }
    if tier:
        manifest["tier"] = tier
    manifest["items"] = items
    blind = [text.blind_docs[0]] + ([text.blind_docs[1]] if rng.random() < 0.5 else [])
    attachments = [("申报书.pdf", "申报书", False)] + [(f, t, True) for f, t in blind]
    manifest["attachments"] = [{"file": f, "title": t, "blind": b} for f, t, b in attachments]

    ctx = _context(manifest, code, field_, product, topic, p8)
    jobs = [RenderJob(ctx, applicant, attachments[0][0], attachments=tuple(attachments))]
    builders = (d.blind_main, d.blind_supplement)
    for i, (f, t) in enumerate(blind):
        target = rng.choice((3, 4, 5, 6)) if i == 0 else rng.choice((3, 3, 4, 5))
        jobs.append(RenderJob(ctx, applicant, f, t, builder=builders[i], seed_key=f"{seed}/{app_id}/{f}", target=target))
    return ApplicationPlan(manifest, applicant), jobs


def _program_counts(applications: int) -> dict[str, int]:
    base, extra = divmod(applications, len(PROGRAM_CODES))
    return {c: base + (1 if i < extra else 0) for i, c in enumerate(PROGRAM_CODES)}


def _assign_applicants(rng: random.Random, factory: ApplicantFactory, counts: dict[str, int]) -> dict[str, list[Applicant]]:
    """Applicants per program slot; about one in ten applies to two programs."""
    by_program: dict[str, list[Applicant]] = {c: [] for c in PROGRAM_CODES}
    repeats = max(1, sum(counts.values()) // 10)
    for a, b in (PAIRS * 10)[:repeats]:
        if len(by_program[a]) < counts[a] and len(by_program[b]) < counts[b]:
            ia, ib = PROGRAM_TEXTS[a].applicant_industries(), PROGRAM_TEXTS[b].applicant_industries()
            applicant = factory.make(tuple(i for i in ia if i in ib) or ia)  # an industry both programs fit
            by_program[a].append(applicant)
            by_program[b].append(applicant)
    for c in PROGRAM_CODES:
        while len(by_program[c]) < counts[c]:
            by_program[c].append(factory.make(PROGRAM_TEXTS[c].applicant_industries()))
        rng.shuffle(by_program[c])
    return by_program


def _experts(rng: random.Random, factory: ApplicantFactory, apps: list[ApplicationPlan]) -> list[Expert]:
    def pick(code: str) -> Applicant:
        return rng.choice([a.applicant for a in apps if a.manifest["program"] == code])

    repeat_codes = [a.applicant.credit_code for a in apps
                    if sum(b.applicant.credit_code == a.applicant.credit_code for b in apps) > 1]
    conflicts: dict[int, list[str]] = {
        0: [factory.other_company()],  # a former employer that is not applying
        1: [pick("P3").credit_code],
        4: [pick("P6").name],
        6: [rng.choice(repeat_codes) if repeat_codes else pick("P2").credit_code, pick("P5").credit_code],
        9: [pick("P4").name, factory.other_company()],
        10: [pick("P9").credit_code, pick("P7").name],
    }
    organisations = list(EXPERT_ORGANISATIONS)
    rng.shuffle(organisations)
    organisations[7] = pick("P8").variant_name()  # works for an applicant: the same-organisation rule fires
    experts = []
    for i, programs in enumerate(EXPERT_PROGRAMS):
        experts.append(Expert(id=f"E{i + 1:02d}", name=factory.unique_person(), organisation=organisations[i],
                              title=expert_title(i), phone=mobile(rng), programs=programs,
                              conflicts=tuple(dict.fromkeys(conflicts.get(i, [])))))
    return experts


def build_round(*, seed: int = 2026, year: int = 2026, applications: int = 63,
                render_all: RenderAll | None = None, progress: Progress | None = None) -> RoundPlan:
    """The whole demo round in memory: manifests, rendered PDFs and experts.

    ``render_all``: draws the PDFs (default: one after another here); ``progress`` is told of
    each one drawn, as ``PDF <application> <file>``.
    """
    _check_args(year, applications)
    rng = random.Random(seed)
    factory = ApplicantFactory(rng)
    counts = _program_counts(applications)
    by_program = _assign_applicants(rng, factory, counts)
    plans: list[ApplicationPlan] = []
    jobs: list[tuple[ApplicationPlan, RenderJob]] = []
    for code in PROGRAM_CODES:
        for i, applicant in enumerate(by_program[code], 1):
            # The first P3/P4/P6 applications claim the most items, so yearly caps get exercised.
            force = {"P3": 4, "P4": 3, "P6": 3}.get(code) if i == 1 else None
            plan, its_jobs = _application(rng, seed, year, code, i, applicant, force)
            plans.append(plan)
            jobs += [(plan, job) for job in its_jobs]
    todo = [job for _, job in jobs]
    drawn: Iterator[RenderedDoc] = iter(render_all(todo)) if render_all else map(render_job, todo)
    try:
        for n, ((plan, job), doc) in enumerate(zip(jobs, drawn, strict=True), start=1):
            plan.docs.append(doc)
            if progress is not None:
                progress(n, len(jobs), f"PDF {plan.id} {job.file}")
    finally:  # a failure here ends the workers' drawing too, not when the traceback is collected
        close = getattr(drawn, "close", None)
        if close is not None:
            close()
    return RoundPlan(seed, year, plans, _experts(rng, factory, plans))


def write_experts_csv(path: Path, experts: list[Expert]) -> None:
    # UTF-8 with BOM so Excel opens it as UTF-8; ";" separates list values inside a cell.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EXPERTS_HEADER)
        for e in experts:
            w.writerow((e.id, e.name, e.organisation, e.title, e.phone, ";".join(e.programs), ";".join(e.conflicts)))


def generate_demo(out_dir: Path, *, seed: int = 2026, year: int = 2026, applications: int = 63,
                  overwrite: bool = False, render_all: RenderAll | None = None,
                  progress: Progress | None = None) -> DemoRound:
    """Write a demo round into ``out_dir`` (``packages/`` and ``experts.csv``).

    Refuses to replace an earlier demo unless ``overwrite``. ``render_all``, ``progress``: as
    :func:`build_round`'s.
    """
    _refuse_existing(Path(out_dir), overwrite)
    plan = build_round(seed=seed, year=year, applications=applications, render_all=render_all, progress=progress)
    return write_round(plan, out_dir, overwrite=overwrite)


def _refuse_existing(out_dir: Path, overwrite: bool) -> None:
    if ((out_dir / "packages").exists() or (out_dir / "experts.csv").exists()) and not overwrite:
        raise QbdeskError(Msg(f"目录中已有演示数据：{out_dir}（如需覆盖，请选择覆盖）",
                              f"{out_dir} already holds a demo round (choose overwrite to replace it)"))


def write_round(plan: RoundPlan, out_dir: Path, *, overwrite: bool = False) -> DemoRound:
    """Write a built round; it is assembled in a temporary folder first, so a failure leaves nothing half-written."""
    out_dir = Path(out_dir)
    _refuse_existing(out_dir, overwrite)
    packages, experts_csv = out_dir / "packages", out_dir / "experts.csv"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".qbdesk-demo-", dir=out_dir))
    except OSError as exc:
        raise QbdeskError(Msg(f"无法写入目录：{out_dir}（{os_reason(exc).zh}）",
                              f"cannot write to {out_dir} ({os_reason(exc).en})")) from exc
    try:
        for app in plan.applications:
            folder = tmp / "packages" / app.id
            folder.mkdir(parents=True)
            (folder / "application.json").write_text(
                json.dumps(app.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            for doc in app.docs:
                (folder / doc.spec.file).write_bytes(doc.data)
        write_experts_csv(tmp / "experts.csv", plan.experts)
        if packages.exists():
            shutil.rmtree(packages)
        (tmp / "packages").replace(packages)
        (tmp / "experts.csv").replace(experts_csv)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    codes = {a.applicant.credit_code for a in plan.applications}
    by_program = {c: sum(a.manifest["program"] == c for a in plan.applications) for c in PROGRAM_CODES}
    return DemoRound(
        out_dir=out_dir, packages_dir=packages, experts_csv=experts_csv, seed=plan.seed, year=plan.year,
        package_dirs=tuple(packages / a.id for a in plan.applications), applications=len(plan.applications),
        applicants=len(codes), experts=len(plan.experts), pdfs=sum(len(a.docs) for a in plan.applications),
        by_program=by_program,
    )
