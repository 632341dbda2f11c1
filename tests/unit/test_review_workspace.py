"""The reviewer's workspace through its Python API: open, re-open, edits, recusal, declaration, finalise."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from review_snapshot import (
    PASSPHRASE,
    SUMMARIES,
    TITLES,
    complete,
    coordinator,
    make_snapshot,
)

from qbdesk.domain.rubric import load_rubric_data
from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.services.reviewer import (
    FinalizeRefused,
    ReviewWorkspace,
    WorkspaceError,
    open_snapshot,
)
from qbdesk.services.reviewer.views import declaration_sha256
from qbdesk.services.score_checks import AppContext, check_scores

P3, P8, P3B = "K7Q2M", "01234", "ZX9DA"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A snapshot, a second one for the same expert, and a workspace opened from the first."""
    root = tmp_path_factory.mktemp("ws")
    coord = coordinator()
    manifest, meta = make_snapshot(root / "s.qbsnap", coord)
    make_snapshot(root / "other.qbsnap", coord)
    open_snapshot(root / "s.qbsnap", root / "home", PASSPHRASE, kdf_rounds=1).close()
    return root, coord, manifest, meta


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def env(made, tmp_path):
    root, coord, manifest, meta = made
    shutil.copytree(root / "home", tmp_path / "home")
    shutil.copy(root / "s.qbsnap", tmp_path / "s.qbsnap")
    shutil.copy(root / "other.qbsnap", tmp_path / "other.qbsnap")
    return tmp_path, coord, manifest, meta


def load(home, clock=None):
    return ReviewWorkspace.load(home, PASSPHRASE, clock=clock or Clock())


def code_of(excinfo) -> str:
    return excinfo.value.code


# --- opening ------------------------------------------------------------------------------------


def test_open_makes_the_workspace_and_nothing_of_an_application_is_in_clear(env):
    tmp, _, manifest, _ = env
    home = tmp / "home"
    assert sorted(p.name for p in home.iterdir()) == ["expert.key", "journal.age-log", "snapshot.qbsnap", "state.age",
                                                  "workspace.json"]
    record = json.loads((home / "workspace.json").read_text("utf-8"))
    assert record["snapshot_id"] == manifest.snapshot_id and record["snapshot_digest"] == manifest.digest
    assert record["next_sequence"] == 1 and record["expert_key"].startswith("ssh-ed25519 ")
    assert (home / "state.age").read_bytes().startswith(b"age-encryption.org/v1\n")
    assert (home / "expert.key").stat().st_mode & 0o077 == 0
    with load(home) as ws:
        assert [a.code for a in ws.applications] == [P3, P8, P3B]  # the snapshot's order
        assert ws.application(P3).title == TITLES[0] and ws.application(P3).item_ids == ("C1", "C2")
        assert ws.rubric(P8).program == "P8" and ws.coordinator_fingerprint == manifest.coordinator_fingerprint
        assert ws.read_attachment(ws.application(P3).attachments[0].entry).startswith(b"%PDF")
        complete(ws)
        ws.set_value(P3, "opinion", "专家意见：" + SUMMARIES[0] + "，建议支持。" * 15)
    for path in home.iterdir():
        data = path.read_bytes()
        for secret in TITLES + SUMMARIES + ("专家意见", "绿色产品认证证书"):
            assert secret.encode() not in data, (path.name, secret)


def test_reopening_keeps_key_and_state(env):
    tmp, *_ = env
    home = tmp / "home"
    with load(home) as ws:
        ws.set_value(P3, "coverage", 12.5)
        key = ws.expert_public_key
    with open_snapshot(tmp / "s.qbsnap", home, PASSPHRASE.lower().replace("-", " ")) as ws:  # typed loosely
        assert ws.expert_public_key == key and ws.value(P3, "coverage") == 12.5


def test_opening_another_snapshot_into_the_same_home_is_refused(env):
    tmp, *_ = env
    before = {p.name: p.read_bytes() for p in (tmp / "home").iterdir()}
    with pytest.raises(WorkspaceError) as e:
        open_snapshot(tmp / "other.qbsnap", tmp / "home", PASSPHRASE)
    assert code_of(e) == "other_snapshot" and "another snapshot" in e.value.msg.en and "另一个快照" in e.value.msg.zh
    assert {p.name: p.read_bytes() for p in (tmp / "home").iterdir()} == before


def test_a_crash_before_workspace_json_is_resumed_keeping_what_was_entered(env):
    tmp, *_ = env
    home = tmp / "home"
    with load(home) as ws:
        ws.set_value(P3, "coverage", 11)
        key = ws.expert_public_key
    (home / "workspace.json").unlink()
    with open_snapshot(tmp / "s.qbsnap", home, PASSPHRASE) as ws:
        assert ws.value(P3, "coverage") == 11 and ws.expert_public_key == key


def test_state_left_by_another_review_is_not_adopted(env):
    tmp, *_ = env
    open_snapshot(tmp / "other.qbsnap", tmp / "second", PASSPHRASE, kdf_rounds=1).close()
    fresh = tmp / "fresh"
    fresh.mkdir()
    shutil.copy(tmp / "second" / "state.age", fresh / "state.age")
    with pytest.raises(WorkspaceError) as e:
        open_snapshot(tmp / "s.qbsnap", fresh, PASSPHRASE, kdf_rounds=1)
    assert code_of(e) == "other_snapshot" and not (fresh / "workspace.json").exists()


def test_wrong_passphrase_is_a_clear_message(env):
    tmp, *_ = env
    with pytest.raises(WorkspaceError) as e:
        open_snapshot(tmp / "s.qbsnap", tmp / "fresh", "WRONG-WRONG-WRONG-WRONG")
    assert code_of(e) == "wrong_passphrase" and "wrong passphrase" in e.value.msg.en
    assert not (tmp / "fresh").exists()  # nothing made, nothing copied
    with pytest.raises(WorkspaceError) as e:
        ReviewWorkspace.load(tmp / "home", "WRONG-WRONG-WRONG-WRONG")
    assert code_of(e) == "wrong_passphrase"


def test_truncated_snapshot_and_empty_folder_are_clear(env):
    tmp, *_ = env
    data = (tmp / "s.qbsnap").read_bytes()
    (tmp / "cut.qbsnap").write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkspaceError) as e:
        open_snapshot(tmp / "cut.qbsnap", tmp / "fresh", PASSPHRASE)
    assert code_of(e) == "snapshot" and "truncated" in e.value.msg.en
    with pytest.raises(WorkspaceError) as e:
        ReviewWorkspace.load(tmp / "nowhere", PASSPHRASE)
    assert code_of(e) == "not_a_workspace" and "qbdesk review open" in e.value.msg.en


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "remove"])
def test_damaged_state_is_reported_never_reset(env, damage):
    tmp, *_ = env
    home = tmp / "home"
    state = home / "state.age"
    data = bytearray(state.read_bytes())
    if damage == "flip":
        data[-20] ^= 1
    elif damage == "truncate":
        del data[-30:]
    elif damage == "garbage":
        data[:] = b"not an age file"
    if damage == "remove":
        state.unlink()
    else:
        state.write_bytes(bytes(data))
    for attempt in (lambda: load(home), lambda: open_snapshot(tmp / "s.qbsnap", home, PASSPHRASE)):
        with pytest.raises(WorkspaceError) as e:
            attempt()
        assert code_of(e) == "corrupt_state" and "never reset" in e.value.msg.en and "不会自动重置" in e.value.msg.zh
    assert (not state.exists()) if damage == "remove" else state.read_bytes() == bytes(data)


def test_replaced_snapshot_or_key_is_noticed(env):
    tmp, *_ = env
    home = tmp / "home"
    shutil.copy(tmp / "other.qbsnap", home / "snapshot.qbsnap")
    with pytest.raises(WorkspaceError) as e:
        load(home)
    assert code_of(e) == "mismatch"


# --- editing -------------------------------------------------------------------------------------


def test_set_value_validates_logs_and_saves_each_edit(env):
    tmp, *_ = env
    home = tmp / "home"
    with load(home) as ws:
        assert ws.set_value(P3, "coverage", 12.0) and ws.value(P3, "coverage") == 12
        assert not ws.set_value(P3, "coverage", 12)  # no change, no log entry
        ws.set_value(P3, "certificates", False, "证书已过期", item="C2")
        ws.set_value(P3, "eligibility", False, "未在深圳注册")
        ws.set_value(P3, "coverage", None)  # cleared
        log = ws.edit_log
    assert [e["criterion"] for e in log] == ["coverage", "certificates", "eligibility", "coverage"]
    assert log[1]["value"] == {"accepted": False, "reason": "证书已过期"} and log[3]["value"] is None
    assert sf.check_edit_log(log) is None
    with load(home) as ws:  # every edit was on disk
        assert ws.edit_log == log and ws.value(P3, "coverage") is None
        assert ws.comment(P3, "eligibility") == "未在深圳注册" and ws.comment(P3, "certificates", "C2") == "证书已过期"


def test_control_characters_typed_or_pasted_are_dropped_and_soft_line_breaks_become_line_breaks(env):
    """A NUL or another control character is invisible and never meant (no database keeps a NUL, no
    spreadsheet the others); Word's soft line break (\\x0b) is a line break. Tabs and line breaks stay."""
    tmp, *_ = env
    with load(tmp / "home") as ws:
        ws.set_value(P3, "eligibility", False, "未在\x00深圳\x1b注册\x0b见附件\t第2页")
        ws.set_value(P3, "certificates", {"accepted": False, "reason": "证书\x00已过期"}, item="C2")
        ws.recuse(P8, "曾任\x00该单位顾问")
        ws.declare(True, "无\x00\x0c")
        assert ws.comment(P3, "eligibility") == "未在深圳注册\n见附件\t第2页"
        assert ws.value(P3, "certificates", "C2") == {"accepted": False, "reason": "证书已过期"}
        assert ws.recusals == {P8: "曾任该单位顾问"} and ws.declaration.conflicts == "无"
        assert "\\u00" not in json.dumps(ws.edit_log)


def test_text_that_is_not_utf8_is_refused_not_a_traceback(env):
    """A command-line argument whose bytes are not UTF-8 arrives as lone surrogates, which no file can hold."""
    import os

    tmp, *_ = env
    bad = os.fsdecode(b"\xff") + "理由"
    with load(tmp / "home") as ws:
        for act in (lambda: ws.recuse(P8, bad), lambda: ws.declare(True, bad),
                    lambda: ws.set_value(P3, "eligibility", False, bad)):
            with pytest.raises(WorkspaceError) as e:
                act()
            assert code_of(e) in ("invalid_input", "invalid_value") and "U+DCFF" in e.value.msg.en
        assert P8 not in ws.recusals and ws.value(P3, "eligibility") is None


@pytest.mark.parametrize("edit, code, fragment", [
    ((P3, "coverage", 21), "invalid_value", "outside 0–20"),
    ((P3, "coverage", 10.3), "invalid_value", "multiple of the step"),
    ((P3, "coverage", True), "invalid_value", "must be a number"),
    ((P3, "coverage", 20), "invalid_value", "a comment is required"),
    ((P3, "eligibility", False), "invalid_value", "a fail needs a reason"),
    ((P3, "eligibility", "yes"), "invalid_value", "pass or fail"),
    ((P3, "opinion", "太短"), "invalid_value", "at least 30 characters"),
    ((P3, "leadership", 10), "unknown_criterion", "has no criterion leadership"),
    (("NOPE1", "coverage", 10), "unknown_application", "no application NOPE1"),
])
def test_bad_values_are_refused_and_nothing_saved(env, edit, code, fragment):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        before = (ws.home / "state.age").read_bytes()
        with pytest.raises(WorkspaceError) as e:
            ws.set_value(*edit)
        assert code_of(e) == code and fragment in e.value.msg.en and e.value.msg.zh
        assert (ws.home / "state.age").read_bytes() == before and ws.edit_log == []


def test_items_need_a_known_item_and_a_reason_to_reject(env):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        for kwargs, fragment in (({"item": "C9"}, "not valid"), ({}, "not valid"), ({"item": "C1", "value": False}, "needs a reason")):
            args = {"value": True, **kwargs}
            with pytest.raises(WorkspaceError) as e:
                ws.set_value(P3, "certificates", args.pop("value"), **args)
            assert fragment in e.value.msg.en
        with pytest.raises(WorkspaceError):
            ws.set_value(P3, "coverage", 10, item="C1")
        ws.set_value(P3, "certificates", {"accepted": False, "reason": "范围不符"}, item="C1")
        assert ws.value(P3, "certificates") == {"C1": {"accepted": False, "reason": "范围不符"}}


def test_apply_is_all_or_nothing(env):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        with pytest.raises(WorkspaceError):
            ws.apply([(P3, "coverage", "", 10, ""), (P3, "maintenance", "", 99, "")])
        assert ws.value(P3, "coverage") is None and ws.edit_log == []


def test_draft_keeps_an_unfinished_opinion_and_missing_lists_it(env):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        complete(ws)
        assert ws.set_value(P3, "opinion", "写到一半", draft=True)
        assert ws.set_value(P3, "coverage", 20, draft=True)  # the comment is still to come
        missing = {(m.code, m.criterion) for m in ws.missing()}
        assert missing == {(P3, "opinion"), (P3, "coverage")}
        ws.set_value(P3, "coverage", 20, "覆盖全部三条产线，证书全部有效")
        assert {(m.code, m.criterion) for m in ws.missing()} == {(P3, "opinion")}


def test_two_windows_on_one_home_do_not_overwrite_each_other(env):
    tmp, *_ = env
    with load(tmp / "home") as a, load(tmp / "home") as b:
        a.set_value(P3, "coverage", 10)
        with pytest.raises(WorkspaceError) as e:
            b.set_value(P3, "maintenance", 10)
        assert code_of(e) == "conflict"
        assert b.value(P3, "coverage") == 10  # b now sees what is on disk
    with load(tmp / "home") as c:
        assert c.value(P3, "coverage") == 10 and c.value(P3, "maintenance") is None


# --- recusal, declaration, missing, finalise -----------------------------------------------------


def test_recusal_needs_a_reason_and_takes_the_application_out(env):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        for reason in ("", "   "):
            with pytest.raises(WorkspaceError) as e:
                ws.recuse(P8, reason)
            assert code_of(e) == "invalid_input"
        ws.recuse(P8, "曾任该单位顾问")
        assert ws.recusals == {P8: "曾任该单位顾问"}
        assert not any(m.code == P8 for m in ws.missing())
        with pytest.raises(WorkspaceError) as e:
            ws.set_value(P8, "leadership", 50)
        assert code_of(e) == "recused"
        assert [p.code for p in ws.progress() if p.recused] == [P8]
        assert ws.withdraw_recusal(P8) and any(m.code == P8 for m in ws.missing())


def test_missing_lists_every_item_and_check_reason(env):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        missing = ws.missing()
        assert (P3, "certificates", "C2") in {(m.code, m.criterion, m.item) for m in missing}
        assert len(missing) == 27  # 9 + 10 + 8 rows, nothing filled
        assert all(m.msg.zh and m.msg.en for m in missing)


def test_finalize_refuses_while_incomplete_then_writes_a_verified_score_file(env):
    tmp, coord, manifest, meta = env
    home = tmp / "home"
    with load(home) as ws:
        with pytest.raises(FinalizeRefused) as e:
            ws.finalize(tmp / "s.qbscore")
        assert e.value.declaration and len(e.value.missing) == 27 and "cannot finalise" in e.value.msg.en
        complete(ws, skip=(P3B,))
        ws.declare(True, "无")
        with pytest.raises(FinalizeRefused) as e:
            ws.finalize(tmp / "s.qbscore")
        assert not e.value.declaration and {m.code for m in e.value.missing} == {P3B}
        assert not (tmp / "s.qbscore").exists()
        ws.recuse(P3B, "与申报单位存在合作关系")
        ws.set_value(P3, "eligibility", False, "注册地不符")
        first = ws.finalize(tmp / "s.qbscore")
    score = sf.read_score_file(tmp / "s.qbscore", receiving_identity=coord.receiving_identity)
    d = score.data
    assert first.digest == score.digest and first.fingerprint == score.fingerprint and first.sequence == d["sequence"] == 1
    assert d["key_binding"] == sf.key_binding(bytes.fromhex(meta["binding_secret"]), d["expert_key"])
    assert sshsig.fingerprint(score.expert_key) == first.fingerprint
    assert d["snapshot_id"] == manifest.snapshot_id and d["snapshot_digest"] == manifest.digest
    apps = {a["code"]: a for a in meta["applications"]}
    assert d["rubrics"] == {P3: apps[P3]["rubric"], P8: apps[P8]["rubric"]}
    assert d["recusals"] == [{"application": P3B, "reason": "与申报单位存在合作关系"}]
    assert not any(s["application"] == P3B for s in d["scores"])
    assert d["declaration"]["accepted"] and d["declaration"]["conflicts_declared"] == "无"
    assert d["declaration"]["text_sha256"] == declaration_sha256(meta["declaration"])
    assert d["log_head"] == d["edit_log"][-1]["hash"] and sf.check_edit_log(d["edit_log"]) is None
    # what the coordinator's import checks (score_checks) accepts it
    contexts = {code: AppContext(i, f"X-{i}", a["rubric"], load_rubric_data(meta["rubrics"][a["rubric"]], "t"),
                                 tuple(it["id"] for it in a["items"])) for i, (code, a) in enumerate(apps.items(), 1)}
    checked = check_scores(d, contexts)
    assert len(checked.recusals) == 1 and len(checked.scores) == len(d["scores"])

    with load(home) as ws:  # a second finalise: sequence 2, persisted in both records
        second = ws.finalize(tmp / "s2.qbscore")
        assert second.sequence == 2 and [e["sequence"] for e in ws.exports] == [1, 2]
    assert json.loads((home / "workspace.json").read_text("utf-8"))["next_sequence"] == 3


def test_a_failed_write_gives_its_sequence_number_back_but_a_crash_mid_write_does_not(env, monkeypatch):
    tmp, *_ = env
    with load(tmp / "home") as ws:
        complete(ws)
        ws.declare(True)
        for _ in range(2):
            with pytest.raises(WorkspaceError) as e:
                ws.finalize(tmp / "no" / "such" / "folder" / "s.qbscore")
            assert code_of(e) == "unwritable"
        assert ws.finalize(tmp / "s.qbscore").sequence == 1  # only a written, verified file takes a number
        assert ws.sequence == 1

        import qbdesk.services.reviewer.workspace as workspace_module

        def crash(*args, **kwargs):  # the process dies while writing: the file may be on the stick
            raise KeyboardInterrupt

        monkeypatch.setattr(workspace_module, "write_score_file", crash)
        with pytest.raises(KeyboardInterrupt):
            ws.finalize(tmp / "s2.qbscore")
    monkeypatch.undo()
    with load(tmp / "home") as ws:  # reserved before the write, so never given to a second file
        assert ws.sequence == 2 and ws.finalize(tmp / "s3.qbscore").sequence == 3


def test_finalize_refuses_a_file_larger_than_the_coordinator_will_accept(env):
    """Issue 7, item 6: the import bounds a file by what its snapshot can hold; the expert learns
    it at finalising, where the fix (shorter texts) is possible, not at the coordinator's."""
    from qbdesk.services.reviewer.finalize import capacity

    tmp, coord, manifest, meta = env
    with load(home := tmp / "home") as ws:
        complete(ws)
        ws.declare(True, "无")
        cap = capacity(ws._blind)
        opinions = [(a.code, c.id) for a in ws.applications for c in ws.rubric(a.code).criteria if c.kind == "opinion"]
        assert opinions
        for round_ in range(cap // (len(opinions) * 3 * 90_000) + 2):  # each edit is logged whole
            ws.apply([(code, cid, "", f"{round_}意见" + "论证充分" * 22_000, "") for code, cid in opinions])
        with pytest.raises(WorkspaceError) as e:
            ws.finalize(tmp / "big.qbscore")
        assert code_of(e) == "too_large" and "more than this snapshot can hold" in e.value.msg.en
        assert not (tmp / "big.qbscore").exists()
    assert home.exists()
