"""The identity-leak scan's recall and false positives, and what cleaning a blind PDF costs.

Recall: every kind of identity (name and its short forms, credit code in odd separators, contact
and surname + 先生/女士, phones in every shape, e-mail, its domain, website, address, the
application id) is planted, one per generated PDF, in each place it hides: body text, running
header, under a black box, in white, invisible (render mode 3), clipped away, outside the page,
0.5 pt high, in the document information (/Author, and /Keywords added by an incremental update)
and in XMP. A plant is found when the scan reports that kind.

False positives: the demo round's blind PDFs (63 applications) scanned for their own applicant;
every finding there is a false positive (their clean pages carry no identity). The declarations
(申报书, not blind, full of identity) are scanned too, as a sanity figure.

Cost: cleaning each demo blind PDF, in ms per page, against a plain pikepdf open + save of the
same file in the same run (the ratio is what to compare across machines); and the scan per page.

    .venv/bin/python bench/bench_leaks.py
    .venv/bin/python bench/bench_leaks.py --repeat 5
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pikepdf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from leak_pdfs import BODY, incremental_info, text_pdf, with_info, with_xmp

from qbdesk.formats.pdf_clean import clean_pdf
from qbdesk.services.leak_patterns import Identity, LeakMatcher
from qbdesk.services.leaks import pdf_texts

WHO = Identity(application_id="2026-P1-0001", name="深圳市峻岭纺织有限公司", credit_code="91440304PD4WA4NG14",
               contact="王建国", phones=("0755-31510852", "13912345678"), email="wang.jg@junling-tex.com",
               website="https://www.junling.cn", address="广东省深圳市南山区粤海街道科技园路88号峻岭大厦5楼")

PLANTS = [  # (kind expected, text planted)
    ("name", "深圳市峻岭纺织有限公司"), ("name", "深圳峻岭纺织有限公司"), ("name", "峻岭纺织有限公司"),
    ("short_name", "峻岭纺织"), ("short_name", "深圳市峻岭纺织"),
    ("credit_code", "91440304PD4WA4NG14"), ("credit_code", "9144 0304 PD4W A4NG 14"),
    ("credit_code", "91440304-PD4W-A4NG14"), ("credit_code", "９１４４０３０４ＰＤ４ＷＡ４ＮＧ１４"),
    ("contact", "王建国"), ("contact", "王先生"), ("contact", "王女士"),
    ("phone", "0755-31510852"), ("phone", "(0755)31510852"), ("phone", "+86 755 3151 0852"), ("phone", "0755—31510852"),
    ("phone", "０７５５－３１５１０８５２"), ("phone", "31510852"), ("phone", "139 1234 5678"), ("phone", "+86 13912345678"),
    ("email", "wang.jg@junling-tex.com"), ("domain", "junling-tex.com"), ("website", "www.junling.cn"),
    ("address", "深圳市南山区粤海街道科技园路88号峻岭大厦5楼"), ("address", "粤海街道科技园路88号峻岭大厦5楼"),
    ("application_id", "2026-P1-0001"),
]
PLACES = ("body", "header", "under_box", "white", "invisible", "clipped", "off_page", "tiny", "info_author",
          "incremental_keywords", "xmp")
_HIDDEN = ("header", "under_box", "white", "invisible", "clipped", "off_page", "tiny")


def planted_pdf(token: str, place: str) -> bytes:
    line = f"详情请联系 {token} 。"
    if place == "body":
        return text_pdf((*BODY, line))
    if place in _HIDDEN:
        return text_pdf(**{place: line})
    if place == "info_author":
        return with_info(text_pdf(), Author=token)
    if place == "incremental_keywords":
        return incremental_info(text_pdf(), Keywords=token)
    return with_xmp(text_pdf(), creator=token, email="nobody")


def kinds_found(matcher: LeakMatcher, data: bytes) -> Counter:
    found: Counter = Counter()
    for t in pdf_texts(data):
        for m in matcher.find(t.text):
            found[m.kind] += 1
    return found


def recall() -> tuple[int, int, list[str]]:
    matcher = LeakMatcher.for_identity(WHO)
    found, missed = 0, []
    for kind, token in PLANTS:
        for place in PLACES:
            if kinds_found(matcher, planted_pdf(token, place))[kind]:
                found += 1
            else:
                missed.append(f"{kind} {token!r} in {place}")
    return found, len(PLANTS) * len(PLACES), missed


def demo_packages(root: Path) -> list[tuple[Identity, list[Path], list[Path]]]:
    from qbdesk.demo.generator import generate_demo

    generate_demo(root)
    out = []
    for folder in sorted((root / "packages").iterdir()):
        m = json.loads((folder / "application.json").read_text(encoding="utf-8"))
        a = m["applicant"]
        who = Identity.from_record(m["id"], a["name"], a["credit_code"], a)
        blind = [folder / x["file"] for x in m["attachments"] if x["blind"]]
        other = [folder / x["file"] for x in m["attachments"] if not x["blind"]]
        out.append((who, blind, other))
    return out


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def baseline(data: bytes) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(io.BytesIO())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    args = ap.parse_args()

    found, planted, missed = recall()
    print(f"recall: {found}/{planted} planted leaks found ({found / planted:.1%}) — "
          f"{len(PLANTS)} tokens × {len(PLACES)} places ({', '.join(PLACES)})")
    for m in missed:
        print(f"  missed: {m}")

    with tempfile.TemporaryDirectory() as tmp:
        apps = demo_packages(Path(tmp))
        fp_pages, fp, decl_pages, decl_hits = 0, Counter(), 0, 0
        clean_t = base_t = scan_t = 0.0
        for who, blind, other in apps:
            matcher = LeakMatcher.for_identity(who)
            for path in blind:
                data = path.read_bytes()
                pages = len(pikepdf.open(io.BytesIO(data)).pages)
                fp_pages += pages
                fp.update(kinds_found(matcher, data))
                clean_t += timed(lambda d=data: clean_pdf(d), args.repeat)
                base_t += timed(lambda d=data: baseline(d), args.repeat)
                scan_t += timed(lambda d=data, m=matcher: kinds_found(m, d), args.repeat)
            for path in other:
                data = path.read_bytes()
                decl_pages += len(pikepdf.open(io.BytesIO(data)).pages)
                decl_hits += sum(kinds_found(matcher, data).values())
        n_fp = sum(fp.values())
        print(f"false positives: {n_fp} findings on {fp_pages} clean demo blind pages "
              f"({n_fp / fp_pages:.3f} per page){' — ' + dict(fp).__repr__() if n_fp else ''}")
        print(f"sanity: {decl_hits} findings on the {decl_pages} pages of the non-blind declarations (申报书)")
        print(f"cleaning: {1000 * clean_t / fp_pages:.2f} ms/page; baseline pikepdf open+save "
              f"{1000 * base_t / fp_pages:.2f} ms/page; ratio {clean_t / base_t:.2f}")
        print(f"scan (text + metadata + matching): {1000 * scan_t / fp_pages:.2f} ms/page")
    return 0 if not missed and not n_fp else 1


if __name__ == "__main__":
    sys.exit(main())
