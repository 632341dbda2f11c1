"""The Chinese catalogue is complete, in step with the code, and its .qm is built."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qbdesk.paths import project_root, resource_path

TS = resource_path("translations", "qbdesk_zh_CN.ts")
QM = resource_path("translations", "qbdesk_zh_CN.qm")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} not installed (it comes with PySide6-Essentials)")
        return found
    return str(path)


def _messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts).getroot()
    return {(ctx.findtext("name"), msg.findtext("source")): msg.find("translation")
            for ctx in root.iter("context") for msg in ctx.iter("message")}


def test_every_message_is_translated():
    messages = _messages(TS)
    assert len(messages) > 30
    for (context, source), translation in messages.items():
        assert translation.get("type") is None, f"{context}: {source!r} is {translation.get('type')}"
        assert translation.text, f"{context}: {source!r} has no translation"


def test_translations_keep_placeholders_and_mnemonics():
    for (context, source), translation in _messages(TS).items():
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation.text)), (context, source)
        assert ("&" in source.replace("&&", "")) == ("&" in translation.text.replace("&&", "")), (context, source)


def test_catalogue_is_in_step_with_the_code(tmp_path):
    """Every string in the code is in the .ts, and the .ts holds none the code dropped."""
    fresh = tmp_path / "fresh.ts"
    shutil.copyfile(TS, fresh)
    sources = sorted(str(p) for p in (project_root() / "qbdesk" / "gui").rglob("*.py"))
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-ts", str(fresh), "-no-obsolete", "-locations", "none"],
                   check=True, capture_output=True, timeout=60)
    assert set(_messages(fresh)) == set(_messages(TS)), (
        "UI strings changed: run pyside6-lupdate (see qbdesk/gui/i18n.py) and translate the new ones")


def test_committed_qm_matches_the_ts(tmp_path):
    built = tmp_path / "built.qm"
    subprocess.run([_tool("pyside6-lrelease"), str(TS), "-qm", str(built)], check=True, capture_output=True,
                   timeout=60)
    assert QM.read_bytes() == built.read_bytes(), "rebuild the .qm with pyside6-lrelease (see qbdesk/gui/i18n.py)"


@pytest.mark.gui
def test_languages_switch(qapp):
    from PySide6.QtCore import QCoreApplication

    from qbdesk.domain.messages import QbdeskError
    from qbdesk.gui import i18n

    try:
        assert i18n.install(qapp, "zh_CN") == "zh"
        assert QCoreApplication.translate("ApplicationTableModel", "Requested") == "申请金额"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"  # Qt's own catalogue too
        assert i18n.install(qapp, "en-US") == "en" and i18n.current_language() == "en"
        assert QCoreApplication.translate("ApplicationTableModel", "Requested") == "Requested"
        with pytest.raises(QbdeskError) as err:
            i18n.install(qapp, "fr")
        assert "fr" in err.value.text("en") and "不支持" in err.value.text("zh")
    finally:
        i18n.install(qapp, "zh")
