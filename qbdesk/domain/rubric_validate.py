"""Validation of rubric data: every problem found, each pointing at its file and JSON path.

People edit rubric files by hand for a round, so the validator does not stop at the first
mistake: it reports all of them (``criteria[3].bands[1].max: …``), and suggests the field
name that was probably meant when it meets an unknown one. Checks that depend on a field
that is itself wrong (bands on a broken step grid, the total over an invalid maximum) are
skipped rather than reported twice.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.domain.programs import program as _program
from qbdesk.domain.rubric import (
    FORMAT,
    KINDS,
    Band,
    CommentRule,
    Criterion,
    Problem,
    Rubric,
    RubricError,
    _normalise,
    counts_items,
)
from qbdesk.domain.text import first_unstorable

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
_VERSION_MAX = 40  # the database column's width
_MAX_NUMBER = 10**9  # far above any score or total; keeps every number a finite float
_MAX_GRID = 10_000  # steps from 0 to a criterion's max (P8's results: 400)

_TOP_REQUIRED = ("format", "program", "version", "title_zh", "title_en", "total", "criteria")
_TOP_OPTIONAL = ("comment_required", "basis_zh", "basis_en", "key_criterion", "key_minimum")
_COMMON_REQUIRED = ("id", "kind", "name_zh", "name_en", "guidance_zh", "guidance_en")
_COMMON_OPTIONAL = ("required",)
_KIND_REQUIRED = {"score": ("max", "step", "bands"), "check": (), "items": ("item_zh", "item_en"), "opinion": ()}
_KIND_OPTIONAL = {"score": ("weight", "comment_required"), "check": (), "items": (), "opinion": ("min_length",)}
_BAND_FIELDS = ("min", "max", "label_zh", "label_en", "meaning_zh", "meaning_en")
_RULE_FIELDS = ("at_or_below", "at_or_above")


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _num(d: Decimal) -> float | int:
    return _normalise(float(d))


def _s(d: Decimal) -> str:
    return format(d.normalize(), "f")


class _Checker:
    """Collects problems while reading one rubric."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, zh: str, en: str) -> None:
        self.problems.append(Problem(self.source, path, Msg(zh, en)))

    def object(self, value: Any, path: str, required: Sequence[str], optional: Sequence[str] = (),
               elsewhere: Sequence[str] = ()) -> bool:
        """Report a non-object, duplicate, missing and unknown fields; True when ``value`` is an object."""
        if not isinstance(value, dict):
            self.add(path, "应为 JSON 对象", "must be a JSON object")
            return False
        for k in getattr(value, "duplicates", ()):
            self.add(_at(path, k), "该字段出现了不止一次（只会采用最后一个）",
                     "this field is given more than once (only the last would count)")
        for k in required:
            if k not in value:
                self.add(_at(path, k), "缺少必填字段", "required field is missing")
        known = (*required, *optional)
        for k in value:
            if k in known:
                continue
            if k in elsewhere:
                self.add(_at(path, k), "该字段不适用于此类评分项", "this field does not apply to this kind of criterion")
                continue
            close = difflib.get_close_matches(k, known, n=1)
            self.add(_at(path, k), "未知字段" + (f"（是否应为「{close[0]}」？）" if close else ""),
                     "unknown field" + (f" (did you mean “{close[0]}”?)" if close else ""))
        return True

    def text(self, obj: dict, key: str, path: str) -> str | None:
        if key not in obj:
            return None
        v = obj[key]
        if not isinstance(v, str) or not v.strip():
            self.add(_at(path, key), "应为非空文字", "must be non-empty text")
            return None
        return v

    def msg(self, obj: dict, base: str, path: str) -> Msg | None:
        zh, en = self.text(obj, f"{base}_zh", path), self.text(obj, f"{base}_en", path)
        return Msg(zh, en) if zh is not None and en is not None else None

    def number(self, obj: dict, key: str, path: str, *, positive: bool = False,
               default: Decimal | None = None) -> Decimal | None:
        if key not in obj:
            return default
        v = obj[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
            self.add(_at(path, key), "应为数字", "must be a number")
            return None
        if abs(v) > _MAX_NUMBER:  # (an int may be too large even for a float)
            self.add(_at(path, key), f"数值过大（绝对值至多 {_MAX_NUMBER}）", f"too large (at most {_MAX_NUMBER} either side of 0)")
            return None
        d = Decimal(str(v))
        if positive and d <= 0:
            self.add(_at(path, key), f"应大于 0（现为 {_s(d)}）", f"must be greater than 0 (it is {_s(d)})")
            return None
        return d

    def boolean(self, obj: dict, key: str, path: str, default: bool) -> bool:
        v = obj.get(key, default)
        if not isinstance(v, bool):
            self.add(_at(path, key), "应为 true 或 false", "must be true or false")
            return default
        return v

    def count(self, obj: dict, key: str, path: str) -> int:
        v = obj.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()) or v < 0:
            self.add(_at(path, key), "应为不小于 0 的整数", "must be a whole number, 0 or more")
            return 0
        return int(v)


def _rule(c: _Checker, value: Any, path: str) -> CommentRule | None:
    """A comment-required rule: null/false (none) or {at_or_below, at_or_above} as fractions of the maximum."""
    if value is None or value is False:
        return None
    if not c.object(value, path, (), _RULE_FIELDS):
        return None
    if not value:  # (only misspelt keys: the unknown-field message says enough)
        c.add(path, "至少应给出 at_or_below 或 at_or_above 之一（满分的比例），或写 null 表示不要求",
              "give at_or_below or at_or_above (fractions of the maximum), or null for no rule")
        return None
    low, high = c.number(value, "at_or_below", path), c.number(value, "at_or_above", path)
    for key, v in (("at_or_below", low), ("at_or_above", high)):
        if v is not None and not 0 <= v <= 1:
            c.add(_at(path, key), f"应为 0 到 1 之间的比例（现为 {_s(v)}）", f"must be a fraction from 0 to 1 (it is {_s(v)})")
    if low is not None and high is not None and low >= high:
        c.add(_at(path, "at_or_above"), "应大于 at_or_below", "must be greater than at_or_below")
    return CommentRule(None if low is None else _num(low), None if high is None else _num(high))


def _bands(c: _Checker, raw: Any, path: str, top: Decimal | None, step: Decimal | None) -> tuple[Band, ...]:
    """Bands are closed ranges on the step grid that together cover 0..max exactly once."""
    if not isinstance(raw, list) or not raw:
        c.add(path, "应为非空列表", "must be a non-empty list")
        return ()
    good: list[tuple[int, Decimal, Decimal, Band]] = []
    for j, b in enumerate(raw):
        bp, before = _at(path, j), len(c.problems)
        if not c.object(b, bp, _BAND_FIELDS):
            continue
        lo, hi = c.number(b, "min", bp), c.number(b, "max", bp)
        label, meaning = c.msg(b, "label", bp), c.msg(b, "meaning", bp)
        for key, v in (("min", lo), ("max", hi)):
            if v is None or top is None:
                continue
            if not 0 <= v <= top:
                c.add(_at(bp, key), f"{_s(v)} 超出 0–{_s(top)} 的范围", f"{_s(v)} is outside 0–{_s(top)}")
            elif step is not None and v % step != 0:
                c.add(_at(bp, key), f"{_s(v)} 不在步长 {_s(step)} 的刻度上", f"{_s(v)} is not on the step {_s(step)}")
        if lo is not None and hi is not None and lo > hi:
            c.add(_at(bp, "max"), f"上限 {_s(hi)} 小于下限 {_s(lo)}", f"the upper bound {_s(hi)} is below the lower bound {_s(lo)}")
        if len(c.problems) == before and label and meaning and lo is not None and hi is not None:
            good.append((j, lo, hi, Band(_num(lo), _num(hi), label, meaning)))
    if len(good) != len(raw) or top is None or step is None:
        return tuple(t[3] for t in good)  # coverage is only meaningful over sound bands on a sound grid
    order = sorted(good, key=lambda t: t[1])
    if order[0][1] != 0:
        c.add(_at(_at(path, order[0][0]), "min"), f"最低的区间应从 0 开始，现从 {_s(order[0][1])} 开始",
              f"the lowest band must start at 0, it starts at {_s(order[0][1])}")
    reach, reach_j = order[0][2], order[0][0]
    for j, lo, hi, _ in order[1:]:
        if lo <= reach:
            c.add(_at(_at(path, j), "min"), f"从 {_s(lo)} 开始，与止于 {_s(reach)} 的 bands[{reach_j}] 重叠",
                  f"starts at {_s(lo)}, overlapping bands[{reach_j}], which ends at {_s(reach)}")
        elif lo > reach + step:
            c.add(_at(_at(path, reach_j), "max"),
                  f"止于 {_s(reach)}，而下一区间 bands[{j}] 从 {_s(lo)} 开始：{_s(reach + step)}–{_s(lo - step)} 不属于任何区间",
                  f"ends at {_s(reach)} but the next band, bands[{j}], starts at {_s(lo)}: "
                  f"{_s(reach + step)}–{_s(lo - step)} falls in no band")
        if hi > reach:
            reach, reach_j = hi, j
    if reach != top:
        c.add(_at(_at(path, reach_j), "max"), f"最高的区间应到满分 {_s(top)} 为止，现到 {_s(reach)}",
              f"the highest band must end at the maximum {_s(top)}, it ends at {_s(reach)}")
    return tuple(t[3] for t in good)


def _criterion(c: _Checker, raw: Any, path: str, rubric_rule: CommentRule | None
               ) -> tuple[Criterion | None, Decimal | None]:
    """The criterion (None if it has problems) and its weight × max (None if unknown)."""
    before = len(c.problems)
    if not isinstance(raw, dict):
        c.add(path, "评分项应为 JSON 对象", "a criterion must be a JSON object")
        return None, None
    kind = raw.get("kind")
    all_kind_fields = [f for k in KINDS for f in (*_KIND_REQUIRED[k], *_KIND_OPTIONAL[k])]
    if kind in KINDS:
        own = (*_KIND_REQUIRED[kind], *_KIND_OPTIONAL[kind])
        c.object(raw, path, (*_COMMON_REQUIRED, *_KIND_REQUIRED[kind]), (*_COMMON_OPTIONAL, *_KIND_OPTIONAL[kind]),
                 elsewhere=[f for f in all_kind_fields if f not in own])
    else:
        if "kind" in raw:
            c.add(_at(path, "kind"), f"未知的评分项类型 {kind!r}，应为 score、check、items 或 opinion",
                  f"unknown criterion kind {kind!r}; expected score, check, items or opinion")
        c.object(raw, path, _COMMON_REQUIRED, (*_COMMON_OPTIONAL, *all_kind_fields))
    cid = raw.get("id")
    if "id" in raw and not (isinstance(cid, str) and ID_PATTERN.match(cid)):
        c.add(_at(path, "id"), "标识应以小写字母开头，只含小写字母、数字和下划线，至多 40 个字符（如 leadership）",
              "an id starts with a lower-case letter and has only a-z, 0-9 and _, at most 40 characters (e.g. leadership)")
    name, guidance = c.msg(raw, "name", path), c.msg(raw, "guidance", path)
    required = c.boolean(raw, "required", path, True)
    contribution: Decimal | None = None
    extra: dict[str, Any] = {}
    if kind == "score":
        top = c.number(raw, "max", path, positive=True)
        step = c.number(raw, "step", path, positive=True)
        weight = c.number(raw, "weight", path, positive=True, default=Decimal(1))
        if top is not None and step is not None and top / step > _MAX_GRID:
            # Also keeps every remainder on the grid (here, in the bands, in scores) within Decimal's precision.
            c.add(_at(path, "step"), f"步长 {_s(step)} 过小：0–{_s(top)} 之间多于 {_MAX_GRID} 个刻度",
                  f"the step {_s(step)} is too small: 0–{_s(top)} has more than {_MAX_GRID} steps")
            step = None
        elif top is not None and step is not None and top % step != 0:
            c.add(_at(path, "step"), f"步长 {_s(step)} 不能整除满分 {_s(top)}",
                  f"the step {_s(step)} does not divide the maximum {_s(top)}")
            step = None
        if top is not None and weight is not None:
            contribution = weight * top
        bands = _bands(c, raw["bands"], _at(path, "bands"), top, step) if "bands" in raw else ()
        inherited = "comment_required" not in raw
        rule = rubric_rule if inherited else _rule(c, raw["comment_required"], _at(path, "comment_required"))
        if top is not None and step is not None and weight is not None:
            extra = dict(max=_num(top), step=_num(step), weight=_num(weight), bands=bands,
                         comment_rule=rule, comment_rule_inherited=inherited)
    elif kind == "items":
        extra = dict(item=c.msg(raw, "item", path))
    elif kind == "opinion":
        extra = dict(min_length=c.count(raw, "min_length", path))
    if len(c.problems) > before:
        return None, contribution
    return Criterion(id=cid, kind=kind, name=name, guidance=guidance, required=required, **extra), contribution


def _not_text(data: Any) -> str | None:
    """The JSON path of the first string or key that is no Unicode text (a lone surrogate "\\ud800"), or None.

    Iterative, so that data nested as deep as a JSON parser allows cannot exhaust the stack.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and not _encodes(value):
            return path
        if isinstance(value, dict):
            for key in reversed(list(value)):
                if isinstance(key, str) and not _encodes(key):
                    return _at(path, key.encode("utf-8", "backslashreplace").decode("utf-8"))
                stack.append((_at(path, key), value[key]))
        elif isinstance(value, list):
            stack.extend((_at(path, i), value[i]) for i in reversed(range(len(value))))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _item_noun(code: str) -> Msg:
    f = _program(code).funding
    return Msg(f.item_zh or f.tier_zh, f.item_en or f.tier_en)


def build_rubric(data: Any, source: str, expected: str | None = None) -> Rubric:
    """Validate rubric data and build the :class:`Rubric`; raise :class:`RubricError` listing every problem."""
    c = _Checker(source)
    if not isinstance(data, dict):
        c.add("", "评分细则应为 JSON 对象", "a rubric must be a JSON object")
        raise RubricError(c.problems)
    if (where := _not_text(data)) is not None:  # valid JSON, but it could be neither hashed nor stored
        c.add(where, "含有无效的 \\u 转义（单独的代理码 \\ud800–\\udfff，不是字符）",
              "holds an invalid \\u escape (a lone surrogate \\ud800–\\udfff, not a character)")
        raise RubricError(c.problems)
    if (found := first_unstorable(data)) is not None:  # a NUL: PostgreSQL could not store the version or ids
        c.add(found[0], found[1].zh, found[1].en)
        raise RubricError(c.problems)
    fmt = data.get("format")
    if fmt != FORMAT:  # another format version may mean anything: stop here rather than guess
        if "format" not in data:
            c.add("format", f"缺少格式标识（应为 {FORMAT}）", f"the format is missing (expected {FORMAT})")
        else:
            c.add("format", f"不支持的格式 {fmt!r}，本程序读取 {FORMAT}", f"unsupported format {fmt!r}; this qbdesk reads {FORMAT}")
        raise RubricError(c.problems)
    c.object(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)

    code = data.get("program")
    code_ok = isinstance(code, str) and code in PROGRAM_CODES
    if "program" in data and not code_ok:
        c.add("program", f"未知的项目代码 {code!r}，应为 {'、'.join(PROGRAM_CODES)} 之一",
              f"unknown program code {code!r}; expected one of {', '.join(PROGRAM_CODES)}")
    elif code_ok and expected and code != expected:
        c.add("program", f"这是 {code} 的评分细则，不能用于 {expected}", f"this rubric is for {code}, not for {expected}")
    version = c.text(data, "version", "")
    if version and len(version) > _VERSION_MAX:
        c.add("version", f"版本号至多 {_VERSION_MAX} 个字符", f"a version has at most {_VERSION_MAX} characters")
    title = c.msg(data, "title", "")
    basis = c.msg(data, "basis", "")
    if ("basis_zh" in data) != ("basis_en" in data):
        missing = "basis_en" if "basis_zh" in data else "basis_zh"
        c.add(missing, "basis_zh 与 basis_en 应同时给出", "basis_zh and basis_en go together")
    total = c.number(data, "total", "")
    if total is not None and total < 0:
        c.add("total", f"应大于 0（现为 {_s(total)}）", f"must be greater than 0 (it is {_s(total)})")
        total = None
    rubric_rule = _rule(c, data.get("comment_required"), "comment_required")

    criteria: list[Criterion] = []
    score_sum, sum_known, n_score = Decimal(0), True, 0
    seen: dict[str, str] = {}
    items_paths: list[str] = []
    raw_list = data.get("criteria")
    if "criteria" in data and (not isinstance(raw_list, list) or not raw_list):
        c.add("criteria", "应为非空列表", "must be a non-empty list")
        raw_list, sum_known = [], False
    for i, raw in enumerate(raw_list or []):
        path = _at("criteria", i)
        crit, contribution = _criterion(c, raw, path, rubric_rule)
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind == "score":
            n_score += 1
            if contribution is None:
                sum_known = False
            else:
                score_sum += contribution
        elif kind == "items":
            items_paths.append(path)
        elif kind not in KINDS:
            sum_known = False  # it may have been meant as a score criterion: its max is unknown
        cid = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(cid, str):
            if cid in seen:
                c.add(_at(path, "id"), f"标识 {cid!r} 与 {seen[cid]} 重复", f"the id {cid!r} duplicates {seen[cid]}")
            else:
                seen[cid] = _at(path, "id")
        if crit:
            criteria.append(crit)

    if code_ok:
        noun = _item_noun(code) if counts_items(code) else None
        if noun and not items_paths and raw_list:
            c.add("criteria", f"{code} 按{noun.zh}计算资助，须有一个 items 评分项逐项认定{noun.zh}",
                  f"{code} funds per {noun.en}, so the rubric needs an items criterion to accept or reject each {noun.en}")
        for p in items_paths[1:] if noun else items_paths:
            c.add(_at(p, "kind"),
                  "只能有一个 items 评分项" if noun else f"{code} 的资助不按条目计算，不应有 items 评分项",
                  "only one items criterion is allowed" if noun else f"{code} does not fund per item: no items criterion")
    if raw_list and n_score == 0:
        # A verified (核准类) program's rubric may verify items and gates only; its total is then 0.
        if total is not None and total != 0:
            c.add("total", f"没有 score 评分项时总分应为 0（现为 {_s(total)}）",
                  f"with no score criterion the total must be 0 (it is {_s(total)})")
    elif total is not None and total == 0:
        c.add("total", "应大于 0（现为 0）", "must be greater than 0 (it is 0)")
    elif total is not None and sum_known and n_score and score_sum != total:
        c.add("total", f"各 score 评分项满分（× 权重）合计 {_s(score_sum)}，与声明的总分 {_s(total)} 不符",
              f"the score criteria's maxima (× weight) add up to {_s(score_sum)}, not the declared total {_s(total)}")

    key, key_min = _key_criterion(c, data, criteria, raw_list or [])
    if c.problems:
        raise RubricError(c.problems)
    assert title is not None and version is not None and total is not None
    return Rubric(program=code, version=version, title=title, total=_num(total), criteria=tuple(criteria),
                  comment_rule=rubric_rule, basis=basis, source=source, key_criterion=key, key_minimum=key_min)


def _key_criterion(c: _Checker, data: dict, criteria: list[Criterion], raw: list[Any]) -> tuple[str | None, str | None]:
    """``key_criterion`` names a score criterion; ``key_minimum`` one of its bands' labels (label_zh)."""
    key, key_min = data.get("key_criterion"), data.get("key_minimum")
    if key is None:
        if key_min is not None:
            c.add("key_minimum", "给出 key_minimum 时须同时给出 key_criterion", "key_minimum needs a key_criterion")
        return None, None
    if not isinstance(key, str):
        c.add("key_criterion", "应为一个 score 评分项的标识", "must be the id of a score criterion")
        return None, None
    crit = next((x for x in criteria if x.id == key), None)
    if crit is None and any(isinstance(r, dict) and r.get("id") == key and r.get("kind") == "score" for r in raw):
        return None, None  # a score criterion with problems of its own, already reported
    if crit is None or crit.kind != "score":
        scores = "、".join(x.id for x in criteria if x.kind == "score")
        c.add("key_criterion", f"“{key}”不是本细则的 score 评分项（可选：{scores}）",
              f"“{key}” is not a score criterion of this rubric (one of: {scores.replace('、', ', ')})")
        return None, None
    if key_min is None:
        return key, None
    labels = [b.label.zh for b in crit.bands]
    if not isinstance(key_min, str) or key_min not in labels:
        c.add("key_minimum", f"应为评分项 {key} 的区间名称之一（{'、'.join(labels)}）",
              f"must be one of the band labels (label_zh) of {key}: {', '.join(labels)}")
        return key, None
    return key, key_min
