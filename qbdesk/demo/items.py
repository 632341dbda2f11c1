"""Countable items of demo applications (P3..P7) and the P5/P7 tiers they rest on.

Item kinds: P3 ``certificate``, P4 ``accreditation``, P5 ``metrology_activity``,
P6 ``project``, P7 ``honour``. Dates fall in the year before the round or
early in the round's year, as they would for achievements being funded.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

ITEM_KINDS = {"P3": "certificate", "P4": "accreditation", "P5": "metrology_activity", "P6": "project", "P7": "honour"}

# (certificate, certification body prefix)
CERTIFICATES = (
    ("绿色产品认证", "CQC"), ("低碳产品认证", "CQC"), ("中国节能产品认证", "CQC"),
    ("中国环境标志产品认证", "CEC"), ("高端品质认证", "CQM"), ("产品碳足迹认证", "CQC"),
)

# (accreditation, reference pattern; {d3}/{d4}/{d5} are random digits)
ACCREDITATIONS = (
    ("CNAS实验室认可（ISO/IEC 17025）", "CNAS L{d5}"),
    ("CNAS检验机构认可（ISO/IEC 17020）", "CNAS IB{d4}"),
    ("CNAS医学实验室认可（ISO 15189）", "CNAS MT{d4}"),
    ("A2LA实验室认可（ISO/IEC 17025）", "A2LA Cert. No. {d4}.01"),
    ("UKAS实验室认可（ISO/IEC 17025）", "UKAS {d4}"),
    ("DAkkS实验室认可（ISO/IEC 17025）", "D-PL-{d5}-01-00"),
    ("HOKLAS实验室认可（ISO/IEC 17025）", "HOKLAS {d3}"),
)

# P5 tier -> (item title, reference pattern); {product} {field} {y} fill in.
METROLOGY_ACTIVITIES = {
    "intl_regulation_lead": ("主导制定OIML国际建议《{product}》", "OIML R {d3}"),
    "intl_regulation_join": ("参加制定OIML国际建议《{product}》", "OIML R {d3}"),
    "national_regulation_lead": ("主导制定国家计量技术规范《{product}校准规范》", "JJF {d4}-{y}"),
    "national_regulation_join": ("参加制定国家计量技术规范《{product}校准规范》", "JJF {d4}-{y}"),
    "provincial_regulation_lead": ("主导制定广东省地方计量技术规范《{product}校准规范》", "JJF（粤）{d3}-{y}"),
    "provincial_regulation_join": ("参加制定广东省地方计量技术规范《{product}校准规范》", "JJF（粤）{d3}-{y}"),
    "tc_sc_secretariat": ("承担全国{field}计量技术委员会秘书处工作", "国市监计量函〔{y}〕{d3}号"),
    "metrology_demonstration": ("获评全国工业计量标杆示范单位（{field}）", "市监计量发〔{y}〕{d2}号"),
    "municipal_standard_certificate": ("{product}检定装置社会公用计量标准证书", "〔{y}〕深量标社证字第{d4}号"),
}
# Lower tiers are more common, as in a real round.
P5_TIER_WEIGHTS = {
    "intl_regulation_lead": 1, "intl_regulation_join": 1, "national_regulation_lead": 2,
    "national_regulation_join": 3, "provincial_regulation_lead": 2, "provincial_regulation_join": 2,
    "tc_sc_secretariat": 1, "metrology_demonstration": 1, "municipal_standard_certificate": 4,
}

# P7 tier -> (honour, reference pattern)
HONOURS = {
    "national_award": ("第五届中国质量奖", "国市监质发〔{y}〕{d2}号"),
    "national_nomination": ("第五届中国质量奖提名奖", "国市监质发〔{y}〕{d2}号"),
    "provincial_award": ("广东省政府质量奖", "粤府函〔{y}〕{d3}号"),
    "municipal_award": ("{y}年度深圳市市长质量奖", "深府函〔{y}〕{d3}号"),
    "municipal_other": ("{y}年度深圳市质量标杆", "深市监〔{y}〕{d3}号"),
}
P7_TIER_WEIGHTS = {"national_award": 1, "national_nomination": 1, "provincial_award": 2,
                   "municipal_award": 3, "municipal_other": 3}

PROJECTS = (
    "粤港澳大湾区{field}检测结果互认服务项目",
    "面向中小企业的{product}质量技术帮扶项目",
    "深港{field}标准比对与互认服务项目",
    "{product}出口技术性贸易措施预警服务项目",
    "{field}中小企业计量校准惠企服务项目",
)


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** (n - 1), 10**n))


def _fill(pattern: str, rng: random.Random, **slots: Any) -> str:
    return pattern.format(d2=_digits(rng, 2), d3=_digits(rng, 3), d4=_digits(rng, 4), d5=_digits(rng, 5), **slots)


def item_date(rng: random.Random, year: int) -> str:
    """A date between 1 January of the previous year and 28 February of the round's year."""
    start = dt.date(year - 1, 1, 1)
    span = (dt.date(year, 2, 28) - start).days
    return (start + dt.timedelta(days=rng.randrange(span + 1))).isoformat()


HONOURS_ORDER = tuple(HONOURS)  # highest first, as the default tier table lists them


def pick_tier(code: str, rng: random.Random) -> str | None:
    weights = {"P5": P5_TIER_WEIGHTS, "P7": P7_TIER_WEIGHTS}.get(code)
    if weights is None:
        return None
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def make_items(code: str, rng: random.Random, *, year: int, field: str, product: str,
               tier: str | None, count: int | None = None) -> list[dict[str, Any]]:
    """The items of one application; ``count`` forces how many (P3, P4, P6)."""
    y = year - 1
    out: list[dict[str, Any]] = []
    if code == "P3":
        n = count or rng.choices((1, 2, 3, 4), weights=(3, 3, 3, 1))[0]
        for i, (cert, body) in enumerate(rng.sample(CERTIFICATES, n), 1):
            ref = f"{body}{y % 100:02d}G{_digits(rng, 7)}"
            out.append(_item(f"C{i}", "certificate", f"{cert}证书（{product}）", ref, item_date(rng, year)))
    elif code == "P4":
        n = count or rng.choices((1, 2, 3), weights=(4, 4, 2))[0]
        for i, (acc, pattern) in enumerate(rng.sample(ACCREDITATIONS, n), 1):
            out.append(_item(f"A{i}", "accreditation", acc, _fill(pattern, rng), item_date(rng, year)))
    elif code == "P5":
        assert tier is not None
        title, pattern = METROLOGY_ACTIVITIES[tier]
        n = rng.choice((1, 2)) if tier == "municipal_standard_certificate" else 1
        products = [product, f"{product}（第二套）"][:n]
        for i, prod in enumerate(products, 1):
            out.append(_item(f"M{i}", "metrology_activity", title.format(product=prod, field=field),
                             _fill(pattern, rng, y=y), item_date(rng, year), tier))
        extra = _extra_rng(code, field, product, tier, year)
        if extra.random() < 0.35:  # a second activity of another kind: P5 pays each accepted one at its own tier
            other = extra.choice([k for k in METROLOGY_ACTIVITIES if k != tier])
            title, pattern = METROLOGY_ACTIVITIES[other]
            out.append(_item(f"M{len(out) + 1}", "metrology_activity", title.format(product=product, field=field),
                             _fill(pattern, extra, y=y), item_date(extra, year), other))
    elif code == "P6":
        n = count or rng.choices((1, 2, 3), weights=(4, 4, 2))[0]
        for i, pattern in enumerate(rng.sample(PROJECTS, n), 1):
            ref = f"SZQI-{y}-{_digits(rng, 3)}"
            out.append(_item(f"S{i}", "project", pattern.format(field=field, product=product), ref, item_date(rng, year)))
    elif code == "P7":
        assert tier is not None
        honour, pattern = HONOURS[tier]
        out.append(_item("H1", "honour", honour.format(y=y), _fill(pattern, rng, y=y), item_date(rng, year), tier))
        lower = [k for k in HONOURS if HONOURS_ORDER.index(k) > HONOURS_ORDER.index(tier)]
        extra = _extra_rng(code, field, product, tier, year)
        if lower and extra.random() < 0.25:  # two honours in one year: P7 pays the highest
            other = extra.choice(lower)
            honour, pattern = HONOURS[other]
            out.append(_item("H2", "honour", honour.format(y=y), _fill(pattern, extra, y=y), item_date(extra, year), other))
    return out


def _extra_rng(*parts: object) -> random.Random:
    """A second stream for the extra P5/P7 items, so the rest of the demo draws exactly as before."""
    return random.Random("/".join(map(str, parts)))


def _item(item_id: str, kind: str, title: str, reference: str, date: str, tier: str | None = None) -> dict[str, Any]:
    out = {"id": item_id, "kind": kind, "title": title, "reference": reference, "date": date}
    if tier is not None:
        out["tier"] = tier
    return out
