"""domain.text: what no store can keep, found, named and escaped; and the engine's own refusal."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import insert, select

from qbdesk.domain.messages import QbdeskError
from qbdesk.domain.text import first_unstorable, printable_name, unstorable, without_nul, xml_safe
from qbdesk.store.engine import open_database
from qbdesk.store.models import Round


def test_unstorable_names_the_first_nul_or_lone_surrogate():
    assert unstorable("评审第一批\t\n\x01") is None  # controls are text; only NUL and surrogates are not
    assert "character 3 is a NUL (U+0000)" in unstorable("ab\x00c\x00").en
    assert "character 2" in unstorable("a\ud800").en and "lone surrogate U+D800" in unstorable("a\ud800").en
    assert first_unstorable({"a": [1, {"b": "ok", "c": "x\x00"}]}) [0] == "a[1].c"
    assert first_unstorable({"k\x00": 1})[0] == "k\x00"
    assert first_unstorable({"a": ["fine", 2, None, True]}) is None


def test_file_names_and_xml_text_are_escaped_never_dropped():
    assert printable_name("名单.csv") == "名单.csv"
    assert printable_name(os.fsdecode(b"\xc3\xfb\xb5\xa5.csv")) == "\\xc3\\xfb\\xb5\\xa5.csv"
    assert printable_name("a\x00\ud800") == "a\\x00\\ud800"
    assert printable_name(os.fsdecode(b"\xff")).encode("utf-8")  # storable now
    assert without_nul("a\x00b\x00") == "ab" and without_nul("ab") == "ab"
    assert xml_safe("公司\x01\x1b名\t\n\r") == "公司\ufffd\ufffd名\t\n\r"
    assert xml_safe(12) == 12 and xml_safe(None) is None


@pytest.mark.parametrize("bad", ["a\x00b", "a\udcffb"])
def test_the_engine_refuses_unstorable_text_in_every_kind_of_statement(tmp_path, bad):
    db = open_database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        with db.sessions.begin() as s:  # the ORM's insertmanyvalues batches
            with pytest.raises(QbdeskError, match="cannot store the text") as e:
                s.add_all([Round(name="ok", year=2026), Round(name=bad, year=2026)])
                s.flush()
            assert "(round)" in e.value.msg.en
        with db.engine.begin() as c:  # Core executemany, and a plain statement's parameters
            with pytest.raises(QbdeskError):
                c.execute(insert(Round), [{"name": "ok", "year": 2026}, {"name": bad, "year": 2026}])
            with pytest.raises(QbdeskError, match="cannot look up the text"):  # nothing stored can match it
                c.execute(select(Round.id).where(Round.name == bad))
            with pytest.raises(QbdeskError, match="cannot look up the text"):  # a CTE is a look-up too
                named = select(Round.id, Round.name).cte("named")
                c.execute(select(named.c.id).where(named.c.name == bad))
        with db.sessions() as s:
            assert s.scalars(select(Round.name)).all() == []
    finally:
        db.dispose()
