"""Importing application packages into a round: all or nothing per package, idempotent, reported."""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from qbdesk.domain.credit_code import generate
from qbdesk.formats.package import FORMAT, write_package
from qbdesk.services import applications
from qbdesk.services.applications import import_packages
from qbdesk.store.audit import verify_chain
from qbdesk.store.engine import open_database
from qbdesk.store.models import Applicant, Application, Attachment, AuditEntry, Blob, ProgramConfig, Round

MODELS = (Applicant, Application, Attachment, Blob, AuditEntry)


def make_pdf(text: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(200, 200), invariant=1)
    c.drawString(20, 100, text)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def pdfs() -> list[bytes]:
    return [make_pdf(f"page {i}") for i in range(4)]


pytestmark = pytest.mark.postgresql  # every test here runs on SQLite and on PostgreSQL (db_url)


@pytest.fixture
def db(db_url):
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def round_id(db) -> int:
    with db.sessions() as s, s.begin():
        r = Round(name="2026 第一批", year=2026)
        s.add(r)
        s.flush()
        return r.id


def manifest(n: int, **over) -> dict:
    m = {
        "format": FORMAT, "id": f"2026-P3-{n:04d}", "program": "P3", "year": 2026,
        "applicant": {"name": f"深圳市第{n}科技有限公司", "credit_code": generate(random.Random(n)),
                      "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区"},
        "title": f"绿色产品认证 {n}", "requested_amount": 50000, "summary": "一张证书。",
        "items": [{"id": "C1", "kind": "certificate", "title": "绿色产品认证"}],
        "attachments": [{"file": "申报书.pdf", "title": "申报书", "blind": False},
                        {"file": "技术方案.pdf", "title": "技术方案", "blind": True}],
    }
    m.update(over)
    return m


def good(dest: Path, n: int, pdfs: list[bytes], *, as_zip: bool = False, **over) -> Path:
    return write_package(dest, manifest(n, **over), {"申报书.pdf": pdfs[0], "技术方案.pdf": pdfs[1] + str(n).encode()},
                         as_zip=as_zip)


def counts(db) -> dict[str, int]:
    with db.sessions() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in MODELS}


def test_import_one_package(db, round_id, tmp_path, pdfs):
    report = import_packages(db.sessions, round_id, [good(tmp_path / "p1", 1, pdfs)])
    assert report.ok and report.counts == {"imported": 1, "unchanged": 0, "rejected": 0}
    line = report.lines[0]
    assert (line.status, line.external_id) == ("imported", "2026-P3-0001")
    with db.sessions() as s:
        app = s.get(Application, line.application_id)
        assert (app.program, app.year, app.requested_amount, app.tier) == ("P3", 2026, 50000, None)
        assert app.items == [{"id": "C1", "kind": "certificate", "title": "绿色产品认证"}]
        assert app.applicant.name == "深圳市第1科技有限公司"
        assert app.applicant.normalized_name
        assert app.applicant.contact == {"contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区"}
        assert [(a.file, a.blind, a.position) for a in app.attachments] == [("申报书.pdf", False, 0), ("技术方案.pdf", True, 1)]
        assert s.get(Blob, app.attachments[0].sha256).data == pdfs[0]
        entries = s.scalars(select(AuditEntry)).all()
        assert [e.action for e in entries] == ["import_packages"]
        assert entries[0].detail["imported"] == ["2026-P3-0001"]
        assert verify_chain(s) == []


def broken_packages(root: Path, pdfs: list[bytes]) -> dict[str, str]:
    """Write one broken package per reason; name -> expected code."""
    expected = {}

    def bad(name: str, code: str, n: int, files: dict | None = None, **over) -> None:
        f = {"申报书.pdf": pdfs[0], "技术方案.pdf": pdfs[1]} if files is None else files
        write_package(root / name, manifest(n, **over), f)
        expected[name] = code

    bad("b_year", "wrong_year", 101, year=2025)
    bad("b_program", "unknown_program", 102, program="P12")
    bad("b_code", "bad_credit_code", 103, applicant={**manifest(103)["applicant"], "credit_code": "91440300MA5FXXXXX0"})
    bad("b_missing", "missing_file", 104, files={"申报书.pdf": pdfs[0]})
    bad("b_undeclared", "undeclared_file", 105, files={"申报书.pdf": pdfs[0], "技术方案.pdf": pdfs[1], "x.doc": b"x"})
    bad("b_notpdf", "not_pdf", 106, files={"申报书.pdf": pdfs[0], "技术方案.pdf": b"GIF89a"})
    bad("b_items", "no_items", 107, items=[])
    bad("b_tier", "unknown_tier", 108, program="P7", tier="galaxy_award")
    write_package(root / "b_json", manifest(109), {"申报书.pdf": pdfs[0], "技术方案.pdf": pdfs[1]})
    (root / "b_json" / "application.json").write_text('{"format": "qbdesk.application/1",}', encoding="utf-8")
    expected["b_json"] = "malformed_json"
    (root / "b_zip.zip").write_bytes(b"PK\x03\x04 truncated")
    expected["b_zip.zip"] = "bad_zip"
    return expected


def test_mixed_folder_imports_the_good_and_names_each_broken(db, round_id, tmp_path, pdfs):
    root = tmp_path / "incoming"
    for n in (1, 2):
        good(root / f"g{n}", n, pdfs)
    good(root / "g3", 3, pdfs, as_zip=True)
    expected = broken_packages(root, pdfs)
    report = import_packages(db.sessions, round_id, [root])
    assert not report.ok
    assert report.counts == {"imported": 3, "unchanged": 0, "rejected": len(expected)}
    rejected = {line.path.name: line for line in report.lines if line.status == "rejected"}
    assert {name: line.problems[0].code for name, line in rejected.items()} == expected
    assert "第1行第35列" in rejected["b_json"].text("zh") and "line 1, column 35" in rejected["b_json"].text("en")
    assert "申报年度为 2025" in rejected["b_year"].text("zh")
    assert counts(db)["Application"] == 3
    with db.sessions() as s:
        detail = s.scalars(select(AuditEntry)).one().detail
    assert sorted(detail["imported"]) == ["2026-P3-0001", "2026-P3-0002", "2026-P3-0003"]
    assert {r["path"].rsplit("/", 1)[-1] for r in detail["rejected"]} == set(expected)


def test_reimport_changes_nothing(db, round_id, tmp_path, pdfs):
    paths = [good(tmp_path / "p1", 1, pdfs), good(tmp_path / "p2", 2, pdfs, as_zip=True)]
    first = import_packages(db.sessions, round_id, paths)
    before = counts(db)
    again = import_packages(db.sessions, round_id, paths)
    assert again.ok and again.counts == {"imported": 0, "unchanged": 2, "rejected": 0}
    assert [line.application_id for line in again.lines] == [line.application_id for line in first.lines]
    assert counts(db) == before  # including the audit log


def test_same_id_different_content_is_rejected(db, round_id, tmp_path, pdfs):
    import_packages(db.sessions, round_id, [good(tmp_path / "p1", 1, pdfs)])
    before = counts(db)
    changed = good(tmp_path / "p1b", 1, pdfs, title="改过的标题")
    report = import_packages(db.sessions, round_id, [changed])
    line = report.lines[0]
    assert (line.status, line.problems[0].code) == ("rejected", "duplicate_id")
    assert "申报编号 2026-P3-0001 已导入本批次，但内容不同" in line.text("zh")
    assert "already in this round with different contents" in line.text("en")
    assert counts(db) == before
    with db.sessions() as s:
        assert s.scalars(select(Application.title)).one() == "绿色产品认证 1"


def test_duplicate_ids_within_one_batch(db, round_id, tmp_path, pdfs):
    a = good(tmp_path / "a", 1, pdfs)
    same_as_zip = good(tmp_path / "b", 1, pdfs, as_zip=True)
    different = good(tmp_path / "c", 1, pdfs, requested_amount=40000)
    report = import_packages(db.sessions, round_id, [a, same_as_zip, different])
    assert [line.status for line in report.lines] == ["imported", "unchanged", "rejected"]
    assert report.lines[2].problems[0].code == "duplicate_id"
    assert "在本批次中重复" in report.lines[2].text("zh") and "appears twice in this batch" in report.lines[2].text("en")
    assert counts(db)["Application"] == 1


def test_failure_midway_leaves_nothing_half_imported(db, round_id, tmp_path, pdfs):
    paths = [good(tmp_path / f"p{n}", n, pdfs) for n in (1, 2, 3)]

    def fail_second(_mapper, _conn, app):  # the applicant row is already written by now
        if app.external_id == "2026-P3-0002":
            raise OperationalError("INSERT INTO application", {}, Exception("disk I/O error"))

    event.listen(Application, "before_insert", fail_second)
    try:
        report = import_packages(db.sessions, round_id, paths)
    finally:
        event.remove(Application, "before_insert", fail_second)
    assert [line.status for line in report.lines] == ["imported", "rejected", "imported"]
    assert report.lines[1].problems[0].code == "import_failed"
    assert "导入失败，未写入任何内容" in report.lines[1].text("zh")
    with db.sessions() as s:
        names = s.scalars(select(Applicant.name).order_by(Applicant.name)).all()
        assert names == ["深圳市第1科技有限公司", "深圳市第3科技有限公司"]
        assert s.scalar(select(func.count()).select_from(Attachment)) == 4
    retry = import_packages(db.sessions, round_id, paths)
    assert [line.status for line in retry.lines] == ["unchanged", "imported", "unchanged"]


def test_unexpected_error_rolls_back_and_propagates(db, round_id, tmp_path, pdfs, monkeypatch):
    monkeypatch.setattr(applications, "Attachment", lambda **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        import_packages(db.sessions, round_id, [good(tmp_path / "p1", 1, pdfs)])
    assert counts(db) == {"Applicant": 0, "Application": 0, "Attachment": 0, "Blob": 0, "AuditEntry": 0}


def test_blobs_and_applicants_are_shared(db, round_id, tmp_path, pdfs):
    same = manifest(1)["applicant"]
    a = write_package(tmp_path / "a", manifest(1), {"申报书.pdf": pdfs[0], "技术方案.pdf": pdfs[1]})
    b = write_package(tmp_path / "b", manifest(2, applicant={**same, "name": "深圳市第1科技股份有限公司"}),
                      {"申报书.pdf": pdfs[0], "技术方案.pdf": pdfs[0]})
    report = import_packages(db.sessions, round_id, [a, b])
    assert report.ok
    assert counts(db)["Blob"] == 2 and counts(db)["Attachment"] == 4 and counts(db)["Applicant"] == 1
    assert "renamed from '深圳市第1科技有限公司' to '深圳市第1科技股份有限公司'" in report.lines[1].text("en")
    with db.sessions() as s:
        assert s.scalars(select(Applicant.name)).one() == "深圳市第1科技股份有限公司"


def test_progress_is_called_per_package(db, round_id, tmp_path, pdfs):
    root = tmp_path / "in"
    for n in range(1, 5):
        good(root / f"p{n}", n, pdfs)
    (root / "junk.txt").write_text("not a package")
    seen = []
    report = import_packages(db.sessions, round_id, [root], progress=lambda i, total, name: seen.append((i, total, name)))
    assert seen == [(1, 5, "junk.txt"), (2, 5, "p1"), (3, 5, "p2"), (4, 5, "p3"), (5, 5, "p4")]
    assert report.lines[0].problems[0].code == "not_a_package"


def test_cancel_stops_cleanly(db, round_id, tmp_path, pdfs):
    paths = [good(tmp_path / f"p{n}", n, pdfs) for n in range(1, 6)]
    done = []
    report = import_packages(db.sessions, round_id, paths, progress=lambda i, t, n: done.append(i),
                             cancel=lambda: len(done) >= 2)
    assert report.cancelled and not report.ok
    assert report.counts["imported"] == 2 and report.total == 5
    assert "已取消，3 个未处理" in report.summary().zh and "cancelled, 3 not processed" in report.summary().en
    assert counts(db)["Application"] == 2
    with db.sessions() as s:
        assert s.scalars(select(AuditEntry)).one().detail["cancelled"] is True
    rest = import_packages(db.sessions, round_id, paths)
    assert rest.counts == {"imported": 3, "unchanged": 2, "rejected": 0}


def test_round_programs_and_tiers_come_from_the_round(db, round_id, tmp_path, pdfs):
    with db.sessions() as s, s.begin():
        s.add_all([ProgramConfig(round_id=round_id, program="P7", tiers={"city_gold": {"amount": 100000}}),
                   ProgramConfig(round_id=round_id, program="P2")])
    p7 = good(tmp_path / "p7", 1, pdfs, program="P7", tier="city_gold")
    p3 = good(tmp_path / "p3", 2, pdfs)
    report = import_packages(db.sessions, round_id, [p7, p3])
    assert [line.status for line in report.lines] == ["imported", "rejected"]
    assert "program P3 is not part of this round (the round has P2, P7)" in report.lines[1].text("en")


def test_folder_without_manifest_and_missing_paths(db, round_id, tmp_path, pdfs):
    root = tmp_path / "in"
    good(root / "ok", 1, pdfs)
    (root / "lost").mkdir()
    (root / "lost" / "申报书.pdf").write_bytes(pdfs[0])
    report = import_packages(db.sessions, round_id, [root, tmp_path / "nowhere", root / "ok" / "application.json"])
    by_name = {line.path.name: line for line in report.lines}
    assert set(by_name) == {"ok", "lost", "nowhere"}  # ok/application.json is the same package as ok
    assert by_name["lost"].problems[0].code == "missing_manifest"
    assert by_name["nowhere"].problems[0].code == "not_found"
    assert "找不到此路径" in by_name["nowhere"].text("zh")


def test_attachment_replaced_after_check_is_not_imported(db, round_id, tmp_path, pdfs, monkeypatch):
    p = good(tmp_path / "p1", 1, pdfs)
    real = applications.check_package

    def check_then_tamper(path, rules):
        result = real(path, rules)
        shutil.copyfile(p / "技术方案.pdf", p / "申报书.pdf")
        return result

    monkeypatch.setattr(applications, "check_package", check_then_tamper)
    report = import_packages(db.sessions, round_id, [p])
    assert report.lines[0].problems[0].code == "import_failed"
    assert "changed after it was checked" in report.lines[0].text("en")
    assert counts(db)["Applicant"] == 0


def test_unknown_round(db, tmp_path, pdfs):
    from qbdesk.domain.messages import QbdeskError

    with pytest.raises(QbdeskError, match="no round with id 99"):
        import_packages(db.sessions, 99, [good(tmp_path / "p1", 1, pdfs)])
