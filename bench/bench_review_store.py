"""The reviewer's store on a finished day: autosave, open and finalise on 500 applications × 12 criteria.

Builds a TEST-ONLY snapshot of 500 applications with a 12-criterion rubric (the 2026.1 P8 rubric
with two more score criteria), opens it, enters a whole day (every value twice: 12,000 edits in
the edit log), then measures, in the same run:

- autosave: ``set_value`` of one score, durable (journal record + fdatasync), p50/p95/max over
  N changes, each paired with a bare ``os.write`` + ``fdatasync`` of the same number of bytes
  just before it (so both see the same load), against one
  ``pyrage.encrypt`` of the record, and against rewriting the whole state per change (the old
  store, ``StateStore.compact``);
- open: ``ReviewWorkspace.load`` with the journal at its longest (``COMPACT_EVERY - 1`` records)
  and just after a compaction (``--full-journal``: also with the whole day in one uncompacted
  journal, as if there were no compaction);
- finalise: ``finalize`` of the 500 applications (checks, payload, signed and sealed score file,
  the new base), and its parts.

No pass/fail. The goals (issue 10): autosave p95 ≤ 10 ms, finalise ≤ 2 s.

    .venv/bin/python bench/bench_review_store.py                 # 1000 autosaves
    .venv/bin/python bench/bench_review_store.py --changes 3000 --full-journal
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import secrets
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qbdesk.domain.rubric import canonical_json, load_rubric_data, shipped_rubric
from qbdesk.formats.scorefile import write_score_file
from qbdesk.formats.snapshot import SnapshotWriter
from qbdesk.services.reviewer import ReviewWorkspace, open_snapshot
from qbdesk.services.reviewer import store as store_module
from qbdesk.services.reviewer.finalize import build_payload, capacity
from qbdesk.services.snapshot_meta import DECLARATION

PASSPHRASE = "BENCH-ONLY-PASSPHRASE-0000"  # TEST ONLY
APPLICATIONS = 500
PDF = b"%PDF-1.4\n% bench attachment\n%%EOF\n"
OPINION = "【评审意见】申报材料完整，技术路线清晰，效益测算可信，体系建设成效明显；部分数据缺少第三方佐证，建议予以支持。"


def rubric12():
    data = shipped_rubric("P8", "2026.1").to_data()
    lead = next(c for c in data["criteria"] if c["id"] == "leadership")
    for i, cid in enumerate(("governance", "social_responsibility")):
        extra = copy.deepcopy(lead)
        extra.update(id=cid, name_zh=f"{lead['name_zh']}（附{i + 1}）", name_en=f"{lead['name_en']} (extra {i + 1})")
        data["criteria"].insert(-1, extra)
    data.update(total=data["total"] + 2 * lead["max"], version="bench.12")
    rubric = load_rubric_data(data, "bench")
    assert len(rubric.criteria) == 12
    return rubric


def make_snapshot(path: Path, rubric, *, rounds: int = 1) -> None:
    """The bench snapshot; ``rounds``: its identity's bcrypt work factor (a real snapshot's is 64)."""
    receiving = pyrage.x25519.Identity.generate()
    with SnapshotWriter(path, signing_key=Ed25519PrivateKey.generate(), receiving_recipient=str(receiving.to_public()),
                        passphrase=PASSPHRASE, snapshot_id=str(uuid.uuid4()), round_id=1, round_name="基准测试",
                        round_year=2026, expert_id="E01", rounds=rounds) as w:
        entry = w.add_attachment(io.BytesIO(PDF))
        attachment = {"entry": entry, "title": "技术方案", "size": len(PDF), "sha256": w.plaintext[entry].sha256}
        apps = [{"code": f"B{i:04d}", "program": "P8", "rubric": rubric.content_hash, "title": f"基准申报 {i}",
                 "summary": "基准测试用的申报摘要。", "requested_amount": 100_000, "tier": None, "items": [],
                 "attachments": [attachment]} for i in range(APPLICATIONS)]
        w.write_meta({"round": {"id": 1, "name": "基准测试", "year": 2026}, "expert": {"id": "E01", "name": "基准专家"},
                      "binding_secret": secrets.token_hex(32), "rubrics": {rubric.content_hash: rubric.to_data()},
                      "declaration": DECLARATION, "applications": apps})
        w.bind_codes(secrets.token_bytes(32), {a["code"]: (f"2026-P8-{n:04d}", {}) for n, a in enumerate(apps)})


def day_edits(ws: ReviewWorkspace, code: str, second: bool) -> list[tuple]:
    out = []
    for c in ws.rubric(code).criteria:
        if c.kind == "score":
            out.append((code, c.id, "", round(c.max * (0.6 if second else 0.5) / c.step) * c.step, ""))
        elif c.kind == "check":
            out.append((code, c.id, "", True if second else False, "" if second else "待核实"))
        else:
            out.append((code, c.id, "", OPINION + ("（复核）" if second else ""), ""))
    return out


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary(name: str, samples: list[float]) -> str:
    ms = [x * 1000 for x in samples]
    return (f"{name:<38} p50 {statistics.median(ms):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   "
            f"max {max(ms):7.2f} ms   (n={len(ms)})")


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000, help="autosaves measured")
    parser.add_argument("--full-journal", action="store_true",
                        help="also open a day's 12,000 changes kept in one uncompacted journal (slow to build)")
    parser.add_argument("--dir", type=Path, default=None, help="where to build it (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        rubric = rubric12()
        t = time.perf_counter()
        make_snapshot(root / "s.qbsnap", rubric)
        ws = open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1)
        ws.declare(True)
        codes = [a.code for a in ws.applications]
        for second in (False, True):
            for code in codes:
                ws.apply(day_edits(ws, code, second))
        print(f"built: {APPLICATIONS} applications × {len(rubric.criteria)} criteria, edit log "
              f"{len(ws.edit_log)} edits, in {time.perf_counter() - t:.1f} s")

        # --- autosave: each change paired with a bare write + fdatasync of the same size, so both
        # see the same disk and the same load from whatever else runs on the machine -----------
        scores = [c for c in ws.rubric(codes[0]).criteria if c.kind == "score"]
        record = 1200
        bare_path = root / "home" / "bare.bin"
        fd = os.open(bare_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        saves, bare = [], []
        for n in range(args.changes):
            c, code = scores[n % len(scores)], codes[(n * 7) % len(codes)]
            value = next(v for k in range(3) if (v := round(c.max * (0.4 + 0.1 * k) / c.step) * c.step)
                         != ws.value(code, c.id))  # always a real change
            blob = os.urandom(record)
            t = time.perf_counter()
            os.write(fd, blob)
            os.fdatasync(fd)
            bare.append(time.perf_counter() - t)
            before = ws._file._size
            saves.append(timed(lambda code=code, c=c, value=value: ws.set_value(code, c.id, value)))
            if ws._file._size > before:
                record = ws._file._size - before  # the next bare write matches the last record's size
        os.close(fd)
        bare_path.unlink()
        plain = os.urandom(record - 250)  # ≈ the record's plaintext (the age header is ≈ 250 bytes)
        recipient = pyrage.ssh.Recipient.from_str(ws.manifest.identity_public_key)
        enc = [timed(lambda: pyrage.encrypt(plain, [recipient])) for _ in range(200)]
        whole = [timed(lambda: ws._file.compact(ws._state)) for _ in range(10)]
        print(f"autosave with {len(ws.edit_log)} edits in the log, one record ≈ {record} bytes, "
              f"a new base every {store_module.COMPACT_EVERY} records:")
        print(summary("  set_value (durable)", saves))
        print(summary("  baseline: os.write + fdatasync (paired)", bare))
        print(summary("  baseline: one pyrage.encrypt", enc))
        print(summary("  the old store: rewrite the whole state", whole))
        print(f"  ratios: p95 set_value / p95 bare write+fdatasync = {pct(saves, 95) / pct(bare, 95):.2f}; "
              f"p50 = {statistics.median(saves) / statistics.median(bare):.2f}; "
              f"whole-state rewrite p50 / set_value p50 = {statistics.median(whole) / statistics.median(saves):.1f}")

        # --- open ------------------------------------------------------------------------------
        while ws._file._records < store_module.COMPACT_EVERY - 1:
            ws.set_value(codes[ws._file._records % len(codes)], scores[0].id, 40 + ws._file._records % 3)
        longest = ws._file._records
        ws.close()
        opens = [timed(lambda: ReviewWorkspace.load(root / "home", PASSPHRASE).close()) for _ in range(3)]
        ws = ReviewWorkspace.load(root / "home", PASSPHRASE)
        ws._file.compact(ws._state)
        ws.close()
        opens0 = [timed(lambda: ReviewWorkspace.load(root / "home", PASSPHRASE).close()) for _ in range(3)]
        print(f"open (load) with a full day's log: journal of {longest} records {min(opens) * 1000:.0f} ms, "
              f"just compacted {min(opens0) * 1000:.0f} ms (best of 3)")
        if args.full_journal:
            store_module.COMPACT_EVERY = 10 ** 9
            ws = ReviewWorkspace.load(root / "home", PASSPHRASE)
            for n in range(len(ws.edit_log)):
                c, code = scores[n % len(scores)], codes[(n * 7) % len(codes)]
                ws.set_value(code, c.id, next(v for k in range(3) if (v := round(c.max * (0.4 + 0.1 * k) / c.step) * c.step)
                                              != ws.value(code, c.id)))
            records = ws._file._records
            ws.close()
            full = timed(lambda: ReviewWorkspace.load(root / "home", PASSPHRASE).close())
            print(f"  without compaction: journal of {records} records {full * 1000:.0f} ms")
            store_module.COMPACT_EVERY = 256

        # --- finalise --------------------------------------------------------------------------
        ws = ReviewWorkspace.load(root / "home", PASSPHRASE)
        parts = {
            "missing()": timed(ws.missing),
            "build_payload": timed(lambda: build_payload(ws._blind, ws.manifest, ws._state, sequence=99,
                                                         created_at="2026-03-02T00:00:00+00:00",
                                                         expert_key_line=ws.expert_public_key)),
        }
        payload = build_payload(ws._blind, ws.manifest, ws._state, sequence=99, created_at="2026-03-02T00:00:00+00:00",
                                expert_key_line=ws.expert_public_key)
        parts["write_score_file"] = timed(lambda: write_score_file(
            root / "parts.qbscore", payload, expert_key=ws._key, receiving_recipient=ws.manifest.receiving_recipient,
            max_payload=capacity(ws._blind)))
        parts["new base (compaction)"] = timed(lambda: ws._file.compact(ws._state))
        finals = [timed(lambda n=n: ws.finalize(root / f"E01-{n}.qbscore")) for n in range(3)]
        size = len(canonical_json(payload))
        print(f"finalise {APPLICATIONS} applications (score.json {size / 1e6:.1f} MB): best {min(finals):.2f} s, "
              f"worst {max(finals):.2f} s of 3; parts: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in parts.items()))
        ws.close()


if __name__ == "__main__":
    main()
