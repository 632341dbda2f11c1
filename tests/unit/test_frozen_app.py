"""The frozen laptop app: its entry point opens the expert's window by default, finds its resources
under PyInstaller's folder, and refuses a coordinator command whose library it leaves out, clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qbdesk import paths
from qbdesk.cli import frozen
from qbdesk.cli.frozen import frozen_argv


@pytest.mark.parametrize("argv,expected", [
    ([], ["review", "gui"]),
    (["--lang", "en"], ["--lang", "en", "review", "gui"]),
    (["--lang=en"], ["--lang=en", "review", "gui"]),
    (["/media/usb/R1-E01.qbsnap"], ["review", "gui", "/media/usb/R1-E01.qbsnap"]),
    (["--lang", "en", "--home", "/w"], ["--lang", "en", "review", "gui", "--home", "/w"]),
    (["selftest", "--json"], ["selftest", "--json"]),
    (["--lang", "en", "selftest"], ["--lang", "en", "selftest"]),
    (["review", "status", "--home", "/w"], ["review", "status", "--home", "/w"]),
    (["--version"], ["--version"]),
    (["--help"], ["--help"]),
])
def test_no_command_means_the_experts_window(argv, expected):
    assert frozen_argv(argv) == expected


def test_the_entry_runs_the_command_line(capsys):
    with pytest.raises(SystemExit) as e:
        frozen.run(["--lang", "en", "--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip().startswith("qbdesk ")


@pytest.mark.parametrize("lang,text", [
    ("en", "the laptop app leaves out pikepdf, which this command needs"),
    ("zh", "笔记本版 qbdesk 不包含这个命令所需的 pikepdf"),
])
def test_a_command_needing_a_left_out_library_says_so(monkeypatch, capsys, lang, text):
    def needs_pikepdf(argv):
        from qbdesk.cli import lang as lang_module

        lang_module.install(lang)
        raise ModuleNotFoundError("No module named 'pikepdf'", name="pikepdf")

    monkeypatch.setattr(frozen, "main", needs_pikepdf)
    assert frozen.run(["leaks", "scan"]) == 1
    out, err = capsys.readouterr()
    assert text in err and "Traceback" not in err and out == ""


def test_any_other_missing_module_is_not_hidden(monkeypatch):
    def broken(argv):
        raise ModuleNotFoundError("No module named 'sqlalchemy'", name="sqlalchemy")

    monkeypatch.setattr(frozen, "main", broken)
    with pytest.raises(ModuleNotFoundError):
        frozen.run([])


def test_resources_and_migrations_are_found_under_the_bundle_when_frozen(monkeypatch, tmp_path):
    bundle = tmp_path / "_internal"
    (bundle / "resources" / "rubrics").mkdir(parents=True)
    (bundle / "db" / "versions").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert paths.resource_path("rubrics", "P1.json") == bundle / "resources" / "rubrics" / "P1.json"
    assert paths.resource_path("selftest") == bundle / "resources" / "selftest"
    assert paths.migrations_path() == bundle / "db"


def test_from_a_checkout_resources_are_the_repositorys():
    root = Path(__file__).resolve().parents[2]
    assert not getattr(sys, "frozen", False)
    assert paths.resource_path("programs.json") == root / "resources" / "programs.json"
    assert (paths.resource_path("selftest") / "selftest.qbsnap").is_file()


def test_the_bundled_snapshot_is_test_only_and_names_no_one():
    """The fixture is marked TEST-ONLY where a person would look (round name, expert) and carries no
    applicant identity: no organisation name, credit code, phone or person of the demo round."""
    import json
    import re

    from qbdesk.formats.snapshot import SnapshotReader
    from qbdesk.services.selftest import COORDINATOR_FILE, EXPERT_ID, PASSPHRASE_FILE, SNAPSHOT_FILE, TEST_ONLY

    folder = paths.resource_path("selftest")
    passphrase = (folder / PASSPHRASE_FILE).read_text("utf-8").strip()
    with SnapshotReader(folder / SNAPSHOT_FILE, passphrase) as reader:
        manifest, meta = reader.manifest, reader.meta
    assert manifest.round_name.startswith("TEST-ONLY") and manifest.expert_id == EXPERT_ID
    assert meta["expert"]["name"].startswith("TEST-ONLY") and meta["round"]["name"].startswith("TEST-ONLY")
    text = json.dumps(meta, ensure_ascii=False)
    assert not re.search(r"有限公司|股份|研究院|大学|[0-9A-HJ-NPQRTUWXY]{18}|1[3-9]\d{9}|0755-?\d{8}", text)
    assert json.loads((folder / COORDINATOR_FILE).read_text("utf-8"))["test_only"] == TEST_ONLY


def test_the_experts_path_needs_none_of_what_the_laptop_app_leaves_out():
    """Everything the expert's window and commands import, imported in a fresh interpreter, loads
    none of LAPTOP_LEAVES_OUT: else the laptop app would break where CI's build is the first to see it."""
    code = """
import importlib, pkgutil, sys
import qbdesk.gui
names = ["qbdesk.cli.main", "qbdesk.cli.cmd_review", "qbdesk.cli.cmd_selftest", "qbdesk.services.reviewer",
         "qbdesk.services.selftest", "qbdesk.formats.sheet", "qbdesk.formats.scorefile", "qbdesk.reports.slips",
         "qbdesk.gui.app", "qbdesk.gui.selftest_probe"]
try:
    import qbdesk.gui.review as review
    names += [m.name for m in pkgutil.walk_packages(review.__path__, "qbdesk.gui.review.")]
except ImportError:
    pass
for name in names:
    importlib.import_module(name)
from qbdesk.cli.frozen import LAPTOP_LEAVES_OUT
print(sorted(m for m in LAPTOP_LEAVES_OUT if m in sys.modules))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout
