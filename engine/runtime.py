"""The engine: start instances, complete human tasks, fire timers, route messages.

Every action that moves an instance is one *step* and one transaction: lock the instance row
(``SELECT ... FOR UPDATE`` on PostgreSQL; the version column guards SQLite), restore the workflow
onto its cached spec, act, advance with ``refresh_timers`` then ``do_engine_steps`` until the
instance waits for a person, a timer or a message, then save the state, the projection rows and
the audit events.  The caller's transaction commits them together; if anything fails, the
rollback leaves the instance exactly as it was.

An expression that fails inside the diagram is not such a failure: the instance is saved in the
``error`` state, naming the element and the message, so an administrator can see it and retry it
after a fix.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from uuid import UUID

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.bpmn.specs.event_definitions.message import (
    MessageEventDefinition as BaseMessageEventDefinition,
)
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import deployments, projection, store
from engine.clock import (
    Clock,
    FixedClock,
    aware,
    collecting_step_notes,
    system_clock,
    using_clock,
)
from engine.database import Database
from engine.errors import (
    ConcurrentUpdate,
    EngineError,
    ExpressionError,
    FormValidationError,
    MigrationRefused,
    NotFound,
    StateConflict,
    TaskLimitExceeded,
    TaskOwnershipError,
)
from engine.deployments import CachedDefinition
from engine.forms import validate_form_data
from engine.models import (
    AuditEvent,
    HumanTask,
    Message,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
)
from engine.projection import Waits
from engine.store import InstanceRow
from engine.sandbox import SandboxedScriptEngine
from engine.serialization import dump_state, load_state, spec_registry
from engine.views import (
    AuditView,
    DefinitionView,
    DeploymentView,
    InstanceView,
    LaneContext,
    MessageWait,
    TaskBinding,
    TaskView,
    TimerView,
)

ENGINE_ACTOR = "engine"
# A user task's ``spiffworkflow:property`` naming the data variable that records who completed
# it: whoever takes up a task from a queue can be the one the diagram's later tasks go to.
COMPLETER_PROPERTY = "completerVariable"

# SpiffWorkflow silently stops advancing a task tree 1000 levels deep (a loop-back in the diagram);
# stopping a little earlier lets the engine say so instead.
MAX_TREE_DEPTH = 900
_WAITING = TaskState.READY | TaskState.WAITING | TaskState.ERROR
_PENDING = (
    TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
    | TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
)

RUNNING, COMPLETED, ERROR, SUSPENDED, TERMINATED = (
    "running",
    "completed",
    "error",
    "suspended",
    "terminated",
)


def lane_as_group(context: LaneContext) -> str | None:
    """The default lane resolver: a lane's name is its candidate group."""
    return context.lane


@dataclass(frozen=True)
class EngineConfig:
    """What the application supplies to the engine."""

    # Functions diagrams may call in expressions and timers (e.g. legal-period deadlines).
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Binds a human task's lane (plus its data) to a concrete candidate group.
    resolve_group: Callable[[LaneContext], str | None] = lane_as_group
    # When given, binds each new human task to its group *and* assignee instead, with the step's
    # session at hand (an application may look up who holds a role, or whose task it is); it runs
    # inside the step's transaction, and what it raises rolls the step back.
    bind_task: Callable[[Session, LaneContext], TaskBinding] | None = None
    clock: Clock = system_clock
    # Elements one step may run before it must reach a wait state, and tasks one instance may hold.
    max_steps_per_advance: int = 2000
    max_tasks_per_instance: int = 20000
    # Called with the session and the new view at the end of every step, inside its transaction
    # (whoever caused the step: a person, the timer worker, a message): where an application keeps
    # its own records in step with the instance.  What it raises rolls the whole step back.
    after_step: Callable[[Session, InstanceView], None] | None = None


@dataclass(frozen=True)
class DateMove:
    """An instant an instance holds, and the instant it moves to (see :meth:`Engine.move_dates`).

    ``key`` names the data key whose values move (wherever it occurs in the data, nested
    included); a waiting timer moves when it is due at ``old`` and its expression does not name
    another key.  Without ``key`` only timers move.
    """

    old: datetime
    new: datetime
    key: str | None = None


class _Recorder:
    """Collects the audit events of one step."""

    def __init__(self, *, actor: str, now: datetime, max_steps: int):
        self.actor = actor
        self.now = now
        self.max_steps = max_steps
        self.steps = 0
        self.events: list[dict[str, Any]] = []

    def add(
        self,
        action: str,
        *,
        task: Task | None = None,
        detail: str | None = None,
        changes: dict[str, Any] | None = None,
        element_id: str | None = None,
    ) -> None:
        self.events.append(
            {
                "at": self.now,
                "actor": self.actor,
                "action": action,
                "element_id": projection.element_id(task) if task is not None else element_id,
                "element_name": projection.element_name(task) if task is not None else None,
                "element_type": type(task.task_spec).__name__ if task is not None else None,
                "detail": detail,
                "changes": changes,
            }
        )

    def did_complete(self, task: Task) -> None:
        """Record an element the engine ran, and stop a runaway loop."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise TaskLimitExceeded(
                f"the process ran {self.max_steps} elements without waiting for a person, a timer "
                f"or a message (last: '{projection.element_id(task)}'); the diagram probably loops"
            )
        if task.depth >= MAX_TREE_DEPTH:
            raise TaskLimitExceeded(
                f"the process ran {task.depth} elements in a row up to '{projection.element_id(task)}' "
                "without waiting; the diagram loops (model repeated rounds as separate steps)"
            )
        if getattr(task.task_spec, "bpmn_id", None) is None:
            return  # engine-internal bookkeeping specs are not elements of the diagram
        changes = _changes(task.parent.data if task.parent else {}, task.data)
        self.add("element_completed", task=task, changes=changes or None)


@dataclass
class _Loaded:
    """An instance restored for a step, with where it waited before the step."""

    row: InstanceRow
    definition: CachedDefinition
    workflow: BpmnWorkflow
    before: Waits
    # The workflow's unfinished tasks, when a walk of the tree already found them.
    pending: list[Task] | None = None
    # Completed tasks whose successors have not completed: where finished branches stopped.
    frontier: list[Task] | None = None
    # Rows of the human tasks this step created, when they are all the instance's ready tasks.
    new_tasks: list[Row[Any]] | None = None


class Engine:
    """Deploys definitions and runs their instances in the given database."""

    def __init__(self, db: Database, config: EngineConfig | None = None):
        self.db = db
        self.config = config or EngineConfig()
        self.script_engine = SandboxedScriptEngine(functions=dict(self.config.functions))
        self.definitions_cache = deployments.DefinitionCache()

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction for one use case; thrown messages are routed after it commits."""
        with self.db.transaction() as session:
            yield session
        if session.info.pop("tiaojie_outbox", False):
            self.dispatch_messages()

    def now(self) -> datetime:
        """The engine clock's current time."""
        return self.config.clock()

    # -- definitions ------------------------------------------------------------------------

    def deploy(
        self, session: Session, files: Mapping[str, bytes], *, actor: str, note: str = ""
    ) -> DeploymentView:
        """Deploy a bundle of BPMN, DMN and form files; raises DefinitionError."""
        return deployments.deploy(session, files, actor=actor, note=note, now=self.now())

    def definitions(self, session: Session, process_id: str | None = None) -> list[DefinitionView]:
        """Every deployed definition version, by process and newest first."""
        query = select(ProcessDefinition).order_by(
            ProcessDefinition.process_id, ProcessDefinition.version.desc()
        )
        if process_id is not None:
            query = query.where(ProcessDefinition.process_id == process_id)
        return [deployments.view(d) for d in session.scalars(query)]

    def latest(self, session: Session, process_id: str) -> DefinitionView:
        """The newest version of a process."""
        return deployments.view(deployments.latest_definition(session, process_id))

    # -- instances --------------------------------------------------------------------------

    def start(
        self,
        session: Session,
        process_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        actor: str,
        business_key: str | None = None,
        definition_id: int | None = None,
    ) -> InstanceView:
        """Start an instance of the latest (or the given) version and advance it to a wait state."""
        if definition_id is None:
            definition_id = store.latest_definition_id(session, process_id)
            if definition_id is None:
                raise NotFound(f"no process '{process_id}' has been deployed")
        definition = self.definitions_cache.get(session, definition_id)
        payload = _json_data(data or {})
        now = self.now()
        workflow = BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=self.script_engine
        )
        start_task = workflow.get_next_task(state=TaskState.READY)
        if start_task is not None and payload:
            start_task.data.update(copy.deepcopy(payload))
        row = store.insert_instance(
            session,
            definition_id=definition.id,
            process_id=definition.process_id,
            business_key=business_key,
            status=RUNNING,
            state="{}",
            created_at=now,
            created_by=actor,
            updated_at=now,
        )
        loaded = _Loaded(row, definition, workflow, projection.NOTHING)
        recorder = _Recorder(actor=actor, now=now, max_steps=self.config.max_steps_per_advance)
        recorder.add("started", detail=f"version {definition.version}", changes=payload or None)
        return self._advance(session, loaded, recorder)

    def complete_task(
        self, session: Session, task_id: int, *, data: Mapping[str, Any] | None, actor: str
    ) -> InstanceView:
        """Complete a human task with the submitted data and advance the instance."""
        found = store.lock_by_task(session, task_id)
        if found is None:
            raise NotFound(f"no task {task_id}")
        instance_row, task_row = found
        loaded = self._restore(session, instance_row.id, row=instance_row)
        if self.db.is_postgres:
            # Read again under the row lock.  (On SQLite the first read already ran inside the
            # write transaction, BEGIN IMMEDIATE, so nobody could have changed it since.)
            task_row = self._task_row(session, task_id)
        if task_row.state != "ready":
            raise StateConflict(f"task '{task_row.name}' is already {task_row.state}")
        self._require_running(loaded.row)
        if task_row.assignee not in (None, actor):
            raise TaskOwnershipError(
                f"task '{task_row.name}' is claimed by {task_row.assignee}; only they can complete it"
            )
        payload = _json_data(data or {})
        task = loaded.workflow.get_task_from_id(UUID(task_row.task_guid))
        if task is None or task.state != TaskState.READY:
            raise StateConflict(f"task '{task_row.name}' is no longer waiting")
        if task_row.form:
            validate_form_data(
                loaded.definition.forms["documents"][task_row.form], payload, context=task.data
            )
        now = self.now()
        recorder = _Recorder(actor=actor, now=now, max_steps=self.config.max_steps_per_advance)
        before = copy.deepcopy(task.data)

        def act(wf: BpmnWorkflow) -> None:
            if hasattr(task.task_spec, "add_data_from_form"):
                task.task_spec.add_data_from_form(task, payload)
            else:  # manual tasks and untyped tasks take the data as it is
                task.data.update(copy.deepcopy(payload))
            completer = _task_property(task, COMPLETER_PROPERTY)
            if completer:
                task.data[completer] = actor
            task.run()
            recorder.add("task_completed", task=task, changes=_changes(before, task.data) or None)

        store.finish_task(session, task_row.id, actor=actor, now=now)
        return self._advance(
            session, loaded, recorder, act=act, finished=frozenset([task_row.task_guid])
        )

    def claim_task(self, session: Session, task_id: int, *, actor: str) -> TaskView:
        """Take a task for oneself; exactly one of several simultaneous claimants wins."""
        won = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == "ready", HumanTask.assignee.is_(None))
            .values(assignee=actor)
        ).rowcount
        task_row = self._task_row(session, task_id)
        if not won:
            if task_row.state != "ready":
                raise StateConflict(f"task '{task_row.name}' is already {task_row.state}")
            if task_row.assignee != actor:
                raise TaskOwnershipError(f"task '{task_row.name}' is claimed by {task_row.assignee}")
        else:
            self._audit_task(session, task_row, actor, "claimed")
        return _task_view(task_row)

    def unclaim_task(self, session: Session, task_id: int, *, actor: str) -> TaskView:
        """Give a claimed task back to its group's queue; only its holder can."""
        done = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == "ready", HumanTask.assignee == actor)
            .values(assignee=None)
        ).rowcount
        task_row = self._task_row(session, task_id)
        if not done:
            if task_row.state != "ready":
                raise StateConflict(f"task '{task_row.name}' is already {task_row.state}")
            raise TaskOwnershipError(
                f"task '{task_row.name}' is not claimed by {actor}"
                + (f" but by {task_row.assignee}" if task_row.assignee else "")
            )
        self._audit_task(session, task_row, actor, "unclaimed")
        return _task_view(task_row)

    def reassign_task(
        self, session: Session, task_id: int, *, assignee: str | None, actor: str
    ) -> TaskView:
        """Give a task to another person (or back to the queue); permission is the caller's check."""
        previous = self._task_row(session, task_id)
        done = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == "ready")
            .values(assignee=assignee)
        ).rowcount
        if not done:
            raise StateConflict(f"task '{previous.name}' is already {previous.state}")
        task_row = self._task_row(session, task_id)
        self._audit_task(
            session, task_row, actor, "reassigned",
            detail=f"{previous.assignee or '-'} -> {assignee or '-'}",
        )
        return _task_view(task_row)

    def deliver_message(
        self,
        session: Session,
        name: str,
        *,
        payload: Mapping[str, Any] | None = None,
        correlations: Mapping[str, Any] | None = None,
        business_key: str | None = None,
        instance_id: int | None = None,
        actor: str,
    ) -> list[int]:
        """Deliver a message to every instance waiting for it whose correlation matches."""
        wanted = dict(correlations or {})
        receivers = self._receivers(
            session, name, wanted, business_key=business_key, instance_id=instance_id
        )
        if not receivers:
            raise NotFound(f"no instance is waiting for message '{name}'" + _describe(correlations))
        body = _json_data(payload or {})
        for receiver in receivers:
            self._receive(session, receiver, name, body, wanted, actor)
        return receivers

    def fire_due_timers(self, *, limit: int = 100) -> int:
        """Advance instances whose timers are due, one transaction each; return how many."""
        fired = 0
        for _ in range(limit):
            try:
                with self.transaction() as session:
                    instance_id = self._next_due(session)
                    if instance_id is None:
                        break
                    self._fire(session, instance_id)
                    fired += 1
            except ConcurrentUpdate:
                continue  # another worker advanced it first; its timers are no longer due
        return fired

    def dispatch_messages(self, *, limit: int = 100) -> int:
        """Route messages thrown by instances to the instances waiting for them."""
        routed = 0
        for _ in range(limit):
            with self.transaction() as session:
                message = session.scalar(
                    select(Message)
                    .where(Message.status == "pending")
                    .order_by(Message.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if message is None:
                    break
                receivers = [
                    r for r in self._receivers(session, message.name, message.correlations)
                    if r != message.source_instance_id
                ]
                for receiver in receivers:
                    self._receive(
                        session, receiver, message.name, message.payload, message.correlations,
                        f"message:{message.source_instance_id}",
                    )
                message.status = "delivered" if receivers else "unmatched"
                message.delivered_to = {"instances": receivers}
                routed += 1
        return routed

    def suspend(self, session: Session, instance_id: int, *, actor: str) -> InstanceView:
        """Stop an instance from moving (timers and messages wait) until it is resumed."""
        loaded = self._load(session, instance_id)
        row = loaded.row
        if row.status not in (RUNNING, ERROR):
            raise StateConflict(f"instance {instance_id} is {row.status} and cannot be suspended")
        row.status_before_suspend, row.status = row.status, SUSPENDED
        return self._save_without_step(session, loaded, actor, "suspended")

    def resume(self, session: Session, instance_id: int, *, actor: str) -> InstanceView:
        """Let a suspended instance move again; timers that fell due meanwhile fire now."""
        loaded = self._load(session, instance_id)
        row = loaded.row
        if row.status != SUSPENDED:
            raise StateConflict(f"instance {instance_id} is {row.status}, not suspended")
        row.status, row.status_before_suspend = row.status_before_suspend or RUNNING, None
        if row.status != RUNNING:
            return self._save_without_step(session, loaded, actor, "resumed")
        recorder = self._recorder(actor)
        recorder.add("resumed")
        return self._advance(session, loaded, recorder)

    def terminate(
        self, session: Session, instance_id: int, *, actor: str, reason: str = ""
    ) -> InstanceView:
        """End an instance for good: its tasks are cancelled and its timers dropped."""
        loaded = self._load(session, instance_id)
        row = loaded.row
        if row.status in (COMPLETED, TERMINATED):
            raise StateConflict(f"instance {instance_id} has already ended ({row.status})")
        with using_clock(self.config.clock):
            loaded.workflow.cancel()
        row.status, row.ended_at = TERMINATED, self.now()
        return self._save_without_step(session, loaded, actor, "terminated", detail=reason or None)

    def retry(self, session: Session, instance_id: int, *, actor: str) -> InstanceView:
        """Run again the elements that failed, after the cause was fixed."""
        loaded = self._load(session, instance_id)
        row = loaded.row
        if row.status != ERROR:
            raise StateConflict(f"instance {instance_id} is {row.status}, not in error")
        failed = loaded.workflow.get_tasks(state=TaskState.ERROR)
        recorder = self._recorder(actor)
        recorder.add("retried", element_id=row.error_element)

        def act(wf: BpmnWorkflow) -> None:
            for task in failed:
                task._set_state(TaskState.READY)

        # The step runs again as it would have run then: what it records (an acceptance time, a
        # period's start) must not move to the time of the retry.  The audit keeps the real time.
        first_ran = FixedClock(row.error_at) if row.error_at is not None else None
        row.status, row.error_element, row.error_message = RUNNING, None, None
        return self._advance(session, loaded, recorder, act=act, clock=first_ran)

    def update_data(
        self, session: Session, instance_id: int, *, data: Mapping[str, Any], actor: str
    ) -> InstanceView:
        """Set process data on an instance's waiting tasks (e.g. to fix what made it fail)."""
        loaded = self._load(session, instance_id)
        payload = _json_data(data)
        for task in loaded.workflow.get_tasks(state=_PENDING):
            task.data.update(copy.deepcopy(payload))
        changes = {k: [None, v] for k, v in payload.items()}
        return self._save_without_step(session, loaded, actor, "data_updated", changes=changes)

    def move_dates(
        self,
        session: Session,
        instance_id: int,
        *,
        moves: Sequence[DateMove] | Callable[[InstanceView], Sequence[DateMove]],
        actor: str,
        reason: str = "",
    ) -> InstanceView:
        """Move instants an instance holds, in its data and its waiting timers, as one step.

        ``moves`` may be a function given the instance's view once it is locked, so the caller
        decides what moves from a state no other step can change meanwhile.  The due dates of its
        human tasks and its pending timers are projected again from the moved timers, and each
        move that found something is audited with its old and new value.  The instance does not
        advance: a timer moved into the past fires on the worker's next pass, like any timer that
        fell due.
        """
        loaded = self._load(session, instance_id)
        row, workflow = loaded.row, loaded.workflow
        if row.status in (COMPLETED, TERMINATED):
            raise StateConflict(f"instance {instance_id} has ended ({row.status})")
        if callable(moves):
            moves = moves(self._view(session, loaded))
        recorder = self._recorder(actor)
        tasks = [*workflow.get_tasks(state=_PENDING), *_frontier(workflow)]
        for move in moves:
            in_data = (
                sum(_move_instant(task.data, move) for task in tasks) if move.key else 0
            )
            timers = projection.move_timers(workflow, old=move.old, new=move.new, key=move.key)
            if in_data or timers:
                recorder.add(
                    "date_moved",
                    element_id=timers[0] if timers else None,
                    detail=reason or None,
                    changes={move.key or "timer": [move.old.isoformat(), move.new.isoformat()]},
                )
        if not recorder.events:
            return self._view(session, loaded)
        projection.redate_ready(
            session, workflow=workflow, guids=loaded.before.ready,
        )
        self._walk(loaded)
        return self._save(session, loaded, recorder)

    def migrate(
        self, session: Session, instance_id: int, *, definition_id: int, actor: str
    ) -> InstanceView:
        """Move a running instance to another version of its process, if the change allows it."""
        loaded = self._load(session, instance_id)
        row, workflow = loaded.row, loaded.workflow
        if row.status in (COMPLETED, TERMINATED):
            raise MigrationRefused(f"instance {instance_id} has ended ({row.status})")
        target = self.definitions_cache.get(session, definition_id)
        if target.process_id != row.process_id:
            raise MigrationRefused(
                f"version {target.version} belongs to process '{target.process_id}', "
                f"not '{row.process_id}'"
            )
        if target.id == loaded.definition.id:
            raise MigrationRefused(f"instance {instance_id} already runs version {target.version}")
        try:
            top_diff, sub_diffs = diff_workflow(
                spec_registry(), workflow, target.spec, target.subprocess_specs
            )
        except Exception as exc:  # the library's diff has no error contract of its own
            raise MigrationRefused(f"the versions cannot be compared: {exc}") from exc
        reasons = _migration_blockers(top_diff, sub_diffs)
        if reasons:
            raise MigrationRefused(
                f"instance {instance_id} cannot move to version {target.version}", reasons
            )
        migrate_workflow(top_diff, workflow, target.spec)
        for sp_id, sp_diff in sub_diffs.items():
            sp = workflow.subprocesses.get(sp_id)
            if sp is not None and sp_diff is not None:
                migrate_workflow(sp_diff, sp, target.subprocess_specs[sp.spec.name])
        workflow.subprocess_specs = target.subprocess_specs
        old_version = loaded.definition.version
        loaded.definition = target
        row.definition_id = target.id
        recorder = self._recorder(actor)
        recorder.add("migrated", detail=f"version {old_version} -> version {target.version}")
        if row.status == RUNNING:
            view = self._advance(session, loaded, recorder)
        else:
            view = self._save(session, loaded, recorder)
        kept = loaded.before.ready  # after the save: the tasks ready now
        if kept:
            projection.redescribe_ready(
                session, workflow=workflow, guids=kept, process_id=row.process_id,
                forms=target.form_by_element, bind=self._binder(session),
            )
            view = self._view(session, loaded)
        return view

    # -- reading ----------------------------------------------------------------------------

    def instance(self, session: Session, instance_id: int) -> InstanceView:
        """The current view of an instance."""
        return self._view(session, self._restore(session, instance_id))

    def progress(self, session: Session, instance_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The elements an instance has completed and those active now (for drawing it)."""
        workflow = self._restore(session, instance_id).workflow
        return _elements(workflow, TaskState.COMPLETED), _elements(workflow, _ACTIVE)

    def task(self, session: Session, task_id: int) -> TaskView:
        """A human task by id."""
        return _task_view(self._task_row(session, task_id))

    def form(self, session: Session, task_id: int) -> dict[str, Any] | None:
        """The form document (JSON Schema) of a human task, if it has one."""
        task_row = self._task_row(session, task_id)
        if not task_row.form:
            return None
        row = self._instance_row(session, task_row.instance_id)
        definition = self.definitions_cache.get(session, row.definition_id)
        return definition.forms["documents"].get(task_row.form)

    def task_data(self, session: Session, task_id: int) -> dict[str, Any]:
        """The data a ready human task sees (what its form is filled from)."""
        task_row = self._task_row(session, task_id)
        workflow = self._restore(session, task_row.instance_id).workflow
        task = workflow.get_task_from_id(UUID(task_row.task_guid))
        return copy.deepcopy(task.data) if task is not None else {}

    def audit_trail(self, session: Session, instance_id: int) -> list[AuditView]:
        """Every audit event of an instance, oldest first."""
        self._instance_row(session, instance_id)
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        )
        return [
            AuditView(
                id=r.id, at=aware(r.at), actor=r.actor, action=r.action, element_id=r.element_id,
                element_name=r.element_name, element_type=r.element_type, detail=r.detail,
                changes=r.changes,
            )
            for r in rows
        ]

    # -- the step ---------------------------------------------------------------------------

    def _advance(
        self,
        session: Session,
        loaded: _Loaded,
        recorder: _Recorder,
        *,
        act: Callable[[BpmnWorkflow], None] | None = None,
        finished: frozenset[str] = frozenset(),
        clock: Clock | None = None,
    ) -> InstanceView:
        """Act, advance to the next wait state and save everything the step changed.

        ``clock`` is the time the diagram's expressions and timers see (default: the engine's);
        when the step fails, its time is kept so a retry can run it again at that time.
        """
        row, workflow = loaded.row, loaded.workflow
        step_clock = clock or self.config.clock
        with collecting_step_notes():
            try:
                with using_clock(step_clock):
                    if act is not None:
                        act(workflow)
                    workflow.refresh_timers()
                    workflow.do_engine_steps(did_complete_task=recorder.did_complete)
                self._walk(loaded)
                self._check_progress(workflow, loaded.pending or [])
                row.error_at = None
            except (WorkflowException, SpiffWorkflowException, ExpressionError) as exc:
                element, message = _describe_failure(exc)
                row.status, row.error_element, row.error_message = ERROR, element, message
                row.error_at = step_clock()
                recorder.add("error", element_id=element, detail=message)
            return self._save(session, loaded, recorder, finished=finished)

    def _save(
        self,
        session: Session,
        loaded: _Loaded,
        recorder: _Recorder,
        *,
        finished: frozenset[str] = frozenset(),
    ) -> InstanceView:
        """Save the state, the projection, thrown messages and audit events of a step."""
        row, workflow = loaded.row, loaded.workflow
        now = recorder.now
        if workflow.completed and row.status == RUNNING:
            row.status, row.ended_at = COMPLETED, now
            recorder.add("completed")
        ended = row.status in (COMPLETED, TERMINATED)
        if loaded.pending is None:
            self._walk(loaded)
        after = projection.NOTHING if ended else projection.capture(workflow, loaded.pending)
        cancelled, loaded.new_tasks = projection.sync(
            session,
            instance_id=row.id,
            process_id=row.process_id,
            workflow=workflow,
            before=loaded.before,
            after=after,
            finished=finished,
            forms=loaded.definition.form_by_element,
            bind=self._binder(session),
            now=now,
            actor=recorder.actor,
        )
        for element in cancelled:
            recorder.add("task_cancelled", element_id=element)
        self._throw_messages(session, row, workflow, recorder)
        row.state = dump_state(workflow)
        row.task_count = _task_count(workflow)
        row.updated_at = now
        row.next_timer_at = after.next_timer_at
        store.write_instance(session, row)
        self._save_events(session, row.id, recorder)
        loaded.before = after
        view = self._view(session, loaded)
        if self.config.after_step is not None:
            self.config.after_step(session, view)
        return view

    def _save_without_step(
        self,
        session: Session,
        loaded: _Loaded,
        actor: str,
        action: str,
        *,
        detail: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> InstanceView:
        recorder = self._recorder(actor)
        recorder.add(action, detail=detail, changes=changes)
        return self._save(session, loaded, recorder)

    def _throw_messages(
        self, session: Session, row: InstanceRow, workflow: BpmnWorkflow, recorder: _Recorder
    ) -> None:
        """Put the messages the step threw in the outbox; they are routed after commit.

        Other events that left the instance uncaught (signals, escalations) go nowhere: they
        are recorded so the audit trail shows them.
        """
        now = recorder.now
        events = []
        for event in workflow.get_events():
            definition = event.event_definition
            if isinstance(definition, BaseMessageEventDefinition) and definition.name:
                events.append(event)
            else:
                recorder.add(
                    "event_uncaught",
                    detail=f"{type(definition).__name__} {getattr(definition, 'name', None) or ''}".strip(),
                )
        if not events:
            return
        session.execute(
            insert(Message),
            [
                {
                    "name": e.event_definition.name,
                    "payload": _json_data(e.payload if isinstance(e.payload, Mapping) else {"payload": e.payload}),
                    "correlations": dict(e.correlations or {}),
                    "source_instance_id": row.id,
                    "status": "pending",
                    "delivered_to": None,
                    "created_at": now,
                }
                for e in events
            ],
        )
        session.info["tiaojie_outbox"] = True

    def _walk(self, loaded: _Loaded) -> None:
        """Find the unfinished tasks, and where branches run in parallel the completed frontier."""
        loaded.pending = loaded.workflow.get_tasks(state=_PENDING)
        waiting = [t for t in loaded.pending if t.has_state(_WAITING)]
        # Only parallel branches leave data behind on a completed task that no waiting task has.
        loaded.frontier = _frontier(loaded.workflow) if len(waiting) > 1 else []

    def _check_progress(self, workflow: BpmnWorkflow, pending: list[Task]) -> None:
        """Refuse the silent stall SpiffWorkflow falls into past its task-tree depth limit."""
        count = _task_count(workflow)
        if count > self.config.max_tasks_per_instance:
            raise TaskLimitExceeded(
                f"the instance holds {count} tasks, more than the limit of "
                f"{self.config.max_tasks_per_instance}; the diagram probably loops"
            )
        stuck = [t for t in pending if t.state == TaskState.READY and not t.task_spec.manual]
        if stuck or (not workflow.completed and not pending):
            last = stuck[0] if stuck else workflow.last_task
            where = projection.element_id(last) if last is not None else "?"
            raise TaskLimitExceeded(
                f"the process stopped advancing at '{where}' although it has not ended; "
                "the diagram probably loops too deeply"
            )

    def _fire(self, session: Session, instance_id: int) -> None:
        loaded = self._load(session, instance_id)
        recorder = self._recorder(ENGINE_ACTOR)
        for _, element, _, due in loaded.before.timers:
            if due <= recorder.now:
                recorder.add("timer_fired", element_id=element, detail=due.isoformat())
        self._advance(session, loaded, recorder)

    def _next_due(self, session: Session) -> int | None:
        query = (
            select(ProcessInstance.id)
            .where(ProcessInstance.status == RUNNING, ProcessInstance.next_timer_at <= self.now())
            .order_by(ProcessInstance.next_timer_at)
            .limit(1)
        )
        if self.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        return session.scalar(query)

    def _receive(
        self,
        session: Session,
        instance_id: int,
        name: str,
        payload: dict[str, Any],
        correlations: dict[str, Any],
        actor: str,
    ) -> None:
        loaded = self._load(session, instance_id)
        recorder = self._recorder(actor)
        recorder.add("message_received", detail=name, changes=payload or None)

        def act(wf: BpmnWorkflow) -> None:
            wf.send_event(BpmnEvent(MessageEventDefinition(name), payload, correlations))

        self._advance(session, loaded, recorder, act=act)

    def _receivers(
        self,
        session: Session,
        name: str,
        correlations: dict[str, Any],
        *,
        business_key: str | None = None,
        instance_id: int | None = None,
    ) -> list[int]:
        query = (
            select(MessageSubscription.instance_id, MessageSubscription.correlations)
            .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
            .where(MessageSubscription.message_name == name, ProcessInstance.status == RUNNING)
        )
        if business_key is not None:
            query = query.where(ProcessInstance.business_key == business_key)
        if instance_id is not None:
            query = query.where(ProcessInstance.id == instance_id)
        receivers: list[int] = []
        for found_id, expected in session.execute(query.order_by(MessageSubscription.instance_id)):
            if found_id not in receivers and _correlates(correlations, expected):
                receivers.append(found_id)
        return receivers

    # -- rows -------------------------------------------------------------------------------

    def _load(self, session: Session, instance_id: int) -> _Loaded:
        """Lock an instance and restore its workflow for a step."""
        return self._restore(session, instance_id, lock=True)

    def _restore(
        self,
        session: Session,
        instance_id: int,
        *,
        lock: bool = False,
        row: InstanceRow | None = None,
    ) -> _Loaded:
        if row is None:
            row = self._instance_row(session, instance_id, lock=lock)
        definition = self.definitions_cache.get(session, row.definition_id)
        workflow = load_state(row.state, definition.spec, definition.subprocess_specs)
        workflow.script_engine = self.script_engine
        ended = row.status in (COMPLETED, TERMINATED)
        before = projection.NOTHING if ended else projection.capture(workflow)
        return _Loaded(row, definition, workflow, before)

    def _instance_row(self, session: Session, instance_id: int, *, lock: bool = False) -> InstanceRow:
        row = store.read_instance(session, instance_id, lock=lock)
        if row is None:
            raise NotFound(f"no process instance {instance_id}")
        return row

    def _task_row(self, session: Session, task_id: int) -> Row[Any]:
        row = store.read_task(session, task_id)
        if row is None:
            raise NotFound(f"no task {task_id}")
        return row

    def _require_running(self, row: InstanceRow) -> None:
        if row.status != RUNNING:
            raise StateConflict(f"instance {row.id} is {row.status}; its tasks cannot be worked now")

    def _binder(self, session: Session) -> projection.TaskBinder:
        """How this step binds new human tasks: the application's binding, or its lane resolver."""
        bind_task, resolve_group = self.config.bind_task, self.config.resolve_group
        if bind_task is not None:
            return lambda context: bind_task(session, context)
        return lambda context: TaskBinding(resolve_group(context))

    def _recorder(self, actor: str) -> _Recorder:
        return _Recorder(actor=actor, now=self.now(), max_steps=self.config.max_steps_per_advance)

    def _audit_task(
        self, session: Session, task_row: Row[Any], actor: str, action: str, detail: str | None = None
    ) -> None:
        recorder = self._recorder(actor)
        recorder.add(action, element_id=task_row.element_id, detail=detail)
        recorder.events[-1]["element_name"] = task_row.name
        self._save_events(session, task_row.instance_id, recorder)

    def _save_events(self, session: Session, instance_id: int, recorder: _Recorder) -> None:
        if recorder.events:
            store.insert_audit(session, [{"instance_id": instance_id, **e} for e in recorder.events])
            recorder.events = []

    def _view(self, session: Session, loaded: _Loaded) -> InstanceView:
        row, workflow = loaded.row, loaded.workflow
        if not loaded.before.ready:
            tasks: Sequence[Row[Any]] = ()
        elif loaded.new_tasks is not None and len(loaded.new_tasks) == len(loaded.before.ready):
            tasks = loaded.new_tasks  # every ready task is new: no need to read them back
        else:
            tasks = store.ready_tasks(session, row.id)
        if loaded.pending is None:
            self._walk(loaded)
        return InstanceView(
            id=row.id,
            process_id=row.process_id,
            definition_id=loaded.definition.id,
            version=loaded.definition.version,
            business_key=row.business_key,
            status=row.status,
            data=_instance_data(workflow, loaded.pending or [], loaded.frontier or []),
            ready_tasks=tuple(_task_view(t) for t in tasks),
            timers=tuple(
                TimerView(element, name, due)
                for _, element, name, due in sorted(loaded.before.timers, key=lambda t: t[3])
            ),
            awaiting=tuple(
                MessageWait(element, name, json.loads(correlations))
                for _, element, name, correlations in loaded.before.messages
            ),
            error_element=row.error_element,
            error_message=row.error_message,
        )


def _task_view(row: Row[Any]) -> TaskView:
    return TaskView(
        id=row.id,
        instance_id=row.instance_id,
        element_id=row.element_id,
        name=row.name,
        form=row.form,
        lane=row.lane,
        candidate_group=row.candidate_group,
        assignee=row.assignee,
        state=row.state,
        priority=row.priority,
        created_at=aware(row.created_at),
        due_at=aware(row.due_at) if row.due_at is not None else None,
    )


def _frontier(workflow: BpmnWorkflow) -> list[Task]:
    """Completed tasks none of whose successors has completed: where finished branches stopped."""
    tasks = workflow.get_tasks(state=TaskState.COMPLETED)
    return [t for t in tasks if not any(c.state == TaskState.COMPLETED for c in t.children)]


def _instance_data(
    workflow: BpmnWorkflow, pending: list[Task], frontier: list[Task]
) -> dict[str, Any]:
    """The instance's data as its latest tasks see it (the end data once it has completed).

    Where branches run in parallel, what a finished branch produced sits on its last completed
    task until the branches join.  Tasks are merged oldest change first, so the task that moved
    last (say, the ready task deep in a subprocess, not a boundary event waiting since the
    subprocess began) has the last word.
    """
    if workflow.completed:
        return dict(workflow.data) or dict(workflow.last_task.data if workflow.last_task else {})
    candidates = sorted(
        [*frontier, *(t for t in pending if t.has_state(_WAITING))],
        key=lambda t: t.last_state_change,
    )
    if candidates:
        merged: dict[str, Any] = {}
        for task in candidates:
            merged.update(task.data)
        return merged
    return dict(workflow.last_task.data) if workflow.last_task else {}


def _elements(workflow: BpmnWorkflow, state: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for task in workflow.get_tasks(state=state):
        if getattr(task.task_spec, "bpmn_id", None):
            seen[task.task_spec.bpmn_id] = None
    return tuple(seen)


def _task_count(workflow: BpmnWorkflow) -> int:
    return len(workflow.tasks) + sum(len(sp.tasks) for sp in workflow.subprocesses.values())


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for key, value in after.items():
        if key not in before or before[key] != value:
            changed[key] = [before.get(key), value]
    for key in before:
        if key not in after:
            changed[key] = [before[key], None]
    return _json_data(changed)


def _move_instant(data: Any, move: DateMove) -> int:
    """Replace, in place, the values under ``move.key`` that are the instant ``move.old``;
    return how many moved.  The new value keeps the old one's form (ISO text in its offset)."""
    moved = 0
    if isinstance(data, dict):
        for key, value in data.items():
            if key == move.key and _is_instant(value, move.old):
                data[key] = _same_form(value, move.new)
                moved += 1
            else:
                moved += _move_instant(value, move)
    elif isinstance(data, list):
        for item in data:
            moved += _move_instant(item, move)
    return moved


def _is_instant(value: Any, instant: datetime) -> bool:
    if not isinstance(value, str) or len(value) < 19:
        return False
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None and parsed == instant


def _same_form(old: str, new: datetime) -> str:
    return new.astimezone(datetime.fromisoformat(old).tzinfo).isoformat()


def _task_property(task: Task, name: str) -> str | None:
    """A ``spiffworkflow:property`` of the task's element, if it has that one."""
    properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
    value = properties.get(name)
    return value if isinstance(value, str) and value.isidentifier() else None


def _json_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` holding only JSON values; anything else is refused by name."""
    return {str(k): _json_value(v, str(k)) for k, v in data.items()}


def _json_value(value: Any, path: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_value(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, datetime):
        return value.isoformat()
    raise FormValidationError({path: [f"a {type(value).__name__} is not a JSON value"]})


def _correlates(message: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    # SpiffWorkflow's own rule: an instance that holds no correlation yet takes the first message;
    # otherwise some correlation key of the message must carry the instance's value.
    if not message or not expected:
        return True
    return any(message.get(key) == expected.get(key) for key in message)


def _describe(correlations: Mapping[str, Any] | None) -> str:
    return f" with correlation {dict(correlations)}" if correlations else ""


def _describe_failure(exc: Exception) -> tuple[str | None, str]:
    """The element and a plain message for an error raised inside a step."""
    element = None
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    if spec is not None:
        element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, (ExpressionError, TaskLimitExceeded)):
            return element or getattr(cause, "element", None), str(cause)
        cause = getattr(cause, "exception", None) or cause.__cause__
    message = str(getattr(exc, "error_msg", None) or exc).strip()
    return element, message.splitlines()[0] if message else type(exc).__name__


_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def _migration_blockers(top_diff: Any, sub_diffs: Mapping[Any, Any]) -> list[str]:
    """Why an instance cannot move to the new spec: where it stands now was removed.

    Elements it already passed may change or go; elements it waits in may change (they are
    re-entered on the new spec) but must still exist.
    """
    reasons = []
    for diff in [top_diff, *(d for d in sub_diffs.values() if d is not None)]:
        for task in diff.removed:
            if task.has_state(_ACTIVE) and getattr(task.task_spec, "bpmn_id", None):
                reasons.append(f"element '{projection.element_id(task)}' is active but no longer exists")
    for sp_id, diff in sub_diffs.items():
        if diff is None:
            reasons.append(f"a running subprocess ({sp_id}) calls a process the new version removed")
    return reasons


__all__ = [
    "COMPLETED",
    "DateMove",
    "ERROR",
    "RUNNING",
    "SUSPENDED",
    "TERMINATED",
    "Engine",
    "EngineConfig",
    "EngineError",
    "MessageWait",
    "TimerView",
    "lane_as_group",
]
