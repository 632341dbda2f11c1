"""The coordinator's qualification check (资格审查) and the veto list (一票否决).

Experts score on an air-gapped laptop: they cannot search 信用中国, the certification platform,
the CNAS register or the other city funds' records. The coordinator does, once per application,
and records each check's result with its source and date. A check is about a fact in the
applicant's record: ``pass`` means nothing disqualifying was found, ``fail`` that it was. A
check with no record is "not checked".

A failed **veto** check gives 0 whatever the scores (``funding.recommend(veto=…)``). A failed
check that is not a veto is a fact the experts weigh (e.g. a certificate the platform does not
list: the expert rejects that item). Every result, veto or not, reaches the expert's snapshot as
a read-only fact, without anything that identifies the applicant.

Pure: no database, no files. The ids are contracts (checklist files, the database, snapshots).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from qbdesk.domain.messages import Msg
from qbdesk.domain.text import unstorable

PASS, FAIL = "pass", "fail"
RESULTS = (PASS, FAIL)
RESULT_LABELS = {PASS: Msg("通过", "pass"), FAIL: Msg("不通过", "fail")}
NOT_CHECKED = Msg("未审查", "not checked")

# Only words that cannot be misread: "是/否" could answer "is it on the list?" either way round.
_PASS_WORDS = frozenset({"pass", "passed", "通过", "合格"})
_FAIL_WORDS = frozenset({"fail", "failed", "不通过", "不合格"})


@dataclass(frozen=True)
class QualificationCheck:
    id: str
    label: Msg  # what the check asks, short: the column a coordinator reads
    veto: bool  # a fail gives 0 whatever the scores
    source_hint: Msg  # where the coordinator looks it up


CHECKS: tuple[QualificationCheck, ...] = (
    QualificationCheck(
        "credit_record",
        Msg("未列入严重违法失信名单、经营异常名录或失信被执行人名单",
            "not on the serious-violation (严重违法失信) list, the abnormal-operations register (经营异常名录) "
            "or the list of defaulting judgment debtors (失信被执行人)"),
        True, Msg("信用中国、国家企业信用信息公示系统、中国执行信息公开网",
                  "Credit China, the National Enterprise Credit Information Publicity System, China Enforcement Information")),
    QualificationCheck(
        "major_accident",
        Msg("近三年未发生重大质量、安全、环境或公共卫生事故",
            "no major quality, safety, environmental or public-health accident in the last 3 years"),
        True, Msg("市场监管、应急管理、生态环境、卫生健康等主管部门", "the market-regulation, emergency, environment and health authorities")),
    QualificationCheck(
        "spot_check",
        Msg("无未整改到位的监督抽查不合格记录", "no failed official spot check left uncorrected"),
        True, Msg("市场监管部门监督抽查结果公告", "the market regulator's published spot-check results")),
    QualificationCheck(
        "double_funding",
        Msg("同一项目或支出未获市级其他财政专项资金资助（无多头申报、重复申报）",
            "the same project or spending is not funded by another city fund (no multiple or repeated application)"),
        True, Msg("市级财政专项资金管理系统、相关主管部门", "the city's special-fund management system, the other funds' authorities")),
    QualificationCheck(
        "grants_closed",
        Msg("以往获资助项目均已按期验收或结项", "earlier grants are all closed out (accepted or finished on time)"),
        True, Msg("本专项资金的资助与验收记录", "this fund's grant and close-out records")),
    QualificationCheck(
        "forged_material",
        Msg("申报材料无弄虚作假", "no forged or falsified material"),
        True, Msg("发证机构核实、原件核对", "confirmation by the issuing body, comparison with the originals")),
    QualificationCheck(
        "platform_verified",
        Msg("申报的证书、认可或荣誉可在官方平台查验",
            "the certificates, accreditations or honours claimed can be found on the official platforms"),
        False, Msg("全国认证认可信息公共服务平台、CNAS 认可名录、颁发机构公告",
                   "the national certification information platform, the CNAS register, the conferring body's notice")),
)
CHECK_IDS = tuple(c.id for c in CHECKS)
VETO_IDS = tuple(c.id for c in CHECKS if c.veto)
_BY_ID = {c.id: c for c in CHECKS}


def check(check_id: str) -> QualificationCheck:
    """The check of this id; KeyError when there is none."""
    return _BY_ID[check_id]


def find_check(text: str) -> QualificationCheck | None:
    """A check by its id, as typed (case, spaces, full-width forms folded), or by its Chinese label."""
    key = unicodedata.normalize("NFKC", text or "").strip()
    found = _BY_ID.get(key.lower().replace("-", "_").replace(" ", "_"))
    if found is None:
        found = next((c for c in CHECKS if c.label.zh == key), None)
    return found


def parse_result(text: str) -> str | None:
    """``pass`` or ``fail`` from what a coordinator types (通过 / 不通过 too); None when neither."""
    word = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    if word in _PASS_WORDS:
        return PASS
    if word in _FAIL_WORDS:
        return FAIL
    return None


def veto_reason(check_id: str) -> Msg:
    """What the funding decision says for a failed veto."""
    label = check(check_id).label
    return Msg(f"一票否决：资格审查“{label.zh}”未通过", f"veto: the qualification check “{label.en}” failed")


def unknown_check(text: str) -> Msg:
    ids = ", ".join(CHECK_IDS)
    return Msg(f"没有资格审查项“{text}”（应为 {ids} 之一）", f"there is no qualification check “{text}” (expected one of {ids})")


def bad_result(text: str) -> Msg:
    return Msg(f"审查结果应为 pass 或 fail（通过 / 不通过），而不是“{text}”", f"the result must be pass or fail, not “{text}”")


# --- one entry, as typed on the command line or read from a checklist file ----------------------

MAX_SOURCE = 300
MAX_NOTE = 2000
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class Entry:
    """One check's result for one application, checked and normalised."""

    application: str  # the package id (Application.external_id)
    check: str
    result: str  # pass | fail
    source: str
    checked_on: date
    note: str = ""


def parse_date(value: object, today: date) -> tuple[date | None, Msg | None]:
    """A check date from text (2026-11-20, 2026/11/20, 2026年11月20日 …) or a spreadsheet date."""
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        if not text:
            return None, Msg("审查日期不能为空", "the check date must not be empty")
        found = None
        for fmt in _DATE_FORMATS:
            try:
                found = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if found is None:
            return None, Msg(f"审查日期应为 YYYY-MM-DD，而不是“{text[:40]}”", f"the check date must be YYYY-MM-DD, not “{text[:40]}”")
    if found > today:
        return None, Msg(f"审查日期 {found.isoformat()} 晚于今天", f"the check date {found.isoformat()} is later than today")
    if found.year < 2000:
        return None, Msg(f"审查日期 {found.isoformat()} 不可信", f"the check date {found.isoformat()} is implausible")
    return found, None


def validate_entry(application: str, check_text: str, result_text: str, source: str, date_value: object,
                   note: str, *, today: date) -> tuple[Entry | None, list[tuple[str, Msg]]]:
    """The entry, or each problem with the field it is in (application, check, result, source, date, note).

    Whether ``application`` exists is the caller's to say; here it must only be non-empty.
    """
    problems: list[tuple[str, Msg]] = []
    application = unicodedata.normalize("NFKC", application or "").strip()
    if not application:
        problems.append(("application", Msg("申报编号不能为空", "the application id must not be empty")))
    found = find_check(check_text)
    if found is None:
        problems.append(("check", unknown_check(check_text) if (check_text or "").strip()
                         else Msg("审查项不能为空", "the check must not be empty")))
    result = parse_result(result_text)
    if result is None:
        problems.append(("result", bad_result(str(result_text or "").strip()[:40])))
    source = " ".join((source or "").split())
    if not source:
        problems.append(("source", Msg("须写明审查依据的来源（如“信用中国”网站查询）",
                                       "the source must be named (e.g. a search on Credit China)")))
    elif len(source) > MAX_SOURCE:
        problems.append(("source", Msg(f"来源过长（最多 {MAX_SOURCE} 个字符）", f"the source is too long (at most {MAX_SOURCE} characters)")))
    checked_on, msg = parse_date(date_value, today)
    if msg is not None:
        problems.append(("date", msg))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        problems.append(("note", Msg(f"备注过长（最多 {MAX_NOTE} 个字符）", f"the note is too long (at most {MAX_NOTE} characters)")))
    elif result == FAIL and not note:
        problems.append(("note", Msg("不通过须在备注中写明发现了什么（如名录名称、记录日期）",
                                     "a fail needs a note saying what was found (e.g. which list, the record's date)")))
    for field, value in (("application", application), ("source", source), ("note", note)):
        if (problem := unstorable(value)) is not None:
            problems.append((field, problem))
    if problems:
        return None, problems
    assert found is not None and result is not None and checked_on is not None
    return Entry(application, found.id, result, source, checked_on, note), []
