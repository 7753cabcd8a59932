"""Read-only queries over the engine's and the domain's tables for the administrator's pages.

The engine's API acts on one instance or definition at a time; listings across all of them (how
many instances run each version, the deployment history) read the tables directly, never write.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.clock import aware
from engine.errors import NotFound
from engine.models import Deployment, DeploymentFile, ProcessDefinition, ProcessInstance
from workflows.models import Case, HolidaySchedule, OrgUnit, Person, RoleAssignment

# Statuses of instances that have not ended: they are the ones a version change concerns.
OPEN_STATUSES = ("running", "error", "suspended")
HISTORY_LIMIT = 50
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class VersionRow:
    """One version of a process with how many instances use it."""

    definition_id: int
    version: int
    name: str
    deployment_id: int
    created_at: datetime
    source_files: tuple[str, ...]
    open_instances: int
    all_instances: int


@dataclass(frozen=True)
class ProcessRow:
    """A process with its versions, newest first."""

    process_id: str
    name: str
    versions: tuple[VersionRow, ...]

    @property
    def latest(self) -> VersionRow:
        """The newest version."""
        return self.versions[0]

    @property
    def open_instances(self) -> int:
        """Instances of any version that have not ended."""
        return sum(v.open_instances for v in self.versions)


@dataclass(frozen=True)
class DeploymentRow:
    """A deployment with its files and the versions it created."""

    id: int
    created_at: datetime
    created_by: str
    note: str
    files: tuple[str, ...]
    versions: tuple[tuple[str, int], ...] = field(default=())


@dataclass(frozen=True)
class InstanceRow:
    """An instance as a search result lists it."""

    id: int
    process_id: str
    version: int
    business_key: str | None
    status: str
    error_element: str | None
    created_at: datetime
    updated_at: datetime
    error_message: str | None = None
    case_id: int | None = None


def processes(session: Session, process_id: str | None = None) -> list[ProcessRow]:
    """Every process (or one) with its versions and instance counts per version."""
    open_counts: dict[int, int] = defaultdict(int)
    all_counts: dict[int, int] = defaultdict(int)
    counted = select(ProcessInstance.definition_id, ProcessInstance.status, func.count()).group_by(
        ProcessInstance.definition_id, ProcessInstance.status
    )
    if process_id is not None:
        counted = counted.where(ProcessInstance.process_id == process_id)
    for definition_id, status, count in session.execute(counted):
        all_counts[definition_id] += count
        if status in OPEN_STATUSES:
            open_counts[definition_id] += count
    query = select(
        ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.version,
        ProcessDefinition.name, ProcessDefinition.deployment_id, ProcessDefinition.created_at,
        ProcessDefinition.source_files,
    ).order_by(ProcessDefinition.process_id, ProcessDefinition.version.desc())
    if process_id is not None:
        query = query.where(ProcessDefinition.process_id == process_id)
    grouped: dict[str, list[VersionRow]] = defaultdict(list)
    for row in session.execute(query):
        grouped[row.process_id].append(VersionRow(
            definition_id=row.id, version=row.version, name=row.name,
            deployment_id=row.deployment_id, created_at=aware(row.created_at),
            source_files=tuple(sorted(row.source_files or {})),
            open_instances=open_counts[row.id], all_instances=all_counts[row.id],
        ))
    return [ProcessRow(pid, versions[0].name, tuple(versions)) for pid, versions in grouped.items()]


def deployments(session: Session, limit: int = HISTORY_LIMIT) -> list[DeploymentRow]:
    """The latest deployments, newest first, with their files and created versions."""
    rows = list(session.scalars(select(Deployment).order_by(Deployment.id.desc()).limit(limit)))
    ids = [d.id for d in rows]
    files: dict[int, list[str]] = defaultdict(list)
    for deployment_id, key in session.execute(
        select(DeploymentFile.deployment_id, DeploymentFile.key)
        .where(DeploymentFile.deployment_id.in_(ids)).order_by(DeploymentFile.key)
    ):
        files[deployment_id].append(key)
    versions: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for deployment_id, pid, version in session.execute(
        select(ProcessDefinition.deployment_id, ProcessDefinition.process_id,
               ProcessDefinition.version)
        .where(ProcessDefinition.deployment_id.in_(ids)).order_by(ProcessDefinition.process_id)
    ):
        versions[deployment_id].append((pid, version))
    return [
        DeploymentRow(d.id, aware(d.created_at), d.created_by, d.note, tuple(files[d.id]),
                      tuple(versions[d.id]))
        for d in rows
    ]


def deployment_files(session: Session, deployment_id: int) -> dict[str, bytes]:
    """Every file of a deployment (its bundle); raises NotFound."""
    found = {
        key: bytes(content)
        for key, content in session.execute(
            select(DeploymentFile.key, DeploymentFile.content)
            .where(DeploymentFile.deployment_id == deployment_id)
        )
    }
    if not found:
        raise NotFound(f"no deployment {deployment_id}")
    return found


def deployment_keys(session: Session, deployment_id: int) -> list[str]:
    """The file keys of a deployment, sorted."""
    return list(session.scalars(
        select(DeploymentFile.key).where(DeploymentFile.deployment_id == deployment_id)
        .order_by(DeploymentFile.key)
    ))


def deployment_file(session: Session, deployment_id: int, key: str) -> bytes:
    """One deployed file; raises NotFound."""
    content = session.scalar(
        select(DeploymentFile.content).where(
            DeploymentFile.deployment_id == deployment_id, DeploymentFile.key == key
        )
    )
    if content is None:
        raise NotFound(f"deployment {deployment_id} has no file '{key}'")
    return bytes(content)


def find_instances(session: Session, text: str = "") -> list[InstanceRow]:
    """Instances whose id is ``text`` or whose business key starts with it; with no text, those
    that need attention (in error or suspended), most recently changed first."""
    query = (
        select(ProcessInstance.id, ProcessInstance.process_id, ProcessDefinition.version,
               ProcessInstance.business_key, ProcessInstance.status,
               ProcessInstance.error_element, ProcessInstance.created_at,
               ProcessInstance.updated_at, ProcessInstance.error_message,
               Case.id.label("case_id"))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Case, Case.instance_id == ProcessInstance.id)
        .order_by(ProcessInstance.updated_at.desc(), ProcessInstance.id.desc())
        .limit(SEARCH_LIMIT)
    )
    text = text.strip()
    if not text:
        query = query.where(ProcessInstance.status.in_(("error", "suspended")))
    else:
        by_key = ProcessInstance.business_key.startswith(text, autoescape=True)
        # A number may be an id as well as the start of a key (ids fit in 64 bits).
        by_id = ProcessInstance.id == int(text) if text.isdigit() and len(text) < 19 else None
        query = query.where(by_key if by_id is None else or_(by_id, by_key))
    return [
        InstanceRow(r.id, r.process_id, r.version, r.business_key, r.status, r.error_element,
                    aware(r.created_at), aware(r.updated_at), r.error_message, r.case_id)
        for r in session.execute(query)
    ]


def instance_row(session: Session, instance_id: int) -> InstanceRow:
    """One instance's listing row; raises NotFound."""
    row = session.execute(
        select(ProcessInstance.id, ProcessInstance.process_id, ProcessDefinition.version,
               ProcessInstance.business_key, ProcessInstance.status,
               ProcessInstance.error_element, ProcessInstance.created_at,
               ProcessInstance.updated_at)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id == instance_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    return InstanceRow(row.id, row.process_id, row.version, row.business_key, row.status,
                       row.error_element, aware(row.created_at), aware(row.updated_at))


def newer_versions(session: Session, process_id: str, version: int) -> list[tuple[int, int]]:
    """(definition id, version) of the versions of a process newer than ``version``."""
    return [
        (definition_id, number)
        for definition_id, number in session.execute(
            select(ProcessDefinition.id, ProcessDefinition.version)
            .where(ProcessDefinition.process_id == process_id,
                   ProcessDefinition.version > version)
            .order_by(ProcessDefinition.version.desc())
        )
    ]


def org_units(session: Session) -> list[OrgUnit]:
    """Every organisation unit in creation order (the tree is built from parent ids)."""
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.id)))


def people(session: Session) -> list[Person]:
    """Every person with their roles and units, by username."""
    return list(session.scalars(
        select(Person).options(selectinload(Person.roles).selectinload(RoleAssignment.org_unit))
        .order_by(Person.username)
    ))



def imported_schedule(session: Session, year: int) -> str | None:
    """The CSV an administrator imported for ``year``, as uploaded; None if none was."""
    return session.scalar(select(HolidaySchedule.content).where(HolidaySchedule.year == year))
