"""The handover sheet (交接单): one A4 page per expert, printed when the snapshots are built.

Each page carries what the expert needs to open the snapshot and to trust it: the
passphrase (large, grouped, in a monospaced face so 0/8 and 5/S read apart), the
coordinator key fingerprint and the snapshot digest (grouped by four) that the
expert's app shows for comparison. Plain on purpose.
The sheet holds passphrases: whoever writes it keeps it readable by its owner only.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from qbdesk.reports.fonts import register_cjk_font

# The declaration comes first: said in these words on the slip and in README.md (a test holds them equal).
DECLARATION_FIRST_ZH = "先签署承诺书，再评分：软件显示承诺书全文，您明确同意（输入 yes）后才签署。"
DECLARATION_FIRST_EN = ("The declaration comes first, then the scoring: the app shows its full text and signs it "
                        "only on your explicit yes.")

MONO = "Courier-Bold"  # a standard PDF font: nothing to embed, and the passphrase alphabet is ASCII

INSTRUCTIONS_ZH = (
    "1. 将快照文件复制到评审用电脑，在 qbdesk 中打开，输入上面的口令（大小写、空格和连字符不影响）。",
    "2. 打开后，核对软件显示的“评审组织方密钥指纹”和“快照摘要”与本页完全一致；不一致时请停止并联系评审组织方。",
    f"3. {DECLARATION_FIRST_ZH}然后独立完成评分；评分数据只保存在本机，且已加密。",
    "4. 完成后导出评分文件（.qbscore）交回评审组织方，并打印评分表签字。",
    "本页载有口令：请当面交给专家本人，切勿与快照U盘放在一起；评审结束后销毁。",
)
INSTRUCTIONS_EN = (
    "1. Copy the snapshot file to the review laptop, open it in qbdesk and type the passphrase above "
    "(case, spaces and hyphens do not matter).",
    "2. Once it is open, check that the coordinator key fingerprint and the snapshot digest the app shows are exactly "
    "those on this page; if they differ, stop and call the coordinator.",
    f"3. {DECLARATION_FIRST_EN} Then score on your own; your scores stay on the laptop, encrypted.",
    "4. When done, export the score file (.qbscore) for the coordinator and print your scorecards to sign.",
    "This page holds the passphrase: hand it to the expert in person, never together with the USB stick; "
    "destroy it after the review.",
)


@dataclass(frozen=True)
class HandoverSlip:
    round_name: str
    round_year: int
    expert_id: str
    expert_name: str
    file_name: str
    passphrase: str
    coordinator_fingerprint: str
    snapshot_digest: str
    applications: int
    created_at: str  # shown as written, e.g. "2026-03-01 09:30 UTC"
    open_programs: tuple[str, ...] = ()  # programs of this expert reviewed openly (blind = false)


def group_hex(digest: str, size: int = 4) -> list[str]:
    return [digest[i : i + size] for i in range(0, len(digest), size)]


def spaced_passphrase(passphrase: str) -> str:
    """``ABCDE-FGHJK`` printed as ``ABCDE  FGHJK``: groups read aloud one at a time."""
    return "  ".join(passphrase.split("-"))


def render_handover_pdf(slips: Sequence[HandoverSlip]) -> bytes:
    """The sheet as PDF bytes, one page per slip (the caller writes it, readable by its owner only)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    register_cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle("评审快照交接单 Snapshot handover sheet")
    canvas.setAuthor("qbdesk")
    for slip in slips:
        _draw_page(canvas, slip, *A4)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _paragraph(canvas, text: str, x: float, y: float, width: float, size: float, leading: float) -> float:
    """Draw wrapped text (Chinese wraps anywhere) with its top at ``y``; return the y below it."""
    from xml.sax.saxutils import escape

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("slip", fontName=register_cjk_font(), fontSize=size, leading=leading, wordWrap="CJK")
    para = Paragraph(escape(text), style)
    _, height = para.wrapOn(canvas, width, 1000)
    para.drawOn(canvas, x, y - height)
    return y - height


def _draw_page(canvas, slip: HandoverSlip, page_w: float, page_h: float) -> None:
    from reportlab.lib.units import mm

    font = register_cjk_font()
    left, width = 20 * mm, page_w - 40 * mm
    y = page_h - 22 * mm
    canvas.setFont(font, 18)
    canvas.drawString(left, y, "评审快照交接单  Snapshot handover slip")
    y -= 7 * mm
    canvas.setLineWidth(0.8)
    canvas.line(left, y, left + width, y)
    y -= 9 * mm

    rows = (
        ("评审批次 Round", f"{slip.round_name}（{slip.round_year}）"),
        ("评审专家 Expert", f"{slip.expert_name}  [{slip.expert_id}]"),
        ("快照文件 Snapshot file", slip.file_name),
        ("申报数 Applications", str(slip.applications)),
        ("生成时间 Built", slip.created_at),
    ) + ((("公开评审 Open review", "、".join(slip.open_programs) + "：证明材料载明申报单位，不实行盲评 / not blind"),)
         if slip.open_programs else ())
    for label, value in rows:
        canvas.setFont(font, 10)
        canvas.drawString(left, y, label)
        canvas.setFont(font, 12)
        canvas.drawString(left + 48 * mm, y, value)
        y -= 7.5 * mm

    y -= 4 * mm
    canvas.setFont(font, 11)
    canvas.drawString(left, y, "口令 Passphrase")
    y -= 4 * mm
    box_h = 20 * mm
    canvas.setLineWidth(1.5)
    canvas.rect(left, y - box_h, width, box_h)
    text = spaced_passphrase(slip.passphrase)
    size = 26
    while size > 12 and canvas.stringWidth(text, MONO, size) > width - 10 * mm:
        size -= 1
    canvas.setFont(MONO, size)
    canvas.drawCentredString(left + width / 2, y - box_h / 2 - size * 0.35, text)
    y -= box_h + 10 * mm

    canvas.setFont(font, 11)
    canvas.drawString(left, y, "评审组织方密钥指纹 Coordinator key fingerprint")
    y -= 6.5 * mm
    canvas.setFont(MONO, 11)
    canvas.drawString(left + 4 * mm, y, slip.coordinator_fingerprint)
    y -= 10 * mm

    canvas.setFont(font, 11)
    canvas.drawString(left, y, "快照摘要 Snapshot digest (SHA-256)")
    groups = group_hex(slip.snapshot_digest)
    for start in range(0, len(groups), 8):
        y -= 6.5 * mm
        canvas.setFont(MONO, 13)
        canvas.drawString(left + 4 * mm, y, "  ".join(groups[start : start + 8]))
    y -= 12 * mm

    canvas.setFont(font, 11)
    canvas.drawString(left, y, "使用说明")
    y -= 3 * mm
    for line in INSTRUCTIONS_ZH:
        y = _paragraph(canvas, line, left, y, width, 9.5, 13.5) - 1.5 * mm
    y -= 4 * mm
    canvas.setFont(font, 11)
    canvas.drawString(left, y, "Instructions")
    y -= 3 * mm
    for line in INSTRUCTIONS_EN:
        y = _paragraph(canvas, line, left, y, width, 9, 12) - 1.5 * mm

    canvas.setFont(font, 8)
    canvas.drawString(left, 12 * mm, f"qbdesk · {slip.expert_id} · {slip.file_name}")
