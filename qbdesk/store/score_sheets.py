"""Score values, stored a sheet at a time (``models.ScoreSheet``): packing them on import, and
reading them back as one row per value.

Every reader sees the values as rows ``(criterion, item, value, comment)`` — ``value`` as JSON
text, exactly as the score file gave it — with the file, expert and application they belong to.
A sheet holds one application's values of one score file, in the file's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from qbdesk.store.models import ScoreSheet

VALUE_COLUMNS = ("criterion", "item", "value", "comment")
SHEET_COLUMNS = ("score_file_id", "expert_id", "application_id", "entries")


def pack(rows: Iterable[Sequence[Any]]) -> list[tuple[int, str]]:
    """``(application_id, criterion, item, value, comment)`` rows → one ``(application_id, entries)``
    per application, in the order the applications first appear, each keeping its rows' order."""
    grouped: dict[int, list[Sequence[Any]]] = {}
    for app_id, run in groupby(rows, key=_APPLICATION):  # a file lists an application's rows together
        entries = grouped.get(app_id)
        if entries is None:
            entries = grouped[app_id] = []
        entries.extend(map(_VALUE, run))
    return [(app_id, orjson.dumps(entries).decode()) for app_id, entries in grouped.items()]


_APPLICATION, _VALUE = itemgetter(0), itemgetter(1, 2, 3, 4)


def unpack(entries: str) -> list[tuple[str, str, str, str]]:
    """A sheet's ``entries`` as ``(criterion, item, value, comment)`` tuples."""
    return [tuple(e) for e in orjson.loads(entries)]  # type: ignore[misc]


def value_rows(session: Session, *where: ColumnElement[bool]) -> Iterator[tuple[int, int, int, str, str, str, str]]:
    """``(score_file_id, expert_id, application_id, criterion, item, value, comment)`` for every
    value on the sheets ``where`` selects (conditions on ``ScoreSheet`` columns)."""
    query = select(ScoreSheet.score_file_id, ScoreSheet.expert_id, ScoreSheet.application_id, ScoreSheet.entries)
    for file_id, expert_id, app_id, entries in session.execute(query.where(*where).order_by(ScoreSheet.id)):
        for criterion, item, value, comment in orjson.loads(entries):
            yield file_id, expert_id, app_id, criterion, item, value, comment


def count_values(session: Session, *where: ColumnElement[bool]) -> int:
    """How many values the selected sheets hold."""
    return sum(len(orjson.loads(e)) for e in session.scalars(select(ScoreSheet.entries).where(*where)))
