"""A crafted snapshot (signed by some other key, which `review open` cannot refuse by itself) must
not crash or exhaust the expert's laptop (issue 7, item 8): deeply nested rubrics give a clear
message, not a RecursionError traceback; a meta.json of millions of tiny objects is refused
before it is parsed. Driven through the CLI as the expert would run it.
"""

from __future__ import annotations

import json

import pytest

from qbdesk.cli.main import main
from qbdesk.formats import snapshot_writer
from qbdesk.formats.json_limits import JsonLimits, structure_problem
from tests.unit.review_snapshot import PASSPHRASE, coordinator, make_snapshot


def crafted(tmp_path, monkeypatch, edit) -> tuple:
    """A snapshot whose meta.json is what ``edit`` makes of a genuine one's text (signed by a stranger)."""
    real = snapshot_writer.canonical_json

    def tamper(meta):
        return edit(real(meta))

    monkeypatch.setattr(snapshot_writer, "canonical_json", tamper)
    monkeypatch.setattr(snapshot_writer, "structure_problem", lambda *a: None)  # a stranger's writer checks nothing
    path = tmp_path / "crafted.qbsnap"
    make_snapshot(path, coordinator())
    monkeypatch.undo()
    pfile = tmp_path / "pp.txt"
    pfile.write_text(PASSPHRASE, encoding="utf-8")
    return path, pfile


def review_open(capsys, path, pfile, home):
    code = main(["--lang", "en", "review", "open", str(path), "--home", str(home), "--passphrase-file", str(pfile)])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("depth", [500, 980])
def test_deeply_nested_rubric_is_a_clear_refusal(tmp_path, monkeypatch, capsys, depth):
    def nest(raw: bytes) -> bytes:
        meta = json.loads(raw)
        h = next(iter(meta["rubrics"]))
        marker = "@@NESTED@@"
        meta["rubrics"][h]["criteria"][0]["bands"] = marker
        text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        return text.replace(json.dumps(marker).encode(), b"[" * depth + b"]" * depth)

    path, pfile = crafted(tmp_path, monkeypatch, nest)
    code, text = review_open(capsys, path, pfile, tmp_path / "home")
    assert code == 1 and "Traceback" not in text and "RecursionError" not in text, text
    assert "nested more than 32 levels deep" in text, text
    assert not (tmp_path / "home" / "workspace.json").exists()


def test_a_flood_of_tiny_objects_in_meta_is_refused_before_parsing(tmp_path, monkeypatch, capsys):
    def flood(raw: bytes) -> bytes:  # the attack's 15 MB, scaled down: 1.5 MB of {}
        return raw[:-1] + b',"padding":[' + b",".join([b"{}"] * 500_000) + b"]}"

    path, pfile = crafted(tmp_path, monkeypatch, flood)
    code, text = review_open(capsys, path, pfile, tmp_path / "home")
    assert code == 1 and "more than 200000 objects or arrays" in text, text


def test_too_many_applications_is_refused(tmp_path, monkeypatch, capsys):
    def many(raw: bytes) -> bytes:
        meta = json.loads(raw)
        meta["applications"] = meta["applications"] * 1700  # 5,100 > 5,000
        return json.dumps(meta, ensure_ascii=False).encode()

    path, pfile = crafted(tmp_path, monkeypatch, many)
    code, text = review_open(capsys, path, pfile, tmp_path / "home")
    assert code == 1 and "applications: more than 5000" in text and "Traceback" not in text, text


def test_structure_limits_measure_what_they_say():
    limits = JsonLimits(max_depth=3, max_containers=4, max_strings=3)
    assert structure_problem(b'{"a":{"b":["[[[[{{{{"]}}', limits) is None  # brackets inside strings do not count
    assert structure_problem(b"[[[[]]]]", limits).en == "it is nested more than 3 levels deep"
    assert "objects or arrays" in structure_problem(b"[[],[],[],[]]", limits).en
    assert "strings" in structure_problem(b'["a","b","c","d"]', limits).en
    assert structure_problem(b'["a\\"b"]', limits) is None  # an escaped quote stays inside its string


def test_the_coordinators_writer_never_builds_what_readers_refuse(tmp_path, monkeypatch):
    from qbdesk.formats.snapshot import SnapshotError

    real = snapshot_writer.canonical_json
    monkeypatch.setattr(snapshot_writer, "canonical_json", lambda m: real(m)[:-1] + b',"x":' + b"[" * 40 + b"]" * 40 + b"}")
    with pytest.raises(SnapshotError) as e:
        make_snapshot(tmp_path / "s.qbsnap", coordinator())
    assert e.value.code == "invalid_input" and "nested more than 32 levels deep" in e.value.msg.en
    assert not (tmp_path / "s.qbsnap").exists()
