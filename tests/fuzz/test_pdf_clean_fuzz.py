"""Fuzz the blind-PDF cleaning and the leak scan's PDF reading: a damaged PDF is cleaned or refused with a reason, never a traceback."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from fuzzing import fuzz, mutate, mutations
from hypothesis import given

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from leak_pdfs import incremental_info, text_pdf, with_attachment, with_javascript

from qbdesk.formats.pdf_clean import PdfCleanError, clean_pdf
from qbdesk.services.leaks import pdf_texts


@lru_cache(maxsize=1)
def hostile() -> bytes:
    """Small, with every structure the cleaning walks: scripts, a link, an attached file, an incremental update."""
    plain = text_pdf(("甲乙丙",), header="页眉")
    data = with_attachment(with_javascript(plain, "http://example.org/"), "a.pdf", text_pdf(("附件",)))
    return incremental_info(data, Title="标题", Keywords="关键词")


@fuzz(60)
@given(mutations)
def test_damaged_pdfs_are_cleaned_or_refused(changes):
    data = mutate(hostile(), changes)
    try:
        cleaned = clean_pdf(data)
    except PdfCleanError as e:
        assert e.msg.zh and e.msg.en
    else:
        assert cleaned.startswith(b"%PDF-")
    try:
        texts = pdf_texts(data)
    except PdfCleanError as e:
        assert e.msg.zh and e.msg.en
    else:
        assert all(isinstance(t.text, str) for t in texts)
