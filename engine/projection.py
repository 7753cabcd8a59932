"""Reading a workflow's waiting points and writing them to the projection tables.

After every step the engine rewrites, for that one instance, the human tasks that became ready or
went away, its pending timers and the messages it awaits.  These rows are what the task list, the
case page's deadlines and the timer worker read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.clock import aware
from engine.models import HumanTask, MessageSubscription, PendingTimer
from engine.views import LaneContext, MessageWait, TimerView

GroupResolver = Callable[[LaneContext], "str | None"]


@dataclass(frozen=True)
class ReadyTask:
    """A human task found ready in the workflow."""

    guid: str
    element_id: str
    name: str
    lane: str | None
    form: str | None
    priority: int
    due_at: datetime | None
    data: dict[str, Any]


def element_id(task: Task) -> str:
    """The BPMN id of a task's element (or the spec name for engine-internal specs)."""
    return getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name


def element_name(task: Task) -> str:
    """The element's name as drawn in the diagram, falling back to its id."""
    return getattr(task.task_spec, "bpmn_name", None) or element_id(task)


def ready_human_tasks(workflow: BpmnWorkflow, forms: dict[str, str]) -> list[ReadyTask]:
    """Every human task that is ready in the workflow, with its due time if a timer bounds it."""
    found = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}
        found.append(
            ReadyTask(
                guid=str(task.id),
                element_id=element_id(task),
                name=element_name(task),
                lane=spec.lane,
                form=forms.get(element_id(task)),
                priority=_int_or_zero(props.get("priority")),
                due_at=_bounding_timer_due(task),
                data=task.data,
            )
        )
    return found


def pending_timers(workflow: BpmnWorkflow) -> Iterator[tuple[Task, TimerView]]:
    """Each waiting timer of the workflow with its due time."""
    for task in _waiting_event_tasks(workflow):
        due = _timer_due(task)
        if due is not None:
            yield task, TimerView(element_id(task), element_name(task), due)


def awaited_messages(workflow: BpmnWorkflow) -> Iterator[tuple[Task, MessageWait]]:
    """Each message the workflow waits for, with the correlation values it holds."""
    for task in _waiting_event_tasks(workflow):
        for definition in _event_definitions(task):
            if isinstance(definition, MessageEventDefinition):
                correlations = dict(task.workflow.correlations or {})
                yield task, MessageWait(element_id(task), definition.name, correlations)


def sync(
    session: Session,
    *,
    instance_id: int,
    process_id: str,
    workflow: BpmnWorkflow,
    forms: dict[str, str],
    resolve_group: GroupResolver,
    now: datetime,
    actor: str,
) -> tuple[list[ReadyTask], list[str]]:
    """Rewrite the instance's projection rows; return new ready tasks and cancelled elements."""
    ready = ready_human_tasks(workflow, forms)
    existing = {
        guid: (row_id, element)
        for row_id, guid, element in session.execute(
            select(HumanTask.id, HumanTask.task_guid, HumanTask.element_id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "ready"
            )
        )
    }
    ready_guids = {t.guid for t in ready}
    gone = [(row_id, element) for guid, (row_id, element) in existing.items() if guid not in ready_guids]
    if gone:
        # A ready task that left without being completed was interrupted (boundary event,
        # termination, migration); the row stays for the record.
        session.execute(
            update(HumanTask)
            .where(HumanTask.id.in_([row_id for row_id, _ in gone]))
            .values(state="cancelled", ended_at=now, ended_by=actor)
        )
    new = [t for t in ready if t.guid not in existing]
    if new:
        session.execute(
            insert(HumanTask),
            [
                {
                    "instance_id": instance_id,
                    "task_guid": t.guid,
                    "element_id": t.element_id,
                    "name": t.name,
                    "form": t.form,
                    "lane": t.lane,
                    "candidate_group": resolve_group(
                        LaneContext(t.lane, t.element_id, process_id, t.data)
                    ),
                    "assignee": None,
                    "state": "ready",
                    "priority": t.priority,
                    "created_at": now,
                    "due_at": t.due_at,
                }
                for t in new
            ],
        )
    _rewrite_waits(session, instance_id, workflow)
    return new, [element for _, element in gone]


def clear(session: Session, *, instance_id: int, now: datetime, actor: str) -> None:
    """Drop every waiting point of an instance that has ended."""
    session.execute(
        update(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
        .values(state="cancelled", ended_at=now, ended_by=actor)
    )
    session.execute(delete(PendingTimer).where(PendingTimer.instance_id == instance_id))
    session.execute(
        delete(MessageSubscription).where(MessageSubscription.instance_id == instance_id)
    )


def _rewrite_waits(session: Session, instance_id: int, workflow: BpmnWorkflow) -> None:
    session.execute(delete(PendingTimer).where(PendingTimer.instance_id == instance_id))
    session.execute(
        delete(MessageSubscription).where(MessageSubscription.instance_id == instance_id)
    )
    timers = [
        {
            "instance_id": instance_id,
            "task_guid": str(task.id),
            "element_id": view.element_id,
            "name": view.name,
            "due_at": view.due_at,
        }
        for task, view in pending_timers(workflow)
    ]
    if timers:
        session.execute(insert(PendingTimer), timers)
    waits = [
        {
            "instance_id": instance_id,
            "task_guid": str(task.id),
            "element_id": view.element_id,
            "message_name": view.message_name,
            "correlations": dict(view.correlations),
        }
        for task, view in awaited_messages(workflow)
    ]
    if waits:
        session.execute(insert(MessageSubscription), waits)


def _waiting_event_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return list(workflow.event_manager.tasks.values())


def _event_definitions(task: Task) -> list[Any]:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def _timer_due(task: Task) -> datetime | None:
    if not any(isinstance(d, TimerEventDefinition) for d in _event_definitions(task)):
        return None
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(value, dict):  # a cycle timer keeps its next firing in a dict
        if value.get("cycles") == 0:
            return None
        value = value.get("next")
    try:
        if isinstance(value, str) and value.upper().startswith("R"):
            _, start, _ = CycleTimerEventDefinition.parse_iso_recurring_interval(value)
            return aware(start)
        return aware(TimerEventDefinition.get_datetime(str(value)))
    except (ValueError, TypeError):
        return None


def _bounding_timer_due(task: Task) -> datetime | None:
    """The earliest timer on a boundary of this task or of a subprocess enclosing it."""
    dues: list[datetime] = []
    current: Task | None = task
    while current is not None:
        parent = current.parent
        if parent is not None and type(parent.task_spec).__name__ == "BoundaryEventSplit":
            for sibling in parent.children:
                if sibling is not current:
                    due = _timer_due(sibling)
                    if due is not None:
                        dues.append(due)
        parent_task_id = current.workflow.parent_task_id
        current = (
            current.workflow.top_workflow.get_task_from_id(parent_task_id)
            if parent_task_id is not None
            else None
        )
    return min(dues) if dues else None


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
