"""Cleaning a blind PDF before it goes into a snapshot (pikepdf, on qpdf).

What a reader shows of a page stays as it is; what a PDF can carry besides its pages goes:

- the document information dictionary (``/Info``: Author, Title, Keywords, Creator …) and every
  XMP ``/Metadata`` stream (the catalog's, and those of pages, form XObjects, images, fonts);
- embedded files: the ``/EmbeddedFiles`` name tree, ``FileAttachment`` annotations, PDF 2.0
  associated files (``/AF``), portfolios (``/Collection``);
- JavaScript (the ``/JavaScript`` name tree) and every action that is not a plain jump inside the
  document: ``/OpenAction``, additional actions (``/AA``) of the document, pages, annotations and
  form fields, and any other ``/A`` (URI, Launch, JavaScript, SubmitForm, GoToR …);
- annotations that act or carry media: links with such actions, ``FileAttachment``, ``Sound``,
  ``Movie``, ``Screen``, ``RichMedia``, ``3D``; the author (``/T``) of the comments that stay;
- ``/PieceInfo`` (application private data), ``/SpiderInfo``, article threads and beads, page
  thumbnails (``/Thumb``, which may show an earlier state of the page), the catalog's ``/URI``;
- older revisions: the result is written whole (never an incremental update), with only the
  objects still reachable, unencrypted, and with an ``/ID`` derived from its content, so the same
  input always gives the same bytes (:func:`clean_pdf` is deterministic for one pikepdf/qpdf build).

Text on the pages, even under a black box or in white, is not touched: the leak scan
(``services/leaks.py``) finds it, and a person decides.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import BinaryIO

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream

from qbdesk.domain.messages import Msg

# Keys removed wherever they appear.
_DROP_KEYS_EVERYWHERE = ("/AA", "/Metadata", "/PieceInfo", "/AF", "/Thumb", "/OpenAction")
_DROP_CATALOG_KEYS = ("/SpiderInfo", "/URI", "/Threads", "/Collection")
_DROP_NAME_TREES = ("/JavaScript", "/EmbeddedFiles", "/AlternatePresentations", "/Renditions")
# Annotations that act or carry files and media: dropped whole.
DROPPED_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"})


class PdfCleanError(Exception):
    """A PDF that cannot be read or cleaned; ``msg`` says why, in both languages."""

    def __init__(self, msg: Msg):
        super().__init__(str(msg))
        self.msg = msg


def is_safe_action(action: object) -> bool:
    """A plain jump inside the document (``/GoTo`` with nothing chained after it)."""
    return isinstance(action, Dictionary) and action.get("/S") == Name.GoTo and "/Next" not in action


def annotation_is_dropped(annot: object) -> bool:
    """Whether cleaning removes this annotation whole (media, attached files, outward actions)."""
    if not isinstance(annot, Dictionary):
        return False
    subtype = annot.get("/Subtype")
    if subtype is not None and str(subtype) in DROPPED_ANNOTATIONS:
        return True
    return subtype != Name.Widget and "/A" in annot and not is_safe_action(annot.get("/A"))


def _reason(e: Exception) -> str:
    """qpdf's message without the name of the in-memory stream it prefixes."""
    first = (str(e).splitlines() or [type(e).__name__])[0]
    return re.sub(r"^(?:stream )?<[^>]*>(?: \(offset \d+\))?:\s*", "", first)[:200]


def open_pdf(source: bytes | BinaryIO) -> Pdf:
    """Open a PDF for reading or cleaning; a clear error if it cannot be parsed or is locked."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    try:
        return pikepdf.open(stream)
    except pikepdf.PasswordError:
        raise PdfCleanError(Msg("PDF 设有打开口令，无法读取", "the PDF is protected by a password and cannot be read")) from None
    except (pikepdf.PdfError, ValueError, OSError, RuntimeError) as e:
        first = _reason(e)
        raise PdfCleanError(Msg(f"不是可读取的 PDF（{first}）", f"not a readable PDF ({first})")) from None


def walk(pdf: Pdf) -> Iterator[Dictionary | Stream]:
    """Every dictionary and stream reachable from the trailer, each once (direct ones included)."""
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [pdf.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (Dictionary, Stream, Array)):
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
        if isinstance(obj, Array):
            stack.extend(obj)
        elif isinstance(obj, (Dictionary, Stream)):
            yield obj
            stack.extend(obj[k] for k in list(obj.keys()) if k != "/Parent")


def _clean_annotations(pdf: Pdf) -> None:
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        kept = [a for a in annots if not annotation_is_dropped(a)]
        for a in kept:
            if isinstance(a, Dictionary) and a.get("/Subtype") != Name.Widget and "/T" in a:
                del a["/T"]  # a comment's author
        if not kept:
            del page.obj["/Annots"]
        elif len(kept) != len(annots):
            page.obj["/Annots"] = Array(kept)


def _clean_catalog(pdf: Pdf) -> None:
    root = pdf.Root
    for key in _DROP_CATALOG_KEYS:
        if key in root:
            del root[key]
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key in _DROP_NAME_TREES:
            if key in names:
                del names[key]
        if not names.keys():
            del root["/Names"]
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and "/XFA" in form:
        del form["/XFA"]  # XFA forms carry their own scripts and data
    for page in pdf.pages:
        if "/B" in page.obj:
            del page.obj["/B"]  # article beads


def clean(pdf: Pdf) -> None:
    """Remove, in place, everything listed in the module docstring."""
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    _clean_catalog(pdf)
    _clean_annotations(pdf)
    for obj in walk(pdf):
        for key in _DROP_KEYS_EVERYWHERE:
            if key in obj:
                del obj[key]
        if "/A" in obj and not is_safe_action(obj.get("/A")):
            del obj["/A"]  # outline items, form fields: keep them, without the action


def clean_pdf(source: bytes | BinaryIO, target: BinaryIO | None = None) -> bytes | None:
    """Clean one PDF: into ``target`` when given (returns None), else returns the cleaned bytes."""
    with open_pdf(source) as pdf:
        try:
            clean(pdf)
            out = target if target is not None else io.BytesIO()
            pdf.save(out, encryption=False, deterministic_id=True, fix_metadata_version=False,
                     preserve_pdfa=False, compress_streams=True)
        except (pikepdf.PdfError, ValueError, RuntimeError, KeyError, TypeError, AttributeError) as e:
            first = _reason(e)
            raise PdfCleanError(Msg(f"PDF 无法清理（{first}）", f"the PDF cannot be cleaned ({first})")) from None
    return None if target is not None else out.getvalue()
