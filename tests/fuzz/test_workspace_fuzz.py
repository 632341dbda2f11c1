"""Fuzz the reviewer's files in HOME: a damaged workspace.json or working state ends in a WorkspaceError.

workspace.json is clear text anyone can edit. state.age is encrypted to the snapshot identity's
public key, which the manifest carries, so a tool (or a bug) can write any JSON there; whatever
its shape check lets through must then be safe for every reader of the workspace.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pyrage
import pytest
from fuzzing import apply_changes, changes_to, fuzz, mutate, mutations, put
from hypothesis import given
from hypothesis import strategies as st
from review_snapshot import PASSPHRASE, complete, coordinator, make_snapshot

from qbdesk.formats.sheet import export_sheet
from qbdesk.services.reviewer import ReviewWorkspace, WorkspaceError, open_snapshot
from qbdesk.services.reviewer.journal import JOURNAL_FILE
from qbdesk.services.reviewer.state import STATE_FILE, WORKSPACE_FILE, read_workspace_record

P3 = "K7Q2M"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A workspace with values, a recusal and the declaration entered; its files kept to restore."""
    root = tmp_path_factory.mktemp("workspace")
    make_snapshot(root / "s.qbsnap", coordinator())
    with open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1) as ws:
        complete(ws, skip=("ZX9DA",))
        ws.recuse("ZX9DA", "亲属在该单位任职")
        ws.declare(True, "无")
        ws.set_value(P3, "coverage", None)
    return root / "home"


class Quiet(dict):
    """A fixture's dict that a failing example does not print in full (state.age is 5 kB of ciphertext)."""

    def __repr__(self) -> str:
        return f"<{len(self)} entries>"


@pytest.fixture(scope="module")
def originals(home) -> dict[str, bytes]:
    return Quiet({name: (home / name).read_bytes() for name in (WORKSPACE_FILE, STATE_FILE, JOURNAL_FILE)})


@pytest.fixture(scope="module")
def record(originals) -> dict:
    return Quiet(json.loads(originals[WORKSPACE_FILE]))


@pytest.fixture(scope="module")
def state(home) -> dict:
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        return Quiet(ws._state)  # the decrypted working state, as the workspace holds it


def restored(home: Path, originals: dict[str, bytes]) -> None:
    for name, data in originals.items():
        (home / name).write_bytes(data)


def use(home: Path) -> None:
    """Everything the GUI and CLI read of a workspace; only WorkspaceError may stop it."""
    try:
        with ReviewWorkspace.load(home, PASSPHRASE) as ws:
            ws.missing()
            ws.progress()
            for app in ws.applications:
                ws.values(app.code)
                ws.comments(app.code)
                for c in ws.rubric(app.code).criteria:
                    ws.value(app.code, c.id)
                    ws.comment(app.code, c.id)
            assert None not in (ws.recusals, ws.declaration, ws.edit_log, ws.sequence, ws.exports)
            export_sheet(ws, home.parent / "sheet.csv")
            ws.set_value(P3, "coverage", 10)
            ws.finalize(home.parent / "out.qbscore")
    except WorkspaceError as e:
        assert e.code and e.msg.zh and e.msg.en


def test_the_unmutated_workspace_can_be_finalised(home, originals):
    use(home)
    assert (home.parent / "out.qbscore").exists()
    restored(home, originals)


@fuzz(60)
@given(st.binary(max_size=512) | mutations)
def test_damaged_workspace_json_bytes(home, originals, damage):
    raw = damage if isinstance(damage, bytes) else mutate(originals[WORKSPACE_FILE], damage)
    (home / WORKSPACE_FILE).write_bytes(raw)
    try:
        try:
            read_workspace_record(home)
        except WorkspaceError as e:
            assert e.code == "not_a_workspace" and e.msg.zh and e.msg.en
        use(home)
    finally:
        restored(home, originals)


@fuzz(60)
@given(st.data())
def test_workspace_json_with_wrong_values(home, originals, record, data):
    changed = copy.deepcopy(record)
    apply_changes(changed, data.draw(changes_to(record)))
    (home / WORKSPACE_FILE).write_text(json.dumps(changed), "utf-8")
    try:
        use(home)
    finally:
        restored(home, originals)


@fuzz(80)
@given(st.data())
def test_state_with_wrong_values(home, originals, state, data):
    """A state.age sealed properly around JSON whose fields hold anything."""
    changed = copy.deepcopy(state)
    apply_changes(changed, data.draw(changes_to(state)))
    sealed_state(home, changed)
    try:
        use(home)
    finally:
        restored(home, originals)


# --- what the fuzz found: each case once, plainly -------------------------------------------------


def refused(home: Path, originals, code: str, en: str) -> None:
    try:
        with pytest.raises(WorkspaceError) as e:
            ReviewWorkspace.load(home, PASSPHRASE)
        assert e.value.code == code and en in e.value.msg.en and e.value.msg.zh
    finally:
        restored(home, originals)


@pytest.mark.parametrize("key", ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==", "ssh-rsa AAAAB3Nza", ""])
def test_workspace_json_with_a_damaged_expert_key(home, originals, record, key):
    """keys.KeyFileError escaped ReviewWorkspace.load, which raises WorkspaceError only."""
    (home / WORKSPACE_FILE).write_text(json.dumps({**record, "expert_key": key}), "utf-8")
    refused(home, originals, "not_a_workspace", "is damaged or not a qbdesk workspace record")


def test_workspace_json_with_a_lone_surrogate(home, originals, record):
    """Loaded fine; finalize then wrote the record back and raised UnicodeEncodeError."""
    (home / WORKSPACE_FILE).write_text(json.dumps({**record, "round": "\ud800"}), "utf-8")
    refused(home, originals, "not_a_workspace", "is damaged or not a qbdesk workspace record")


def sealed_state(home: Path, state: dict) -> None:
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        recipient = pyrage.ssh.Recipient.from_str(ws.manifest.identity_public_key)
    (home / STATE_FILE).write_bytes(pyrage.encrypt(json.dumps(state).encode(), [recipient]))
    (home / JOURNAL_FILE).write_bytes(b"")  # the journal's records belong to the base they follow


@pytest.mark.parametrize("where, value, en", [
    # export_sheet and finalize raised KeyError on a decision without "accepted"
    (("values", P3, "certificates", "C1"), {"reason": ""}, f"values.{P3}.certificates is malformed"),
    # missing() raised TypeError: an items criterion holding a plain value
    (("values", P3, "certificates"), 5, f"values.{P3}.certificates is malformed"),
    # missing() raised OverflowError in math.isfinite
    (("values", P3, "maintenance"), 10**400, f"values.{P3}.maintenance is malformed"),
    # the next save raised ValueError (NaN) or UnicodeEncodeError (a lone surrogate)
    (("values", P3, "maintenance"), float("nan"), "not valid JSON"),
    (("comments", P3), {"maintenance": "\ud800"}, "not valid JSON"),
    # qbdesk review status raised KeyError on the last export's "digest"
    (("exports",), [{"sequence": 1}], "exports is malformed"),
], ids=["decision", "items-as-plain", "huge", "nan", "surrogate", "export"])
def test_state_the_workspace_cannot_use(home, originals, state, where, value, en):
    changed = copy.deepcopy(state)
    put(changed, where, value)
    sealed_state(home, changed)
    refused(home, originals, "corrupt_state", en)
