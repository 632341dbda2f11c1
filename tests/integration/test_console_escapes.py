"""Nothing printed can carry a terminal control sequence (issue 7, item 11).

An applicant's name, a JSON key and a snapshot's round name come from files; ``ESC[8m`` in them
would make the terminal hide what follows, e.g. the real fingerprint and digest lines behind a
fake pair. The CLI's one output layer shows every control character as a visible escape.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from qbdesk.cli.main import main
from qbdesk.cli.output import Console, escape_controls
from qbdesk.domain.credit_code import generate
from qbdesk.formats.package import FORMAT, write_package
from tests.unit.review_snapshot import PASSPHRASE, coordinator, make_snapshot

HIDE = "\x1b[8m"  # "concealed": what follows is invisible on most terminals
SHOWN = "\\x1b[8m"


def pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(200, 200), invariant=1)
    c.drawString(20, 100, "blind")
    c.showPage()
    c.save()
    return buf.getvalue()


def package(path: Path, pid: str, *, name: str, extra: dict | None = None) -> Path:
    m = {"format": FORMAT, "id": pid, "program": "P3", "year": 2026,
         "applicant": {"name": name, "credit_code": generate(random.Random(4)), "contact": "张三",
                       "phone": "0755-12345678", "address": "深圳市南山区"},
         "title": "绿色产品认证", "requested_amount": 150000, "summary": "摘要",
         "items": [{"id": "C1", "kind": "certificate", "title": "证书", "reference": "X-1"}],
         "attachments": [{"file": "a.pdf", "title": "技术方案", "blind": True}], **(extra or {})}
    return write_package(path, m, {"a.pdf": pdf()})


def qbdesk(*argv, cwd: Path) -> subprocess.CompletedProcess:
    """The real command, its bytes as a terminal would receive them."""
    return subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "--lang", "en", *map(str, argv)],
                          capture_output=True, cwd=cwd, timeout=120)


def test_applicant_name_and_json_keys_are_escaped_by_import_and_verify(tmp_path):
    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    assert main(["round", "init", "--db", url, "--name", "2026年第一批", "--year", "2026"]) == 0
    named = package(tmp_path / "named", "2026-P3-0001", name=f"深圳市{HIDE}峻岭纺织有限公司")
    keyed = package(tmp_path / "keyed", "2026-P3-0002", name="深圳市某某科技有限公司", extra={f"note{HIDE}": 1})
    for argv in (("applications", "import", "--db", url, named, keyed), ("verify", named), ("verify", keyed)):
        done = qbdesk(*argv, cwd=tmp_path)
        raw = done.stdout + done.stderr
        assert b"\x1b" not in raw, (argv, raw)
        assert SHOWN.encode() in raw, (argv, raw)


def test_round_name_of_a_snapshot_is_escaped_by_verify_and_review_open(tmp_path):
    fake = f"2026年第一批{HIDE}\n  coordinator key fingerprint: SHA256:FAKE"
    snap = tmp_path / "E01.qbsnap"
    make_snapshot(snap, coordinator(), round_name=fake)
    pfile = tmp_path / "pp.txt"
    pfile.write_text(PASSPHRASE, encoding="utf-8")
    for argv in (("verify", snap), ("review", "open", snap, "--home", tmp_path / "home", "--passphrase-file", pfile)):
        done = qbdesk(*argv, cwd=tmp_path)
        raw = done.stdout + done.stderr
        assert done.returncode in (0, 1) and b"Traceback" not in raw, raw
        assert b"\x1b" not in raw and SHOWN.encode() in raw, (argv, raw)


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\r", "\x7f", "\x9b", "\u202e", "\u2066", "\u2069", "\x00",
                                  "\udcff", "\ud800"])  # lone surrogates: a file name that is not UTF-8
def test_every_control_character_is_shown_not_sent(char):
    out, err = io.StringIO(), io.StringIO()
    con = Console("en", out=out, err=err)
    con.say(f"a{char}b")
    con.error(f"c{char}d")
    print(f"e{char}f", file=con.err)  # a command printing to the console's stream directly
    text = out.getvalue() + err.getvalue()
    assert char not in text
    assert escape_controls(char) in text and escape_controls(char).startswith("\\")


def test_a_file_name_that_is_not_utf8_shows_its_bytes():
    import os

    assert escape_controls(os.fsdecode(b"\xc3\xfb\xb5\xa5.csv")) == "\\xc3\\xfb\\xb5\\xa5.csv"


def test_newlines_tabs_and_chinese_pass_unchanged():
    assert escape_controls("评审\t第一批\n下一行") == "评审\t第一批\n下一行"


def test_progress_labels_are_escaped_but_its_own_carriage_return_stays():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    con = Console("en", err=err)
    con.progress(1, 2, f"pkg{HIDE}")
    assert err.getvalue().startswith("\r[") and "\x1b" not in err.getvalue() and SHOWN in err.getvalue()
