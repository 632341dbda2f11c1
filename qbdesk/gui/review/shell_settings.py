"""What the expert's window remembers between sessions (QSettings): never anything of an application.

Recent workspaces (folders), the UI language, the idle-lock delay, the reading splitter's
state, and which snapshot digests the expert confirmed against the handover slip.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

RECENT_KEY = "review/recent_workspaces"
LANGUAGE_KEY = "review/language"
LOCK_KEY = "review/lock_minutes"
SPLITTER_KEY = "review/reading_splitter"
CONFIRMED_KEY = "review/confirmed_digests"
PENDING_KEY = "review/unconfirmed_digests"  # workspaces this window made, not yet compared with the slip
MAX_RECENT = 8
DEFAULT_LOCK_MINUTES = 10.0


def _settings() -> QSettings:
    return QSettings()


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def recent_workspaces() -> list[Path]:
    """Folders of workspaces opened before, newest first, those that still exist."""
    return [Path(p) for p in _list(_settings().value(RECENT_KEY)) if Path(p, "workspace.json").exists()]


def remember_workspace(home: Path) -> None:
    home = str(Path(home).resolve())
    kept = [p for p in _list(_settings().value(RECENT_KEY)) if p != home]
    _settings().setValue(RECENT_KEY, [home, *kept][:MAX_RECENT])


def forget_workspace(home: Path) -> None:
    home = str(Path(home).resolve())
    _settings().setValue(RECENT_KEY, [p for p in _list(_settings().value(RECENT_KEY)) if p != home])


def language() -> str | None:
    value = _settings().value(LANGUAGE_KEY)
    return str(value) if value in ("zh", "en") else None


def set_language(lang: str) -> None:
    _settings().setValue(LANGUAGE_KEY, lang)


def lock_minutes() -> float:
    try:
        value = float(_settings().value(LOCK_KEY, DEFAULT_LOCK_MINUTES))
    except (TypeError, ValueError):
        return DEFAULT_LOCK_MINUTES
    return value if value > 0 else DEFAULT_LOCK_MINUTES


def set_lock_minutes(minutes: float) -> None:
    _settings().setValue(LOCK_KEY, float(minutes))


def splitter_state() -> QByteArray | None:
    value = _settings().value(SPLITTER_KEY)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def set_splitter_state(state: QByteArray) -> None:
    _settings().setValue(SPLITTER_KEY, state)


def is_confirmed(digest: str) -> bool:
    return digest in _list(_settings().value(CONFIRMED_KEY))


def confirm(digest: str) -> None:
    kept = [d for d in _list(_settings().value(CONFIRMED_KEY)) if d != digest]
    _settings().setValue(CONFIRMED_KEY, [digest, *kept][:50])
    _settings().setValue(PENDING_KEY, [d for d in _list(_settings().value(PENDING_KEY)) if d != digest])


def mark_pending(digest: str) -> None:
    """A workspace was made here: until the expert confirms the slip, reopening shows the comparison again."""
    kept = [d for d in _list(_settings().value(PENDING_KEY)) if d != digest]
    _settings().setValue(PENDING_KEY, [digest, *kept][:50])


def is_pending(digest: str) -> bool:
    return digest in _list(_settings().value(PENDING_KEY))
