"""Enrolling the expert roster of a round (专家名单导入) and forming its panels.

One transaction: a roster with any problem imports nothing. Experts are
matched by their roster id: a new id is added, a changed row updates the
expert, an unchanged one is left alone, so importing the same file twice
changes nothing (and logs nothing). An expert missing from the file is kept,
not deleted, since assignments and scores may hang on them; the report lists
them. Panels (专家组) follow the experts' programs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, count_en
from qbdesk.domain.orgname import normalise_org
from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.formats.roster import RosterParse, RosterProblem, RosterRow, read_roster
from qbdesk.store import audit
from qbdesk.store.models import Expert, Panel, PanelMember, ProgramConfig, Round

CODE, ORG = "credit_code", "organisation"


def declared_conflicts_json(row: RosterRow) -> list[dict[str, str]]:
    """How ``Expert.declared_conflicts`` stores a row's declarations."""
    return [{"kind": CODE, "value": c} for c in row.conflict_codes] + \
           [{"kind": ORG, "value": o} for o in row.conflict_orgs]


@dataclass
class RosterReport:
    path: Path
    problems: list[RosterProblem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # roster ids
    updated: dict[str, list[str]] = field(default_factory=dict)  # roster id -> changed fields
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # in the round, not in this file
    panels: dict[str, int] = field(default_factory=dict)  # program -> members
    warnings: list[Msg] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def summary(self) -> list[Msg]:
        name = self.path.name
        if not self.ok:
            lines = [Msg(f"{name}：发现 {len(self.problems)} 个问题，未导入任何专家",
                         f"{name}: {count_en(len(self.problems), 'problem')} found, no expert imported")]
            return lines + [Msg(p.text("zh"), p.text("en")) for p in self.problems]
        lines = [Msg(f"{name}：新增 {len(self.added)} 人，更新 {len(self.updated)} 人，未变 {len(self.unchanged)} 人",
                     f"{name}: {len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged")]
        for ext_id, fields in self.updated.items():
            lines.append(Msg(f"  更新 {ext_id}：{'、'.join(fields)}", f"  updated {ext_id}: {', '.join(fields)}"))
        if self.kept:
            ids = ", ".join(self.kept)
            lines.append(Msg(f"  名单中没有、仍保留的专家：{ids}", f"  experts not in this file, kept: {ids}"))
        if self.panels:
            zh = "，".join(f"{p} {n} 人" for p, n in self.panels.items())
            en = ", ".join(f"{p} {n}" for p, n in self.panels.items())
            lines.append(Msg(f"专家组：{zh}", f"panels: {en}"))
        return lines + self.warnings


def _values(row: RosterRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "organisation": row.organisation,
        "normalized_organisation": normalise_org(row.organisation),
        "title": row.title,
        "phone": row.phone,
        "programs": list(row.programs),
        "declared_conflicts": declared_conflicts_json(row),
    }


def sync_panels(session: Session, round_id: int) -> tuple[dict[str, int], bool]:
    """Make each program's panel hold exactly the round's experts who list it; (sizes, changed)."""
    experts = session.scalars(select(Expert).where(Expert.round_id == round_id).order_by(Expert.id)).all()
    panels = {p.program: p for p in session.scalars(select(Panel).where(Panel.round_id == round_id))}
    sizes: dict[str, int] = {}
    changed = False
    for code in PROGRAM_CODES:
        want = {e.id for e in experts if code in (e.programs or [])}
        panel = panels.get(code)
        if panel is None:
            if not want:
                continue
            panel = Panel(round_id=round_id, program=code)
            session.add(panel)
            changed = True
        have = {m.expert_id for m in panel.members}
        for m in list(panel.members):
            if m.expert_id not in want:
                panel.members.remove(m)
                changed = True
        for expert_id in sorted(want - have):
            panel.members.append(PanelMember(expert_id=expert_id))
            changed = True
        if want:
            sizes[code] = len(want)
    return sizes, changed


def _no_panel_warnings(parsed: RosterParse) -> list[Msg]:
    """Experts who sit on no panel are never assigned: say so, naming them."""
    idle = [row.external_id for row in parsed.rows if not row.programs]
    if not idle:
        return []
    shown, more = idle[:20], len(idle) - 20
    names_zh = "、".join(shown) + (f" 等 {len(idle)} 人" if more > 0 else "")
    names_en = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    if "programs" not in parsed.columns:
        return [Msg(f"名单没有“评审项目”（programs）列：所有专家（{names_zh}）都不在任何专家组，不会被分配；"
                    f"请加上这一列，填写 P1–P9（见 docs/formats.md）",
                    f"the roster has no programs column: every expert ({names_en}) sits on no panel and will not be "
                    f"assigned; add the column with P1–P9 (see docs/formats.md)")]
    return [Msg(f"以下专家未填写评审项目，不在任何专家组，不会被分配：{names_zh}",
                f"these experts have no programs, sit on no panel and will not be assigned: {names_en}")]


def import_roster(session_factory: sessionmaker[Session], round_id: int, path: Path | str) -> RosterReport:
    """Import (or re-import) the roster at ``path`` into round ``round_id``."""
    path = Path(path)
    parsed = read_roster(path)
    report = RosterReport(path=path, problems=list(parsed.problems))
    if not parsed.ok:
        return report
    with session_factory.begin() as s:
        if s.get(Round, round_id) is None:
            raise QbdeskError(Msg(f"没有编号为 {round_id} 的评审批次", f"there is no round {round_id}"))
        existing = {e.external_id: e for e in s.scalars(select(Expert).where(Expert.round_id == round_id))}
        for row in parsed.rows:
            values = _values(row)
            expert = existing.get(row.external_id)
            if expert is None:
                s.add(Expert(round_id=round_id, external_id=row.external_id, **values))
                report.added.append(row.external_id)
                continue
            changed = [k for k, v in values.items() if getattr(expert, k) != v and k != "normalized_organisation"]
            for k, v in values.items():
                if getattr(expert, k) != v:
                    setattr(expert, k, v)
            if changed:
                report.updated[row.external_id] = changed
            else:
                report.unchanged.append(row.external_id)
        in_file = {row.external_id for row in parsed.rows}
        report.kept = sorted(set(existing) - in_file)
        s.flush()
        report.panels, panels_changed = sync_panels(s, round_id)

        report.warnings += _no_panel_warnings(parsed)
        configured = set(s.scalars(select(ProgramConfig.program).where(ProgramConfig.round_id == round_id)))
        for code in sorted(set(report.panels) - configured, key=PROGRAM_CODES.index):
            report.warnings.append(Msg(f"本批次不含 {code}，名单中该项目的专家不会被分配",
                                       f"this round has no {code}; experts listed for it will not be assigned"))
        for code in sorted(configured - set(report.panels), key=PROGRAM_CODES.index):
            report.warnings.append(Msg(f"{code} 还没有评审专家", f"{code} has no experts yet"))

        if report.changed or panels_changed:
            audit.record(s, "experts.import", round_id=round_id, detail={
                "file": path.name,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "added": report.added,
                "updated": sorted(report.updated),
                "unchanged": len(report.unchanged),
                "kept": report.kept,
                "panels": report.panels,
            })
    return report
