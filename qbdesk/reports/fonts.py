"""The CJK font every qbdesk PDF embeds.

PDFs must show Chinese on any viewer, so we never rely on a viewer's fonts:
reportlab embeds (a subset of) this TrueType font in each document. The same
file serves the GUI (``QFontDatabase.addApplicationFont(str(CJK_FONT_PATH))``).
See ``resources/fonts/README.md`` for its source and licence.
"""

from __future__ import annotations

import threading

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.paths import resource_path

CJK_FONT_PATH = resource_path("fonts", "wqy-microhei-gb2312.ttf")
CJK_FONT_NAME = "QbdeskCJK"  # the name reportlab styles refer to
CJK_FONT_FAMILY = "WenQuanYi Micro Hei"  # the family name inside the file (what Qt reports)

_lock = threading.Lock()  # reports may be built from worker threads
_registered = False


def register_cjk_font() -> str:
    """Register the CJK font with reportlab once and return its name.

    Bold and italic map to the same face (it has none), so ``<b>`` in a
    Paragraph works instead of failing on a missing font.
    """
    global _registered
    if _registered:  # fast path: layout code calls this a lot
        return CJK_FONT_NAME
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    with _lock:
        if CJK_FONT_NAME in pdfmetrics.getRegisteredFontNames():
            _registered = True
            return CJK_FONT_NAME
        if not CJK_FONT_PATH.is_file():
            raise QbdeskError(
                Msg(
                    f"找不到内嵌中文字体文件：{CJK_FONT_PATH}（安装不完整，请重新安装 qbdesk）",
                    f"the embedded CJK font is missing: {CJK_FONT_PATH} (incomplete installation; reinstall qbdesk)",
                )
            )
        try:
            font = TTFont(CJK_FONT_NAME, str(CJK_FONT_PATH))
        except (TTFError, OSError) as exc:
            raise QbdeskError(
                Msg(
                    f"内嵌中文字体文件无法读取：{CJK_FONT_PATH}（{exc}）",
                    f"the embedded CJK font cannot be read: {CJK_FONT_PATH} ({exc})",
                )
            ) from exc
        pdfmetrics.registerFont(font)
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(CJK_FONT_NAME, bold, italic, CJK_FONT_NAME)
        _registered = True
        return CJK_FONT_NAME
