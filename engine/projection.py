"""Reading a workflow's waiting points and writing them to the projection tables.

After every step the engine rewrites, for that one instance, the human tasks that became ready or
went away, its pending timers and the messages it awaits.  These rows are what the task list, the
case page's deadlines and the timer worker read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, insert, update
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

TASKS_TABLE = HumanTask.__table__
_INSERT_TASK = insert(TASKS_TABLE).returning(*TASKS_TABLE.c)
_INSERT_TASKS = insert(TASKS_TABLE).returning(*TASKS_TABLE.c, sort_by_parameter_order=True)
from engine.views import LaneContext, MessageWait, TaskBinding, TimerView

# Binds a new human task (its lane, element, process and data) to a group and an assignee.
TaskBinder = Callable[[LaneContext], TaskBinding]


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


def ready_human_tasks(tasks: Iterable[Task], forms: dict[str, str]) -> list[ReadyTask]:
    """Describe ready human tasks, with their due time if a timer bounds them."""
    found = []
    for task in tasks:
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


@dataclass(frozen=True)
class Waits:
    """Where a workflow waits: ready human tasks (by guid), timers and awaited messages."""

    ready: frozenset[str]
    timers: tuple[tuple[str, str, str, datetime], ...]
    messages: tuple[tuple[str, str, str, str], ...]

    @property
    def next_timer_at(self) -> datetime | None:
        """The earliest due time among the timers."""
        return min((t[3] for t in self.timers), default=None)


NOTHING = Waits(frozenset(), (), ())


def capture(workflow: BpmnWorkflow, pending: list[Task] | None = None) -> Waits:
    """Take the workflow's waiting points, cheaply enough to do before and after every step.

    ``pending`` may pass the workflow's unfinished tasks if the caller already walked the tree.
    """
    if pending is None:
        pending = workflow.get_tasks(state=TaskState.READY)
    ready = frozenset(
        str(t.id) for t in pending if t.state == TaskState.READY and t.task_spec.manual
    )
    timers = tuple(
        (str(task.id), view.element_id, view.name, view.due_at)
        for task, view in pending_timers(workflow)
    )
    messages = tuple(
        (str(task.id), view.element_id, view.message_name,
         json.dumps(dict(view.correlations), sort_keys=True, default=str))
        for task, view in awaited_messages(workflow)
    )
    return Waits(ready, timers, messages)


def sync(
    session: Session,
    *,
    instance_id: int,
    process_id: str,
    workflow: BpmnWorkflow,
    before: Waits,
    after: Waits,
    finished: frozenset[str],
    forms: dict[str, str],
    bind: TaskBinder,
    now: datetime,
    actor: str,
) -> tuple[list[str], list[Row[Any]] | None]:
    """Write what changed between two snapshots.

    Returns the elements of interrupted tasks and the rows of the human tasks created.

    The projection always equals the snapshot taken after the previous step, so the difference
    of the two snapshots is exactly what to write, without reading the rows back.
    """
    gone = before.ready - after.ready - finished
    cancelled: list[str] = []
    if gone:
        # A ready task that left without being completed was interrupted (boundary event,
        # termination, migration); the row stays for the record.
        cancelled = list(
            session.connection().execute(
                update(TASKS_TABLE)
                .where(TASKS_TABLE.c.task_guid.in_(sorted(gone)), TASKS_TABLE.c.state == "ready")
                .values(state="cancelled", ended_at=now, ended_by=actor)
                .returning(TASKS_TABLE.c.element_id)
            ).scalars()
        )
    created: list[Row[Any]] | None = None
    if after.ready - before.ready:
        tasks = sorted(
            (workflow.get_task_from_id(UUID(guid)) for guid in after.ready - before.ready),
            key=lambda t: (t.last_state_change, element_id(t)),
        )
        new = ready_human_tasks(tasks, forms)
        bindings = [bind(LaneContext(t.lane, t.element_id, process_id, t.data)) for t in new]
        rows = [
                {
                    "instance_id": instance_id,
                    "task_guid": t.guid,
                    "element_id": t.element_id,
                    "name": t.name,
                    "form": t.form,
                    "lane": t.lane,
                    "candidate_group": binding.candidate_group,
                    "assignee": binding.assignee,
                    "state": "ready",
                    "priority": t.priority,
                    "created_at": now,
                    "due_at": t.due_at,
                    "ended_at": None,
                    "ended_by": None,
                }
                for t, binding in zip(new, bindings, strict=True)
            ]
        # One row (the usual case) goes as a plain INSERT ... RETURNING, cheaper than a batch.
        created = session.connection().execute(
            _INSERT_TASK if len(rows) == 1 else _INSERT_TASKS, rows[0] if len(rows) == 1 else rows
        ).all()
    if before.timers != after.timers:
        session.execute(delete(PendingTimer).where(PendingTimer.instance_id == instance_id))
        if after.timers:
            session.execute(
                insert(PendingTimer),
                [
                    {"instance_id": instance_id, "task_guid": guid, "element_id": element,
                     "name": name, "due_at": due}
                    for guid, element, name, due in after.timers
                ],
            )
    if before.messages != after.messages:
        session.execute(
            delete(MessageSubscription).where(MessageSubscription.instance_id == instance_id)
        )
        if after.messages:
            session.execute(
                insert(MessageSubscription),
                [
                    {"instance_id": instance_id, "task_guid": guid, "element_id": element,
                     "message_name": name, "correlations": json.loads(correlations)}
                    for guid, element, name, correlations in after.messages
                ],
            )
    return cancelled, created


def move_timers(
    workflow: BpmnWorkflow, *, old: datetime, new: datetime, key: str | None
) -> list[str]:
    """Move the waiting timers due at ``old`` to ``new``; return the elements moved.

    A timer whose expression is a bare name other than ``key`` holds another value that happens
    to be due at the same instant, and stays.
    """
    moved = []
    for task, view in pending_timers(workflow):
        if view.due_at != old or not _timer_names(task, key):
            continue
        value = task._get_internal_data("event_value")
        if not isinstance(value, str):
            continue  # cycle timers keep a schedule of their own
        task._set_internal_data(event_value=new.isoformat())
        moved.append(view.element_id)
    return moved


def _timer_names(task: Task, key: str | None) -> bool:
    """Whether a timer's expression may hold the value of ``key``."""
    for definition in _event_definitions(task):
        if isinstance(definition, TimerEventDefinition):
            expression = (definition.expression or "").strip()
            if key is not None and expression.isidentifier() and expression != key:
                return False
    return True


def redate_ready(session: Session, *, workflow: BpmnWorkflow, guids: frozenset[str]) -> None:
    """Write the due dates of ready human tasks again from the timers bounding them."""
    for guid in sorted(guids):
        task = workflow.get_task_from_id(UUID(guid))
        if task is None:
            continue
        session.connection().execute(
            update(TASKS_TABLE)
            .where(TASKS_TABLE.c.task_guid == guid, TASKS_TABLE.c.state == "ready")
            .values(due_at=_bounding_timer_due(task))
        )


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
    """The earliest waiting timer on a boundary of this task or of anything enclosing it.

    A boundary event waits beside the activity it is attached to, under a BoundaryEventSplit;
    the activity may be the task itself, the multi-instance task it is an instance of, or a
    (call activity of a) subprocess around it.  Any waiting timer found that way still bounds
    the task: boundary events are cancelled when their activity ends.
    """
    dues: list[datetime] = []
    current: Task | None = task
    while current is not None:
        parent = current.parent
        while parent is not None:
            if type(parent.task_spec).__name__ == "BoundaryEventSplit":
                for sibling in parent.children:
                    if sibling.state == TaskState.WAITING:
                        due = _timer_due(sibling)
                        if due is not None:
                            dues.append(due)
            parent = parent.parent
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


def redescribe_ready(
    session: Session,
    *,
    workflow: BpmnWorkflow,
    guids: frozenset[str],
    process_id: str,
    forms: dict[str, str],
    bind: TaskBinder,
) -> None:
    """Rewrite what the task list shows of ready tasks whose spec changed under them (migration).

    A task that stays ready across a version change keeps its row, its id and its assignee; its
    element, name, form, lane and group follow the new version.
    """
    tasks = [workflow.get_task_from_id(UUID(guid)) for guid in sorted(guids)]
    for ready in ready_human_tasks([t for t in tasks if t is not None], forms):
        session.connection().execute(
            update(TASKS_TABLE)
            .where(TASKS_TABLE.c.task_guid == ready.guid, TASKS_TABLE.c.state == "ready")
            .values(
                element_id=ready.element_id,
                name=ready.name,
                form=ready.form,
                lane=ready.lane,
                candidate_group=bind(
                    LaneContext(ready.lane, ready.element_id, process_id, ready.data)
                ).candidate_group,
                priority=ready.priority,
                due_at=ready.due_at,
            )
        )
