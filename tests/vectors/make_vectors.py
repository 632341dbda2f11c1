"""Write the committed test vectors next to this script.  TEST ONLY.

    .venv/bin/python tests/vectors/make_vectors.py score       # score-*    (qbdesk.score/1 when made; now /2)
    .venv/bin/python tests/vectors/make_vectors.py snapshot    # snapshot2-* (qbdesk.snapshot/2)

The committed ``snapshot-vector.qbsnap`` and ``score-vector.qbscore`` were made by earlier versions
of this script (``qbdesk.snapshot/1``, ``qbdesk.score/1``) and are kept as the corpus of old files
that must still read; ``snapshot`` now writes the ``qbdesk.snapshot/2`` vector beside them under
``snapshot2-*`` names. Running ``score`` again would replace the /1 score vector: don't.

Do not run it unless a format version changed: the tests read the committed files and never
regenerate them; that is what makes them vectors (a change to a format, to canonical JSON or to the
reader shows up as a failing test, not as new vectors). Each run changes every file of its kind
(fresh keys, fresh age randomness), so commit them together. The snapshot vector is encrypted for
the score vector's coordinator: after `score`, run `snapshot` too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import secrets
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from pyrage import x25519

from qbdesk.domain.rubric import shipped_rubric
from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.formats.keys import (
    generate_passphrase,
    generate_private_key,
    save_private_key,
)
from qbdesk.formats.snapshot import IDENTITY_KDF_ROUNDS, SnapshotWriter
from qbdesk.services.coordinator_keys import COMMENT as COORDINATOR_COMMENT
from qbdesk.services.snapshot_meta import (
    DECLARATION,
    BlindAttachment,
    Redactor,
    application_meta,
    make_codes,
)

HERE = Path(__file__).resolve().parent
EXPERT_ID = "E01"
BANNER = "TEST ONLY: published test vector, never use for a real round"

# The snapshot vector's files. Everything that holds a secret says TEST-ONLY in its name.
SNAPSHOT = "snapshot2-vector.qbsnap"
SNAPSHOT_PASSPHRASE_FILE = "snapshot-TEST-ONLY.passphrase"
SNAPSHOT_SIGNING_KEY = "snapshot-TEST-ONLY-coordinator-signing.key"
SNAPSHOT_SIGNING_PUB = "snapshot-coordinator-signing.pub"
SNAPSHOT_ATTACHMENT = "snapshot-0001.pdf"
SNAPSHOT_EXPECTED = "snapshot2-expected.json"
# The /2 vector's code binding: fixed key, and the applications and item ids the codes stand for.
OWNERS = (("2026-P3-0001", {"I1": "C1"}), ("2026-P2-0001", {}))
SNAPSHOT_PASSPHRASE = "TESTV-ECT0R-KQ2MX-W9D"  # the generator's shape (18 symbols, 90 bits); published


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
        "blind_content": {"A7K2Q": "b" * 64, "B3M9X": "c" * 64},
    }


def make_score() -> None:
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


# --- snapshot -----------------------------------------------------------------------------------


def _seed(label: str) -> bytes:
    """32 bytes derived from a published label: what can be fixed across runs is (TEST ONLY)."""
    return hashlib.sha256(f"qbdesk test vector (TEST ONLY): {label}".encode()).digest()


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF 1.4 showing ``text`` (ASCII) in Helvetica, with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def snapshot_meta(codes: list[str], attachment_entry: str, pdf: bytes, binding_secret: bytes) -> dict:
    """meta.json as services/snapshots.py builds it: two applications (P3 with a certificate and the
    blind PDF, P2 with nothing attached), real rubrics, the real declaration, texts redacted."""
    p3, p2 = shipped_rubric("P3", "2026.1"), shipped_rubric("P2", "2026.1")  # the rubrics the vectors were made with
    first = Redactor.for_applicant("深圳市测试向量科技有限公司", "914403004JURQ283F0", {
        "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区科技园1号", "email": "zhangsan@example.com"})
    second = Redactor.for_applicant("深圳市样例质量研究院有限公司", "91440300MA5FTEST0X", {
        "contact": "李四", "phone": "13800138000", "address": "深圳市福田区样例路2号", "email": None})
    apps = [
        application_meta(
            code=codes[0], program="P3", rubric_hash=p3.content_hash, title="测试向量科技绿色产品认证",
            summary="深圳市测试向量科技有限公司2026年取得绿色产品认证证书一张；联系人张三，电话0755-12345678。",
            requested_amount=150_000, tier=None,
            items=[{"id": "C1", "kind": "certificate", "title": "绿色产品认证（家具）",
                    "reference": "证书编号 CGP2026-0001", "date": "2026-03-01"}],
            attachments=[BlindAttachment(attachment_entry, "技术方案（脱敏）", len(pdf), hashlib.sha256(pdf).hexdigest())],
            redact=first),
        application_meta(
            code=codes[1], program="P2", rubric_hash=p2.content_hash, title="质量技术攻关：精密齿轮检测方法",
            summary="样例质量研究院牵头，联系邮箱 lisi@example.org，手机 138 0013 8000。", requested_amount=300_000,
            tier=None, items=[], attachments=[], redact=second),
    ]
    return {
        "round": {"id": 1, "name": "2026年第一批（测试向量）", "year": 2026},
        "expert": {"id": EXPERT_ID, "name": "测试专家"},
        "binding_secret": binding_secret.hex(),
        "rubrics": {r.content_hash: r.to_data() for r in (p3, p2)},
        "declaration": dict(DECLARATION),
        "applications": apps,
    }


def make_snapshot() -> None:
    """snapshot-*: one expert, two applications, one blind PDF; the real writer, the real KDF cost.

    Fixed: the coordinator signing key, the binding secret, the ids, the codes, the build time (so
    the zip's dates), the passphrase, the receiving key (the score vector's coordinator). Fresh on
    every run, because the writer draws them: the snapshot identity, the bcrypt salt, age's keys.
    """
    signing = Ed25519PrivateKey.from_private_bytes(_seed("coordinator signing key"))
    receiving = json.loads((HERE / "score-expected.json").read_text(encoding="utf-8"))["receiving_recipient"]
    binding_secret = _seed("binding secret")
    snapshot_id = str(uuid.UUID(bytes=_seed("snapshot id")[:16], version=4))
    codes = make_codes(2, random.Random(2026))
    pdf = tiny_pdf("Technical plan (blind) - qbdesk TEST VECTOR, not a real application")
    target = HERE / SNAPSHOT
    target.unlink(missing_ok=True)
    with SnapshotWriter(target, signing_key=signing, receiving_recipient=receiving, passphrase=SNAPSHOT_PASSPHRASE,
                        snapshot_id=snapshot_id, round_id=1, round_name="2026年第一批（测试向量）", round_year=2026,
                        expert_id=EXPERT_ID, rounds=IDENTITY_KDF_ROUNDS,
                        created_at=datetime(2026, 3, 1, tzinfo=UTC)) as writer:
        entry = "qbsnap/files/0001.pdf.age"  # as services/snapshots.py does: meta first, names known ahead
        meta = snapshot_meta(codes, entry, pdf, binding_secret)
        writer.write_meta(meta)
        writer.bind_codes(_seed("code key"), dict(zip(codes, OWNERS)))
        assert writer.add_attachment(io.BytesIO(pdf)) == entry
        manifest = writer.close()
    meta_plain = writer.plaintext["qbsnap/meta.json.age"]

    (HERE / SNAPSHOT_ATTACHMENT).write_bytes(pdf)
    (HERE / SNAPSHOT_PASSPHRASE_FILE).write_text(f"{SNAPSHOT_PASSPHRASE}\n# {BANNER}\n", encoding="utf-8")
    key_file = HERE / SNAPSHOT_SIGNING_KEY
    key_file.write_bytes(signing.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    os.chmod(key_file, 0o600)  # as the coordinator keeps it (unencrypted, owner only) without a passphrase
    (HERE / SNAPSHOT_SIGNING_PUB).write_text(
        sshsig.public_key_openssh(signing.public_key(), COORDINATOR_COMMENT) + "\n", encoding="utf-8")
    expected = {
        "_comment": BANNER,
        "digest": manifest.digest,
        "snapshot_id": manifest.snapshot_id,
        "created_at": manifest.created_at,
        "round": {"id": manifest.round_id, "name": manifest.round_name, "year": manifest.round_year},
        "expert_id": manifest.expert_id,
        "coordinator_fingerprint": manifest.coordinator_fingerprint,
        "receiving_recipient": manifest.receiving_recipient,
        "identity_public_key": manifest.identity_public_key,
        "identity_kdf_rounds": manifest.identity_rounds,
        "passphrase_file": SNAPSHOT_PASSPHRASE_FILE,
        "entries": [
            {"name": "qbsnap/meta.json.age", "kind": "meta", "plaintext_size": meta_plain.size,
             "plaintext_sha256": meta_plain.sha256},
            {"name": entry, "kind": "attachment", "plaintext_size": len(pdf),
             "plaintext_sha256": hashlib.sha256(pdf).hexdigest(), "plaintext_file": SNAPSHOT_ATTACHMENT},
        ],
        "meta": {"format": "qbdesk.snapshot-meta/1", "snapshot_id": snapshot_id, **meta},
        "code_key": _seed("code key").hex(),
        "owners": {code: {"application": a, "items": items} for code, (a, items) in zip(codes, OWNERS)},
        "applications": {code: {"content": b.content, "binding": b.binding} for code, b in manifest.applications.items()},
    }
    (HERE / SNAPSHOT_EXPECTED).write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{SNAPSHOT}: {target.stat().st_size} bytes, digest {manifest.digest}, "
          f"coordinator {manifest.coordinator_fingerprint}")


MAKERS = {"score": make_score, "snapshot": make_snapshot}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MAKERS:
        print(f"usage: make_vectors.py {{{'|'.join(MAKERS)}}}  (regenerates every file of that kind)", file=sys.stderr)
        return 2
    MAKERS[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
