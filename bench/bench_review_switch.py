"""Switching applications in the expert's window: until the first page of the first attachment and the
scoring panel are drawn.

A 500-application snapshot (TEST ONLY work factor), one program under a 12-criterion rubric (2 gates,
1 items criterion with tiers, 8 scores, 1 opinion: the shipped P5 rubric with four more scores), each
application with two real multi-page PDFs (reportlab, CJK text). A window holds the DocumentPane and
the ScoringPanel side by side at 1366×768; for each switch (random order) the clock runs from
``show_application`` on both until the QPdfDocument is Ready and the first page has been rendered
into the view (its pixels are no longer blank) and the panel has painted.

The baseline, measured in the same run: a bare QPdfView in a window of the same size, loading the
same decrypted bytes from a QBuffer and timed to the same "first page drawn".
The issue's goal: ≤ 150 ms per switch.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_review_switch.py [--applications 500] [--switches 100]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

import qbdesk.gui  # noqa: F401  (before any Qt call)
from qbdesk.domain.rubric import load_rubric_data, shipped_rubric
from qbdesk.formats.snapshot import SnapshotWriter
from qbdesk.reports.fonts import register_cjk_font
from qbdesk.services.reviewer import open_snapshot
from qbdesk.services.snapshot_meta import DECLARATION

PASSPHRASE = "BENCH-ONLY-PASSPHRASE-0001"
LINE = "本项目围绕关键工序开展质量提升工作，建立了覆盖设计、采购、制造和服务的全过程质量管理体系。"


def rubric_12() -> dict:
    data = shipped_rubric("P5").to_data()
    scores = [c for c in data["criteria"] if c["kind"] == "score"]
    extra = [{**c, "id": c["id"] + "_b", "name_zh": c["name_zh"] + "（二）", "name_en": c["name_en"] + " (2)"} for c in scores]
    at = data["criteria"].index(scores[-1]) + 1
    data["criteria"][at:at] = extra
    data["total"] = data["total"] * 2
    data["version"] = "bench-12"
    assert len(data["criteria"]) == 12
    load_rubric_data(data, "bench rubric")  # it must be a rubric the workspace accepts
    return data


def pdf(pages: int, seed: int) -> bytes:
    font = register_cjk_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    rng = random.Random(seed)
    for p in range(pages):
        c.setFont(font, 16)
        c.drawString(70, A4[1] - 70, f"技术方案 第{p + 1}页")
        c.setFont(font, 10.5)
        y = A4[1] - 110
        while y > 60:
            c.drawString(70, y, LINE[rng.randrange(10):] + LINE[:rng.randrange(10)])
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def build(path: Path, n: int) -> None:
    rubric = rubric_12()
    from qbdesk.domain.rubric import content_hash

    h = content_hash(rubric)
    tiers = shipped_tiers()
    pdfs = [pdf(6, s) for s in range(4)] + [pdf(12, 9)]
    identity = pyrage.x25519.Identity.generate()
    with SnapshotWriter(path, signing_key=Ed25519PrivateKey.generate(), receiving_recipient=str(identity.to_public()),
                        passphrase=PASSPHRASE, snapshot_id=str(uuid.uuid4()), round_id=1, round_name="基准批次",
                        round_year=2026, expert_id="E01", rounds=1) as w:
        apps = []
        for i in range(n):
            attachments = []
            for k in range(2):
                data = pdfs[(i + k) % len(pdfs)]
                entry = w.add_attachment(io.BytesIO(data))
                attachments.append({"entry": entry, "title": ("技术方案", "实施成效说明")[k], "size": len(data),
                                    "sha256": w.plaintext[entry].sha256})
            tier = list(tiers)[i % len(tiers)]
            apps.append({"code": f"B{i:04d}", "program": "P5", "rubric": h, "title": f"先进计量支撑项目{i}",
                         "summary": LINE, "requested_amount": 300_000, "tier": tier,
                         "items": [{"id": "I1", "kind": "activity", "title": "参与制定计量技术规范", "tier": tier},
                                   {"id": "I2", "kind": "activity", "title": "社会公用计量标准", "tier": tier}],
                         "attachments": attachments})
        w.write_meta({"round": {"id": 1, "name": "基准批次", "year": 2026}, "expert": {"id": "E01", "name": "专家"},
                      "binding_secret": secrets.token_hex(32), "rubrics": {h: rubric}, "declaration": DECLARATION,
                      "programs": {"P5": {"mode": "verified", "blind": True,
                                          "tiers": {k: {"zh": v.zh, "en": v.en} for k, v in tiers.items()}}},
                      "applications": apps})
        w.bind_codes(secrets.token_bytes(32), {a["code"]: (f"2026-P5-{i:04d}", {"I1": "I1", "I2": "I2"})
                                               for i, a in enumerate(apps)})


def shipped_tiers():
    from qbdesk.domain.messages import Msg

    return {"national_regulation_join": Msg("参加制定国家计量检定规程或技术规范", "joined a national regulation"),
            "municipal_standard_certificate": Msg("市级社会公用计量标准证书", "municipal measurement standard")}


def drawn(view, app) -> bool:
    """The first page is in the view's pixels: something darker than paper in the viewport's centre band."""
    image = view.viewport().grab().toImage()
    w, h = image.width(), image.height()
    for y in range(h // 8, h // 2, max(1, h // 60)):
        for x in range(w // 6, 5 * w // 6, max(1, w // 80)):
            if image.pixelColor(x, y).lightness() < 120:
                return True
    return False


def until_drawn(app, view, document, t0: float, timeout: float = 5.0) -> float:
    from PySide6.QtPdf import QPdfDocument

    while time.perf_counter() - t0 < timeout:
        app.processEvents()
        if document.status() == QPdfDocument.Status.Ready and drawn(view, app):
            return time.perf_counter() - t0
        time.sleep(0.001)
    raise RuntimeError("the first page was not drawn within the timeout")


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=500)
    parser.add_argument("--switches", type=int, default=100)
    args = parser.parse_args(argv)
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView
    from PySide6.QtWidgets import QSplitter

    from qbdesk.gui.app import create_application
    from qbdesk.gui.review.reading import DocumentPane
    from qbdesk.gui.review.scoring import ScoringPanel

    app = create_application([], "zh")
    with tempfile.TemporaryDirectory(prefix="qbdesk-bench-switch-") as tmp:
        t = time.perf_counter()
        build(Path(tmp) / "bench.qbsnap", args.applications)
        print(f"snapshot: {args.applications} applications, built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        ws = open_snapshot(Path(tmp) / "bench.qbsnap", Path(tmp) / "home", PASSPHRASE, kdf_rounds=1)
        try:
            codes = [a.code for a in ws.applications]
            rng = random.Random(7)
            order = [rng.choice(codes) for _ in range(args.switches)]
            # baseline: a bare QPdfView, same size, same bytes from a QBuffer
            bare_view = QPdfView()
            bare_view.setPageMode(QPdfView.PageMode.MultiPage)
            bare_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            bare_view.resize(683, 768)
            bare_view.show()
            base: list[float] = []
            for code in order:
                data = ws.read_attachment(ws.application(code).attachments[0].entry)
                t0 = time.perf_counter()
                doc = QPdfDocument(bare_view)
                ba = QByteArray(data)
                buf = QBuffer(ba)
                buf.open(QIODevice.OpenModeFlag.ReadOnly)
                doc.load(buf)
                bare_view.setDocument(doc)
                base.append(until_drawn(app, bare_view, doc, t0))
                bare_view.setDocument(None)
                doc.deleteLater()
            bare_view.close()
            # the expert's window: reading pane | scoring panel
            window = QSplitter()
            pane, panel = DocumentPane(ws), ScoringPanel(ws)
            window.addWidget(pane)
            window.addWidget(panel)
            window.resize(1366, 768)
            window.show()
            app.processEvents()
            ours: list[float] = []
            for code in order:
                t0 = time.perf_counter()
                pane.show_application(code)
                panel.show_application(code)
                panel.repaint()
                ours.append(until_drawn(app, pane.pdf_view, pane.viewer.document, t0))
            window.close()
        finally:
            ws.close()
    ms = lambda xs, p: 1000 * percentile(xs, p)  # noqa: E731
    print(f"bare QPdfView, first page drawn : p50 {ms(base, 50):6.1f} ms  p95 {ms(base, 95):6.1f} ms")
    print(f"switch (pane + scoring panel)   : p50 {ms(ours, 50):6.1f} ms  p95 {ms(ours, 95):6.1f} ms"
          f"  (goal ≤ 150 ms)")
    print(f"ratio to the bare viewer        : p50 {statistics.median(ours) / statistics.median(base):.2f}×"
          f"  p95 {percentile(ours, 95) / percentile(base, 95):.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
