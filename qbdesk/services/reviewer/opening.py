"""Opening a snapshot into the expert's HOME: verify, copy atomically, make the expert key once.

The order of the writes makes a crash at any point harmless: the snapshot copy is renamed into
place only after it verified against the signed manifest; the key and the empty state are made
only when absent; ``workspace.json`` is written last. Opening again (the same snapshot, the same
HOME) keeps the key and everything entered; a HOME holding another snapshot is refused.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.formats import keys, sshsig
from qbdesk.formats.atomic import fsync_dir
from qbdesk.formats.regular import FileRefused, open_regular
from qbdesk.formats.snapshot import (
    IDENTITY_KDF_ROUNDS,
    SnapshotError,
    SnapshotManifest,
    SnapshotReader,
    read_manifest,
)
from qbdesk.services.reviewer.state import (
    KEY_FILE,
    SNAPSHOT_FILE,
    STATE_FILE,
    WorkspaceError,
    empty_state,
    read_workspace_record,
    unwritable,
    write_workspace_record,
)
from qbdesk.services.reviewer.store import StateStore
from qbdesk.services.reviewer.views import parse_meta

EXPERT_KEY_COMMENT = "qbdesk-expert"


def snapshot_failure(e: SnapshotError) -> WorkspaceError:
    """A SnapshotError as a WorkspaceError (same message; a wrong passphrase keeps its own code)."""
    return WorkspaceError(e.msg, "wrong_passphrase" if e.code == "wrong_passphrase" else "snapshot")


def open_reader(path: Path, passphrase: str, *, check_entries: bool) -> SnapshotReader:
    try:
        return SnapshotReader(path, passphrase, check_entries=check_entries)
    except SnapshotError as e:
        raise snapshot_failure(e) from None


def _describe(snapshot_id: str, expert_id: str) -> str:
    return f"{snapshot_id} ({expert_id})"


def _refuse_other(home: Path, held: str, offered: str) -> WorkspaceError:
    return WorkspaceError(Msg(
        f"文件夹 {home} 中已有另一个快照的评审工作区（{held}），不能再打开快照 {offered}。"
        f"请为新快照另选一个空文件夹；原工作区中的评分保持不变",
        f"the folder {home} already holds the workspace of another snapshot ({held}); snapshot {offered} "
        f"cannot be opened there. Choose another, empty folder for it; the scores in the existing workspace "
        f"are left as they are"), "other_snapshot")


def _copy_verified(source: Path, target: Path, manifest: SnapshotManifest) -> None:
    """Copy the snapshot into HOME, verify the copy against the signed manifest, then rename it in."""
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise unwritable(target, e) from e
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open_regular(source) as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        try:  # what counts is the copy: its signature and every ciphertext hash
            copied = read_manifest(tmp, check_entries=True)
        except SnapshotError as e:
            raise WorkspaceError(Msg(f"复制到 {target.parent} 的快照校验失败（{e.msg.zh}）；请重试或换一个位置",
                                     f"the snapshot copied to {target.parent} failed its check ({e.msg.en}); "
                                     f"try again or use another place"), "unwritable") from None
        if copied.raw != manifest.raw:
            raise WorkspaceError(Msg("复制后的快照与原快照不一致", "the copied snapshot differs from the original"), "unwritable")
        os.replace(tmp, target)
    except FileRefused as e:
        tmp.unlink(missing_ok=True)
        raise WorkspaceError(e.msg, "snapshot") from None
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise unwritable(target, e) from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def _home_copy_is(target: Path, manifest: SnapshotManifest) -> bool:
    """Whether HOME already has this very snapshot, intact; a different one is refused."""
    if not target.exists():
        return False
    try:
        held = read_manifest(target, check_entries=False)
    except SnapshotError:
        return False  # a damaged copy of whatever: replaced by the verified one
    if held.snapshot_id != manifest.snapshot_id:
        raise _refuse_other(target.parent, _describe(held.snapshot_id, held.expert_id),
                            _describe(manifest.snapshot_id, manifest.expert_id))
    if held.raw != manifest.raw:
        return False
    try:
        read_manifest(target, check_entries=True)
    except SnapshotError:
        return False
    return True


def _expert_key(home: Path, passphrase: str, kdf_rounds: int):
    path = home / KEY_FILE
    if not path.exists():  # first open only: the key is made here and never leaves the laptop
        key = keys.generate_private_key()
        try:
            keys.save_private_key(path, key, passphrase, kdf_rounds=kdf_rounds)
        except keys.KeyFileError as e:
            raise WorkspaceError(e.msg, "key") from None
        return key
    return load_expert_key(home, passphrase)


def load_expert_key(home: Path, passphrase: str):
    path = home / KEY_FILE
    try:
        return keys.load_private_key(path, passphrase)
    except keys.KeyFileError as e:
        if e.reason == "passphrase":
            raise WorkspaceError(Msg(f"{path} 不能用此口令打开（它属于另一个快照？）",
                                     f"{path} does not open with this passphrase (does it belong to another snapshot?)"),
                                 "key") from None
        raise WorkspaceError(e.msg, "key") from None


def key_mismatch(home: Path) -> WorkspaceError:
    return WorkspaceError(Msg(f"{home} 中的专家私钥与工作区记录不符（文件被替换？）",
                              f"the expert key in {home} is not the one the workspace record names (was it replaced?)"),
                          "mismatch")


def expert_key_matches(home: Path, record_key_line: str) -> bool:
    """Whether HOME's expert key file holds the public key the workspace record names, read from
    the file's clear part (no key derivation; the private part is checked when it is decrypted)."""
    try:
        blob = keys.private_key_file_public_blob(home / KEY_FILE)
    except keys.KeyFileError as e:
        raise WorkspaceError(e.msg, "key") from None
    return blob is not None and blob == sshsig.public_key_blob(keys.load_public_key(record_key_line))


class DeferredExpertKey:
    """The expert key, decrypted on a thread of its own while the workspace opens and is used:
    it signs only at finalising, and its 64-round unwrap need not delay the work list.
    :meth:`get` waits for it and raises the :class:`WorkspaceError` a direct load would."""

    def __init__(self, home: Path, passphrase: str, public_line: str):
        self._home, self._public = home, public_line
        self._done = threading.Event()
        self._key: Any = None
        self._error: BaseException | None = None
        # A daemon: a process quitting early does not wait for an unwrap nobody will use.
        threading.Thread(target=self._run, args=(passphrase,), name="qbdesk-expert-key", daemon=True).start()

    def _run(self, passphrase: str) -> None:
        try:
            self._key = load_expert_key(self._home, passphrase)
        except BaseException as exc:  # handed to get()
            self._error = exc
        finally:
            self._done.set()

    def get(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        if sshsig.public_key_blob(self._key.public_key()) != sshsig.public_key_blob(keys.load_public_key(self._public)):
            raise key_mismatch(self._home)
        return self._key


def prepare_home(snapshot_path: str | os.PathLike[str], home: str | os.PathLike[str], passphrase: str, *,
                 kdf_rounds: int = IDENTITY_KDF_ROUNDS) -> Path:
    """Make ``home`` a workspace of the snapshot (idempotent); return ``home``. See the module doc."""
    source, home = Path(snapshot_path), Path(home)
    with open_reader(source, passphrase, check_entries=False) as reader:  # a wrong passphrase fails before any copy
        manifest = reader.manifest
        parse_meta(reader.meta)
    record = read_workspace_record(home) if home.is_dir() else None
    if record is not None and (record["snapshot_id"], record["snapshot_digest"]) != (manifest.snapshot_id, manifest.digest):
        raise _refuse_other(home, _describe(record["snapshot_id"], record["expert_id"]),
                            _describe(manifest.snapshot_id, manifest.expert_id))
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise unwritable(home, e) from e
    target = home / SNAPSHOT_FILE
    same_file = target.exists() and source.exists() and os.path.samefile(source, target)
    if not same_file and not _home_copy_is(target, manifest):
        _copy_verified(source, target, manifest)
    if record is not None and not (home / KEY_FILE).exists():
        raise WorkspaceError(Msg(f"工作区的专家私钥 {home / KEY_FILE} 不见了；不会自动生成新密钥。请从备份恢复该文件，或联系评审组织方",
                                 f"the workspace's expert key {home / KEY_FILE} is missing; no new key is made "
                                 f"automatically. Restore the file from a backup, or contact the coordinator"), "key")
    key = _expert_key(home, passphrase, kdf_rounds)
    public = sshsig.public_key_openssh(key.public_key(), EXPERT_KEY_COMMENT)
    if record is not None and sshsig.public_key_blob(keys.load_public_key(record["expert_key"])) != \
            sshsig.public_key_blob(key.public_key()):
        raise WorkspaceError(Msg(f"{home / KEY_FILE} 与工作区记录中的专家公钥不符（文件被替换？）",
                                 f"{home / KEY_FILE} is not the expert key the workspace record names (was it replaced?)"),
                             "mismatch")
    state_path = home / STATE_FILE
    if record is None:
        with open_reader(target, passphrase, check_entries=False) as reader:
            state = StateStore(home, manifest.identity_public_key, reader.identity, manifest.snapshot_id)
            try:
                if not state_path.exists():
                    state.compact(empty_state(manifest.snapshot_id))
                else:  # left by a crash before workspace.json was written: kept, if it is this snapshot's
                    try:
                        state.load()
                    except WorkspaceError:
                        raise WorkspaceError(Msg(
                            f"{state_path} 不属于此快照（文件夹中留有其他评审的数据？）；请另选一个空文件夹",
                            f"{state_path} does not belong to this snapshot (is another review's data left in the "
                            f"folder?); choose an empty folder"), "other_snapshot") from None
            finally:
                state.close()
    write_workspace_record(home, {
        "snapshot_id": manifest.snapshot_id,
        "snapshot_digest": manifest.digest,
        "expert_id": manifest.expert_id,
        "expert_key": record["expert_key"] if record else public,
        "coordinator_fingerprint": manifest.coordinator_fingerprint,
        "next_sequence": record["next_sequence"] if record else 1,
        "round": {"id": manifest.round_id, "year": manifest.round_year},
    })
    return home
