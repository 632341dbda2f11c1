"""Cleaning a blind PDF, object by object: what goes, what stays, and PDFs it refuses."""

from __future__ import annotations

import io

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String
from reportlab.pdfgen.canvas import Canvas

from qbdesk.formats.pdf_clean import PdfCleanError, clean_pdf
from qbdesk.formats.pdf_inspect import hidden_texts, page_texts


def _base() -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(400, 300), invariant=1)
    for n in (1, 2):
        c.drawString(40, 150, f"page {n} body text")
        c.showPage()
    c.save()
    return buf.getvalue()


def _loaded() -> bytes:
    """Every hiding place cleaning must empty, on one small PDF."""
    with pikepdf.open(io.BytesIO(_base())) as pdf:
        js = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert('acme')")))
        page1, page2 = pdf.pages[0].obj, pdf.pages[1].obj
        goto = Dictionary(S=Name.GoTo, D=Array([page2, Name.Fit]))
        form = pdf.make_stream(b"q Q", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 10, 10],
                               Metadata=pdf.make_stream(b"<x:xmpmeta>ACME Corp form</x:xmpmeta>",
                                                        Type=Name.Metadata, Subtype=Name.XML))
        page1.Resources.XObject = Dictionary(Fm1=form)
        page1.PieceInfo = Dictionary(Acme=Dictionary(Private=String("ACME private")))
        page1.AA = Dictionary(O=js)
        page1.Thumb = pdf.make_stream(b"\x00" * 12, Width=2, Height=2, ColorSpace=Name.DeviceRGB, BitsPerComponent=8)
        annots = [
            Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10], A=goto),  # stays
            Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10],
                       A=Dictionary(S=Name.Launch, F=String("C:/acme/run.exe"))),
            Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10],
                       A=Dictionary(S=Name.GoTo, D=Array([page2, Name.Fit]), Next=js)),
            Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=[0, 0, 10, 10], Contents=String("see p. 2"),
                       T=String("ACME reviewer")),  # stays, without its author
            Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[0, 0, 10, 10],
                       FS=Dictionary(Type=Name.Filespec, F=String("acme.txt"),
                                     EF=Dictionary(F=pdf.make_stream(b"ACME secret")))),
        ]
        page1.Annots = Array([pdf.make_indirect(a) for a in annots])
        outline = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=1))
        item = pdf.make_indirect(Dictionary(Title=String("Chapter 1"), Parent=outline, A=js))
        outline.First = outline.Last = item
        pdf.Root.Outlines = outline
        pdf.Root.AA = Dictionary(WC=js)
        pdf.Root.PieceInfo = Dictionary(Acme=Dictionary(Private=String("ACME")))
        pdf.Root.URI = Dictionary(Base=String("http://acme.example/"))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_every_hiding_place_is_emptied_and_the_pages_stay():
    data = _loaded()
    assert {t.where for t in pikepdf_texts(data)} >= {"javascript", "action", "annotation", "embedded_file", "xmp"}
    cleaned = clean_pdf(data)
    assert page_texts(cleaned) == page_texts(data) == ["page 1 body text", "page 2 body text"]
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        p1 = pdf.pages[0].obj
        for key in ("/PieceInfo", "/AA", "/Thumb"):
            assert key not in p1
        assert "/Metadata" not in p1.Resources.XObject.Fm1
        kinds = [(str(a.Subtype), "/A" in a, "/T" in a) for a in p1.Annots]
        assert kinds == [("/Link", True, False), ("/Text", False, False)]
        assert p1.Annots[0].A.S == Name.GoTo and p1.Annots[1].Contents == "see p. 2"
        item = pdf.Root.Outlines.First
        assert item.Title == "Chapter 1" and "/A" not in item  # the bookmark stays, without its script
        for key in ("/AA", "/PieceInfo", "/URI"):
            assert key not in pdf.Root
    assert b"ACME" not in cleaned and b"acme" not in cleaned
    assert [t.where for t in pikepdf_texts(cleaned)] == ["outline", "annotation"]


def pikepdf_texts(data: bytes):
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return hidden_texts(pdf)


def test_owner_password_only_is_opened_and_written_unencrypted():
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_base())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner-secret", user=""))
    cleaned = clean_pdf(out.getvalue())
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert not pdf.is_encrypted


@pytest.mark.parametrize(("data", "reason"), [
    (b"%PDF-1.4\n% nothing here\n%%EOF\n", "not a readable PDF"),
    (b"not a pdf at all", "not a readable PDF"),
])
def test_unreadable_pdfs_are_refused_with_a_reason(data, reason):
    with pytest.raises(PdfCleanError) as e:
        clean_pdf(data)
    assert reason in e.value.msg.en and "不是可读取的 PDF" in e.value.msg.zh and "BytesIO" not in e.value.msg.en


def test_a_pdf_locked_with_an_opening_password_is_refused():
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_base())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="open-me"))
    with pytest.raises(PdfCleanError) as e:
        clean_pdf(out.getvalue())
    assert "password" in e.value.msg.en and "口令" in e.value.msg.zh
