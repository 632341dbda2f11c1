"""Every score bound to its application, and what `scores recheck` catches (issue 7, items 2–5).

Works on the round of test_scores_import (P3 with items, P8; E01 assigned all three
applications, E02 the two P3 ones), each test on its own copy of the database. The
tamperings are done the way someone with the database would: plain SQL on the SQLite file.
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3

import pytest
import test_scores_import as base
from sqlalchemy import select

from qbdesk.formats.sheet import export_sheet
from qbdesk.formats.snapshot import SnapshotReader
from qbdesk.services.assignment import assign
from qbdesk.services.reviewer import open_snapshot
from qbdesk.services.score_recheck import recheck_scores
from qbdesk.services.snapshots import build_snapshots
from qbdesk.services.status import round_status
from qbdesk.store.models import Application, AuditEntry, Expert, ScoreFileRecord, ScoreSheet, Snapshot
from qbdesk.store.score_sheets import value_rows

ITEM_IDS, Env, cli = base.ITEM_IDS, base.Env, base.cli
templates, template, env = base.templates, base.template, base.env  # the fixtures: the same round, built once (SQLite only: the tests edit the file with sqlite3)


def _sql(env: Env, *statements: str, params: tuple = ()) -> None:
    con = sqlite3.connect(env.tmp / "round.sqlite")
    try:
        with con:
            for st in statements:
                con.execute(st, params if "?" in st else ())
    finally:
        con.close()


def _recheck(env: Env):
    with env.db.sessions() as s:
        return recheck_scores(s, env.rid, keys=env.keys)


def _text(report) -> str:
    return "\n".join([str(p.en) for f in report.files for p in f.problems] + [p.en for p in report.round_problems])


def _codes(env: Env, expert: str = "E01") -> dict[str, str]:
    """code -> application package id, from the snapshot as built."""
    with env.db.sessions() as s:
        snap = s.scalars(select(Snapshot).join(Expert, Expert.id == Snapshot.expert_id)
                         .where(Expert.external_id == expert)).one()
        ext = dict(s.execute(select(Application.id, Application.external_id)).all())
        return {code: ext[app_id] for code, app_id in snap.codes.items()}


def _totals(env: Env) -> dict[str, float]:
    """Each application's total of numeric scores in force (what ranking will add up)."""
    with env.db.sessions() as s:
        ext = dict(s.execute(select(Application.id, Application.external_id)).all())
        accepted = select(ScoreFileRecord.id).where(ScoreFileRecord.status == "accepted")
        rows = [(ext[r[2]], r[5]) for r in value_rows(s, ScoreSheet.score_file_id.in_(accepted))]
    out: dict[str, float] = {}
    for ext, value in rows:
        v = json.loads(value)
        if type(v) in (int, float):
            out[ext] = out.get(ext, 0) + v
    return out


def _accept(env: Env, payload: dict, name: str, expert: str = "E01") -> None:
    report = env.run(env.write(payload, name, expert=expert))
    assert report.ok and report.lines[0].status == "accepted", report.lines[0].text("en")


# --- item 2: the code map is bound by what is signed ---------------------------------------------


def test_swapping_two_codes_and_their_rows_is_named_by_recheck(env, capsys):
    codes = _codes(env)
    by_app = {ext: code for code, ext in codes.items()}
    a, b = by_app["2026-P3-0000"], by_app["2026-P3-0001"]
    _accept(env, env.payload(share={a: 0.4, b: 0.9}), "e01.qbscore")
    _accept(env, env.payload("E02", share={c: 0.6 for c in _codes(env, "E02")}), "e02.qbscore", "E02")
    before = _totals(env)
    assert _recheck(env).ok
    # The attack: swap the two codes in the snapshot's map and move the matching score sheets.
    _sql(env, "update snapshot set codes = json_set(codes, '$." + a + "', json_extract(codes, '$." + b + "'), '$." + b
         + "', json_extract(codes, '$." + a + "')) where expert_id = (select id from expert where external_id = 'E01')",
         *(f"update score_sheet set application_id = {to} where application_id = {frm} and expert_id = "
           "(select id from expert where external_id = 'E01')" for frm, to in (
               ("(select id from application where external_id = '2026-P3-0000')", "-1"),
               ("(select id from application where external_id = '2026-P3-0001')",
                "(select id from application where external_id = '2026-P3-0000')"),
               ("-1", "(select id from application where external_id = '2026-P3-0001')"))))
    after = _totals(env)
    assert after["2026-P3-0000"] > before["2026-P3-0000"] and after["2026-P3-0001"] < before["2026-P3-0001"]
    report = _recheck(env)
    assert not report.ok
    text = _text(report)
    assert f"code {a} belongs to application 2026-P3-0000 by the signed manifest, but the database maps it to 2026-P3-0001" in text
    assert f"code {b} belongs to application 2026-P3-0001" in text
    assert "code map is not the one its build recorded" in text  # and the build's audit entry agrees
    url = f"sqlite:///{env.tmp / 'round.sqlite'}"
    code, out, _ = cli(capsys, "scores", "recheck", "--db", url, "--keys", str(env.keys.directory))
    assert code == 1 and "DIFFERS  E01" in out and f"code {a} belongs to application 2026-P3-0000" in out
    # A file arriving now is refused: the database's map is not the one the snapshot signed.
    late = env.run(env.write(env.payload(sequence=2), "late.qbscore"))
    assert late.lines[0].reason == "code_map", late.lines[0].text("en")


def test_the_score_file_commits_to_each_codes_content(env):
    payload = env.payload()
    first = next(iter(payload["blind_content"]))
    payload["blind_content"][first] = "0" * 64
    report = env.run(env.write(payload))
    assert report.lines[0].reason == "content_binding", report.lines[0].text("en")
    assert "blind_content" in report.lines[0].msg.en and report.lines[0].msg.zh


def test_a_version_1_file_without_the_commitment_is_still_imported(env):
    from qbdesk.formats import scorefile as sf

    payload = env.payload()
    del payload["blind_content"]
    payload["format"] = sf.FORMAT_V1
    _accept(env, payload, "v1.qbscore")
    assert _recheck(env).ok


# --- item 5: snapshot-local item ids --------------------------------------------------------------


def test_item_ids_are_snapshot_local_and_mapped_back(template, env, tmp_path):
    root = template[0]
    secret = "91440304PD4WA4NG14"
    assert secret in ITEM_IDS[1]
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        rows = {r["expert_id"]: r for r in csv.DictReader(f)}
    path = root / "snap" / rows["E01"]["file"]
    with SnapshotReader(path, rows["E01"]["passphrase"]) as reader:
        plain = [json.dumps(reader.meta, ensure_ascii=False).encode()]
        plain += [reader.read_attachment(e.name) for e in reader.manifest.attachments]
        items = {a["code"]: [i["id"] for i in a["items"]] for a in reader.meta["applications"]}
    plain.append(path.read_bytes())  # the clear manifest too
    assert sorted(items.values()) == [[], ["I1"], ["I1", "I2"]]
    for data in plain:
        assert secret.encode() not in data
    # The expert's offline score sheet lists the items by the same local ids.
    ws = open_snapshot(path, tmp_path / "home", rows["E01"]["passphrase"], kdf_rounds=1)
    try:
        for name in ("sheet.csv", "sheet.xlsx"):
            export_sheet(ws, tmp_path / name)
    finally:
        ws.close()
    sheet = (tmp_path / "sheet.csv").read_text(encoding="utf-8-sig")
    assert secret not in sheet and ",I1," in sheet
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "sheet.xlsx", read_only=True)
    cells = [str(c) for sh in wb for row in sh.iter_rows(values_only=True) for c in row if c is not None]
    wb.close()
    assert not any(secret in c for c in cells) and "I1" in cells
    # Imported, the decisions are stored under the package's own ids.
    _accept(env, env.payload(), "e01.qbscore")
    with env.db.sessions() as s:
        stored = {r[4] for r in value_rows(s) if r[4] != ""}
    assert stored == {"C1", "C2", secret}
    assert _recheck(env).ok


def test_a_changed_item_map_is_named(env):
    _accept(env, env.payload(), "e01.qbscore")
    code = {ext: c for c, ext in _codes(env).items()}["2026-P3-0000"]
    _sql(env, "update snapshot set items = json_set(items, '$." + code + ".I1', 'C2', '$." + code + ".I2', 'C1')"
         " where expert_id = (select id from expert where external_id = 'E01')")
    text = _text(_recheck(env))
    assert f"code {code} maps to 2026-P3-0000 in the database, which is not what the signed manifest binds" in text


# --- item 3: assignments, conflicts and superseded snapshots at import ----------------------------


def test_scores_for_a_pair_now_in_conflict_are_refused(env):
    # A roster update declares E01's conflict with the first applicant; assign runs again.
    with env.db.sessions.begin() as s:
        app = s.scalars(select(Application).where(Application.external_id == "2026-P3-0000")).one()
        e01 = s.scalars(select(Expert).where(Expert.external_id == "E01")).one()
        e01.declared_conflicts = [{"kind": "credit_code", "value": app.applicant.credit_code}]
    assign(env.db.sessions, env.rid, per_application=2)
    report = env.run(env.write(env.payload(), "old.qbscore"))
    line = report.lines[0]
    assert line.reason == "conflict" and "(2026-P3-0000) is in conflict with this expert" in line.msg.en, line.text("en")
    assert env.values() == 0
    with env.db.sessions() as s:
        assert round_status(s, env.rid).score_files["accepted"] == 0


def test_status_names_scores_in_force_that_a_later_assign_put_in_conflict(env):
    _accept(env, env.payload(), "e01.qbscore")
    with env.db.sessions() as s:
        assert not [p for p in round_status(s, env.rid).problems if p.code.startswith("scores_")]
    with env.db.sessions.begin() as s:
        app = s.scalars(select(Application).where(Application.external_id == "2026-P3-0000")).one()
        e01 = s.scalars(select(Expert).where(Expert.external_id == "E01")).one()
        e01.declared_conflicts = [{"kind": "credit_code", "value": app.applicant.credit_code}]
    assign(env.db.sessions, env.rid, per_application=2)
    with env.db.sessions() as s:
        problems = {(p.code, p.application) for p in round_status(s, env.rid).problems}
    assert ("scores_in_conflict", "2026-P3-0000") in problems
    _rebuild(env)
    with env.db.sessions() as s:
        assert "superseded_in_force" in {p.code for p in round_status(s, env.rid).problems}


def test_scores_for_a_pair_no_longer_assigned_are_refused(env):
    assign(env.db.sessions, env.rid, per_application=1, seed=3)
    with env.db.sessions() as s:
        from qbdesk.store.models import Assignment

        e01 = s.scalars(select(Expert.id).where(Expert.external_id == "E01")).one()
        held = set(s.scalars(select(Assignment.application_id).where(Assignment.expert_id == e01)))
    assert len(held) < 3  # one expert per application: E01 keeps only some of its three
    line = env.run(env.write(env.payload(), "old.qbscore")).lines[0]
    assert line.reason == "not_assigned" and "not assigned to this expert now" in line.msg.en, line.text("en")
    assert env.values() == 0


def _rebuild(env: Env, name: str = "snap2"):
    return build_snapshots(env.db.sessions, env.rid, env.tmp / name, keys=env.keys, rng=random.Random(9), kdf_rounds=1)


def test_rebuilding_supersedes_earlier_snapshots_and_warns_about_files_back(env, capsys):
    _accept(env, env.payload(), "e01.qbscore")
    report = _rebuild(env)
    warned = [m.en for m in report.warnings]
    assert len(warned) == 1 and "E01" in warned[0] and "already returned a score file" in warned[0]
    assert any("already returned" in line for line in report.lines("en"))
    with env.db.sessions() as s:
        snaps = s.scalars(select(Snapshot).order_by(Snapshot.created_at)).all()
        assert sum(x.superseded_by is None for x in snaps) == 2 and sum(x.superseded_by is not None for x in snaps) == 2
    # A file from the superseded snapshot is refused…
    late = env.write(env.payload(sequence=2), "late.qbscore")
    line = env.run(late).lines[0]
    assert line.reason == "superseded_snapshot" and "--accept-superseded" in line.msg.en
    url = f"sqlite:///{env.tmp / 'round.sqlite'}"
    keys = str(env.keys.directory)
    code, _, err = cli(capsys, "scores", "import", "--db", url, "--keys", keys, "--accept-superseded", str(late))
    assert code != 0 and "needs a --reason" in err
    # … unless the coordinator accepts it explicitly, which the audit log records.
    code, out, err = cli(capsys, "scores", "import", "--db", url, "--keys", keys, "--accept-superseded",
                         "--reason", "专家已在旧快照上完成评审", str(late))
    assert code == 0 and "1 accepted" in out, out + err
    with env.db.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "scores.import").order_by(AuditEntry.id.desc())).first()
    assert entry.detail["accepted_superseded"]["reason"] == "专家已在旧快照上完成评审"
    assert _recheck(env).ok


# --- item 4: what recheck catches -----------------------------------------------------------------


def _rows_of(env: Env, digest_like: str) -> list[tuple]:
    con = sqlite3.connect(env.tmp / "round.sqlite")
    try:
        return con.execute("select score_file_id, expert_id, application_id, entries from score_sheet"
                           " where score_file_id = (select id from score_file where digest = ?)", (digest_like,)).fetchall()
    finally:
        con.close()


def _revert_to_sequence_2(env: Env) -> str:
    _accept(env, env.payload(sequence=2), "s2.qbscore")
    with env.db.sessions() as s:
        d2 = s.scalars(select(ScoreFileRecord.digest)).one()
    rows2 = _rows_of(env, d2)
    _accept(env, env.payload(sequence=3), "s3.qbscore")
    con = sqlite3.connect(env.tmp / "round.sqlite")
    try:
        with con:
            con.execute("delete from score_sheet where score_file_id = (select id from score_file where status = 'accepted')")
            con.execute("update score_file set status = case status when 'accepted' then 'superseded' else 'accepted' end")
            con.executemany("insert into score_sheet (score_file_id, expert_id, application_id, entries)"
                            " values (?, ?, ?, ?)", rows2)
    finally:
        con.close()
    return "is in force in the database, but the audit log says it was superseded"


def _delete_file_and_rows(env: Env) -> str:
    _accept(env, env.payload(), "e01.qbscore")
    _sql(env, "delete from score_sheet", "delete from recusal", "delete from score_file")
    return "imported and in force by the audit log, is gone from the database"


def _reattribute(env: Env) -> str:
    _accept(env, env.payload(), "e01.qbscore")
    _sql(env, "update score_file set expert_id = (select id from expert where external_id = 'E02')",
         "update score_sheet set expert_id = (select id from expert where external_id = 'E02')")
    return "the file is attributed to expert E02, but it comes from the snapshot built for E01"


def _delete_last_audit_entries(env: Env) -> str:
    _accept(env, env.payload(), "e01.qbscore")
    _sql(env, "delete from audit_log where id = (select max(id) from audit_log)")
    return "has no import entry in the audit log"


def _rows_on_a_superseded_file(env: Env) -> str:
    _accept(env, env.payload(sequence=1), "s1.qbscore")
    _accept(env, env.payload(sequence=2), "s2.qbscore")
    _sql(env, "insert into score_sheet (score_file_id, expert_id, application_id, entries)"
              " select (select id from score_file where status = 'superseded'), expert_id, application_id, entries"
              " from score_sheet")
    return "rows hang on score file"


def _delete_conflicts(env: Env) -> str:
    code = {ext: c for c, ext in _codes(env).items()}["2026-P8-0002"]
    _accept(env, env.payload(recuse=(code,)), "e01.qbscore")
    _sql(env, "delete from conflict")
    return "the conflict E01 ↔ 2026-P8-0002 (recusal) was deleted from the database"


def _swap_codes(env: Env) -> str:
    codes = {ext: c for c, ext in _codes(env).items()}
    a, b = codes["2026-P3-0000"], codes["2026-P3-0001"]
    _accept(env, env.payload(), "e01.qbscore")
    _sql(env, f"update snapshot set codes = json_set(codes, '$.{a}', json_extract(codes, '$.{b}'), '$.{b}', "
              f"json_extract(codes, '$.{a}'))")
    return f"code {a} belongs to application 2026-P3-0000 by the signed manifest"


TAMPERINGS = {
    "revert to sequence 2": _revert_to_sequence_2,
    "delete a file and its rows": _delete_file_and_rows,
    "re-attribute a file and its scores": _reattribute,
    "delete the last audit entries": _delete_last_audit_entries,
    "rows on a superseded file": _rows_on_a_superseded_file,
    "delete conflicts": _delete_conflicts,
    "swap codes": _swap_codes,
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_recheck_names_each_tampering(env, tamper):
    expected = tamper(env)
    report = _recheck(env)
    assert not report.ok
    assert expected in _text(report), _text(report)


def test_status_prints_the_audit_chain_head_so_a_truncated_chain_shows(env, capsys):
    _accept(env, env.payload(), "e01.qbscore")
    url = f"sqlite:///{env.tmp / 'round.sqlite'}"
    code, out, _ = cli(capsys, "status", "--db", url, "--json")
    head = json.loads(out)["audit_head"]
    assert code == 0 and len(head["hash"]) == 64
    code, out, _ = cli(capsys, "status", "--db", url)
    assert f"audit chain head: #{head['entry']} {head['hash']}" in out
    _sql(env, "delete from audit_log where id = (select max(id) from audit_log)")  # the chain still holds …
    with env.db.sessions() as s:
        from qbdesk.store.audit import verify_chain

        assert verify_chain(s) == []
    code, out, _ = cli(capsys, "status", "--db", url, "--json")
    assert json.loads(out)["audit_head"]["hash"] != head["hash"]  # … but its head is not the one on paper


def test_recheck_of_an_untouched_round_matches_everything(env):
    code = {ext: c for c, ext in _codes(env).items()}["2026-P8-0002"]
    _accept(env, env.payload(recuse=(code,)), "e01.qbscore")
    _accept(env, env.payload(sequence=2, recuse=(code,)), "e01b.qbscore")
    _accept(env, env.payload("E02"), "e02.qbscore", "E02")
    report = _recheck(env)
    assert report.ok, _text(report)
    assert report.audit_head is not None and report.audit_head[1] in report.summary().en


def test_migration_0003_keeps_snapshots_and_their_score_files_linked(tmp_path):
    """The four new snapshot columns are added in place: no rebuild, so no SET NULL on score_file."""
    from alembic import command
    from sqlalchemy import text

    from qbdesk.store.engine import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as c:
        c.execute(text("insert into round (id,name,year,created_at,settings) values (1,'r',2026,'2026-01-01','{}')"))
        c.execute(text("insert into expert (id,round_id,external_id,name,organisation,normalized_organisation,title,"
                       "phone,programs,declared_conflicts) values (1,1,'E1','n','o','o','','','[]','[]')"))
        c.execute(text("insert into snapshot (id,round_id,expert_id,created_at,digest,binding_secret,codes,"
                       "coordinator_fingerprint,file_name) values ('s1',1,1,'2026-01-01','d','00','{}','f','x.qbsnap')"))
        c.execute(text("insert into score_file (id,round_id,expert_id,snapshot_id,digest,sequence,key_fingerprint,"
                       "status,received_at,content) values (1,1,1,'s1','d',1,'f','accepted','2026-01-01',x'00')"))
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as c:
        assert c.execute(text("select snapshot_id from score_file")).scalar() == "s1"
        row = c.execute(text("select manifest, code_key, items, superseded_by from snapshot")).one()
        assert tuple(row) == (None, None, None, None)
    command.downgrade(alembic_config(engine), "0003_s2d_rules")
    with engine.connect() as c:
        assert c.execute(text("select snapshot_id from score_file")).scalar() == "s1"
    engine.dispose()
