"""The language of the command line: our help texts and argparse's own words (usage, errors).

Chosen before the parser is built, from ``--lang`` on the command line, else ``QBDESK_LANG``,
else Chinese. Each help text is written in both languages with :func:`h`.
"""

from __future__ import annotations

import argparse
import gettext
import os

LANGUAGES = ("zh", "en")
_lang = "zh"

# argparse's own strings (Python 3.11) in Chinese; the rest stay as argparse says them.
ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的子命令 %(parser_name)r（可选：%(choices)s）",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "多余的参数值 %r",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "参数 %s 必须给出其中之一",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "unexpected option string: %s": "意外的选项：%s",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
}
ARGPARSE_ZH_PLURAL = {"expected %s argument": "需要 %s 个值"}


def pick(argv: list[str]) -> str:
    """The language asked for: ``--lang X`` / ``--lang=X`` before the command, else QBDESK_LANG, else zh."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in LANGUAGES else "zh"
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
            return value if value in LANGUAGES else "zh"
        if not arg.startswith("-"):
            break  # the command: a later --lang belongs to nobody
    env = os.environ.get("QBDESK_LANG", "zh")
    return env if env in LANGUAGES else "zh"


def install(lang: str) -> None:
    """Use ``lang`` for the help texts written from now on and for argparse's own words."""
    global _lang
    _lang = lang if lang in LANGUAGES else "zh"
    if _lang == "en":
        argparse._ = gettext.gettext  # type: ignore[attr-defined]
        argparse.ngettext = gettext.ngettext  # type: ignore[attr-defined]
    else:
        argparse._ = lambda s: ARGPARSE_ZH.get(s, s)  # type: ignore[attr-defined]
        argparse.ngettext = lambda s, p, n: ARGPARSE_ZH_PLURAL.get(s, s if n == 1 else p)  # type: ignore[attr-defined]


def current() -> str:
    return _lang


def h(en: str, zh: str) -> str:
    """A help text in the chosen language."""
    return en if _lang == "en" else zh
