"""Lay out a :class:`~qbdesk.demo.documents.DocSpec` as an A4 PDF with the embedded CJK font.

Chinese paragraphs wrap per character (``wordWrap='CJK'``); each page has a
running header and "第 N 页 / 共 M 页". Documents are built with
``invariant=1`` so the same spec gives the same bytes (no dates, fixed IDs).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle

from qbdesk.demo import documents as d
from qbdesk.reports.fonts import register_cjk_font

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 25 * mm, 25 * mm, 22 * mm
GREY = colors.HexColor("#666666")


@dataclass(frozen=True)
class RenderedDoc:
    spec: d.DocSpec
    data: bytes
    pages: int


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    font = register_cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=18, wordWrap="CJK",
                          firstLineIndent=21, spaceAfter=4)
    return {
        "body": body,
        "plain": ParagraphStyle("plain", parent=body, firstLineIndent=0),
        "note": ParagraphStyle("note", parent=body, fontSize=9, leading=14, firstLineIndent=0, textColor=GREY,
                               borderColor=GREY, borderWidth=0.5, borderPadding=6, spaceBefore=8, spaceAfter=12),
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=28, alignment=TA_CENTER,
                                firstLineIndent=0, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=11, leading=18, alignment=TA_CENTER,
                                   firstLineIndent=0, spaceAfter=0),
        "h1": ParagraphStyle("h1", parent=body, fontSize=13, leading=20, firstLineIndent=0,
                             spaceBefore=10, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=body, fontSize=11, leading=18, firstLineIndent=0,
                             spaceBefore=4, spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=13, firstLineIndent=0, spaceAfter=0),
        "head": ParagraphStyle("head", parent=body, fontSize=9, leading=13, firstLineIndent=0, spaceAfter=0,
                               alignment=TA_CENTER),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph parses markup: escape the text, keep explicit line breaks.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(block: d.Table, width: float) -> RLTable:
    st = _styles()
    scale = width / sum(block.widths)
    rows = [[_p(c, st["head"] if r == 0 else st["cell"]) for c in row] for r, row in enumerate(block.rows)]
    t = RLTable(rows, colWidths=[w * scale for w in block.widths], repeatRows=1)
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#444444")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8ECF2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


def _flowables(spec: d.DocSpec, width: float) -> list:
    st = _styles()
    out: list = []
    for b in spec.blocks:
        if isinstance(b, d.Title):
            out += [Spacer(1, 6 * mm), _p(b.text, st["title"])]
            out += [_p(line, st["subtitle"]) for line in b.lines]
            out.append(Spacer(1, 6 * mm))
        elif isinstance(b, d.Heading):
            out.append(_p(b.text, st["h1" if b.level == 1 else "h2"]))
        elif isinstance(b, d.Para):
            out.append(_p(b.text, st["note" if b.boxed else "body"]))
        elif isinstance(b, d.Table):
            out += [KeepTogether([_table(b, width)]) if len(b.rows) <= 12 else _table(b, width), Spacer(1, 4 * mm)]
        elif isinstance(b, d.PageBreak):
            out.append(PageBreak())
    return out


class _NumberedCanvas(Canvas):
    """Defers each page so the footer can say how many pages there are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(register_cjk_font(), 9)
            self.setFillColor(GREY)
            self.drawCentredString(A4[0] / 2, 12 * mm, f"第 {self._pageNumber} 页 / 共 {total} 页")
            super().showPage()
        super().save()


def render(spec: d.DocSpec) -> RenderedDoc:
    font = register_cjk_font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, invariant=1, initialFontName=font,
        title=spec.title, author="qbdesk demo", subject="", creator="qbdesk demo generator",
    )

    def header(canvas: Canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN_X, A4[1] - 15 * mm, spec.header)
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN_X, A4[1] - 16.5 * mm, A4[0] - MARGIN_X, A4[1] - 16.5 * mm)
        canvas.restoreState()

    doc.build(_flowables(spec, doc.width), onFirstPage=header, onLaterPages=header, canvasmaker=_NumberedCanvas)
    return RenderedDoc(spec, buf.getvalue(), doc.page)
