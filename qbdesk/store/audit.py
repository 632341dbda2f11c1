"""The audit log: append-only, each entry hashes the one before it.

Editing or deleting an entry after the fact breaks the chain, which
:func:`verify_chain` finds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from qbdesk.domain.text import printable_name
from qbdesk.store.locks import lock_audit_chain
from qbdesk.store.models import AuditEntry, utcnow

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, at: datetime, actor: str, action: str, round_id: int | None,
                detail: dict[str, Any]) -> str:
    if at.tzinfo is not None:  # SQLite hands times back naive: hash the naive UTC form
        at = at.astimezone(UTC).replace(tzinfo=None)
    body = json.dumps(
        {"prev": prev_hash, "at": at.isoformat(), "actor": actor, "action": action,
         "round": round_id, "detail": detail},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _storable(value: Any) -> Any:
    """``value`` with every string UTF-8 can hold: odd bytes and surrogates escaped (``domain.text.printable_name``)."""
    if isinstance(value, str):
        return printable_name(value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value


def record(session: Session, action: str, *, round_id: int | None = None, actor: str = "",
           detail: dict[str, Any] | None = None, at: datetime | None = None,
           after: AuditEntry | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction.

    ``after``: the entry this transaction appended last, when nothing it did since was rolled back;
    it holds the chain's lock since then, so that entry is still the chain's end, and neither the
    lock nor the end is asked for again (one importer appends one entry per file)."""
    detail = detail or {}
    at = at or utcnow()
    if after is not None:
        prev = after.hash
    else:
        lock_audit_chain(session)  # two writers must not both append after the same last entry
        last = _last(session)
        prev = last[1] if last else GENESIS
    try:
        digest = _entry_hash(prev, at, actor, action, round_id, detail)
    except UnicodeEncodeError:  # a lone surrogate: a file name that was not UTF-8, say
        actor, detail = _storable(actor), _storable(detail)
        digest = _entry_hash(prev, at, actor, action, round_id, detail)
    row = {"round_id": round_id, "at": at, "actor": actor, "action": action, "detail": detail, "prev_hash": prev,
           "hash": digest}
    # Core, not the unit of work: pending ORM changes first, as before, then the row as written
    # (inserted_primary_key: RETURNING where the database has it, the row id elsewhere, any SQLite)
    session.flush()
    entry_id = session.connection().execute(AuditEntry.__table__.insert(), row).inserted_primary_key[0]
    return AuditEntry(id=entry_id, **row)


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored, read without trusting it: a time or detail edited into something
    unreadable comes back as its raw text, with ``readable`` false (its hash cannot hold)."""

    id: int
    at: datetime | str
    actor: str
    action: str
    round_id: int | None
    detail: Any
    prev_hash: str
    hash: str
    readable: bool


def _decoded(raw: Any, parse) -> tuple[Any, bool]:
    if not isinstance(raw, str):  # a driver that decodes for us (PostgreSQL's json, timestamps)
        return raw, True
    try:
        return parse(raw), True
    except ValueError:  # json.JSONDecodeError is one
        return raw, False


def stored_entries(session: Session, *, round_id: int | None = None, action: str | None = None,
                   limit: int | None = None) -> list[StoredEntry]:
    """The entries, oldest first; ``action`` a prefix; ``limit`` keeps the newest N."""
    q = select(AuditEntry.id, type_coerce(AuditEntry.at, Text), AuditEntry.actor, AuditEntry.action,
               AuditEntry.round_id, type_coerce(AuditEntry.detail, Text), AuditEntry.prev_hash,
               AuditEntry.hash).order_by(AuditEntry.id.desc())
    if round_id is not None:
        q = q.where(AuditEntry.round_id == round_id)
    if action:
        q = q.where(AuditEntry.action.startswith(action, autoescape=True))
    if limit is not None:
        q = q.limit(limit)
    out: list[StoredEntry] = []
    for id_, at_raw, actor, act, rid, detail_raw, prev_hash, digest in reversed(session.execute(q).all()):
        at, at_ok = _decoded(at_raw, datetime.fromisoformat)
        detail, detail_ok = _decoded(detail_raw, json.loads)
        out.append(StoredEntry(id_, at, actor, act, rid, detail, prev_hash, digest,
                               at_ok and detail_ok and isinstance(detail, dict)))
    return out


def verify_chain(session: Session) -> list[int]:
    """Ids of entries whose hash or link does not hold (empty when the log is intact)."""
    bad: list[int] = []
    prev = GENESIS
    for e in stored_entries(session):
        holds = e.readable and e.hash == _entry_hash(e.prev_hash, e.at, e.actor, e.action, e.round_id, e.detail)
        if e.prev_hash != prev or not holds:
            bad.append(e.id)
        prev = e.hash
    return bad


def _last(session: Session) -> tuple[int, str] | None:
    row = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def head(session: Session) -> tuple[int, str] | None:
    """The last entry's id and hash: the chain's head, to be kept on paper (``qbdesk status`` prints it).
    A truncated or re-hashed chain ends in another head."""
    return _last(session)
