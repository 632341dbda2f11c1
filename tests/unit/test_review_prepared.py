"""The workspace load begun early (``PreparedLoad``) and the two key unwraps of every load side by side."""

from __future__ import annotations

import threading

import pytest

from qbdesk.services.reviewer import ReviewWorkspace, WorkspaceError, open_snapshot
from qbdesk.services.reviewer.prepared import PreparedLoad
from tests.unit.review_snapshot import PASSPHRASE, coordinator, make_snapshot


@pytest.fixture
def home(tmp_path):
    make_snapshot(tmp_path / "E01.qbsnap", coordinator())
    open_snapshot(tmp_path / "E01.qbsnap", tmp_path / "home", PASSPHRASE, kdf_rounds=1).close()
    return tmp_path / "home"


def _files(home):
    return {p.name: p.read_bytes() for p in sorted(home.iterdir())}


def test_the_prepared_load_is_the_workspace_load(home):
    prepared = PreparedLoad(home, PASSPHRASE)
    ws = prepared.take()
    try:
        with ReviewWorkspace.load(home, PASSPHRASE) as direct:
            assert [a.code for a in ws.applications] == [a.code for a in direct.applications]
            assert ws.expert_fingerprint == direct.expert_fingerprint and ws.snapshot_digest == direct.snapshot_digest
        ws.declare(True)  # a working workspace: it saves
    finally:
        ws.close()
    with pytest.raises(RuntimeError):
        prepared.take()
    prepared.discard()  # taken: nothing more to close
    with ReviewWorkspace.load(home, PASSPHRASE) as again:
        assert again.declaration.accepted


def test_a_wrong_passphrase_fails_when_taken_and_writes_nothing(home):
    before = _files(home)
    prepared = PreparedLoad(home, "WRONG-WRONG-WRONG-WRONG")
    with pytest.raises(WorkspaceError) as e:
        prepared.take()
    assert e.value.code == "wrong_passphrase" and "口令不正确" in e.value.msg.zh and "wrong passphrase" in e.value.msg.en
    assert _files(home) == before


def test_an_untaken_load_is_closed_by_discard(home, monkeypatch):
    closed = []
    monkeypatch.setattr(ReviewWorkspace, "close", lambda self: closed.append(self))
    prepared = PreparedLoad(home, PASSPHRASE)
    prepared.discard()
    assert len(closed) == 1
    with pytest.raises(RuntimeError):
        prepared.take()


def test_the_work_list_does_not_wait_for_the_expert_keys_unwrap(home, monkeypatch, tmp_path):
    """Only the identity's unwrap stands before the applications; the key's runs on its own thread
    and finalising waits for it. The key file's public part is still checked at opening."""
    from qbdesk.services.reviewer import opening
    from tests.unit.review_snapshot import complete

    release, key_threads = threading.Event(), []
    real_key = opening.load_expert_key

    def slow_key(*args):
        key_threads.append(threading.current_thread())
        assert release.wait(10)
        return real_key(*args)

    monkeypatch.setattr(opening, "load_expert_key", slow_key)
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:  # returns while the key is still locked
        assert ws.applications and ws.expert_fingerprint.startswith("SHA256:")
        complete(ws)
        ws.declare(True, "无")
        threading.Timer(0.2, release.set).start()
        done = ws.finalize(tmp_path / "s.qbscore")  # waits for the key, then signs
    assert done.sequence == 1 and (tmp_path / "s.qbscore").exists()
    assert key_threads and key_threads[0] is not threading.main_thread()


def test_a_key_that_will_not_unwrap_is_found_before_anything_is_written(home, tmp_path):
    """A key file with the record's public key but another passphrase: opening works (the work list
    needs only the identity), finalising says why it cannot sign, writes nothing, keeps the sequence."""
    from qbdesk.formats import keys
    from qbdesk.services.reviewer.state import KEY_FILE
    from tests.unit.review_snapshot import complete

    key = keys.load_private_key(home / KEY_FILE, PASSPHRASE)
    (home / KEY_FILE).unlink()
    keys.save_private_key(home / KEY_FILE, key, "another passphrase, not the snapshot's", kdf_rounds=1)
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        complete(ws)
        ws.declare(True, "无")
        before = ws.sequence
        with pytest.raises(WorkspaceError) as e:
            ws.finalize(tmp_path / "s.qbscore")
        assert e.value.code == "key" and "passphrase" in e.value.msg.en
        assert ws.sequence == before and not (tmp_path / "s.qbscore").exists()


def test_a_replaced_key_file_is_refused_at_opening_without_its_unwrap(home, monkeypatch):
    from qbdesk.formats import keys
    from qbdesk.services.reviewer import opening
    from qbdesk.services.reviewer.state import KEY_FILE

    unwraps = []
    monkeypatch.setattr(opening, "load_expert_key", lambda *a: unwraps.append(a))
    (home / KEY_FILE).unlink()
    keys.save_private_key(home / KEY_FILE, keys.generate_private_key(), PASSPHRASE, kdf_rounds=1)
    with pytest.raises(WorkspaceError) as e:
        ReviewWorkspace.load(home, PASSPHRASE)
    assert e.value.code == "mismatch" and not unwraps


def test_two_applications_under_one_code_are_refused(tmp_path):
    from qbdesk.services.reviewer.views import parse_meta

    _, meta = make_snapshot(tmp_path / "E01.qbsnap", coordinator())
    meta = {k: v for k, v in meta.items() if k != "snapshot_id"}
    assert len(parse_meta(meta).applications) == 3
    twice = {**meta, "applications": [*meta["applications"], dict(meta["applications"][0])]}
    with pytest.raises(WorkspaceError) as e:
        parse_meta(twice)
    assert "applications[3]" in e.value.msg.en
