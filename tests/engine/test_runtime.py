"""The engine through its real path: deploy, start, complete, timers, messages, errors, versions.

Every engine call restores the workflow from the database and saves it again, so each test step is
also a serialize/restore round trip (SpiffWorkflow's own ``save_restore`` habit).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import FixedClock
from engine.database import Database
from engine.definitions import read_paths
from engine.errors import (
    FormValidationError,
    MigrationRefused,
    NotFound,
    StateConflict,
    TaskLimitExceeded,
    TaskOwnershipError,
)
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import Engine, EngineConfig
from engine.views import LaneContext, TaskBinding

DATA = Path(__file__).parent / "data" / "runtime"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def files(*names: str) -> dict[str, bytes]:
    return read_paths([DATA / n for n in names])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> Engine:
    def resolve(context: LaneContext) -> str | None:
        return f"{context.lane}@{context.data.get('unit', 'hq')}" if context.lane else None

    return Engine(db, EngineConfig(clock=clock, resolve_group=resolve))


@pytest.fixture
def approval(engine: Engine) -> Engine:
    with engine.transaction() as s:
        engine.deploy(s, files("approval.bpmn", "review.json"), actor="admin")
    return engine


def start(engine: Engine, process: str = "approval", **data: object):
    with engine.transaction() as s:
        return engine.start(s, process, data=data, actor="clerk", business_key="K-1")


def complete(engine: Engine, task_id: int, actor: str = "ann", **data: object):
    with engine.transaction() as s:
        return engine.complete_task(s, task_id, data=data, actor=actor)


def trail(engine: Engine, instance_id: int) -> list[tuple[str, str | None]]:
    with engine.db.reading() as s:
        return [(e.action, e.element_id) for e in engine.audit_trail(s, instance_id)]


# -- deployment and versions ----------------------------------------------------------------


def test_identical_bundle_keeps_its_version_and_a_changed_file_makes_a_new_one(engine: Engine):
    bundle = files("approval.bpmn", "review.json")
    with engine.transaction() as s:
        first = engine.deploy(s, bundle, actor="admin")
    with engine.transaction() as s:
        again = engine.deploy(s, bundle, actor="admin")
    assert first.created and not again.created
    assert again.id == first.id
    assert [(d.process_id, d.version) for d in again.definitions] == [("approval", 1)]

    changed = dict(bundle)
    changed["review.json"] = bundle["review.json"].replace(b'"Review"', b'"Review v2"')
    with engine.transaction() as s:
        second = engine.deploy(s, changed, actor="admin")
    assert second.created
    assert [(d.process_id, d.version) for d in second.definitions] == [("approval", 2)]


def test_running_instances_stay_on_their_version_and_new_ones_take_the_latest(approval: Engine):
    old = start(approval, amount=10, limit=100)
    bundle = files("approval.bpmn", "review.json")
    bundle["approval.bpmn"] = bundle["approval.bpmn"].replace(
        b'name="Review the request"', b'name="Review the request carefully"'
    )
    with approval.transaction() as s:
        approval.deploy(s, bundle, actor="admin")
    new = start(approval, amount=10, limit=100)
    assert (old.version, new.version) == (1, 2)
    assert new.task("review").name == "Review the request carefully"
    done = complete(approval, old.task("review").id, approved=True, comment="ok")
    assert done.status == "completed" and done.version == 1


def test_definition_is_stored_once_not_in_each_instance(approval: Engine):
    view = start(approval, amount=10, limit=100)
    with approval.db.reading() as s:
        state = s.scalar(select(ProcessInstance.state).where(ProcessInstance.id == view.id))
    assert '"spec"' not in state and "task_specs" not in state
    assert len(state.encode()) <= 8 * 1024


def test_starting_an_unknown_process_names_it(engine: Engine):
    with pytest.raises(NotFound, match="no process 'nope' has been deployed"):
        start(engine, "nope")


# -- human tasks ----------------------------------------------------------------------------


def test_start_projects_the_human_task_with_lane_group_priority_and_due_date(approval: Engine):
    view = start(approval, amount=10, limit=100, unit="east")
    task = view.task("review")
    assert (task.lane, task.candidate_group, task.priority, task.form) == (
        "Reviewers", "Reviewers@east", 2, "review.json"
    )
    assert task.due_at == T0 + timedelta(days=3)
    assert [(t.element_id, t.due_at) for t in view.timers] == [("review_overdue", T0 + timedelta(days=3))]
    assert view.status == "running"


def test_completing_runs_gateway_and_script_and_records_the_audit_trail(approval: Engine):
    view = start(approval, amount=10, limit=100)
    done = complete(approval, view.task("review").id, approved=True, comment="fine")
    assert done.status == "completed"
    assert done.data["outcome"] == "approved" and done.data["fee"] == 20
    actions = trail(approval, view.id)
    assert actions[0] == ("started", None)
    assert ("task_completed", "review") in actions
    assert ("element_completed", "decide") in actions
    assert ("element_completed", "record_outcome") in actions
    assert actions[-1] == ("completed", None)
    with approval.db.reading() as s:
        events = approval.audit_trail(s, view.id)
    completed = next(e for e in events if e.action == "task_completed")
    assert completed.actor == "ann"
    assert completed.changes == {"approved": [None, True], "comment": [None, "fine"]}
    script = next(e for e in events if e.element_id == "record_outcome")
    assert script.changes == {"outcome": [None, "approved"], "fee": [None, 20]}


def test_invalid_form_data_is_refused_per_field_and_changes_nothing(approval: Engine):
    view = start(approval, amount=10, limit=100)
    before = trail(approval, view.id)
    with pytest.raises(FormValidationError) as err:
        complete(approval, view.task("review").id, approved="yes", comment="")
    assert err.value.field_errors == {
        "approved": ["must be of type boolean"],
        "comment": ["must not be empty"],
    }
    with approval.db.reading() as s:
        again = approval.instance(s, view.id)
    assert again.task("review").state == "ready"
    assert trail(approval, view.id) == before


def test_claims_are_exclusive_and_completion_respects_them(approval: Engine):
    task_id = start(approval, amount=10, limit=100).task("review").id
    with approval.transaction() as s:
        assert approval.claim_task(s, task_id, actor="ann").assignee == "ann"
    with pytest.raises(TaskOwnershipError, match="claimed by ann"):
        with approval.transaction() as s:
            approval.claim_task(s, task_id, actor="bob")
    with pytest.raises(TaskOwnershipError, match="claimed by ann"):
        complete(approval, task_id, actor="bob", approved=True, comment="x")
    with pytest.raises(TaskOwnershipError):
        with approval.transaction() as s:
            approval.unclaim_task(s, task_id, actor="bob")
    with approval.transaction() as s:
        assert approval.unclaim_task(s, task_id, actor="ann").assignee is None
        assert approval.claim_task(s, task_id, actor="bob").assignee == "bob"
        assert approval.reassign_task(s, task_id, assignee="cat", actor="chair").assignee == "cat"
    done = complete(approval, task_id, actor="cat", approved=True, comment="x")
    assert done.status == "completed"
    with pytest.raises(StateConflict, match="already completed"):
        complete(approval, task_id, actor="cat", approved=True, comment="x")
    actions = [a for a, _ in trail(approval, done.id) if a in ("claimed", "unclaimed", "reassigned")]
    assert actions == ["claimed", "unclaimed", "claimed", "reassigned"]


def test_a_failed_transaction_leaves_the_instance_exactly_as_it_was(approval: Engine):
    view = start(approval, amount=10, limit=100)
    with approval.db.reading() as s:
        state_before = s.get(ProcessInstance, view.id).state
    with pytest.raises(RuntimeError):
        with approval.transaction() as s:
            approval.complete_task(s, view.task("review").id, data={"approved": True, "comment": "x"}, actor="ann")
            raise RuntimeError("the request failed after the step")
    with approval.db.reading() as s:
        assert s.get(ProcessInstance, view.id).state == state_before
        assert approval.instance(s, view.id).task("review").state == "ready"
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == len(trail(approval, view.id))


# -- timers ---------------------------------------------------------------------------------


def test_worker_fires_a_due_boundary_timer_and_cancels_the_interrupted_task(
    approval: Engine, clock: FixedClock
):
    view = start(approval, amount=10, limit=100)
    clock.advance(timedelta(days=2))
    assert approval.fire_due_timers() == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert approval.fire_due_timers() == 1
    assert approval.fire_due_timers() == 0
    with approval.db.reading() as s:
        after = approval.instance(s, view.id)
        review_state = s.scalar(select(HumanTask.state).where(HumanTask.element_id == "review"))
    assert [t.element_id for t in after.ready_tasks] == ["escalated_review"]
    assert review_state == "cancelled"
    assert after.timers == ()
    actions = trail(approval, view.id)
    assert ("timer_fired", "review_overdue") in actions and ("task_cancelled", "review") in actions


def test_timer_on_a_call_activity_bounds_the_called_task_and_escalates(engine: Engine, clock: FixedClock):
    with engine.transaction() as s:
        engine.deploy(s, files("tiers.bpmn"), actor="admin")
    deadline = T0 + timedelta(days=5)
    view = start(engine, "two_levels", deadline=deadline.isoformat(), unit="grid-7")
    task = view.task("handle")
    assert (task.lane, task.candidate_group, task.due_at) == ("Handler", "Handler@grid-7", deadline)
    clock.set(deadline + timedelta(seconds=1))
    assert engine.fire_due_timers() == 1
    with engine.db.reading() as s:
        after = engine.instance(s, view.id)
        completed, active = engine.progress(s, view.id)
    assert after.task("handle").id != task.id
    assert "second_level" in active and "first_level_expired" in completed


# -- errors and limits ----------------------------------------------------------------------


def test_expression_error_shows_an_error_state_and_retry_after_a_fix_goes_on(approval: Engine):
    view = start(approval, amount=10)  # no "limit": the gateway's condition cannot be evaluated
    failed = complete(approval, view.task("review").id, approved=True, comment="ok")
    assert failed.status == "error"
    assert failed.error_element == "decide"
    assert "limit" in (failed.error_message or "")
    assert ("error", "decide") in trail(approval, view.id)
    with approval.transaction() as s:
        approval.update_data(s, view.id, data={"limit": 100}, actor="admin")
        retried = approval.retry(s, view.id, actor="admin")
    assert retried.status == "completed" and retried.data["outcome"] == "approved"


def test_a_looping_diagram_stops_with_a_clear_error_and_saves_nothing(engine: Engine):
    with engine.transaction() as s:
        engine.deploy(s, files("loop.bpmn"), actor="admin")
    with pytest.raises(TaskLimitExceeded, match="the diagram loops"):
        start(engine, "endless", rounds=0)
    with engine.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 0


# -- messages -------------------------------------------------------------------------------


def test_a_thrown_message_reaches_the_waiting_instance(engine: Engine):
    with engine.transaction() as s:
        engine.deploy(s, files("messages.bpmn"), actor="admin")
    waiter = start(engine, "wait_for_ruling")
    assert [m.message_name for m in waiter.awaiting] == ["ruling_issued"]
    start(engine, "issue_ruling", verdict="valid")
    with engine.db.reading() as s:
        after = engine.instance(s, waiter.id)
    assert after.task("record_ruling")
    assert after.data["ruling"] == {"verdict": "valid"}
    assert ("message_received", None) in trail(engine, waiter.id)


def test_an_external_message_is_delivered_by_business_key_or_refused(engine: Engine):
    with engine.transaction() as s:
        engine.deploy(s, files("messages.bpmn"), actor="admin")
    waiter = start(engine, "wait_for_ruling")
    with pytest.raises(NotFound, match="no instance is waiting for message 'ruling_issued'"):
        with engine.transaction() as s:
            engine.deliver_message(s, "ruling_issued", business_key="other", actor="court")
    with engine.transaction() as s:
        got = engine.deliver_message(
            s, "ruling_issued", payload={"verdict": "rejected"}, business_key="K-1", actor="court"
        )
    assert got == [waiter.id]
    with engine.db.reading() as s:
        assert engine.instance(s, waiter.id).data["ruling"] == {"verdict": "rejected"}


# -- lifecycle ------------------------------------------------------------------------------


def test_suspended_instances_do_not_move_until_resumed(approval: Engine, clock: FixedClock):
    view = start(approval, amount=10, limit=100)
    with approval.transaction() as s:
        assert approval.suspend(s, view.id, actor="admin").status == "suspended"
    with pytest.raises(StateConflict, match="suspended"):
        complete(approval, view.task("review").id, approved=True, comment="x")
    clock.advance(timedelta(days=4))
    assert approval.fire_due_timers() == 0
    with approval.transaction() as s:
        resumed = approval.resume(s, view.id, actor="admin")
    assert resumed.status == "running"
    assert [t.element_id for t in resumed.ready_tasks] == ["escalated_review"]


def test_terminate_cancels_tasks_and_drops_timers(approval: Engine, clock: FixedClock):
    view = start(approval, amount=10, limit=100)
    with approval.transaction() as s:
        ended = approval.terminate(s, view.id, actor="admin", reason="withdrawn")
    assert ended.status == "terminated" and ended.ready_tasks == () and ended.timers == ()
    clock.advance(timedelta(days=5))
    assert approval.fire_due_timers() == 0
    with pytest.raises(StateConflict, match="already ended"):
        with approval.transaction() as s:
            approval.terminate(s, view.id, actor="admin")


def test_migrating_to_a_compatible_version_moves_the_instance(approval: Engine):
    view = start(approval, amount=10, limit=100)
    bundle = files("approval.bpmn", "review.json")
    bundle["approval.bpmn"] = bundle["approval.bpmn"].replace(b'name="Rework the request"', b'name="Redo"')
    with approval.transaction() as s:
        v2 = approval.deploy(s, bundle, actor="admin").definitions[0]
        moved = approval.migrate(s, view.id, definition_id=v2.id, actor="admin")
    assert moved.version == 2
    done = complete(approval, moved.task("review").id, approved=False, comment="no")
    assert done.task("rework").name == "Redo"


def test_migrating_away_from_the_element_an_instance_waits_in_is_refused(approval: Engine):
    view = start(approval, amount=10, limit=100)
    bundle = files("approval.bpmn", "review.json")
    bundle["approval.bpmn"] = (
        bundle["approval.bpmn"]
        .replace(b'id="review"', b'id="check_request"')
        .replace(b"<bpmn:flowNodeRef>review<", b"<bpmn:flowNodeRef>check_request<")
        .replace(b'targetRef="review"', b'targetRef="check_request"')
        .replace(b'sourceRef="review"', b'sourceRef="check_request"')
        .replace(b'attachedToRef="review"', b'attachedToRef="check_request"')
    )
    with approval.transaction() as s:
        v2 = approval.deploy(s, bundle, actor="admin").definitions[0]
    with pytest.raises(MigrationRefused) as err:
        with approval.transaction() as s:
            approval.migrate(s, view.id, definition_id=v2.id, actor="admin")
    assert "element 'review' is active but no longer exists" in err.value.reasons
    with approval.db.reading() as s:
        assert approval.instance(s, view.id).version == 1


def test_after_step_sees_every_step_inside_its_transaction(db: Database, clock: FixedClock):
    seen: list[tuple[str, str]] = []

    def record(session, view) -> None:
        seen.append((view.status, ",".join(t.element_id for t in view.ready_tasks)))
        if view.data.get("comment") == "boom":
            raise RuntimeError("the application refused the step")

    engine = Engine(db, EngineConfig(clock=clock, after_step=record))
    with engine.transaction() as s:
        engine.deploy(s, files("approval.bpmn", "review.json"), actor="admin")
    view = start(engine, amount=10, limit=100)
    with pytest.raises(RuntimeError):
        complete(engine, view.task("review").id, approved=True, comment="boom")
    with engine.db.reading() as s:
        assert engine.instance(s, view.id).task("review").state == "ready"  # rolled back whole
    clock.advance(timedelta(days=4))
    assert engine.fire_due_timers() == 1
    assert seen == [("running", "review"), ("completed", ""), ("running", "escalated_review")]


def test_an_application_binds_new_tasks_to_a_group_and_an_assignee_in_the_step(
    db: Database, clock: FixedClock
):
    seen: list[tuple[str, bool]] = []

    def bind(session, context: LaneContext) -> TaskBinding:
        # The session is the step's own: what the step wrote is visible, and the binding may read.
        seen.append((context.element_id, session.get(ProcessInstance, 1) is not None))
        owner = context.data.get("owner")
        return TaskBinding(f"{context.lane}@{context.data.get('unit', 'hq')}", owner)

    engine = Engine(db, EngineConfig(clock=clock, bind_task=bind))
    with engine.transaction() as s:
        engine.deploy(s, files("approval.bpmn", "review.json"), actor="admin")
    view = start(engine, amount=10, limit=100, unit="east", owner="ann")
    task = view.task("review")
    assert (task.candidate_group, task.assignee) == ("Reviewers@east", "ann")
    assert seen == [("review", True)]
    # The assignee holds it like a claim: nobody else completes it; the queue does not show it.
    with pytest.raises(TaskOwnershipError, match="claimed by ann"):
        complete(engine, task.id, actor="bob", approved=True, comment="x")
    unowned = start(engine, amount=10, limit=100).task("review")
    assert (unowned.candidate_group, unowned.assignee) == ("Reviewers@hq", None)
    # Without a bind_task the lane resolver still decides the group, and nobody is assigned.
    plain = Engine(db, EngineConfig(clock=clock, resolve_group=lambda c: f"plain:{c.lane}"))
    with plain.transaction() as s:
        again = plain.start(s, "approval", data={"amount": 1, "limit": 100, "owner": "ann"},
                            actor="clerk")
    assert (again.task("review").candidate_group, again.task("review").assignee) == (
        "plain:Reviewers", None)


def test_a_task_can_record_who_completed_it_for_the_tasks_after_it(
    db: Database, clock: FixedClock
):
    def bind(session, context: LaneContext) -> TaskBinding:
        return TaskBinding("clerks", context.data.get("owner"))

    engine = Engine(db, EngineConfig(clock=clock, bind_task=bind))
    with engine.transaction() as s:
        engine.deploy(s, files("taken_up.bpmn"), actor="admin")
        view = engine.start(s, "taken_up", data={"owner": "ann"}, actor="clerk")
    # The task went to ann; bob takes it up from the queue once it is given back.
    take_up = view.task("take_up")
    assert take_up.assignee == "ann"
    with engine.transaction() as s:
        engine.unclaim_task(s, take_up.id, actor="ann")
    view = complete(engine, take_up.id, actor="bob")
    assert view.data["owner"] == "bob"
    assert view.task("follow_on").assignee == "bob"
    with engine.db.reading() as s:
        done = [e for e in engine.audit_trail(s, view.id) if e.action == "task_completed"]
    assert done[-1].changes == {"owner": ["ann", "bob"]}


def test_timers_fire_on_time_whatever_zone_the_clock_speaks(db: Database):
    from engine.clock import SHANGHAI

    clock = FixedClock(T0.astimezone(SHANGHAI))
    engine = Engine(db, EngineConfig(clock=clock))
    with engine.transaction() as s:
        engine.deploy(s, files("approval.bpmn", "review.json"), actor="admin")
    view = start(engine, amount=10, limit=100)
    assert view.timers[0].due_at == T0 + timedelta(days=3)
    clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert engine.fire_due_timers() == 0
    clock.advance(timedelta(seconds=2))
    assert engine.fire_due_timers() == 1
    with engine.db.reading() as s:
        assert engine.task(s, engine.instance(s, view.id).ready_tasks[0].id).due_at is None


def test_fields_a_form_does_not_have_are_named_one_by_one():
    from engine.forms import validate_form_data

    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    with pytest.raises(FormValidationError) as err:
        validate_form_data(schema, {"a": "x", "zz": 1, "b": 2})
    assert err.value.field_errors == {
        "b": ["this field is not part of the form"], "zz": ["this field is not part of the form"],
    }


def test_a_task_waiting_across_a_migration_shows_its_new_name_and_keeps_its_claim(approval: Engine):
    view = start(approval, amount=10, limit=100)
    with approval.transaction() as s:
        approval.claim_task(s, view.task("review").id, actor="ann")
    bundle = files("approval.bpmn", "review.json")
    bundle["approval.bpmn"] = bundle["approval.bpmn"].replace(
        b'name="Review the request"', b'name="Check the request"'
    )
    with approval.transaction() as s:
        v2 = approval.deploy(s, bundle, actor="admin").definitions[0]
        moved = approval.migrate(s, view.id, definition_id=v2.id, actor="admin")
    task = moved.task("review")
    assert (task.name, task.assignee, task.id) == ("Check the request", "ann", view.task("review").id)
