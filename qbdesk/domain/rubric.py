"""Rubrics (评分细则): what an expert judges, in what steps, and what each range means.

A rubric is versioned data: ``resources/rubrics/P?.json`` ships the defaults, and a round
may store an edited copy. A rubric version is identified by :attr:`Rubric.content_hash`,
the SHA-256 of its canonical JSON, which goes into every snapshot and score file so that
every score says which rubric it was given against. The file format is described in
``docs/rubrics.md``; the loader reports every problem it finds, each pointing at the file
and the JSON path of the field (``resources/rubrics/P8.json: criteria[3].bands[1].max: …``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.domain.programs import program as _program
from qbdesk.paths import project_root, resource_path

FORMAT = "qbdesk.rubric/1"
Kind = Literal["score", "check", "items", "opinion"]
KINDS: tuple[str, ...] = ("score", "check", "items", "opinion")
# Programs whose funding counts items (per certificate, accreditation, activity, project, honour).
ITEM_FUNDING_KINDS = ("per_item", "tiered")


# ---------------------------------------------------------------- canonical JSON and hash


def _normalise(value: Any) -> Any:
    """Numbers made canonical (10.0 -> 10) so that equal values hash equal."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, (float, Decimal)):
        f = float(value)
        if not math.isfinite(f):
            raise ValueError(f"{value!r} has no JSON form")
        return int(f) if f.is_integer() else f
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("JSON object keys must be strings")
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no JSON form")


def canonical_json(data: Any) -> bytes:
    """UTF-8 JSON with sorted keys, no whitespace, no escapes of non-ASCII, canonical numbers."""
    return json.dumps(
        _normalise(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_hash(data: Any) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _dec(x: float | int | Decimal) -> Decimal:
    # via str: 0.1 is Decimal("0.1"), not the binary float's long expansion
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _fmt(x: float | int | Decimal) -> str:
    d = _dec(x).normalize()
    return format(d, "f")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _finite(v: float | int | Decimal) -> bool:
    """math.isfinite without its failures: an int beyond any float (finite), a Decimal sNaN (not)."""
    return v.is_finite() if isinstance(v, Decimal) else isinstance(v, int) or math.isfinite(v)


def _count_chars(text: str) -> int:
    """Length of an opinion: characters that are not whitespace (padding does not count)."""
    return sum(1 for c in text if not c.isspace())


# ---------------------------------------------------------------- the rubric


@dataclass(frozen=True)
class Band:
    """A closed range [min, max] of scores on the step grid, and what it means (优/良/中/差)."""

    min: float
    max: float
    label: Msg
    meaning: Msg

    def contains(self, value: float) -> bool:
        return _dec(self.min) <= _dec(value) <= _dec(self.max)

    def to_data(self) -> dict[str, Any]:
        return {
            "min": self.min, "max": self.max,
            "label_zh": self.label.zh, "label_en": self.label.en,
            "meaning_zh": self.meaning.zh, "meaning_en": self.meaning.en,
        }


@dataclass(frozen=True)
class CommentRule:
    """A comment is required when a score is at most/at least this fraction of the maximum."""

    at_or_below: float | None = None
    at_or_above: float | None = None

    def applies(self, value: float, maximum: float) -> bool:
        v, m = _dec(value), _dec(maximum)
        low = self.at_or_below is not None and v <= _dec(self.at_or_below) * m
        high = self.at_or_above is not None and v >= _dec(self.at_or_above) * m
        return low or high

    def to_data(self) -> dict[str, Any]:
        return {k: v for k, v in (("at_or_below", self.at_or_below), ("at_or_above", self.at_or_above)) if v is not None}


@dataclass(frozen=True)
class ItemDecision:
    """An expert's decision on one countable item (certificate, accreditation, activity, project, honour)."""

    accepted: bool
    reason: str = ""
    tier: str | None = None  # accepted at this tier (P5, P7); None keeps the item's declared tier

    @classmethod
    def coerce(cls, value: Any) -> ItemDecision | None:
        if isinstance(value, ItemDecision):
            return value
        if isinstance(value, Mapping) and isinstance(value.get("accepted"), bool):
            reason = value.get("reason") or ""
            tier = value.get("tier")
            if tier is not None and not (isinstance(tier, str) and tier):
                return None
            return cls(value["accepted"], reason if isinstance(reason, str) else "", tier)
        return None


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: Kind
    name: Msg
    guidance: Msg
    required: bool = True
    max: float | None = None  # score
    step: float | None = None  # score
    weight: float = 1  # score: contribution to the total is weight × score
    bands: tuple[Band, ...] = ()  # score
    comment_rule: CommentRule | None = None  # score: effective rule (own or the rubric's)
    comment_rule_inherited: bool = True  # score: False when the criterion states its own rule
    item: Msg | None = None  # items: what one item is (认证证书 / certificate)
    min_length: int = 0  # opinion: non-space characters when given

    def band_for(self, value: float) -> Band | None:
        return next((b for b in self.bands if b.contains(value)), None)

    def validate_value(self, value: Any, comment: str | None = "", *, items: Sequence[str] | None = None) -> Msg | None:
        """Why ``value`` (with the expert's ``comment``) is not acceptable, or None.

        Values: score → number; check → bool (False needs a reason in ``comment``);
        items → {item id: ItemDecision or {"accepted": bool, "reason": str}} (``items`` lists
        the application's item ids when known); opinion → str.
        """
        comment = (comment or "").strip()
        zh, en = self.name.zh, self.name.en
        if value is None or (self.kind == "opinion" and isinstance(value, str) and not value.strip()):
            if self.required:
                return Msg(f"「{zh}」尚未填写", f"“{en}” is not filled in yet")
            return None
        if self.kind == "score":
            return self._validate_score(value, comment)
        if self.kind == "check":
            if not isinstance(value, bool):
                return Msg(f"「{zh}」只能判定为通过或不通过", f"“{en}” must be pass or fail")
            if not value and not comment:
                return Msg(f"「{zh}」判定为不通过时须说明理由", f"“{en}”: a fail needs a reason")
            return None
        if self.kind == "items":
            return self._validate_items(value, items)
        if not isinstance(value, str):
            return Msg(f"「{zh}」必须是文字", f"“{en}” must be text")
        n = _count_chars(value)
        if n < self.min_length:
            return Msg(f"「{zh}」至少需要 {self.min_length} 字，目前 {n} 字",
                       f"“{en}” needs at least {self.min_length} characters, it has {n}")
        return None

    def _validate_score(self, value: Any, comment: str) -> Msg | None:
        zh, en = self.name.zh, self.name.en
        assert self.max is not None and self.step is not None
        if not _is_number(value) or not _finite(value):
            return Msg(f"「{zh}」的得分必须是数字", f"the score of “{en}” must be a number")
        v, top = _dec(value), _dec(self.max)
        if not 0 <= v <= top:
            return Msg(f"「{zh}」的得分 {_fmt(v)} 超出 0–{_fmt(top)} 的范围",
                       f"the score {_fmt(v)} of “{en}” is outside 0–{_fmt(top)}")
        if v % _dec(self.step) != 0:
            return Msg(f"「{zh}」的得分 {_fmt(v)} 不是步长 {_fmt(self.step)} 的整数倍",
                       f"the score {_fmt(v)} of “{en}” is not a multiple of the step {_fmt(self.step)}")
        if self.comment_rule and self.comment_rule.applies(v, top) and not comment:
            return Msg(f"「{zh}」的得分 {_fmt(v)} 处于极端区间，须填写评分理由",
                       f"the score {_fmt(v)} of “{en}” is at an extreme: a comment is required")
        return None

    def _validate_items(self, value: Any, items: Sequence[str] | None) -> Msg | None:
        zh, en = self.name.zh, self.name.en
        what = self.item or Msg("条目", "item")
        if not isinstance(value, Mapping):
            return Msg(f"「{zh}」须逐项判定", f"“{en}” needs a decision per {what.en}")
        for key, raw in value.items():
            d = ItemDecision.coerce(raw)
            if d is None:
                return Msg(f"「{zh}」中 {what.zh}「{key}」的判定无效", f"“{en}”: the decision on {what.en} “{key}” is not valid")
            if not d.accepted and not d.reason.strip():
                return Msg(f"「{zh}」中 {what.zh}「{key}」被驳回，须说明理由",
                           f"“{en}”: {what.en} “{key}” is rejected and needs a reason")
        if items is not None:
            missing = [k for k in items if k not in value]
            extra = [str(k) for k in value if k not in set(items)]
            if missing:
                return Msg(f"「{zh}」尚有 {what.zh} 未判定：{'、'.join(missing)}",
                           f"“{en}”: no decision yet on {what.en} {', '.join(missing)}")
            if extra:
                return Msg(f"「{zh}」判定了申报材料中没有的 {what.zh}：{'、'.join(extra)}",
                           f"“{en}”: decisions on {what.en} not in the application: {', '.join(extra)}")
        return None

    def to_data(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "kind": self.kind,
            "name_zh": self.name.zh, "name_en": self.name.en,
            "guidance_zh": self.guidance.zh, "guidance_en": self.guidance.en,
            "required": self.required,
        }
        if self.kind == "score":
            d.update(max=self.max, step=self.step, weight=self.weight, bands=[b.to_data() for b in self.bands])
            if not self.comment_rule_inherited:
                d["comment_required"] = self.comment_rule.to_data() if self.comment_rule else None
        elif self.kind == "items":
            assert self.item is not None
            d.update(item_zh=self.item.zh, item_en=self.item.en)
        elif self.kind == "opinion":
            d["min_length"] = self.min_length
        return d


@dataclass(frozen=True)
class Rubric:
    program: str
    version: str
    title: Msg
    total: float  # declared; equals the sum of weight × max over the score criteria
    criteria: tuple[Criterion, ...]
    comment_rule: CommentRule | None = None  # the default for score criteria
    basis: Msg | None = None  # the standard or document the rubric follows
    source: str = field(default="", compare=False)  # where it was loaded from, for messages
    key_criterion: str | None = None  # the score criterion where the program's core condition lives
    key_minimum: str | None = None  # the lowest band (label_zh) the key criterion must reach, if any

    def key_minimum_points(self) -> float | None:
        """The key criterion's minimum in points: the lower bound of its ``key_minimum`` band."""
        if self.key_criterion is None or self.key_minimum is None:
            return None
        band = next((b for b in self.criterion(self.key_criterion).bands if b.label.zh == self.key_minimum), None)
        return None if band is None else band.min

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(f"rubric {self.program} {self.version} has no criterion {criterion_id!r}")

    def _of(self, kind: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.kind == kind)

    @property
    def score_criteria(self) -> tuple[Criterion, ...]:
        return self._of("score")

    @property
    def check_criteria(self) -> tuple[Criterion, ...]:
        return self._of("check")

    @property
    def opinion_criteria(self) -> tuple[Criterion, ...]:
        return self._of("opinion")

    @property
    def items_criterion(self) -> Criterion | None:
        found = self._of("items")
        return found[0] if found else None

    def weighted_total(self, values: Mapping[str, Any]) -> float:
        """Σ weight × score over the score criteria that have a numeric value."""
        total = sum(
            (_dec(c.weight) * _dec(values[c.id]) for c in self.score_criteria if _is_number(values.get(c.id))),
            Decimal(0),
        )
        return _normalise(float(total))

    def validate_values(
        self, values: Mapping[str, Any], comments: Mapping[str, str] | None = None, *, items: Sequence[str] | None = None
    ) -> list[tuple[str, Msg]]:
        """Every problem with one expert's values for one application, as (criterion id, message)."""
        comments = comments or {}
        out = [
            (k, Msg(f"评分细则中没有评分项「{k}」", f"the rubric has no criterion “{k}”"))
            for k in values if k not in {c.id for c in self.criteria}
        ]
        for c in self.criteria:
            m = c.validate_value(values.get(c.id), comments.get(c.id, ""), items=items if c.kind == "items" else None)
            if m:
                out.append((c.id, m))
        return out

    def to_data(self) -> dict[str, Any]:
        """The canonical content: what the hash covers and what a round stores."""
        d: dict[str, Any] = {
            "format": FORMAT, "program": self.program, "version": self.version,
            "title_zh": self.title.zh, "title_en": self.title.en, "total": self.total,
            "comment_required": self.comment_rule.to_data() if self.comment_rule else None,
            "criteria": [c.to_data() for c in self.criteria],
        }
        if self.basis:
            d.update(basis_zh=self.basis.zh, basis_en=self.basis.en)
        if self.key_criterion is not None:  # absent in 2026.1 rubrics: their hashes stay what they were
            d["key_criterion"] = self.key_criterion
        if self.key_minimum is not None:
            d["key_minimum"] = self.key_minimum
        return _normalise(d)

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self.to_data())


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric: where (file, JSON path or line/column) and why."""

    source: str
    path: str
    msg: Msg
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"{self.source}:{self.line}:{self.column}"
        return f"{self.source}: {self.path}" if self.path else self.source

    def text(self, lang: str = "zh") -> str:
        return f"{self.where}: {self.msg.text(lang)}"

    def __str__(self) -> str:
        return f"{self.where}: {self.msg}"


class RubricError(QbdeskError):
    """A rubric that cannot be used; ``problems`` lists all that was found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        n = len(self.problems)
        super().__init__(Msg(
            f"评分细则有 {n} 处错误：\n" + "\n".join(p.text("zh") for p in self.problems),
            f"the rubric has {n} problem{'s' if n != 1 else ''}:\n" + "\n".join(p.text("en") for p in self.problems),
        ))


# ---------------------------------------------------------------- loading


def _display(path: Path) -> str:
    """A path as people see it: relative to the project for shipped files."""
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)


class _Object(dict):
    """A JSON object that remembers keys given twice (json keeps only the last one silently)."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    keys = [k for k, _ in pairs]
    if len(keys) != len(obj):
        obj.duplicates = tuple(dict.fromkeys(k for k in keys if keys.count(k) > 1))
    return obj


def load_rubric(path: str | Path, *, program: str | None = None) -> Rubric:
    """Read and validate a rubric file; ``program`` is the code it must be for, if known."""
    p = Path(path)
    source = _display(p)
    try:
        text = p.read_bytes().decode("utf-8-sig")  # tolerate the BOM Windows editors add
    except OSError as e:
        raise RubricError([Problem(source, "", Msg(f"无法读取文件：{os_reason(e).zh}", f"cannot read the file: {os_reason(e).en}"))]) from None
    except UnicodeDecodeError as e:
        raise RubricError([Problem(source, "", Msg(
            f"文件不是 UTF-8 编码（第 {e.start} 字节）", f"the file is not UTF-8 (byte {e.start})"))]) from None
    try:
        data = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as e:
        raise RubricError([Problem(source, "", Msg(
            f"JSON 语法错误（第 {e.lineno} 行第 {e.colno} 列）：{e.msg}",
            f"JSON syntax error at line {e.lineno}, column {e.colno}: {e.msg}"), e.lineno, e.colno)]) from None
    except RecursionError:
        raise RubricError([Problem(source, "", Msg("JSON 嵌套层次过深", "the JSON is nested too deeply"))]) from None
    except ValueError as e:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise RubricError([Problem(source, "", Msg("JSON 中的数字位数过多", f"a number in the JSON has too many digits ({e})"))]) from None
    return load_rubric_data(data, source, program=program)


def load_rubric_data(data: Any, source: str, *, program: str | None = None) -> Rubric:
    """Validate parsed rubric data (a file's content or a round's stored copy); raise :class:`RubricError`."""
    from qbdesk.domain.rubric_validate import build_rubric  # kept apart so each module reads in one sitting

    return build_rubric(data, source, program)


@cache
def default_rubric(program_code: str) -> Rubric:
    """The shipped rubric of a program (``resources/rubrics/<code>.json``)."""
    if program_code not in PROGRAM_CODES:
        raise KeyError(f"unknown program {program_code!r}; expected one of {', '.join(PROGRAM_CODES)}")
    return load_rubric(resource_path("rubrics", f"{program_code}.json"), program=program_code)


# Earlier versions of the shipped rubrics, kept so that rounds created with them are still read.
ARCHIVED_VERSIONS: tuple[str, ...] = ("2026.1",)


@cache
def shipped_rubric(program_code: str, version: str | None = None) -> Rubric:
    """A shipped rubric: the current one (``version`` None), or an archived version such as "2026.1"."""
    if version is None:
        return default_rubric(program_code)
    if version not in ARCHIVED_VERSIONS or program_code not in PROGRAM_CODES:
        raise KeyError(f"no shipped rubric {program_code} {version}")
    return load_rubric(resource_path("rubrics", version, f"{program_code}.json"), program=program_code)


def counts_items(program_code: str) -> bool:
    """Whether the program's funding counts items, so its rubric needs an ``items`` criterion."""
    return _program(program_code).funding.kind in ITEM_FUNDING_KINDS
