"""The Alembic migrations in db/ build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from qbdesk.store import audit
from qbdesk.store.models import AuditEntry, Base

pytestmark = pytest.mark.postgresql


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


def test_open_existing_refuses_foreign_and_missing_databases(tmp_path):
    import sqlite3

    import pytest

    from qbdesk.domain.messages import QbdeskError
    from qbdesk.store.engine import open_database

    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as c:
        c.execute("create table invoices (id integer)")
    with pytest.raises(QbdeskError) as e:
        open_database(str(foreign), create=False)
    assert "not a qbdesk database" in e.value.msg.en
    with sqlite3.connect(foreign) as c:  # nothing was added to it
        assert [r[0] for r in c.execute("select name from sqlite_master where type='table'")] == ["invoices"]

    not_db = tmp_path / "scan.sqlite"
    not_db.write_bytes(b"%PDF-1.7 not a database" * 100)
    with pytest.raises(QbdeskError) as e:
        open_database(str(not_db), create=False)
    assert "cannot open" in e.value.msg.en

    with pytest.raises(QbdeskError) as e:
        open_database(str(tmp_path / "missing.sqlite"), create=False)
    assert "does not exist" in e.value.msg.en


def test_qualification_migration_goes_down_and_up_keeping_the_round(db):
    """0003_s2d_check adds only its table: down to the revision before it and back leaves every other row in place."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from qbdesk.services.rounds import init_round
    from qbdesk.store.engine import alembic_config
    from qbdesk.store.models import Round

    init_round(db.sessions, name="迁移测试", year=2026, programs=["P3"])
    cfg = alembic_config(db.engine)
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0003_s2d_check").down_revision)
    assert "qualification_check" not in inspect(db.engine).get_table_names()
    command.upgrade(cfg, "head")
    assert "qualification_check" in inspect(db.engine).get_table_names()
    with db.sessions() as s:
        assert [r.name for r in s.scalars(select(Round))] == ["迁移测试"]


def test_clean_migration_goes_down_and_up_keeping_the_round(db):
    """0003_s2b_clean adds only cleaned_pdf and leak_decision: down and back up leaves every other row in place."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from qbdesk.services.rounds import init_round
    from qbdesk.store.engine import alembic_config
    from qbdesk.store.models import Round

    init_round(db.sessions, name="清理迁移", year=2026, programs=["P2"])
    cfg = alembic_config(db.engine)
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0003_s2b_clean").down_revision)
    tables = set(inspect(db.engine).get_table_names())
    assert not {"cleaned_pdf", "leak_decision"} & tables
    command.upgrade(cfg, "head")
    assert {"cleaned_pdf", "leak_decision"} <= set(inspect(db.engine).get_table_names())
    with db.sessions() as s:
        assert [r.name for r in s.scalars(select(Round))] == ["清理迁移"]


def test_results_migration_goes_down_and_up_keeping_the_round(db):
    """0004_s4_results adds frozen_result and program_config.aggregation: down and back up keeps the round."""
    from alembic import command

    from qbdesk.services.results_freeze import freeze_results
    from qbdesk.services.rounds import init_round
    from qbdesk.store.engine import alembic_config
    from qbdesk.store.models import ProgramConfig, Round

    rid = init_round(db.sessions, name="结果迁移", year=2026, programs=["P2"])
    freeze_results(db.sessions, rid)
    cfg = alembic_config(db.engine)
    command.downgrade(cfg, "0003_s2b_bind")
    assert "frozen_result" not in inspect(db.engine).get_table_names()
    assert "aggregation" not in {c["name"] for c in inspect(db.engine).get_columns("program_config")}
    command.upgrade(cfg, "head")
    with db.sessions() as s:
        assert [r.name for r in s.scalars(select(Round))] == ["结果迁移"]
        assert [pc.aggregation for pc in s.scalars(select(ProgramConfig))] == [None]  # the defaults


def test_a_new_sqlite_file_gets_large_pages_and_an_old_one_keeps_its_own(tmp_path):
    """Blobs (attachments, score files) fill a round's database: new files use 32 KiB pages; a file
    that already has its pages (an older qbdesk's) keeps them, and opens and migrates as before."""
    import sqlite3

    from qbdesk.store.engine import SQLITE_PAGE_SIZE, open_database

    new, old = tmp_path / "new.sqlite", tmp_path / "old.sqlite"
    con = sqlite3.connect(old)
    con.execute("PRAGMA page_size=4096")
    con.execute("CREATE TABLE scratch (x)")  # writing fixes the file's page size
    con.execute("DROP TABLE scratch")
    con.close()
    for path in (new, old):
        db = open_database(f"sqlite:///{path}")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("select version_num from alembic_version").scalar()
        db.dispose()
    for path, size in ((new, SQLITE_PAGE_SIZE), (old, 4096)):
        con = sqlite3.connect(path)
        try:
            assert con.execute("PRAGMA page_size").fetchone()[0] == size
        finally:
            con.close()
