"""Importing score files: accepted, every rejection reason, duplicates, replays, re-submission, atomicity.

A small round (P3 with items, P8) is built once per module with real snapshots; every test
works on its own copy of that database. Score files are made with
``scorefile.write_score_file`` from what the decrypted snapshot says, as the reviewer's
workspace will; files the writer refuses to make (bad signature, broken edit log) are
sealed by hand from the format's documented parts.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import json
import multiprocessing
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from leak_pdfs import text_pdf
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from qbdesk.domain import credit_code
from qbdesk.domain.orgname import normalise_org
from qbdesk.domain.rubric import load_rubric_data
from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.formats.snapshot import SnapshotReader
from qbdesk.formats.snapshot_manifest import content_hash
from qbdesk.services.coordinator_keys import load_or_create_keys
from qbdesk.services.rounds import init_round
from qbdesk.services.score_checks import DECLARATION_SHA256
from qbdesk.services.scores import import_score_files, missing_scores
from qbdesk.services.snapshots import build_snapshots
from qbdesk.store.audit import verify_chain
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Attachment,
    AuditEntry,
    Blob,
    Conflict,
    Expert,
    Panel,
    PanelMember,
    Recusal,
    Round,
    ScoreFileRecord,
    ScoreSheet,
    Snapshot,
)
from qbdesk.store.score_sheets import count_values, value_rows

pytestmark = pytest.mark.postgresql

AT = "2026-03-01T09:00:00+08:00"
PDF = text_pdf(("blind test attachment",))  # a real PDF: snapshots build cleans it
PDF_SHA = hashlib.sha256(PDF).hexdigest()
# Package item ids; the second application's is a credit code, as applicants type them.
ITEM_IDS = (("C1", "C2"), ("91440304PD4WA4NG14",), ())


def _make_round(db) -> int:
    rid = init_round(db.sessions, name="测试批次", year=2026, programs=["P3", "P8"])
    rng = random.Random(5)
    with db.sessions.begin() as s:
        s.add(Blob(sha256=PDF_SHA, size=len(PDF), data=PDF))
        apps = []
        for i, (program, items) in enumerate([("P3", 2), ("P3", 1), ("P8", 0)]):
            name = f"深圳市第{i}测试科技有限公司"
            a = Applicant(credit_code=credit_code.generate(rng), name=name, normalized_name=normalise_org(name),
                          contact={"contact": "王五", "phone": "0755-26880000", "address": "深圳市南山区某路1号"})
            s.add(a)
            s.flush()
            app = Application(
                round_id=rid, external_id=f"2026-{program}-{i:04d}", program=program, year=2026, applicant_id=a.id,
                title=f"申报{i}", requested_amount=50_000, summary="摘要", package_digest="0" * 64,
                items=[{"id": ITEM_IDS[i][k], "kind": "certificate", "title": f"证书{k + 1}", "reference": "X-1"}
                       for k in range(items)],
                attachments=[Attachment(position=0, file="a.pdf", title="技术方案", blind=True,
                                        sha256=PDF_SHA, size=len(PDF))])
            s.add(app)
            apps.append(app)
        s.flush()
        panels = {p: Panel(round_id=rid, program=p) for p in ("P3", "P8")}
        s.add_all(panels.values())
        for ext in ("E01", "E02"):
            e = Expert(round_id=rid, external_id=ext, name=f"专家{ext}", organisation="某大学",
                       normalized_organisation="某大学", programs=["P3", "P8"])
            s.add(e)
            s.flush()
            for panel in panels.values():
                panel.members.append(PanelMember(expert_id=e.id))
            for app in apps if ext == "E01" else apps[:2]:
                s.add(Assignment(round_id=rid, expert_id=e.id, application_id=app.id, seed=0))
    return rid


def _build_template(root: Path, url: str):
    """The round, its snapshots and what each snapshot's meta says, in the database at ``url``."""
    db = open_database(url)
    rid = _make_round(db)
    keys = load_or_create_keys(root / "keys", kdf_rounds=1)  # TEST ONLY: cheap to unlock
    build_snapshots(db.sessions, rid, root / "snap", keys=keys, passphrases_out=root / "pp.csv",
                    rng=random.Random(1), kdf_rounds=1)
    metas, digests = {}, {}
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            with SnapshotReader(root / "snap" / row["file"], row["passphrase"]) as reader:
                metas[row["expert_id"]] = reader.meta
                digests[row["expert_id"]] = reader.manifest.digest
    db.dispose()
    return root, rid, keys, metas, digests


@pytest.fixture(scope="module")
def templates(tmp_path_factory, request):
    """Per backend, the round built once per module (on PostgreSQL a template database, dropped at the end)."""
    built: dict[str, tuple] = {}
    made: list = []

    def get(backend: str) -> tuple:
        if backend not in built:
            root = tmp_path_factory.mktemp(f"scores-{backend}")
            if backend == "sqlite":
                url = f"sqlite:///{root / 'round.sqlite'}"
            else:
                server = request.getfixturevalue("pg_server")
                name = server.create()
                made.append((server, name))
                url = server.url(name)
            built[backend] = (*_build_template(root, url), url)
        return built[backend]

    yield get
    for server, name in made:
        server.drop(name)


@pytest.fixture(scope="module")
def template(templates):
    return templates("sqlite")[:5]


@dataclass
class Env:
    db: Any
    rid: int
    keys: Any
    metas: dict[str, dict]
    digests: dict[str, str]
    tmp: Path
    expert_keys: dict[str, Ed25519PrivateKey]
    url: str = ""
    copy_to: Any = None  # () -> the URL of a new database holding what this one holds now

    def payload(self, expert: str = "E01", *, sequence: int = 1, recuse: tuple[str, ...] = (),
                share: dict[str, float] | None = None) -> dict:
        """A complete, valid score.json for ``expert``: what a finalised workspace produces
        (every score at 70 % of its maximum, or at ``share[code]`` with a reason, as extremes need)."""
        meta = self.metas[expert]
        key = self.expert_keys.setdefault(expert, Ed25519PrivateKey.generate())
        line = sshsig.public_key_openssh(key.public_key())
        rubrics = {h: load_rubric_data(c, "test") for h, c in meta["rubrics"].items()}
        scores, recusals, log, declared = [], [], [], {}
        for app in meta["applications"]:
            code = app["code"]
            if code in recuse:
                recusals.append({"application": code, "reason": "曾为该单位提供咨询服务"})
                continue
            declared[code] = app["rubric"]
            for c in rubrics[app["rubric"]].criteria:
                if c.kind == "score":
                    rows = [("", round(c.max * (share or {}).get(code, 0.7) / c.step) * c.step)]
                elif c.kind == "check":
                    rows = [("", True)]
                elif c.kind == "items":
                    rows = [(i["id"], {"accepted": True, "reason": ""}) for i in app["items"]]
                else:
                    rows = [("", "材料齐全，论证充分，" * (c.min_length // 5 + 1))]
                for item, value in rows:
                    why = "评分理由：见申报材料" if share and code in share and not item and c.kind == "score" else ""
                    row = {"application": code, "criterion": c.id, "item": item, "value": value, "comment": why}
                    scores.append(row)
                    sf.append_edit(log, row, AT)
        return {
            "format": sf.FORMAT, "round": {"id": self.rid, "year": 2026}, "snapshot_id": meta["snapshot_id"],
            "snapshot_digest": self.digests[expert], "expert_id": meta["expert"]["id"], "sequence": sequence,
            "created_at": "2026-03-02T01:00:00+00:00", "expert_key": line,
            "key_binding": sf.key_binding(bytes.fromhex(meta["binding_secret"]), line), "rubrics": declared,
            "declaration": {"accepted": True, "at": AT, "text_sha256": DECLARATION_SHA256, "conflicts_declared": ""},
            "scores": scores, "recusals": recusals, "edit_log": log, "log_head": sf.log_head(log),
            "blind_content": {a["code"]: content_hash(bytes.fromhex(meta["binding_secret"]), a)
                              for a in meta["applications"]},
        }

    def write(self, payload: dict, name: str = "s.qbscore", *, expert: str = "E01", key=None) -> Path:
        path = self.tmp / name
        sf.write_score_file(path, payload, expert_key=key or self.expert_keys[expert],
                            receiving_recipient=self.keys.receiving_recipient)
        return path

    def seal(self, payload: dict, name: str, *, sign_with: Ed25519PrivateKey) -> Path:
        """A score file built by hand from the format's parts, past the writer's own checks."""
        raw = sf.canonical_json(payload)
        sig = sshsig.sign(sign_with, raw, sshsig.SCORE_NAMESPACE)
        import pyrage

        plain = sf._zip(raw, sig.encode("ascii"))
        path = self.tmp / name
        path.write_bytes(pyrage.encrypt(plain, [pyrage.x25519.Recipient.from_str(self.keys.receiving_recipient)]))
        return path

    def run(self, *paths: Path, keys=None):
        return import_score_files(self.db.sessions, self.rid, paths, keys=keys or self.keys)

    def values(self, *where) -> int:
        """How many score values the sheets hold (``where``: conditions on ScoreSheet)."""
        with self.db.sessions() as s:
            return count_values(s, *where)

    def count(self, model, *where) -> int:
        with self.db.sessions() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _copier(url: str, tmp: Path, request):
    """How to copy the test's database as it stands: the SQLite file, or a PostgreSQL database made
    from it as a template (which takes no other connection meanwhile)."""
    if url.startswith("sqlite"):
        def copy_sqlite(db) -> str:
            dest = tmp / f"copy-{len(list(tmp.glob('copy-*.sqlite')))}.sqlite"
            shutil.copy(make_url(url).database, dest)
            return f"sqlite:///{dest}"
        return copy_sqlite
    server = request.getfixturevalue("pg_server")

    def copy_pg(db) -> str:
        db.dispose()
        name = server.create(template=make_url(url).database)
        request.addfinalizer(lambda: server.drop(name))
        return server.url(name)
    return copy_pg


@pytest.fixture
def env(templates, db_url, tmp_path, request):
    """The module's round in this test's own database (``db_url``: SQLite or PostgreSQL)."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    root, rid, keys, metas, digests, source = templates(backend)
    if backend == "sqlite":
        shutil.copy(make_url(source).database, make_url(db_url).database)
    else:
        server = request.getfixturevalue("pg_server")
        name = make_url(db_url).database
        server.drop(name)
        server.create(template=make_url(source).database, name=name)
    db = open_database(db_url)
    yield Env(db, rid, keys, metas, digests, tmp_path, {}, db_url, _copier(db_url, tmp_path, request))
    db.dispose()


def rejected(report, code: str, text_en: str, text_zh: str):
    (line,) = report.lines
    assert line.status == "rejected" and line.reason == code, line.text("en")
    assert text_en in line.msg.en and text_zh in line.msg.zh, line.text("en")
    assert not report.ok
    return line


def nothing_imported(env: Env) -> None:
    assert env.count(ScoreFileRecord) == 0 and env.values() == 0 and env.count(Recusal) == 0


# --- accepted ---------------------------------------------------------------------------------------


def test_valid_file_is_accepted_and_merged(env):
    path = env.write(env.payload())
    report = env.run(path)
    (line,) = report.lines
    assert report.ok and line.status == "accepted", line.text("en")
    n_scores = len(env.payload()["scores"])
    assert line.scores == n_scores == env.values()
    with env.db.sessions() as s:
        rec = s.scalars(select(ScoreFileRecord)).one()
        assert rec.content == path.read_bytes()  # the file itself is kept, for audit
        assert rec.status == "accepted" and rec.sequence == 1 and rec.snapshot_id == env.metas["E01"]["snapshot_id"]
        assert rec.key_fingerprint == sshsig.fingerprint(env.expert_keys["E01"].public_key())
        # scores land on the real applications, not on the codes
        snap = s.get(Snapshot, rec.snapshot_id)
        assert set(s.scalars(select(ScoreSheet.application_id))) == set(snap.codes.values())
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "scores.import")).all()
        assert [e.detail["digest"] for e in entries] == [line.digest]
        assert verify_chain(s) == []
        # E02 has sent nothing: all its assignments are missing; E01's are all covered
        missing = missing_scores(s, env.rid)
    assert {m.expert_external_id for m in missing} == {"E02"} and len(missing) == 2


def test_recusal_is_recorded_and_counts_as_covered(env):
    code = env.metas["E01"]["applications"][0]["code"]
    report = env.run(env.write(env.payload(recuse=(code,))))
    assert report.ok, report.lines[0].text("en")
    assert report.lines[0].recusals == 1
    with env.db.sessions() as s:
        rec = s.scalars(select(Recusal)).one()
        assert rec.reason == "曾为该单位提供咨询服务"
        conflict = s.scalars(select(Conflict).where(Conflict.source == "recusal")).one()
        assert conflict.application_id == rec.application_id
        assert [m for m in missing_scores(s, env.rid) if m.expert_external_id == "E01"] == []


# --- rejections, each its own reason ---------------------------------------------------------------


def test_bad_signature_is_rejected(env):
    path = env.seal(env.payload(), "forged.qbscore", sign_with=Ed25519PrivateKey.generate())
    rejected(env.run(path), "bad_signature", "signature does not verify", "签名校验失败")
    nothing_imported(env)


def test_any_changed_byte_is_rejected(env):
    path = env.write(env.payload())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    (line,) = env.run(path).lines
    assert line.status == "rejected" and line.reason in ("corrupt", "cannot_decrypt"), line.text("en")
    nothing_imported(env)


def test_file_for_another_coordinator_cannot_be_decrypted(env, tmp_path):
    other = load_or_create_keys(tmp_path / "other-keys", kdf_rounds=1)
    rejected(env.run(env.write(env.payload()), keys=other), "cannot_decrypt", "not encrypted to this coordinator",
             "不是加密给本评审组织方")


def test_file_made_for_another_round_is_rejected(env):
    payload = env.payload()
    payload["round"] = {"id": env.rid + 1, "year": 2026}
    rejected(env.run(env.write(payload)), "other_round", "made for another round", "另一评审批次")
    nothing_imported(env)


def test_unknown_snapshot_is_rejected(env):
    payload = env.payload()
    payload["snapshot_id"] = "00000000-0000-4000-8000-000000000000"
    rejected(env.run(env.write(payload)), "unknown_snapshot", "unknown snapshot", "未知快照")


def test_snapshot_of_another_round_is_rejected(env):
    with env.db.sessions.begin() as s:
        other = Round(name="另一批次", year=2026, settings={})
        s.add(other)
        s.flush()
        e = Expert(round_id=other.id, external_id="E01", name="x", organisation="y", normalized_organisation="y")
        s.add(e)
        s.flush()
        s.add(Snapshot(id="foreign-snapshot", round_id=other.id, expert_id=e.id, digest="f" * 64,
                       binding_secret="00" * 32, codes={}, coordinator_fingerprint="x", file_name="x.qbsnap"))
    payload = env.payload()
    payload["snapshot_id"] = "foreign-snapshot"
    rejected(env.run(env.write(payload)), "other_round", "belongs to another round", "属于另一评审批次")


def test_snapshot_of_another_expert_is_rejected(env):
    payload = env.payload("E01")
    payload["expert_id"] = "E02"
    rejected(env.run(env.write(payload)), "other_expert", "was built for E01", "是为专家 E01 生成的")
    nothing_imported(env)


def test_snapshot_digest_mismatch_is_rejected(env):
    payload = env.payload()
    payload["snapshot_digest"] = "a" * 64
    rejected(env.run(env.write(payload)), "snapshot_digest", "snapshot digest mismatch", "快照摘要不符")


def test_key_not_bound_to_the_snapshot_is_rejected(env):
    """A key bound with E02's secret (or made up) does not pass as E01's."""
    payload = env.payload("E01")
    payload["key_binding"] = sf.key_binding(bytes.fromhex(env.metas["E02"]["binding_secret"]), payload["expert_key"])
    rejected(env.run(env.write(payload)), "key_not_bound", "not bound to this expert's snapshot", "未与该专家的快照绑定")


def test_another_experts_key_in_place_of_the_bound_one_is_rejected(env):
    """E02 signs a file claiming to be E01, keeping E01's binding: the binding is of E01's key, not E02's."""
    good = env.payload("E01")
    thief = Ed25519PrivateKey.generate()
    forged = dict(good, expert_key=sshsig.public_key_openssh(thief.public_key()))
    rejected(env.run(env.write(forged, key=thief)), "key_not_bound", "key_binding does not verify", "key_binding 校验失败")


def test_score_for_a_code_not_in_the_snapshot_is_rejected(env):
    payload = env.payload("E02")
    e01_only = env.metas["E01"]["applications"]
    foreign = next(a for a in e01_only if a["code"] not in {x["code"] for x in env.metas["E02"]["applications"]})
    row = dict(payload["scores"][0], application=foreign["code"])
    payload["scores"].append(row)
    payload["rubrics"][foreign["code"]] = payload["rubrics"][payload["scores"][0]["application"]]
    rejected(env.run(env.write(payload, expert="E02")), "unknown_application", "not in this expert's snapshot",
             "不在该专家的快照中")


def test_criterion_not_in_the_rubric_is_rejected(env):
    payload = env.payload()
    payload["scores"].append(dict(payload["scores"][0], criterion="charisma"))
    rejected(env.run(env.write(payload)), "unknown_criterion", "has no criterion charisma", "没有评分项 charisma")


def test_value_failing_the_rubric_is_rejected(env):
    payload = env.payload()
    row = next(r for r in payload["scores"] if isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool))
    row["value"] = 10_000
    rejected(env.run(env.write(payload)), "invalid_value", "is outside 0–", "超出 0–")
    nothing_imported(env)


def test_missing_required_criterion_is_rejected(env):
    payload = env.payload()
    dropped = payload["scores"].pop(0)
    rejected(env.run(env.write(payload)), "incomplete", "is not filled in yet", "尚未填写")
    assert dropped["criterion"]


def test_rubric_hash_mismatch_is_rejected(env):
    payload = env.payload()
    code = next(iter(payload["rubrics"]))
    payload["rubrics"][code] = "b" * 64
    rejected(env.run(env.write(payload)), "rubric_mismatch", "was scored against rubric bbbbbbbbbbbb", "评分细则摘要")


def test_broken_edit_log_chain_is_rejected(env):
    payload = env.payload()
    payload["edit_log"][1]["value"] = "changed after the fact"  # its hash no longer matches
    path = env.seal(payload, "edited.qbscore", sign_with=env.expert_keys["E01"])
    line = rejected(env.run(path), "malformed", "edit_log[1]", "edit_log[1]")
    assert "hash" in line.msg.en
    nothing_imported(env)


def test_declaration_not_accepted_is_rejected(env):
    payload = env.payload()
    payload["declaration"]["accepted"] = False
    rejected(env.run(env.write(payload)), "declaration", "did not accept the declaration", "未签署承诺书")


def test_declaration_of_another_text_is_rejected(env):
    payload = env.payload()
    payload["declaration"]["text_sha256"] = "ab" * 32
    rejected(env.run(env.write(payload)), "declaration_text", "not the text the snapshot carried", "承诺书文本")


def test_recused_application_that_is_also_scored_is_rejected(env):
    payload = env.payload()
    payload["recusals"].append({"application": payload["scores"][0]["application"], "reason": "亲属任职"})
    rejected(env.run(env.write(payload)), "recused_and_scored", "is recused, yet scored", "已回避，却又有评分")


# --- duplicates, replays, re-submission ------------------------------------------------------------


def test_duplicate_is_reported_and_changes_nothing(env):
    path = env.write(env.payload())
    assert env.run(path).ok
    copy_ = env.tmp / "copy.qbscore"
    copy_.write_bytes(path.read_bytes())
    before = (env.count(ScoreFileRecord), env.values(), env.count(AuditEntry))
    report = env.run(copy_)
    (line,) = report.lines
    assert line.status == "duplicate" and "same digest" in line.msg.en and "摘要相同" in line.msg.zh
    assert report.ok  # a duplicate is not a failure: there is nothing to do
    assert (env.count(ScoreFileRecord), env.values(), env.count(AuditEntry)) == before


def test_re_encrypted_copy_is_still_a_duplicate(env):
    """The digest is of score.json: encrypting the same content again does not make it new."""
    payload = env.payload()
    first = env.write(payload, "a.qbscore")
    second = env.write(payload, "b.qbscore")
    assert first.read_bytes() != second.read_bytes()
    report = env.run(first, second)
    assert [line.status for line in report.lines] == ["accepted", "duplicate"]


def test_resubmission_replaces_the_earlier_file_and_audit_keeps_both(env):
    first = env.run(env.write(env.payload(sequence=1), "1.qbscore")).lines[0]
    code = env.metas["E01"]["applications"][1]["code"]
    second = env.run(env.write(env.payload(sequence=2, recuse=(code,)), "2.qbscore")).lines[0]
    assert first.status == second.status == "accepted"
    assert second.superseded == first.digest
    with env.db.sessions() as s:
        records = {r.sequence: r for r in s.scalars(select(ScoreFileRecord))}
        assert records[1].status == "superseded" and records[2].status == "accepted"
        assert records[1].content  # the earlier file itself is kept
        assert set(s.scalars(select(ScoreSheet.score_file_id))) == {records[2].id}  # only the new scores count
        assert s.scalar(select(func.count()).select_from(Recusal)) == 1
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "scores.import").order_by(AuditEntry.id)).all()
        assert [e.detail["digest"] for e in entries] == [first.digest, second.digest]
        assert entries[1].detail["supersedes"] == [first.digest]
        assert verify_chain(s) == []


def test_resubmission_with_another_bound_key_is_accepted_with_a_note(env):
    assert env.run(env.write(env.payload(sequence=1), "1.qbscore")).ok
    env.expert_keys["E01"] = Ed25519PrivateKey.generate()  # the snapshot opened again on another laptop
    (line,) = env.run(env.write(env.payload(sequence=2), "2.qbscore")).lines
    assert line.status == "accepted" and "signed by another key" in line.msg.en and "签名密钥与此前的文件不同" in line.msg.zh


def test_older_sequence_after_a_newer_one_is_a_replay(env):
    old = env.write(env.payload(sequence=1), "1.qbscore")
    new = env.write(env.payload(sequence=2), "2.qbscore")
    assert env.run(new).ok
    line = rejected(env.run(old), "replay", "not newer than sequence 2", "不新于已导入的序号 2")
    assert line.sequence == 1
    with env.db.sessions() as s:
        assert [r.sequence for r in s.scalars(select(ScoreFileRecord))] == [2]


def test_same_sequence_with_different_content_is_a_replay(env):
    assert env.run(env.write(env.payload(sequence=3), "a.qbscore")).ok
    payload = env.payload(sequence=3)
    payload["created_at"] = "2026-03-03T01:00:00+00:00"
    rejected(env.run(env.write(payload, "b.qbscore")), "replay", "not newer", "不新于")


# --- nothing half-imported -------------------------------------------------------------------------


def test_one_bad_score_among_many_changes_nothing(env):
    payload = env.payload()
    payload["scores"][-1]["value"] = -1 if isinstance(payload["scores"][-1]["value"], (int, float)) else 42
    report = env.run(env.write(payload))
    assert report.lines[0].status == "rejected"
    nothing_imported(env)
    assert env.count(AuditEntry, AuditEntry.action == "scores.import") == 0
    assert env.count(AuditEntry, AuditEntry.action == "scores.rejected") == 1  # the attempt is on record


def test_good_and_bad_files_in_one_batch(env):
    bad = env.payload("E02")
    bad["round"] = {"id": env.rid + 7, "year": 2026}
    report = env.run(env.write(bad, "bad.qbscore", expert="E02"), env.write(env.payload("E01"), "good.qbscore"))
    assert [line.status for line in report.lines] == ["rejected", "accepted"]
    assert not report.ok
    with env.db.sessions() as s:
        assert {r.expert_id for r in s.scalars(select(ScoreFileRecord))} == {
            s.scalar(select(Expert.id).where(Expert.external_id == "E01"))}


def test_folder_argument_imports_every_score_file_in_it(env):
    folder = env.tmp / "usb"
    folder.mkdir()
    env.write(env.payload("E01"), "usb/E01.qbscore")
    env.write(env.payload("E02"), "usb/E02.qbscore", expert="E02")
    (folder / "notes.txt").write_text("not a score file")
    report = env.run(folder)
    assert [line.path.name for line in report.lines] == ["E01.qbscore", "E02.qbscore"]
    assert report.ok
    with env.db.sessions() as s:
        assert missing_scores(s, env.rid) == []


def test_unreadable_and_foreign_files_are_rejected_cleanly(env):
    pdf = env.tmp / "scan.qbscore"
    pdf.write_bytes(b"%PDF-1.7\n")
    report = env.run(pdf, env.tmp / "missing.qbscore")
    assert [line.reason for line in report.lines] == ["not_a_score_file", "unreadable"]


# --- a batch read in worker processes ends as a serial one -----------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_batch_read_in_workers_ends_exactly_as_read_serially(env, tmp_path, monkeypatch):
    import qbdesk.services.score_reading as score_reading

    good = env.write(env.payload("E01", sequence=2), "1-good.qbscore")
    other_round = env.payload("E02")
    other_round["round"] = {"id": env.rid + 7, "year": 2026}
    forged = env.payload("E02")
    batch = [
        good,
        env.write(other_round, "2-other-round.qbscore", expert="E02"),
        env.seal(forged, "3-forged.qbscore", sign_with=Ed25519PrivateKey.generate()),
        env.tmp / "4-missing.qbscore",
        good,  # the same file again: a duplicate
        env.write(env.payload("E01", sequence=1), "5-replay.qbscore"),
        env.write(env.payload("E02"), "6-good.qbscore", expert="E02"),
    ]
    pools = []
    real_start = score_reading._start_pool
    # What this test compares is the workers' result with the serial one, so it forks even when an
    # earlier GUI test in this process left a Qt pool thread registered with `threading` (the
    # import itself rightly reads serially then).
    monkeypatch.setattr(score_reading, "_fork_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(score_reading, "_start_pool", lambda workers, reader: pools.append(real_start(workers, reader)) or pools[-1])
    serial_url = env.copy_to(env.db)
    parallel = import_score_files(env.db.sessions, env.rid, batch, keys=env.keys, workers=2)
    assert len(pools) == 1 and pools[0] is not None  # the workers did read the files
    db = open_database(serial_url)
    try:
        serial = import_score_files(db.sessions, env.rid, batch, keys=env.keys, workers=0)
        assert len(pools) == 1
        with db.sessions() as s:
            serial_scores = [r[:1] + r[2:6] for r in value_rows(s)]
    finally:
        db.dispose()
    assert [line.status for line in parallel.lines] == [
        "accepted", "rejected", "rejected", "rejected", "duplicate", "rejected", "accepted"]
    assert [line.reason for line in parallel.lines if line.reason] == [
        "other_round", "bad_signature", "unreadable", "replay"]
    def same(lines):  # a duplicate's message names when the first copy came, to the minute
        return [dataclasses.replace(line, msg=None) if line.status == "duplicate" else line for line in lines]

    assert same(parallel.lines) == same(serial.lines)
    with env.db.sessions() as s:
        assert [r[:1] + r[2:6] for r in value_rows(s)] == serial_scores


def test_small_batches_are_read_here(env, monkeypatch):
    import qbdesk.services.score_reading as score_reading

    monkeypatch.setattr(score_reading, "_start_pool", lambda workers, reader: pytest.fail("no workers for a few files"))
    paths = [env.write(env.payload("E01"), "a.qbscore"), env.write(env.payload("E02"), "b.qbscore", expert="E02")]
    assert env.run(*paths).ok


# --- the migration that added score_file.snapshot_id kept existing rows ----------------------------


def test_migration_0002_keeps_existing_score_rows(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from qbdesk.store.engine import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as c:
        c.execute(text("insert into round (id,name,year,created_at,settings) values (1,'r',2026,'2026-01-01','{}')"))
        c.execute(text("insert into applicant (id,credit_code,name,normalized_name,contact) values (1,'x','a','a','{}')"))
        c.execute(text("insert into application (id,round_id,external_id,program,year,applicant_id,title,"
                       "requested_amount,summary,items,package_digest,imported_at) "
                       "values (1,1,'a','P1',2026,1,'t',1,'','[]','0','2026-01-01')"))
        c.execute(text("insert into expert (id,round_id,external_id,name,organisation,normalized_organisation,title,"
                       "phone,programs,declared_conflicts) values (1,1,'E1','n','o','o','','','[]','[]')"))
        c.execute(text("insert into score_file (id,round_id,expert_id,digest,sequence,key_fingerprint,status,"
                       "received_at,content) values (1,1,1,'d',1,'f','accepted','2026-01-01',x'00')"))
        c.execute(text("insert into score (id,score_file_id,expert_id,application_id,criterion,item,value,comment) "
                       "values (1,1,1,1,'c','','1','')"))
        c.execute(text("insert into recusal (id,score_file_id,expert_id,application_id,reason) values (1,1,1,1,'r')"))
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as c:
        assert c.execute(text("select count(*) from score")).scalar() == 1
        assert c.execute(text("select count(*) from recusal")).scalar() == 1
        assert c.execute(text("select snapshot_id from score_file")).scalar() is None
    engine.dispose()


# --- the CLI: scores import and verify ---------------------------------------------------------------


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    from qbdesk.cli.main import main

    code = main(["--lang", "en", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_scores_import_exit_codes(env, capsys):
    url = env.url
    keys = str(env.keys.directory)
    good = env.write(env.payload(), "good.qbscore")
    code, out, _ = cli(capsys, "scores", "import", "--db", url, "--keys", keys, str(good))
    assert code == 0 and "1 accepted" in out and "E02" in out  # E02's scores are still missing
    code, out, _ = cli(capsys, "scores", "import", "--db", url, "--keys", keys, str(good))
    assert code == 0 and "1 duplicate" in out  # nothing to do is not a failure
    bad = env.payload("E02")
    bad["snapshot_digest"] = "c" * 64
    code, out, _ = cli(capsys, "scores", "import", "--db", url, "--keys", keys, str(env.write(bad, "bad.qbscore", expert="E02")))
    assert code == 1 and "snapshot digest mismatch" in out and "1 rejected" in out


def test_cli_scores_import_without_keys_is_a_clear_error(env, capsys, tmp_path):
    url = env.url
    code, _, err = cli(capsys, "scores", "import", "--db", url, "--keys", str(tmp_path / "none"), str(tmp_path / "x.qbscore"))
    assert code == 1 and "no coordinator keys" in err
    assert not (tmp_path / "none").exists()  # never created on import


def _flip(src: Path, dest: Path, at: float = 0.5) -> Path:
    data = bytearray(src.read_bytes())
    data[int(len(data) * at)] ^= 0x40
    dest.write_bytes(bytes(data))
    return dest


def test_cli_verify_snapshots(template, capsys, tmp_path, monkeypatch):
    import qbdesk.services.coordinator_keys as ck

    monkeypatch.setattr(ck, "default_key_dir", lambda: tmp_path / "no-keys")
    root, _, keys, _, digests = template
    snap = next((root / "snap").glob("R*-E01.qbsnap"))
    code, out, _ = cli(capsys, "verify", str(snap))
    assert code == 0 and "intact" in out and "E01" in out and digests["E01"][:4] in out
    code, out, _ = cli(capsys, "verify", str(snap), "--keys", str(keys.directory))
    assert code == 0 and "signed by this computer's coordinator key" in out
    code, out, _ = cli(capsys, "verify", str(_flip(snap, tmp_path / "flipped.qbsnap", 0.3)))
    assert code == 1 and "NOT intact" in out
    cut = tmp_path / "cut.qbsnap"
    cut.write_bytes(snap.read_bytes()[: snap.stat().st_size // 2])
    code, out, _ = cli(capsys, "verify", str(cut))
    assert code == 1 and "truncated" in out


def test_cli_verify_score_files(env, capsys, tmp_path, monkeypatch):
    import qbdesk.services.coordinator_keys as ck

    monkeypatch.setattr(ck, "default_key_dir", lambda: tmp_path / "no-keys")
    path = env.write(env.payload(), "E01.qbscore")
    keys = str(env.keys.directory)
    code, out, _ = cli(capsys, "verify", str(path), "--keys", keys)
    fp = sshsig.fingerprint(env.expert_keys["E01"].public_key())
    assert code == 0 and "intact" in out and fp in out and "E01" in out
    code, out, _ = cli(capsys, "verify", str(path))
    assert code == 1 and "only the coordinator's receiving key opens this file" in out and "cannot be verified" in out
    code, out, _ = cli(capsys, "verify", str(_flip(path, tmp_path / "f.qbscore", 0.9)), "--keys", keys)
    assert code == 1 and "NOT intact" in out


def test_cli_verify_packages_rubrics_and_strangers(capsys, tmp_path, monkeypatch):
    import qbdesk.services.coordinator_keys as ck
    from qbdesk.formats.package import write_package

    monkeypatch.setattr(ck, "default_key_dir", lambda: tmp_path / "no-keys")
    manifest = {
        "format": "qbdesk.application/1", "id": "2026-P2-0001", "program": "P2", "year": 2025,
        "applicant": {"name": "深圳市测试有限公司", "credit_code": credit_code.generate(random.Random(3)),
                      "contact": "李四", "phone": "0755-26880000", "address": "深圳市福田区某路2号"},
        "title": "某技术攻关", "requested_amount": 300000, "summary": "摘要", "items": [],
        "attachments": [{"file": "plan.pdf", "title": "技术方案", "blind": True}],
    }
    folder = write_package(tmp_path / "pkg", manifest, {"plan.pdf": PDF})
    code, out, _ = cli(capsys, "verify", str(folder))
    assert code == 0 and "2026-P2-0001" in out and "P2 (2025)" in out and "intact" in out
    zipped = write_package(tmp_path / "pkgzip", manifest, {"plan.pdf": PDF}, as_zip=True)
    assert cli(capsys, "verify", str(zipped))[0] == 0
    (folder / "plan.pdf").write_bytes(b"not a pdf")
    code, out, _ = cli(capsys, "verify", str(folder))
    assert code == 1 and "NOT intact" in out

    from qbdesk.paths import resource_path

    code, out, _ = cli(capsys, "verify", str(resource_path("rubrics", "P8.json")))
    assert code == 0 and "valid" in out and "P8" in out
    broken = tmp_path / "rubric.json"
    data = json.loads(resource_path("rubrics", "P8.json").read_text(encoding="utf-8"))
    data["total"] = 999
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, _ = cli(capsys, "verify", str(broken))
    assert code == 1 and "total" in out

    stranger = tmp_path / "notes.txt"
    stranger.write_text("hello")
    code, out, _ = cli(capsys, "verify", str(stranger))
    assert code == 1 and "not a qbdesk file" in out


# --- the coordinator's keys --------------------------------------------------------------------------


def test_coordinator_keys_are_created_once_with_private_modes(tmp_path, monkeypatch, need_tool):
    from qbdesk.services.coordinator_keys import PASSPHRASE_ENV, load_keys

    monkeypatch.setenv(PASSPHRASE_ENV, "office pc passphrase 2026")
    folder = tmp_path / "keys"
    first = load_or_create_keys(folder)
    assert first.created and first.encrypted
    again = load_or_create_keys(folder)
    assert not again.created and again.fingerprint == first.fingerprint
    assert again.receiving_recipient == first.receiving_recipient and again.receiving_recipient.startswith("age1")
    for name in ("signing_ed25519", "receiving.agekey"):
        assert (folder / name).stat().st_mode & 0o077 == 0, name
    assert (folder / "signing_ed25519.pub").read_text().startswith("ssh-ed25519 ")
    # the stock tool reads the signing key and agrees on its fingerprint
    import subprocess

    out = subprocess.run([need_tool("ssh-keygen"), "-l", "-f", str(folder / "signing_ed25519.pub")],
                         capture_output=True, text=True, check=True).stdout
    assert first.fingerprint in out
    assert load_keys(folder).fingerprint == first.fingerprint


def test_coordinator_signing_key_with_passphrase(tmp_path, monkeypatch):
    from qbdesk.services.coordinator_keys import PASSPHRASE_ENV, CoordinatorKeyError, load_keys

    monkeypatch.setenv(PASSPHRASE_ENV, "office pc passphrase 2026")
    keys = load_or_create_keys(tmp_path / "keys")
    assert keys.encrypted
    assert b"bcrypt" in base64.b64decode(
        b"".join((tmp_path / "keys" / "signing_ed25519").read_bytes().splitlines()[1:-1]))
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(CoordinatorKeyError) as e:
        load_keys(tmp_path / "keys")
    assert e.value.reason == "passphrase" and PASSPHRASE_ENV in e.value.msg.en
    with pytest.raises(CoordinatorKeyError) as e:
        load_keys(tmp_path / "keys", passphrase="not the passphrase")
    assert e.value.reason == "passphrase"
    assert load_keys(tmp_path / "keys", passphrase="office pc passphrase 2026").fingerprint == keys.fingerprint
    # decrypting score files needs no signing passphrase: the signing key simply stays locked
    locked = load_keys(tmp_path / "keys", signing=False)
    assert locked.signing_key is None and locked.fingerprint == keys.fingerprint
    assert locked.receiving_identity == keys.receiving_identity
    with pytest.raises(CoordinatorKeyError):
        locked.require_signing_key()


def test_incomplete_key_folder_is_refused_not_completed(tmp_path):
    from qbdesk.services.coordinator_keys import CoordinatorKeyError

    folder = tmp_path / "keys"
    load_or_create_keys(folder)
    (folder / "receiving.agekey").unlink()
    with pytest.raises(CoordinatorKeyError) as e:
        load_or_create_keys(folder)
    assert e.value.reason == "incomplete" and "receiving.agekey" in e.value.msg.en
    assert not (folder / "receiving.agekey").exists()


def test_a_file_larger_than_the_rounds_snapshots_can_hold_is_refused_before_decryption(env, monkeypatch):
    """Issue 7, item 6: anyone can seal a file to the receiving key; its size alone is judged
    first, against what the round's largest snapshot (applications × criteria) can hold."""
    with env.db.sessions() as s:
        from qbdesk.services.scores import RoundContext

        cap = RoundContext(s, env.rid).capacity(s)
    assert cap < 4 * 1024 * 1024  # three applications: far below the format's 48 MB ceiling
    payload = {"pad": "x" * (cap + 256 * 1024)}  # signed, sparse: only its size is wrong
    path = env.seal(payload, "huge.qbscore", sign_with=Ed25519PrivateKey.generate())
    decrypted = []
    monkeypatch.setattr(sf.pyrage, "decrypt_io", lambda *a: decrypted.append(a))
    line = rejected(env.run(path), "too_large", "this round's snapshots hold at most", "本批次的快照能容纳的评分至多")
    assert decrypted == [] and line.digest is None
    nothing_imported(env)
    monkeypatch.undo()
    assert env.run(env.write(env.payload())).ok  # an honest file of the same round still goes in


def test_a_file_just_over_the_bound_is_refused_from_its_entry_size(env):
    """Within the file-size slack (header, signature, zip framing), the declared size of
    score.json inside the decrypted zip is judged before the entry is read."""
    with env.db.sessions() as s:
        from qbdesk.services.scores import RoundContext

        cap = RoundContext(s, env.rid).capacity(s)
    path = env.seal({"pad": "x" * (cap + 10)}, "over.qbscore", sign_with=Ed25519PrivateKey.generate())
    rejected(env.run(path), "too_large", "this round's snapshots can hold", "本批次的快照能容纳的评分")
    nothing_imported(env)


# --- two coordinators importing into the same round at once -----------------------------------------

_AT_ONCE = """\
import sys, time
from pathlib import Path
from qbdesk.cli.main import main  # the imports done, wait for the other process: start together
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
sys.exit(main(sys.argv[2:]))
"""


def _import_at_once(env: Env, *batches: list[Path]) -> list[dict[str, list[str]]]:
    """``qbdesk scores import`` in one process per batch, all let go at the same moment; per process,
    the files it reported accepted, duplicate and rejected (by name)."""
    import re
    import subprocess
    import time

    go = env.tmp / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _AT_ONCE, str(go), "--lang", "en", "scores", "import",
                               "--db", env.url, "--keys", str(env.keys.directory), *map(str, batch)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for batch in batches]
    time.sleep(1.5)  # both have imported qbdesk and wait
    go.touch()
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), f"exit {p.returncode}\n{out}\n{err}"
        assert "Traceback" not in err, err
        found: dict[str, list[str]] = {"accepted": [], "duplicate": [], "rejected": []}
        for status, path in re.findall(r"^(accepted|duplicate|rejected)  (\S+)", out, re.M):
            found[status].append(Path(path).name)
        assert sum(map(len, found.values())) == len(batches[len(outcomes)]), out
        outcomes.append(found | {"out": out})
    return outcomes


def test_two_coordinators_importing_the_same_files_at_once_neither_lose_nor_duplicate_one(env):
    files = [env.write(env.payload("E01"), "E01.qbscore"), env.write(env.payload("E02"), "E02.qbscore", expert="E02")]
    # Re-encrypted copies of each: the same score digest, so the same file, but each costs a decryption.
    for n in range(3):
        for e in ("E01", "E02"):
            shutil.copy(files[e == "E02"], env.tmp / f"{e}-copy{n}.qbscore")
    a = sorted(env.tmp.glob("*.qbscore"))
    b = list(reversed(a))
    first, second = _import_at_once(env, a, b)
    for found in (first, second):
        assert found["rejected"] == [], found["out"]
    accepted = first["accepted"] + second["accepted"]
    assert sorted(name[:3] for name in accepted) == ["E01", "E02"], (first["out"], second["out"])  # each once
    assert len(first["duplicate"]) + len(second["duplicate"]) == 2 * len(a) - 2
    with env.db.sessions() as s:
        records = s.scalars(select(ScoreFileRecord)).all()
        assert sorted(r.status for r in records) == ["accepted", "accepted"]
        assert len({r.expert_id for r in records}) == 2
        single = sum(len(env.payload(e)["scores"]) for e in ("E01", "E02"))
        assert count_values(s) == single
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "scores.import")) == 2
        assert verify_chain(s) == []


def test_two_coordinators_importing_resubmissions_at_once_keep_exactly_the_newest(env):
    """Each process offers every sequence of both experts, one in order and one in reverse: whatever the
    interleaving, each expert ends with exactly one file in force, the newest, and its scores once."""
    files = [env.write(env.payload(e, sequence=n), f"{e}-{n}.qbscore", expert=e)
             for e in ("E01", "E02") for n in (1, 2, 3)]
    first, second = _import_at_once(env, files, list(reversed(files)))
    reports = first["out"] + second["out"]
    for found in (first, second):
        assert {line for line in found["rejected"]} <= {"E01-1.qbscore", "E01-2.qbscore", "E02-1.qbscore", "E02-2.qbscore"}
    assert "replay" in reports or not (first["rejected"] or second["rejected"])
    assert "database write failed" not in reports
    accepted = first["accepted"] + second["accepted"]
    assert len(accepted) == len(set(accepted))  # no file accepted twice
    assert {"E01-3.qbscore", "E02-3.qbscore"} <= set(accepted) | set(first["duplicate"]) | set(second["duplicate"])
    with env.db.sessions() as s:
        records = s.scalars(select(ScoreFileRecord)).all()
        assert len(records) == len(accepted)  # every file reported accepted is there, once
        in_force = {r.expert_id: r.sequence for r in records if r.status == "accepted"}
        assert sorted(in_force.values()) == [3, 3]
        assert set(s.scalars(select(ScoreSheet.score_file_id))) == {r.id for r in records if r.status == "accepted"}
        single = sum(len(env.payload(e)["scores"]) for e in ("E01", "E02"))
        assert count_values(s) == single
        entries = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "scores.import"))
        assert entries == len(accepted)
        assert verify_chain(s) == []


# --- a batch of files is committed together, yet each file is whole or absent -------------------------

_DIES_MID_IMPORT = """\
import os, sys
import qbdesk.services.score_reading as score_reading
import qbdesk.services.scores as scores
from qbdesk.cli.main import main
scores._Batch.FILES = 2  # a commit after every second accepted file
score_reading.PARALLEL_FROM = 10**6  # read here: no worker processes outliving the crash
merged = 0
real = scores._insert_rows
def insert_then_die(s, table, columns, rows):
    global merged
    real(s, table, columns, rows)
    if table.name == "score_sheet":
        merged += 1
        if merged == 5:  # the fifth file's scores are written, its transaction still open: the power fails
            os._exit(137)
scores._insert_rows = insert_then_die
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_mid_import_leaves_each_file_whole_or_absent(env):
    import subprocess

    files = [env.write(env.payload(e, sequence=n), f"{e}-{n}.qbscore", expert=e) for e in ("E01", "E02") for n in (1, 2, 3)]
    argv = ["--lang", "en", "scores", "import", "--db", env.url, "--keys", str(env.keys.directory), *map(str, files)]
    died = subprocess.run([sys.executable, "-c", _DIES_MID_IMPORT, *argv], capture_output=True, text=True, timeout=120)
    assert died.returncode == 137, died.stderr
    per_file = {e: len(env.payload(e)["scores"]) for e in ("E01", "E02")}
    with env.db.sessions() as s:
        records = s.scalars(select(ScoreFileRecord).order_by(ScoreFileRecord.id)).all()
        experts = {e.id: e.external_id for e in s.scalars(select(Expert))}
        # two batches of two were committed; the fifth file, half written, is not there at all
        assert [(experts[r.expert_id], r.sequence, r.status) for r in records] == [
            ("E01", 1, "superseded"), ("E01", 2, "superseded"), ("E01", 3, "accepted"), ("E02", 1, "accepted")]
        for r in records:
            n = count_values(s, ScoreSheet.score_file_id == r.id)
            assert n == (per_file[experts[r.expert_id]] if r.status == "accepted" else 0)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "scores.import")) == 4
        assert verify_chain(s) == []
    again = env.run(*files)  # the coordinator runs the import again: the rest comes in, nothing twice
    assert [line.status for line in again.lines] == ["duplicate"] * 4 + ["accepted"] * 2
    with env.db.sessions() as s:
        assert count_values(s) == sum(per_file.values())


def test_a_failed_commit_reports_every_file_of_its_batch_as_not_imported(env, monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    files = [env.write(env.payload("E01"), "a.qbscore"), env.write(env.payload("E02"), "b.qbscore", expert="E02")]

    commits = []

    def fail(conn):  # the batch's commit fails (the disk is full); the later ones work
        commits.append(conn)
        if len(commits) == 1:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(env.db.engine, "commit", fail)
    try:
        report = env.run(*files)
    finally:
        event.remove(env.db.engine, "commit", fail)
    assert [(line.status, line.reason) for line in report.lines] == [("rejected", "import_failed")] * 2
    assert "nothing was imported" in report.lines[0].msg.en and "disk I/O error" in report.lines[0].msg.en
    assert report.lines[0].record_id is None and report.lines[0].scores == 0
    nothing_imported(env)
    assert env.run(*files).counts["accepted"] == 2  # once the disk is back, both come in


# --- scores checked where the file is read, against the snapshot maps loaded before the batch -------


def test_scores_are_checked_once_where_the_file_is_read(env, monkeypatch):
    import qbdesk.services.score_reading as score_reading

    calls = []
    real = score_reading.check
    monkeypatch.setattr(score_reading, "check", lambda *a: calls.append(a[1]) or real(*a))
    report = env.run(env.write(env.payload("E01"), "a.qbscore"))
    assert report.ok and len(calls) == 1  # by the reader; the merge took its packed sheets


def test_a_snapshot_map_changed_since_the_batch_loaded_it_is_checked_again(env, monkeypatch):
    """The reader checks against the maps as loaded; when the database's differ at the merge (here
    the loaded copy is made stale), the merge checks again against the database and imports what
    the file really scores, the same as an import that never saw the stale copy."""
    import qbdesk.services.score_reading as score_reading
    import qbdesk.services.scores as scores

    path = env.write(env.payload("E01"), "a.qbscore")
    clean_url = env.copy_to(env.db)
    real_load = scores.RoundContext.load_snapshot_maps

    def stale(self, session):
        real_load(self, session)
        for sid, (codes, items) in list(self.snapshot_maps.items()):
            first, second = list(codes)[:2]
            self.snapshot_maps[sid] = ({**codes, first: codes[second], second: codes[first]}, items)

    calls = []
    real_check = score_reading.check
    monkeypatch.setattr(score_reading, "check", lambda *a: calls.append(a[1]) or real_check(*a))
    monkeypatch.setattr(scores.RoundContext, "load_snapshot_maps", stale)
    report = env.run(path)
    assert report.ok and len(calls) == 2  # the reader's check, and the merge's against the database
    monkeypatch.setattr(scores.RoundContext, "load_snapshot_maps", real_load)
    db = open_database(clean_url)
    try:
        clean = import_score_files(db.sessions, env.rid, [path], keys=env.keys, workers=0)
        assert clean.ok
        with db.sessions() as s:
            expected = sorted(r[1:] for r in value_rows(s))
    finally:
        db.dispose()
    with env.db.sessions() as s:
        assert sorted(r[1:] for r in value_rows(s)) == expected


def test_on_postgresql_only_the_last_commit_waits_for_the_disk(env, monkeypatch):
    """Every batch but the import's last commits without waiting for the server's log flush; the
    last waits, which flushes the earlier ones too (the log is written in order)."""
    from sqlalchemy import event

    import qbdesk.services.scores as scores

    monkeypatch.setattr(scores._Batch, "FILES", 2)
    monkeypatch.setattr(scores._Batch, "SECONDS", 3600)  # commits by count only, however slow the machine
    paths = [env.write(env.payload(sequence=n), f"s{n}.qbscore") for n in range(1, 6)]
    statements: list[str] = []
    event.listen(env.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    report = env.run(*paths)
    assert report.counts["accepted"] == 5
    relaxed = [q for q in statements if "synchronous_commit" in q]
    if env.url.startswith("sqlite"):
        assert not relaxed
        return
    assert relaxed == ["SET LOCAL synchronous_commit TO OFF"] * 2  # batches of 2, 2 and 1: the last waits
    assert env.count(ScoreFileRecord) == 5


def test_a_batch_reads_the_audit_chains_end_once_and_the_chain_holds_across_rejections(env):
    """Within one batch's transaction the audit entries follow each other without asking the
    database for the chain's end again, also after a file rolled back to its savepoint."""
    from sqlalchemy import event

    bad = env.payload(sequence=2)
    next(r for r in bad["scores"] if type(r["value"]) in (int, float))["value"] = 10_000
    paths = [env.write(env.payload(sequence=1), "a.qbscore"), env.write(bad, "bad.qbscore"),
             env.write(env.payload(sequence=3), "b.qbscore"), env.write(env.payload("E02"), "c.qbscore", expert="E02")]
    paths.insert(3, paths[2])  # a duplicate as well
    statements: list[str] = []
    event.listen(env.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    report = env.run(*paths)
    assert [line.status for line in report.lines] == ["accepted", "rejected", "accepted", "duplicate", "accepted"]
    ends = [q for q in statements if "FROM audit_log ORDER BY audit_log.id DESC" in q]
    assert len(ends) == 2  # the batch's first entry, and the rejections' entry in a transaction of its own
    with env.db.sessions() as s:
        assert verify_chain(s) == []
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-4:] == ["scores.import", "scores.import", "scores.import", "scores.rejected"]


def test_files_of_a_batch_a_crashed_server_lost_are_not_reported_accepted(env, monkeypatch):
    """On PostgreSQL a batch before the last commits without waiting for the disk. If the server
    then crashes, it comes back without that batch and the import's next statements fail; the
    import carries on, and at the end reports the lost batch's files as failed, not accepted."""
    from sqlalchemy import delete
    from sqlalchemy.exc import OperationalError

    import qbdesk.services.scores as scores

    monkeypatch.setattr(scores._Batch, "FILES", 2)
    monkeypatch.setattr(scores._Batch, "SECONDS", 3600)
    names = ["E01-1", "E02-1", "E01-2", "E02-2", "E01-3"]
    paths = [env.write(env.payload(n[:3], sequence=int(n[-1])), f"{n}.qbscore", expert=n[:3]) for n in names]
    with env.db.sessions() as s:
        before = s.scalar(select(func.max(AuditEntry.id))) or 0
    pg = not env.url.startswith("sqlite")
    real_commit, real_merge = scores._Batch.commit, scores._merge
    commits, merges = [], []

    def commit(self, *, last=True):
        lost = [self.report.lines[i].record_id for i in self.pending]
        real_commit(self, last=last)
        commits.append(lost)
        if len(commits) == 1 and pg:  # the crash: the first batch never reached the server's disk
            with env.db.sessions.begin() as s:
                s.execute(delete(AuditEntry).where(AuditEntry.id > before))
                s.execute(delete(ScoreFileRecord).where(ScoreFileRecord.id.in_(lost)))

    def merge(*args, **kwargs):
        merges.append(1)
        if len(merges) == 3:  # the first statement after the crash
            raise OperationalError("INSERT …", {}, Exception("server closed the connection unexpectedly"))
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(scores._Batch, "commit", commit)
    monkeypatch.setattr(scores, "_merge", merge)
    report = env.run(*paths)
    status = {line.path.stem: (line.status, line.reason) for line in report.lines}
    failed = ("rejected", "import_failed")
    assert status["E01-2"] == failed and status["E02-2"][0] == status["E01-3"][0] == "accepted"
    if pg:
        assert status["E01-1"] == status["E02-1"] == failed
        line = next(line for line in report.lines if line.path.stem == "E01-1")
        assert "import it again" in line.msg.en and "请重新导入" in line.msg.zh and line.record_id is None
        assert env.count(ScoreFileRecord) == 2
    else:  # SQLite's commits are not relaxed: the first batch is there, and said to be
        assert status["E01-1"] == status["E02-1"] == ("accepted", None)
        assert env.count(ScoreFileRecord) == 4
    with env.db.sessions() as s:
        assert verify_chain(s) == []
