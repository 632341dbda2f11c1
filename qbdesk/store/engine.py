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

from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.text import printable_name, unstorable
from qbdesk.paths import default_db_url, migrations_path

# A shared office's server: ``postgresql://`` (and libpq's ``postgres://``) means psycopg 3, the driver
# qbdesk depends on, not SQLAlchemy's default psycopg2.
_PG_SCHEMES = ("postgresql://", "postgres://")
PG_CONNECT_TIMEOUT = 10  # seconds: an unreachable server is an error, not a hang


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL or a plain file path (``round.sqlite``)."""
    if not url:
        return default_db_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for scheme in _PG_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


SQLITE_PAGE_SIZE = 32768  # bytes, for new database files
SQLITE_CACHE_KIB = 16384  # the page cache, in KiB (SQLite's default is 2,000 KiB)


def _table_of(statement: str) -> str:
    words = statement.split(None, 4)
    if len(words) > 2 and words[0].upper() in ("INSERT", "DELETE") and words[1].upper() in ("INTO", "FROM"):
        return words[2].strip('"')
    if len(words) > 1 and words[0].upper() == "UPDATE":
        return words[1].strip('"')
    return ""


def _refuse_unstorable(_conn, _cursor, statement, parameters, _context, executemany) -> None:
    """No text with a NUL or a lone surrogate reaches the database (``domain.text``): the parsers
    refuse them with the field named; this refuses any that get past them, alike on every backend,
    with a message in place of the driver's (PostgreSQL cannot store a NUL, no driver a surrogate)."""
    if not parameters:
        return
    # one row (a tuple or a dict), or for executemany a list of rows; insertmanyvalues hands its
    # batches over as one flat row with executemany still set
    rows = parameters if executemany and isinstance(parameters, list) else (parameters,)
    for row in rows:
        for value in row.values() if isinstance(row, dict) else row:
            if type(value) is str and ("\x00" in value or not value.isascii()) and unstorable(value) is not None:
                why, table = unstorable(value), _table_of(statement)
                shown = printable_name(value[:60]) + ("…" if len(value) > 60 else "")
                where = (f"（{table}）", f" ({table})") if table else ("", "")
                if statement.lstrip()[:6].upper().startswith(("SELECT", "WITH")):  # a look-up: nothing stored can match it
                    raise QbdeskError(Msg(f"无法查找文字“{shown}”：{why.zh}", f"cannot look up the text “{shown}”: {why.en}"))
                raise QbdeskError(Msg(f"无法保存文字“{shown}”{where[0]}：{why.zh}",
                                      f"cannot store the text “{shown}”{where[1]}: {why.en}"))


def make_engine(url: str | None) -> Engine:
    engine = _make_engine(url)
    event.listen(engine, "before_cursor_execute", _refuse_unstorable)
    return engine


def _make_engine(url: str | None) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                # A new file gets 32 KiB pages (an existing one keeps its own): a round's database is
                # mostly blobs (attachments, the 1–2 MB score files), which 4 KiB pages cut into
                # hundreds of pages each; this halves what a score import costs SQLite.
                cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
                cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT})
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


# SQLAlchemy's and the drivers' words for the common failures, and what to tell the user.
_DB_REASONS = (
    ("database disk image is malformed", "数据库文件已损坏：请从备份恢复",
     "the database file is damaged (database disk image is malformed): restore it from a backup"),
    ("file is not a database", "这不是数据库文件", "it is not a database file"),
    ("database is locked", "数据库正被另一个程序占用，请稍后再试", "the database is in use by another program; try again later"),
    ("readonly database", "数据库文件为只读", "the database file is read-only"),
    ("unable to open database file", "无法打开数据库文件（文件夹不存在或没有权限）",
     "the database file cannot be opened (no such folder, or no permission)"),
    ("connection refused", "无法连接数据库服务器（连接被拒绝）", "cannot reach the database server (connection refused)"),
    ("could not translate host name", "找不到数据库服务器（主机名无法解析）", "the database server's host name is not known"),
    ("password authentication failed", "数据库用户名或密码错误", "the database user name or password is wrong"),
    ("no password supplied", "数据库服务器要求密码，但未提供（请在地址中写明，或使用 ~/.pgpass）",
     "the database server asks for a password and none was given (put it in the URL, or use ~/.pgpass)"),
    ("role \"", "数据库服务器上没有这个用户（角色不存在）", "the database server has no such user (the role does not exist)"),
    ("no pg_hba.conf entry", "数据库服务器不允许从本机以该用户连接（pg_hba.conf）",
     "the database server does not let this user connect from this machine (pg_hba.conf)"),
    ("database \"", "数据库服务器上没有这个数据库（请先由管理员创建：createdb 库名）",
     "the database does not exist on the server (have the administrator create it: createdb NAME)"),
    ("failed to resolve host", "找不到数据库服务器（主机名无法解析）", "the database server's host name is not known"),
    ("timeout expired", "连接数据库服务器超时（服务器未开机，或被防火墙阻挡）",
     "connecting to the database server timed out (the server is down, or a firewall blocks it)"),
    ("no route to host", "无法连接数据库服务器（网络不通）", "cannot reach the database server (no route to host)"),
    ("is the server running", "无法连接数据库服务器（服务器未运行？）", "cannot reach the database server (is it running?)"),
)
_DRIVERS = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "MySQLdb": "mysqlclient", "pymysql": "pymysql"}


def _shown(url: str | None) -> str:
    try:
        from sqlalchemy.engine import make_url

        # as the user wrote it (postgresql://…, not the driver it maps to), without the password
        return make_url(url if url and "://" in url else normalise_url(url)).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL: show what was typed, minus anything after '@'
        return (url or "").split("@")[-1]


def database_error(e: BaseException, shown: str = "") -> Msg | None:
    """What to tell the user about a database failure (None: not one); never the raw traceback."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    where = f" {shown}" if shown else ""
    if isinstance(e, ModuleNotFoundError) and e.name:
        root = e.name.split(".")[0]
        pkg = _DRIVERS.get(root, root)
        return Msg(f"无法打开数据库{where}：未安装数据库驱动 {root}（请运行 .venv/bin/pip install \"{pkg}\"，或改用 SQLite 文件）",
                   f"cannot open the database{where}: its driver {root} is not installed (run .venv/bin/pip install "
                   f"\"{pkg}\", or use a SQLite file)")
    if isinstance(e, ArgumentError):
        return Msg(f"无法识别的数据库地址{where}：请给出 SQLite 文件路径或 SQLAlchemy URL（如 postgresql://用户@主机/库名）",
                   f"not a database URL{where}: give a SQLite file path or a SQLAlchemy URL "
                   f"(e.g. postgresql://user@host/name)")
    if isinstance(e, OSError):
        why = os_reason(e)
        return Msg(f"无法打开数据库{where}：{why.zh}", f"cannot open the database{where}: {why.en}")
    if not isinstance(e, SQLAlchemyError):
        return None
    raw = str(getattr(e, "orig", None) or e).lower()
    for needle, zh, en in _DB_REASONS:
        if needle in raw:
            return Msg(f"无法打开数据库{where}：{zh}", f"cannot open the database{where}: {en}")
    first = (str(getattr(e, "orig", None) or e).strip().splitlines() or [e.__class__.__name__])[0][:200]
    return Msg(f"数据库出错{where}：{first}", f"database error{where}: {first}")


def _check_path(url: str, *, create: bool) -> None:
    """A SQLite path must be a file; without ``create`` it must already exist."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return
    path = Path(u.database)
    if path.is_dir():
        raise QbdeskError(Msg(f"{path} 是一个文件夹，不是数据库文件", f"{path} is a folder, not a database file"))
    if not create and not path.exists():
        raise QbdeskError(Msg(f"数据库文件不存在：{path}（请检查路径；只有 qbdesk round init 和 qbdesk demo 会新建数据库）",
                              f"the database file does not exist: {path} (check the path; only qbdesk round init "
                              f"and qbdesk demo create a database)"))


def _check_is_qbdesk(engine: Engine) -> None:
    """Refuse a database that exists but was not made by qbdesk (never add our tables to it)."""
    from sqlalchemy import inspect

    shown = engine.url.render_as_string(hide_password=True)
    tables = set(inspect(engine).get_table_names())
    if tables and "alembic_version" not in tables:
        raise QbdeskError(Msg(f"{shown} 不是 qbdesk 数据库（未作任何修改）",
                              f"{shown} is not a qbdesk database (nothing was changed)"))


def open_database(url: str | None, *, migrate: bool = True, create: bool = True) -> Database:
    """Open (and by default create and upgrade) a qbdesk database.

    ``create=False`` is for a database the user named: it must already exist and be a qbdesk
    one. Every failure is a :class:`QbdeskError` with a bilingual message, never a traceback.
    """
    shown = _shown(url)
    try:
        normalised = normalise_url(url)
        _check_path(normalised, create=create)
        engine = make_engine(normalised)
    except QbdeskError:
        raise
    except Exception as e:
        msg = database_error(e, shown)
        if msg is None:
            raise
        raise QbdeskError(msg) from None
    try:
        if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            if create:
                Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            if Path(engine.url.database).exists():
                _check_is_qbdesk(engine)
        else:
            _check_is_qbdesk(engine)
        if migrate:
            upgrade(engine)
    except Exception as e:
        engine.dispose()
        if isinstance(e, QbdeskError):
            raise
        msg = database_error(e, shown)
        if msg is None:
            raise
        raise QbdeskError(msg) from None
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
