"""The coordinator's read-only overview queries, without Qt."""

from __future__ import annotations

import dataclasses
import hashlib
import random

import pytest

from qbdesk.domain import credit_code
from qbdesk.domain.messages import QbdeskError
from qbdesk.services import overview
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Attachment,
    Blob,
    Expert,
    ProgramConfig,
    Round,
)


@pytest.fixture
def db(tmp_path):
    database = open_database(str(tmp_path / "overview.sqlite"))
    yield database
    database.dispose()


def _blob(session, data: bytes) -> Blob:
    digest = hashlib.sha256(data).hexdigest()
    blob = session.get(Blob, digest) or Blob(sha256=digest, size=len(data), data=data)
    session.add(blob)
    return blob


def _app(session, rnd, applicant, ext, code, amount, *, tier=None, items=(), blind=0, nonblind=0):
    app = Application(round_id=rnd.id, external_id=ext, program=code, year=rnd.year,
                      applicant=applicant, title=f"{ext} 的申报", requested_amount=amount, tier=tier,
                      items=list(items), package_digest=hashlib.sha256(ext.encode()).hexdigest())
    for i in range(blind + nonblind):
        blob = _blob(session, f"{ext}-{i}".encode())
        app.attachments.append(Attachment(position=i, file=f"{i}.pdf", title=f"附件{i}", blind=i < blind,
                                          sha256=blob.sha256, size=blob.size))
    session.add(app)
    return app


@pytest.fixture
def populated(db):
    """Two rounds: 2024 (one application) and 2025 with P2, P5, P7 configured; P7 overrides its tiers."""
    rng = random.Random(7)
    with db.sessions.begin() as s:
        old = Round(name="2024年度第一批", year=2024)
        rnd = Round(name="2025年度第一批", year=2025)
        s.add_all([old, rnd])
        s.flush()
        s.add_all([
            ProgramConfig(round_id=rnd.id, program="P2"),
            ProgramConfig(round_id=rnd.id, program="P5"),
            ProgramConfig(round_id=rnd.id, program="P7", tiers={
                "national_award": {"amount": 3000000, "zh": "国家质量奖（本批次）", "en": "National award (this round)"},
            }),
        ])
        a = Applicant(credit_code=credit_code.generate(rng), name="深圳甲公司", normalized_name="深圳甲公司")
        b = Applicant(credit_code=credit_code.generate(rng), name="深圳乙公司", normalized_name="深圳乙公司")
        s.add_all([a, b])
        _app(s, old, a, "OLD-1", "P2", 300000)
        _app(s, rnd, a, "A-002", "P2", 300000, blind=2, nonblind=1)
        _app(s, rnd, b, "A-001", "P2", 300000)
        _app(s, rnd, b, "B-001", "P5", 800000, tier="intl_regulation_lead", items=[{"k": 1}, {"k": 2}], blind=1)
        _app(s, rnd, a, "C-001", "P7", 3000000, tier="national_award")
        _app(s, rnd, a, "C-002", "P7", 100000, tier="no_such_tier")
        s.flush()
        experts = [Expert(round_id=rnd.id, external_id=f"E{i}", name=f"专家{i}", organisation="某大学",
                          normalized_organisation="某大学") for i in range(3)]
        s.add_all(experts)
        s.flush()
        target = s.query(Application).filter_by(round_id=rnd.id, external_id="A-002").one()
        for i, e in enumerate(experts):
            s.add(Assignment(round_id=rnd.id, expert_id=e.id, application_id=target.id, seed=i))
        ids = {"old": old.id, "round": rnd.id}
    return db, ids


def test_empty_database_has_no_round(db):
    with db.sessions() as s:
        assert overview.list_rounds(s) == []
        assert overview.latest_round_id(s) is None


def test_rounds_newest_first(populated):
    db, ids = populated
    with db.sessions() as s:
        assert [r.id for r in overview.list_rounds(s)] == [ids["round"], ids["old"]]
        assert overview.latest_round_id(s) == ids["round"]


def test_round_summary_counts_every_program(populated):
    db, ids = populated
    with db.sessions() as s:
        summary = overview.round_summary(s, ids["round"])
    assert (summary.name, summary.year) == ("2025年度第一批", 2025)
    assert [p.program for p in summary.programs] == [f"P{i}" for i in range(1, 10)]
    assert summary.count("P2").applications == 2
    assert summary.count("P2").requested_total == 600000
    assert summary.count("P5").applications == 1
    assert summary.count("P7").applications == 2
    assert summary.count("P1") == overview.ProgramCount("P1", configured=False, applications=0, requested_total=0)
    assert [p.program for p in summary.programs if p.configured] == ["P2", "P5", "P7"]
    assert summary.applications == 5  # the 2024 round's application is not counted
    assert summary.requested_total == 300000 * 2 + 800000 + 3000000 + 100000


def test_application_rows_carry_identity_counts_and_order(populated):
    db, ids = populated
    with db.sessions() as s:
        rows = overview.application_rows(s, ids["round"], None)
    assert [r.external_id for r in rows] == ["A-001", "A-002", "B-001", "C-001", "C-002"]
    by_id = {r.external_id: r for r in rows}
    a2 = by_id["A-002"]
    assert a2.applicant_name == "深圳甲公司" and credit_code.is_valid(a2.credit_code)
    assert (a2.blind_attachments, a2.nonblind_attachments, a2.attachments) == (2, 1, 3)
    assert a2.assigned_experts == 3
    assert by_id["A-001"].assigned_experts == 0 and by_id["A-001"].attachments == 0
    b1 = by_id["B-001"]
    assert b1.item_count == 2 and b1.requested_amount == 800000
    assert b1.tier_label is not None and b1.tier_label.zh.startswith("主导制定国际")
    assert by_id["C-001"].tier_label.en == "National award (this round)"  # the round's override wins
    assert by_id["C-002"].tier == "no_such_tier" and by_id["C-002"].tier_label is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        a2.title = "changed"  # frozen: rows cross threads, nobody may edit them


def test_application_rows_for_one_program(populated):
    db, ids = populated
    with db.sessions() as s:
        assert [r.external_id for r in overview.application_rows(s, ids["round"], "P7")] == ["C-001", "C-002"]
        assert overview.application_rows(s, ids["round"], "P9") == []


@pytest.mark.parametrize("bad", ["P0", "p1", "P10", ""])
def test_unknown_program_is_a_clear_error(populated, bad):
    db, ids = populated
    with db.sessions() as s, pytest.raises(QbdeskError) as err:
        overview.application_rows(s, ids["round"], bad)
    assert "未知项目类别" in err.value.text("zh") and "unknown program" in err.value.text("en")


def test_missing_round_is_a_clear_error(db):
    with db.sessions() as s:
        for call in (lambda: overview.round_summary(s, 42), lambda: overview.application_rows(s, 42, None)):
            with pytest.raises(QbdeskError) as err:
                call()
            assert "42" in err.value.text("en") and "找不到评审批次" in err.value.text("zh")



def test_round_overview_falls_back_to_latest(populated):
    db, ids = populated
    with db.sessions() as s:
        latest = overview.round_overview(s)
        old = overview.round_overview(s, ids["old"])
        gone = overview.round_overview(s, 9999)
    assert latest.summary.id == ids["round"] and len(latest.rows) == 5 and len(latest.rounds) == 2
    assert old.summary.id == ids["old"] and [r.external_id for r in old.rows] == ["OLD-1"]
    assert gone.summary.id == ids["round"]


def test_round_overview_of_empty_database(db):
    with db.sessions() as s:
        assert overview.round_overview(s) == overview.RoundOverview(rounds=(), summary=None, rows=())
