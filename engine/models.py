"""The engine's tables.

Process definitions are stored once (by content) and shared by every instance started on them;
an instance row holds only its own state.  Human tasks, pending timers and awaited messages are
projections of that state, rewritten in the same transaction as the state itself, so the task list
and the timer worker read plain indexed columns and never the JSON.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC and always read back as an aware UTC datetime.

    SQLite keeps no zone: without this, an aware Asia/Shanghai value would be stored as its wall
    time and read back eight hours off.  Naive values are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored as an instant: {value!r}")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the engine's tables (its own metadata, separate from the domain's)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Deployment(Base):
    """One deployed bundle of files; identical content is deployed once."""

    __tablename__ = "engine_deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")


class DeploymentFile(Base):
    """A file as it was deployed, kept so it can be downloaded and edited again."""

    __tablename__ = "engine_deployment_file"

    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("engine_deployment.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessDefinition(Base):
    """One version of one process: its compiled spec, stored once and shared by its instances."""

    __tablename__ = "engine_process_definition"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("engine_deployment.id"))
    created_at: Mapped[datetime]
    # Serialized SpiffWorkflow specs: {"spec": ..., "subprocess_specs": {...}}.
    specs: Mapped[str] = mapped_column(Text)
    # Element id -> form key, and form key -> form document.
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_files: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProcessInstance(Base):
    """A running (or finished) process; ``state`` is the workflow's JSON without its specs."""

    __tablename__ = "engine_instance"
    __table_args__ = (Index("ix_engine_instance_timer", "status", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("engine_process_definition.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    task_count: Mapped[int] = mapped_column(default=0)
    next_timer_at: Mapped[datetime | None]
    error_element: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    # The time of the step that failed: a retry runs that step again with this clock.
    error_at: Mapped[datetime | None]
    status_before_suspend: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """A task waiting for a person, as the task list reads it."""

    __tablename__ = "engine_human_task"
    __table_args__ = (
        # A group's queue in each order the task list offers: by due date, newest, priority.
        Index("ix_engine_human_task_queue", "state", "candidate_group", "due_at"),
        Index("ix_engine_human_task_queue_created", "state", "candidate_group", "id"),
        Index("ix_engine_human_task_queue_priority", "state", "candidate_group", "priority", "id"),
        Index("ix_engine_human_task_mine", "state", "assignee", "due_at"),
        # The instances whose tasks a person has worked (who keeps reading which case).
        Index("ix_engine_human_task_done_by", "ended_by", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("engine_instance.id", ondelete="CASCADE"), index=True
    )
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    form: Mapped[str | None] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_group: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))


class PendingTimer(Base):
    """A timer an instance waits on, with its due time."""

    __tablename__ = "engine_timer"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("engine_instance.id", ondelete="CASCADE"), index=True
    )
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(index=True)


class MessageSubscription(Base):
    """A message an instance waits for, with the correlation values it expects."""

    __tablename__ = "engine_message_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("engine_instance.id", ondelete="CASCADE"), index=True
    )
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str] = mapped_column(String(200), index=True)
    correlations: Mapped[dict[str, Any]] = mapped_column(JSON)


class Message(Base):
    """A message thrown by an instance, kept until it is routed to its receivers."""

    __tablename__ = "engine_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    correlations: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("engine_instance.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    delivered_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """Who did what to an instance, when, and which data changed."""

    __tablename__ = "engine_audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("engine_instance.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    element_type: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
