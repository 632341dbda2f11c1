"""The score sheet export keeps every byte of the expert's work inside HOME (issue 7, item 13).

openpyxl writes each worksheet to a temporary file before zipping it; by default that lands in
$TMPDIR, outside the workspace. Exported with TMPDIR pointing at an empty, watched folder, nothing
may appear there, not even for a moment: the folder is listed each time openpyxl makes a file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import openpyxl.worksheet._writer as ws_writer

from qbdesk.cli.main import main
from tests.unit.review_snapshot import PASSPHRASE, coordinator, make_snapshot


def test_export_writes_no_temporary_file_outside_home(tmp_path, monkeypatch, capsys):
    snap, home, pfile = tmp_path / "E01.qbsnap", tmp_path / "home", tmp_path / "pp.txt"
    make_snapshot(snap, coordinator())
    pfile.write_text(PASSPHRASE, encoding="utf-8")
    assert main(["review", "open", str(snap), "--home", str(home), "--passphrase-file", str(pfile)]) == 0

    watched = tmp_path / "tmpdir"
    watched.mkdir()
    monkeypatch.setenv("TMPDIR", str(watched))
    monkeypatch.setattr(tempfile, "tempdir", None)  # so that tempfile reads TMPDIR afresh
    made: list[Path] = []
    seen_in_tmpdir: list[list[str]] = []
    real = ws_writer.create_temporary_file

    def watching(*args, **kwargs):
        name = real(*args, **kwargs)
        made.append(Path(name))
        seen_in_tmpdir.append(sorted(p.name for p in watched.iterdir()))
        return name

    monkeypatch.setattr(ws_writer, "create_temporary_file", watching)
    out = tmp_path / "scores.xlsx"
    assert main(["--lang", "en", "review", "sheet", "export", "--home", str(home), "--passphrase-file", str(pfile),
                 "--out", str(out)]) == 0, capsys.readouterr()
    assert out.exists() and made, "openpyxl made no temporary file: the watch saw nothing"
    assert all(p.resolve().is_relative_to(home.resolve()) for p in made), made
    assert seen_in_tmpdir == [[]] * len(made) and list(watched.iterdir()) == []
    assert not any(p.exists() for p in made)  # removed afterwards
    assert sorted(p.name for p in home.iterdir() if p.name.startswith(".sheet-")) == []  # and its folder
    assert tempfile.gettempdir() == str(watched)  # the process-wide default is restored
