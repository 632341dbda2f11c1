"""Opening a qbdesk database: engine, sessions, schema migration.

The schema is owned by Alembic (``db/``); :func:`open_database` brings any
database to the newest revision before handing out sessions, so an old
coordinator database opens in a new qbdesk without a manual step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.paths import default_db_url, migrations_path


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL or a plain file path (``round.sqlite``)."""
    if not url:
        return default_db_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def make_engine(url: str | None) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_path()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _check_is_qbdesk(engine: Engine) -> None:
    """Refuse a database that exists but was not made by qbdesk (never add our tables to it)."""
    from sqlalchemy import inspect

    from qbdesk.domain.messages import Msg, QbdeskError

    shown = engine.url.render_as_string(hide_password=True)
    db_file = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if db_file and db_file != ":memory:" and not Path(db_file).exists():
        raise QbdeskError(Msg(f"数据库文件不存在：{db_file}", f"the database file does not exist: {db_file}"))
    try:
        tables = set(inspect(engine).get_table_names())
    except Exception as e:  # not a database at all (e.g. a PDF renamed .sqlite)
        raise QbdeskError(Msg(f"无法打开数据库 {shown}：{e.__class__.__name__}",
                              f"cannot open the database {shown}: {e.__class__.__name__}")) from e
    if tables and "alembic_version" not in tables:
        raise QbdeskError(Msg(f"{shown} 不是 qbdesk 数据库（未作任何修改）",
                              f"{shown} is not a qbdesk database (nothing was changed)"))


def open_database(url: str | None, *, migrate: bool = True, create: bool = True) -> Database:
    """Open (and by default create and upgrade) a qbdesk database.

    ``create=False`` is for a database the user picked by hand: it must
    already exist and be a qbdesk one.
    """
    engine = make_engine(url)
    if not create:
        try:
            _check_is_qbdesk(engine)
        except Exception:
            engine.dispose()
            raise
    elif engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(engine)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
