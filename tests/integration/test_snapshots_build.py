"""Building the experts' snapshots on the demo round, through the CLI, and checking what they hold.

The demo round is built once; a few applications get their applicant's identity planted in
title, summary and items first, so the redaction has something to remove. Every snapshot is
then opened with its passphrase and everything in it searched for every applicant's identity.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qbdesk.cli.main import main
from qbdesk.formats.snapshot import SnapshotReader, read_manifest
from qbdesk.services.coordinator_keys import load_keys
from qbdesk.services.snapshot_meta import CODE_ALPHABET, REDACTED
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Attachment,
    AuditEntry,
    CleanedPdf,
    Expert,
    ProgramConfig,
    Snapshot,
)

pytestmark = pytest.mark.slow
PLANTED = 3  # applications given leaks to redact


@dataclass(frozen=True)
class _Demo:
    """The copy of the session's demo round this module builds on."""

    db_path: Path
    round_id: int = 1  # the demo's one round

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"


def _identity(a: Applicant) -> list[str]:
    contact = a.contact or {}
    tokens = [a.name, a.credit_code, contact.get("contact"), contact.get("phone"), contact.get("address"),
              contact.get("email")]
    phone = contact.get("phone") or ""
    tokens.append(re.sub(r"\D", "", phone))
    return [t for t in tokens if t]


def _plant_leaks(db_url: str) -> list[int]:
    """Write the applicant's identity into title, summary and items of a few applications."""
    db = open_database(db_url)
    planted = []
    with db.sessions.begin() as s:
        blind = {pc.program for pc in s.scalars(select(ProgramConfig)) if pc.blind}  # what the leak scan reads
        apps = [a for a in s.scalars(select(Application).order_by(Application.id))
                if a.items and a.program in blind][:PLANTED]
        for app in apps:
            who, c = app.applicant, app.applicant.contact
            app.title = f"{who.name}{app.title}"
            app.summary += f"。联系人{c['contact']}，电话{c['phone']}，地址{c['address']}，信用代码{who.credit_code}。"
            app.items = [dict(app.items[0], title=f"{who.name}的{app.items[0]['title']}", reference="CNAS L1234")] + app.items[1:]
            planted.append(app.id)
    db.dispose()
    return planted


def _external_id(db_url: str, app_id: int) -> str:
    db = open_database(db_url)
    with db.sessions() as s:
        ext = s.get(Application, app_id).external_id
    db.dispose()
    return ext


@pytest.fixture(scope="module")
def built(tmp_path_factory, copy_demo):
    root = tmp_path_factory.mktemp("snapbuild")
    demo = _Demo(copy_demo(root / "demo") / "demo.sqlite")
    planted = _plant_leaks(demo.db_url)
    # The leak scan finds what was planted and blocks the build until the coordinator decides;
    # the redaction below is the safety net under that decision.
    assert main(["leaks", "scan", "--db", demo.db_url]) == 1
    for app_id in planted:
        assert main(["leaks", "accept", "--db", demo.db_url, _external_id(demo.db_url, app_id),
                     "--reason", "测试：由脱敏替换处理"]) == 0
    out = root / "out"
    code = main(["snapshots", "build", "--db", demo.db_url, "--out", str(out), "--passphrases-out",
                 str(root / "passphrases.csv"), "--keys", str(root / "keys")])
    assert code == 0
    with open(root / "passphrases.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    opened = {}
    for row in rows:
        with SnapshotReader(out / row["file"], row["passphrase"]) as r:
            opened[row["expert_id"]] = (r.manifest, r.meta, {e.name: r.read_attachment(e.name) for e in r.manifest.attachments})
    db = open_database(demo.db_url)
    yield {"root": root, "out": out, "db": db, "rows": rows, "opened": opened, "planted": planted, "demo": demo}
    db.dispose()


def test_one_snapshot_per_expert_with_assignments(built):
    db, opened = built["db"], built["opened"]
    with db.sessions() as s:
        assigned = dict(s.execute(select(Expert.external_id, func.count(Assignment.id))
                                  .join(Assignment, Assignment.expert_id == Expert.id).group_by(Expert.external_id)).all())
        snapshots = {s.get(Expert, snap.expert_id).external_id: snap for snap in s.scalars(select(Snapshot))}
        expected_ids = {ext: set(s.scalars(select(Assignment.application_id).join(Expert).where(Expert.external_id == ext)))
                        for ext in assigned}
    assert set(snapshots) == set(assigned) == set(opened) and len(opened) >= 9
    files = sorted(p.name for p in built["out"].glob("*.qbsnap"))
    assert files == sorted(snap.file_name for snap in snapshots.values())
    for ext, (manifest, meta, _) in opened.items():
        snap = snapshots[ext]
        assert manifest.expert_id == meta["expert"]["id"] == ext
        assert manifest.snapshot_id == snap.id == meta["snapshot_id"] and manifest.digest == snap.digest
        assert set(snap.codes.values()) == expected_ids[ext]  # exactly the expert's assignments
        assert [a["code"] for a in meta["applications"]] and set(snap.codes) == {a["code"] for a in meta["applications"]}
        assert meta["binding_secret"] == snap.binding_secret and len(bytes.fromhex(snap.binding_secret)) == 32
        assert set(meta["rubrics"]) == {a["rubric"] for a in meta["applications"]}
        assert meta["declaration"]["zh"].startswith("评审专家承诺书") and "confidential" in meta["declaration"]["en"]


def test_codes_are_opaque_shuffled_and_differ_per_expert(built):
    db, opened = built["db"], built["opened"]
    with db.sessions() as s:
        snaps = list(s.scalars(select(Snapshot)))
        external = dict(s.execute(select(Application.id, Application.external_id)).all())
    code_re = re.compile(f"[{CODE_ALPHABET}]{{5}}")
    by_app: dict[int, list[str]] = {}
    for snap in snaps:
        assert all(code_re.fullmatch(c) for c in snap.codes)
        for code, app_id in snap.codes.items():
            by_app.setdefault(app_id, []).append(code)
    shared = [codes for codes in by_app.values() if len(codes) > 1]
    assert shared and all(len(set(codes)) == len(codes) for codes in shared)  # one application, a code per expert
    orders = []
    for snap in snaps:
        meta = opened[next(e for e, (m, _, _) in opened.items() if m.snapshot_id == snap.id)][1]
        order = [snap.codes[a["code"]] for a in meta["applications"]]
        assert order != sorted(order) and order != sorted(order, key=lambda i: external[i])
        orders.append(order)
    assert len({tuple(sorted(o)) for o in orders}) > 1


def test_no_applicant_identity_in_any_snapshot(built, need_tool):
    pdftotext = need_tool("pdftotext")
    db, opened = built["db"], built["opened"]
    with db.sessions() as s:
        tokens = sorted({t for a in s.scalars(select(Applicant)) for t in _identity(a)}, key=len, reverse=True)
    assert len(tokens) > 100
    texts = {f"meta of {meta['expert']['id']}": json.dumps(meta, ensure_ascii=False) for _, meta, _ in opened.values()}
    pdfs = {hashlib.sha256(d).hexdigest(): d for _, _, files in opened.values() for d in files.values()}
    scratch = built["root"] / "attachment.pdf"
    for sha, data in pdfs.items():  # each distinct attachment once
        scratch.write_bytes(data)
        out = subprocess.run([pdftotext, "-enc", "UTF-8", str(scratch), "-"], capture_output=True, check=True).stdout
        texts[f"attachment {sha[:12]}"] = out.decode("utf-8")
        assert len(texts[f"attachment {sha[:12]}"]) > 200  # the text is really there to search
    leaks = [(where, t) for where, text in texts.items() for t in tokens if t in "".join(text.split())]
    assert leaks == []


def test_planted_leaks_were_redacted(built):
    db, opened = built["db"], built["opened"]
    seen = 0
    for _, meta, _ in opened.values():
        with db.sessions() as s:
            snap = s.get(Snapshot, meta["snapshot_id"])
        for app in meta["applications"]:
            if snap.codes[app["code"]] in built["planted"]:
                seen += 1
                assert app["title"].startswith(REDACTED)
                assert app["summary"].count(REDACTED) >= 4
                assert REDACTED in app["items"][0]["title"]
            assert all("reference" not in item for item in app["items"])
    assert seen >= PLANTED


def test_only_blind_attachments_are_included(built):
    db, opened = built["db"], built["opened"]
    with db.sessions() as s:
        for _, meta, files in opened.values():
            snap = s.get(Snapshot, meta["snapshot_id"])
            for app in meta["applications"]:
                rows = s.scalars(select(Attachment).where(Attachment.application_id == snap.codes[app["code"]])
                                 .order_by(Attachment.position)).all()
                assert any(not r.blind for r in rows)  # the 申报书 is there to be left out
                # The snapshot carries each blind PDF cleaned; the database keeps the original and the cleaned digest.
                cleaned = [s.get(CleanedPdf, r.sha256) for r in rows if r.blind]
                blind = [(r.title, c.sha256, c.size) for r, c in zip([r for r in rows if r.blind], cleaned)]
                assert [(a["title"], a["sha256"], a["size"]) for a in app["attachments"]] == blind
                assert all(c.sha256 != r.sha256 for r, c in zip([r for r in rows if r.blind], cleaned))
                for a in app["attachments"]:
                    assert hashlib.sha256(files[a["entry"]]).hexdigest() == a["sha256"]
            assert set(files) == {a["entry"] for app in meta["applications"] for a in app["attachments"]}


def test_handover_sheet_renders_chinese_and_matches_the_passphrases(built, need_tool):
    pdffonts, pdftotext, pdftoppm = need_tool("pdffonts"), need_tool("pdftotext"), need_tool("pdftoppm")
    pdf = built["out"] / "handover.pdf"
    assert pdf.stat().st_mode & 0o077 == 0  # it holds passphrases
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # embedded
    rows = built["rows"]
    keys = load_keys(built["root"] / "keys")
    for page, row in enumerate(rows, start=1):
        text = subprocess.run([pdftotext, "-raw", "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(pdf), "-"],
                              capture_output=True, check=True).stdout.decode("utf-8")
        flat = "".join(text.split())
        assert "评审快照交接单" in flat and row["name"] in flat and row["file"] in flat
        assert row["passphrase"].replace("-", "") in flat
        assert row["digest"] in flat and keys.fingerprint in flat  # -raw: in drawing order
    png = built["root"] / "slip"
    subprocess.run([pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(png)], check=True)
    rendered = next(built["root"].glob("slip*.png"))
    assert rendered.stat().st_size > 5_000
    shutil.copy(rendered, built["root"] / "handover-page1.png")  # kept for a human look


def test_passphrases_are_not_in_the_database(built):
    demo = built["demo"]
    built["db"].dispose()  # checkpoint the WAL into the file
    raw = b"".join(p.read_bytes() for p in demo.db_path.parent.glob(demo.db_path.name + "*"))
    for row in built["rows"]:
        for form in (row["passphrase"], row["passphrase"].replace("-", "")):
            assert form.encode() not in raw
    with sqlite3.connect(demo.db_path) as c:
        audit = c.execute("select detail from audit_log where action = 'snapshots.build'").fetchall()
    assert len(audit) == 1 and all(r["passphrase"] not in audit[0][0] for r in built["rows"])
    assert (built["root"] / "passphrases.csv").stat().st_mode & 0o077 == 0


def test_every_snapshot_verifies_without_its_passphrase(built):
    keys = load_keys(built["root"] / "keys")
    for row in built["rows"]:
        m = read_manifest(built["out"] / row["file"], coordinator_key=keys.signing_public)
        assert m.digest == row["digest"] and m.coordinator_fingerprint == keys.fingerprint


def test_building_again_into_the_same_folder_is_refused(built, capsys):
    demo = built["demo"]
    code = main(["--lang", "en", "snapshots", "build", "--db", demo.db_url, "--out", str(built["out"]),
                 "--keys", str(built["root"] / "keys")])
    assert code == 1
    assert "already exist" in capsys.readouterr().err
    assert len(list(built["out"].glob("*.qbsnap"))) == len(built["rows"])


def test_cancel_removes_every_file_and_records_nothing(built, tmp_path):
    from qbdesk.services.snapshots import build_snapshots

    db = built["db"]
    keys = load_keys(built["root"] / "keys")
    ticks = []

    def progress(done, total, label):
        ticks.append((done, total, label))

    with db.sessions() as s:
        before = s.scalar(select(func.count()).select_from(Snapshot))
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    report = build_snapshots(db.sessions, built["demo"].round_id, tmp_path / "out", keys=keys, kdf_rounds=1,
                             passphrases_out=tmp_path / "p.csv", progress=progress, cancel=lambda: len(ticks) >= 45)
    assert report.cancelled and not report.snapshots
    assert list((tmp_path / "out").iterdir()) == [] and not (tmp_path / "p.csv").exists()
    assert len(ticks) == 45 and Counter(t[1] for t in ticks).most_common(1)[0][1] == 45  # one total throughout
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == before
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_cleaning_the_blind_pdfs_shows_progress_and_can_be_cancelled(built, tmp_path):
    """The build cleans every blind PDF before the first snapshot: each one a step of the same progress
    (labelled with its application and file, never an applicant), and a cancel there ends the build at once."""
    from qbdesk.services.snapshots import build_snapshots

    db = built["db"]
    keys = load_keys(built["root"] / "keys")
    with db.sessions() as s:
        pdfs = len({a.sha256 for a in s.scalars(select(Attachment).join(Application).where(
            Application.program.in_(select(ProgramConfig.program).where(ProgramConfig.blind)))) if a.blind})
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    assert pdfs > 2
    ticks = []
    # stopped at the first step after the cleaning (a snapshot's): nothing is written or recorded
    report = build_snapshots(db.sessions, built["demo"].round_id, tmp_path / "first", keys=keys, kdf_rounds=1,
                             progress=lambda *t: ticks.append(t),
                             cancel=lambda: bool(ticks) and not ticks[-1][2].startswith("PDF "))
    assert report.cancelled and not report.snapshots
    cleaning = [t for t in ticks if t[2].startswith("PDF ")]
    assert ticks[:len(cleaning)] == cleaning and len(ticks) > len(cleaning) >= pdfs - 1  # first, one per PDF
    assert [t[0] for t in ticks] == list(range(1, len(ticks) + 1)) and len({t[1] for t in ticks}) == 1
    assert ticks[0][1] > len(cleaning)  # one total: the cleaning and every snapshot's steps
    assert all(re.fullmatch(r"PDF 2026-P\d-\d{4}\S* .+\.pdf", t[2]) for t in cleaning), cleaning[:3]

    ticks.clear()
    report = build_snapshots(db.sessions, built["demo"].round_id, tmp_path / "out", keys=keys, kdf_rounds=1,
                             progress=lambda *t: ticks.append(t), cancel=lambda: len(ticks) >= 2)
    assert report.cancelled and not report.snapshots and len(ticks) == 2
    assert all(t[2].startswith("PDF ") for t in ticks)
    for out in (tmp_path / "first", tmp_path / "out"):
        assert not out.exists() or list(out.iterdir()) == []
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
