"""Plain, immutable values the engine hands out: callers never see SpiffWorkflow or ORM objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LaneContext:
    """What a lane resolver sees when deciding a human task's candidate group."""

    lane: str | None
    element_id: str
    process_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class TaskBinding:
    """Where a new human task goes: a candidate group's queue and, when it is one person's
    (a named party, the person who has the case), that person as its assignee."""

    candidate_group: str | None
    assignee: str | None = None


@dataclass(frozen=True)
class TaskView:
    """A human task as the task list shows it."""

    id: int
    instance_id: int
    element_id: str
    name: str
    form: str | None
    lane: str | None
    candidate_group: str | None
    assignee: str | None
    state: str
    priority: int
    created_at: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class TimerView:
    """A timer an instance is waiting on."""

    element_id: str
    name: str
    due_at: datetime


@dataclass(frozen=True)
class MessageWait:
    """A message an instance is waiting for."""

    element_id: str
    message_name: str
    correlations: Mapping[str, Any]


@dataclass(frozen=True)
class InstanceView:
    """An instance after a step: its status, data and what it now waits for."""

    id: int
    process_id: str
    definition_id: int
    version: int
    business_key: str | None
    status: str
    data: Mapping[str, Any]
    ready_tasks: tuple[TaskView, ...] = ()
    timers: tuple[TimerView, ...] = ()
    awaiting: tuple[MessageWait, ...] = ()
    error_element: str | None = None
    error_message: str | None = None

    def task(self, element_id: str) -> TaskView:
        """Return the ready task for ``element_id``; raise LookupError if there is none."""
        for task in self.ready_tasks:
            if task.element_id == element_id:
                return task
        ready = ", ".join(t.element_id for t in self.ready_tasks) or "none"
        raise LookupError(f"no ready task '{element_id}' (ready: {ready})")


@dataclass(frozen=True)
class DefinitionView:
    """One version of a deployed process."""

    id: int
    process_id: str
    name: str
    version: int
    deployment_id: int
    created_at: datetime


@dataclass(frozen=True)
class DeploymentView:
    """The outcome of a deployment; ``created`` is False when identical content was deployed before."""

    id: int
    created: bool
    definitions: tuple[DefinitionView, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditView:
    """One entry of an instance's audit trail."""

    id: int
    at: datetime
    actor: str
    action: str
    element_id: str | None
    element_name: str | None
    element_type: str | None
    detail: str | None
    changes: Mapping[str, Any] | None
