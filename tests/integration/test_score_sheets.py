"""Score values a sheet per application (``store.score_sheets``, migration 0005_score_sheets).

The migration carries every value across, both ways; ``score`` stays readable with SQL as a view
with the old columns; packing keeps every string exactly, in the file's order.
"""

from __future__ import annotations

import pytest
from results_round import RoundBuilder
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from qbdesk.services.results import round_results
from qbdesk.store.models import ScoreSheet
from qbdesk.store.score_sheets import count_values, pack, unpack, value_rows

pytestmark = pytest.mark.postgresql


def test_pack_keeps_every_string_and_the_order_grouped_by_application():
    rows = [
        (7, "technical_level", "", "8.5", ""),
        (7, "opinion", "", '"意见：很好，\\"引号\\"\\n换行"', ""),
        (3, "items", "C-1", '{"accepted":false,"reason":"无证书"}', ""),
        (7, "gate", "", "true", "说明\u0001控制字符\u2028"),
        (3, "items", "C-2", '{"accepted":true,"tier":"A"}', ""),
    ]
    sheets = pack(rows)
    assert [app for app, _ in sheets] == [7, 3]  # applications in the order they first appear
    back = [(app, *entry) for app, entries in sheets for entry in unpack(entries)]
    assert back == [rows[0], rows[1], rows[3], rows[2], rows[4]]  # each application's rows in their order
    assert pack([]) == []


def _round(db) -> RoundBuilder:
    r = RoundBuilder(db)
    r.application("P2", "F1")
    r.application("P2", "F2")
    r.panel("P2", "F1", [90, 85, 80])
    r.panel("P2", "F2", [70, 75, 60])
    return r


def _sql_rows(db) -> list[tuple]:
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT score_file_id, expert_id, application_id, criterion, item, value, comment FROM score ORDER BY id"))]


def _by_sheet(rows) -> list[tuple]:
    return sorted(rows, key=lambda r: (r[0], r[2]))  # stable: a sheet's values keep their order


def test_score_reads_as_a_view_of_the_sheets_one_row_per_value(db):
    r = _round(db)
    with db.sessions() as s:
        rows = list(value_rows(s))
        assert count_values(s) == len(rows) > 0
        assert s.scalar(select(func.count()).select_from(ScoreSheet)) == 6  # 2 applications × 3 experts
    assert _sql_rows(db) == rows  # the view: same values, same order, old columns
    assert "score" not in inspect(db.engine).get_table_names() and "score" in inspect(db.engine).get_view_names()
    with db.engine.connect() as c:  # read-only: a write is refused, not half done
        with pytest.raises(DBAPIError):
            with c.begin():
                c.execute(text("UPDATE score SET value = '0'"))
    with db.sessions() as s:
        assert list(value_rows(s)) == rows
        assert round_results(s, r.round_id)["programs"][0]["applications"][0]["counted"] == ["E01", "E02", "E03"]


def test_score_sheet_migration_goes_down_and_up_keeping_every_value_and_the_results(db):
    from alembic import command

    from qbdesk.store.engine import alembic_config

    r = _round(db)
    with db.sessions() as s:
        before = list(value_rows(s))
        results = round_results(s, r.round_id)
    cfg = alembic_config(db.engine)
    command.downgrade(cfg, "0004_s4_results")
    assert "score" in inspect(db.engine).get_table_names() and "score_sheet" not in inspect(db.engine).get_table_names()
    # every value a row of its own again, each sheet's in its order (files and applications may interleave)
    assert _by_sheet(_sql_rows(db)) == _by_sheet(before)
    command.upgrade(cfg, "head")
    with db.sessions() as s:
        assert _by_sheet(value_rows(s)) == _by_sheet(before)
        assert round_results(s, r.round_id) == results
    assert _by_sheet(_sql_rows(db)) == _by_sheet(before)
