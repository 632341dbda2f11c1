"""Aggregation, agreement, calibration, ranking and funding of a round: 2,000 applications × 7 experts × 12 criteria.

The issue's goal: ≤ 1 s for 2,000 applications, and linear when the round doubles. One program of
N applications, each scored by 7 of a panel of 21 experts (an incomplete design, as with
``per_application = 7``), under a 12-criterion rubric (2 gates, 1 items criterion with 2 items,
8 scores, 1 opinion). Timed, best of ``--repeat``: :func:`aggregate_program` (totals, trimmed
mean, gates, items and tiers, flags, reasons), :func:`agreement` (complete block, ICC(2,k),
Kendall's W), :func:`calibrate` (mean z, least-squares offsets) and the calibrated aggregates; then
the whole results computation of a scored program as ``qbdesk results`` runs it
(:func:`qbdesk.services.results.program_results`: all of the above, plus the ranking with its
tie-breaks, the pass line, the funding function in rank order within the budget with the
per-enterprise caps, and the results document's entries with every reason).

Two baselines measured in the same run on the same values, so that a figure from a busy machine
still means something: a plain Python pass that sums every expert's score values per application,
and numpy's mean over the dense totals matrix.

    .venv/bin/python bench/bench_aggregate.py                  # 2,000 and 4,000 applications
    .venv/bin/python bench/bench_aggregate.py --applications 500
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from qbdesk.domain.aggregation import AggregationSettings, ApplicationScores, aggregate_program, with_calibrated
from qbdesk.domain.agreement import agreement, dense
from qbdesk.domain.calibration import calibrate
from qbdesk.domain.messages import Msg
from qbdesk.domain.programs import ProgramSettings
from qbdesk.domain.rubric import Criterion, Rubric
from qbdesk.services.results import Candidate, ProgramInputs, program_results

EXPERTS_PER_APPLICATION, PANEL = 7, 21
SCORES = [("s1", 20), ("s2", 15), ("s3", 15), ("s4", 10), ("s5", 10), ("s6", 10), ("s7", 10), ("s8", 10)]


def _c(cid: str, kind: str, **kw) -> Criterion:
    return Criterion(id=cid, kind=kind, name=Msg(cid, cid), guidance=Msg("", ""), **kw)


RUBRIC = Rubric(program="P5", version="bench-12", title=Msg("基准", "bench"), total=100, criteria=(
    _c("eligibility", "check"), _c("materials", "check"), _c("activities", "items", item=Msg("活动", "activity")),
    *[_c(cid, "score", max=m, step=0.5) for cid, m in SCORES], _c("opinion", "opinion")))
assert len(RUBRIC.criteria) == 12
# The same twelve criteria as a scored program's (P6: 200,000 yuan per accepted project, at most 2 a year).
RUBRIC_SCORED = Rubric(program="P6", version="bench-12", title=Msg("基准", "bench"), total=100, key_criterion="s1",
                       criteria=RUBRIC.criteria)


def make_round(n: int, seed: int = 1) -> list[ApplicationScores]:
    rng = random.Random(seed)
    lenient = {f"E{j:02d}": rng.gauss(0, 0.06) for j in range(PANEL)}
    apps = []
    for i in range(n):
        quality = rng.uniform(0.45, 0.95)
        scores = {}
        for e in rng.sample(sorted(lenient), EXPERTS_PER_APPLICATION):
            share = min(1.0, max(0.0, quality + lenient[e] + rng.gauss(0, 0.08)))
            v = {cid: round(share * m * 2) / 2 for cid, m in SCORES}
            v["eligibility"] = rng.random() > 0.05
            v["materials"] = True
            v["activities"] = {f"I{k}": {"accepted": rng.random() > 0.2, "reason": "不符合",
                                         "tier": rng.choice(("national_lead", "national_join"))} for k in (1, 2)}
            v["opinion"] = "该申报材料完整，技术水平较高，建议予以资助。" * 3
            scores[e] = v
        apps.append(ApplicationScores(f"A{i:05d}", scores, assigned=tuple(scores), items=("I1", "I2"),
                                      declared_tiers={"I1": "national_lead", "I2": "national_join"}))
    return apps


def results(apps: list[ApplicationScores]) -> tuple[int, float | None]:
    settings = AggregationSettings(min_experts=EXPERTS_PER_APPLICATION)
    program = aggregate_program("P5", RUBRIC, apps, settings, tier_order=("national_join", "national_lead"))
    matrix = program.totals_matrix()
    agree = agreement(matrix)
    cal = calibrate(matrix)
    offsets = {e: c.offset for e, c in cal.experts.items()}
    calibrated = [with_calibrated(a, offsets, settings.method)[0] for a in program.applications]
    return len(calibrated), agree.icc.value


def candidates(apps: list[ApplicationScores], seed: int = 3) -> dict[str, Candidate]:
    """One enterprise per application, every tenth enterprise applying twice (the yearly cap counts)."""
    rng = random.Random(seed)
    codes = [f"91440300{rng.randrange(10**9):09d}X" for _ in range(len(apps))]
    return {a.application: Candidate(a.application, codes[i - i % 2 if i % 10 < 2 else i], requested_amount=400_000)
            for i, a in enumerate(apps)}


def whole_results(arg: tuple[list[ApplicationScores], dict[str, Candidate]]) -> int:
    apps, cands = arg
    settings = ProgramSettings(program="P6", budget=200_000 * len(apps) // 2, pass_threshold=70)
    entry, _ = program_results(ProgramInputs(settings, AggregationSettings(min_experts=EXPERTS_PER_APPLICATION),
                                             RUBRIC_SCORED, apps, cands), calibrated=True)
    return entry["allocated"]


def python_pass(apps: list[ApplicationScores]) -> float:
    grand = 0.0
    for a in apps:
        for v in a.scores.values():
            grand += sum(v[cid] for cid, _ in SCORES)
    return grand


def numpy_mean(apps: list[ApplicationScores]) -> float:
    _, _, x = dense({a.application: {e: float(sum(v[cid] for cid, _ in SCORES)) for e, v in a.scores.items()}
                     for a in apps})
    return float(np.nanmean(x))


def best(fn, arg, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--applications", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.applications
    small, large = make_round(n), make_round(2 * n, seed=2)
    _, icc = results(small)
    t1 = best(results, small, args.repeat)
    t2 = best(results, large, args.repeat)
    r1 = best(whole_results, (small, candidates(small)), args.repeat)
    r2 = best(whole_results, (large, candidates(large)), args.repeat)
    base_py = best(python_pass, small, args.repeat)
    base_np = best(numpy_mean, small, args.repeat)
    print(f"round: {n} applications × {EXPERTS_PER_APPLICATION} experts (panel {PANEL}) × {len(RUBRIC.criteria)} criteria"
          f"; ICC(2,k) on the complete block = {icc:.3f}")
    print(f"aggregate + agreement + calibration, {n:>5} applications: {t1:.3f} s   (goal ≤ 1 s for 2,000)")
    print(f"aggregate + agreement + calibration, {2 * n:>5} applications: {t2:.3f} s   ratio {t2 / t1:.2f} (2.00 = linear)")
    print(f"+ ranking + funding (qbdesk results, one program), {n:>5} applications: {r1:.3f} s   (goal ≤ 1 s for 2,000)")
    print(f"+ ranking + funding (qbdesk results, one program), {2 * n:>5} applications: {r2:.3f} s   ratio {r2 / r1:.2f} (2.00 = linear)")
    print(f"baseline, plain Python sum of the score values: {base_py:.4f} s   aggregation is {t1 / base_py:.1f}× it")
    print(f"baseline, totals summed in Python + numpy nanmean: {base_np:.4f} s   aggregation is {t1 / base_np:.1f}× it")
    print(f"whole results against the plain Python pass: {r1 / base_py:.1f}×")


if __name__ == "__main__":
    main()
