"""The audit log: append-only, each entry hashes the one before it.

Editing or deleting an entry after the fact breaks the chain, which
:func:`verify_chain` finds.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def record(session: Session, action: str, *, round_id: int | None = None, actor: str = "",
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    detail = detail or {}
    at = at or utcnow()
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    entry = AuditEntry(round_id=round_id, at=at, actor=actor, action=action, detail=detail,
                       prev_hash=prev, hash=_entry_hash(prev, at, actor, action, round_id, detail))
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> list[int]:
    """Ids of entries whose hash or link does not hold (empty when the log is intact)."""
    bad: list[int] = []
    prev = GENESIS
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        at = e.at
        expected = _entry_hash(e.prev_hash, at, e.actor, e.action, e.round_id, e.detail)
        if e.prev_hash != prev or e.hash != expected:
            bad.append(e.id)
        prev = e.hash
    return bad


def head(session: Session) -> tuple[int, str] | None:
    """The last entry's id and hash: the chain's head, to be kept on paper (``qbdesk status`` prints it).
    A truncated or re-hashed chain ends in another head."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (last.id, last.hash) if last else None
