"""Is a snapshot's code -> application map in the database the one its signed manifest binds?

``snapshots build`` signs into each manifest (``qbdesk.snapshot/2``), per application code, the
keyed hash of that code's blind content and an HMAC under the snapshot's ``code_key`` over the
code, its application's package id, that content hash and its item-id map. The manifest's bytes
are pinned by the snapshot digest that every score file from it carries under the expert's
signature, so neither the manifest nor what it binds can be changed afterwards without the
expert's key. ``check_signed_binding`` is the import's check (``code_map``, ``content_binding``);
``code_map_problems`` re-derives each binding from the database (``snapshot.codes``,
``snapshot.items``) and names every code whose application or items changed — and, by trying the
round's applications, which application the code really belongs to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.formats.snapshot_manifest import SnapshotError, SnapshotManifest, code_binding, parse_pinned_manifest
from qbdesk.services.score_checks import Rejection, reject
from qbdesk.store.models import Snapshot


def pinned_manifest(snap: Snapshot) -> SnapshotManifest | None | Msg:
    """The snapshot's stored manifest if its bytes are the digest; None for snapshots built before
    qbdesk.snapshot/2 was kept; a Msg when the stored bytes are not the snapshot's."""
    if snap.manifest is None:
        return None
    if hashlib.sha256(snap.manifest).hexdigest() != snap.digest:
        return Msg(f"快照 {snap.id} 保存的签名清单与其摘要 {snap.digest[:16]}… 不符（数据库被改动？）",
                   f"the stored manifest of snapshot {snap.id} is not its digest {snap.digest[:16]}… "
                   f"(was the database altered?)")
    try:
        return parse_pinned_manifest(snap.manifest, f"snapshot {snap.id}")
    except SnapshotError as e:
        return e.msg


def code_map_problems(snap: Snapshot, manifest: SnapshotManifest, app_ids: Mapping[int, str]) -> list[Msg]:
    """Every code whose database map (``app_ids``: Application.id -> package id, the round's) is
    not what the manifest binds. Empty when they agree (and for a /1 manifest, which binds nothing)."""
    if not manifest.applications:
        return []
    if not snap.code_key:
        return [Msg(f"快照 {snap.id} 的代码绑定密钥已从数据库中删除", f"the code key of snapshot {snap.id} was removed from the database")]
    key = bytes.fromhex(snap.code_key)
    codes: Mapping[str, Any] = snap.codes or {}
    items: Mapping[str, Any] = snap.items or {}
    out: list[Msg] = []
    for code in sorted(set(codes) - set(manifest.applications)):
        out.append(Msg(f"快照 {snap.id}：数据库中的代码 {code} 不在签名清单中", f"snapshot {snap.id}: code {code} in the database is not in the signed manifest"))
    for code, bound in sorted(manifest.applications.items()):
        if code not in codes:
            out.append(Msg(f"快照 {snap.id}：签名清单中的代码 {code} 已从数据库中删除",
                           f"snapshot {snap.id}: code {code} of the signed manifest was removed from the database"))
            continue
        ext = app_ids.get(codes[code])
        its = items.get(code)
        if ext is not None and isinstance(its, dict) and code_binding(key, code, ext, bound.content, its) == bound.binding:
            continue
        real = _owner(key, code, bound.content, bound.binding, its if isinstance(its, dict) else {}, app_ids)
        now = ext or f"#{codes[code]}"
        if real is None:
            out.append(Msg(f"快照 {snap.id}：代码 {code} 在数据库中对应 {now}，与签名清单的绑定不符（申报或条目对照被改动）",
                           f"snapshot {snap.id}: code {code} maps to {now} in the database, which is not what the "
                           f"signed manifest binds (its application or item map was changed)"))
        elif real == ext:
            out.append(Msg(f"快照 {snap.id}：代码 {code}（{ext}）的条目编号对照被改动",
                           f"snapshot {snap.id}: the item-id map of code {code} ({ext}) was changed"))
        else:
            out.append(Msg(f"快照 {snap.id}：代码 {code} 按签名清单属于申报 {real}，数据库却将其对应到 {now}（代码对照被调换）",
                           f"snapshot {snap.id}: code {code} belongs to application {real} by the signed manifest, "
                           f"but the database maps it to {now} (the code map was changed)"))
    return out


def _owner(key: bytes, code: str, content: str, binding: str, items: Mapping[str, str],
           app_ids: Mapping[int, str]) -> str | None:
    """The package id the binding names, found by trying the round's applications (with the stored
    item map, then — for a changed item map — none is found and the caller says so)."""
    for ext in app_ids.values():
        if code_binding(key, code, ext, content, dict(items)) == binding:
            return ext
    return None


def check_signed_binding(snap: Snapshot, data: Mapping[str, Any], app_ids: Mapping[int, str]) -> None:
    """The file's commitment to each code's content is the snapshot manifest's, and the database's
    code -> application map is the one that manifest binds (``code_binding``)."""
    manifest = pinned_manifest(snap)
    if isinstance(manifest, Msg):
        raise Rejection("code_map", manifest)
    committed = data.get("blind_content")
    if manifest is None:  # a snapshot built before the bindings were kept: nothing to compare with
        return
    expected = {code: b.content for code, b in manifest.applications.items()}
    if committed is not None and committed != expected:
        raise reject("content_binding", "评分文件所承诺的各申报内容摘要（blind_content）与快照签名清单不符",
                     "the content hashes the file commits to (blind_content) are not those of the snapshot's signed manifest")
    problems = code_map_problems(snap, manifest, app_ids)
    if problems:
        raise reject("code_map", "数据库中的申报代码对照与快照签名清单的绑定不符（数据库被改动？）：" + problems[0].zh,
                     "the database's code map is not what the snapshot's signed manifest binds (was the database "
                     "altered?): " + problems[0].en)
