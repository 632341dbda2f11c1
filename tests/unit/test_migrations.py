"""The Alembic migrations in db/ build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from qbdesk.store import audit
from qbdesk.store.models import AuditEntry, Base


def test_migrations_match_models(db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; add a migration in db/versions: {diff}"


def test_every_model_table_exists(db):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_open_twice_is_idempotent(db_url):
    from qbdesk.store.engine import open_database

    for _ in range(2):
        d = open_database(db_url)
        with d.engine.connect() as conn:
            assert conn.exec_driver_sql("select version_num from alembic_version").scalar() is not None
        d.dispose()


def test_audit_chain_detects_tampering(db):
    with db.sessions.begin() as s:
        for i in range(3):
            audit.record(s, "test.step", detail={"i": i})
    with db.sessions() as s:
        assert audit.verify_chain(s) == []
    with db.sessions.begin() as s:
        second = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[1]
        second.detail = {"i": 99}
    with db.sessions() as s:
        bad = audit.verify_chain(s)
    assert bad == [second.id]
