"""Does a verified score file fit its snapshot and the rubrics? The checks that need no database.

``scorefile.read_score_file`` has already decrypted the file, checked its signature,
its shape and its edit-log chain. What is left is whether its content makes sense for
the snapshot it names: only that snapshot's codes, each application scored against the
rubric the snapshot carried, every value valid, every required criterion filled in
(or the application recused), and the declaration accepted. The first problem found
is raised as a :class:`Rejection` with a stable code and a message naming the place.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, groupby, repeat
from operator import itemgetter
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Criterion, Rubric, canonical_json
from qbdesk.domain.text import NUL, without_nul
from qbdesk.services.snapshot_meta import DECLARATION


class Rejection(Exception):
    """Why a score file is not imported; ``code`` is stable for callers and tests."""

    def __init__(self, code: str, msg: Msg):
        super().__init__(str(msg))
        self.code = code
        self.msg = msg


def reject(code: str, zh: str, en: str) -> Rejection:
    return Rejection(code, Msg(zh, en))


@dataclass(frozen=True)
class AppContext:
    """What the coordinator knows about one code of a snapshot."""

    application_id: int
    external_id: str  # for messages to the coordinator (never shown to the expert)
    rubric_hash: str
    rubric: Rubric
    item_ids: tuple[str, ...]  # as the snapshot gave them (I1, I2 … since qbdesk.snapshot/2)
    tiers: frozenset[str] = frozenset()  # P5, P7: the tier keys an accepted item may name
    item_map: Mapping[str, str] | None = None  # snapshot-local id -> the package's; None: the same


SCORE_COLUMNS = ("application_id", "criterion", "item", "value", "comment")
RECUSAL_COLUMNS = ("application_id", "reason")


@dataclass(frozen=True)
class CheckedScores:
    scores: list[tuple[Any, ...]]  # SCORE_COLUMNS (value as JSON text), one per value: packed into score sheets to write
    recusals: list[tuple[Any, ...]]  # RECUSAL_COLUMNS


def _json_value(value: Any) -> str:
    """The value as JSON text (how a score sheet stores it); the common scalars without json.dumps."""
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return _encode_string(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_encode_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses for a str


_MEMO_TYPES = frozenset({int, float, bool, type(None)})
_MISSING = object()


class _Validator:
    """``Criterion.validate_value`` with a memo for scores, checks and missing values, whose outcome
    depends only on the value and on whether a comment was given: 60 files × 3,600 scores repeat a
    few dozen values. Opinions that are long enough are passed without counting character by character."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, str], dict[tuple[type, Any, bool], Msg | None]] = {}
        self._size = 0

    def plan(self, rubric_hash: str, rubric: Rubric) -> list[tuple[Criterion, dict[tuple[type, Any, bool], Msg | None]]]:
        """Each criterion of the rubric with its memo."""
        if self._size > 100_000:  # hostile files full of distinct numbers must not grow it forever
            self._memo.clear()
            self._size = 0
        return [(c, self._memo.setdefault((rubric_hash, c.id), {})) for c in rubric.criteria]

    def check(self, c: Criterion, memo: dict[tuple[type, Any, bool], Msg | None], value: Any, comment: str,
              items: Sequence[str] | None) -> Msg | None:
        kind = type(value)
        if kind in _MEMO_TYPES and (value is None or c.kind in ("score", "check")):
            key = (kind, value, bool(comment.strip()))
            problem = memo.get(key, _MISSING)
            if problem is _MISSING:
                problem = memo[key] = c.validate_value(value, comment)
                self._size += 1
            return problem  # type: ignore[return-value]
        if c.kind == "opinion" and kind is str and len("".join(value.split())) >= max(c.min_length, 1):
            return None  # validate_value counts the non-space characters (str.split splits on the same ones)
        return c.validate_value(value, comment, items=items)


VALIDATOR = _Validator()


# SHA-256 of the canonical {"zh", "en"} declaration every snapshot of this qbdesk carries.
DECLARATION_SHA256 = hashlib.sha256(canonical_json({"zh": DECLARATION["zh"], "en": DECLARATION["en"]})).hexdigest()


def check_declaration(data: Mapping[str, Any]) -> None:
    if data["declaration"].get("accepted") is not True:
        raise reject("declaration", "专家未签署承诺书（declaration.accepted 不为 true）",
                     "the expert did not accept the declaration (declaration.accepted is not true)")
    signed = data["declaration"].get("text_sha256")
    if signed != DECLARATION_SHA256:
        raise reject("declaration_text", f"专家签署的承诺书文本与快照所载不同（摘要 {str(signed)[:16]}…，"
                                         f"应为 {DECLARATION_SHA256[:16]}…）",
                     f"the declaration the expert accepted is not the text the snapshot carried "
                     f"(hash {str(signed)[:16]}…, expected {DECLARATION_SHA256[:16]}…)")


def check_scores(data: Mapping[str, Any], apps: Mapping[str, AppContext]) -> CheckedScores:
    """Every score and recusal of ``data`` against the snapshot's codes (``apps``) and rubrics."""
    check_declaration(data)
    declared: Mapping[str, str] = data["rubrics"]
    for code, h in declared.items():
        app = apps.get(code)
        if app is None:
            raise reject("unknown_application", f"rubrics 中的申报代码 {code} 不在该专家的快照中",
                         f"the application code {code} in rubrics is not in this expert's snapshot")
        if h != app.rubric_hash:
            raise reject("rubric_mismatch",
                         f"申报 {code}（{app.external_id}）的评分细则摘要 {str(h)[:12]}… 与快照中的 {app.rubric_hash[:12]}… 不符",
                         f"application {code} ({app.external_id}) was scored against rubric {str(h)[:12]}…, "
                         f"the snapshot carried {app.rubric_hash[:12]}…")

    recused: dict[str, str] = {}
    for r in data["recusals"]:
        code = r["application"]
        if code not in apps:
            raise reject("unknown_application", f"回避的申报代码 {code} 不在该专家的快照中",
                         f"the recused application code {code} is not in this expert's snapshot")
        recused[code] = r["reason"]

    rows = _fast_rows(data["scores"], apps, recused, declared)
    if rows is None:  # a case the fast path leaves to the exact one, or a problem it names
        rows = _checked_rows(data["scores"], apps, recused, declared)
    # The database's copy holds no NUL (PostgreSQL's text cannot; the file itself keeps it): dropped
    # from comments and recusal reasons, which are stored as text. One join finds whether any is there.
    if NUL in "".join(r[4] for r in rows):
        rows = [r[:4] + (without_nul(r[4]),) for r in rows]
    return CheckedScores(rows, [(apps[code].application_id, without_nul(reason)) for code, reason in recused.items()])


def _checked_rows(scores: Sequence[Mapping[str, Any]], apps: Mapping[str, AppContext], recused: Mapping[str, str],
                  declared: Mapping[str, str]) -> list[tuple[Any, ...]]:
    """The scores as rows (``SCORE_COLUMNS``), checked row by row: raises the first problem."""
    values: dict[str, dict[str, Any]] = {}
    comments: dict[str, dict[str, str]] = {}
    rows: list[tuple[Any, ...]] = []
    criteria: dict[str, dict[str, Criterion]] = {}  # rubric hash -> criteria by id
    code: Any = _MISSING  # the application of the row before: a file lists an application's rows together
    for i, s in enumerate(scores):
        if s["application"] != code:
            code = s["application"]
            app = apps.get(code)
            if app is None:
                raise reject("unknown_application", f"scores[{i}]：申报代码 {code} 不在该专家的快照中",
                             f"scores[{i}]: the application code {code} is not in this expert's snapshot")
            if code in recused:
                raise reject("recused_and_scored", f"scores[{i}]：申报 {code} 已回避，却又有评分",
                             f"scores[{i}]: application {code} is recused, yet scored")
            by_id = criteria.get(app.rubric_hash)
            if by_id is None:
                by_id = criteria[app.rubric_hash] = {c.id: c for c in app.rubric.criteria}
            given, notes, application_id = values.setdefault(code, {}), comments.setdefault(code, {}), app.application_id
            item_map = app.item_map or {}
        cid, item, value, comment = s["criterion"], s["item"], s["value"], s["comment"]
        c = by_id.get(cid)
        if c is None:
            raise reject("unknown_criterion", f"scores[{i}]：评分细则中没有评分项 {cid}（申报 {code}）",
                         f"scores[{i}]: the rubric has no criterion {cid} (application {code})")
        if (c.kind == "items") != (item != ""):
            raise reject("invalid_value", f"scores[{i}]：评分项 {cid} 的 item 字段不正确",
                         f"scores[{i}]: criterion {cid} has a wrong item field")
        if item:
            if type(value) is dict and "tier" in value and value["tier"] not in app.tiers:
                raise reject("invalid_value", f"scores[{i}]：申报 {code} 的条目 {item} 认定的档次“{value['tier']}”不在本批次 {cid} 的档次表中",
                             f"scores[{i}]: item {item} of application {code} is accepted at tier “{value['tier']}”, "
                             f"which is not in this round's tier table")
            given.setdefault(cid, {})[item] = value
        else:
            given[cid] = value
            if comment:
                notes[cid] = comment
        rows.append((application_id, cid, item_map.get(item, item), _json_value(value), comment))

    plans: dict[str, list[tuple[Criterion, dict]]] = {}
    for code, app in apps.items():
        if code in recused:
            continue
        if code not in declared:
            raise reject("incomplete", f"申报 {code}（{app.external_id}）既未评分也未回避",
                         f"application {code} ({app.external_id}) is neither scored nor recused")
        plan = plans.get(app.rubric_hash)
        if plan is None:
            plan = plans[app.rubric_hash] = VALIDATOR.plan(app.rubric_hash, app.rubric)
        given, notes = values.get(code, {}), comments.get(code, {})
        for c, memo in plan:
            value = given.get(c.id)
            if value is None and c.kind == "items" and not app.item_ids:
                value = {}  # nothing to decide: no rows can say so, and none are needed
            problem = VALIDATOR.check(c, memo, value, notes.get(c.id, ""), app.item_ids if c.kind == "items" else None)
            if problem is not None:
                code_ = "incomplete" if value is None else "invalid_value"
                raise Rejection(code_, Msg(f"申报 {code}（{app.external_id}）：{problem.zh}",
                                           f"application {code} ({app.external_id}): {problem.en}"))
    return rows


_ROW = itemgetter("application", "criterion", "item", "value", "comment")


class _Layout:
    """The rows an application's complete scores have, in the order the expert's program writes
    them (``reviewer.finalize``): each criterion in rubric order, an ``items`` criterion as one row
    per item in the application's order; with each row's criterion and its memo."""

    __slots__ = ("criteria", "items", "plan", "item_criteria")

    def __init__(self, rubric_hash: str, rubric: Rubric, item_ids: tuple[str, ...]):
        crits: list[str] = []
        items: list[str] = []
        plan: list[tuple[Criterion, dict[tuple[type, Any, bool], Msg | None]] | None] = []
        self.item_criteria: list[tuple[Criterion, int, int]] = []  # an items criterion and its rows
        for c, memo in VALIDATOR.plan(rubric_hash, rubric):
            if c.kind == "items":
                self.item_criteria.append((c, len(crits), len(crits) + len(item_ids)))
                crits += [c.id] * len(item_ids)
                items += item_ids
                plan += [None] * len(item_ids)
            else:
                crits.append(c.id)
                items.append("")
                plan.append((c, memo))
        self.criteria, self.items, self.plan = tuple(crits), tuple(items), plan


def _fast_rows(scores: Sequence[Mapping[str, Any]], apps: Mapping[str, AppContext], recused: Mapping[str, str],
               declared: Mapping[str, str]) -> list[tuple[Any, ...]] | None:
    """What ``_checked_rows`` gives, for the common case: each scored application's rows together
    and complete (``_Layout``), every value valid. None at the first doubt, and the exact path
    decides (and names the problem). ``scores`` passed the shape check.

    Consecutive applications with the same layout form a stretch whose rows repeat with its
    period, so each criterion's values are one slice of it, checked at C speed: a memo lookup per
    distinct value, a length per opinion."""
    if not scores:
        return None
    apps_col, crits_col, items_col, values_col, comments_col = zip(*map(_ROW, scores))
    runs = [(code, len(tuple(group))) for code, group in groupby(apps_col)]
    scored = {code for code, _ in runs}
    if len(scored) != len(runs) or not scored <= declared.keys() \
            or scored != {code for code in apps if code not in recused}:
        return None  # an application's rows apart, unscored, recused, unknown: the exact path says
    layouts: dict[tuple[str, tuple[str, ...]], _Layout] = {}
    stretches: list[tuple[_Layout, int, list[AppContext]]] = []  # layout, first row, its applications
    start = 0
    for code, count in runs:
        app = apps[code]
        layout = layouts.get((app.rubric_hash, app.item_ids))
        if layout is None:
            if "" in app.item_ids:  # an item id that reads as "no item": the exact path decides
                return None
            layout = layouts[(app.rubric_hash, app.item_ids)] = _Layout(app.rubric_hash, app.rubric, app.item_ids)
        if crits_col[start:start + count] != layout.criteria or items_col[start:start + count] != layout.items:
            return None
        if stretches and stretches[-1][0] is layout:
            stretches[-1][2].append(app)
        else:
            stretches.append((layout, start, [app]))
        start += count
    rows: list[tuple[Any, ...]] = []
    for layout, first, members in stretches:
        period = len(layout.criteria)
        end = first + period * len(members)
        values, comments = values_col[first:end], comments_col[first:end]
        jsons: list[str | None] = [None] * (end - first)
        for pos, plan in enumerate(layout.plan):
            if plan is not None:
                text = _column_json(*plan, values[pos::period], comments[pos::period])
                if text is None:
                    return None
                jsons[pos::period] = text
        items = items_col[first:end]
        for n, app in enumerate(members):
            base = n * period
            for c, lo, hi in layout.item_criteria:
                decisions = dict(zip(items[base + lo:base + hi], values[base + lo:base + hi]))
                if any(type(v) is dict and "tier" in v and v["tier"] not in app.tiers for v in decisions.values()) \
                        or c.validate_value(decisions, "", items=app.item_ids) is not None:
                    return None
                jsons[base + lo:base + hi] = map(_json_value, values[base + lo:base + hi])
        ids = chain.from_iterable(repeat(app.application_id, period) for app in members)
        if any(app.item_map for app in members):
            maps = chain.from_iterable(repeat(app.item_map or {}, period) for app in members)
            items = tuple(map(dict.get, maps, items, items))
        rows += zip(ids, crits_col[first:end], items, jsons, comments)
    return rows


_BOOL_JSON = {True: "true", False: "false"}


def _column_json(c: Criterion, memo: dict[tuple[type, Any, bool], Msg | None], values: tuple[Any, ...],
                 comments: tuple[str, ...]) -> list[str] | None:
    """One criterion's values across a stretch (and the comments beside them) as JSON text, if each
    is valid (``_Validator.check``, a memo lookup per distinct value); None otherwise."""
    kinds = set(map(type, values))
    if c.kind in ("score", "check"):
        if not kinds <= _MEMO_TYPES:
            return None  # text where a number or pass/fail belongs: never valid, the exact path says why
        for key in set(zip(map(type, values), values, map(bool, map(str.strip, comments)))):
            problem = memo.get(key, _MISSING)
            if problem is _MISSING:
                problem = memo[key] = c.validate_value(key[1], "x" if key[2] else "")
                VALIDATOR._size += 1
            if problem is not None:
                return None
        if kinds == {bool}:
            return list(map(_BOOL_JSON.__getitem__, values))
        if kinds <= {int, float}:
            return list(map(repr, values))  # what json.dumps writes for an int or a finite float
        return list(map(_json_value, values))
    if c.kind == "opinion" and kinds == {str} and \
            min(map(len, map("".join, map(str.split, values)))) >= max(c.min_length, 1):
        return list(map(_encode_string, values))
    if any(VALIDATOR.check(c, memo, v, comment, None) is not None for v, comment in zip(values, comments)):
        return None
    return list(map(_json_value, values))
