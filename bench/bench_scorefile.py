"""Reading one big score file: 300 applications × 12 criteria, with an edit log of N edits per value.

Prints the file size and the best time of write_score_file and read_score_file (decrypt, unzip,
parse, verify signature, canonical check, shape, edit-log chain). No pass/fail; for scale, the
issue's goal is `scores import` of 60 such files in ≤ 2 s, the database work included.

    .venv/bin/python bench/bench_scorefile.py                     # 2 edits per value, best of 5
    .venv/bin/python bench/bench_scorefile.py --edits 1 --repeat 20
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig

APPLICATIONS, CRITERIA = 300, 12


def big_payload(key: Ed25519PrivateKey, edits: int = 2) -> dict:
    line = sshsig.public_key_openssh(key.public_key())
    codes = [f"A{i:04d}" for i in range(APPLICATIONS)]
    log: list[dict] = []
    scores = []
    for code in codes:
        for c in range(CRITERIA):
            for edit in range(edits):
                row = {"application": code, "criterion": f"C{c:02d}", "item": "", "value": 5 + edit + c % 5 * 0.5,
                       "comment": "材料齐全，论证充分。" if c % 4 == 0 else ""}
                sf.append_edit(log, row, f"2026-03-01T{8 + c % 10:02d}:{edit:02d}:00+08:00")
            scores.append(row)
    return {
        "format": sf.FORMAT, "blind_content": {}, "round": {"id": 1, "year": 2026}, "snapshot_id": "bench", "snapshot_digest": "0" * 64,
        "expert_id": "E01", "sequence": 1, "created_at": "2026-03-02T00:00:00+00:00", "expert_key": line,
        "key_binding": sf.key_binding(b"bench", line), "rubrics": {c: "1" * 64 for c in codes},
        "declaration": {"accepted": True, "at": "2026-03-01T07:00:00+08:00", "text_sha256": "2" * 64,
                        "conflicts_declared": ""},
        "scores": scores, "recusals": [], "edit_log": log, "log_head": sf.log_head(log),
    }


def best_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--edits", type=int, default=2, help="edits per value in the edit log (≥ 1)")
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    identity = x25519.Identity.generate()
    payload = big_payload(key, max(1, args.edits))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "E01.qbscore"
        write = best_ms(lambda: sf.write_score_file(path, payload, expert_key=key,
                                                    receiving_recipient=str(identity.to_public())), args.repeat)
        data = path.read_bytes()
        read = best_ms(lambda: sf.read_score_file(data, receiving_identity=str(identity)), args.repeat)
        score = sf.read_score_file(data, receiving_identity=str(identity))
        base = best_ms(lambda: pyrage.decrypt(data, [identity]), args.repeat)  # the age layer alone
    print(f"{APPLICATIONS} applications × {CRITERIA} criteria: {len(score.data['scores'])} scores, "
          f"{len(score.data['edit_log'])} edits; score.json {len(score.raw) / 1e6:.2f} MB, file {len(data) / 1e6:.2f} MB")
    print(f"write_score_file: {write:.1f} ms (best of {args.repeat})")
    print(f"read_score_file:  {read:.1f} ms (best of {args.repeat}); 60 files ≈ {read * 60 / 1000:.2f} s")
    print(f"baseline, age decryption alone: {base:.1f} ms; read_score_file = {read / base:.1f}× that")


if __name__ == "__main__":
    main()
