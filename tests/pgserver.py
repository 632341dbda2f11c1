"""The PostgreSQL server the ``postgresql`` cases of ``db_url`` run on. TEST ONLY.

``QBDESK_TEST_PG`` names one (an admin URL such as ``postgresql://qbdesk@127.0.0.1/postgres``: a role
that may create and drop databases). Unset, the suite starts a throwaway server of its own when
Debian's ``postgresql`` binaries are installed: ``initdb`` into a temporary folder, ``pg_ctl`` on a
free port of 127.0.0.1 (as the ``postgres`` user when the suite runs as root, as CI does), stopped and
deleted when the session ends. Each test gets a fresh database, dropped after it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ENV = "QBDESK_TEST_PG"
PASSWORD_ROLE, PASSWORD = "qbdesk_pw", "TEST-ONLY pg password"  # only on the throwaway server


class Unavailable(Exception):
    """No server to run the PostgreSQL cases on; the reason says why and how to get one."""


@dataclass
class PgServer:
    admin_url: str  # libpq form, postgresql://…
    own: bool = False  # started by the suite (its pg_hba.conf is ours: the password role exists)
    _stop: list = field(default_factory=list)

    def _admin(self):
        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10)

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None, name: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its name."""
        name = name or f"qbdesk_test_{uuid.uuid4().hex[:12]}"
        query = sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0"))
        with self._admin() as conn:
            conn.execute(query)
        return name

    def drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        for step in reversed(self._stop):
            step()
        self._stop.clear()


def _reachable(url: str) -> None:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        raise Unavailable(f"{ENV}={make_url(url).render_as_string(hide_password=True)} is not reachable: "
                          f"{str(e).strip().splitlines()[0]}") from None


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_throwaway(*, durable: bool = False) -> PgServer:
    """initdb + pg_ctl in a temporary folder on a free port; the server's ``stop`` removes it all.

    ``durable``: PostgreSQL's own settings (fsync and synchronous commit on), as an office's server
    runs, for benchmarks; otherwise durability is off, since each test's database is thrown away."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise Unavailable(f"{ENV} is not set and PostgreSQL is not installed "
                          f"(apt-get install postgresql, or set {ENV} to an admin URL)")
    user = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user to run the server as") from None
    root = Path(tempfile.mkdtemp(prefix="qbdesk-pg-"))
    run_as = {"user": user.pw_uid, "group": user.pw_gid} if user else {}
    if user:
        os.chown(root, user.pw_uid, user.pw_gid)
    data, port = root / "data", _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, **run_as)
        if done.returncode:
            raise Unavailable(f"{cmd[0]} failed: {(done.stderr or done.stdout).strip()[-500:]}")

    server = PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", own=True)
    server._stop.append(lambda: shutil.rmtree(root, ignore_errors=True))
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
        "--locale=C.UTF-8", "--no-sync")
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=60"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o", options, "start")
    server._stop.append(lambda: subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                                                "stop"], capture_output=True, cwd=root, **run_as))
    try:
        with server._admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(PASSWORD_ROLE),
                                                                            sql.Literal(PASSWORD)))
    except BaseException:
        server.stop()
        raise
    return server


def server() -> PgServer:
    """The server named by ``QBDESK_TEST_PG``, or a throwaway one; :class:`Unavailable` if neither."""
    url = os.environ.get(ENV, "").strip()
    if url:
        _reachable(url)
        return PgServer(url)
    return start_throwaway()
