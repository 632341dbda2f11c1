"""The demo round generator and the embedded CJK font."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from qbdesk.demo import build_round, generate_demo, write_round
from qbdesk.demo.documents import rmb_upper
from qbdesk.demo.generator import EXPERTS_HEADER
from qbdesk.domain import credit_code
from qbdesk.domain.messages import QbdeskError
from qbdesk.domain.programs import PROGRAM_CODES, program
from qbdesk.paths import project_root, resource_path
from qbdesk.reports import fonts

ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
SMALL = 18  # two applications per program: enough for every rule, fast


def _squeeze(text: str) -> str:
    """Text without whitespace: wrapped lines must not hide a name split across them."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def small_plan():
    return build_round(seed=11, applications=SMALL)


@pytest.fixture(scope="module")
def small_round(small_plan, tmp_path_factory):
    return write_round(small_plan, tmp_path_factory.mktemp("demo"))


def _manifests(demo) -> list[tuple[Path, dict]]:
    return [(d, json.loads((d / "application.json").read_text(encoding="utf-8"))) for d in demo.package_dirs]


# --- the font -------------------------------------------------------------------------------


def _cmap() -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(fonts.CJK_FONT_PATH)).getBestCmap())


def test_font_is_a_small_truetype_with_all_gb2312_hanzi():
    from fontTools.ttLib import TTFont

    path = fonts.CJK_FONT_PATH
    assert path == resource_path("fonts", "wqy-microhei-gb2312.ttf")
    assert path.stat().st_size < 3_000_000
    font = TTFont(str(path))
    assert "glyf" in font and "CFF " not in font  # reportlab embeds TrueType outlines only
    spec = importlib.util.spec_from_file_location("make_subset", resource_path("fonts", "make_subset.py"))
    make_subset = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_subset)
    hanzi = {c for c in make_subset.gb2312_chars() if "\u4e00" <= c <= "\u9fff"}
    assert len(hanzi) == 6763
    cmap = _cmap()
    missing = [c for c in hanzi if ord(c) not in cmap]
    assert not missing, f"GB2312 hanzi missing from the font: {''.join(missing[:20])}"
    assert (resource_path("fonts", "README.md")).is_file()
    assert (resource_path("fonts", "LICENSE-Apache-2.0.txt")).is_file()


def test_font_covers_the_text_qbdesk_prints():
    root = project_root()
    files = [root / "resources" / "programs.json", *sorted((root / "resources" / "rubrics").glob("**/*.json")),
             *sorted((root / "qbdesk" / "demo").glob("*.py")), *sorted((root / "qbdesk" / "reports").glob("**/*.py"))]
    cmap = _cmap()
    missing = {ch: f.name for f in files for ch in f.read_text(encoding="utf-8")
               if ord(ch) > 0x7F and ch.isprintable() and not ch.isspace() and ord(ch) not in cmap}
    assert not missing, f"rerun resources/fonts/make_subset.py; characters not in the font: {missing}"


def test_register_cjk_font_is_idempotent():
    from reportlab.pdfbase import pdfmetrics

    name = fonts.register_cjk_font()
    assert fonts.register_cjk_font() == name
    assert name in pdfmetrics.getRegisteredFontNames()
    assert pdfmetrics.stringWidth("质量", name, 10) == pytest.approx(20, rel=0.05)


def test_missing_font_file_is_a_bilingual_error(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_registered", False)
    monkeypatch.setattr(fonts, "CJK_FONT_NAME", "QbdeskCJKMissingTest")
    monkeypatch.setattr(fonts, "CJK_FONT_PATH", tmp_path / "nope.ttf")
    with pytest.raises(QbdeskError) as e:
        fonts.register_cjk_font()
    assert "找不到" in e.value.msg.zh and "missing" in e.value.msg.en


# --- packages --------------------------------------------------------------------------------


def test_every_package_follows_the_format(small_round):
    seen_ids = set()
    for folder, m in _manifests(small_round):
        where = folder.name
        assert m["format"] == "qbdesk.application/1", where
        assert ID_RE.fullmatch(m["id"]) and m["id"] == folder.name and m["id"] not in seen_ids
        seen_ids.add(m["id"])
        code = m["program"]
        assert code in PROGRAM_CODES and m["year"] == 2026
        a = m["applicant"]
        assert credit_code.validate(a["credit_code"]) == a["credit_code"], where
        assert a["name"].startswith("深圳") and a["name"].endswith("公司")
        assert a["contact"] and re.fullmatch(r"0755-\d{8}", a["phone"]) and a["address"].startswith("深圳市")
        assert set(a) <= {"name", "credit_code", "contact", "phone", "address", "email"}
        assert m["title"] and len(m["summary"]) >= 40
        assert isinstance(m["requested_amount"], int) and m["requested_amount"] > 0
        rule = program(code).funding
        if code in ("P5", "P7"):
            assert m["tier"] in rule.default_tiers, where
            # each item carries its own tier; P5 asks for the sum, P7 for the highest (docs/funding.md)
            amounts = [rule.default_tiers[it["tier"]].amount for it in m["items"]]
            assert m["items"][0]["tier"] == m["tier"], where
            assert m["requested_amount"] == (sum(amounts) if code == "P5" else max(amounts)), where
        else:
            assert "tier" not in m, where
        items = m["items"]
        if code in ("P3", "P4", "P5", "P6", "P7"):
            assert items and len({i["id"] for i in items}) == len(items), where
            for it in items:
                assert set(it) == {"id", "kind", "title", "reference", "date"} | ({"tier"} if code in ("P5", "P7") else set())
                assert re.fullmatch(r"\d{4}-\d\d-\d\d", it["date"])
        if rule.kind == "per_item":
            assert m["requested_amount"] == len(items) * rule.max_per_item
        declared = [att["file"] for att in m["attachments"]]
        present = sorted(p.name for p in folder.iterdir() if p.name != "application.json")
        assert sorted(declared) == present, where
        assert all(f.endswith(".pdf") and (folder / f).read_bytes()[:5] == b"%PDF-" for f in declared)
        blind = [att for att in m["attachments"] if att["blind"]]
        assert declared[0] == "申报书.pdf" and not m["attachments"][0]["blind"]
        assert 1 <= len(blind) <= 2 and len(declared) == len(blind) + 1


def test_round_shape(small_round):
    assert small_round.applications == SMALL and small_round.experts >= 12
    assert all(small_round.by_program[c] == 2 for c in PROGRAM_CODES)
    manifests = [m for _, m in _manifests(small_round)]
    by_code = Counter(m["applicant"]["credit_code"] for m in manifests)
    repeats = [c for c, n in by_code.items() if n > 1]
    assert repeats, "some applicant should apply to two programs"
    for code in repeats:  # the same organisation, spelled the same way, in different programs
        same = [m for m in manifests if m["applicant"]["credit_code"] == code]
        assert len({m["program"] for m in same}) == len(same) and len({m["applicant"]["name"] for m in same}) == 1
    assert small_round.applicants == len(by_code)
    # The first P3/P4/P6 applications claim more items than the yearly cap allows.
    for code in ("P3", "P4", "P6"):
        cap = program(code).funding.max_items_per_year
        assert any(len(m["items"]) > cap for m in manifests if m["program"] == code), code


def test_page_counts_and_sizes(small_plan):
    for app in small_plan.applications:
        for doc in app.docs:
            lo, hi = (3, 6) if doc.spec.blind else (2, 3)
            assert lo <= doc.pages <= hi, (app.id, doc.spec.file, doc.pages)
            assert len(doc.data) < 200_000, (app.id, doc.spec.file)


def test_blind_text_holds_no_identity(small_plan):
    for app in small_plan.applications:
        tokens = app.applicant.identity_tokens()
        assert app.applicant.trade in tokens and app.applicant.credit_code in tokens
        seen_to_experts = [app.manifest["title"], app.manifest["summary"]]
        for doc in app.docs:
            text = _squeeze("".join(doc.spec.strings()))
            if doc.spec.blind:
                seen_to_experts.append(text)
            else:  # the check can fail: identity is right there in the non-blind form
                assert app.applicant.name in text and app.applicant.credit_code in text
        for text in seen_to_experts:
            leaks = [t for t in tokens if t in _squeeze(text)]
            assert not leaks, (app.id, leaks)


@pytest.mark.tools
def test_blind_pdfs_hold_no_identity_per_pdftotext(small_round, need_tool):
    pdftotext = need_tool("pdftotext")
    for folder, m in _manifests(small_round):
        a = m["applicant"]
        identity = [a["name"], a["credit_code"], a["phone"], a["contact"], a["address"], a.get("email") or a["name"]]
        for att in m["attachments"]:
            out = subprocess.run([pdftotext, "-enc", "UTF-8", str(folder / att["file"]), "-"],
                                 capture_output=True, check=True).stdout.decode("utf-8")
            text = _squeeze(out)
            assert "项目" in text  # the Chinese text is extractable at all
            if att["blind"]:
                assert not [s for s in identity if _squeeze(s) in text], (folder.name, att["file"])
            else:
                assert _squeeze(a["name"]) in text and a["credit_code"] in text


@pytest.mark.tools
def test_pdfs_embed_the_cjk_font(small_round, need_tool):
    pdffonts = need_tool("pdffonts")
    for folder in small_round.package_dirs[::3]:
        for pdf in sorted(folder.glob("*.pdf")):
            lines = subprocess.run([pdffonts, str(pdf)], capture_output=True, check=True, text=True).stdout.splitlines()
            rows = [line.split() for line in lines[2:] if line.strip()]
            assert rows and all("WenQuanYiMicroHei" in r[0] for r in rows), (pdf.name, lines)
            # columns: name type encoding emb sub uni ...; the type may be two words (Type 1)
            assert all(r[-5] == "yes" for r in rows), (pdf.name, lines)


# --- experts ---------------------------------------------------------------------------------


def test_experts_csv(small_round):
    raw = small_round.experts_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0].keys()) == EXPERTS_HEADER and len(rows) >= 12
    coverage = Counter()
    for r in rows:
        programs = r["programs"].split(";")
        assert 2 <= len(programs) <= 4 and set(programs) <= set(PROGRAM_CODES)
        coverage.update(programs)
        assert r["title"] and re.fullmatch(r"1\d{10}", r["phone"])
    assert all(coverage[c] >= 4 for c in PROGRAM_CODES), coverage
    applicants = {m["applicant"]["credit_code"]: m["applicant"]["name"] for _, m in _manifests(small_round)}
    conflicts = [c for r in rows for c in r["conflicts"].split(";") if c]
    assert any(c in applicants for c in conflicts), "a conflict declared by credit code"
    assert any(c in applicants.values() for c in conflicts), "a conflict declared by organisation name"
    names = set(applicants.values())
    bare = {n.removeprefix("深圳市").removeprefix("深圳"): n for n in names}
    variants = [r for r in rows if r["organisation"] not in names
                and r["organisation"].removeprefix("深圳市").removeprefix("深圳") in bare]
    assert variants, "an expert works for an applicant, spelled slightly differently"


# --- determinism and arguments -----------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_even_in_another_process_drawn_by_workers(small_round, tmp_path):
    # Another process with another hash seed, its PDFs drawn by two forked workers as `qbdesk demo`
    # draws them, must write the very same bytes as this one drew alone, and tell of each PDF.
    code = "\n".join((
        "import sys; from pathlib import Path; from qbdesk.demo import generate_demo",
        "from qbdesk.services.demo import _pdf_workers",
        "render_all, told = _pdf_workers(2), []",
        "assert render_all is not None, 'no workers'",
        f"demo = generate_demo(Path(sys.argv[1]), seed=11, applications={SMALL}, render_all=render_all,",
        "                     progress=lambda n, total, label: told.append((n, total, label)))",
        "assert [n for n, _, _ in told] == list(range(1, demo.pdfs + 1)) and told[-1][1] == demo.pdfs, told",
        "assert told[0][2] == 'PDF 2026-P1-0001 申报书.pdf', told[0]",
    ))
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, cwd=project_root())
    ta, tb = _tree(small_round.out_dir), _tree(tmp_path)
    assert ta.keys() == tb.keys() and len(ta) > SMALL * 3
    assert [k for k in ta if ta[k] != tb[k]] == []


def test_another_seed_gives_another_round(small_plan):
    other = build_round(seed=12, applications=9)
    assert other.applications[0].manifest != small_plan.applications[0].manifest


def test_bad_arguments_and_existing_output(small_plan, tmp_path):
    with pytest.raises(QbdeskError) as e:
        generate_demo(tmp_path / "x", applications=3)
    assert "3" in e.value.msg.zh and "3" in e.value.msg.en
    assert not (tmp_path / "x").exists()
    out = tmp_path / "demo"
    write_round(small_plan, out)
    (out / "packages" / "stale-package").mkdir()
    with pytest.raises(QbdeskError) as e:
        generate_demo(out)
    assert "覆盖" in e.value.msg.zh and "overwrite" in e.value.msg.en
    demo = write_round(small_plan, out, overwrite=True)
    assert sorted(p.name for p in (out / "packages").iterdir()) == sorted(d.name for d in demo.package_dirs)
    assert [p.name for p in out.iterdir() if p.name.startswith(".qbdesk-demo-")] == []


def test_rmb_upper():
    assert rmb_upper(150000) == "壹拾伍万元整"
    assert rmb_upper(3000000) == "叁佰万元整"
    assert rmb_upper(100500) == "壹拾万零伍佰元整"
    assert rmb_upper(101000) == "壹拾万壹仟元整"
    assert rmb_upper(1005) == "壹仟零伍元整"
    assert rmb_upper(100010000) == "壹亿零壹万元整"
    with pytest.raises(ValueError):
        rmb_upper(-1)


def test_trade_names_never_occur_in_report_prose():
    from qbdesk.demo import program_texts, texts

    prose = json.dumps([texts.GENERIC_SENTENCES, texts.BLIND_NOTE, texts.TEAM_ROLES, texts.EQUIPMENT,
                        texts.IMPROVEMENTS, texts.TEST_ITEMS, texts.RISKS,
                        [vars(t) for t in program_texts.PROGRAM_TEXTS.values()]],
                       ensure_ascii=False, default=str)
    assert [t for t, _ in texts.TRADE_NAMES if t in prose] == []


@pytest.mark.slow
def test_full_default_round(demo_template):
    """What ``qbdesk demo`` generated, with its defaults (the session's demo round)."""
    folders = sorted(p for p in (demo_template / "packages").iterdir() if p.is_dir())
    manifests = [(d, json.loads((d / "application.json").read_text(encoding="utf-8"))) for d in folders]
    with open(demo_template / "experts.csv", encoding="utf-8-sig", newline="") as f:
        experts = list(csv.DictReader(f))
    by_program = Counter(m["program"] for _, m in manifests)
    assert len(manifests) >= 60 and len(experts) >= 9
    assert all(by_program[c] >= 7 for c in PROGRAM_CODES)
    assert len(list((demo_template / "packages").glob("*/*.pdf"))) >= 2 * len(manifests)
    for folder, m in manifests:
        assert credit_code.is_valid(m["applicant"]["credit_code"])
        assert sorted(a["file"] for a in m["attachments"]) == sorted(
            p.name for p in folder.iterdir() if p.name != "application.json")


def test_every_template_fills():
    import random

    from qbdesk.demo import program_texts, texts
    from qbdesk.demo.documents import number_slots

    doc_slots = number_slots(random.Random(1), 2026) | {"field": "F", "product": "P", "topic": "T"}
    head_slots = {"field": "F", "product": "P", "topic": "T", "item": "I", "items": "Is", "tier": "R",
                  "year": 2025, "n": 1, "m": 2, "s": 3}
    sentences = [s for group in texts.GENERIC_SENTENCES.values() for s in group]
    for code, t in program_texts.PROGRAM_TEXTS.items():
        sentences += list(t.core) + [s for _, group in t.sections for s in group]
        for template in t.titles + t.summaries:
            assert "{" not in template.format_map(head_slots), (code, template)
        assert t.core or t.sections, code
    for template in sentences:
        assert "{" not in template.format_map(doc_slots), template
