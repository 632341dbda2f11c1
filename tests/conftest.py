"""Shared fixtures. GUI tests run offscreen; nothing here imports Qt."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENPYXL_LXML", "False")  # as qbdesk/__init__.py: tests import openpyxl first


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    """Tests marked ``postgresql`` run twice, on SQLite and on PostgreSQL (ids ``sqlite``/``postgresql``);
    every other test that asks for ``db_url`` gets SQLite only, so only the storage tests double."""
    if "db_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("postgresql"):
        metafunc.parametrize("db_url", BACKENDS, ids=BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def pg_server():
    """The PostgreSQL server (tests/pgserver.py): QBDESK_TEST_PG, or one the suite starts and stops.

    Without one the PostgreSQL cases skip locally, with the reason; in CI they fail.
    """
    import pgserver

    try:
        server = pgserver.server()
    except pgserver.Unavailable as e:
        if os.environ.get("CI"):
            pytest.fail(f"no PostgreSQL server for the postgresql cases: {e}")
        pytest.skip(f"no PostgreSQL server: {e}")
    yield server
    server.stop()


@pytest.fixture
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file in tmp_path, or (the ``postgresql`` case) a new database
    on ``pg_server``, dropped after the test."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'round.sqlite'}"
        return
    server = request.getfixturevalue("pg_server")
    name = server.create()
    yield server.url(name)
    server.drop(name)


@pytest.fixture
def db(db_url):
    from qbdesk.store.engine import open_database

    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """``qbdesk demo --no-gui`` run once for the whole session (~8 s: 167 PDFs drawn). Never change
    it: tests that only need a demo round (its database, packages or roster) take a copy
    (``copy_demo``); the tests of ``demo`` itself run it. In a process of its own, as a user runs
    it: its workers are forked, and this one may hold Qt's threads by then."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("demo-template") / "demo"
    r = subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "--lang", "en", "demo", "--no-gui", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="session")
def copy_demo(demo_template):
    """``copy_demo(folder)``: the session's demo round (what ``qbdesk demo`` wrote: demo.sqlite,
    packages/, experts.csv, checks.csv) copied to ``folder``, which must not exist yet; returns it."""
    import shutil

    def _copy(folder):
        shutil.copytree(demo_template, folder)
        return folder

    return _copy


@pytest.fixture
def need_tool():
    """``need_tool("age")`` -> path of a stock tool; skips locally when missing, fails in CI.

    CI installs every tool (see .ci/run), so a missing one there is a broken
    set-up, not a reason to skip.
    """
    import shutil

    def _need(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            if os.environ.get("CI"):
                pytest.fail(f"{name} is not installed; .ci/run must install it")
            pytest.skip(f"{name} is not installed (apt-get install it to run this test)")
        return path

    return _need


# Coordinator keys are always made encrypted (no passphrase, no keys): the suite's scripts set the
# passphrase as a coordinator's script would. TEST ONLY.
TEST_COORDINATOR_PASSPHRASE = "TEST-ONLY coordinator passphrase 2026"
os.environ.setdefault("QBDESK_COORDINATOR_PASSPHRASE", TEST_COORDINATOR_PASSPHRASE)
