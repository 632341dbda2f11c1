"""Write the committed score-file test vectors (score-*) next to this script.  TEST ONLY.

    .venv/bin/python tests/vectors/make_vectors.py

Keys are fresh on every run, so re-running changes every file: commit them all together. The
tests read the committed files and never regenerate them; that is what makes them vectors (a
change to the format or to canonical JSON shows up as a failing test, not as new vectors).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pyrage import x25519

from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.formats.keys import generate_passphrase, generate_private_key, save_private_key

HERE = Path(__file__).resolve().parent
EXPERT_ID = "E01"
BANNER = "TEST ONLY: published test vector, never use for a real round"


def payload(key_line: str, binding_secret: bytes) -> dict:
    """One application scored on a P3-like rubric: a score, a gate, two items, an opinion, a recusal."""
    log: list[dict] = []
    scores = [
        {"application": "A7K2Q", "criterion": "quality", "item": "", "value": 17.5, "comment": "体系完整"},
        {"application": "A7K2Q", "criterion": "eligible", "item": "", "value": True, "comment": ""},
        {"application": "A7K2Q", "criterion": "certificates", "item": "C1",
         "value": {"accepted": True, "reason": ""}, "comment": ""},
        {"application": "A7K2Q", "criterion": "certificates", "item": "C2",
         "value": {"accepted": False, "reason": "证书超出申报年度"}, "comment": ""},
        {"application": "A7K2Q", "criterion": "opinion", "item": "", "value": "同意推荐。Recommended.", "comment": ""},
    ]
    for minute, row in enumerate(scores):
        sf.append_edit(log, row, f"2026-03-01T09:{minute:02d}:00+08:00")
    return {
        "format": sf.FORMAT,
        "round": {"id": 1, "year": 2026},
        "snapshot_id": "3b8f5d52-7c1e-4d8a-9f00-000000000001",
        "snapshot_digest": "5" * 64,
        "expert_id": EXPERT_ID,
        "sequence": 1,
        "created_at": "2026-03-01T02:00:00+00:00",
        "expert_key": key_line,
        "key_binding": sf.key_binding(binding_secret, key_line),
        "rubrics": {"A7K2Q": "a" * 64, "B3M9X": "a" * 64},
        "declaration": {"accepted": True, "at": "2026-03-01T08:55:00+08:00", "text_sha256": "d" * 64,
                        "conflicts_declared": ""},
        "scores": scores,
        "recusals": [{"application": "B3M9X", "reason": "曾为该单位提供咨询"}],
        "edit_log": log,
        "log_head": sf.log_head(log),
    }


def main() -> None:
    coordinator = x25519.Identity.generate()
    expert = generate_private_key()
    passphrase = generate_passphrase()
    binding_secret = secrets.token_bytes(32)
    line = sshsig.public_key_openssh(expert.public_key())

    agekey = HERE / "score-coordinator.agekey"
    agekey.write_text(f"# {BANNER}\n# public key: {coordinator.to_public()}\n{coordinator}\n", encoding="utf-8")
    os.chmod(agekey, 0o600)  # age and habit both expect a private key file to be private
    save_private_key(HERE / "score-expert.key", expert, passphrase, overwrite=True)
    (HERE / "score-expert.pub").write_text(f"{line} {EXPERT_ID}-test-only\n", encoding="utf-8")
    written = sf.write_score_file(HERE / "score-vector.qbscore", payload(line, binding_secret),
                                  expert_key=expert, receiving_recipient=str(coordinator.to_public()))
    expected = {
        "_comment": BANNER,
        "digest": written.digest,
        "fingerprint": written.fingerprint,
        "expert_id": EXPERT_ID,
        "receiving_recipient": str(coordinator.to_public()),
        "binding_secret": binding_secret.hex(),
        "expert_key_passphrase": passphrase,
    }
    (HERE / "score-expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    print(f"score-vector.qbscore digest {written.digest}, expert key {written.fingerprint}")


if __name__ == "__main__":
    main()
