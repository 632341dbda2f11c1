"""Shared fixtures. GUI tests run offscreen; nothing here imports Qt."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENPYXL_LXML", "False")  # as qbdesk/__init__.py: tests import openpyxl first


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'round.sqlite'}"


@pytest.fixture
def db(db_url):
    from qbdesk.store.engine import open_database

    database = open_database(db_url)
    yield database
    database.dispose()


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
