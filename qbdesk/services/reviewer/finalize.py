"""The score.json payload a finalised workspace signs, and the refusal while it is not ready.

Layout: docs/formats.md, "Score file — qbdesk.score/2". Scores of recused applications are
left out; the edit log goes whole (it is hash-chained, so nothing can be cut from it), and
``log_head`` pins its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qbdesk.domain.messages import Msg
from qbdesk.formats.scorefile import FORMAT, key_binding, log_head
from qbdesk.formats.snapshot import SnapshotManifest
from qbdesk.services.reviewer.state import WorkspaceError
from qbdesk.services.reviewer.views import Blind, Missing

SHOWN = 30  # missing values listed in the message itself; .missing has them all


class FinalizeRefused(WorkspaceError):
    """Finalising is refused: ``missing`` lists every value still needed; ``declaration`` is True
    when the declaration is not yet accepted."""

    def __init__(self, missing: Sequence[Missing], declaration: bool):
        self.missing = tuple(missing)
        self.declaration = declaration
        zh, en = [], []
        if declaration:
            zh.append("尚未签署评审专家承诺书（qbdesk review declare）")
            en.append("the declaration is not accepted yet (qbdesk review declare)")
        if self.missing:
            apps = len({m.code for m in self.missing})
            zh.append(f"{apps} 份申报尚有 {len(self.missing)} 项未完成：")
            en.append(f"{len(self.missing)} value{'s' if len(self.missing) != 1 else ''} still missing in {apps} "
                      f"application{'s' if apps != 1 else ''}:")
            for m in self.missing[:SHOWN]:
                where = f"  {m.code} {m.criterion}{' ' + m.item if m.item else ''}"
                zh.append(f"{where}：{m.msg.zh}")
                en.append(f"{where}: {m.msg.en}")
            if len(self.missing) > SHOWN:
                zh.append(f"  ……另有 {len(self.missing) - SHOWN} 项")
                en.append(f"  … and {len(self.missing) - SHOWN} more")
        super().__init__(Msg("不能定稿：" + "\n".join(zh), "cannot finalise: " + "\n".join(en)), "incomplete")


def _rows(blind: Blind, state: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """The scores rows of one application, in rubric order (items in the application's order)."""
    app = next(a for a in blind.applications if a.code == code)
    values = state["values"].get(code, {})
    comments = state["comments"].get(code, {})
    rows = []
    for c in blind.rubrics[app.rubric_hash].criteria:
        if c.kind == "items":
            decisions = values.get(c.id) or {}
            rows += [{"application": code, "criterion": c.id, "item": item, "value": decisions[item], "comment": ""}
                     for item in app.item_ids if item in decisions]
        elif values.get(c.id) is not None:
            rows.append({"application": code, "criterion": c.id, "item": "", "value": values[c.id],
                         "comment": comments.get(c.id, "")})
    return rows


def build_payload(blind: Blind, manifest: SnapshotManifest, state: dict[str, Any], *, sequence: int,
                  created_at: str, expert_key_line: str) -> dict[str, Any]:
    recused = state["recusals"]
    scored = [a.code for a in blind.applications if a.code not in recused]
    decl = state["declaration"]
    return {
        "format": FORMAT,
        "round": {"id": blind.round_id, "year": blind.round_year},
        "snapshot_id": manifest.snapshot_id,
        "snapshot_digest": manifest.digest,
        "expert_id": manifest.expert_id,
        "sequence": sequence,
        "created_at": created_at,
        "expert_key": expert_key_line,
        "key_binding": key_binding(blind.binding_secret, expert_key_line),
        "rubrics": {code: next(a.rubric_hash for a in blind.applications if a.code == code) for code in scored},
        # The content hash of every code of the snapshot, as its signed manifest gives it (the reader
        # checked each against the metadata decrypted): the expert signs what each code was.
        "blind_content": {code: b.content for code, b in manifest.applications.items()},
        "declaration": {"accepted": decl["accepted"], "at": decl["at"],
                        "text_sha256": decl["text_sha256"] or blind.declaration_sha256,
                        "conflicts_declared": decl["conflicts"]},
        "scores": [row for code in scored for row in _rows(blind, state, code)],
        "recusals": [{"application": a.code, "reason": recused[a.code]["reason"]}
                     for a in blind.applications if a.code in recused],
        "edit_log": state["edit_log"],
        "log_head": log_head(state["edit_log"]),
    }
