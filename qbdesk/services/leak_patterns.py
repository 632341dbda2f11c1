"""What identifies one application, as patterns to find in any text it carries.

From the applicant's record: the name and its short forms (:func:`snapshot_meta.name_forms`),
the credit code, the contact person (and the surname + 先生/女士 form), phone numbers, the
e-mail address and its domain (unless a public mail service), the website, the address (with
and without its leading province, city, district and street), and the application's own id.
Besides these, anyone's e-mail address, mainland mobile or landline number and valid credit code.

Texts are compared after NFKC (full-width digits and letters, brackets and hyphens become ASCII)
and case folding. Names and addresses are found with all white space removed, so a line break
inside a name does not hide it; digits of a phone number or a credit code may be separated by
spaces, hyphens, dashes, dots or brackets (``(0755)31510852``, ``+86 755 3151 0852``,
``0755—31510852``, ``9144 0304 PD4W A4NG 14``), and a landline is found with or without its
area code or country code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qbdesk.domain.credit_code import CreditCodeError
from qbdesk.domain.credit_code import validate as validate_credit_code
from qbdesk.services.snapshot_meta import name_forms

KINDS = ("name", "short_name", "credit_code", "contact", "phone", "email", "domain", "website", "address",
         "application_id")
SEP = r"[\s\-‐‑‒–—―−.·・()\[\]/_]{0,3}"  # what may stand between the digits of a number
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u00ad\u200b-\u200f\u2060\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
                      "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "申屠", "澹台", "百里", "呼延")
_TITLES = ("先生", "女士", "小姐", "经理", "主任")
PUBLIC_MAIL = frozenset({"qq.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com", "139.com",
                         "189.cn", "foxmail.com", "aliyun.com", "gmail.com", "outlook.com", "hotmail.com", "live.com",
                         "yahoo.com", "icloud.com", "vip.qq.com", "vip.163.com"})
_ADDRESS_CUTS = ("省", "市", "区", "县", "街道", "镇")


def normalise(text: str) -> str:
    """NFKC, case-folded, invisible characters gone, white space runs as one space."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _SPACES.sub(" ", text)


def mask(token: str, kind: str) -> str:
    """The start of a token and ``***``: enough to recognise it, never the whole."""
    keep = {"phone": 4, "credit_code": 6, "email": 2, "domain": 2, "website": 2, "application_id": 4,
            "contact": 1}.get(kind, max(1, len(token) // 2))
    return token[: min(keep, max(1, len(token) - 2))] + "***"


@dataclass(frozen=True)
class Identity:
    """What names one application."""

    application_id: str
    name: str
    credit_code: str
    contact: str = ""
    phones: tuple[str, ...] = ()
    email: str = ""
    website: str = ""
    address: str = ""

    @classmethod
    def from_record(cls, application_id: str, name: str, credit_code: str, contact: Mapping[str, Any]) -> Identity:
        phones = tuple(str(contact.get(k) or "") for k in ("phone", "mobile") if contact.get(k))
        return cls(application_id, name, credit_code, str(contact.get("contact") or "").strip(), phones,
                   str(contact.get("email") or "").strip(), str(contact.get("website") or "").strip(),
                   str(contact.get("address") or "").strip())


@dataclass(frozen=True)
class Match:
    kind: str
    token: str  # the matched text, normalised (never printed: see ``excerpt``)
    count: int

    @property
    def excerpt(self) -> str:
        return mask(self.token, self.kind)


def _digits(chars: str) -> str:
    return SEP.join(re.escape(c) for c in chars)


def _phone_patterns(number: str) -> list[str]:
    out = []
    for piece in re.split(r"[,，;；/、]|转|ext", normalise(number)):
        d = re.sub(r"\D", "", piece)
        if d.startswith("0086"):
            d = d[4:]
        elif d.startswith("86") and len(d) >= 12:
            d = d[2:]
        if len(d) < 7:
            continue
        cc = rf"(?:(?:\+|00)?8{SEP}6{SEP})?"
        if d.startswith("0") and len(d) >= 10:  # landline: 0 + area + local
            area_len = 3 if d[1] in "12" else 4
            area, local = d[1:area_len], d[area_len:]
            out.append(rf"(?<!\d){cc}(?:0{SEP})?{_digits(area)}{SEP}{_digits(local)}(?!\d)")
            if len(local) >= 7:
                out.append(rf"(?<!\d){_digits(local)}(?!\d)")
        else:
            out.append(rf"(?<!\d){cc}{_digits(d)}(?!\d)")
    return out


def _surname(person: str) -> str:
    return person[:2] if len(person) >= 3 and person.startswith(_COMPOUND_SURNAMES) else person[:1]


def _address_forms(address: str) -> list[str]:
    forms = [address]
    for cut in _ADDRESS_CUTS:
        i = address.find(cut)
        if i >= 0:
            rest = address[i + len(cut):]
            if len(rest) >= 6:
                forms.append(rest)
    return forms


def _host(url: str) -> str:
    host = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", normalise(url).strip()).split("/")[0].split(":")[0]
    return host.removeprefix("www.")


def _word(token: str) -> str:
    return rf"(?<![0-9a-z\-]){re.escape(token)}(?![0-9a-z\-])"


def _compact(text: str) -> str:
    return text.replace(" ", "")


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    compact: bool  # matched against the text with all white space removed


_GENERIC = (
    _Pattern("email", re.compile(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+"), False),
    # anyone's mobile, written 3-4-4 with at most one space or hyphen between the groups
    _Pattern("phone", re.compile(r"(?<![\d.\-])(?:(?:\+|00)?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?![\d.\-])"), False),
    _Pattern("phone", re.compile(r"(?<![\d\-])(?:\(0\d{2,3}\)|0\d{2,3}[\-—–])[\s]?\d{7,8}(?!\d)"), False),
)
_CODE_SHAPE = re.compile(rf"(?<![0-9a-z])[0-9a-z](?:{SEP}[0-9a-z]){{17}}(?![0-9a-z])")


class LeakMatcher:
    """Finds one application's identity (and anyone's contact details) in a text."""

    def __init__(self, patterns: Iterable[_Pattern]):
        self.patterns = tuple(patterns)

    @classmethod
    def for_identity(cls, who: Identity) -> LeakMatcher:
        pats: list[_Pattern] = []

        def literal(kind: str, token: str, *, word: bool = False, min_len: int = 2) -> None:
            t = _compact(normalise(token)) if not word else normalise(token).strip()
            if len(t) >= min_len:
                pats.append(_Pattern(kind, re.compile(_word(t) if word else re.escape(t)), not word))

        for form in sorted(name_forms(who.name), key=len, reverse=True):  # a form with its legal form is a name
            literal("name" if form.endswith(("公司", "集团")) else "short_name", form)
        code = normalise(who.credit_code).replace(" ", "")
        if len(code) == 18:
            pats.append(_Pattern("credit_code", re.compile(rf"(?<![0-9a-z]){_digits(code)}(?![0-9a-z])"), False))
        if len(who.contact) >= 2:
            literal("contact", who.contact)
            surname = _surname(_compact(normalise(who.contact)))
            for title in _TITLES:
                literal("contact", surname + title)
        for number in who.phones:
            pats += [_Pattern("phone", re.compile(p), False) for p in _phone_patterns(number)]
        if "@" in who.email:
            literal("email", who.email, word=True, min_len=5)
            domain = normalise(who.email).rsplit("@", 1)[1].strip()
            if domain not in PUBLIC_MAIL and _host(who.website) != domain:
                literal("domain", domain, word=True, min_len=4)
        if who.website and "." in _host(who.website):
            literal("website", _host(who.website), word=True, min_len=4)
        for form in _address_forms(who.address):
            literal("address", form, min_len=6)
        app_id = normalise(who.application_id).strip()
        if len(app_id) >= 4:
            parts = [re.escape(p) for p in re.split(r"[\-_.\s]+", app_id) if p]
            pats.append(_Pattern("application_id", re.compile(
                r"(?<![0-9a-z])" + r"[\s\-_.·—]{0,2}".join(parts) + r"(?![0-9a-z])"), False))
        return cls([*pats, *_GENERIC])

    def find(self, text: str) -> list[Match]:
        """Distinct matches in ``text``: the applicant's own first, then anyone's; overlaps counted once."""
        spaced = normalise(text)
        compact = _compact(spaced)
        views = {False: spaced, True: compact}
        taken: dict[bool, list[tuple[int, int]]] = {False: [], True: []}
        found: dict[tuple[str, str], int] = {}

        def free(view: bool, span: tuple[int, int]) -> bool:
            return all(span[1] <= a or span[0] >= b for a, b in taken[view])

        def add(kind: str, view: bool, m: re.Match[str]) -> None:
            if free(view, m.span()):
                taken[view].append(m.span())
                key = (kind, m.group(0).strip())
                found[key] = found.get(key, 0) + 1

        for p in self.patterns:
            for m in p.regex.finditer(views[p.compact]):
                add(p.kind, p.compact, m)
        for m in _CODE_SHAPE.finditer(spaced):
            try:
                validate_credit_code(re.sub(r"[^0-9a-z]", "", m.group(0)).upper())
            except CreditCodeError:
                continue
            add("credit_code", False, m)
        return [Match(kind, token, n) for (kind, token), n in found.items()]
