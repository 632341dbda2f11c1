"""Real PDFs for the leak scan and the cleaning: plain ones, and ones that hide an identity.

Built with reportlab (pages, with the embedded CJK font) and pikepdf (metadata, scripts,
attached files); the incremental update is appended by hand, the way an editor saves one, since
qpdf always writes whole files. Shared by tests/integration/test_leaks.py and bench/bench_leaks.py.
"""

from __future__ import annotations

import io
import re

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from qbdesk.reports.fonts import register_cjk_font

BODY = ("本项目围绕关键工序开展质量提升工作，建立了覆盖设计、采购、制造和服务的全过程质量管理体系。",
        "项目实施以来，产品一次交验合格率由百分之九十六提升至百分之九十九，客户投诉下降三成。")


def text_pdf(body: tuple[str, ...] = BODY, *, header: str = "", white: str = "", under_box: str = "",
             invisible: str = "", clipped: str = "", off_page: str = "", tiny: str = "", pages: int = 1) -> bytes:
    """A4 pages of body text; optionally a running header, and a line hidden each way a PDF can hide text:
    in white, under a black box, in render mode 3 (invisible), clipped away, outside the page, 0.5 pt high."""
    font = register_cjk_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    for _ in range(pages):
        if header:
            c.setFont(font, 8)
            c.drawString(70, A4[1] - 40, header)
        c.setFont(font, 10.5)
        y = A4[1] - 90
        for line in body:
            c.drawString(70, y, line)
            y -= 20
        if white:
            c.setFillColorRGB(1, 1, 1)
            c.drawString(70, y, white)
            c.setFillColorRGB(0, 0, 0)
            y -= 20
        if under_box:
            c.drawString(70, y, under_box)
            c.rect(65, y - 4, 20 + 11 * len(under_box), 16, stroke=0, fill=1)  # drawn over the text
            y -= 20
        if invisible:
            t = c.beginText(70, y)
            t.setFont(font, 10.5)
            t.setTextRenderMode(3)
            t.textLine(invisible)
            c.drawText(t)
            y -= 20
        if clipped:
            c.saveState()
            path = c.beginPath()
            path.rect(0, 0, 1, 1)
            c.clipPath(path, stroke=0, fill=0)
            c.drawString(70, y, clipped)
            c.restoreState()
            c.setFont(font, 10.5)
            y -= 20
        if off_page:
            c.drawString(-2000, y, off_page)
            y -= 20
        if tiny:
            c.setFont(font, 0.5)
            c.drawString(70, y, tiny)
            c.setFont(font, 10.5)
            y -= 20
        c.showPage()
    c.save()
    return buf.getvalue()


def _edit(data: bytes, change) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, static_id=True)
        return out.getvalue()


def with_info(data: bytes, **info: str) -> bytes:
    def change(pdf):
        for k, v in info.items():
            pdf.docinfo[f"/{k}"] = v
    return _edit(data, change)


def with_xmp(data: bytes, *, creator: str, email: str) -> bytes:
    def change(pdf):
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = [creator, email]
            meta["dc:description"] = f"联系人 {creator} {email}"
    return _edit(data, change)


def with_javascript(data: bytes, url: str) -> bytes:
    def change(pdf):
        js = pdf.make_stream(f'app.launchURL("{url}", true);'.encode())
        action = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=js))
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["open", action])))
        pdf.Root.OpenAction = action
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[70, 700, 300, 720],
                                  A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(url)))
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=action)
    return _edit(data, change)


def with_attachment(data: bytes, name: str, content: bytes) -> bytes:
    def change(pdf):
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, content, filename=name, mime_type="application/pdf")
    return _edit(data, change)


def _pdf_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def incremental_info(data: bytes, **info: str) -> bytes:
    """Append an incremental update (a new /Info and trailer with /Prev), as an editor's "save" does."""
    startxref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", data, re.S)[-1]
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)
    body = b" ".join(b"/" + k.encode() + b" " + _pdf_string(v) for k, v in info.items())
    obj = f"{size} 0 obj\n".encode() + b"<< " + body + b" >>\nendobj\n"
    base = data if data.endswith(b"\n") else data + b"\n"
    offset = len(base)
    xref_at = offset + len(obj)
    xref = f"xref\n{size} 1\n{offset:010d} 00000 n \n".encode()
    tail = (b"trailer\n<< /Size " + str(size + 1).encode() + b" /Root " + root + b" /Info " + str(size).encode()
            + b" 0 R /Prev " + str(startxref).encode() + b" >>\nstartxref\n" + str(xref_at).encode() + b"\n%%EOF\n")
    return base + obj + xref + tail
