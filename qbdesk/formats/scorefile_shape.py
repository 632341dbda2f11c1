"""The shape of score.json (``qbdesk.score/1``): every field with its type and limits, and the edit-log chain.

``shape_problem`` names the first field that breaks the format (docs/formats.md, "Score file —
qbdesk.score/1"). A 300 × 12 file has ~3,600 scores and as many edits, so the lists are checked
column by column at C speed first (``_scores_fine``, ``_edits_fine``); only when a column says
no do the row-by-row checks run, and they name the problem. The fast checks must never accept
what the row checks refuse (tests/fuzz/test_scorefile_fuzz.py holds them to it).

The edit log is a hash chain: each edit's ``hash`` is SHA-256 of the canonical JSON of the edit
without its ``hash``, and each ``prev`` is the previous edit's ``hash``. The reader hands over the
bytes it proved canonical, so each edit's canonical bytes are cut out of them instead of being
encoded again (``_raw_entry_hashes``).
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import canonical_json
from qbdesk.formats.keys import KeyFileError, load_public_key

FORMAT = "qbdesk.score/2"
FORMAT_V1 = "qbdesk.score/1"  # no blind_content commitment; still read
FORMATS = (FORMAT_V1, FORMAT)
ZERO_HASH = "0" * 64  # log_head of an empty edit log, prev of the first edit
MAX_TEXT = 100_000  # an opinion or reason; longer is a mistake, not an opinion
MAX_ID = 128  # application codes, criterion and item ids, expert and snapshot ids
_HEX64 = re.compile(r"[0-9a-f]{64}")

_TOP_V1 = frozenset({"format", "round", "snapshot_id", "snapshot_digest", "expert_id", "sequence", "created_at",
                     "expert_key", "key_binding", "rubrics", "declaration", "scores", "recusals", "edit_log", "log_head"})
_TOP = _TOP_V1 | {"blind_content"}
_ROUND = frozenset({"id", "year"})
_DECLARATION = frozenset({"accepted", "at", "text_sha256", "conflicts_declared"})
_SCORE = frozenset({"application", "criterion", "item", "value", "comment"})
_RECUSAL = frozenset({"application", "reason"})
_EDIT = frozenset({"seq", "at", "application", "criterion", "item", "value", "comment", "prev", "hash"})
_DECISION = frozenset({"accepted", "reason"})
_DECISION_TIER = _DECISION | {"tier"}  # an accepted P5/P7 item at the tier the expert confirmed or corrected


# --- canonical bytes without the normalising walk -------------------------------------------


def _unencodable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


_SCALARS = frozenset({str, int, float, bool, type(None)})
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# The C encoder itself, without JSONEncoder's per-container cycle bookkeeping (JSON parsed from
# bytes has no cycles; a cycle elsewhere ends in RecursionError, which callers catch).
_C_ENCODE = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, _unencodable, json.encoder.encode_basestring, None, ":", ",", True, False, False)


def encode_normalised(data: Any) -> str:
    """canonical_json's text for data that needs no normalising (no integral floats, no Decimals,
    no tuples, string keys): the C encoder with the same settings. ValueError/TypeError/RecursionError
    for what JSON cannot hold."""
    if _C_ENCODE is None:  # a Python built without the _json accelerator
        return _ENCODER.encode(data)
    return "".join(_C_ENCODE(data, 0))


# --- field checks ---------------------------------------------------------------------------


class _Bad(Exception):
    """The first problem found in score.json; becomes a ``malformed`` ScoreFileError."""

    def __init__(self, where: str, zh: str, en: str):
        super().__init__(en)
        self.msg = Msg(f"{where}：{zh}", f"{where}: {en}")


def _obj(value: Any, where: str, keys: frozenset[str]) -> Mapping[str, Any]:
    """An object with exactly ``keys``: a misspelt field is caught, not silently dropped."""
    if not isinstance(value, Mapping):
        raise _Bad(where, "应为对象 {…}", "must be an object {…}")
    if value.keys() == keys:
        return value
    for k in sorted(keys):
        if k not in value:
            raise _Bad(f"{where}.{k}" if where else k, "缺少此字段", "this field is missing")
    for k in value:
        if k not in keys:
            raise _Bad(f"{where}.{k}" if where else str(k), "未知字段（拼写错误或更新的格式？）", "unknown field (a typo, or a newer format?)")
    return value


def _int(value: Any, where: str, lo: int, hi: int = 2**31 - 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Bad(where, "应为整数", "must be an integer")
    if not lo <= value <= hi:
        raise _Bad(where, f"应在 {lo} 至 {hi} 之间", f"must be within {lo}..{hi}")
    return value


def _text(value: Any, where: str, *, empty: bool = True, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise _Bad(where, "应为文本", "must be a string")
    if not empty and not value.strip():
        raise _Bad(where, "不能为空", "must not be empty")
    if len(value) > limit:
        raise _Bad(where, f"超过 {limit} 个字符", f"is longer than {limit} characters")
    return value


def _ident(value: Any, where: str, *, empty: bool = False) -> str:
    text = _text(value, where, empty=empty, limit=MAX_ID)
    if not text.isprintable():
        raise _Bad(where, "含有控制字符", "holds control characters")
    return text


def _hex(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise _Bad(where, "应为64位小写十六进制摘要", "must be 64 lower-case hex digits")
    return value


def _zoned(text: str, utc: bool = False) -> bool:
    """An ISO 8601 time with a time zone (UTC if asked)."""
    try:
        offset = datetime.fromisoformat(text).utcoffset()
    except ValueError:
        return False
    return offset is not None and (not utc or not offset)


def _when(value: Any, where: str, *, utc: bool = False) -> None:
    if not _zoned(_text(value, where, empty=False, limit=64), utc):
        zone = "UTC " if utc else "带时区的 "
        raise _Bad(where, f"应为{zone}ISO 8601 时间，如 2026-03-01T08:00:00+00:00",
                   f"must be an ISO 8601 time {'in UTC' if utc else 'with a time zone'}, e.g. 2026-03-01T08:00:00+00:00")


def _scalar(value: Any, where: str) -> None:
    """A score, check or opinion value: number, true/false or text."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Bad(where, "不是有限数值", "is not a finite number")
        return
    if isinstance(value, str):
        _text(value, where)
        return
    raise _Bad(where, "应为数值、true/false 或文本", "must be a number, true/false or a string")


def _decision(value: Any, where: str) -> None:
    """An ``items`` criterion's value for one item: {"accepted": bool, "reason": str[, "tier": str]}."""
    d = _obj(value, where, _DECISION_TIER if isinstance(value, Mapping) and "tier" in value else _DECISION)
    if not isinstance(d["accepted"], bool):
        raise _Bad(f"{where}.accepted", "应为 true 或 false", "must be true or false")
    _text(d["reason"], f"{where}.reason")
    if "tier" in d:
        _ident(d["tier"], f"{where}.tier", empty=False)
        if not d["accepted"]:
            raise _Bad(f"{where}.tier", "被驳回的条目不带档次", "a rejected item has no tier")


def _value(value: Any, item: str, where: str) -> None:
    if item:
        _decision(value, where)
    else:
        _scalar(value, where)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(where, "应为列表 […]", "must be a list […]")
    return value


# --- the whole payload ----------------------------------------------------------------------


def _shape(data: Mapping[str, Any], raw: bytes | None) -> None:
    _obj(data, "", _TOP_V1 if data.get("format") == FORMAT_V1 else _TOP)
    if "blind_content" in data:
        content = data["blind_content"]
        if not isinstance(content, Mapping):
            raise _Bad("blind_content", "应为对象 {申报编号: 内容摘要}", "must be an object {application code: content hash}")
        for code, digest in content.items():
            _ident(code, f"blind_content.{code}")
            _hex(digest, f"blind_content.{code}")
    rnd = _obj(data["round"], "round", _ROUND)
    _int(rnd["id"], "round.id", 1)
    _int(rnd["year"], "round.year", 1900, 9999)
    _ident(data["snapshot_id"], "snapshot_id")
    _hex(data["snapshot_digest"], "snapshot_digest")
    _ident(data["expert_id"], "expert_id")
    _int(data["sequence"], "sequence", 1)
    _when(data["created_at"], "created_at", utc=True)
    try:
        load_public_key(_text(data["expert_key"], "expert_key", empty=False, limit=8192))
    except KeyFileError as e:
        raise _Bad("expert_key", e.msg.zh, e.msg.en) from None
    _hex(data["key_binding"], "key_binding")

    rubrics = data["rubrics"]
    if not isinstance(rubrics, Mapping):
        raise _Bad("rubrics", "应为对象 {申报编号: 细则摘要}", "must be an object {application code: rubric hash}")
    for code, digest in rubrics.items():
        _ident(code, f"rubrics.{code}")
        _hex(digest, f"rubrics.{code}")

    decl = _obj(data["declaration"], "declaration", _DECLARATION)
    if not isinstance(decl["accepted"], bool):
        raise _Bad("declaration.accepted", "应为 true 或 false", "must be true or false")
    if decl["accepted"] or decl["at"] != "":
        _when(decl["at"], "declaration.at")
    _hex(decl["text_sha256"], "declaration.text_sha256")
    _text(decl["conflicts_declared"], "declaration.conflicts_declared")

    scores = _list(data["scores"], "scores")
    if not _scores_fine(scores, rubrics):
        _score_rows(scores, rubrics)
    recused: dict[str, int] = {}
    for i, row in enumerate(_list(data["recusals"], "recusals")):
        where = f"recusals[{i}]"
        r = _obj(row, where, _RECUSAL)
        code = _ident(r["application"], f"{where}.application")
        if code in recused:
            raise _Bad(where, f"与 recusals[{recused[code]}] 重复", f"repeats recusals[{recused[code]}]")
        recused[code] = i
        _text(r["reason"], f"{where}.reason", empty=False)

    log = _list(data["edit_log"], "edit_log")
    cols = _edits_fine(log)
    if cols is None:
        _edit_rows(log)
        cols = _columns(log, _EDIT_ORDER)  # the rows are fine (a case the fast check leaves to them)
    problem = _raw_chain_problem(log, cols, raw) if raw is not None and cols is not None else edit_log_problem(log)
    if problem is not None:
        if cols is not None:  # the fast check leaves prev and hash to the chain; a row problem there comes first
            _edit_rows(log)
        raise _Bad("edit_log", problem.zh, problem.en)
    if _hex(data["log_head"], "log_head") != log_head(log):
        raise _Bad("log_head", "与修改记录最后一条的 hash 不符（记录被截短？）",
                   "is not the hash of the last edit_log entry (was the log cut short?)")


def _score_rows(scores: list[Any], rubrics: Mapping[str, Any]) -> None:
    """Row by row, naming the first problem (the fast path found one, or met a case it leaves here)."""
    seen: dict[tuple[str, str, str], int] = {}
    for i, row in enumerate(scores):
        where = f"scores[{i}]"
        r = _obj(row, where, _SCORE)
        key = (_ident(r["application"], f"{where}.application"), _ident(r["criterion"], f"{where}.criterion"),
               _ident(r["item"], f"{where}.item", empty=True))
        if key[0] not in rubrics:
            raise _Bad(f"{where}.application", f"{key[0]} 不在 rubrics 中（缺少评分细则摘要）",
                       f"{key[0]} is not in rubrics (no rubric hash for it)")
        if key in seen:
            raise _Bad(where, f"与 scores[{seen[key]}] 重复（同一申报、指标和条目）",
                       f"repeats scores[{seen[key]}] (same application, criterion and item)")
        seen[key] = i
        _value(r["value"], key[2], f"{where}.value")
        _text(r["comment"], f"{where}.comment")


def _edit_rows(log: list[Any]) -> None:
    for i, entry in enumerate(log):
        where = f"edit_log[{i}]"
        e = _obj(entry, where, _EDIT)
        _int(e["seq"], f"{where}.seq", 1)
        _when(e["at"], f"{where}.at")
        _ident(e["application"], f"{where}.application")
        _ident(e["criterion"], f"{where}.criterion")
        item = _ident(e["item"], f"{where}.item", empty=True)
        if e["value"] is not None:  # null: the edit cleared the value
            _value(e["value"], item, f"{where}.value")
        _text(e["comment"], f"{where}.comment")
        _hex(e["prev"], f"{where}.prev")
        _hex(e["hash"], f"{where}.hash")


# --- fast path: whole columns at C speed ----------------------------------------------------


_SCORE_ORDER = tuple(sorted(_SCORE))  # application, comment, criterion, item, value
_EDIT_ORDER = tuple(sorted(_EDIT))  # application, at, comment, criterion, hash, item, prev, seq, value


def _columns(rows: list[Any], keys: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """Each of ``keys`` as a column (a tuple of the rows' values, in row order), if every row is a
    dict with exactly ``keys``; None otherwise. Rows as canonical bytes parse to them, their keys
    sorted (``keys`` is), cost one pass to check and one to transpose; other orders a slower one."""
    if not set(map(type, rows)) <= {dict}:
        return None
    if not rows:
        return [()] * len(keys)
    if all(map(keys.__eq__, map(tuple, rows))):  # the keys, in this order: the values are the columns
        return list(zip(*map(dict.values, rows)))
    view = dict.fromkeys(keys).keys()  # a view compares with a view at C speed
    if all(map(view.__eq__, map(dict.keys, rows))):
        return list(zip(*map(itemgetter(*keys), rows)))
    return None


def _strs_fine(col: Sequence[Any], *, limit: int, blank: bool, printable: bool) -> bool:
    """What ``_text``/``_ident`` accept, for a whole column at once (exact ``str`` only)."""
    if not col:
        return True
    if set(map(type, col)) != {str} or max(map(len, col)) > limit:
        return False
    if not blank and not all(map(str.strip, col)):
        return False
    return not printable or "".join(col).isprintable()  # a per-character test: one call for the column


def _values_fine(values: Sequence[Any], items: Sequence[str], *, nullable: bool) -> bool:
    """What ``_value`` accepts: scalars where item is "", item decisions elsewhere."""
    scalars = [v for v, item in zip(values, items) if not item and (v is not None or not nullable)]
    types = set(map(type, scalars))
    if not types <= {int, float, bool, str}:
        return False
    if float in types and not all(math.isfinite(v) for v in scalars if type(v) is float):
        return False
    if str in types and max(len(v) for v in scalars if type(v) is str) > MAX_TEXT:
        return False
    return all(
        (v is None and nullable)
        or (type(v) is dict and v.keys() == _DECISION and type(v["accepted"]) is bool
            and type(v["reason"]) is str and len(v["reason"]) <= MAX_TEXT)
        # (a decision with a tier takes the slow path, which checks it in full)
        for v, item in zip(values, items) if item
    )


def _scores_fine(scores: list[Any], rubrics: Mapping[str, Any]) -> bool:
    cols = _columns(scores, _SCORE_ORDER)
    if cols is None:
        return False
    apps, comments, crits, items, values = cols
    return (
        _strs_fine(apps, limit=MAX_ID, blank=False, printable=True)
        and _strs_fine(crits, limit=MAX_ID, blank=False, printable=True)
        and _strs_fine(items, limit=MAX_ID, blank=True, printable=True)
        and _strs_fine(comments, limit=MAX_TEXT, blank=True, printable=False)
        and set(apps) <= rubrics.keys()
        and len(set(zip(apps, crits, items))) == len(scores)
        and _values_fine(values, items, nullable=False)
    )


def _edits_fine(log: list[Any]) -> list[tuple[Any, ...]] | None:
    """All of ``_edit_rows`` but ``prev`` and ``hash``, which the chain check compares with hashes it
    computes (64 lower-case hex digits), so a wrong one fails the chain and ``_edit_rows`` names it.
    The log's columns (``_EDIT_ORDER``) when it passes, for the chain check; None otherwise."""
    cols = _columns(log, _EDIT_ORDER)
    if cols is None:
        return None
    apps, ats, comments, crits, _hashes, items, _prevs, seqs, values = cols
    fine = (
        seqs == tuple(range(1, len(log) + 1)) and set(map(type, seqs)) <= {int}
        and _strs_fine(ats, limit=64, blank=False, printable=False) and all(map(_zoned, set(ats)))
        and _strs_fine(apps, limit=MAX_ID, blank=False, printable=True)
        and _strs_fine(crits, limit=MAX_ID, blank=False, printable=True)
        and _strs_fine(items, limit=MAX_ID, blank=True, printable=True)
        and _strs_fine(comments, limit=MAX_TEXT, blank=True, printable=False)
        and _values_fine(values, items, nullable=True)
    )
    return cols if fine else None


def shape_problem(data: Any, *, raw: bytes | None = None) -> Msg | None:
    """The first field of score.json that breaks the format, or None (``format`` is checked apart).

    ``raw``: the bytes ``data`` was parsed from, already proven to be its canonical JSON (the
    reader); the edit-log hashes are then taken from them. Never pass bytes not so proven.
    """
    try:
        _shape(data, raw)
    except _Bad as e:
        return e.msg
    return None


# --- the edit-log chain ---------------------------------------------------------------------


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an edit-log entry without its ``hash``."""
    body = dict(entry)
    body.pop("hash", None)
    types = set(map(type, body.values()))
    # Fast path, same bytes: string keys and scalar values that need no normalising are written
    # by the C encoder exactly as canonical_json writes them (a 7,200-edit log hashes ~3× faster).
    if types <= _SCALARS and set(map(type, body)) <= {str} and (
        float not in types or not any(v.is_integer() for v in body.values() if type(v) is float)
    ):
        return hashlib.sha256(encode_normalised(body).encode("utf-8")).hexdigest()
    return hashlib.sha256(canonical_json(body)).hexdigest()


def edit_log_problem(entries: Any) -> Msg | None:
    """The first break in the edit-log chain as a Msg, or None; never raises."""
    if not isinstance(entries, list):
        return Msg("修改记录应为列表", "the edit log must be a list")
    prev = ZERO_HASH
    for i, entry in enumerate(entries):
        at = f"edit_log[{i}]"
        if not isinstance(entry, Mapping):
            return Msg(f"{at} 不是对象", f"{at} is not an object")
        seq = entry.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq != i + 1:
            return Msg(f"{at}.seq 为 {seq!r}，应为 {i + 1}（有修改记录被删除或调换）",
                       f"{at}.seq is {seq!r}, expected {i + 1} (an edit was removed or reordered)")
        if entry.get("prev") != prev:
            return Msg(f"{at}.prev 不是上一条记录的 hash（有修改记录被删除、插入或调换）",
                       f"{at}.prev is not the previous entry's hash (an edit was removed, inserted or reordered)")
        try:
            expected = entry_hash(entry)
        except (TypeError, ValueError, RecursionError):
            return Msg(f"{at} 含有 JSON 无法表示的值", f"{at} holds a value JSON cannot hold")
        if entry.get("hash") != expected:
            return Msg(f"{at}.hash 与记录内容不符（记录被改动）",
                       f"{at}.hash does not match the entry's content (the entry was changed)")
        prev = expected
    return None


# In canonical score.json the edit log sits between these keys (sorted: …, "declaration",
# "edit_log", "expert_id", …), and each edit is {"application":…,"at":…,"comment":…,
# "criterion":…,"hash":"<64 hex>","item":…,"prev":…,"seq":…,"value":…}.
_LOG_OPEN = b'"edit_log":['
_HASH_FIELD = b'"hash":"'
_HASH_FIELD_LEN = len(_HASH_FIELD) + 64 + len(b'",')
_NEXT_EDIT = b',{"application":"'
_LOG_CLOSE = b'],"expert_id":"'


def _raw_entry_hashes(raw: bytes, count: int) -> list[str] | None:
    """Each edit's hash, computed over its own bytes in ``raw`` with the ``"hash":"…",`` field cut
    out: those are exactly the canonical bytes of the edit without its hash, because ``raw`` is
    canonical and sorted keys put ``hash`` in the middle.

    Finding the places by search is sound only once the rows passed the shape checks: an encoded
    string never holds an unescaped ``"``, so ``"hash":"`` and ``,{"application":"`` can only be
    keys, and the edits' strings and scalar or {accepted, reason} values hold no such keys. A
    ``hash`` that is not 64 hex digits makes the cut land wrong, but then it cannot equal the hex
    digest computed, so the chain fails and the exact check runs. None if the landmarks are missing.
    """
    find, fresh = raw.find, _SHA256.copy  # a copy, not a new hash: no look-up of the algorithm per edit
    start = find(_LOG_OPEN)
    if start < 0:
        return None
    pos = start + len(_LOG_OPEN)
    out: list[str] = []
    for i in range(count):
        field = find(_HASH_FIELD, pos)
        end = find(_NEXT_EDIT if i + 1 < count else _LOG_CLOSE, field + _HASH_FIELD_LEN)
        if field < 0 or end < 0:
            return None
        h = fresh()
        h.update(raw[pos:field])
        h.update(raw[field + _HASH_FIELD_LEN:end])
        out.append(h.hexdigest())
        pos = end + 1
    return out


_SHA256 = hashlib.sha256()


def _raw_chain_problem(log: list[Any], cols: list[tuple[Any, ...]], raw: bytes) -> Msg | None:
    """``edit_log_problem`` for a log whose rows passed the shape checks (``cols``: its columns,
    ``_EDIT_ORDER``), hashed from canonical ``raw``.

    The chain holds when each hash is the one computed, each prev the one before, each seq its
    place; those compare whole columns at once. Any difference goes to ``edit_log_problem``, which
    hashes by encoding and names the break.
    """
    hashes, prevs, seqs = cols[4], cols[6], cols[7]
    expected = _raw_entry_hashes(raw, len(seqs))
    if expected is not None and tuple(expected) == hashes and prevs == (ZERO_HASH, *expected)[:-1] \
            and seqs == tuple(range(1, len(seqs) + 1)) and set(map(type, seqs)) <= {int}:
        return None
    return edit_log_problem(log)


def log_head(log: Sequence[Mapping[str, Any]]) -> str:
    """The hash of the last edit, or 64 zeros for an empty log."""
    return str(log[-1]["hash"]) if log else ZERO_HASH


def append_edit(log: list[dict[str, Any]], entry: Mapping[str, Any], at: str) -> dict[str, Any]:
    """Append one edit (application, criterion, item, value, comment) to ``log``; return it.

    ``seq``, ``at``, ``prev`` and ``hash`` are computed here and override any in ``entry``.
    """
    new = {k: v for k, v in entry.items() if k != "hash"}
    new.update(seq=len(log) + 1, at=at, prev=log_head(log))
    new["hash"] = entry_hash(new)
    log.append(new)
    return new


def check_edit_log(entries: Any) -> str | None:
    """None when the chain holds (seq 1, 2, …; each ``prev`` the previous ``hash``; each ``hash``
    right), else the first break, in Chinese and English (``edit_log_problem`` gives the Msg)."""
    problem = edit_log_problem(entries)
    return None if problem is None else str(problem)
