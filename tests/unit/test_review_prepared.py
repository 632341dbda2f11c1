"""The workspace load begun early (``PreparedLoad``) and the two key unwraps of every load side by side."""

from __future__ import annotations

import threading

import pytest

from qbdesk.services.reviewer import ReviewWorkspace, WorkspaceError, open_snapshot
from qbdesk.services.reviewer import workspace as workspace_module
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


def test_the_expert_key_unwraps_beside_the_identity(home, monkeypatch):
    """Both bcrypt unwraps are under way at once: the key's waits here until the identity's has begun."""
    identity_started = threading.Event()
    key_threads = []
    real_reader, real_key = workspace_module.open_reader, workspace_module.load_expert_key

    def reader(*args, **kwargs):
        identity_started.set()
        return real_reader(*args, **kwargs)

    def key(*args):
        key_threads.append(threading.current_thread())
        assert identity_started.wait(10), "the identity's unwrap never began while the key's was under way"
        return real_key(*args)

    monkeypatch.setattr(workspace_module, "open_reader", reader)
    monkeypatch.setattr(workspace_module, "load_expert_key", key)
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        assert ws.expert_fingerprint.startswith("SHA256:")
    assert key_threads and key_threads[0] is not threading.main_thread()


def test_two_applications_under_one_code_are_refused(tmp_path):
    from qbdesk.services.reviewer.views import parse_meta

    _, meta = make_snapshot(tmp_path / "E01.qbsnap", coordinator())
    meta = {k: v for k, v in meta.items() if k != "snapshot_id"}
    assert len(parse_meta(meta).applications) == 3
    twice = {**meta, "applications": [*meta["applications"], dict(meta["applications"][0])]}
    with pytest.raises(WorkspaceError) as e:
        parse_meta(twice)
    assert "applications[3]" in e.value.msg.en
