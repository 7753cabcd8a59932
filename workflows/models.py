"""The mediation domain's tables: organisation tree, people and roles, cases and their parties.

They live in their own metadata and migration branch; a case points at its engine instance by id
and nothing in the engine points back.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from engine.models import NAMING_CONVENTION, UtcDateTime


class Base(DeclarativeBase):
    """Declarative base of the domain's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class OrgUnit(Base):
    """A node of the organisation tree: a tier's unit, a specialty room, a mediation organisation
    or a court and its divisions."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str | None] = mapped_column(String(20), index=True)
    specialty: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id", back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")


class Person(Base):
    """Someone who logs in: mediators, clerks, court staff, administrators, parties."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # What a mediator is known for, as dispute-type codes (shown on the roster parties choose from).
    specialties: Mapped[list[str] | None] = mapped_column(JSON)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class RoleAssignment(Base):
    """A role a person holds in an organisation unit (a mediator of one room, a judge of one court)."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("person_id", "role", "org_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)

    person: Mapped[Person] = relationship(back_populates="roles")
    org_unit: Mapped[OrgUnit] = relationship()


class Case(Base):
    """A dispute as the office handles it; its process runs in the engine."""

    __tablename__ = "mediation_case"
    __table_args__ = (Index("ix_mediation_case_queue", "org_unit_id", "tier", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    dispute_type: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    amount_paid: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(30), index=True)
    tier: Mapped[str | None] = mapped_column(String(20))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    state: Mapped[str] = mapped_column(String(30), index=True)
    personal_status: Mapped[bool] = mapped_column(Boolean, default=False)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(30))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The mediator who has the case now (chosen, designated or assigned, and on the roster).
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)

    parties: Mapped[list[Party]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.id"
    )
    org_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[org_unit_id])
    joint_units: Mapped[list[JointUnit]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="JointUnit.id"
    )


class Party(Base):
    """A party to a case (applicant, respondent) or an agent acting for one.

    A party who has a login is linked to that person: their tasks are theirs by name.  In a
    dispute with many parties on one side, a party may act through a representative (代表人), who
    is another party of the same side: ``represented_by_id``.
    """

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    id_number: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    represents_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    represented_by_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))

    case: Mapped[Case] = relationship(back_populates="parties")


class JointUnit(Base):
    """A unit that mediates a case jointly with the unit that has it (联合调解): the petition
    office, a labour inspectorate, the department concerned.  Its mediators see the case."""

    __tablename__ = "case_joint_unit"
    __table_args__ = (UniqueConstraint("case_id", "org_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True
    )
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    invited_by: Mapped[str] = mapped_column(String(80))
    invited_at: Mapped[datetime]

    case: Mapped[Case] = relationship(back_populates="joint_units")
    org_unit: Mapped[OrgUnit] = relationship()


class CaseNumberSequence(Base):
    """The next serial number per case-number prefix and year."""

    __tablename__ = "case_number_sequence"
    __table_args__ = (UniqueConstraint("kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class HolidaySchedule(Base):
    """A year's official holiday schedule imported by an administrator (CSV as uploaded)."""

    __tablename__ = "holiday_schedule"

    year: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(80))


class Material(Base):
    """A file added to a case (a photo, a scan, a PDF, a recording); its bytes live in the file
    store under their SHA-256.  A withdrawn material stays on record, hidden from the list."""

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(80))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(300))


class Signature(Base):
    """A party's signature of the mediation agreement: the image drawn (or the mediator's record
    that they signed on paper), who and when, and the SHA-256 of the exact document signed."""

    __tablename__ = "agreement_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    party_name: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(20))
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    document_sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(80))
    confirmed_by: Mapped[str | None] = mapped_column(String(80))


class Notice(Base):
    """A message to a party (an SMS, or a letter from the outbox) and what became of it."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("case_id", "key", "party_id"),
                      Index("ix_notice_status", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(120))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    recipient: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(300))
    handled_by: Mapped[str | None] = mapped_column(String(80))


class CaseFile(Base):
    """The case file (案卷) as stored when the case was archived: a zip in the file store."""

    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_case.id", ondelete="CASCADE"), unique=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime]


class DocumentTemplate(Base):
    """An administrator's replacement for a packaged document or message template."""

    __tablename__ = "document_template"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(80))


class StatusLookup(Base):
    """One attempt to look a case up on the public status page (for rate limiting)."""

    __tablename__ = "status_lookup"
    __table_args__ = (Index("ix_status_lookup_client_at", "client", "at"),
                      Index("ix_status_lookup_case_no_at", "case_no", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    case_no: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime]
    found: Mapped[bool] = mapped_column(Boolean, default=False)
class LegalDeadline(Base):
    """A legal period a process counted: how (start, days, unit), its deadline, the data key that
    holds it, and the years counted without an official schedule (then the deadline is
    provisional and is recomputed when their schedules are imported).

    ``running`` is true while the process still holds the deadline (its key keeps the value and
    the instance has not ended).
    """

    __tablename__ = "legal_deadline"
    __table_args__ = (
        Index("ix_legal_deadline_instance", "instance_id", "running"),
        Index("ix_legal_deadline_provisional", "provisional", "running"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str | None] = mapped_column(String(100))
    start: Mapped[date]
    days: Mapped[int]
    unit: Mapped[str] = mapped_column(String(2))
    due_at: Mapped[datetime]
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    provisional_years: Mapped[list[int]] = mapped_column(JSON, default=list)
    counted_at: Mapped[datetime]
    running: Mapped[bool] = mapped_column(Boolean, default=True)
