"""Reading the audit log: check its chain and list its entries (``qbdesk audit verify`` / ``audit show``).

The chain and its head come from :mod:`qbdesk.store.audit`; this module only reports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.services.rounds import resolve_round
from qbdesk.store import audit
from qbdesk.store.models import AuditEntry

DETAIL_WIDTH = 80  # characters of the one-line detail in the listing (the JSON carries it whole)


@dataclass(frozen=True)
class ChainReport:
    entries: int
    bad: list[int]
    head: tuple[int, str] | None

    @property
    def ok(self) -> bool:
        return not self.bad

    def summary(self) -> Msg:
        if self.head is None:
            return Msg("审计日志为空", "the audit log is empty")
        entry, digest = self.head
        head = Msg(f"审计日志链头：#{entry} {digest}（请与纸面记录核对）",
                   f"audit chain head: #{entry} {digest} (compare it with the one on paper)")
        if self.ok:
            return Msg(f"审计日志完整：{self.entries} 条记录，链接和哈希均无误\n{head.zh}",
                       f"audit log intact: {self.entries} entries, every link and hash holds\n{head.en}")
        first = self.bad[0]
        return Msg(f"审计日志已被改动：第一条不符的记录是 #{first}（共 {len(self.bad)} 条不符："
                   f"{', '.join(f'#{i}' for i in self.bad)}）\n{head.zh}",
                   f"audit log broken: the first bad entry is #{first} ({len(self.bad)} bad: "
                   f"{', '.join(f'#{i}' for i in self.bad)})\n{head.en}")


def verify_log(session: Session) -> ChainReport:
    """Walk the whole chain: the entries whose hash or link fails, and the head to compare with paper."""
    count = session.scalar(select(func.count(AuditEntry.id))) or 0
    return ChainReport(entries=count, bad=audit.verify_chain(session), head=audit.head(session))


@dataclass(frozen=True)
class LogEntry:
    id: int
    at: str
    actor: str
    action: str
    round: int | None
    detail: Any  # the entry's detail object (its raw text if edited into something unreadable)
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "actor": self.actor, "action": self.action,
                "round": self.round, "detail": self.detail, "hash": self.hash}

    def short_detail(self, width: int = DETAIL_WIDTH) -> str:
        text = json.dumps(self.detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        text = " ".join(text.split())  # one line, whatever the detail holds
        return text if len(text) <= width else text[: width - 1] + "…"


def list_entries(session: Session, *, round_id: int | None = None, action: str | None = None,
                 limit: int | None = None) -> list[LogEntry]:
    """The entries, oldest first; ``limit`` keeps the newest N. ``action`` is a prefix (``scores.``).
    An entry edited into something unreadable is listed as it is stored (its raw text)."""
    if limit is not None and limit < 1:
        raise QbdeskError(Msg(f"--limit 必须是正整数，而不是 {limit}", f"--limit must be a positive number, not {limit}"))
    if round_id is not None:
        round_id = resolve_round(session, round_id).id
    return [LogEntry(id=e.id, at=_at(e.at), actor=e.actor, action=e.action, round=e.round_id,
                     detail=e.detail, hash=e.hash)
            for e in audit.stored_entries(session, round_id=round_id, action=action, limit=limit)]


def _at(at: datetime | str) -> str:
    if isinstance(at, str):  # unreadable: as stored
        return at
    if at.tzinfo is None:  # SQLite hands times back naive: they are UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds")
