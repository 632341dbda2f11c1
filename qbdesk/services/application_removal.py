"""Removing an application from a round (e.g. to import a corrected package in its place).

Refused once a snapshot includes the application (an expert may already be reading it) unless
forced; either way the removal is audited, with its reason. The application's attachments,
assignments, conflicts and any scores go with it (the database cascades); the stored file
contents (content-addressed blobs) stay, as other applications may share them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from qbdesk.domain.messages import Msg, QbdeskError, count_en
from qbdesk.store import audit
from qbdesk.store.models import Application, Assignment, Expert, Snapshot


@dataclass(frozen=True)
class Removal:
    external_id: str
    program: str
    title: str
    assignments: int
    snapshots: tuple[str, ...]  # expert ids whose snapshots include the application
    forced: bool

    def summary(self) -> Msg:
        zh = f"已从本批次删除申报 {self.external_id}（{self.program}，{self.title}）"
        en = f"removed application {self.external_id} ({self.program}, {self.title}) from the round"
        if self.assignments:
            zh += f"，及其 {self.assignments} 项评审任务"
            en += f", with its {count_en(self.assignments, 'assignment')}"
        if self.snapshots:
            zh += f"；专家 {'、'.join(self.snapshots)} 的快照中仍有该申报，请重新生成快照"
            en += f"; the snapshots of {', '.join(self.snapshots)} still hold it: build them again"
        return Msg(zh, en)


def remove_application(sessions: sessionmaker[Session], round_id: int, external_id: str, *, force: bool = False,
                       reason: str = "", actor: str = "") -> Removal:
    with sessions() as s, s.begin():
        app = s.scalars(select(Application).where(Application.round_id == round_id,
                                                  Application.external_id == external_id)).one_or_none()
        if app is None:
            raise QbdeskError(Msg(f"本批次中没有申报 {external_id}（申报编号见 qbdesk status 或申报包的 application.json）",
                                  f"there is no application {external_id} in this round (the ids are in the "
                                  f"packages' application.json)"))
        holders = sorted(ext for ext, codes in s.execute(
            select(Expert.external_id, Snapshot.codes).join(Expert, Expert.id == Snapshot.expert_id)
            .where(Snapshot.round_id == round_id)) if app.id in set((codes or {}).values()))
        if holders and not force:
            raise QbdeskError(Msg(
                f"申报 {external_id} 已包含在专家 {'、'.join(holders)} 的评审快照中，未删除。确需删除时请加 --force"
                f"（并说明 --reason），之后重新生成快照",
                f"application {external_id} is in the snapshots of {', '.join(holders)}: not removed. To remove it "
                f"all the same, add --force (and a --reason), then build the snapshots again"))
        n_assign = len(s.scalars(select(Assignment.id).where(Assignment.application_id == app.id)).all())
        removal = Removal(app.external_id, app.program, app.title, n_assign, tuple(holders), bool(holders))
        audit.record(s, "applications.remove", round_id=round_id, actor=actor, detail={
            "application": app.external_id, "program": app.program, "package_digest": app.package_digest,
            "assignments": n_assign, "in_snapshots_of": list(holders), "forced": bool(force and holders),
            "reason": reason.strip()})
        s.execute(delete(Application).where(Application.id == app.id))
    return removal
