"""Print my scorecards: the expert's own values, one page per application, to sign by hand.

A Qt-rendered version (QTextDocument) until the reportlab scorecard exists: blind (codes and
programs only, no title and no applicant), with the score file digest and the expert key
fingerprint of the last export (or "draft" when nothing was finalised since the last change),
and a signature line. Preview with QPrintPreviewDialog, print, or save as PDF where the
expert chooses.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from qbdesk.domain.programs import program as program_info
from qbdesk.gui import i18n
from qbdesk.gui.review.shell_common import grouped
from qbdesk.services.reviewer import ReviewWorkspace

translate = QCoreApplication.translate


def _number(v: float) -> str:
    return f"{v:g}"


def _value_cells(ws: ReviewWorkspace, code: str, c) -> list[tuple[str, str, str]]:
    """(what, value, comment) rows of one criterion."""
    value = ws.value(code, c.id)
    comment = ws.comment(code, c.id)
    if c.kind == "score":
        return [("", "—" if value is None else _number(value) + f" / {_number(c.max)}", comment)]
    if c.kind == "check":
        shown = "—" if value is None else (translate("Scorecard", "pass") if value else translate("Scorecard", "fail"))
        return [("", shown, comment)]
    if c.kind == "opinion":
        return [("", value or "—", "")]
    rows = []
    for item in ws.application(code).item_ids:
        d = ws.value(code, c.id, item)
        if not isinstance(d, dict):
            rows.append((item, "—", ""))
            continue
        shown = translate("Scorecard", "accepted") if d.get("accepted") else translate("Scorecard", "rejected")
        if d.get("tier"):
            shown += f" ({d['tier']})"
        rows.append((item, shown, d.get("reason", "")))
    return rows


def _total(ws: ReviewWorkspace, code: str) -> float:
    return sum(c.weight * float(ws.value(code, c.id) or 0) for c in ws.rubric(code).criteria if c.kind == "score")


def scorecards_html(ws: ReviewWorkspace) -> str:
    lang = i18n.current_language()
    _, round_name, year = ws.round
    last = ws.exports[-1] if ws.exports else None
    finalised = bool(last) and bool(getattr(ws, "finalised", True))
    if finalised:
        digest = escape(grouped(last["digest"])).replace("\n", "<br>")
        stamp = translate("Scorecard", "Score file sequence {sequence}, finalised {at}").format(sequence=last["sequence"], at=last["at"])
    else:
        digest = escape(translate("Scorecard", "(draft: not finalised since the last change)"))
        stamp = translate("Scorecard", "Draft")
    label = {  # outside the f-strings, where lupdate sees them
        "scorecard": translate("Scorecard", "Scorecard"),
        "expert": translate("Scorecard", "Expert"),
        "criterion": translate("Scorecard", "Criterion"),
        "value": translate("Scorecard", "Value"),
        "comment": translate("Scorecard", "Comment"),
        "total": translate("Scorecard", "Total"),
        "score_file_digest": translate("Scorecard", "Score file digest"),
        "expert_key_fingerprint": translate("Scorecard", "Expert key fingerprint"),
        "signature": translate("Scorecard", "Signature"),
        "date": translate("Scorecard", "Date"),
    }
    pages = []
    for n, app in enumerate(a for a in ws.applications if a.code not in ws.recusals):
        rubric = ws.rubric(app.code)
        rows = []
        for c in rubric.criteria:
            for what, value, comment in _value_cells(ws, app.code, c):
                name = escape(c.name.text(lang)) + (f" [{escape(what)}]" if what else "")
                rows.append(f"<tr><td>{name}</td><td>{escape(str(value))}</td><td>{escape(comment)}</td></tr>")
        brk = ' style="page-break-before: always"' if n else ""
        pages.append(f"""
<div{brk}>
<h2>{escape(label['scorecard'])} — {escape(app.code)}</h2>
<p>{escape(round_name)} ({year}) · {escape(app.program)} {escape(program_info(app.program).name(lang))}<br>
{escape(label['expert'])}: {escape(ws.expert_id)} · {escape(stamp)}</p>
<table border="1" cellspacing="0" cellpadding="4" width="100%">
<tr><th>{escape(label['criterion'])}</th><th>{escape(label['value'])}</th><th>{escape(label['comment'])}</th></tr>
{''.join(rows)}
<tr><td><b>{escape(label['total'])}</b></td><td><b>{_number(_total(ws, app.code))}</b></td><td></td></tr>
</table>
<p>{escape(label['score_file_digest'])}:<br><tt>{digest}</tt><br>
{escape(label['expert_key_fingerprint'])}: <tt>{escape(ws.expert_fingerprint)}</tt></p>
<p><br>{escape(label['signature'])}: ______________________ &nbsp;&nbsp; {escape(label['date'])}: ______________</p>
</div>""")
    if not pages:
        none = translate("Scorecard", "No application to print: every one is recused.")
        pages.append(f"<p>{escape(none)}</p>")
    return "<html><body>" + "".join(pages) + "</body></html>"


def scorecards_document(ws: ReviewWorkspace) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(scorecards_html(ws))
    return doc


def _a4(printer: QPrinter) -> None:
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                      QMarginsF(18, 18, 18, 18), QPageLayout.Unit.Millimeter))


def save_pdf(ws: ReviewWorkspace, path: Path) -> Path:
    """Write the scorecards as PDF to ``path`` (a place the expert chose)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setDocName("qbdesk scorecards")
    printer.setCreator("qbdesk")
    _a4(printer)
    scorecards_document(ws).print_(printer)
    return path


def preview(ws: ReviewWorkspace, parent: QWidget | None = None) -> QPrintPreviewDialog:
    """The print preview (opened, not blocking); printing from it goes to the chosen printer."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    _a4(printer)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setObjectName("printPreview")
    dialog.setWindowTitle(translate("Scorecard", "Print my scorecards"))
    doc = scorecards_document(ws)
    dialog.paintRequested.connect(doc.print_)
    dialog._keep = (printer, doc)  # the dialog neither owns the printer nor the document: kept alive with it
    dialog.resize(900, 700)
    dialog.open()
    return dialog
