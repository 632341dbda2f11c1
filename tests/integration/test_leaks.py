"""Blind PDFs that hide the applicant's identity: the leak scan finds it, the cleaning removes what it can,
``snapshots build`` refuses until the coordinator decides, and the expert gets the cleaned file.

Every hostile PDF from the security review is made here for real (reportlab + pikepdf, the
incremental update appended by hand) and goes through the coordinator's commands.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import subprocess

import pikepdf
import pytest
from leak_pdfs import (
    incremental_info,
    text_pdf,
    with_attachment,
    with_info,
    with_javascript,
    with_xmp,
)
from sqlalchemy import select

from qbdesk.cli.main import main
from qbdesk.domain import credit_code
from qbdesk.formats.package import write_package
from qbdesk.formats.pdf_clean import clean_pdf
from qbdesk.formats.pdf_inspect import page_texts
from qbdesk.store.engine import open_database
from qbdesk.store.models import AuditEntry, CleanedPdf, LeakDecision

NAME = "深圳市峻岭纺织有限公司"
CODE = "91440304PD4WA4NG14"
CONTACT = "王建国"
EMAIL = "wang.jg@junling-tex.com"
PHONE = "0755-31510852"
MOBILE_LINE = "联系人王建国 13912345678"
APP = "2026-P2-0001"
CLEAN_APP = "2026-P2-0002"
assert credit_code.validate(CODE) == CODE


def hostile_pdfs() -> dict[str, bytes]:
    """One file per attack the security review tried."""
    plain = text_pdf()
    return {
        "author.pdf": with_info(plain, Author=NAME),
        "xmp.pdf": with_xmp(plain, creator=CONTACT, email=EMAIL),
        "revised.pdf": incremental_info(plain, Title=f"{NAME} 技术方案", Keywords=CODE),
        "script.pdf": with_javascript(plain, "http://www.junling-tex.com/track"),
        "attached.pdf": with_attachment(plain, "申报书.pdf", text_pdf((f"申报单位：{NAME}", f"统一社会信用代码：{CODE}"))),
        "boxed.pdf": text_pdf(under_box=f"电话 {PHONE}"),
        "white.pdf": text_pdf(white=MOBILE_LINE),
        "header.pdf": text_pdf(header=f"{NAME} 内部资料"),
    }


REMOVABLE = {"author.pdf", "xmp.pdf", "revised.pdf", "script.pdf", "attached.pdf"}  # cleaning removes these leaks


def _manifest(app_id: str, name: str, code: str, files: list[str]) -> dict:
    return {
        "format": "qbdesk.application/1", "id": app_id, "program": "P2", "year": 2026,
        "applicant": {"name": name, "credit_code": code, "contact": CONTACT if app_id == APP else "赵敏",
                      "phone": PHONE if app_id == APP else "0755-26880000", "email": EMAIL if app_id == APP else "",
                      "website": "https://www.junling-tex.com/" if app_id == APP else "",
                      "address": "深圳市南山区粤海街道科技园路88号峻岭大厦5楼" if app_id == APP else "深圳市福田区某路2号"},
        "title": "高性能纤维关键工艺质量攻关", "requested_amount": 300000, "summary": "围绕关键工艺开展质量攻关。",
        "items": [], "attachments": [{"file": "申报书.pdf", "title": "申报书", "blind": False}]
        + [{"file": f, "title": f"技术材料{i + 1}", "blind": True} for i, f in enumerate(files)],
    }


def cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(["--lang", "en", *map(str, argv)])
    except SystemExit as e:  # usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def office(tmp_path, capsys):
    """A round with one hostile application and one clean one, two experts, assigned."""
    pdfs = hostile_pdfs()
    packages = tmp_path / "packages"
    write_package(packages / APP, _manifest(APP, NAME, CODE, list(pdfs)),
                  {"申报书.pdf": text_pdf((f"申报单位：{NAME}",)), **pdfs})
    other = credit_code.generate(random.Random(9))
    write_package(packages / CLEAN_APP, _manifest(CLEAN_APP, "深圳市某某精密制造有限公司", other, ["plan.pdf"]),
                  {"申报书.pdf": text_pdf(("申报单位：深圳市某某精密制造有限公司",)), "plan.pdf": text_pdf()})
    roster = tmp_path / "experts.csv"
    with open(roster, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(("id", "name", "organisation", "title", "phone", "programs", "conflicts"))
        w.writerow(("E01", "陈一", "深圳大学", "教授", "13800000001", "P2", ""))
        w.writerow(("E02", "林二", "南方科技大学", "研究员", "13800000002", "P2", ""))
    db = f"sqlite:///{tmp_path / 'round.sqlite'}"
    for argv in (("round", "init", "--db", db, "--name", "2026年度", "--year", "2026", "--programs", "P2"),
                 ("applications", "import", "--db", db, packages),
                 ("experts", "import", "--db", db, roster),
                 ("assign", "--db", db, "--seed", "1")):
        code, out, err = cli(capsys, *argv)
        assert code == 0, (argv, out, err)
    return {"db": db, "root": tmp_path, "pdfs": pdfs}


def _scan(capsys, db) -> tuple[int, list[dict]]:
    code, out, _ = cli(capsys, "leaks", "scan", "--db", db, "--json")
    return code, json.loads(out)


def test_the_scan_finds_every_hidden_identity_and_masks_it(capsys, office):
    code, findings = _scan(capsys, office["db"])
    assert code == 1
    assert all({"application", "attachment", "page", "kind", "excerpt"} <= set(f) for f in findings)
    assert {f["application"] for f in findings} == {APP}, "the clean application has no finding"
    by_file: dict[str, list[dict]] = {}
    for f in findings:
        by_file.setdefault(f["attachment"], []).append(f)
    seen = {file: {(f["where"], f["kind"]) for f in fs} for file, fs in by_file.items()}
    assert ("info", "name") in seen["author.pdf"]
    assert {("xmp", "contact"), ("xmp", "email")} <= seen["xmp.pdf"]
    assert {("info", "name"), ("info", "credit_code")} <= seen["revised.pdf"]
    assert {("javascript", "website"), ("action", "website")} <= seen["script.pdf"]  # applicant.website's host
    assert ("embedded_file", "name") in seen["attached.pdf"] and ("embedded_file", "credit_code") in seen["attached.pdf"]
    assert ("text", "phone") in seen["boxed.pdf"]
    assert {("text", "contact"), ("text", "phone")} <= seen["white.pdf"]
    assert ("text", "name") in seen["header.pdf"]
    for file, fs in by_file.items():  # what cleaning removes does not block; text on a page does
        assert all(f["removed_by_cleaning"] for f in fs) == (file in REMOVABLE), file
    assert [f["page"] for f in by_file["white.pdf"]] == [1, 1]
    # The whole token is never printed, in JSON or in text.
    code, text, _ = cli(capsys, "leaks", "scan", "--db", office["db"])
    assert code == 1 and "4 open" in text and "qbdesk leaks accept" in text
    for out in (json.dumps(findings, ensure_ascii=False), text):
        for token in (NAME, "峻岭纺织", CODE, CONTACT, EMAIL, "31510852", "13912345678", "junling-tex.com"):
            assert token not in out, token
    assert "深圳市峻岭***" in text


@pytest.mark.slow  # two snapshot builds and two review opens at the real work factor
def test_build_refuses_while_a_finding_is_open_then_accept_and_exclude_unblock_it(capsys, office):
    db, root = office["db"], office["root"]
    build = ("snapshots", "build", "--db", db, "--keys", root / "keys", "--passphrases-out")
    code, out, err = cli(capsys, *build, root / "p1.csv", "--out", root / "usb1")
    assert code == 1 and "4 identity findings" in err and "qbdesk leaks scan" in err and APP in err
    assert not (root / "usb1").exists() or not any((root / "usb1").iterdir())
    code = main(["snapshots", "build", "--db", db, "--keys", str(root / "keys"), "--out", str(root / "usb0")])
    err = capsys.readouterr().err
    assert code == 1 and "4 处身份信息尚未处理" in err and "qbdesk leaks scan" in err

    # Exclude the two files whose text leaks, accept the header.
    for file in ("boxed.pdf", "white.pdf"):
        code, out, _ = cli(capsys, "leaks", "exclude", "--db", db, APP, file, "--reason", "含联系电话，退回申报单位")
        assert code == 0 and "excluded" in out
    code, _, err = cli(capsys, "leaks", "exclude", "--db", db, APP, "nosuch.pdf", "--reason", "x y")
    assert code == 1 and "no blind attachment 'nosuch.pdf'" in err
    code, _, err = cli(capsys, *build, root / "p2.csv", "--out", root / "usb2")
    assert code == 1 and "1 identity findings" in err
    code, _, err = cli(capsys, "leaks", "accept", "--db", db, APP)
    assert code == 2  # --reason is required
    code, out, _ = cli(capsys, "leaks", "accept", "--db", db, APP, "--reason", "页眉为申报单位自有商标，评审组同意")
    assert code == 0 and "accepted 1 findings" in out
    code, out, err = cli(capsys, *build, root / "p3.csv", "--out", root / "usb3")
    assert code == 0, err

    dbh = open_database(db)
    with dbh.sessions() as s:
        actions = [(e.action, e.detail.get("attachment")) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
                   if e.action.startswith("leaks.")]
        assert actions == [("leaks.exclude", "boxed.pdf"), ("leaks.exclude", "white.pdf"), ("leaks.accept", None)]
        accept = s.scalars(select(LeakDecision).where(LeakDecision.action == "accept")).one()
        assert len(accept.fingerprints) == 1 and accept.reason.startswith("页眉")
        cleaned = {c.source_sha256: c.sha256 for c in s.scalars(select(CleanedPdf))}
    dbh.dispose()

    # A new finding after the accept blocks again: the accept covered the findings reviewed only.
    with dbh.sessions.begin() as s:
        from qbdesk.store.models import Application

        app = s.scalars(select(Application).where(Application.external_id == APP)).one()
        app.summary += f"联系电话{PHONE}。"
    dbh.dispose()
    code, _, err = cli(capsys, *build, root / "p4.csv", "--out", root / "usb4")
    assert code == 1 and "1 identity findings" in err

    # What the expert opens: cleaned files only, and never the excluded ones.
    slips = list(csv.DictReader(open(root / "p3.csv", encoding="utf-8-sig")))
    originals = {hashlib.sha256(b).hexdigest(): n for n, b in office["pdfs"].items()}
    got = _open_all(capsys, root, slips)
    titles = {t for pdfs in got.values() for t, _ in pdfs}
    assert "技术材料6" not in titles and "技术材料7" not in titles  # boxed.pdf, white.pdf: excluded
    for pdfs in got.values():
        for _title, data in pdfs:
            sha = hashlib.sha256(data).hexdigest()
            assert sha not in originals and sha in cleaned.values()
            with pikepdf.open(io.BytesIO(data)) as pdf:
                assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root and "/OpenAction" not in pdf.Root
                assert "/Names" not in pdf.Root and not pdf.attachments
                assert all("/Annots" not in p.obj and "/AA" not in p.obj for p in pdf.pages)
            assert NAME.encode("utf-16-be") not in data and CODE.encode() not in data and b"junling" not in data


def _open_all(capsys, root, slips) -> dict[str, list[tuple[str, bytes]]]:
    from qbdesk.services.reviewer.workspace import ReviewWorkspace

    out = {}
    for slip in slips:
        home = root / f"home-{slip['expert_id']}"
        pfile = root / f"{slip['expert_id']}.pp"
        pfile.write_text(slip["passphrase"] + "\n", encoding="utf-8")
        code, _, err = cli(capsys, "review", "open", root / "usb3" / slip["file"], "--home", home, "--passphrase-file", pfile)
        assert code == 0, err
        with ReviewWorkspace.load(home, slip["passphrase"]) as ws:
            out[slip["expert_id"]] = [(a.title, ws.read_attachment(a.entry)) for app in ws.applications
                                      for a in app.attachments]
    return out


@pytest.mark.parametrize("place", ["under_box", "white", "invisible", "clipped", "off_page", "tiny", "header"])
def test_text_hidden_any_way_on_a_page_is_read(place):
    from qbdesk.services.leak_patterns import Identity, LeakMatcher
    from qbdesk.services.leaks import pdf_texts

    matcher = LeakMatcher.for_identity(Identity(APP, NAME, CODE, CONTACT, (PHONE,), EMAIL))
    data = text_pdf(**{place: f"联系人{CONTACT}，电话(0755)3151 0852"})
    found = {(t.where, t.page, m.kind) for t in pdf_texts(data) for m in matcher.find(t.text)}
    assert found == {("text", 1, "contact"), ("text", 1, "phone")}


def test_cleaning_removes_what_it_can_and_keeps_the_pages(office):
    for name, data in office["pdfs"].items():
        cleaned = clean_pdf(data)
        assert clean_pdf(data) == cleaned, f"{name}: cleaning is deterministic"
        assert page_texts(cleaned) == page_texts(data), f"{name}: the pages read the same"
        with pikepdf.open(io.BytesIO(cleaned)) as pdf:
            assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
            assert "/Names" not in pdf.Root and "/OpenAction" not in pdf.Root and not pdf.attachments
        assert b"/Prev" not in cleaned, f"{name}: one revision only"
        if name in REMOVABLE:  # the identity it carried is gone with the metadata
            for token in (NAME, CODE, EMAIL, CONTACT, "junling"):
                assert token.encode("utf-16-be") not in cleaned and token.encode() not in cleaned, (name, token)


@pytest.mark.tools
def test_stock_tools_find_nothing_left_in_the_cleaned_files(office, tmp_path, need_tool):
    qpdf, pdfinfo, pdfdetach = need_tool("qpdf"), need_tool("pdfinfo"), need_tool("pdfdetach")
    for name, data in office["pdfs"].items():
        before, after = tmp_path / f"before-{name}", tmp_path / f"after-{name}"
        before.write_bytes(data)
        after.write_bytes(clean_pdf(data))
        check = subprocess.run([qpdf, "--check", str(after)], capture_output=True, text=True)
        assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout
        info = subprocess.run([pdfinfo, str(after)], capture_output=True, text=True).stdout
        assert "JavaScript:      no" in info and "Metadata Stream: no" in info
        assert not any(line.startswith(("Title:", "Author:", "Keywords:", "Creator:", "Producer:"))
                       for line in info.splitlines()), info
        assert "0 embedded files" in subprocess.run([pdfdetach, "-list", str(after)], capture_output=True, text=True).stdout
        shown = subprocess.run([pdfinfo, str(before)], capture_output=True, text=True).stdout
        if name == "revised.pdf":  # the attack was real: the stock tool shows the planted revision
            assert NAME in shown and CODE in shown
        if name == "script.pdf":
            assert "JavaScript:      yes" in shown


def test_a_pdf_that_cannot_be_parsed_stops_the_build_naming_application_and_file(capsys, office):
    db, root = office["db"], office["root"]
    dbh = open_database(db)
    with dbh.sessions.begin() as s:
        from qbdesk.store.models import Attachment, Blob

        bad = b"%PDF-1.4\n% nothing a reader can use\n%%EOF\n"
        sha = hashlib.sha256(bad).hexdigest()
        s.add(Blob(sha256=sha, size=len(bad), data=bad))
        att = s.scalars(select(Attachment).where(Attachment.file == "plan.pdf")).one()
        att.sha256, att.size = sha, len(bad)
    dbh.dispose()
    code, _, err = cli(capsys, "snapshots", "build", "--db", db, "--keys", root / "keys", "--out", root / "usb")
    assert code == 1 and CLEAN_APP in err and "'plan.pdf'" in err and "cannot be cleaned" in err
    assert "Traceback" not in err
    code, findings = _scan(capsys, db)
    assert code == 1 and {"application": CLEAN_APP, "attachment": "plan.pdf", "page": None,
                          "kind": "unreadable_pdf"}.items() <= next(f for f in findings if f["kind"] == "unreadable_pdf").items()


@pytest.mark.slow
def test_the_demo_round_passes_its_own_scan(capsys, tmp_path, copy_demo):
    url = f"sqlite:///{copy_demo(tmp_path / 'demo') / 'demo.sqlite'}"
    code, out, _ = cli(capsys, "leaks", "scan", "--db", url, "--all-programs")
    assert code == 0 and "63 applications" in out and "no identity found" in out
    code, out, _ = cli(capsys, "leaks", "scan", "--db", url)  # open (verified) programs left out
    assert code == 0 and "35 applications" in out and "no identity found" in out
    # and the id the blind PDFs used to print is gone from every one of them
    dbh = open_database(url)
    with dbh.sessions() as s:
        from qbdesk.store.models import Application, Blob

        for app in s.scalars(select(Application)):
            for att in app.attachments:
                text = "".join(page_texts(s.get(Blob, att.sha256).data))
                assert (app.external_id in text) == (not att.blind), (app.external_id, att.file)
    dbh.dispose()


def _open_program_round(tmp_path, capsys, config: str | None) -> str:
    """The hostile application under P3 (a verified program, open by default)."""
    packages = tmp_path / "packages"
    manifest = _manifest(APP, NAME, CODE, ["header.pdf"]) | {"program": "P3", "requested_amount": 50000,
                                                            "items": [{"id": "C1", "kind": "certificate", "title": "绿色产品认证"}]}
    write_package(packages / APP, manifest, {"申报书.pdf": text_pdf((f"申报单位：{NAME}",)),
                                             "header.pdf": text_pdf(header=f"{NAME} 内部资料")})
    db = f"sqlite:///{tmp_path / 'round.sqlite'}"
    argv = ["round", "init", "--db", db, "--name", "2026年度", "--year", "2026", "--programs", "P3"]
    if config is not None:
        (tmp_path / "round.toml").write_text(config, encoding="utf-8")
        argv += ["--config", tmp_path / "round.toml"]
    for a in (argv, ("applications", "import", "--db", db, packages)):
        code, out, err = cli(capsys, *a)
        assert code == 0, (a, out, err)
    return db


def test_an_open_program_is_not_scanned_as_blind_material(tmp_path, capsys):
    db = _open_program_round(tmp_path, capsys, None)  # P3 is verified, so blind = false by default
    code, findings = _scan(capsys, db)
    assert (code, findings) == (0, [])
    code, out, _ = cli(capsys, "leaks", "scan", "--db", db, "--all-programs", "--json")
    assert code == 1 and any(f["attachment"] == "header.pdf" for f in json.loads(out))


def test_an_open_program_made_blind_by_the_round_is_scanned(tmp_path, capsys):
    db = _open_program_round(tmp_path, capsys, "[programs.P3]\nblind = true\n")
    code, findings = _scan(capsys, db)
    assert code == 1
    assert ("header.pdf", "text", "name") in {(f["attachment"], f["where"], f["kind"]) for f in findings}
