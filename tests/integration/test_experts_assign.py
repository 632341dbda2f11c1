"""Roster import and assignment through the services, on a real (temporary) SQLite database."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qbdesk.domain import credit_code
from qbdesk.domain.messages import QbdeskError
from qbdesk.domain.orgname import normalise_org
from qbdesk.services.assignment import assign, coverage
from qbdesk.services.experts import import_roster
from qbdesk.store.audit import verify_chain
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    AuditEntry,
    Conflict,
    Expert,
    Panel,
    ProgramConfig,
    Round,
)

RNG = random.Random(42)
ACME = credit_code.generate(RNG)  # 甲科技: one expert works there, another declared its code
OTHERS = [credit_code.generate(RNG) for _ in range(12)]

HEADER = "编号,姓名,单位,职称,电话,评审项目,回避\n"
ROSTER = HEADER + "".join([
    "E01,张一,深圳市甲科技有限公司,高级工程师,13800000001,P3,\n",  # same org as applicant A-P3-00
    f"E02,张二,深圳大学,教授,13800000002,P3;P8,{ACME}\n",  # declared code
    "E03,张三,清华大学,教授,,P3、P8,乙电子（深圳）有限公司\n",  # declared organisation
    "E04,张四,某研究院,研究员,,P3,\n",
    "E05,张五,某协会,,,P3 P8,\n",
    "E06,张六,甲科技有限公司,,,P8,\n",  # same org as A-P3-00, but not on the P3 panel
])


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/t.sqlite")
    yield database
    database.dispose()


def make_round(db, *, p3_k: int | None = 2) -> int:
    """A round with P3 (k per application) and P8 (whole panel) and a few applications."""
    with db.sessions.begin() as s:
        r = Round(name="测试批次", year=2026, settings={})
        s.add(r)
        s.flush()
        s.add_all([ProgramConfig(round_id=r.id, program="P3", per_application=p3_k),
                   ProgramConfig(round_id=r.id, program="P8", per_application=None)])
        names = ["甲科技（深圳）有限公司", "乙电子有限公司"] + [f"第{i}号测试有限公司" for i in range(10)]
        applicants = []
        for code, name in zip([ACME, *OTHERS], names):
            a = Applicant(credit_code=code, name=name, normalized_name=normalise_org(name), contact={})
            s.add(a)
            applicants.append(a)
        s.flush()
        for i, a in enumerate(applicants):
            program = "P3" if i < 9 else "P8"
            s.add(Application(round_id=r.id, external_id=f"A-{program}-{i:02d}", program=program, year=2026,
                              applicant_id=a.id, title=f"申报{i}", requested_amount=50_000, package_digest="0" * 64))
        return r.id


def write(tmp_path: Path, text: str, name: str = "experts.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def expert_rows(db) -> list[tuple]:
    with db.sessions() as s:
        return [(e.external_id, e.name, e.organisation, e.normalized_organisation, e.phone, e.programs,
                 e.declared_conflicts) for e in s.scalars(select(Expert).order_by(Expert.external_id))]


def count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_import_builds_experts_and_panels_and_reimport_changes_nothing(db, tmp_path):
    rid = make_round(db)
    path = write(tmp_path, ROSTER, encoding="gb18030")
    report = import_roster(db.sessions, rid, path)
    assert report.ok and report.added == [f"E0{i}" for i in range(1, 7)]
    assert report.panels == {"P3": 5, "P8": 4}
    rows = expert_rows(db)
    assert rows[1][5:] == (["P3", "P8"], [{"kind": "credit_code", "value": ACME}])
    assert rows[2][6] == [{"kind": "organisation", "value": "乙电子（深圳）有限公司"}]
    assert rows[0][3] == "甲科技"
    audits = count(db, AuditEntry)

    again = import_roster(db.sessions, rid, path)
    assert again.ok and not again.changed and len(again.unchanged) == 6
    assert expert_rows(db) == rows
    assert count(db, AuditEntry) == audits  # nothing done, nothing logged

    # E05 leaves P3, E04 changes phone, E01 is dropped from the file (kept in the round).
    changed = ROSTER.replace("E05,张五,某协会,,,P3 P8,", "E05,张五,某协会,,,P8,") \
                    .replace("E04,张四,某研究院,研究员,,P3,", "E04,张四,某研究院,研究员,0755-88889999,P3,")
    changed = "\n".join(line for line in changed.splitlines() if not line.startswith("E01")) + "\n"
    third = import_roster(db.sessions, rid, write(tmp_path, changed))
    assert third.updated == {"E04": ["phone"], "E05": ["programs"]}
    assert third.kept == ["E01"]
    assert third.panels == {"P3": 4, "P8": 4}
    assert count(db, AuditEntry) == audits + 1
    with db.sessions() as s:
        assert verify_chain(s) == []
    assert any("E01" in line.en for line in third.summary())


def test_a_roster_with_problems_imports_nothing(db, tmp_path):
    rid = make_round(db)
    bad = ROSTER + "E07,,某单位,,12,P3,\n"
    report = import_roster(db.sessions, rid, write(tmp_path, bad))
    assert not report.ok
    assert {(p.row, p.column) for p in report.problems} == {(8, "姓名"), (8, "电话")}
    assert count(db, Expert) == 0 and count(db, Panel) == 0
    assert "no expert imported" in report.summary()[0].en


def test_unknown_round_is_an_error(db, tmp_path):
    with pytest.raises(QbdeskError):
        import_roster(db.sessions, 99, write(tmp_path, ROSTER))
    with pytest.raises(QbdeskError):
        assign(db.sessions, 99)


def test_assign_respects_conflicts_balances_and_repeats(db, tmp_path):
    rid = make_round(db)
    import_roster(db.sessions, rid, write(tmp_path, ROSTER))
    report = assign(db.sessions, rid, seed=7)
    assert report.ok, [u.msg.en for u in report.uncovered]

    with db.sessions() as s:
        ext = {e.id: e.external_id for e in s.scalars(select(Expert))}
        app_ext = {a.id: a.external_id for a in s.scalars(select(Application))}
        conflicts = {(ext[c.expert_id], app_ext[c.application_id], c.source) for c in s.scalars(select(Conflict))}
        pairs = sorted((app_ext[a.application_id], ext[a.expert_id]) for a in s.scalars(select(Assignment)))
    assert conflicts == {("E01", "A-P3-00", "same_org"), ("E02", "A-P3-00", "declared_code"),
                         ("E03", "A-P3-01", "declared_org"), ("E06", "A-P3-00", "same_org")}
    assert not {(e, a) for a, e in pairs} & {(e, a) for e, a, _ in conflicts}
    p3 = Counter(a for a, _ in pairs if "P3" in a)
    assert set(p3.values()) == {2}  # k = 2 for P3
    p8 = Counter(a for a, _ in pairs if "P8" in a)
    assert set(p8.values()) == {4}  # the whole P8 panel
    loads = Counter(e for a, e in pairs if "P3" in a)
    assert max(loads.values()) - min(loads.values()) <= 1 and len(loads) == 5

    assert [(p.program, p.per_application, p.covered, p.applications) for p in report.programs] == \
        [("P3", 2, 9, 9), ("P8", None, 3, 3)]
    assert report.conflicts == {"declared_code": 1, "declared_org": 1, "same_org": 2}
    assert any("P3" in m.zh and "覆盖 9/9" in m.zh for m in report.summary())

    again = assign(db.sessions, rid, seed=7)
    with db.sessions() as s:
        assert sorted((app_ext[a.application_id], ext[a.expert_id]) for a in s.scalars(select(Assignment))) == pairs
        assert s.scalar(select(func.count()).select_from(Conflict)) == 4  # replaced, not added
        cov = coverage(s, rid)
        assert verify_chain(s) == []
    assert again.assignments == len(pairs)
    assert cov["P3"] == {"applications": 9, "assigned": 9, "covered": 9, "per_application": 2, "uncovered": [],
                         "assigned_at": cov["P3"]["assigned_at"]}
    assert cov["P8"]["covered"] == 3

    differs = {tuple(sorted((a.application_id, a.expert_id) for a in _assignments(db, rid, seed)))
               for seed in range(6)}
    assert len(differs) > 1


def _assignments(db, rid, seed):
    assign(db.sessions, rid, seed=seed)
    with db.sessions() as s:
        return list(s.scalars(select(Assignment)))


def test_uncovered_applications_are_named_with_why(db, tmp_path):
    rid = make_round(db)
    import_roster(db.sessions, rid, write(tmp_path, ROSTER))
    report = assign(db.sessions, rid, per_application=4, seed=1)  # overrides P3 and P8
    assert not report.ok
    [u] = report.uncovered  # P3 panel of 5, two conflicted for A-P3-00: only 3 left
    assert (u.application, u.program, u.needed, u.available) == ("A-P3-00", "P3", 4, 3)
    assert "E01 (same organisation)" in u.msg.en and "E02 (declared credit code)" in u.msg.en
    assert "E01（同单位）" in u.msg.zh and "E06" not in u.msg.en  # E06 is not on the P3 panel
    assert any(line.en.startswith("not covered A-P3-00 (P3)") for line in report.summary())
    with db.sessions() as s:
        cov = coverage(s, rid)
        n = s.scalar(select(func.count()).select_from(Assignment).join(Application)
                     .where(Application.external_id == "A-P3-00"))
    assert cov["P3"]["uncovered"] == ["A-P3-00"] and cov["P3"]["per_application"] == 4
    assert n == 3  # the experts there are still assigned
    with pytest.raises(QbdeskError):
        assign(db.sessions, rid, per_application=0)


def test_recusals_survive_reassignment_and_are_respected(db, tmp_path):
    rid = make_round(db, p3_k=4)
    import_roster(db.sessions, rid, write(tmp_path, ROSTER))
    with db.sessions.begin() as s:
        e04 = s.scalar(select(Expert).where(Expert.external_id == "E04"))
        app = s.scalar(select(Application).where(Application.external_id == "A-P3-05"))
        s.add(Conflict(expert_id=e04.id, application_id=app.id, source="recusal", detail="former employer"))
        e04_id, app_id = e04.id, app.id
    report = assign(db.sessions, rid, seed=3)
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Conflict).where(Conflict.source == "recusal")) == 1
        assert s.scalar(select(func.count()).select_from(Assignment)
                        .where(Assignment.expert_id == e04_id, Assignment.application_id == app_id)) == 0
    assert {u.application for u in report.uncovered} == {"A-P3-00"}


def test_coverage_before_any_assignment(db, tmp_path):
    rid = make_round(db)
    with db.sessions() as s:
        cov = coverage(s, rid)
    assert cov["P3"]["applications"] == 9 and cov["P3"]["covered"] == 0
    assert cov["P3"]["uncovered"] == [] and cov["P3"]["assigned_at"] is None
