"""Every text a PDF holds, for the identity-leak scan: its pages and what it carries besides them.

Page text comes from PDFium (pypdfium2), which extracts every text object however it is painted:
under a black box, in white, clipped away, in render mode 3 (invisible), outside the page box or
half a point high, all come out.
The rest (document information, XMP, embedded files, JavaScript and other actions, annotation
comments, bookmarks, form values) is read with pikepdf, each piece marked with whether
:mod:`qbdesk.formats.pdf_clean` removes it. Text drawn as an image (a scan, a photo of a seal) is
not text: there is no OCR here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf
import pypdfium2 as pdfium
from pikepdf import Array, Dictionary, Name, Pdf, Stream

from qbdesk.domain.messages import Msg
from qbdesk.formats.pdf_clean import PdfCleanError, annotation_is_dropped, walk

MAX_EMBEDDED = 20 * 1024 * 1024  # embedded files larger than this are reported by name only
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class PdfText:
    where: str  # text | info | xmp | embedded_file | javascript | action | annotation | outline | form_field
    page: int | None  # 1-based, for text on a page or an annotation
    text: str
    removed_by_cleaning: bool


def page_texts(data: bytes) -> list[str]:
    """The text of each page, in order."""
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise PdfCleanError(Msg(f"PDF 文本无法读取：{e}", f"the PDF's text cannot be read: {e}")) from None
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())  # every character, also those outside the page box
            textpage.close()
            page.close()
        return out
    except pdfium.PdfiumError as e:
        raise PdfCleanError(Msg(f"PDF 文本无法读取：{e}", f"the PDF's text cannot be read: {e}")) from None
    finally:
        doc.close()


def _string(obj: object) -> str:
    if isinstance(obj, Stream):
        return obj.read_bytes().decode("utf-8", "replace")
    if isinstance(obj, pikepdf.String):
        return str(obj)
    return str(obj) if isinstance(obj, (Name, str)) else ""


def _xml_text(raw: bytes) -> str:
    return html.unescape(_TAG.sub(" ", raw.decode("utf-8", "replace")))


def _file_text(name: str, data: bytes) -> Iterator[str]:
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        try:
            yield from page_texts(data)
            return
        except PdfCleanError:
            pass
    text = data.decode("utf-8", "replace")
    if text.count("\ufffd") < len(text) // 20 + 1:  # mostly text
        yield text


def _embedded(pdf: Pdf) -> Iterator[PdfText]:
    specs: list[Dictionary] = []
    try:
        for _name, spec in pdf.attachments.items():
            specs.append(spec.obj)
    except (pikepdf.PdfError, ValueError, KeyError, TypeError):
        pass
    for page in pdf.pages:
        for annot in page.obj.get("/Annots") or []:
            if isinstance(annot, Dictionary) and isinstance(annot.get("/FS"), Dictionary):
                specs.append(annot["/FS"])
    for spec in specs:
        names = [_string(spec.get(k)) for k in ("/UF", "/F", "/Desc")]
        for n in filter(None, names):
            yield PdfText("embedded_file", None, n, True)
        ef = spec.get("/EF")
        stream = ef.get("/UF") or ef.get("/F") if isinstance(ef, Dictionary) else None
        if isinstance(stream, Stream):
            try:
                length = int(stream.get("/Length", 0))
                if length <= MAX_EMBEDDED:
                    for text in _file_text(names[0] or names[1], stream.read_bytes()):
                        yield PdfText("embedded_file", None, text, True)
            except (pikepdf.PdfError, ValueError):
                pass


def _annotations(pdf: Pdf) -> Iterator[PdfText]:
    for number, page in enumerate(pdf.pages, 1):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for annot in annots:
            if not isinstance(annot, Dictionary):
                continue
            dropped = annotation_is_dropped(annot)
            widget = annot.get("/Subtype") == Name.Widget
            if "/Contents" in annot:
                yield PdfText("annotation", number, _string(annot["/Contents"]), dropped)
            if "/T" in annot and not widget:
                yield PdfText("annotation", number, _string(annot["/T"]), True)
            if widget and "/V" in annot:
                yield PdfText("form_field", number, _string(annot["/V"]), False)


def _walked(pdf: Pdf) -> Iterator[PdfText]:
    for obj in walk(pdf):
        if "/JS" in obj:
            yield PdfText("javascript", None, _string(obj["/JS"]), True)
        if "/URI" in obj and isinstance(obj.get("/URI"), pikepdf.String):
            yield PdfText("action", None, _string(obj["/URI"]), True)
        if obj.get("/S") == Name.Launch and "/F" in obj:
            f = obj["/F"]
            yield PdfText("action", None, _string(f.get("/F") if isinstance(f, Dictionary) else f), True)
        if isinstance(obj, Stream) and obj.get("/Type") == Name.Metadata:
            try:
                yield PdfText("xmp", None, _xml_text(obj.read_bytes()), True)
            except pikepdf.PdfError:
                pass
        if "/Title" in obj and "/Parent" in obj and obj.get("/Type") != Name.Page:
            yield PdfText("outline", None, _string(obj["/Title"]), False)  # a bookmark
        if "/FT" in obj and "/V" in obj and obj.get("/Subtype") != Name.Widget:
            yield PdfText("form_field", None, _string(obj["/V"]), False)


def hidden_texts(pdf: Pdf) -> list[PdfText]:
    """What the PDF carries besides its pages' text; a clear error if its structure cannot be read."""
    try:
        return _hidden_texts(pdf)
    except (pikepdf.PdfError, ValueError, KeyError, TypeError, RuntimeError, AttributeError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0][:200]
        raise PdfCleanError(Msg(f"PDF 的结构无法读取（{first}）", f"the PDF's structure cannot be read ({first})")) from None


def _hidden_texts(pdf: Pdf) -> list[PdfText]:
    out: list[PdfText] = []
    info = pdf.trailer.get("/Info")
    if isinstance(info, Dictionary):
        out += [PdfText("info", None, _string(v), True) for _k, v in info.items() if _string(v)]
    out += list(_walked(pdf))
    out += list(_embedded(pdf))
    out += list(_annotations(pdf))
    return list(dict.fromkeys(t for t in out if t.text.strip()))  # each text once, in order
