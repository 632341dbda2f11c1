"""What an expert's snapshot says about the applications: blind metadata, opaque codes, redaction.

Blind means nothing in the snapshot names the applicant. The metadata carries only
what scoring needs (program, title, summary, amount, tier, items, blind attachments),
and every text in it goes through :class:`Redactor`, which replaces the applicant's
name (and its short forms), credit code, contact person, phone, e-mail and address,
and any phone number, e-mail address or valid credit code of anyone, with "■■■".
Items' ``reference`` (certificate numbers and the like, which a search engine turns
into a name) is dropped, and items get snapshot-local ids (``I1``, ``I2`` … per
application, ``local_item_ids``; the snapshot row maps them back), so nothing the
applicant typed becomes an id. Redaction is a safety net under the coordinator's own
leak scan, not a replacement for it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qbdesk.domain.credit_code import CreditCodeError
from qbdesk.domain.credit_code import validate as validate_credit_code

REDACTED = "■■■"
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 5  # 32^5 ≈ 33 million codes; a few hundred per expert never collide in practice

DECLARATION = {
    "zh": (
        "评审专家承诺书\n"
        "本人自愿担任本批次质量品牌领域专项资金评审专家，郑重承诺：\n"
        "一、公正评审。本人将依据评审规则和评分细则，独立、客观、公正地评审每一份申报材料，"
        "不受任何单位或个人的影响，不接受任何形式的请托或馈赠。\n"
        "二、严格保密。本人对评审材料、评审意见和评审结果严格保密，不复制、不截屏、不外传，"
        "不用于评审以外的任何目的；评审结束后按评审组织方的要求删除本机上的评审数据。\n"
        "三、主动回避。本人与所评申报单位不存在任职、持股、咨询、亲属或其他利害关系；"
        "如发现存在可能影响公正评审的关系，将立即申明并回避该申报的评审。\n"
        "本人如违反上述承诺，愿承担相应责任。"
    ),
    "en": (
        "Expert reviewer's declaration\n"
        "I have agreed to review applications to the quality-and-brand special fund in this round, and I declare:\n"
        "1. Impartiality. I will score every application independently, objectively and fairly, by the review rules "
        "and the rubrics, uninfluenced by any organisation or person, and I will accept no request or gift of any kind.\n"
        "2. Confidentiality. I will keep the application material, my opinions and the results confidential: I will not "
        "copy, photograph or pass them on, nor use them for anything but this review, and I will delete the review data "
        "from this computer when the coordinator asks me to.\n"
        "3. No conflict of interest. I have no employment, shareholding, consulting, family or other interest in the "
        "applicants I review; should I find a relationship that could affect my judgement, I will declare it at once "
        "and recuse myself from that application.\n"
        "I accept responsibility for any breach of this declaration."
    ),
}

# Patterns that identify someone whoever it is: e-mail, mainland mobile and landline numbers.
_GENERIC = (
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+",
    r"(?<!\d)(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?!\d)",
    r"(?<!\d)0\d{2,3}[\s\-]?\d{7,8}(?!\d)",
)
_CREDIT_CODE_SHAPE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
_NAME_PREFIXES = ("广东省深圳市", "深圳市", "深圳")
_NAME_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
_CITY_TAGS = re.compile(r"[（(]\s*深圳\s*[)）]")
_ADDRESS_PREFIXES = ("广东省", "深圳市")


def make_codes(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct opaque application codes."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def name_forms(name: str) -> list[str]:
    """The name as written, and the short forms people use (深圳市甲科技有限公司 → 甲科技)."""
    forms = {name, _CITY_TAGS.sub("", name)}
    for form in list(forms):  # a copy: the loop adds to the set
        for prefix in _NAME_PREFIXES:
            if form.startswith(prefix):
                forms.add(form[len(prefix):])
                break
    for form in list(forms):
        for suffix in _NAME_SUFFIXES:
            if form.endswith(suffix):
                forms.add(form[: -len(suffix)])
                break
    return [f.strip() for f in forms if len(f.strip()) >= 2]


def _digits_pattern(number: str) -> str | None:
    """A phone number matched whatever separators it is written with."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return None
    return r"(?<!\d)" + r"[\s\-]?".join(digits) + r"(?!\d)"


@dataclass(frozen=True)
class Redactor:
    """Replaces one applicant's identity (and anyone's contact details) in a text."""

    pattern: re.Pattern[str]

    @classmethod
    def for_applicant(cls, name: str, credit_code: str, contact: Mapping[str, Any]) -> Redactor:
        literal: list[str] = [*name_forms(name), credit_code]
        person = str(contact.get("contact") or "").strip()
        if len(person) >= 2:
            literal.append(person)
        address = str(contact.get("address") or "").strip()
        if address:
            literal.append(address)
            for prefix in _ADDRESS_PREFIXES:
                address = address.removeprefix(prefix)
                if len(address) >= 6:
                    literal.append(address)
        for key in ("email", "website"):
            value = str(contact.get(key) or "").strip()
            if value:
                literal.append(value)
        parts = [re.escape(t) for t in sorted(set(literal), key=len, reverse=True) if t]
        for number in (contact.get("phone"), contact.get("mobile")):
            p = _digits_pattern(str(number or ""))
            if p:
                parts.append(p)
        parts.extend(_GENERIC)
        return cls(re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = self.pattern.sub(REDACTED, text)
        return _CREDIT_CODE_SHAPE.sub(_redact_code, text)


def _redact_code(m: re.Match[str]) -> str:
    try:
        validate_credit_code(m.group(0).upper())
    except CreditCodeError:
        return m.group(0)
    return REDACTED


def local_item_ids(items: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Snapshot-local item id (``I1``, ``I2`` … in the package's order) -> the package's item id."""
    return {f"I{k}": str(item.get("id", "")) for k, item in enumerate(items, start=1)}


@dataclass(frozen=True)
class BlindAttachment:
    entry: str  # the snapshot entry it is encrypted in
    title: str
    size: int
    sha256: str  # of the plaintext


def application_meta(
    *,
    code: str,
    program: str,
    rubric_hash: str,
    title: str,
    summary: str,
    requested_amount: int,
    tier: str | None,
    items: Sequence[Mapping[str, Any]],
    attachments: Iterable[BlindAttachment],
    redact: Redactor,
    qualification: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One application as the expert sees it (the ``applications[]`` element of meta.json)."""
    blind_items = []
    for local, item in zip(local_item_ids(items), items):
        out = {"id": local, "kind": redact(str(item.get("kind", ""))),
               "title": redact(str(item.get("title", "")))}
        if item.get("date"):
            out["date"] = str(item["date"])
        if item.get("tier"):
            out["tier"] = str(item["tier"])  # a key of the round's tier table: names no one
        blind_items.append(out)  # "reference" is left out on purpose
    return {
        "code": code,
        "program": program,
        "rubric": rubric_hash,
        "title": redact(title),
        "summary": redact(summary),
        "requested_amount": requested_amount,
        "tier": tier,
        "items": blind_items,
        "attachments": [{"entry": a.entry, "title": redact(a.title), "size": a.size, "sha256": a.sha256}
                        for a in attachments],
        # the coordinator's qualification check, read-only for the expert (never its note or who checked)
        "qualification": [{"check": q["check"], "label": dict(q["label"]), "veto": bool(q["veto"]),
                           "result": q["result"], "date": q["date"], "source": redact(str(q["source"]))}
                          for q in qualification],
    }


def programs_meta(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``meta.json``'s ``programs``: each program's mode and whether its review is blind.

    ``settings`` maps program codes to :class:`~qbdesk.domain.programs.ProgramSettings`.
    An open program's experts are told that its evidence names the applicant; the
    metadata itself is redacted all the same (the redaction costs an open review nothing).
    """
    out: dict[str, dict[str, Any]] = {}
    for code, st in sorted(settings.items()):
        entry: dict[str, Any] = {"mode": st.mode, "blind": bool(st.blind)}
        if st.program in ("P5", "P7"):  # what an expert may accept an item as (names only, no amounts)
            entry["tiers"] = {k: {"zh": t.zh, "en": t.en} for k, t in st.tier_table().items()}
        out[code] = entry
    return out
