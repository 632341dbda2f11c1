"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and upper-case letters
without I, O, Z, S, V); the last one is a check character computed from the
first 17 with weights 3^i mod 31.
"""

from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CreditCodeError(ValueError):
    """Why a string is not a valid unified social credit code (zh and en)."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code (stripped, upper-case) or raise :class:`CreditCodeError`."""
    if not isinstance(code, str):
        raise CreditCodeError(str(code), "统一社会信用代码必须是文本", "the credit code must be a string")
    c = code.strip().upper()
    if len(c) != 18:
        raise CreditCodeError(
            code,
            f"统一社会信用代码应为18位，实际为{len(c)}位",
            f"a unified social credit code has 18 characters, this one has {len(c)}",
        )
    bad = [ch for ch in c if ch not in _VALUE]
    if bad:
        raise CreditCodeError(
            code,
            f"统一社会信用代码含有不允许的字符：{''.join(dict.fromkeys(bad))}",
            f"the credit code contains characters that are not allowed: {''.join(dict.fromkeys(bad))}",
        )
    expected = check_char(c[:17])
    if c[17] != expected:
        raise CreditCodeError(
            code,
            f"统一社会信用代码校验位错误（应为 {expected}，实际为 {c[17]}）",
            f"wrong check character (expected {expected}, found {c[17]})",
        )
    return c


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except CreditCodeError:
        return False
    return True


def generate(rng: random.Random, *, registry: str = "9", kind: str = "1", region: str = "440300") -> str:
    """A valid code for synthetic data: by default an enterprise (91) registered in Shenzhen (440300)."""
    body = registry + kind + region + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_char(body)
