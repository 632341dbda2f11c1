"""UI language: Simplified Chinese by default, English on request.

Source strings are English, in code (``tr()``, ``QT_TRANSLATE_NOOP``); the
Chinese lives in ``resources/translations/qbdesk_zh_CN.ts`` (edit it with
``pyside6-linguist``). The built ``.qm`` is committed next to it so a fresh
clone runs without a build step. After changing UI strings::

    .venv/bin/pyside6-lupdate $(find qbdesk/gui -name "*.py" | sort) -ts resources/translations/qbdesk_zh_CN.ts \
        -no-obsolete -locations none
    .venv/bin/pyside6-lrelease resources/translations/qbdesk_zh_CN.ts -qm resources/translations/qbdesk_zh_CN.qm

``tests/gui/test_translations.py`` fails when either step was forgotten.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.paths import resource_path

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
CATALOG = "qbdesk_zh_CN"

_installed: list[QTranslator] = []  # kept referenced: Qt does not own installed translators
_language = "zh"


def normalise_language(lang: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-Hans`` → ``zh``; ``en``, ``en_US`` → ``en``; anything else is an error."""
    key = (lang or "zh").strip().lower().replace("-", "_")
    for known in LANGUAGES:
        if key == known or key.startswith(known + "_"):
            return known
    raise QbdeskError(Msg(
        f"不支持的界面语言 {lang!r}，可选：zh（中文）、en（英文）",
        f"unsupported UI language {lang!r}; choose zh (Chinese) or en (English)",
    ))


def current_language() -> str:
    return _language


def text(msg: Msg) -> str:
    """A core message in the UI language."""
    return msg.text(_language)


def error_text(exc: BaseException) -> str:
    """What to tell the user about a failure: our message (or a database failure) in the UI language, else the
    error's first line."""
    if isinstance(exc, QbdeskError):
        return exc.text(_language)
    from qbdesk.store.engine import database_error

    said = database_error(exc)  # SQLAlchemy's and the drivers' English, said in the UI language
    if said is not None:
        return said.text(_language)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return first or type(exc).__name__


def _load(translator: QTranslator, name: str, directory: str) -> bool:
    ok = translator.load(name, directory)
    if not ok:
        log.warning("translation %s not found in %s", name, directory)
    return ok


def install(app: QCoreApplication, lang: str | None = "zh") -> str:
    """Install the translators for ``lang`` (replacing earlier ones) and return the language used."""
    global _language
    lang = normalise_language(lang)
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    _language = lang
    if lang == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return lang
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    # Qt's own strings first (standard buttons, file dialogs), then ours.
    sources = [
        ("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        (CATALOG, str(resource_path("translations"))),
    ]
    for name, directory in sources:
        translator = QTranslator()
        if _load(translator, name, directory):
            app.installTranslator(translator)
            _installed.append(translator)
    return lang
