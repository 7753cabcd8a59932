"""Reading and writing rows on the hot path, with prebuilt SQLAlchemy Core statements.

A step touches a handful of rows.  Executing prebuilt Core statements on the session's connection,
instead of going through the ORM's unit of work, keeps the database's share of a step small.  The
version column is checked here by hand: an UPDATE that matches no row means someone else saved the
instance first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.clock import aware
from engine.errors import ConcurrentUpdate
from engine.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance

INSTANCES = ProcessInstance.__table__
TASKS = HumanTask.__table__
AUDIT = AuditEvent.__table__
DEFINITIONS = ProcessDefinition.__table__


@dataclass
class InstanceRow:
    """An instance row as a step reads and changes it."""

    id: int
    definition_id: int
    process_id: str
    business_key: str | None
    status: str
    state: str
    lock_version: int
    task_count: int
    next_timer_at: datetime | None
    error_element: str | None
    error_message: str | None
    status_before_suspend: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    ended_at: datetime | None
    error_at: datetime | None = None


_COLUMNS = [INSTANCES.c[f.name] for f in fields(InstanceRow)]
_MUTABLE = (
    "definition_id", "status", "state", "task_count", "next_timer_at", "error_element",
    "error_message", "status_before_suspend", "updated_at", "ended_at", "error_at",
)

_INSERT_INSTANCE = insert(INSTANCES).returning(INSTANCES.c.id)
_READ_INSTANCE = select(*_COLUMNS).where(INSTANCES.c.id == bindparam("instance_id"))
_LOCK_INSTANCE = _READ_INSTANCE.with_for_update()
_WRITE_INSTANCE = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("_id"), INSTANCES.c.lock_version == bindparam("_version"))
    .values(
        lock_version=bindparam("_next_version"),
        **{name: bindparam(name) for name in _MUTABLE},
    )
)
_TASK_NAMES = [c.name for c in TASKS.c]
_READ_TASK = select(TASKS).where(TASKS.c.id == bindparam("task_id"))
_LOCK_BY_TASK = (
    select(*_COLUMNS, *TASKS.c)
    .select_from(TASKS.join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id))
    .where(TASKS.c.id == bindparam("task_id"))
    .with_for_update(of=INSTANCES)
)
_READY_TASKS = (
    select(TASKS)
    .where(TASKS.c.instance_id == bindparam("instance_id"), TASKS.c.state == "ready")
    .order_by(TASKS.c.id)
)
_FINISH_TASK = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("task_id"))
    .values(
        state="completed",
        assignee=bindparam("actor"),
        ended_at=bindparam("now"),
        ended_by=bindparam("actor"),
    )
)
_INSERT_AUDIT = insert(AUDIT)
_LATEST_DEFINITION = (
    select(DEFINITIONS.c.id)
    .where(DEFINITIONS.c.process_id == bindparam("process_id"))
    .order_by(DEFINITIONS.c.version.desc())
    .limit(1)
)


def insert_instance(session: Session, **values: Any) -> InstanceRow:
    """Insert a new instance row and return it."""
    values.setdefault("lock_version", 1)
    values.setdefault("task_count", 0)
    for name in ("next_timer_at", "error_element", "error_message", "status_before_suspend",
                 "ended_at", "error_at"):
        values.setdefault(name, None)
    new_id = session.connection().execute(_INSERT_INSTANCE, values).scalar_one()
    return InstanceRow(id=new_id, **values)


def read_instance(session: Session, instance_id: int, *, lock: bool = False) -> InstanceRow | None:
    """Read an instance row, locking it for the rest of the transaction if asked."""
    try:
        found = (
            session.connection()
            .execute(_LOCK_INSTANCE if lock else _READ_INSTANCE, {"instance_id": instance_id})
            .one_or_none()
        )
    except OperationalError as exc:  # SQLite gave up waiting for the write lock
        raise ConcurrentUpdate(f"instance {instance_id} is busy; try again") from exc
    return _instance(found) if found is not None else None


def lock_by_task(session: Session, task_id: int) -> tuple[InstanceRow, Any] | None:
    """Lock the instance a task belongs to; return the instance row and the task row.

    On PostgreSQL the task row comes from the statement's snapshot: read it again when its
    current state matters.
    """
    try:
        found = session.connection().execute(_LOCK_BY_TASK, {"task_id": task_id}).one_or_none()
    except OperationalError as exc:  # SQLite gave up waiting for the write lock
        raise ConcurrentUpdate(f"task {task_id} is busy; try again") from exc
    if found is None:
        return None
    width = len(_COLUMNS)
    return _instance(found[:width]), SimpleNamespace(**dict(zip(_TASK_NAMES, found[width:])))


def write_instance(session: Session, row: InstanceRow) -> None:
    """Save a changed instance row; raise ConcurrentUpdate if it changed since it was read."""
    params = {name: getattr(row, name) for name in _MUTABLE}
    params.update(_id=row.id, _version=row.lock_version, _next_version=row.lock_version + 1)
    if session.connection().execute(_WRITE_INSTANCE, params).rowcount != 1:
        raise ConcurrentUpdate(
            f"instance {row.id} was changed by someone else at the same time; try again"
        )
    row.lock_version += 1


def read_task(session: Session, task_id: int) -> Row[Any] | None:
    """Read a human task row."""
    return session.connection().execute(_READ_TASK, {"task_id": task_id}).one_or_none()


def ready_tasks(session: Session, instance_id: int) -> Sequence[Row[Any]]:
    """The ready human task rows of an instance, oldest first."""
    return session.connection().execute(_READY_TASKS, {"instance_id": instance_id}).all()


def finish_task(session: Session, task_id: int, *, actor: str, now: datetime) -> None:
    """Mark a human task completed by ``actor``."""
    session.connection().execute(_FINISH_TASK, {"task_id": task_id, "actor": actor, "now": now})


def insert_audit(session: Session, events: list[dict[str, Any]]) -> None:
    """Append audit events."""
    session.connection().execute(_INSERT_AUDIT, events)


def latest_definition_id(session: Session, process_id: str) -> int | None:
    """The id of the newest version of a process."""
    return session.connection().execute(_LATEST_DEFINITION, {"process_id": process_id}).scalar()


def _instance(found: Sequence[Any]) -> InstanceRow:
    row = InstanceRow(*found)
    row.created_at, row.updated_at = aware(row.created_at), aware(row.updated_at)
    if row.next_timer_at is not None:
        row.next_timer_at = aware(row.next_timer_at)
    if row.ended_at is not None:
        row.ended_at = aware(row.ended_at)
    if row.error_at is not None:
        row.error_at = aware(row.error_at)
    return row
