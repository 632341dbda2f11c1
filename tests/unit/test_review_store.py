"""The reviewer's store: one journal record per change, compaction, crashes, damage, old states,
private notes, finalised / reopened, and purging HOME."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pyrage
import pytest
from review_snapshot import PASSPHRASE, complete, coordinator, make_snapshot

from qbdesk.domain.rubric import canonical_json
from qbdesk.formats import scorefile as sf
from qbdesk.formats.sheet import export_sheet
from qbdesk.services.reviewer import ReviewWorkspace, WorkspaceError, open_snapshot
from qbdesk.services.reviewer import store as store_module
from qbdesk.services.reviewer.journal import JOURNAL_FILE, split
from qbdesk.services.reviewer.purge import kept, purge, purge_plan
from qbdesk.services.reviewer.state import STATE_FILE

P3, P8, P3B = "K7Q2M", "01234", "ZX9DA"
NOTE = "私人笔记：第二张证书的有效期需要再核对一次"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    coord = coordinator()
    make_snapshot(root / "s.qbsnap", coord)
    open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1).close()
    return root, coord


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def home(made, tmp_path):
    root, _ = made
    shutil.copytree(root / "home", tmp_path / "home")
    return tmp_path / "home"


@pytest.fixture
def coord(made):
    return made[1]


def load(home):
    return ReviewWorkspace.load(home, PASSPHRASE, clock=Clock())


def files(home) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.iterdir())}


def records(home) -> list[bytes]:
    return split((home / JOURNAL_FILE).read_bytes())[0]


def corrupt(home, fragment: str = "") -> WorkspaceError:
    before = files(home)
    with pytest.raises(WorkspaceError) as e:
        load(home)
    assert e.value.code == "corrupt_state" and "never reset" in e.value.msg.en and "不会自动重置" in e.value.msg.zh
    assert fragment in e.value.msg.en
    assert files(home) == before  # reported, never replaced
    return e.value


# --- one record per change ---------------------------------------------------------------------


def test_each_change_is_one_journal_record_and_the_base_is_not_rewritten(home):
    base = (home / STATE_FILE).read_bytes()
    with load(home) as ws:
        assert ws.saved_generation == 0
        ws.set_value(P3, "coverage", 12)
        assert ws.saved_generation == 1 and len(records(home)) == 1
        assert not ws.set_value(P3, "coverage", 12)  # no change: nothing written
        with pytest.raises(WorkspaceError):
            ws.set_value(P3, "coverage", 99)
        assert ws.saved_generation == 1 and len(records(home)) == 1
        ws.recuse(P8, "曾为该单位提供咨询")
        ws.set_note(P3B, NOTE)
        ws.declare(True, "无")
        assert ws.saved_generation == 4 and len(records(home)) == 4
        log = ws.edit_log
    assert (home / STATE_FILE).read_bytes() == base
    for body in records(home):
        assert body.startswith(b"age-encryption.org/v1\n")
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 12 and ws.recusals == {P8: "曾为该单位提供咨询"}
        assert ws.note(P3B) == NOTE and ws.declaration.accepted and ws.edit_log == log


def test_compaction_folds_the_journal_into_a_new_base(home, monkeypatch):
    monkeypatch.setattr(store_module, "COMPACT_EVERY", 3)
    with load(home) as ws:
        for v in (10, 11, 12):
            ws.set_value(P3, "coverage", v)
        assert len(records(home)) == 3
        base = (home / STATE_FILE).read_bytes()
        ws.set_value(P3, "coverage", 13)  # the 4th change writes a new base instead
        assert (home / STATE_FILE).read_bytes() != base and records(home) == []
        ws.set_value(P3, "coverage", 14)
        assert len(records(home)) == 1
        log = ws.edit_log
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 14 and ws.edit_log == log and len(log) == 5


def test_compact_at_an_idle_moment(home):
    with load(home) as ws:
        ws.set_value(P3, "coverage", 10)
        ws.set_note(P3, NOTE)
        assert ws.journal_records == 2
        generation = ws.saved_generation
        ws.compact()
        assert ws.journal_records == 0 and records(home) == [] and ws.saved_generation == generation + 1
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 10 and ws.note(P3) == NOTE and len(ws.edit_log) == 1


def test_a_crash_between_the_new_base_and_emptying_the_journal_applies_nothing_twice(home, monkeypatch):
    monkeypatch.setattr(store_module, "COMPACT_EVERY", 2)
    with load(home) as ws:
        ws.set_value(P3, "coverage", 10)
        ws.set_value(P3, "maintenance", 11)
        kept_journal = (home / JOURNAL_FILE).read_bytes()

        def crash(fd):
            raise SystemExit("killed after the rename")  # the process dies here

        monkeypatch.setattr(store_module.JournalWriter, "empty", staticmethod(crash))
        with pytest.raises(SystemExit):
            ws.set_value(P3, "coverage", 12)
    monkeypatch.undo()
    assert (home / JOURNAL_FILE).read_bytes() == kept_journal  # the old records are still there
    with load(home) as ws:  # … and recognised as already in the base
        assert ws.value(P3, "coverage") == 12 and ws.value(P3, "maintenance") == 11 and len(ws.edit_log) == 3
        ws.set_value(P3, "coverage", 13)  # the stale records are cut before the next append
        assert len(records(home)) == 1
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 13 and len(ws.edit_log) == 4
        assert sf.check_edit_log(ws.edit_log) is None


def test_a_crash_before_the_new_base_is_renamed_in_loses_nothing_saved(home, monkeypatch):
    monkeypatch.setattr(store_module, "COMPACT_EVERY", 2)
    with load(home) as ws:
        ws.set_value(P3, "coverage", 10)
        ws.set_value(P3, "maintenance", 11)

        def crash(*a, **k):
            raise SystemExit("killed while writing the new base")

        monkeypatch.setattr(store_module, "atomic_write", crash)
        with pytest.raises(SystemExit):
            ws.set_value(P3, "coverage", 12)  # never reported saved
    monkeypatch.undo()
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 10 and ws.value(P3, "maintenance") == 11 and len(ws.edit_log) == 2


@pytest.mark.parametrize("tail", ["half", "length-only", "zeros"])
def test_a_torn_last_record_is_dropped_and_cut_before_the_next_append(home, tail):
    with load(home) as ws:
        ws.set_value(P3, "coverage", 10)
        ws.set_value(P3, "maintenance", 11)
    data = (home / JOURNAL_FILE).read_bytes()
    last = records(home)[-1]
    whole = data[: len(data) - len(last) - 4]
    torn = {"half": data[len(whole): len(whole) + 4 + len(last) // 2], "length-only": data[len(whole): len(whole) + 3],
            "zeros": b"\0" * (4 + len(last))}[tail]
    (home / JOURNAL_FILE).write_bytes(whole + torn)  # the crash cut the second append short
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 10 and ws.value(P3, "maintenance") is None and len(ws.edit_log) == 1
        ws.set_value(P3, "eligibility", True)
    assert len(records(home)) == 2
    with load(home) as ws:
        assert ws.value(P3, "eligibility") is True and len(ws.edit_log) == 2


def _frames(home) -> list[bytes]:
    bodies = records(home)
    return [len(b).to_bytes(4, "big") + b for b in bodies]


@pytest.mark.parametrize("damage, fragment", [
    ("flip", "cannot be decrypted"),
    ("drop", "out of sequence"),
    ("repeat", "out of sequence"),
    ("swap", "out of sequence"),
    ("length", "wrong length"),
    ("garbage-tail", "wrong length"),
])
def test_any_other_damage_to_the_journal_is_reported_never_replaced(home, damage, fragment):
    with load(home) as ws:
        for v in (10, 11, 12):
            ws.set_value(P3, "coverage", v)
    f = _frames(home)
    if damage == "flip":
        middle = bytearray(f[1])
        middle[len(middle) // 2] ^= 1
        f[1] = bytes(middle)
    elif damage == "drop":
        del f[1]
    elif damage == "repeat":
        f.insert(2, f[1])
    elif damage == "swap":
        f[1], f[2] = f[2], f[1]
    elif damage == "length":  # a length damaged into a larger number, whole records behind it: not a crash
        f[1] = (len(f[1]) + 100).to_bytes(4, "big") + f[1][4:]
    else:
        f.append(b"\x00\x00\x00\x05hello")
    (home / JOURNAL_FILE).write_bytes(b"".join(f))
    corrupt(home, fragment)


def test_a_journal_from_another_workspace_is_refused(home, tmp_path, made):
    root, _ = made
    other = tmp_path / "other"
    shutil.copytree(root / "home", other)
    with load(other) as ws:  # the same snapshot, another day's base
        ws.set_value(P3, "maintenance", 9)
    with load(home) as ws:
        ws.declare(True)  # the bases differ from here on
        ws._file.compact(ws._state)
    shutil.copy(other / JOURNAL_FILE, home / JOURNAL_FILE)
    corrupt(home, JOURNAL_FILE)


# --- the old single-file state ------------------------------------------------------------------


def test_an_old_single_file_state_is_migrated_on_open(home):
    with load(home) as ws:
        ws.set_value(P3, "coverage", 7)
        ws.recuse(P8, "亲属任职")
        old = {k: v for k, v in ws._state.items() if k not in ("notes", "finalised")}
        recipient = pyrage.ssh.Recipient.from_str(ws.manifest.identity_public_key)
        log = ws.edit_log
    old["format"] = "qbdesk.review-state/1"
    (home / STATE_FILE).write_bytes(pyrage.encrypt(canonical_json(old), [recipient]))
    (home / JOURNAL_FILE).unlink()  # as qbdesk wrote it before the journal existed
    before = (home / STATE_FILE).read_bytes()
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 7 and ws.recusals == {P8: "亲属任职"} and ws.edit_log == log
        assert ws.note(P3) == "" and not ws.finalised
        ws.set_value(P3, "coverage", 8)
    assert (home / STATE_FILE).read_bytes() != before  # rewritten as a /2 base
    with load(home) as ws:
        assert ws.value(P3, "coverage") == 8 and len(ws.edit_log) == len(log) + 1


# --- notes, finalised, reopen -------------------------------------------------------------------


def test_notes_are_private_encrypted_and_never_in_the_score_file(home, tmp_path, coord):
    with load(home) as ws:
        ws.set_note(P3, NOTE)
        assert ws.note(P3) == NOTE and ws.note(P8) == ""
        with pytest.raises(WorkspaceError) as e:
            ws.set_note("NOPE1", "x")
        assert e.value.code == "unknown_application"
        with pytest.raises(WorkspaceError) as e:
            ws.set_note(P3, "长" * 100_001)
        assert e.value.code == "invalid_input" and e.value.msg.zh
        assert ws.edit_log == []  # a note is not an edit
        complete(ws)
        ws.declare(True)
        result = ws.finalize(tmp_path / "E01.qbscore")
    for data in files(home).values():
        assert NOTE.encode() not in data and "私人笔记".encode() not in data
    payload = sf.read_score_file(result.path, receiving_identity=coord.receiving_identity)
    assert "私人笔记" not in payload.raw.decode("utf-8") and "notes" not in payload.data
    with load(home) as ws:  # nor in the offline score sheet, the other thing that leaves the workspace
        export_sheet(ws, tmp_path / "sheet.csv")
    assert "私人笔记" not in (tmp_path / "sheet.csv").read_text("utf-8-sig")
    with load(home) as ws:
        assert ws.note(P3) == NOTE
        ws.set_note(P3, "")
        assert ws.note(P3) == ""
    with load(home) as ws:
        assert ws.note(P3) == ""


def test_finalised_until_a_change_and_reopened_for_correction(home, tmp_path, coord):
    with load(home) as ws:
        complete(ws)
        ws.declare(True)
        assert not ws.finalised
        with pytest.raises(WorkspaceError) as e:
            ws.reopen_for_correction()
        assert e.value.code == "not_finalised" and "nothing to reopen" in e.value.msg.en and e.value.msg.zh
        first = ws.finalize(tmp_path / "1.qbscore")
        assert ws.finalised and first.sequence == 1
        ws.set_note(P3, NOTE)  # private: still finalised
        assert ws.finalised
    with load(home) as ws:
        assert ws.finalised
        ws.reopen_for_correction()
        assert not ws.finalised
        entry = ws.edit_log[-1]
        assert (entry["application"], entry["criterion"], entry["value"]) == ("*", "reopen", 1)
        ws.set_value(P3, "coverage", 14)
        second = ws.finalize(tmp_path / "2.qbscore")
        assert second.sequence == 2 and ws.finalised
        ws.set_value(P3, "coverage", 16)  # a change after finalising (the CLI allows it): no longer finalised
        assert not ws.finalised
    payload = sf.read_score_file(second.path, receiving_identity=coord.receiving_identity)
    assert payload.data["sequence"] == 2 and sf.check_edit_log(payload.data["edit_log"]) is None
    assert [e["criterion"] for e in payload.data["edit_log"]].count("reopen") == 1


# --- purge --------------------------------------------------------------------------------------


def test_purge_removes_exactly_what_qbdesk_made(home):
    with load(home) as ws:
        ws.set_note(P3, NOTE)
    (home / ".state.age.x1y2.tmp").write_bytes(b"left by a crash")
    plan = purge_plan(home)
    assert [p.name for p in plan] == [".state.age.x1y2.tmp", "snapshot.qbsnap", "expert.key", "state.age",
                                      JOURNAL_FILE, "workspace.json", home.name]
    assert ReviewWorkspace.is_workspace(home)
    assert purge(home) == plan and not home.exists() and not ReviewWorkspace.is_workspace(home)


def test_purge_leaves_a_strangers_file_and_the_folder(home):
    (home / "我的简历.docx").write_bytes(b"not qbdesk's")
    (home / "photos").mkdir()
    assert [p.name for p in kept(home)] == ["photos", "我的简历.docx"]
    plan = purge_plan(home)
    assert home not in plan and {p.name for p in plan} == {"snapshot.qbsnap", "expert.key", "state.age", JOURNAL_FILE,
                                                           "workspace.json"}
    purge(home)
    assert sorted(p.name for p in home.iterdir()) == ["photos", "我的简历.docx"]


def test_purge_refuses_a_folder_that_is_not_a_workspace(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "state.age").write_bytes(b"someone else's")
    (folder / "workspace.json").write_text(json.dumps({"format": "something else"}), "utf-8")
    for call in (purge_plan, purge):
        with pytest.raises(WorkspaceError) as e:
            call(folder)
        assert e.value.code == "not_a_workspace" and "nothing was removed" in e.value.msg.en and e.value.msg.zh
    assert sorted(p.name for p in folder.iterdir()) == ["state.age", "workspace.json"]
    assert not ReviewWorkspace.is_workspace(folder) and not ReviewWorkspace.is_workspace(tmp_path / "nowhere")


@pytest.mark.parametrize("put, log, fragment", [
    ([[["values", P3], 5], [["values", P3, "coverage"], 1]], [], "a path leads through a value"),
    ([[["values", P3], {"coverage": [1, 2]}]], [], f"values.{P3}.coverage is malformed"),
    ([[["notes", P3], 7]], [], "notes is malformed"),
    ([], [{"seq": 1, "application": P3}], "edit_log[0]"),
], ids=["through-a-value", "bad-value", "bad-note", "broken-chain"])
def test_a_record_sealed_properly_around_nonsense_is_refused(home, put, log, fragment):
    """The snapshot identity's public key is in the manifest: anyone can seal a record to it."""
    with load(home) as ws:
        recipient = pyrage.ssh.Recipient.from_str(ws.manifest.identity_public_key)
        base = pyrage.decrypt((home / STATE_FILE).read_bytes(), [ws._reader.identity])
        epoch = json.loads(base)["store"]["epoch"]
    import hashlib

    record = {"epoch": epoch, "n": 1, "prev": hashlib.sha256(base).hexdigest(), "put": put, "drop": [], "log": log}
    body = pyrage.encrypt(canonical_json(record), [recipient])
    (home / JOURNAL_FILE).write_bytes(len(body).to_bytes(4, "big") + body)
    corrupt(home, fragment)
