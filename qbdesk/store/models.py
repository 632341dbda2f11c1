"""SQLAlchemy 2 models of a review round.

Portable across SQLite and PostgreSQL: no dialect-specific types, JSON via
``sqlalchemy.JSON``, amounts in integer yuan, times as timezone-aware UTC.
The schema is created and upgraded only by the Alembic migrations in ``db/``;
``tests/unit/test_migrations.py`` proves the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Round(Base):
    """One call for applications in one fund year (评审批次)."""

    __tablename__ = "round"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    programs: Mapped[list[ProgramConfig]] = relationship(back_populates="round", cascade="all, delete-orphan")


class Rubric(Base):
    """A rubric version, identified by the canonical hash of its content."""

    __tablename__ = "rubric"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    program: Mapped[str] = mapped_column(String(4))
    version: Mapped[str] = mapped_column(String(40))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


def _default_mode(ctx) -> str:
    """A row made without a mode gets its program's default (verified for P3, P4, P5, P7)."""
    from qbdesk.domain.programs import default_mode

    return default_mode(ctx.get_current_parameters()["program"])


def _default_blind(ctx) -> bool:
    return ctx.get_current_parameters().get("mode", _default_mode(ctx)) == "scored"


class ProgramConfig(Base):
    """A program as configured for one round: budget, threshold, tiers, rubric, assignment mode."""

    __tablename__ = "program_config"
    __table_args__ = (UniqueConstraint("round_id", "program"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    program: Mapped[str] = mapped_column(String(4))
    budget: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pass_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: verified, no pass line
    tiers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    per_application: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rubric_hash: Mapped[str | None] = mapped_column(ForeignKey("rubric.hash"), nullable=True)
    mode: Mapped[str] = mapped_column(String(10), default=_default_mode)  # verified | scored
    shortfall: Mapped[str] = mapped_column(String(12), default="pro_rata")  # pro_rata | rank_order
    blind: Mapped[bool] = mapped_column(Boolean, default=_default_blind)
    max_activities: Mapped[int | None] = mapped_column(Integer, nullable=True)  # P5 per enterprise per year
    key_minimum: Mapped[float | None] = mapped_column(Float, nullable=True)  # on the rubric's key criterion
    rules: Mapped[str] = mapped_column(String(10), default="2026.2")  # funding rules version
    # the aggregation settings the round set (AggregationSettings.KEYS); None or a missing key: the default
    aggregation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    round: Mapped[Round] = relationship(back_populates="programs")
    rubric: Mapped[Rubric | None] = relationship()


class Applicant(Base):
    """An applying organisation, identified by its unified social credit code."""

    __tablename__ = "applicant"
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    normalized_name: Mapped[str] = mapped_column(String(300), index=True)
    contact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Application(Base):
    """One application package (申报材料) to one program in one round."""

    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("round_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    program: Mapped[str] = mapped_column(String(4), index=True)
    year: Mapped[int] = mapped_column(Integer)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicant.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    requested_amount: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    tier: Mapped[str | None] = mapped_column(String(60), nullable=True)
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    package_digest: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    applicant: Mapped[Applicant] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Attachment.position"
    )


class Blob(Base):
    """Attachment content, stored once per SHA-256 (content-addressed)."""

    __tablename__ = "blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(Base):
    """A PDF of an application; ``blind`` ones are de-identified and may reach experts."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("application_id", "file"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    blind: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    size: Mapped[int] = mapped_column(Integer)

    application: Mapped[Application] = relationship(back_populates="attachments")


class CleanedPdf(Base):
    """The cleaned form of a blind PDF (formats/pdf_clean.py) that snapshots carry; the blob keeps the original."""

    __tablename__ = "cleaned_pdf"
    source_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    cleaner: Mapped[str] = mapped_column(String(100))  # pikepdf and qpdf versions that wrote it
    cleaned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LeakDecision(Base):
    """The coordinator's answer to an application's identity-leak findings (services/leaks.py).

    ``accept``: the findings listed by fingerprint in ``fingerprints`` were reviewed and may go out;
    ``exclude``: the attachment ``attachment_file`` with content ``attachment_sha256`` is kept
    out of the blind material.
    """

    __tablename__ = "leak_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # accept | exclude
    attachment_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    findings_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # of the sorted fingerprints
    fingerprints: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the findings accepted, one hash each
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Expert(Base):
    """A reviewer enrolled in a round (评审专家)."""

    __tablename__ = "expert"
    __table_args__ = (UniqueConstraint("round_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(300))
    normalized_organisation: Mapped[str] = mapped_column(String(300), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    programs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    declared_conflicts: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Panel(Base):
    """The experts who review one program in one round (专家组)."""

    __tablename__ = "panel"
    __table_args__ = (UniqueConstraint("round_id", "program"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    program: Mapped[str] = mapped_column(String(4))
    members: Mapped[list[PanelMember]] = relationship(cascade="all, delete-orphan")


class PanelMember(Base):
    __tablename__ = "panel_member"
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True)
    expert: Mapped[Expert] = relationship()


class Conflict(Base):
    """An expert must not review an application (回避): declared, or found by rule."""

    __tablename__ = "conflict"
    __table_args__ = (UniqueConstraint("expert_id", "application_id", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(30))  # declared_code | declared_org | same_org | recusal
    detail: Mapped[str] = mapped_column(String(300), default="")


class Assignment(Base):
    """An expert is to score an application."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("expert_id", "application_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    expert: Mapped[Expert] = relationship()
    application: Mapped[Application] = relationship()


class Snapshot(Base):
    """A snapshot (.qbsnap) built for one expert; the passphrase is never stored.

    ``binding_secret`` (hex) checks the key binding of the expert's score files;
    ``codes`` maps the opaque application codes in the snapshot to ``Application.id``;
    ``items`` maps each code's snapshot-local item ids (``I1``, ``I2`` …) to the package's.
    ``manifest`` keeps the signed manifest.json, whose per-code bindings (keyed by ``code_key``,
    which never leaves the database) pin ``codes`` and ``items``. ``superseded_by`` names the
    snapshot a later build made for the same expert. The last four are NULL for snapshots built
    before qbdesk.snapshot/2.
    """

    __tablename__ = "snapshot"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # uuid4, as in the manifest
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of manifest.json
    binding_secret: Mapped[str] = mapped_column(String(64))
    codes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    coordinator_fingerprint: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(300))
    manifest: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    code_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    items: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    superseded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ScoreFileRecord(Base):
    """A score file (.qbscore) received from an expert, accepted or superseded."""

    __tablename__ = "score_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[str | None] = mapped_column(
        ForeignKey("snapshot.id", ondelete="SET NULL"), nullable=True, index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    sequence: Mapped[int] = mapped_column(Integer)
    key_fingerprint: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # accepted | superseded
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The file's bytes, age ciphertext (incompressible): on PostgreSQL the column is STORAGE EXTERNAL
    # (migration 0005), so the server does not try to compress 1–2 MB of noise per file.
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ScoreSheet(Base):
    """One application's values in one score file: each score, check, item decision and opinion
    the expert gave it, in the file's order.

    ``entries`` is the JSON array ``[[criterion, item, value, comment], …]`` of strings, ``value``
    itself as JSON text (``"8.5"``, ``"true"``, ``"{\"accepted\":true}"``); ``item`` is ``""`` except for
    an ``items`` criterion. One row per application, not per value: a file of 300 applications × 12
    criteria writes 300 rows, and on PostgreSQL each row costs index entries and foreign-key checks.
    The values of a file never change once imported (a newer file replaces its sheets whole), and
    every reader takes all of an application's values at once (``store.score_sheets``).
    """

    __tablename__ = "score_sheet"
    __table_args__ = (UniqueConstraint("score_file_id", "application_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    score_file_id: Mapped[int] = mapped_column(ForeignKey("score_file.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    entries: Mapped[str] = mapped_column(Text)


class Recusal(Base):
    """An expert stepped aside from an application, with a reason (回避)."""

    __tablename__ = "recusal"
    __table_args__ = (UniqueConstraint("score_file_id", "application_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    score_file_id: Mapped[int] = mapped_column(ForeignKey("score_file.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)


class QualificationRecord(Base):
    """One result of the coordinator's qualification check (资格审查) of an application.

    ``check`` is an id of ``domain.qualification.CHECKS``; no row means "not checked".
    Setting a check again replaces its row (the audit log keeps the earlier value).
    """

    __tablename__ = "qualification_check"
    __table_args__ = (UniqueConstraint("application_id", "check"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(10))  # pass | fail
    source: Mapped[str] = mapped_column(String(300))
    checked_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FrozenResult(Base):
    """A published result (公示结果) of a round, frozen: the canonical JSON of its results document.

    ``sha256`` is of ``document`` (UTF-8), and is also in the audit log's ``results.freeze`` entry.
    The newest row of a round is the result in force; a later ``qbdesk results`` compares against it.
    """

    __tablename__ = "frozen_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only, hash-chained log of what was done to a round."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="SET NULL"), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
