"""Application-package import throughput, and whether it grows linearly.

Generates N packages (two small, distinct PDFs each; every fourth one a .zip)
into a temporary folder, imports the first N/2 into one fresh SQLite database
and all N into another, and prints packages per second and the time ratio,
which should be close to 2 when import time is linear in the number of packages.
It also prints the cost per package in each quarter of the big import, which
must not rise as the database fills. On a busy machine the ratio wanders; the
quarters are the steadier sign.

    .venv/bin/python bench/bench_import.py            # N = 2000, best of 2
    .venv/bin/python bench/bench_import.py --n 500 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

from reportlab.pdfgen import canvas

from qbdesk.domain.credit_code import generate
from qbdesk.formats.package import FORMAT, write_package
from qbdesk.services.applications import import_packages
from qbdesk.store.engine import open_database
from qbdesk.store.models import Round

YEAR = 2026


def tiny_pdf(text: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(300, 200), invariant=1)
    c.drawString(20, 100, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def generate_packages(root: Path, n: int, seed: int = 2026) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(1, n + 1):
        program = rng.choice(["P2", "P3", "P3", "P4", "P7"])
        manifest = {
            "format": FORMAT, "id": f"{YEAR}-{program}-{i:05d}", "program": program, "year": YEAR,
            "applicant": {"name": f"深圳市测试{i % 700}科技有限公司", "credit_code": generate(random.Random(i % 700)),
                          "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区"},
            "title": f"申报项目 {i}", "requested_amount": 50_000 * rng.randint(1, 6), "summary": "基准测试数据。",
            "items": [{"id": "C1", "kind": "certificate", "title": "证书", "date": "2026-03-01"}],
            "attachments": [{"file": "申报书.pdf", "title": "申报书", "blind": False},
                            {"file": "技术方案（脱敏）.pdf", "title": "技术方案", "blind": True}],
        }
        if program == "P7":
            manifest["tier"] = "municipal_award"
        files = {"申报书.pdf": tiny_pdf(f"application {i}"), "技术方案（脱敏）.pdf": tiny_pdf(f"plan {i}")}
        paths.append(write_package(root / f"pkg{i:05d}", manifest, files, as_zip=i % 4 == 0))
    return paths


def timed_import(db_path: Path, paths: list[Path]) -> tuple[float, list[float]]:
    """Seconds for the whole import, and ms per package in each quarter of it."""
    db = open_database(f"sqlite:///{db_path}")
    with db.sessions() as s, s.begin():
        rnd = Round(name="bench", year=YEAR)
        s.add(rnd)
        s.flush()
        round_id = rnd.id

    stamps: list[float] = []

    def progress(done: int, total: int, _name: str) -> None:
        stamps.append(time.perf_counter())
        if done % max(1, total // 10) == 0 or done == total:
            print(f"\r  {done}/{total}", end="", file=sys.stderr, flush=True)

    start = time.perf_counter()
    report = import_packages(db.sessions, round_id, paths, progress=progress)
    elapsed = time.perf_counter() - start
    print(file=sys.stderr)
    db.dispose()
    if not report.ok:
        bad = [line.text("en") for line in report.lines if line.status == "rejected"][:5]
        raise SystemExit("benchmark packages were rejected:\n" + "\n".join(bad))
    q = len(stamps) // 4
    quarters = [(stamps[(k + 1) * q - 1] - (stamps[k * q - 1] if k else start)) / q * 1000 for k in range(4)] if q else []
    return elapsed, quarters


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="number of packages (default 2000)")
    ap.add_argument("--repeat", type=int, default=2, help="time each size this many times, keep the best")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qbdesk-bench-") as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        paths = generate_packages(tmp_path / "packages", args.n)
        print(f"generated {args.n} packages in {time.perf_counter() - t0:.1f} s")
        timed_import(tmp_path / "warmup.sqlite", paths[:50])  # imports, caches: not what we measure
        half = args.n // 2
        t_half = t_full = float("inf")
        quarters: list[float] = []
        for r in range(args.repeat):
            t_half = min(t_half, timed_import(tmp_path / f"half{r}.sqlite", paths[:half])[0])
            t, q = timed_import(tmp_path / f"full{r}.sqlite", paths)
            if t < t_full:
                t_full, quarters = t, q
        print(f"import {half:5d} packages: {t_half:6.2f} s  {half / t_half:7.1f} packages/s")
        print(f"import {args.n:5d} packages: {t_full:6.2f} s  {args.n / t_full:7.1f} packages/s")
        print(f"time({args.n}) / time({half}) = {t_full / t_half:.2f}  (linear: ~2)")
        # Per-package cost must not grow as the database fills up.
        print("ms per package, by quarter of the", args.n, "import:", "  ".join(f"{x:.2f}" for x in quarters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
