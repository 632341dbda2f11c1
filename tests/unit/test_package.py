"""Reading and validating one application package (qbdesk.application/1)."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from qbdesk.domain.credit_code import generate
from qbdesk.domain.messages import QbdeskError
from qbdesk.formats.package import (
    FORMAT,
    Limits,
    PackageCheck,
    PackageError,
    RoundRules,
    check_package,
    package_digest,
    read_package,
    write_package,
)

RULES = RoundRules(year=2026)


def make_pdf(text: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(200, 200), invariant=1)
    c.drawString(20, 100, text)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_pdf("application")


def manifest(**over) -> dict:
    m = {
        "format": FORMAT,
        "id": "2026-P3-0007",
        "program": "P3",
        "year": 2026,
        "applicant": {"name": "深圳市某某科技有限公司", "credit_code": generate(random.Random(7)),
                      "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区科技园"},
        "title": "绿色产品认证",
        "requested_amount": 150000,
        "summary": "取得绿色产品认证证书一张。",
        "items": [{"id": "C1", "kind": "certificate", "title": "绿色产品认证", "reference": "证书编号 123",
                   "date": "2026-03-01"}],
        "attachments": [{"file": "申报书.pdf", "title": "申报书", "blind": False},
                        {"file": "技术方案（脱敏）.pdf", "title": "技术方案", "blind": True}],
    }
    m.update(over)
    return m


def files(pdf: bytes) -> dict[str, bytes]:
    return {"申报书.pdf": pdf, "技术方案（脱敏）.pdf": pdf + b"%blind\n"}


def check(tmp_path: Path, m: dict, f: dict[str, bytes], *, rules: RoundRules = RULES, as_zip: bool = False) -> PackageCheck:
    return check_package(write_package(tmp_path / "pkg", m, f, as_zip=as_zip), rules)


def only_problem(result: PackageCheck, code: str, zh: str, en: str) -> None:
    """The package is rejected for exactly this reason, in words a user reads in both languages."""
    assert result.package is None
    assert [p.code for p in result.problems] == [code], [str(p.msg) for p in result.problems]
    assert zh in result.problems[0].text("zh")
    assert en in result.problems[0].text("en")


# --- good packages -------------------------------------------------------------------------


def test_valid_folder_package(tmp_path, pdf):
    result = check(tmp_path, manifest(), files(pdf))
    assert result.ok and not result.problems
    pkg = result.package
    assert (pkg.id, pkg.program, pkg.year, pkg.requested_amount) == ("2026-P3-0007", "P3", 2026, 150000)
    assert pkg.applicant.name == "深圳市某某科技有限公司"
    assert pkg.applicant.contact_json()["phone"] == "0755-12345678"
    assert [i.id for i in pkg.items] == ["C1"]
    assert [(a.file, a.blind) for a in pkg.attachments] == [("申报书.pdf", False), ("技术方案（脱敏）.pdf", True)]
    assert pkg.attachments[0].read() == pdf
    assert len(pkg.digest) == 64


def test_zip_and_folder_have_the_same_digest(tmp_path, pdf):
    folder = check_package(write_package(tmp_path / "a", manifest(), files(pdf)), RULES)
    zipped = check_package(write_package(tmp_path / "b", manifest(), files(pdf), as_zip=True), RULES)
    assert zipped.ok
    assert zipped.package.digest == folder.package.digest
    assert zipped.package.attachments[1].read() == pdf + b"%blind\n"


def test_zip_with_single_top_folder(tmp_path, pdf):
    z = tmp_path / "p.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("2026-P3-0007/application.json", json.dumps(manifest(), ensure_ascii=False))
        for name, data in files(pdf).items():
            zf.writestr(f"2026-P3-0007/{name}", data)
        zf.writestr("__MACOSX/2026-P3-0007/._申报书.pdf", b"junk")
    assert check_package(z, RULES).ok


def test_zip_with_gbk_names_from_windows_explorer(tmp_path, pdf):
    # Explorer on Chinese Windows writes GBK names without the UTF-8 flag.
    m = manifest(attachments=[{"file": "申报书.pdf", "title": "申报书", "blind": False}])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("application.json", json.dumps(m, ensure_ascii=False), zipfile.ZIP_DEFLATED)
        zf.writestr("XXXXXX.pdf", pdf)
    raw = buf.getvalue().replace(b"XXXXXX.pdf", "申报书.pdf".encode("gbk"))
    (tmp_path / "gbk.zip").write_bytes(raw)
    assert check_package(tmp_path / "gbk.zip", RULES).ok


def test_digest_ignores_layout_but_not_content(tmp_path, pdf):
    m = manifest()
    d = check(tmp_path, m, files(pdf)).package.digest
    assert package_digest(dict(reversed(list(m.items()))), {}) == package_digest(m, {})
    f = files(pdf)
    f["申报书.pdf"] = pdf + b"\n"
    assert check_package(write_package(tmp_path / "other", m, f), RULES).package.digest != d
    assert check_package(write_package(tmp_path / "t", manifest(title="另一个"), files(pdf)), RULES).package.digest != d


def test_os_litter_is_not_undeclared(tmp_path, pdf):
    f = files(pdf) | {".DS_Store": b"x", "Thumbs.db": b"x"}
    assert check(tmp_path, manifest(), f).ok


def test_read_notices_a_file_changed_after_the_check(tmp_path, pdf):
    result = check(tmp_path, manifest(), files(pdf))
    (tmp_path / "pkg" / "申报书.pdf").write_bytes(pdf + b"changed")
    with pytest.raises(QbdeskError, match="changed after it was checked"):
        result.package.attachments[0].read()


def test_read_package_raises_with_every_problem(tmp_path, pdf):
    p = write_package(tmp_path / "pkg", manifest(year=2025, program="P0"), files(pdf))
    with pytest.raises(PackageError) as e:
        read_package(p, RULES)
    assert {q.code for q in e.value.problems} == {"wrong_year", "unknown_program"}


# --- each reason a package is rejected ----------------------------------------------------


def test_malformed_json_names_line_and_column(tmp_path, pdf):
    p = write_package(tmp_path / "pkg", manifest(), files(pdf))
    (p / "application.json").write_text('{\n  "format": "qbdesk.application/1",\n  "id" "x"\n}', encoding="utf-8")
    only_problem(check_package(p, RULES), "malformed_json", "第3行第8列：缺少冒号", "line 3, column 8: Expecting ':' delimiter")


def test_manifest_not_utf8(tmp_path, pdf):
    p = write_package(tmp_path / "pkg", manifest(), files(pdf))
    (p / "application.json").write_bytes(json.dumps(manifest(), ensure_ascii=False).encode("gbk"))
    only_problem(check_package(p, RULES), "malformed_json", "不是 UTF-8 编码", "is not UTF-8")


def test_manifest_with_bom_is_accepted(tmp_path, pdf):
    p = write_package(tmp_path / "pkg", manifest(), files(pdf))
    (p / "application.json").write_bytes(b"\xef\xbb\xbf" + (p / "application.json").read_bytes())
    assert check_package(p, RULES).ok


def test_duplicate_json_key(tmp_path, pdf):
    p = write_package(tmp_path / "pkg", manifest(), files(pdf))
    text = (p / "application.json").read_text(encoding="utf-8").replace('"year": 2026', '"year": 2026, "year": 2025')
    (p / "application.json").write_text(text, encoding="utf-8")
    only_problem(check_package(p, RULES), "malformed_json", "键“year”重复出现", "repeats the key 'year'")


def test_json_nan_is_malformed(tmp_path, pdf):
    p = write_package(tmp_path / "pkg", manifest(), files(pdf))
    text = (p / "application.json").read_text(encoding="utf-8").replace("150000", "NaN")
    (p / "application.json").write_text(text, encoding="utf-8")
    only_problem(check_package(p, RULES), "malformed_json", "不允许的数值 NaN", "contains NaN")


def test_missing_manifest(tmp_path, pdf):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "申报书.pdf").write_bytes(pdf)
    only_problem(check_package(tmp_path / "pkg", RULES), "missing_manifest", "缺少 application.json", "no application.json")


def test_unknown_format(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(format="qbdesk.application/2"), files(pdf)), "unknown_format",
                 "只读取 qbdesk.application/1", 'format is "qbdesk.application/2"')


def test_unknown_program(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(program="P10"), files(pdf)), "unknown_program",
                 "未知的项目类别“P10”", "unknown program 'P10'")


def test_program_not_in_round(tmp_path, pdf):
    rules = RoundRules(year=2026, programs=frozenset({"P1", "P2"}))
    only_problem(check(tmp_path, manifest(), files(pdf), rules=rules), "unknown_program",
                 "项目类别 P3 不在本批次中（本批次：P1、P2）", "program P3 is not part of this round")


def test_wrong_year(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(year=2025), files(pdf)), "wrong_year",
                 "申报年度为 2025，本批次年度为 2026", "the package is for year 2025 but the round is for 2026")


def test_bad_credit_code_check_digit(tmp_path, pdf):
    m = manifest()
    code = m["applicant"]["credit_code"]
    m["applicant"]["credit_code"] = code[:17] + ("0" if code[17] != "0" else "1")
    only_problem(check(tmp_path, m, files(pdf)), "bad_credit_code", "applicant.credit_code：统一社会信用代码校验位错误",
                 "applicant.credit_code: wrong check character")


def test_missing_file(tmp_path, pdf):
    f = files(pdf)
    del f["申报书.pdf"]
    only_problem(check(tmp_path, manifest(), f), "missing_file", "声明的附件“申报书.pdf”不在申报包中",
                 "declared attachment '申报书.pdf' is not in the package")


def test_missing_file_hints_at_letter_case(tmp_path, pdf):
    m = manifest(attachments=[{"file": "plan.pdf", "title": "申报书", "blind": False}])
    result = check(tmp_path, m, {"Plan.PDF": pdf})
    assert [p.code for p in result.problems] == ["missing_file", "undeclared_file"]
    assert "仅大小写不同" in result.problems[0].text("zh")
    assert "differs only in letter case" in result.problems[0].text("en")


def test_undeclared_file(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(), files(pdf) | {"extra/notes.txt": b"hello"}), "undeclared_file",
                 "文件“extra/notes.txt”未在 attachments 中声明", "file 'extra/notes.txt' is not declared in attachments")


def test_attachment_not_pdf(tmp_path, pdf):
    f = files(pdf)
    f["申报书.pdf"] = b"PK\x03\x04 a word document"
    only_problem(check(tmp_path, manifest(), f), "not_pdf", "附件“申报书.pdf”不是 PDF 文件",
                 "attachment '申报书.pdf' is not a PDF")


def test_empty_attachment_is_not_pdf(tmp_path, pdf):
    f = files(pdf)
    f["申报书.pdf"] = b""
    only_problem(check(tmp_path, manifest(), f), "not_pdf", "不是 PDF 文件", "is not a PDF")


@pytest.mark.parametrize("name, en", [("../申报书.pdf", "'..'"), ("/etc/passwd", "absolute path"),
                                      ("C:/x.pdf", "absolute path"), ("a\\b.pdf", "backslash")])
def test_declared_file_must_not_escape(tmp_path, pdf, name, en):
    m = manifest(attachments=[{"file": name, "title": "x", "blind": False}])
    result = check(tmp_path, m, {})
    codes = [p.code for p in result.problems]
    assert codes[0] == "unsafe_path" and "unsafe_path" not in codes[1:]
    assert en in result.problems[0].text("en")
    assert "文件名" in result.problems[0].text("zh")


def test_symlink_in_folder_is_unsafe(tmp_path, pdf):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(pdf)
    p = write_package(tmp_path / "pkg", manifest(attachments=[{"file": "a.pdf", "title": "a", "blind": False}]), {})
    (p / "a.pdf").symlink_to(outside)
    result = check_package(p, RULES)
    assert "unsafe_path" in [q.code for q in result.problems]
    assert "符号链接" in result.problems[0].text("zh") and "symbolic link" in result.problems[0].text("en")


def test_duplicate_item_id(tmp_path, pdf):
    item = manifest()["items"][0]
    only_problem(check(tmp_path, manifest(items=[item, item]), files(pdf)), "duplicate_item",
                 "items[1].id：条目编号“C1”重复", "items[1].id: item id 'C1' is used twice")


def test_per_item_program_needs_items(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(items=[]), files(pdf)), "no_items",
                 "项目 P3 至少需要在 items 中列出一项（认证证书）", "program P3 needs at least one entry in items (certificate)")


def test_fixed_program_needs_no_items(tmp_path, pdf):
    m = manifest(program="P2")
    del m["items"]
    assert check(tmp_path, m, files(pdf)).ok


def test_tiered_program_unknown_tier(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(program="P7", tier="gold_medal"), files(pdf)), "unknown_tier",
                 "“gold_medal”不在项目 P7 的档次表中", "'gold_medal' is not in the tier table of P7")


def test_tiered_program_missing_tier(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(program="P5"), files(pdf)), "unknown_tier",
                 "项目 P5 必须填写档次", "program P5 needs a tier")


def test_tier_from_round_override(tmp_path, pdf):
    rules = RoundRules(year=2026, tiers={"P7": frozenset({"gold"})})
    assert check(tmp_path, manifest(program="P7", tier="gold"), files(pdf), rules=rules).ok
    result = check(tmp_path / "x", manifest(program="P7", tier="national_award"), files(pdf), rules=rules)
    assert [p.code for p in result.problems] == ["unknown_tier"]


def test_tier_on_untiered_program(tmp_path, pdf):
    only_problem(check(tmp_path, manifest(tier="national_award"), files(pdf)), "bad_field",
                 "tier：项目 P3 不分档次", "tier: program P3 has no tiers")


@pytest.mark.parametrize("over, zh, en", [
    ({"title": ""}, "title：不能为空", "title: must not be empty"),
    ({"requested_amount": "150000"}, "requested_amount：必须是整数", "requested_amount: must be a whole number"),
    ({"requested_amount": -5}, "requested_amount：必须是正整数", "requested_amount: must be a positive"),
    ({"id": "2026/P3 7"}, "id：必须是 1 至 64 个", "id: must be 1 to 64"),
    ({"year": "2026"}, "year：必须是整数", "year: must be a whole number"),
    ({"titel": "x"}, "titel：未知字段", "titel: unknown field"),
    ({"attachments": []}, "attachments：至少需要一个附件", "attachments: at least one attachment"),
])
def test_bad_fields(tmp_path, pdf, over, zh, en):
    f = files(pdf) if over.get("attachments", True) else {}
    only_problem(check(tmp_path, manifest(**over), f), "bad_field", zh, en)


def test_bad_nested_fields_are_all_reported(tmp_path, pdf):
    m = manifest()
    del m["applicant"]["phone"]
    m["items"][0]["date"] = "2026-02-30"
    m["attachments"][1]["blind"] = "yes"
    result = check(tmp_path, m, files(pdf))
    texts = [p.text("en") for p in result.problems]
    assert texts == ["applicant.phone: missing", "items[0].date: must be a date as YYYY-MM-DD",
                     "attachments[1].blind: must be true or false"]
    assert result.problems[0].text("zh") == "applicant.phone：缺少此字段"


# --- zip safety ---------------------------------------------------------------------------


def test_not_a_zip(tmp_path):
    (tmp_path / "p.zip").write_bytes(b"this is not a zip")
    only_problem(check_package(tmp_path / "p.zip", RULES), "bad_zip", "不是有效的 zip 文件", "not a valid zip file")


def test_zip_path_traversal(tmp_path, pdf):
    z = tmp_path / "p.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("application.json", json.dumps(manifest(), ensure_ascii=False))
        for name, data in files(pdf).items():
            zf.writestr(name, data)
        zf.writestr("../../evil.pdf", pdf)
    only_problem(check_package(z, RULES), "unsafe_path", "zip 条目不安全", "unsafe zip entry: file name '../../evil.pdf'")


def test_zip_bomb(tmp_path, pdf):
    z = tmp_path / "p.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("application.json", json.dumps(manifest(), ensure_ascii=False))
        for name, data in files(pdf).items():
            zf.writestr(name, data)
        zf.writestr("bomb.pdf", b"%PDF-" + bytes(200_000))
    rules = RoundRules(year=2026, limits=Limits(ratio_floor=10_000))
    only_problem(check_package(z, rules), "zip_bomb", "疑似压缩炸弹", "a likely zip bomb")


def test_zip_oversize_entry(tmp_path, pdf):
    z = write_package(tmp_path / "p", manifest(), files(pdf), as_zip=True)
    rules = RoundRules(year=2026, limits=Limits(max_file_bytes=len(pdf) + 3))
    only_problem(check_package(z, rules), "too_large", "解压后", "uncompressed, above the limit")


def test_corrupt_zip_entry(tmp_path, pdf):
    z = write_package(tmp_path / "p", manifest(), {"申报书.pdf": pdf, "技术方案（脱敏）.pdf": b"%PDF-" + random.Random(1).randbytes(5000)},
                      as_zip=True)
    raw = bytearray(z.read_bytes())
    at = raw.index("技术方案（脱敏）.pdf".encode()) + 60  # inside that entry's compressed data
    raw[at:at + 8] = b"\xff" * 8
    z.write_bytes(bytes(raw))
    result = check_package(z, RULES)
    assert [p.code for p in result.problems] == ["bad_zip"]
    assert "无法读取附件“技术方案（脱敏）.pdf”" in result.problems[0].text("zh")


def test_missing_path(tmp_path):
    only_problem(check_package(tmp_path / "nope", RULES), "not_found", "找不到此路径", "no such file or folder")


def test_write_package_refuses_unsafe_names(tmp_path, pdf):
    with pytest.raises(ValueError):
        write_package(tmp_path / "p", manifest(), {"../x.pdf": pdf})
    assert not (tmp_path / "x.pdf").exists()


def test_digest_test_vector_in_docs():
    # docs/formats.md, "Package digest": keep both in step.
    m = {"format": "qbdesk.application/1", "id": "TV-1", "program": "P2", "year": 2026,
         "applicant": {"name": "测试单位", "credit_code": "914403004JURQ283F0", "contact": "张三",
                       "phone": "0755-1", "address": "深圳"},
         "title": "t", "requested_amount": 300000, "summary": "",
         "attachments": [{"file": "a.pdf", "title": "申报书", "blind": False}]}
    sha = "e5c62df5dab5c87b6a015ef3d43597074d1eec433b15f51aec63b8582d0e4ab4"
    assert package_digest(m, {"a.pdf": sha}) == "28f59fd6fe93004427015c9a6e7cc9c38b394842c02672977e67e64871f60cae"


def test_docs_example_is_a_valid_package(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    p = write_package(tmp_path / "pkg", example, {"申报书.pdf": b"%PDF-1.4\n", "技术方案（脱敏）.pdf": b"%PDF-1.4\n%x\n"})
    assert check_package(p, RULES).ok


@pytest.mark.parametrize("code, over, drop, add", [
    ("wrong_year", {"year": 2027}, None, None),
    ("bad_credit_code", {"applicant": {**manifest()["applicant"], "credit_code": "91440300MA5FXXXXX0"}}, None, None),
    ("missing_file", {}, "申报书.pdf", None),
    ("undeclared_file", {}, None, ("readme.txt", b"x")),
    ("not_pdf", {}, None, ("申报书.pdf", b"\x89PNG")),
    ("no_items", {"items": []}, None, None),
])
def test_zip_form_reports_the_same_reasons(tmp_path, pdf, code, over, drop, add):
    f = files(pdf)
    if drop:
        del f[drop]
    if add:
        f[add[0]] = add[1]
    folder = check(tmp_path / "f", manifest(**over), f)
    zipped = check(tmp_path / "z", manifest(**over), f, as_zip=True)
    assert [p.code for p in folder.problems] == [p.code for p in zipped.problems] == [code]
    assert folder.problems[0].msg == zipped.problems[0].msg


# --- per-item tiers (P5, P7) ----------------------------------------------------------------

P5_ITEMS = [{"id": "M1", "kind": "metrology_activity", "title": "主导制定国家计量技术规范", "tier": "national_regulation_lead"},
            {"id": "M2", "kind": "metrology_activity", "title": "市级社会公用计量标准证书"}]


def test_each_item_has_its_own_tier_and_the_top_level_tier_is_the_default(tmp_path, pdf):
    result = check(tmp_path, manifest(program="P5", tier="municipal_standard_certificate", items=P5_ITEMS), files(pdf))
    assert result.ok, [str(p.msg) for p in result.problems]
    assert [(i.id, i.tier) for i in result.package.items] == [
        ("M1", "national_regulation_lead"), ("M2", "municipal_standard_certificate")]
    assert result.package.items[0].as_json()["tier"] == "national_regulation_lead"


def test_no_top_level_tier_is_needed_when_every_item_has_one(tmp_path, pdf):
    items = [P5_ITEMS[0], {**P5_ITEMS[1], "tier": "municipal_standard_certificate"}]
    result = check(tmp_path, manifest(program="P5", items=items), files(pdf))
    assert result.ok and result.package.tier is None
    # an item without a tier of its own and no default: named
    only_problem(check(tmp_path / "x", manifest(program="P5", items=P5_ITEMS), files(pdf)), "unknown_tier",
                 "项目 P5 必须填写档次", "program P5 needs a tier")


def test_an_items_tier_must_be_in_the_table_and_only_for_tiered_programs(tmp_path, pdf):
    items = [{**P5_ITEMS[0], "tier": "gold"}]
    only_problem(check(tmp_path, manifest(program="P5", tier="municipal_standard_certificate", items=items), files(pdf)),
                 "unknown_tier", "items[0].tier：“gold”不在项目 P5 的档次表中", "items[0].tier: 'gold' is not in the tier table of P5")
    items = [{"id": "C1", "kind": "certificate", "title": "绿色产品认证", "tier": "national_award"}]
    only_problem(check(tmp_path / "x", manifest(items=items), files(pdf)), "bad_field",
                 "items[0].tier：项目 P3 不分档次", "items[0].tier: program P3 has no tiers")
