"""Where qbdesk finds its shipped resources and keeps its data.

One function for resources, so the same code works from a checkout, an
installed wheel and a PyInstaller bundle (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def project_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``."""
    return project_root().joinpath("resources", *parts)


def migrations_path() -> Path:
    """The Alembic environment (``db/``)."""
    return project_root() / "db"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("qbdesk", appauthor=False))


def default_db_url() -> str:
    d = default_data_dir()
    d.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{d / 'qbdesk.sqlite'}"
