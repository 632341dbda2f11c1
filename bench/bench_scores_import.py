"""``scores import`` of 60 and of 120 score files, each 300 applications × 12 criteria.

The issue's goal: 60 files in ≤ 2 s, and linear when doubled. Each file is what a finalised
workspace sends: 3,600 scores, an edit log of one edit per score, signed and encrypted to
the coordinator. The round (300 applications under a 12-criterion rubric, one snapshot row
per expert) is set up once; each run imports into a fresh copy of that database, and only
``import_score_files`` is timed. Prints both times and their ratio (2.0 = linear), and the
smaller batch against a baseline measured in the same run on the same files (age decryption
and SHA-256 of each file, in one process), so a figure from a busy machine still means something.

The same imports run on PostgreSQL too (the goal: at most 1.5× SQLite's time): on the server
``--pg URL`` names (an admin URL: it creates and drops its databases), else ``QBDESK_TEST_PG``'s,
else a throwaway server started for the run with PostgreSQL's own durable settings (fsync and
synchronous commit on), as tests/pgserver.py starts one; ``--no-pg`` skips it.

    .venv/bin/python bench/bench_scores_import.py              # 60 and 120 files
    .venv/bin/python bench/bench_scores_import.py --files 10   # a quick look: 10 and 20
    .venv/bin/python bench/bench_scores_import.py --workers 0  # all in one process
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import secrets
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from qbdesk.domain import credit_code
from qbdesk.domain.rubric import default_rubric, load_rubric_data
from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.services.coordinator_keys import load_or_create_keys
from qbdesk.services.rounds import init_round, store_rubric
from qbdesk.services.score_checks import DECLARATION_SHA256
from qbdesk.services.snapshot_meta import make_codes
from qbdesk.store.engine import open_database
from qbdesk.store.models import Applicant, Application, Assignment, Expert, ProgramConfig, Snapshot

APPLICATIONS, CRITERIA = 300, 12
AT = "2026-03-01T09:00:00+08:00"


def twelve_criteria_rubric():
    """P1's rubric with three more score criteria: 12 in all (2 checks, 9 scores, 1 opinion)."""
    data = default_rubric("P1").to_data()
    extra = [dict(c, id=f"{c['id']}_extra", name_zh=c["name_zh"] + "（补充）", name_en=c["name_en"] + " (extra)")
             for c in data["criteria"] if c["kind"] == "score"][:3]
    data["criteria"] = data["criteria"][:-1] + extra + data["criteria"][-1:]
    data["total"] = sum(c["max"] * c.get("weight", 1) for c in data["criteria"] if c["kind"] == "score")
    data["version"] = "bench-12"
    rubric = load_rubric_data(data, "bench rubric", program="P1")
    assert len(rubric.criteria) == CRITERIA
    return rubric


def setup_round(db_url: str, experts: int) -> tuple[int, str, dict[str, dict]]:
    """The round; returns its id, the rubric hash and per expert what its snapshot row holds."""
    db = open_database(db_url)
    rid = init_round(db.sessions, name="bench", year=2026, programs=["P1"])
    rubric = twelve_criteria_rubric()
    rng = random.Random(7)
    snapshots: dict[str, dict] = {}
    with db.sessions.begin() as s:
        h = store_rubric(s, rubric)
        s.scalars(select(ProgramConfig).where(ProgramConfig.round_id == rid)).one().rubric_hash = h
        s.execute(insert(Applicant), [{"credit_code": credit_code.generate(rng), "name": f"单位{i}",
                                       "normalized_name": f"单位{i}", "contact": {}} for i in range(APPLICATIONS)])
        applicant_ids = list(s.scalars(select(Applicant.id).order_by(Applicant.id)))
        s.execute(insert(Application), [{
            "round_id": rid, "external_id": f"2026-P1-{i:04d}", "program": "P1", "year": 2026,
            "applicant_id": applicant_ids[i], "title": f"申报{i}", "requested_amount": 100_000, "summary": "",
            "items": [], "package_digest": "0" * 64} for i in range(APPLICATIONS)])
        app_ids = list(s.scalars(select(Application.id).where(Application.round_id == rid).order_by(Application.id)))
        s.execute(insert(Expert), [{"round_id": rid, "external_id": f"E{n:03d}", "name": f"专家{n}", "organisation": "x",
                                    "normalized_organisation": "x", "programs": ["P1"]} for n in range(experts)])
        expert_ids = list(s.scalars(select(Expert.id).where(Expert.round_id == rid).order_by(Expert.external_id)))
        s.execute(insert(Assignment), [{"round_id": rid, "expert_id": e, "application_id": a, "seed": 0}
                                       for e in expert_ids for a in app_ids])
        for n, eid in enumerate(expert_ids):
            codes = make_codes(APPLICATIONS, rng)
            row = {"id": str(uuid.uuid4()), "round_id": rid, "expert_id": eid, "digest": secrets.token_hex(32),
                   "binding_secret": secrets.token_hex(32), "codes": dict(zip(codes, app_ids)),
                   "coordinator_fingerprint": "bench", "file_name": f"E{n:03d}.qbsnap"}
            s.add(Snapshot(**row))
            snapshots[f"E{n:03d}"] = row
    db.dispose()
    return rid, h, snapshots


def write_file(args: tuple) -> None:
    """One expert's score file (runs in a worker process: signing and sealing 120 files takes a while)."""
    path, rid, rubric_hash, expert, snap, recipient, seed = args
    rubric = twelve_criteria_rubric()
    rng = random.Random(seed)
    key = Ed25519PrivateKey.generate()
    line = sshsig.public_key_openssh(key.public_key())
    scores, log = [], []
    for code in snap["codes"]:
        for c in rubric.criteria:
            if c.kind == "score":
                # inside 60–85 % of the maximum: the 2026.2 rubrics require a comment at the extremes
                value = rng.randint(math.ceil(c.max * 0.6), int(c.max * 0.85))
            elif c.kind == "check":
                value = True
            else:
                value = ("优点：目标明确，论证充分，数据可信，技术路线可行。" "不足：推广应用的量化指标偏少，经费测算可更细。"
                         "结论：建议予以支持。") * 3  # three parts, over P1's 150-character minimum
            row = {"application": code, "criterion": c.id, "item": "", "value": value, "comment": ""}
            scores.append(row)
            sf.append_edit(log, row, AT)
    payload = {
        "format": sf.FORMAT, "round": {"id": rid, "year": 2026}, "snapshot_id": snap["id"],
        "snapshot_digest": snap["digest"], "expert_id": expert, "sequence": 1,
        "created_at": "2026-03-02T01:00:00+00:00", "expert_key": line,
        "key_binding": sf.key_binding(bytes.fromhex(snap["binding_secret"]), line),
        "rubrics": {code: rubric_hash for code in snap["codes"]},
        "declaration": {"accepted": True, "at": AT, "text_sha256": DECLARATION_SHA256, "conflicts_declared": ""},
        "scores": scores, "recusals": [], "edit_log": log, "log_head": sf.log_head(log), "blind_content": {},
    }
    sf.write_score_file(path, payload, expert_key=key, receiving_recipient=recipient)


def baseline(keys, files: list[Path]) -> float:
    """What any import must at least do to these files: read, age-decrypt and hash each one."""
    line = next(ln for ln in keys.receiving_identity.splitlines() if ln.startswith("AGE-SECRET-KEY-"))
    identity = pyrage.x25519.Identity.from_str(line)
    start = time.perf_counter()
    for path in files:
        hashlib.sha256(pyrage.decrypt(path.read_bytes(), [identity])).hexdigest()
    return time.perf_counter() - start


def settle() -> None:
    """Write back what the set-up (or the run before) left in the page cache, so a timed run does
    not pay for someone else's hundreds of megabytes reaching the disk under its own commits."""
    os.sync()


def timed_import(db_url: str, keys, rid: int, files: list[Path], workers: int | None) -> float:
    from qbdesk.services.scores import import_score_files

    db = open_database(db_url)
    settle()
    try:
        start = time.perf_counter()
        report = import_score_files(db.sessions, rid, files, keys=keys, workers=workers)
        elapsed = time.perf_counter() - start
    finally:
        db.dispose()
    if report.counts["accepted"] != len(files):
        raise SystemExit("import failed:\n" + "\n".join(line.text("en") for line in report.lines if line.status != "accepted"))
    return elapsed


def sqlite_copy(template: Path, work: Path, name: str) -> str:
    db_file = work / f"{name}.sqlite"
    shutil.copy(template, db_file)
    return f"sqlite:///{db_file}"


def pg_server(url: str | None):
    """The PostgreSQL server to bench on (see the module's help)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pgserver

    url = url or os.environ.get(pgserver.ENV)
    return pgserver.PgServer(url) if url else pgserver.start_throwaway(durable=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=60, help="the smaller batch; the larger is twice as many")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes reading files ahead of the merge (default: one per CPU; 0: none)")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL admin URL (default: QBDESK_TEST_PG, or a throwaway server)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    n = args.files
    server = None if args.no_pg else pg_server(args.pg)
    made: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            t0 = time.perf_counter()
            keys = load_or_create_keys(work / "keys", passphrase="BENCH-ONLY coordinator passphrase 2026", kdf_rounds=1)
            template = work / "template.sqlite"
            rid, rubric_hash, snapshots = setup_round(f"sqlite:///{template}", 2 * n)
            jobs = [(work / f"{e}.qbscore", rid, rubric_hash, e, snap, keys.receiving_recipient, i)
                    for i, (e, snap) in enumerate(sorted(snapshots.items()))]
            with ProcessPoolExecutor() as pool:
                list(pool.map(write_file, jobs))
            files = [job[0] for job in jobs]
            size = files[0].stat().st_size
            if server is not None:  # the same round (same ids, snapshots) as a PostgreSQL template database
                pg_template = server.create()
                made.append(pg_template)
                copy_round(f"sqlite:///{template}", server.url(pg_template))
            print(f"setup: {2 * n} experts × {APPLICATIONS} applications × {CRITERIA} criteria, "
                  f"{size / 1e6:.2f} MB per file, {time.perf_counter() - t0:.1f} s")
            settle()
            base = baseline(keys, files[:n])
            small = timed_import(sqlite_copy(template, work, "small"), keys, rid, files[:n], args.workers)
            large = timed_import(sqlite_copy(template, work, "large"), keys, rid, files, args.workers)
            pg_small = pg_large = None
            if server is not None:
                for size_ in (n, 2 * n):
                    made.append(server.create(template=pg_template))
                    took = timed_import(server.url(made[-1]), keys, rid, files[:size_], args.workers)
                    pg_small, pg_large = (took, pg_large) if size_ == n else (pg_small, took)
    finally:
        if server is not None:
            for name in made:
                server.drop(name)
            server.stop()
    from qbdesk.services.workers import default_workers

    workers = default_workers() if args.workers is None else args.workers
    print(f"workers: {workers} (CPUs usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'})")
    print(f"baseline, decrypt + SHA-256 of {n:>3} files: {base:6.2f} s  ({base / n * 1000:.0f} ms per file)")
    print(f"SQLite: scores import of {n:>3} files: {small:6.2f} s  ({small / n * 1000:.0f} ms per file; goal for 60: ≤ 2 s)")
    print(f"SQLite: scores import of {2 * n:>3} files: {large:6.2f} s  ({large / (2 * n) * 1000:.0f} ms per file)")
    print(f"SQLite: ratio {2 * n}/{n}: {large / small:.2f} (2.00 = linear); import/baseline for {n}: {small / base:.1f}×")
    if pg_small is not None:
        print(f"PostgreSQL: scores import of {n:>3} files: {pg_small:6.2f} s  ({pg_small / n * 1000:.0f} ms per file)")
        print(f"PostgreSQL: scores import of {2 * n:>3} files: {pg_large:6.2f} s  ({pg_large / (2 * n) * 1000:.0f} ms per file)")
        print(f"PostgreSQL/SQLite: {pg_small / small:.2f}× for {n}, {pg_large / large:.2f}× for {2 * n} (goal: ≤ 1.5×)")


def copy_round(source_url: str, dest_url: str) -> None:
    """Every row of the round's database into a fresh qbdesk database (same ids), then its sequences on."""
    from sqlalchemy import func, text

    from qbdesk.store.models import Base

    src, dest = open_database(source_url), open_database(dest_url)
    try:
        with src.engine.connect() as r, dest.engine.begin() as w:
            w.execute(text("DELETE FROM audit_log"))
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in r.execute(table.select())]
                if rows:
                    w.execute(table.insert(), rows)
                if "id" in table.c and rows and w.dialect.name == "postgresql" and table.c.id.autoincrement is not False \
                        and isinstance(rows[0]["id"], int):
                    top = w.scalar(select(func.max(table.c.id)))
                    w.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :v)"), {"v": top})
    finally:
        src.dispose()
        dest.dispose()


if __name__ == "__main__":
    main()
