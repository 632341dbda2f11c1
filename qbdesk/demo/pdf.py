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
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as RLTable

from qbdesk.demo import documents as d
from qbdesk.reports.fonts import register_cjk_font

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 25 * mm, 25 * mm, 22 * mm
FRAME_W = A4[0] - 2 * MARGIN_X - 12  # SimpleDocTemplate's frame has 6 pt padding each side
FRAME_H = A4[1] - MARGIN_TOP - MARGIN_BOTTOM - 12
GREY = colors.HexColor("#666666")
CELL_SIZE, CELL_PAD = 9, 3


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


def _col_widths(block: d.Table, width: float) -> list[float]:
    scale = width / sum(block.widths)
    return [w * scale for w in block.widths]


def _fits(text: str, col_width: float) -> bool:
    return "\n" not in text and stringWidth(text, register_cjk_font(), CELL_SIZE) <= col_width - 2 * 6


def _table(block: d.Table, width: float) -> RLTable:
    # Short cells stay plain strings (much faster to lay out); long ones wrap as Paragraphs.
    st = _styles()
    widths = _col_widths(block, width)
    rows = [[c if _fits(c, w) else _p(c, st["head"] if r == 0 else st["cell"]) for c, w in zip(row, widths)]
            for r, row in enumerate(block.rows)]
    t = RLTable(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), register_cjk_font()),  # never fall back to (unembedded) Helvetica
        ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 0), (-1, -1), 13),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#444444")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8ECF2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD),
    ]))
    return t


@lru_cache(maxsize=4096)  # sentences and cells repeat across documents
def _lines(text: str, size: float, width: float) -> int:
    font = register_cjk_font()
    return sum(max(1, -(-int(stringWidth(part, font, size)) // int(width))) for part in text.split("\n"))


def estimate_pages(spec: d.DocSpec) -> float:
    """A quick estimate of the page count, without laying the document out."""
    st = _styles()
    used, pages = 0.0, 0
    for b in spec.blocks:
        if isinstance(b, d.PageBreak):
            pages, used = pages + 1, 0.0
            continue
        if isinstance(b, d.Title):
            h = 12 * mm + 28 * _lines(b.text, 18, FRAME_W) + 10 + 18 * len(b.lines) + 6 * mm
        elif isinstance(b, d.Heading):
            s = st["h1" if b.level == 1 else "h2"]
            h = s.spaceBefore + s.spaceAfter + s.leading * _lines(b.text, s.fontSize, FRAME_W)
        elif isinstance(b, d.Para):
            s = st["note" if b.boxed else "body"]
            h = s.spaceBefore + s.spaceAfter + s.leading * _lines(b.text + "　　", s.fontSize, FRAME_W - 12)
        else:
            widths = _col_widths(b, FRAME_W)
            h = 4 * mm + sum(2 * CELL_PAD + 13 * max(_lines(c, CELL_SIZE, w - 12) for c, w in zip(row, widths))
                             for row in b.rows)
            if h < FRAME_H and used + h > FRAME_H:  # KeepTogether moves a short table to the next page
                pages, used = pages + 1, 0.0
        used += h
        while used > FRAME_H:
            pages, used = pages + 1, used - FRAME_H
    return pages + used / FRAME_H


def _flowables(spec: d.DocSpec, width: float) -> list:
    st = _styles()
    out: list = []
    headings: list = []  # held back so a heading never ends a page without what follows it
    for b in spec.blocks:
        if isinstance(b, d.Heading):
            headings.append(_p(b.text, st["h1" if b.level == 1 else "h2"]))
            continue
        if isinstance(b, d.Title):
            items = [Spacer(1, 6 * mm), _p(b.text, st["title"])]
            items += [_p(line, st["subtitle"]) for line in b.lines]
            items.append(Spacer(1, 6 * mm))
        elif isinstance(b, d.Para):
            items = [_p(b.text, st["note" if b.boxed else "body"])]
        elif isinstance(b, d.Table):
            items = [_table(b, width), Spacer(1, 4 * mm)]
        else:
            items = [PageBreak()]
        if headings or isinstance(b, d.Table):
            out.append(KeepTogether(headings + items))
        else:
            out += items
        headings = []
    return out + headings


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
