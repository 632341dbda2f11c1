"""Does a verified score file fit its snapshot and the rubrics? The checks that need no database.

``scorefile.read_score_file`` has already decrypted the file, checked its signature,
its shape and its edit-log chain. What is left is whether its content makes sense for
the snapshot it names: only that snapshot's codes, each application scored against the
rubric the snapshot carried, every value valid, every required criterion filled in
(or the application recused), and the declaration accepted. The first problem found
is raised as a :class:`Rejection` with a stable code and a message naming the place.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import Criterion, Rubric


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
    item_ids: tuple[str, ...]


SCORE_COLUMNS = ("application_id", "criterion", "item", "value", "comment")
RECUSAL_COLUMNS = ("application_id", "reason")


@dataclass(frozen=True)
class CheckedScores:
    scores: list[tuple[Any, ...]]  # SCORE_COLUMNS (value as JSON text): the Score rows to write
    recusals: list[tuple[Any, ...]]  # RECUSAL_COLUMNS


def _json_value(value: Any) -> str:
    """The value as JSON text (how Score.value stores it); the common scalars without json.dumps."""
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return _encode_string(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_encode_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses for a str


class _Validator:
    """``Criterion.validate_value`` with a memo for scores and checks, whose outcome depends only on
    the value and on whether a comment was given: 60 files × 3,600 scores repeat a few dozen values."""

    def __init__(self) -> None:
        self._memo: dict[tuple, Msg | None] = {}

    def __call__(self, rubric_hash: str, c: Criterion, value: Any, comment: str, items: Sequence[str] | None) -> Msg | None:
        if value is None or (c.kind in ("score", "check") and isinstance(value, (int, float, bool))):
            key = (rubric_hash, c.id, type(value), value, bool(comment.strip()))
            if key not in self._memo:
                if len(self._memo) > 100_000:  # hostile files full of distinct numbers must not grow it forever
                    self._memo.clear()
                self._memo[key] = c.validate_value(value, comment)
            return self._memo[key]
        return c.validate_value(value, comment, items=items)


VALIDATOR = _Validator()


def check_declaration(data: Mapping[str, Any]) -> None:
    if data["declaration"].get("accepted") is not True:
        raise reject("declaration", "专家未签署承诺书（declaration.accepted 不为 true）",
                     "the expert did not accept the declaration (declaration.accepted is not true)")


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

    values: dict[str, dict[str, Any]] = {}
    comments: dict[str, dict[str, str]] = {}
    rows: list[tuple[Any, ...]] = []
    criteria: dict[str, dict[str, Criterion]] = {}  # rubric hash -> criteria by id
    for i, s in enumerate(data["scores"]):
        code, cid, item = s["application"], s["criterion"], s["item"]
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
        c = by_id.get(cid)
        if c is None:
            raise reject("unknown_criterion", f"scores[{i}]：评分细则中没有评分项 {cid}（申报 {code}）",
                         f"scores[{i}]: the rubric has no criterion {cid} (application {code})")
        if (c.kind == "items") != (item != ""):
            raise reject("invalid_value", f"scores[{i}]：评分项 {cid} 的 item 字段不正确",
                         f"scores[{i}]: criterion {cid} has a wrong item field")
        if item:
            values.setdefault(code, {}).setdefault(cid, {})[item] = s["value"]
        else:
            values.setdefault(code, {})[cid] = s["value"]
            if s["comment"]:
                comments.setdefault(code, {})[cid] = s["comment"]
        rows.append((app.application_id, cid, item, _json_value(s["value"]), s["comment"]))

    for code, app in apps.items():
        if code in recused:
            continue
        if code not in declared:
            raise reject("incomplete", f"申报 {code}（{app.external_id}）既未评分也未回避",
                         f"application {code} ({app.external_id}) is neither scored nor recused")
        given, notes = values.get(code, {}), comments.get(code, {})
        for c in app.rubric.criteria:
            value = given.get(c.id)
            if value is None and c.kind == "items" and not app.item_ids:
                value = {}  # nothing to decide: no rows can say so, and none are needed
            problem = VALIDATOR(app.rubric_hash, c, value, notes.get(c.id, ""),
                                app.item_ids if c.kind == "items" else None)
            if problem is not None:
                code_ = "incomplete" if value is None else "invalid_value"
                raise Rejection(code_, Msg(f"申报 {code}（{app.external_id}）：{problem.zh}",
                                           f"application {code} ({app.external_id}): {problem.en}"))
    return CheckedScores(rows, [(apps[code].application_id, reason) for code, reason in recused.items()])
