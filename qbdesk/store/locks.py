"""Serialising writers that read, decide and then write (docs/architecture.md, "Concurrency").

Two coordinators may run qbdesk on one PostgreSQL database at once, or two processes on one SQLite
file. A transaction that checks what is there (a duplicate, a newer file, the audit log's last hash)
and then writes on the strength of it must not interleave with another doing the same, or both pass
the check. These helpers take a lock at the start of such a transaction, held until it ends:

- PostgreSQL: a row lock on the round (``SELECT … FOR UPDATE``) for work on one round, and a
  transaction-level advisory lock for the audit log's chain (one per database: there is no row to
  lock when appending). Each statement after the lock is taken (READ COMMITTED) sees what the
  previous holder committed.
- SQLite: the database's one write lock, taken at once (``BEGIN IMMEDIATE``): it waits for the other
  writer (the busy timeout) instead of reading now and failing later on a stale read snapshot. The
  driver opens a transaction only at the first write, so one already open holds the lock already.

Lock order, always: round, then audit chain (a deadlock needs two orders).
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qbdesk.store.models import Round

AUDIT_CHAIN_KEY = 0x71626461  # "qbda": pg_advisory_xact_lock's key for the audit log's chain


def _sqlite_write_lock(session: Session) -> None:
    raw = session.connection().connection.dbapi_connection
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def lock_round(session: Session, round_id: int) -> None:
    """Hold the round against every other ``lock_round`` of it until this transaction ends."""
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_write_lock(session)
    else:
        session.execute(select(Round.id).where(Round.id == round_id).with_for_update())


def lock_audit_chain(session: Session) -> None:
    """Hold the audit log's end until this transaction ends (appending reads the last hash first)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_write_lock(session)
    elif dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_KEY})
