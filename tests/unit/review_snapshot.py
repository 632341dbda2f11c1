"""A small, real snapshot for the reviewer's tests, built directly with SnapshotWriter.

Three applications (P3 with two certificates, P8 without items, P3 with one certificate) under
opaque codes, real rubrics from ``shipped_rubric(..., "2026.1").to_data()``, one blind attachment.
The bcrypt work factor is 1 so that each open costs milliseconds (TEST ONLY).
"""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qbdesk.domain.rubric import shipped_rubric
from qbdesk.formats.snapshot import SnapshotManifest, SnapshotWriter
from qbdesk.services.snapshot_meta import DECLARATION  # the text every real snapshot carries

PASSPHRASE = "7KQ2M-XW9DA-4HT0R-GZ5AB"  # TEST ONLY
PDF = b"%PDF-1.4\n% blind test attachment\n%%EOF\n"
TITLES = ("绿色低碳产品认证体系建设与推广应用", "卓越绩效管理模式导入与持续改进", "碳足迹核查认证能力提升项目")
SUMMARIES = ("围绕光伏逆变器开展绿色产品认证并覆盖三条产线。", "以GB/T 19580为框架建立全面质量管理体系。",
             "完成产品碳足迹核查并取得第三方认证证书。")


@dataclass
class Coordinator:
    signing_key: Ed25519PrivateKey
    receiving_identity: str
    receiving_recipient: str


def coordinator() -> Coordinator:
    identity = pyrage.x25519.Identity.generate()
    return Coordinator(Ed25519PrivateKey.generate(), str(identity), str(identity.to_public()))


def make_snapshot(path: Path, coord: Coordinator, *, passphrase: str = PASSPHRASE, expert_id: str = "E01",
                  codes: tuple[str, ...] = ("K7Q2M", "01234", "ZX9DA")) -> tuple[SnapshotManifest, dict]:
    snapshot_id = str(uuid.uuid4())
    rubrics = {p: shipped_rubric(p, "2026.1") for p in ("P3", "P8")}  # the machinery, on the archived rubrics
    with SnapshotWriter(path, signing_key=coord.signing_key, receiving_recipient=coord.receiving_recipient,
                        passphrase=passphrase, snapshot_id=snapshot_id, round_id=1, round_name="2026年第一批",
                        round_year=2026, expert_id=expert_id, rounds=1) as w:
        entry = w.add_attachment(io.BytesIO(PDF))
        attachment = {"entry": entry, "title": "技术方案", "size": len(PDF), "sha256": w.plaintext[entry].sha256}
        programs = ("P3", "P8", "P3")
        items = ([{"id": "C1", "kind": "certificate", "title": "绿色产品认证证书"},
                  {"id": "C2", "kind": "certificate", "title": "低碳产品认证证书"}], [],
                 [{"id": "C1", "kind": "certificate", "title": "碳足迹核查证书"}])
        meta = {
            "round": {"id": 1, "name": "2026年第一批", "year": 2026},
            "expert": {"id": expert_id, "name": "张专家"},
            "binding_secret": secrets.token_hex(32),
            "rubrics": {r.content_hash: r.to_data() for r in rubrics.values()},
            "declaration": DECLARATION,
            "applications": [
                {"code": code, "program": program, "rubric": rubrics[program].content_hash, "title": title,
                 "summary": summary, "requested_amount": 150_000, "tier": None, "items": its, "attachments": [attachment]}
                for code, program, title, summary, its in zip(codes, programs, TITLES, SUMMARIES, items)
            ],
        }
        w.write_meta(meta)
        w.bind_codes(secrets.token_bytes(32), {a["code"]: (f"2026-{a['program']}-{n:04d}", {
            f"I{k}": i["id"] for k, i in enumerate(a["items"], start=1)}) for n, a in enumerate(meta["applications"])})
    assert w.manifest is not None
    return w.manifest, {**meta, "snapshot_id": snapshot_id}


def complete(ws, *, skip: tuple[str, ...] = ()) -> None:
    """Fill in every required value of every application not in ``skip`` (valid, mid-range)."""
    for app in ws.applications:
        if app.code in skip or app.code in ws.recusals:
            continue
        edits = []
        for c in ws.rubric(app.code).criteria:
            if c.kind == "score":
                edits.append((app.code, c.id, "", round(c.max * 0.6 / c.step) * c.step, ""))
            elif c.kind == "check":
                edits.append((app.code, c.id, "", True, ""))
            elif c.kind == "items":
                edits += [(app.code, c.id, i, True, "") for i in app.item_ids]
            else:
                edits.append((app.code, c.id, "", "材料齐全，论证充分，指标可信。" * (c.min_length // 10 + 1), ""))
        ws.apply(edits)
